//! [`Error`]: one enum shaped by what the caller does next.

use crate::prelude::*;
use core::fmt;

use crate::http::HostValue;
use crate::Value;

/// Everything a call can fail with.
///
/// ```
/// use instant_edge::{Config, Error};
/// let err = Config::new("not-a-uuid", "http://127.0.0.1:8888").unwrap_err();
/// assert!(matches!(err, Error::InvalidArgument { .. }));
/// assert_eq!(err.kind(), "invalid-argument");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status (boxed: the other variants are small, and
    /// every `Result` pays for the largest).
    Api(Box<ApiError>),
    /// The request never got an answer: connection refused, DNS, reset, CORS.
    Network {
        /// What the host reported.
        message: String,
    },
    /// The call took longer than its timeout.
    Timeout {
        /// The timeout that elapsed, in milliseconds.
        after_ms: u32,
    },
    /// The caller cancelled the call (an `AbortSignal`).
    Aborted,
    /// The server answered something that cannot be read.
    Decode {
        /// What was wrong.
        message: String,
    },
    /// Rejected before anything was sent.
    InvalidArgument {
        /// Which argument, e.g. `appId` or `steps[0][2]`.
        what: String,
        /// Why.
        message: String,
        /// What the host threw while the argument was read (a getter, a Proxy trap), if that
        /// is why: a JS error's `cause`.
        cause: Option<HostValue>,
    },
    /// Refused before anything was sent by the client's schema
    /// ([`crate::schema`](mod@crate::schema)), with the message `@instantdb/admin` gives, word
    /// for word.
    Validation {
        /// Which official check refused it (the JS error class).
        class: ValidationClass,
        /// The official message.
        message: String,
    },
    /// A webhook delivery or signing key was refused ([`crate::webhooks`]), with the message
    /// `@instantdb/admin`'s `InstantError` gives, word for word (`Webhook signature is too
    /// old`, `Instant Signature did not validate`, ...): in JS an `InstantError`. Only with the
    /// `webhooks` feature: the platform entry's wasm, built without it, pays nothing for it.
    #[cfg(feature = "webhooks")]
    Webhook {
        /// The official message.
        message: String,
        /// The official `hint` (`{ header, missingKeys }`, `{ kid }`, ...), or `null`.
        hint: Value,
    },
    /// A stream (`db.streams`) failed on the client's side or was aborted by its writer, with
    /// the official client's message (`Stream is closed.`, `Stream is corrupted.`, ...) or the
    /// writer's abort reason.
    Stream {
        /// The message.
        message: String,
    },
}

/// Which of the official client's checks refused a call: the JS error's class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationClass {
    /// A query (`QueryValidationError`).
    Query,
    /// A transaction (`TransactionValidationError`).
    Transaction,
    /// A schema for an overwrite push (the platform client's `SchemaValidationError`).
    Schema,
}

impl ValidationClass {
    /// The JS class name: `QueryValidationError` or `TransactionValidationError`.
    pub fn name(self) -> &'static str {
        match self {
            ValidationClass::Query => "QueryValidationError",
            ValidationClass::Transaction => "TransactionValidationError",
            ValidationClass::Schema => "SchemaValidationError",
        }
    }
}

/// What the server said when it answered with an error status.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The error `type` (`validation-failed`, `record-not-found`, ...), when the body had one.
    pub error_type: Option<String>,
    /// The server's message, or `API Error (<status>)`.
    pub message: String,
    /// `hint`, as sent (often `null`).
    pub hint: Value,
    /// `trace-id`, for support requests.
    pub trace_id: Option<String>,
    /// The whole parsed body (`{"type": null, "message": <text>}` when it was not JSON).
    pub body: Value,
}

impl Error {
    /// The JS-facing `kind`: `api`, `network`, `timeout`, `aborted`, `decode`, `invalid-argument`,
    /// `query-validation`, `transaction-validation`, `schema-validation`, `webhook` or `stream`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api(_) => "api",
            Error::Network { .. } => "network",
            Error::Timeout { .. } => "timeout",
            Error::Aborted => "aborted",
            Error::Decode { .. } => "decode",
            Error::InvalidArgument { .. } => "invalid-argument",
            Error::Validation { class: ValidationClass::Query, .. } => "query-validation",
            Error::Validation { class: ValidationClass::Transaction, .. } => "transaction-validation",
            Error::Validation { class: ValidationClass::Schema, .. } => "schema-validation",
            #[cfg(feature = "webhooks")]
            Error::Webhook { .. } => "webhook",
            Error::Stream { .. } => "stream",
        }
    }

    /// The HTTP status for API errors, else 0.
    pub fn status(&self) -> u16 {
        match self {
            Error::Api(api) => api.status,
            _ => 0,
        }
    }

    /// The server's error `type`, for API errors that carry one.
    pub fn error_type(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.error_type.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> Error {
        Error::InvalidArgument { what: what.into(), message: message.into(), cause: None }
    }

    /// The message shown to people (also `Display`).
    pub fn message(&self) -> String {
        match self {
            Error::Api(api) => api.message.clone(),
            Error::Network { message } => {
                let mut m = String::from("network error: ");
                m.push_str(message);
                m
            }
            Error::Timeout { after_ms } => {
                let mut m = String::from("timed out after ");
                crate::value::push_number(&mut m, u64::from(*after_ms));
                m.push_str(" ms");
                m
            }
            Error::Aborted => "the call was aborted".into(),
            Error::Decode { message } | Error::Validation { message, .. } => message.clone(),
            #[cfg(feature = "webhooks")]
            Error::Webhook { message, .. } => message.clone(),
            Error::Stream { message } => message.clone(),
            Error::InvalidArgument { what, message, .. } => {
                let mut m = String::from("invalid ");
                m.push_str(what);
                m.push_str(": ");
                m.push_str(message);
                m
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {}

/// `Result<T, instant_edge::Error>`.
pub type Result<T, E = Error> = core::result::Result<T, E>;
