//! The HTTP face of the emulator: routes, body decoding, CORS and error rendering, as the real
//! server does them (spec §1, §2).

mod admin;
mod auth;
mod control;
mod cors;
mod faults;
mod perms_check;
mod platform;
mod platform_control;
mod platform_oauth;
mod platform_schema;
mod request_log;
mod rooms;
mod schema;
mod sse;
mod storage;
mod streams;
mod subscribe;
mod users;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{HeaderValue, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::Emulator;

/// Builds the router: admin routes, the Platform app and OAuth routes, the control surface, injected faults, CORS, the request
/// log and the 404 fallback.
///
/// The request log is the outermost layer, so it sees each request with the status it was
/// finally answered, by a fault or by CORS included.
///
/// `DefaultBodyLimit` only caps the extractors that buffer a body (`Bytes`). The upload route
/// takes the raw `Body` instead and streams it under the same limit itself (`http/storage.rs`),
/// so no layer here buffers an upload or caps it below `max_body_bytes`.
pub fn router(emulator: Emulator) -> Router {
    let limit = emulator.config().max_body_bytes;
    Router::new()
        .route("/admin/query", post(admin::query).fallback(not_found))
        .route("/admin/transact", post(admin::transact).fallback(not_found))
        .route("/admin/subscribe-query", post(subscribe::subscribe_query).fallback(not_found))
        .route("/admin/sse", post(streams::open).fallback(not_found))
        .route("/admin/sse/push", post(streams::push).fallback(not_found))
        .route("/admin/query_perms_check", post(perms_check::query_perms_check).fallback(not_found))
        .route("/admin/transact_perms_check", post(perms_check::transact_perms_check).fallback(not_found))
        .route("/admin/rooms/presence", get(rooms::presence).fallback(not_found))
        .route("/admin/schema", get(schema::schema).fallback(not_found))
        .route("/admin/soft_deleted_attrs", get(schema::soft_deleted_attrs).fallback(not_found))
        .route("/admin/refresh_tokens", post(users::refresh_tokens).fallback(not_found))
        .route("/admin/users", get(users::get_user).delete(users::delete_user).fallback(not_found))
        .route("/admin/sign_out", post(users::sign_out).fallback(not_found))
        .route("/admin/magic_code", post(users::generate_magic_code).fallback(not_found))
        .route("/admin/send_magic_code", post(users::send_magic_code).fallback(not_found))
        .route("/admin/verify_magic_code", post(users::verify_magic_code).fallback(not_found))
        .route("/admin/sign_in_guest", post(users::sign_in_guest).fallback(not_found))
        .route("/runtime/auth/verify_refresh_token", post(users::verify_refresh_token).fallback(not_found))
        .route("/admin/storage/upload", put(storage::upload).fallback(not_found))
        .route("/admin/storage/files", get(storage::list_files).delete(storage::delete_file).fallback(not_found))
        .route("/admin/storage/files/delete", post(storage::delete_files).fallback(not_found))
        .route("/admin/storage/signed-download-url", get(storage::signed_download_url).fallback(not_found))
        .route(&format!("{}/{{app_id}}/{{location_id}}", crate::storage::FILES_ROUTE), get(storage::download).fallback(not_found))
        .merge(platform::routes())
        .merge(platform_schema::routes())
        .merge(platform_oauth::routes())
        .merge(control::routes())
        .merge(streams::routes())
        .merge(platform_control::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(emulator.clone(), faults::inject))
        .layer(axum::middleware::from_fn(cors::cors))
        .layer(axum::middleware::from_fn_with_state(emulator.clone(), request_log::record))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(emulator)
}

async fn not_found() -> Response {
    ApiError::RouteNotFound.into_response()
}

/// A JSON response with the real server's content type and status 200.
pub fn ok_json(value: Value) -> Response {
    json_response(StatusCode::OK, &value)
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut response = (status, text).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

fn trace_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        match self {
            ApiError::Instant { error_type, message, hint, .. } => {
                json_response(status, &json!({"type": error_type, "message": message, "hint": hint, "trace-id": trace_id()}))
            }
            ApiError::RouteNotFound => json_response(status, &json!({"message": "Oops! We couldn't match this route."})),
            ApiError::MalformedJson => {
                let mut response = (status, "Malformed JSON in request body.").into_response();
                response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                response
            }
            ApiError::PayloadTooLarge { limit } => json_response(
                status,
                &json!({
                    "type": "payload-too-large",
                    "message": format!("The request body is larger than this emulator accepts ({limit} bytes)."),
                    "hint": {"limit-bytes": limit, "see": "--max-body-bytes"},
                    "trace-id": trace_id(),
                }),
            ),
        }
    }
}

/// Where the caller reached the emulator: `http://` and the request's `Host` header. URLs the
/// emulator hands out (`$files.url`) are built on it, so they work through whatever address,
/// port mapping or proxy the caller used.
pub fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(HOST).and_then(|v| v.to_str().ok()).map(str::trim).filter(|h| !h.is_empty());
    format!("http://{}", host.unwrap_or("localhost"))
}

/// The permission context of a request (spec §9.3): `caller` under its app's rules, with
/// `request.time` from the emulator's clock, `request.origin` from the `Origin` header and
/// `request.ip` from `X-Forwarded-For` (the emulator runs behind no proxy of its own; empty
/// when absent).
pub fn access(app: &crate::store::App, caller: &crate::caller::Caller, now_ms: i64, headers: &HeaderMap) -> crate::rules::Access {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let origin = header("origin").map(str::to_owned);
    let ip = header("x-forwarded-for").and_then(|v| v.split(',').next()).map(|v| v.trim().to_owned());
    crate::rules::Access::new(app, caller, now_ms).with_request(ip, origin)
}

/// Query-string parameters (`?app_id=...`).
pub type Params = HashMap<String, String>;

/// Decodes a request body as ring-json does (§1.2): only JSON content types are parsed; anything
/// else reads as "no body", so every body parameter is missing.
pub fn decode_json_body(headers: &HeaderMap, body: &Bytes) -> Result<Option<Value>, ApiError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !is_json_content_type(content_type) {
        return Ok(None);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if nesting_depth(body) > MAX_BODY_DEPTH {
        return Err(ApiError::MalformedJson);
    }
    let mut reader = serde_json::Deserializer::from_slice(body);
    reader.disable_recursion_limit();
    let value = serde::Deserialize::deserialize(&mut reader).map_err(|_| ApiError::MalformedJson)?;
    reader.end().map_err(|_| ApiError::MalformedJson)?;
    Ok(Some(value))
}

/// How deep a body may nest: serde_json alone stops at 128; the real server's reader (Jackson)
/// at 1,000, which the parser's recursion cannot reach on a 2 MiB thread stack in a debug
/// build, so the emulator stops at 512.
const MAX_BODY_DEPTH: usize = 512;

/// The deepest nesting of arrays and objects in JSON text (brackets inside strings skipped); the
/// parser itself then runs without its recursion limit, within this bound.
fn nesting_depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in text {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// `^application/(.+\+)?json` (ring-json `json-request?`), parameters after `;` allowed.
fn is_json_content_type(content_type: &str) -> bool {
    let Some(rest) = content_type.trim_start().to_ascii_lowercase().strip_prefix("application/").map(str::to_owned) else {
        return false;
    };
    if rest.starts_with("json") {
        return true;
    }
    match rest.find("+json") {
        Some(at) => at > 0,
        None => false,
    }
}

/// `coerce-non-blank-str`: trimmed, `None` when blank.
fn non_blank(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// `get-param!` with `coerce-non-blank-str`: absent → `param-missing`; present but blank →
/// `param-malformed` (an empty string is still "present" to Clojure).
fn required_text(raw: Option<String>, path: &[&str]) -> Result<String, ApiError> {
    let Some(raw) = raw else { return Err(ApiError::param_missing(path, None)) };
    non_blank(&raw).ok_or_else(|| ApiError::param_malformed(path, json!(raw), None))
}

/// Truthiness as Clojure sees JSON: `false`, `null` and absence are false, all else true.
pub fn truthy(value: Option<&Value>) -> bool {
    !matches!(value, None | Some(Value::Null) | Some(Value::Bool(false)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_nest_to_the_real_servers_depth() {
        let nested = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        assert_eq!(nesting_depth(br#"{"a": "[[[{{", "b": [1, {"c": "\"]"}]}"#), 3);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let decode = |text: String| decode_json_body(&headers, &Bytes::from(text));
        assert!(matches!(decode(nested(200)), Ok(Some(_))), "200 levels: past serde_json's own 128");
        assert!(matches!(decode(nested(MAX_BODY_DEPTH)), Ok(Some(_))));
        assert!(matches!(decode(nested(MAX_BODY_DEPTH + 1)), Err(ApiError::MalformedJson)));
        assert!(matches!(decode("[1] [2]".into()), Err(ApiError::MalformedJson)), "trailing data");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("application/json; charset=utf-8"));
        assert!(is_json_content_type("application/vnd.api+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/+json"));
        assert!(!is_json_content_type(""));
    }
}
