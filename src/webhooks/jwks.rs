//! The signing keys: `GET <apiURI>/.well-known/webhooks/jwks.json` (no auth) answers
//! `{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid","x"}]}`; the key
//! whose `kid` is the header's verifies the delivery.

use super::{error, messages};
use crate::config::CLOUD_API_URI;
use crate::error::Result;
use crate::json::{JsonView, Kind};
use crate::prelude::*;
use crate::Value;

/// The path of the key set under the API base.
pub const JWKS_PATH: &str = "/.well-known/webhooks/jwks.json";

/// An Ed25519 public key from a JWK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// The JWK's `x` (base64url, no padding), as Web Crypto imports it.
    pub x: String,
    /// The 32 bytes of the key.
    pub bytes: [u8; 32],
}

/// Instant Cloud's production key (kid `1034696293`), pinned for exactly
/// `https://api.instantdb.com`, as the official client pins it (`knownKeys`): a delivery from
/// the cloud is then checked without fetching the key set. The official client also pins its
/// local dev server's key for `http://localhost:8888`; not here, since the emulator (and any
/// self-hosted server) signs with its own key and kid, served in its key set.
pub const PRODUCTION_KEY: (&str, &str) = ("1034696293", "N-C41432STKAKkXAWmeIOXMnZcGRR1b9u1L3bTVqI_o");

/// The pinned key of `api_uri` with this `kid`, if any (see [`PRODUCTION_KEY`]).
///
/// ```
/// use instant_edge::webhooks::jwks::pinned_key;
/// assert!(pinned_key("https://api.instantdb.com", "1034696293").is_some());
/// assert!(pinned_key("http://localhost:8888", "503090235").is_none());
/// ```
pub fn pinned_key(api_uri: &str, kid: &str) -> Option<PublicKey> {
    (api_uri == CLOUD_API_URI && kid == PRODUCTION_KEY.0).then(|| public_key(PRODUCTION_KEY.1)).flatten()
}

/// The key with `kid` in a key set: "Could not find matching signing key" (hint `{kid}`) when
/// none has it (`kid` compared as a string, as `k.kid === kid`). Only Ed25519 keys are taken:
/// another kind with that `kid` is "Unsupported JWK configuration: kty=…, crv=…", the official
/// message for a kind Web Crypto cannot import (the official client would also import EC and
/// RSA keys, which the server never serves); an `x` that is not 32 bytes of base64url is
/// "Invalid webhook signing key".
///
/// ```
/// use instant_edge::{value, webhooks::jwks::select_key};
/// let jwks = value!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "kid": "7", "x": "qrSkwDaMITRMF9nOgpueqxgaAiuFmJperYE3mkyl8Ow" }] });
/// assert_eq!(select_key(&&jwks, "7").unwrap().bytes[0], 0xaa);
/// assert_eq!(select_key(&&jwks, "8").unwrap_err().message(), "Could not find matching signing key");
/// ```
pub fn select_key<J: JsonView>(jwks: &J, kid: &str) -> Result<PublicKey> {
    let keys = jwks.field("keys").filter(|keys| keys.kind() == Kind::Array).map(|keys| keys.items()).unwrap_or_default();
    let text = |key: &J, name: &str| key.field(name).and_then(|value| value.text().map(|text| text.into_owned()));
    for key in &keys {
        if text(key, "kid").as_deref() != Some(kid) {
            continue;
        }
        let (kty, crv) = (text(key, "kty"), text(key, "crv"));
        if kty.as_deref() != Some("OKP") || crv.as_deref() != Some("Ed25519") {
            let mut message = String::from("Unsupported JWK configuration: kty=");
            message.push_str(kty.as_deref().unwrap_or("undefined"));
            message.push_str(", crv=");
            message.push_str(crv.as_deref().unwrap_or("undefined"));
            return Err(error(&message, []));
        }
        return text(key, "x").and_then(|x| public_key(&x)).ok_or_else(|| error(messages::INVALID_KEY, [("kid", kid.into())]));
    }
    Err(no_key(kid))
}

/// "Could not find matching signing key" (hint `{kid}`).
pub fn no_key(kid: &str) -> crate::Error {
    error(messages::NO_KEY, [("kid", Value::from(kid))])
}

fn public_key(x: &str) -> Option<PublicKey> {
    let bytes: [u8; 32] = base64url(x)?.try_into().ok()?;
    Some(PublicKey { x: x.into(), bytes })
}

/// Decodes base64url without padding (RFC 7515 §2), strictly: any other character, or
/// leftover bits that are not zero, is `None`.
///
/// ```
/// use instant_edge::webhooks::jwks::base64url;
/// assert_eq!(base64url("aGk").as_deref(), Some(&b"hi"[..]));
/// assert_eq!(base64url("aGk="), None);
/// assert_eq!(base64url("aGl"), None);
/// ```
pub fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = acc << 6 | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6 && acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value;

    #[test]
    fn picks_by_kid_and_refuses_other_kinds() {
        let jwks = value!({ "keys": [
            { "kty": "EC", "crv": "P-256", "kid": "1", "x": "a" },
            { "kty": "OKP", "crv": "Ed25519", "kid": "2", "x": "short" },
            { "kty": "OKP", "crv": "Ed25519", "kid": 3, "x": "qrSkwDaMITRMF9nOgpueqxgaAiuFmJperYE3mkyl8Ow" },
            { "kid": "4" },
        ] });
        assert_eq!(select_key(&&jwks, "1").unwrap_err().message(), "Unsupported JWK configuration: kty=EC, crv=P-256");
        assert_eq!(select_key(&&jwks, "2").unwrap_err().message(), messages::INVALID_KEY);
        assert_eq!(select_key(&&jwks, "3").unwrap_err().message(), messages::NO_KEY, "a numeric kid is not the string");
        assert_eq!(select_key(&&jwks, "4").unwrap_err().message(), "Unsupported JWK configuration: kty=undefined, crv=undefined");
        assert_eq!(select_key(&&value!({ "keys": null }), "1").unwrap_err().message(), messages::NO_KEY);
        assert_eq!(select_key(&&value!([]), "1").unwrap_err().message(), messages::NO_KEY);
    }

    #[test]
    fn base64url_round_numbers() {
        assert_eq!(base64url("").as_deref(), Some(&[][..]));
        assert_eq!(base64url("_-8").as_deref(), Some(&[0xff, 0xef][..]));
        assert_eq!(base64url("a"), None);
        assert_eq!(base64url("ab+/"), None);
        assert_eq!(public_key(PRODUCTION_KEY.1).map(|k| k.bytes.len()), Some(32));
    }
}
