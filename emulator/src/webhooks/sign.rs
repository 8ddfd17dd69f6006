//! The emulator's webhook signing key (docs/webhooks.md §b): an Ed25519 key made at start,
//! under kid [`KID`], which signs every delivery (`Instant-Signature`) and every payload JWT,
//! and is published as a JWKS.
//!
//! The kid is not the real dev server's `503090235`: the official clients pin that kid to the
//! dev server's public key for `localhost`, so a delivery signed by another key under it would
//! never verify.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde_json::{json, Map, Value};

/// The key id the emulator signs under (decimal, like Tink's key ids).
pub const KID: &str = "424242";

/// The signing key.
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &KID).finish_non_exhaustive()
    }
}

impl Default for Signer {
    fn default() -> Self {
        Signer::new()
    }
}

impl Signer {
    /// A fresh random key.
    pub fn new() -> Signer {
        let mut seed = [0u8; 32];
        if getrandom::fill(&mut seed).is_err() {
            // No OS randomness: two v4 UUIDs (themselves random) still make a usable test key.
            seed[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
            seed[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        }
        Signer { key: SigningKey::from_bytes(&seed) }
    }

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// `{"keys": [{kty, crv, alg, use, kid, x}]}` (`ed25519-public-jwks*`).
    pub fn jwks(&self) -> Value {
        json!({"keys": [{
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": KID,
            "x": URL_SAFE_NO_PAD.encode(self.public().as_bytes()),
        }]})
    }

    /// `t=<t>,kid=<kid>,v1=<hex of the signature over "<t>.<body>">`.
    pub fn signature_header(&self, t: i64, body: &[u8]) -> String {
        let mut message = format!("{t}.").into_bytes();
        message.extend_from_slice(body);
        let signature = self.key.sign(&message);
        let hex: String = signature.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        format!("t={t},kid={KID},v1={hex}")
    }

    /// A compact JWS of `claims`, header `{"kid","typ":"JWT","alg":"EdDSA"}`.
    pub fn jwt(&self, claims: &Value) -> String {
        let header = json!({"kid": KID, "typ": "JWT", "alg": "EdDSA"});
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// The claims of a JWT this key signed, or why not.
    pub fn verify_jwt(&self, token: &str) -> Result<Map<String, Value>, String> {
        let invalid = || "Invalid JWT.".to_owned();
        let parts: Vec<&str> = token.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else { return Err(invalid()) };
        let header: Value = URL_SAFE_NO_PAD.decode(header).ok().and_then(|h| serde_json::from_slice(&h).ok()).ok_or_else(invalid)?;
        if header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
            return Err(invalid());
        }
        if header.get("kid").and_then(Value::as_str).is_some_and(|k| k != KID) {
            return Err("Signed JWT rejected: Another algorithm expected, or no matching key(s) found".into());
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok().and_then(|s| Signature::from_slice(&s).ok()).ok_or_else(invalid)?;
        let input = format!("{}.{}", parts[0], parts[1]);
        self.public().verify(input.as_bytes(), &signature).map_err(|_| "Signed JWT rejected: Invalid signature".to_owned())?;
        match URL_SAFE_NO_PAD.decode(claims).ok().and_then(|c| serde_json::from_slice(&c).ok()) {
            Some(Value::Object(map)) => Ok(map),
            _ => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_jwts_verify() {
        let signer = Signer::new();
        let header = signer.signature_header(1_700_000_000, b"{\"a\":1}");
        let v1 = header.split("v1=").nth(1).unwrap();
        let bytes: Vec<u8> = (0..64).map(|i| u8::from_str_radix(&v1[i * 2..i * 2 + 2], 16).unwrap()).collect();
        let signature = Signature::from_slice(&bytes).unwrap();
        assert!(signer.public().verify(b"1700000000.{\"a\":1}", &signature).is_ok());
        let token = signer.jwt(&json!({"sub": "x"}));
        assert_eq!(signer.verify_jwt(&token).unwrap()["sub"], "x");
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 2, 'A');
        assert!(signer.verify_jwt(&tampered).is_err());
        assert!(Signer::new().verify_jwt(&token).is_err(), "another key");
    }
}
