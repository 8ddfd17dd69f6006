//! Pure response decoding: a 200 is the result; anything else becomes [`Error::Api`] the way
//! `@instantdb/admin` builds `InstantAPIError` (spec §2.5).

use crate::error::{Error, Result};
use crate::transport::{self, HttpResponse, Json};
use crate::Value;

/// The parsed JSON of a 200 answer, or a decode error that points at the API base.
pub fn success(response: &HttpResponse) -> Result<Json> {
    transport::parse(&response.body).ok_or_else(|| {
        let mut message = String::from(
            "the server answered 200 with a body that is not JSON; check apiURI points at an Instant server (",
        );
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
/// });
/// assert_eq!(err.status(), 400);
/// assert_eq!(err.error_type(), Some("param-missing"));
/// ```
pub fn failure(response: &HttpResponse) -> Error {
    let status = response.status;
    let body = match transport::parse(&response.body).map(|json| transport::to_value(&json)) {
        Some(Ok(body @ Value::Object(_))) => body,
        _ => Value::object([("type", Value::Null), ("message", Value::String(response.body.clone()))]),
    };
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
    let trace_id = body
        .get("traceId")
        .or_else(|| body.get("trace-id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Error::Api { status, error_type, message, hint, trace_id, body }
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
        HttpResponse { status, retry_after: None, body: body.into() }
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
        assert_eq!(failure(&answer(404, r#"{"message":"Oops! We couldn't match this route."}"#)).to_string(),
            "Oops! We couldn't match this route.");
    }

    #[test]
    fn html_200_is_a_decode_error_about_the_base() {
        let err = success(&answer(200, "<!doctype html><html>")).unwrap_err();
        assert_eq!(err.kind(), "decode");
        assert!(err.to_string().contains("check apiURI"), "{err}");
    }
}
