use serde::{Deserialize, Serialize};

/// The body of an error answered by the Instant server (spec §2.1).
///
/// `hint` is kept as whatever JSON the server sent (`H` is `serde_json::Value` natively, a JS
/// value in the wasm build), so unknown hint shapes are never fatal.
///
/// ```
/// use instant_edge::models::ErrorBody;
/// let body: ErrorBody<serde_json::Value> = serde_json::from_str(
///     r#"{"type":"param-missing","message":"Missing parameter: [\"body\" \"query\"]","hint":null}"#,
/// ).unwrap();
/// assert_eq!(body.error_type.as_deref(), Some("param-missing"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody<H> {
    /// Kebab-case error type (`validation-failed`, `record-not-found`, ...). Absent on the 404 body.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// Human-readable message.
    pub message: String,
    /// Structured detail; the key is always present on Instant errors, possibly `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<H>,
    /// Opaque trace id for support requests.
    #[serde(rename = "trace-id", default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}
