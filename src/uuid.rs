//! UUID checks and v4 ids, without the `uuid` crate: the client only needs to recognise the
//! canonical text form and to make random ids.

use crate::prelude::*;
/// Whether `text` is a UUID in canonical 8-4-4-4-12 hex form (any case), as the server accepts
/// for app ids and entity ids.
///
/// ```
/// use instant_edge::is_uuid;
/// assert!(is_uuid("8aa64e4c-64f9-472e-8a61-3fa28870e6cb"));
/// assert!(!is_uuid("8aa64e4c64f9472e8a613fa28870e6cb"));
/// ```
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Formats 16 random bytes as a version-4 UUID.
pub fn v4_from_bytes(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 0x0f) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_has_version_and_variant_bits() {
        let id = v4_from_bytes([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert!(is_uuid(&id));
        assert_eq!(v4_from_bytes([0; 16]), "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn rejects_near_misses() {
        for bad in [
            "",
            "8aa64e4c-64f9-472e-8a61-3fa28870e6c",
            "8aa64e4c-64f9-472e-8a61-3fa28870e6cbb",
            "8aa64e4c_64f9-472e-8a61-3fa28870e6cb",
            "8aa64e4g-64f9-472e-8a61-3fa28870e6cb",
            " 8aa64e4c-64f9-472e-8a61-3fa28870e6c",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
        assert!(is_uuid("8AA64E4C-64F9-472E-8A61-3FA28870E6CB"));
    }
}
