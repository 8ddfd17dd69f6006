//! Errors in the real server's wire shape (spec §2): a typed body `{type, message, hint, trace-id}`
//! with its status, plus the two odd ones out (the route-miss 404 and ring-json's plain-text 400).

use serde_json::{json, Map, Value};

/// An error answer, ready to be turned into an HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// An Instant error: `type`, `message`, `hint` with the status its type maps to (§2.2).
    Instant {
        /// HTTP status.
        status: u16,
        /// Kebab-case error type.
        error_type: &'static str,
        /// Human-readable message.
        message: String,
        /// Structured hint; `Value::Null` renders as `"hint": null`.
        hint: Value,
    },
    /// No route matched (§1.1): 404 `{"message": "Oops! We couldn't match this route."}`.
    RouteNotFound,
    /// A JSON content type with a body that is not JSON (§1.2): 400 text/plain.
    MalformedJson,
    /// The request body is larger than the emulator accepts (the real server sets no limit).
    PayloadTooLarge {
        /// The configured limit.
        limit: usize,
    },
}

/// Result alias used across the engine.
pub type ApiResult<T> = Result<T, ApiError>;

/// Prints a path the way Clojure prints a vector of strings: `["body" "query"]`.
fn clojure_path(path: &[&str]) -> String {
    let quoted: Vec<String> = path.iter().map(|p| format!("{p:?}")).collect();
    format!("[{}]", quoted.join(" "))
}

impl ApiError {
    /// A 400 of the given type.
    pub fn bad_request(error_type: &'static str, message: impl Into<String>, hint: Value) -> Self {
        let status = match error_type {
            "rate-limited" | "timeout" => 429,
            _ => 400,
        };
        ApiError::Instant { status, error_type, message: message.into(), hint }
    }

    /// `param-missing` (§2.4): `Missing parameter: ["headers" "app-id"]`.
    pub fn param_missing(path: &[&str], extra_hint: Option<Value>) -> Self {
        let mut hint = Map::new();
        hint.insert("in".into(), json!(path));
        if let Some(Value::Object(extra)) = extra_hint {
            hint.extend(extra);
        }
        Self::bad_request("param-missing", format!("Missing parameter: {}", clojure_path(path)), Value::Object(hint))
    }

    /// `param-malformed` (§2.4): the hint echoes the original input.
    pub fn param_malformed(path: &[&str], original: Value, extra_hint: Option<Value>) -> Self {
        let mut hint = Map::new();
        hint.insert("in".into(), json!(path));
        if let Some(Value::Object(extra)) = extra_hint {
            hint.extend(extra);
        }
        hint.insert("original-input".into(), original);
        Self::bad_request("param-malformed", format!("Malformed parameter: {}", clojure_path(path)), Value::Object(hint))
    }

    /// `validation-failed` (§2.4): the message joins every error entry's `message`.
    pub fn validation(data_type: &str, input: Value, errors: Vec<Value>) -> Self {
        let messages: Vec<&str> = errors.iter().filter_map(|e| e.get("message").and_then(Value::as_str)).collect();
        let mut message = format!("Validation failed for {data_type}");
        if !messages.is_empty() {
            message.push_str(": ");
            message.push_str(&messages.join(", "));
        }
        Self::bad_request("validation-failed", message, json!({"data-type": data_type, "input": input, "errors": errors}))
    }

    /// A `validation-failed` with one message.
    pub fn validation_msg(data_type: &str, input: Value, message: impl Into<String>) -> Self {
        Self::validation(data_type, input, vec![json!({"message": message.into()})])
    }

    /// `record-not-found` (§2.4): `Record not found: <record-type>`.
    pub fn record_not_found(record_type: &str, extra_hint: Value) -> Self {
        let mut hint = match extra_hint {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        hint.insert("record-type".into(), json!(record_type));
        Self::bad_request("record-not-found", format!("Record not found: {record_type}"), Value::Object(hint))
    }

    /// An untyped failure (spec §2.1): 500 `unknown`.
    pub fn unknown() -> Self {
        ApiError::Instant {
            status: 500,
            error_type: "unknown",
            message: "Something went wrong. Sorry about this!".into(),
            hint: json!({"debug-uri": "instant-emulator: see the emulator's stderr"}),
        }
    }

    /// HTTP status of this error.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Instant { status, .. } => *status,
            ApiError::RouteNotFound => 404,
            ApiError::MalformedJson => 400,
            ApiError::PayloadTooLarge { .. } => 413,
        }
    }

    /// The `type` field, when the error has one.
    pub fn error_type(&self) -> Option<&'static str> {
        match self {
            ApiError::Instant { error_type, .. } => Some(error_type),
            ApiError::PayloadTooLarge { .. } => Some("payload-too-large"),
            _ => None,
        }
    }
}
