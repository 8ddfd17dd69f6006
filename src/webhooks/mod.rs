//! Webhooks, pure: what `db.webhooks` of `@instantdb/admin` 1.0.67 does, without I/O
//! (docs/webhooks.md §a, §b). The receiver's steps ([`signature`]: the `Instant-Signature`
//! header, the age check and the signed bytes; [`jwks`]: the signing key by `kid`; [`body`]:
//! the delivery's `{payloadUrl, token}`; [`dispatch`]: which handler takes a record) and the
//! manager's requests ([`manager`]). The I/O (the JWKS fetch, Ed25519 by the host's Web Crypto
//! or natively by ed25519-dalek, the key cache) is in `host` and `client::webhooks`.
//!
//! Errors are [`Error::Webhook`] with the official `InstantError` messages:
//!
//! ```
//! use instant_edge::webhooks::signature;
//! let err = signature::parse_header("kid=1,v1=ab").unwrap_err();
//! assert_eq!(err.message(), "Invalid Instant-Signature header.");
//! assert_eq!(err.kind(), "webhook");
//! ```

use crate::error::Error;
use crate::Value;

pub mod body;
pub mod dispatch;
pub mod jwks;
pub mod manager;
pub mod signature;

pub use crate::models::webhook::*;

/// How old a signature may be, in seconds, when the caller gives no tolerance (`defaultTolerance`).
pub const DEFAULT_TOLERANCE: f64 = 300.0;

/// The official messages, word for word.
pub mod messages {
    /// A header without `t`, `kid` or `v1` (and, here only, a `t` that is not a number).
    pub const INVALID_HEADER: &str = "Invalid Instant-Signature header.";
    /// `t` older than the tolerance.
    pub const TOO_OLD: &str = "Webhook signature is too old";
    /// No key with that `kid`.
    pub const NO_KEY: &str = "Could not find matching signing key";
    /// The signature does not verify.
    pub const NOT_VALID: &str = "Instant Signature did not validate";
    /// The verified body is not `{payloadUrl, token}`.
    pub const INVALID_BODY: &str = "Invalid webhook body, expected an object with payloadUrl and token fields";
    /// `validateRequest` without the header.
    pub const MISSING_HEADER: &str = "Request is missing Instant-Signature header";
    /// The manager without a token.
    pub const TOKEN_REQUIRED: &str = "A token is required to manage webhooks. Pass `adminToken` or `token` to the Webhooks constructor.";
    /// A JWK whose `x` is not a 32-byte base64url key (the Python client's message; the
    /// official JS client reports Web Crypto's own error).
    pub const INVALID_KEY: &str = "Invalid webhook signing key";
}

/// An [`Error::Webhook`] with `message` and the hint `{key: value, ...}`.
pub(crate) fn error<const N: usize>(message: &str, hint: [(&str, Value); N]) -> Error {
    let hint = if N == 0 { Value::Null } else { Value::object(hint) };
    Error::Webhook { message: message.into(), hint }
}

/// How the receiver checks a delivery: `validate`'s `opts`.
///
/// ```
/// use instant_edge::webhooks::VerifyOptions;
/// let opts = VerifyOptions::default().received_at_ms(1_778_610_366_000.0).tolerance(60.0);
/// assert_eq!(opts.tolerance, Some(60.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[must_use]
pub struct VerifyOptions {
    /// When the delivery arrived, in ms since the Unix epoch (`receivedAt`); now when `None`.
    pub received_at_ms: Option<f64>,
    /// How old `t` may be, in seconds; [`DEFAULT_TOLERANCE`] when `None`.
    pub tolerance: Option<f64>,
}

impl VerifyOptions {
    /// Sets when the delivery arrived (ms since the Unix epoch).
    pub fn received_at_ms(mut self, ms: f64) -> VerifyOptions {
        self.received_at_ms = Some(ms);
        self
    }

    /// Sets the tolerance in seconds.
    pub fn tolerance(mut self, seconds: f64) -> VerifyOptions {
        self.tolerance = Some(seconds);
        self
    }
}
