//! Pure response decoding: a non-200 answer becomes [`Error::Api`] the way `@instantdb/admin`
//! builds `InstantAPIError` (spec §2.5); a 200 that is not JSON says to check the API base.
//! The host parses the text; this decides what it means.

use crate::error::{ApiError, Error};
use crate::http::redact_text;
use crate::prelude::*;
use crate::Value;

/// The decode error for a 200 whose body is not JSON: the API base is probably wrong.
///
/// ```
/// let err = instant_edge::response::not_json("<!doctype html>");
/// assert!(err.to_string().contains("check apiURI"));
/// ```
pub fn not_json(body: &str) -> Error {
    let mut message = String::from("the server answered 200 with a body that is not JSON; check apiURI points at an Instant server (");
    message.push_str(&snippet(body));
    message.push(')');
    Error::Decode { message }
}

/// The error for a non-200 answer: `parsed` is the body as JSON, when it was JSON.
///
/// ```
/// use instant_edge::{response, value};
/// let body = value!({ "type": "param-missing", "message": "Missing parameter", "hint": null, "trace-id": "abc" });
/// let err = response::failure(400, Some(body), "");
/// assert_eq!(err.status(), 400);
/// assert_eq!(err.error_type(), Some("param-missing"));
/// ```
pub fn failure(status: u16, parsed: Option<Value>, text: &str) -> Error {
    let body = match parsed {
        Some(body @ Value::Object(_)) => body,
        _ => Value::object([("type", Value::Null), ("message", Value::from(text))]),
    };
    api_error(status, body)
}

/// The error for an error body with `status` (also what an `error` event of a live query
/// carries).
pub fn api_error(status: u16, body: Value) -> Error {
    let error_type = body.get("type").and_then(Value::as_str).map(str::to_owned);
    let message = match body.get("message").and_then(Value::as_str) {
        Some(message) if !message.is_empty() => message.to_owned(),
        _ => {
            let mut m = String::from("API Error (");
            crate::value::push_number(&mut m, u64::from(status));
            m.push(')');
            m
        }
    };
    let hint = body.get("hint").cloned().unwrap_or(Value::Null);
    let trace_id = body.get("traceId").or_else(|| body.get("trace-id")).and_then(Value::as_str).map(str::to_owned);
    Error::Api(Box::new(ApiError { status, error_type, message, hint, trace_id, body }))
}

/// Replaces every occurrence of `secret` in the error's message, hint and body with `***`: the
/// server echoes a rejected admin token back in its hint (spec §1.5), and errors get logged.
pub fn redact(error: &mut Error, secret: &str) {
    if secret.is_empty() {
        return;
    }
    if let Error::Api(api) = error {
        redact_text(&mut api.message, secret);
        redact_value(&mut api.hint, secret);
        redact_value(&mut api.body, secret);
    }
}

fn redact_value(value: &mut Value, secret: &str) {
    match value {
        Value::String(text) => redact_text(text, secret),
        Value::Array(items) => items.iter_mut().for_each(|item| redact_value(item, secret)),
        Value::Object(entries) => entries.iter_mut().for_each(|(_, item)| redact_value(item, secret)),
        _ => {}
    }
}

/// The first 80 characters, for messages.
fn snippet(body: &str) -> String {
    let mut out: String = body.chars().take(80).collect();
    if body.chars().nth(80).is_some() {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("empty body");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Error {
        failure(status, serde_json::from_str(body).ok(), body)
    }

    #[test]
    fn non_json_error_bodies_become_type_null() {
        let err = answer(400, "Malformed JSON in request body.");
        let Error::Api(api) = &err else { panic!("{err:?}") };
        assert_eq!(api.message, "Malformed JSON in request body.");
        assert_eq!(api.error_type, None);
        assert_eq!(api.body.get("type"), Some(&Value::Null));
    }

    #[test]
    fn empty_message_falls_back_to_status() {
        assert_eq!(answer(502, "").to_string(), "API Error (502)");
        assert_eq!(answer(404, r#"{"message":"Oops! We couldn't match this route."}"#).to_string(), "Oops! We couldn't match this route.");
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        let token = "0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0";
        let body = format!(
            r#"{{"type":"record-not-found","message":"Record not found: app-admin-token","hint":{{"args":[{{"token":"{token}"}}]}}}}"#
        );
        let mut err = answer(400, &body);
        redact(&mut err, token);
        assert!(!format!("{err:?}").contains(token), "{err:?}");
        let Error::Api(api) = &err else { panic!() };
        assert!(format!("{:?}", api.hint).contains("***"));
    }

    #[test]
    fn html_200_is_a_decode_error_about_the_base() {
        let err = not_json("<!doctype html><html>");
        assert_eq!(err.kind(), "decode");
        assert!(err.to_string().contains("check apiURI"), "{err}");
    }
}
