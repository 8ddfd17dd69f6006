//! Fault injection over HTTP (`crate::faults`): the middleware that answers faulted requests,
//! and the control routes that arm and clear faults.
//!
//! A faulted request gets the fault's status with an Instant-shaped body,
//! `{"type", "message", "hint": null, "trace-id"}`, before any of its own checks run. CORS
//! still applies (the middleware sits inside the CORS layer), so browser clients see it.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::control::{answer, control_error, parse_body};
use super::{json_response, trace_id};
use crate::faults::Fault;
use crate::Emulator;

/// The middleware: a request that runs into an armed fault gets its answer instead.
pub async fn inject(State(emulator): State<Emulator>, request: Request<Body>, next: Next) -> Response {
    let header = request.headers().get("app-id").and_then(|v| v.to_str().ok());
    let app_id = crate::request_log::app_id_of(header, request.uri().query().unwrap_or(""));
    let fault = emulator.faults().hit(request.method().as_str(), request.uri().path(), app_id.as_deref(), Instant::now());
    let Some(fault) = fault else { return next.run(request).await };
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    json_response(status, &json!({"type": fault.error_type, "message": fault.message, "hint": null, "trace-id": trace_id()}))
}

/// `POST /__emulator/faults`: arms a fault; answers it as stored.
pub async fn arm(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let now = Instant::now();
        let fault = Fault::parse(&body, now).map_err(control_error)?;
        let wire = fault.to_wire(now);
        emulator.faults().add(fault);
        Ok(wire)
    })())
}

/// `GET /__emulator/faults`: `{"faults": [...]}`, the ones still armed.
pub async fn list(State(emulator): State<Emulator>) -> Response {
    let now = Instant::now();
    let mut faults = emulator.faults();
    let list: Vec<_> = faults.active(now).iter().map(|f| f.to_wire(now)).collect();
    answer(Ok(json!({ "faults": list })))
}

/// `DELETE /__emulator/faults`: `{"cleared": n}`.
pub async fn clear(State(emulator): State<Emulator>) -> Response {
    let cleared = emulator.faults().clear();
    answer(Ok(json!({ "cleared": cleared })))
}
