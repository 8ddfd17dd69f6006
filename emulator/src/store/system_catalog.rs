//! The system namespaces every app has (`$users`, `$files`), with the real server's deterministic
//! attribute ids (platform spec §4.4), so cursors and schema answers look like the real thing.

use uuid::Uuid;

use super::{Attr, DataType, Ident, ValueType};

const ALPHABET: &str = "abcdefghijklmnopqrstuvwxzy/";

/// Packs each character's index in [`ALPHABET`] as 5 bits, right-padded with 1 bits to 64.
fn encode(text: &str) -> u64 {
    let mut bits: u64 = 0;
    let mut used = 0u32;
    for ch in text.chars() {
        let index = ALPHABET.find(ch).unwrap_or(ALPHABET.len() - 1) as u64;
        if used + 5 > 64 {
            break;
        }
        bits = (bits << 5) | index;
        used += 5;
    }
    let pad = 64 - used;
    if pad == 64 {
        return u64::MAX;
    }
    (bits << pad) | ((1u64 << pad) - 1)
}

/// `system` + `kind` in the high half, `etype/label` codes in the low half.
fn system_uuid(kind: &str, etype_code: &str, label_code: &str) -> Uuid {
    let high = encode(&format!("system{kind}"));
    let low = encode(&format!("{etype_code}/{label_code}"));
    Uuid::from_u64_pair(high, low)
}

fn ident(etype: &str, etype_code: &str, label: &str, label_code: &str) -> Ident {
    Ident { id: system_uuid("id", etype_code, label_code), etype: etype.into(), label: label.into() }
}

fn system_blob(etype: &str, etype_code: &str, label: &str, label_code: &str) -> Attr {
    Attr {
        id: system_uuid("at", etype_code, label_code),
        forward: ident(etype, etype_code, label, label_code),
        system: true,
        ..Attr::blob(etype, label)
    }
}

/// The system catalog attributes of a fresh app.
pub fn attrs() -> Vec<Attr> {
    let users_id = Attr { unique: true, indexed: true, ..system_blob("$users", "us", "id", "id") };
    let users_email =
        Attr { unique: true, indexed: true, checked_type: Some(DataType::String), ..system_blob("$users", "us", "email", "email") };
    let users_type = Attr { checked_type: Some(DataType::String), ..system_blob("$users", "us", "type", "type") };
    let users_image = Attr { checked_type: Some(DataType::String), ..system_blob("$users", "us", "imageURL", "imageurl") };
    let users_primary = Attr {
        reverse: Some(ident("$users", "us", "linkedGuestUsers", "lgu")),
        value_type: ValueType::Ref,
        cardinality_one: true,
        on_delete_cascade: true,
        ..system_blob("$users", "us", "linkedPrimaryUser", "lpu")
    };
    let codes_id = Attr { unique: true, indexed: true, ..system_blob("$magicCodes", "mc", "id", "id") };
    let codes_hash =
        Attr { indexed: true, checked_type: Some(DataType::String), ..system_blob("$magicCodes", "mc", "codeHash", "codehash") };
    let codes_email = Attr { indexed: true, checked_type: Some(DataType::String), ..system_blob("$magicCodes", "mc", "email", "email") };
    let tokens_id = Attr { unique: true, indexed: true, ..system_blob("$userRefreshTokens", "ur", "id", "id") };
    let tokens_hash = Attr {
        unique: true,
        indexed: true,
        checked_type: Some(DataType::String),
        ..system_blob("$userRefreshTokens", "ur", "hashedToken", "hashedtok")
    };
    // Deleting a user deletes their tokens (`on-delete: cascade` on the token's side).
    let tokens_user = Attr {
        reverse: Some(ident("$users", "us", "$userRefreshTokens", "ur")),
        value_type: ValueType::Ref,
        cardinality_one: true,
        indexed: true,
        on_delete_cascade: true,
        ..system_blob("$userRefreshTokens", "ur", "$user", "user")
    };
    let files_id = Attr { unique: true, indexed: true, ..system_blob("$files", "fi", "id", "id") };
    let files_path = Attr {
        unique: true,
        indexed: true,
        required: true,
        checked_type: Some(DataType::String),
        ..system_blob("$files", "fi", "path", "path")
    };
    let files_size = Attr { checked_type: Some(DataType::Number), ..system_blob("$files", "fi", "size", "size") };
    let files_content_type = system_blob("$files", "fi", "content-type", "ctype");
    let files_disposition = system_blob("$files", "fi", "content-disposition", "cdisp");
    let files_location = system_blob("$files", "fi", "location-id", "lid");
    let files_key_version = system_blob("$files", "fi", "key-version", "kv");
    vec![
        users_id,
        users_email,
        users_type,
        users_image,
        users_primary,
        codes_id,
        codes_hash,
        codes_email,
        tokens_id,
        tokens_hash,
        tokens_user,
        files_id,
        files_path,
        files_size,
        files_content_type,
        files_disposition,
        files_location,
        files_key_version,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_the_real_server() {
        assert_eq!(system_uuid("at", "fi", "id").to_string(), "96653230-13ff-ffff-2a34-81ffffffffff");
        assert_eq!(system_uuid("id", "fi", "id").to_string(), "96653231-03ff-ffff-2a34-81ffffffffff");
        assert_eq!(system_uuid("at", "us", "email").to_string(), "96653230-13ff-ffff-a4b4-46010bffffff");
    }
}
