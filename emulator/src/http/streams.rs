//! `POST /admin/sse` and `POST /admin/sse/push` (spec §3.6, §4.3): the streams channel, over
//! the engine's [`crate::streams`].
//!
//! `/admin/sse` is checked like `/admin/subscribe-query` (app id → auth, scope `data-read`,
//! impersonation honoured) and answers a 200 event stream: `retry:500`, `sse-init` (with the
//! `sse-token`), then whatever the pushed messages answer, with keep-alive comments in between.
//! The session ends with the connection. `/admin/sse/push` checks no admin token: the app id
//! (query `app_id`), the body's `machine_id`/`session_id`/`sse_token` and `messages`, then
//! runs the messages and answers `{}`.
//!
//! `GET /__emulator/streams?app-id=` shows the streams (test-only control route).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::{interval_at, Instant, MissedTickBehavior};
use uuid::Uuid;

use super::admin::{respond, JsonRequest};
use super::sse::{self, SseBody, StreamGuard};
use super::{auth, not_found, ok_json, trace_id, Params};
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::platform::Scope;
use crate::streams::PushRefused;
use crate::values::coerce_uuid;
use crate::Emulator;

/// Frames buffered for a slow client before the session's task waits.
const BUFFERED_FRAMES: usize = 64;

/// The control route.
pub fn routes() -> Router<Emulator> {
    Router::new().route("/__emulator/streams", get(list).fallback(not_found))
}

/// `POST /admin/sse`.
pub async fn open(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let checked = catch_unwind(AssertUnwindSafe(|| -> ApiResult<Caller> {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        auth::app_id_untrusted(&request.headers, &request.params)?;
        auth::caller(&emulator.store(), &request.headers, &request.params, Scope::DataRead)
    }));
    let caller = match checked {
        Ok(Ok(caller)) => caller,
        Ok(Err(error)) => return error.into_response(),
        Err(_) => return ApiError::unknown().into_response(),
    };
    // Registered with the live streams too, so `/__emulator/sse/drop` cuts it like any stream.
    let (id, signals) = emulator.live().open(caller.app_id);
    let guard = StreamGuard { emulator: emulator.clone(), id };
    let (info, mut outbox) = emulator.streams().open_session(caller, emulator.machine_id());
    let (frames, receiver) = mpsc::channel(BUFFERED_FRAMES);
    let body = SseBody::new(receiver, signals.clone(), guard);
    let task_emulator = emulator.clone();
    tokio::spawn(async move {
        // The session goes when this task ends: the client left or the stream was cut.
        struct Close(Emulator, Uuid);
        impl Drop for Close {
            fn drop(&mut self) {
                self.0.streams().close_session(self.1);
            }
        }
        let _close = Close(task_emulator.clone(), info.session_id);
        let init = json!({
            "op": "sse-init",
            "machine-id": info.machine_id.to_string(),
            "session-id": info.session_id.to_string(),
            "sse-token": info.sse_token.to_string(),
            "trace-id": trace_id(),
        });
        let send = |frame: Bytes| {
            let frames = frames.clone();
            let signals = signals.clone();
            async move {
                if signals.is_killed() {
                    return false;
                }
                tokio::select! {
                    sent = frames.send(frame) => sent.is_ok(),
                    _ = signals.kill.notified() => false,
                }
            }
        };
        if !send(sse::retry_frame(sse::RETRY_MS)).await || !send(sse::data_frame(&init)).await {
            return;
        }
        let period = Duration::from_millis(task_emulator.config().sse_keepalive_ms.max(1));
        let mut keepalive = interval_at(Instant::now() + period, period);
        keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let frame = tokio::select! {
                _ = frames.closed() => return,
                _ = signals.kill.notified() => return,
                message = outbox.recv() => match message {
                    Some(mut message) => {
                        if let Some(fields) = message.as_object_mut() {
                            fields.insert("trace-id".into(), json!(trace_id()));
                        }
                        sse::data_frame(&message)
                    }
                    None => return,
                },
                _ = keepalive.tick() => Bytes::from_static(sse::KEEPALIVE),
            };
            if !send(frame).await {
                return;
            }
        }
    });
    sse::response(body)
}

/// A required body UUID (`get-param!` with `coerce-uuid`).
fn body_uuid(request: &JsonRequest, name: &str) -> ApiResult<Uuid> {
    let value = request.required(name, |_| true)?;
    value.as_str().and_then(coerce_uuid).ok_or_else(|| ApiError::param_malformed(&["body", name], value.clone(), None))
}

/// `POST /admin/sse/push`. Order: app id (rate-limit wrapper) → query `app_id` → body →
/// machine → session and token → the messages.
pub async fn push(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        auth::app_id_untrusted(&request.headers, &request.params)?;
        let app_id = match request.params.get("app_id") {
            None => return Err(ApiError::param_missing(&["params", "app_id"], None)),
            Some(raw) => coerce_uuid(raw).ok_or_else(|| ApiError::param_malformed(&["params", "app_id"], json!(raw), None))?,
        };
        let machine_id = body_uuid(&request, "machine_id")?;
        let session_id = body_uuid(&request, "session_id")?;
        let sse_token = body_uuid(&request, "sse_token")?;
        let messages = request.required("messages", Value::is_array)?.as_array().cloned().unwrap_or_default();
        let streams = emulator.streams();
        match streams.check_push(emulator.machine_id(), app_id, machine_id, session_id, sse_token) {
            Ok(()) => {}
            Err(PushRefused::MemberMissing) => {
                return Err(ApiError::bad_request(
                    "member-missing",
                    format!("Member missing for machine id: {machine_id}"),
                    json!({"machine-id": machine_id.to_string()}),
                ))
            }
            Err(PushRefused::SessionMissing) => {
                return Err(ApiError::bad_request(
                    "session-missing",
                    format!("Session missing for id: {session_id}"),
                    json!({"session-id": session_id.to_string()}),
                ))
            }
        }
        streams.handle(&emulator, session_id, &messages);
        Ok(json!({}))
    })
}

/// `GET /__emulator/streams?app-id=`: `{"sessions": n, "streams": [...]}`.
async fn list(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let app_id = match params.get("app-id") {
        None => None,
        Some(raw) => match coerce_uuid(raw) {
            Some(id) => Some(id),
            None => return ApiError::param_malformed(&["query-params", "app-id"], json!(raw), None).into_response(),
        },
    };
    ok_json(emulator.streams().describe(app_id))
}
