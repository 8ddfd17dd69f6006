//! PKCE (RFC 7636) as the server checks a code verifier against the challenge `/start` was
//! given (`verify-pkce!`): `plain` compares the strings, `S256` compares SHA-256 of the
//! verifier with the challenge decoded by Java's URL-safe Base64 decoder (padding optional,
//! trailing bits ignored, anything outside the alphabet refused).

use sha2::{Digest, Sha256};

/// `code_challenge_method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkceMethod {
    /// `S256`: the challenge is base64url(SHA-256(verifier)).
    S256,
    /// `plain`: the challenge is the verifier.
    Plain,
}

impl PkceMethod {
    /// The method a wire name denotes (exactly `S256` or `plain`).
    pub fn parse(name: &str) -> Option<PkceMethod> {
        match name {
            "S256" => Some(PkceMethod::S256),
            "plain" => Some(PkceMethod::Plain),
            _ => None,
        }
    }
}

/// Why a verifier was refused; [`PkceFailure::message`] is the server's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkceFailure {
    /// The verifier does not answer the challenge.
    Mismatch,
    /// An `S256` challenge that is not URL-safe Base64 (the server blames the verifier).
    NotBase64,
}

impl PkceFailure {
    /// The `validation-failed` error entry's message.
    pub fn message(self) -> &'static str {
        match self {
            PkceFailure::Mismatch => "The code_challenge and code_verifier do not match.",
            PkceFailure::NotBase64 => "Invalid code_verifier. Expected a url-safe Base64 string.",
        }
    }
}

/// Whether `verifier` answers `challenge` under `method`.
pub fn verify(method: PkceMethod, challenge: &str, verifier: &str) -> Result<(), PkceFailure> {
    let answered = match method {
        PkceMethod::Plain => constant_time_eq(verifier.as_bytes(), challenge.as_bytes()),
        PkceMethod::S256 => {
            let expected = decode_base64_url(challenge).ok_or(PkceFailure::NotBase64)?;
            constant_time_eq(&Sha256::digest(verifier.as_bytes()), &expected)
        }
    };
    if answered {
        Ok(())
    } else {
        Err(PkceFailure::Mismatch)
    }
}

/// Equal bytes, compared without stopping at the first difference (lengths are not secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn sextet(byte: u8) -> Option<u32> {
    let value = match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// `Base64.getUrlDecoder().decode(text)`: groups of four characters of the URL-safe alphabet;
/// a last group of two or three characters stands without padding, or with exactly the right
/// `=`s and nothing after them; a lone last character, a misplaced `=` or any other character
/// is `None`. Unused low bits of the last character are ignored, as Java ignores them.
pub fn decode_base64_url(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    let (mut bits, mut shift) = (0u32, 18i32);
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        at += 1;
        let Some(value) = sextet(byte) else {
            if byte != b'=' {
                return None;
            }
            // `xx==` and `xxx=` end the input; `=` alone or `xx=y` are malformed.
            if shift == 18 || (shift == 6 && bytes.get(at) != Some(&b'=')) {
                return None;
            }
            if shift == 6 {
                at += 1;
            }
            break;
        };
        bits |= value << shift;
        shift -= 6;
        if shift < 0 {
            out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
            (bits, shift) = (0, 18);
        }
    }
    match shift {
        6 => out.push((bits >> 16) as u8),
        0 => out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8]),
        12 => return None,
        _ => {}
    }
    (at == bytes.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn s256_compares_the_hash_of_the_verifier() {
        assert_eq!(verify(PkceMethod::S256, CHALLENGE, VERIFIER), Ok(()));
        assert_eq!(verify(PkceMethod::S256, &format!("{CHALLENGE}="), VERIFIER), Ok(()), "padding is optional");
        assert_eq!(verify(PkceMethod::S256, CHALLENGE, "another verifier"), Err(PkceFailure::Mismatch));
        assert_eq!(verify(PkceMethod::S256, "abcd", VERIFIER), Err(PkceFailure::Mismatch), "decodes, but to 3 bytes");
        let standard_alphabet = CHALLENGE.replace('-', "+");
        assert_eq!(verify(PkceMethod::S256, &standard_alphabet, VERIFIER), Err(PkceFailure::NotBase64));
        assert_eq!(verify(PkceMethod::S256, VERIFIER, VERIFIER), Err(PkceFailure::Mismatch), "a plain challenge under S256");
    }

    #[test]
    fn plain_compares_the_strings() {
        assert_eq!(verify(PkceMethod::Plain, VERIFIER, VERIFIER), Ok(()));
        assert_eq!(verify(PkceMethod::Plain, VERIFIER, &VERIFIER[1..]), Err(PkceFailure::Mismatch));
        assert_eq!(verify(PkceMethod::Plain, CHALLENGE, VERIFIER), Err(PkceFailure::Mismatch));
        assert_eq!(PkceMethod::parse("S256"), Some(PkceMethod::S256));
        assert_eq!(PkceMethod::parse("s256"), None);
    }

    #[test]
    fn base64_url_decoding_follows_java() {
        assert_eq!(decode_base64_url("TWFu"), Some(b"Man".to_vec()));
        assert_eq!(decode_base64_url("TWE"), Some(b"Ma".to_vec()));
        assert_eq!(decode_base64_url("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(decode_base64_url("TQ"), Some(b"M".to_vec()));
        assert_eq!(decode_base64_url("TQ=="), Some(b"M".to_vec()));
        assert_eq!(decode_base64_url("TR"), Some(b"M".to_vec()), "unused bits ignored");
        assert_eq!(decode_base64_url(""), Some(Vec::new()));
        for bad in ["T", "TQ=", "TQ=x", "TWFu=", "=", "TW E", "TWE=x", "TW+/", "TWFuT"] {
            assert_eq!(decode_base64_url(bad), None, "{bad:?}");
        }
        assert_eq!(decode_base64_url("_-8"), Some(vec![0xff, 0xef]));
    }
}
