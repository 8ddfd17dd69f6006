//! The request log over HTTP (`crate::request_log`): the middleware that records each request
//! with the status it was answered, and the control routes that read and clear the log.
//!
//! The middleware sits outside the fault and CORS layers, so faulted requests and CORS
//! preflights are recorded with the status they really got. It copies the headers only, never
//! the body, and takes the log's lock once per request, after the answer is made.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{json, Value};

use super::control::{answer, control_error};
use super::Params;
use crate::request_log::{is_recorded, RequestRecord};
use crate::Emulator;

/// The middleware: records every request outside the control surface.
pub async fn record(State(emulator): State<Emulator>, request: Request<Body>, next: Next) -> Response {
    if !is_recorded(request.uri().path()) {
        return next.run(request).await;
    }
    // The request moves into the handler, so what the log keeps of it is copied now; the
    // status is filled in once there is one.
    let uri = request.uri();
    let headers = request.headers().iter().map(|(name, value)| (name.as_str(), value.as_bytes()));
    let mut record = RequestRecord::new(request.method().as_str(), uri.path(), uri.query().unwrap_or(""), headers, 0);
    let response = next.run(request).await;
    record.status = response.status().as_u16();
    emulator.requests().push(record);
    response
}

/// `GET /__emulator/requests?app-id=&path-prefix=`: `{"requests": [...]}`, oldest first.
pub async fn list(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>) -> Response {
    answer((|| {
        let Query(params) = params.map_err(|_| control_error("the query string must be `app-id` and/or `path-prefix`"))?;
        if let Some(unknown) = params.keys().find(|key| !["app-id", "path-prefix"].contains(&key.as_str())) {
            return Err(control_error(format!("unknown parameter `{unknown}` (known: `app-id`, `path-prefix`)")));
        }
        let app_id = params.get("app-id").map(String::as_str);
        if app_id.is_some_and(|id| id.trim().is_empty()) {
            return Err(control_error("`app-id` must not be blank"));
        }
        let path_prefix = params.get("path-prefix").map(String::as_str);
        if path_prefix.is_some_and(|prefix| !prefix.starts_with('/')) {
            return Err(control_error("`path-prefix` must be a path starting with `/`"));
        }
        let log = emulator.requests();
        let requests: Vec<Value> = log.list(app_id, path_prefix).into_iter().map(RequestRecord::to_wire).collect();
        Ok(json!({ "requests": requests }))
    })())
}

/// `DELETE /__emulator/requests`: `{"cleared": n}`.
pub async fn clear(State(emulator): State<Emulator>) -> Response {
    let cleared = emulator.requests().clear();
    answer(Ok(json!({ "cleared": cleared })))
}
