//! Pure response decoding: a 200 is the result; anything else becomes [`Error::Api`] the way
//! `@instantdb/admin` builds `InstantAPIError` (spec §2.5).

use crate::error::{Error, Result};
use crate::transport::{self, HttpResponse, Json};
use crate::Value;

/// The parsed JSON of a 200 answer, or a decode error that points at the API base.
pub fn success(response: &HttpResponse) -> Result<Json> {
    if let Some(json) = &response.json {
        return Ok(json.clone());
    }
    transport::parse(&response.body).ok_or_else(|| {
        let mut message = String::from("the server answered 200 with a body that is not JSON; check apiURI points at an Instant server (");
        message.push_str(&snippet(&response.body));
        message.push(')');
        Error::Decode { message }
    })
}

/// The error for a non-200 answer.
///
/// ```
/// use instant_edge::{response, transport::HttpResponse};
/// let err = response::failure(&HttpResponse {
///     status: 400,
///     retry_after: None,
///     body: r#"{"type":"param-missing","message":"Missing parameter","hint":null,"trace-id":"abc"}"#.into(),
///     json: None,
/// });
/// assert_eq!(err.status(), 400);
/// assert_eq!(err.error_type(), Some("param-missing"));
/// ```
pub fn failure(response: &HttpResponse) -> Error {
    let body = match transport::parse(&response.body).map(|json| transport::to_value(&json)) {
        Some(Ok(body @ Value::Object(_))) => body,
        _ => Value::object([("type", Value::Null), ("message", Value::String(response.body.clone()))]),
    };
    api_error(response.status, body)
}

/// The error for an error body with `status` (also what an `error` event of a live query
/// carries).
pub fn api_error(status: u16, body: Value) -> Error {
    let error_type = body.get("type").and_then(Value::as_str).map(str::to_owned);
    let message = match body.get("message").and_then(Value::as_str) {
        Some(message) if !message.is_empty() => message.to_owned(),
        _ => {
            let mut m = String::from("API Error (");
            m.push_str(&status.to_string());
            m.push(')');
            m
        }
    };
    let hint = body.get("hint").cloned().unwrap_or(Value::Null);
    let trace_id = body.get("traceId").or_else(|| body.get("trace-id")).and_then(Value::as_str).map(str::to_owned);
    Error::Api { status, error_type, message, hint, trace_id, body }
}

/// Replaces every occurrence of `secret` in the error's message, hint and body with `***`: the
/// server echoes a rejected admin token back in its hint (spec §1.5), and errors get logged.
pub fn redact(error: &mut Error, secret: &str) {
    if secret.is_empty() {
        return;
    }
    if let Error::Api { message, hint, body, .. } = error {
        redact_text(message, secret);
        redact_value(hint, secret);
        redact_value(body, secret);
    }
}

/// A plain window scan: `str::replace` brings the two-way string searcher, ~5 KB gzip of wasm.
pub(crate) fn redact_text(text: &mut String, secret: &str) {
    let needle = secret.as_bytes();
    if needle.is_empty() {
        return;
    }
    let mut out: Option<String> = None;
    let mut start = 0;
    let mut at = 0;
    while at + needle.len() <= text.len() {
        if text.as_bytes()[at..at + needle.len()] == *needle {
            let out = out.get_or_insert_with(String::new);
            // `at` and `start` are on char boundaries: the needle is a whole UTF-8 string.
            out.push_str(text.get(start..at).unwrap_or_default());
            out.push_str("***");
            at += needle.len();
            start = at;
        } else {
            at += 1;
        }
    }
    if let Some(mut out) = out {
        out.push_str(text.get(start..).unwrap_or_default());
        *text = out;
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

    fn answer(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, retry_after: None, body: body.into(), json: None }
    }

    #[test]
    fn non_json_error_bodies_become_type_null() {
        let err = failure(&answer(400, "Malformed JSON in request body."));
        let Error::Api { message, body, error_type, .. } = &err else { panic!("{err:?}") };
        assert_eq!(message, "Malformed JSON in request body.");
        assert_eq!(error_type, &None);
        assert_eq!(body.get("type"), Some(&Value::Null));
    }

    #[test]
    fn empty_message_falls_back_to_status() {
        assert_eq!(failure(&answer(502, "")).to_string(), "API Error (502)");
        assert_eq!(
            failure(&answer(404, r#"{"message":"Oops! We couldn't match this route."}"#)).to_string(),
            "Oops! We couldn't match this route."
        );
    }

    #[test]
    fn redaction_replaces_every_occurrence() {
        let mut text = String::from("Bearer sekrit, again sekrit; é sekrit");
        redact_text(&mut text, "sekrit");
        assert_eq!(text, "Bearer ***, again ***; é ***");
        let mut untouched = String::from("nothing here");
        redact_text(&mut untouched, "sekrit");
        assert_eq!(untouched, "nothing here");
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        let token = "0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0";
        let body = format!(
            r#"{{"type":"record-not-found","message":"Record not found: app-admin-token","hint":{{"args":[{{"token":"{token}"}}]}}}}"#
        );
        let mut err = failure(&answer(400, &body));
        redact(&mut err, token);
        assert!(!format!("{err:?}").contains(token), "{err:?}");
        let Error::Api { hint, .. } = &err else { panic!() };
        assert!(format!("{hint:?}").contains("***"));
    }

    #[test]
    fn html_200_is_a_decode_error_about_the_base() {
        let err = success(&answer(200, "<!doctype html><html>")).unwrap_err();
        assert_eq!(err.kind(), "decode");
        assert!(err.to_string().contains("check apiURI"), "{err}");
    }
}
