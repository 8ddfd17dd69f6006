//! The `Instant-Signature` header (`t=<unix seconds>,kid=<kid>,v1=<hex Ed25519 signature>`),
//! the age check and the bytes that were signed, as the official `validate` steps 2, 3 and 6.

use super::{error, messages};
use crate::error::Result;
use crate::prelude::*;
use crate::Value;

/// A parsed `Instant-Signature` header.
#[derive(Clone, Debug, PartialEq)]
pub struct SignatureHeader {
    /// `t` as sent (decimal digits).
    pub t: String,
    /// `t` in seconds since the Unix epoch.
    pub seconds: f64,
    /// The signing key's id.
    pub kid: String,
    /// The signature as sent (hex).
    pub v1: String,
}

/// Parses the header as the official client does: split on `,`, each part on `=` keeping the
/// first two pieces, the last `t` / `kid` / `v1` wins, no trimming (`t=1, kid=2` has no `kid`),
/// a missing or empty one is an error whose hint names it (`{header, missingKeys}`).
///
/// Stricter than the official client: `t` must be decimal digits. There a non-numeric `t`
/// makes the age `NaN`, which passes the age check (and `parseInt` reads `12ab` as 12); here it
/// is the same "Invalid Instant-Signature header." error, with the hint `invalidKeys: ["t"]`.
///
/// ```
/// use instant_edge::webhooks::signature::parse_header;
/// let h = parse_header("t=1778610366,kid=503090235,v1=ab=cd").unwrap();
/// assert_eq!((h.t.as_str(), h.kid.as_str(), h.v1.as_str()), ("1778610366", "503090235", "ab"));
/// assert!(parse_header("t=1, kid=2,v1=ab").is_err());
/// assert!(parse_header("t=soon,kid=2,v1=ab").is_err());
/// ```
pub fn parse_header(header: &str) -> Result<SignatureHeader> {
    let (mut t, mut kid, mut v1) = (None, None, None);
    for part in header.split(',') {
        let mut pieces = part.split('=');
        let (key, value) = (pieces.next(), pieces.next());
        match key {
            Some("t") => t = value,
            Some("kid") => kid = value,
            Some("v1") => v1 = value,
            _ => {}
        }
    }
    let (t, kid, v1) = (given(t), given(kid), given(v1));
    let missing: Vec<Value> =
        [("t", t), ("kid", kid), ("v1", v1)].iter().filter(|(_, value)| value.is_none()).map(|(key, _)| Value::from(*key)).collect();
    let (Some(t), Some(kid), Some(v1)) = (t, kid, v1) else {
        return Err(error(messages::INVALID_HEADER, [("header", header.into()), ("missingKeys", Value::Array(missing))]));
    };
    let Some(seconds) = seconds(t) else {
        let invalid = Value::Array(vec!["t".into()]);
        return Err(error(
            messages::INVALID_HEADER,
            [("header", header.into()), ("missingKeys", Value::Array(Vec::new())), ("invalidKeys", invalid)],
        ));
    };
    Ok(SignatureHeader { t: t.into(), seconds, kid: kid.into(), v1: v1.into() })
}

/// `!value` in JS: absent or empty is missing.
fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|value| !value.is_empty())
}

/// Decimal digits (at most 15, exact in an `f64`) as a number.
fn seconds(t: &str) -> Option<f64> {
    if t.len() > 15 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(t.bytes().fold(0.0, |n, b| n * 10.0 + f64::from(b - b'0')))
}

/// `Math.floor(ms / 1000)` without libm.
fn floor_seconds(ms: f64) -> f64 {
    let seconds = ms / 1000.0;
    let whole = seconds as i64 as f64;
    if whole > seconds {
        whole - 1.0
    } else {
        whole
    }
}

/// The official age check: `floor(receivedAt / 1000) - t > tolerance` fails with "Webhook
/// signature is too old" (hint `{tolerance, receivedAt, t}`; `receivedAt` in ms here, a `Date`
/// there). One-sided, as there: a `t` in the future passes, and an age equal to the tolerance too.
///
/// ```
/// use instant_edge::webhooks::signature::check_age;
/// assert!(check_age(1000.0, 1_300_000.0, 300.0).is_ok());
/// assert!(check_age(1000.0, 1_301_000.0, 300.0).is_err());
/// assert!(check_age(9000.0, 1_301_000.0, 300.0).is_ok());
/// ```
pub fn check_age(t_seconds: f64, received_at_ms: f64, tolerance: f64) -> Result<()> {
    let age = floor_seconds(received_at_ms) - t_seconds;
    if age > tolerance {
        return Err(error(
            messages::TOO_OLD,
            [("tolerance", Value::Number(tolerance)), ("receivedAt", Value::Number(received_at_ms)), ("t", Value::Number(t_seconds))],
        ));
    }
    Ok(())
}

/// The bytes that were signed: `t`, `.`, then the body's bytes.
///
/// ```
/// assert_eq!(instant_edge::webhooks::signature::signed_bytes("12", "{}"), b"12.{}");
/// ```
pub fn signed_bytes(t: &str, body: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(t.len() + 1 + body.len());
    message.extend_from_slice(t.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body.as_bytes());
    message
}

/// `v1` as the 64 bytes of an Ed25519 signature. Stricter than the official client, which
/// decodes bad hex digits as 0 and hands Web Crypto any length: here anything but 128 hex
/// digits is "Instant Signature did not validate" at once (the verdict Web Crypto gives such
/// a signature there, but for a forged one that a lenient decoding happens to fix).
///
/// ```
/// use instant_edge::webhooks::signature::signature_bytes;
/// assert!(signature_bytes(&"0a".repeat(64), "h").unwrap().iter().all(|b| *b == 10));
/// assert!(signature_bytes(&"zz".repeat(64), "h").is_err());
/// assert!(signature_bytes("0a0a", "h").is_err());
/// ```
pub fn signature_bytes(v1: &str, header: &str) -> Result<[u8; 64]> {
    let mut out = [0u8; 64];
    let ok = v1.len() == 128
        && v1.as_bytes().chunks_exact(2).zip(out.iter_mut()).all(|(pair, byte)| match (digit(pair[0]), digit(pair[1])) {
            (Some(high), Some(low)) => {
                *byte = high << 4 | low;
                true
            }
            _ => false,
        });
    if !ok {
        return Err(not_valid(header));
    }
    Ok(out)
}

/// "Instant Signature did not validate" (hint `{header}`).
pub fn not_valid(header: &str) -> crate::Error {
    error(messages::NOT_VALID, [("header", header.into())])
}

fn digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official test vector (`client/packages/webhooks/__tests__/src/validate.test.ts`):
    /// a real delivery from a localhost:8888 dev server, dev key kid 503090235.
    pub(crate) const HEADER: &str = "t=1778610366,kid=503090235,v1=b4385e8285de38d22b6d8a6bdd03cc75287e356f1adf48cea257a8e6c056c04ef99af7d8e162afcaa07d201e97c7865cc91e552bd5def8f9ed4b52efc5843406";

    fn hint(err: &crate::Error) -> Value {
        match err {
            crate::Error::Webhook { hint, .. } => hint.clone(),
            other => panic!("not a webhook error: {other:?}"),
        }
    }

    #[test]
    fn parses_the_official_vector() {
        let h = parse_header(HEADER).unwrap();
        assert_eq!(h.t, "1778610366");
        assert_eq!(h.seconds, 1778610366.0);
        assert_eq!(h.kid, "503090235");
        assert_eq!(signature_bytes(&h.v1, HEADER).unwrap()[0], 0xb4);
    }

    #[test]
    fn missing_keys_as_the_official_cases() {
        for (header, missing) in [
            ("kid=503090235,v1=abcd", vec!["t"]),
            ("t=1778610366,v1=abcd", vec!["kid"]),
            ("t=1778610366,kid=503090235", vec!["v1"]),
            ("", vec!["t", "kid", "v1"]),
            ("t=,kid=1,v1=2", vec!["t"]),
            // The last one wins, even when it has no value.
            ("t=1,kid=1,v1=2,t", vec!["t"]),
            // No trimming.
            ("t=1, kid=1,v1=2", vec!["kid"]),
        ] {
            let err = parse_header(header).unwrap_err();
            assert_eq!(err.message(), messages::INVALID_HEADER, "{header}");
            let missing: Vec<Value> = missing.into_iter().map(Value::from).collect();
            assert_eq!(hint(&err).get("missingKeys"), Some(&Value::Array(missing)), "{header}");
            assert_eq!(hint(&err).get("header"), Some(&Value::from(header)));
        }
    }

    #[test]
    fn a_non_numeric_t_is_an_error_never_a_pass() {
        for t in ["soon", "12ab", "-5", "1.5", " 12", "1234567890123456"] {
            let header = ["t=", t, ",kid=1,v1=ab"].concat();
            let err = parse_header(&header).unwrap_err();
            assert_eq!(err.message(), messages::INVALID_HEADER);
            assert_eq!(hint(&err).get("invalidKeys"), Some(&Value::Array(vec!["t".into()])));
        }
    }

    #[test]
    fn age_is_one_sided_and_floors_the_received_time() {
        let t = 1778610366.0;
        let at = t * 1000.0;
        assert!(check_age(t, at, 300.0).is_ok());
        assert!(check_age(t, at + 300_999.0, 300.0).is_ok(), "age == tolerance passes");
        let err = check_age(t, at + 301_000.0, 300.0).unwrap_err();
        assert_eq!(err.message(), messages::TOO_OLD);
        assert!(check_age(t, at - 10_000_000.0, 300.0).is_ok(), "the future passes");
        assert!(check_age(t, at + 1000.0, 0.0).is_err());
    }

    #[test]
    fn hex_is_strict() {
        assert!(signature_bytes(&"AB".repeat(64), "h").is_ok());
        assert!(signature_bytes(&"ab".repeat(63), "h").is_err());
        assert!(signature_bytes(&["g", &"a".repeat(127)].concat(), "h").is_err());
        assert_eq!(signature_bytes("", "h").unwrap_err().message(), messages::NOT_VALID);
    }
}
