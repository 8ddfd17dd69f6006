//! `POST /admin/subscribe-query` (spec §3.3, §4.2): a live query over server-sent events.
//!
//! The request is checked like `/admin/query` (app id → `query` → auth); those failures are
//! ordinary JSON answers. Otherwise the answer is a 200 event stream, driven by one task per
//! connection: `retry:500`, `sse-init`, then `add-query-ok` (or an `error` event, after which the
//! query is dropped but the stream stays open), then a `refresh-ok` whenever a committed write
//! changes the result, and keep-alive comments in between. The task recomputes only when a
//! write touched a namespace the query reads ([`crate::live`]), evaluates with the
//! subscription's own permission context, and sends only results that differ from the last one
//! sent. The stream and its subscription end when the client goes away.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::{interval_at, Instant, MissedTickBehavior};
use uuid::Uuid;

use super::admin::{app_or_empty, JsonRequest};
use super::sse::{self, SseBody, StreamGuard};
use super::{auth, origin, trace_id, truthy, Params};
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::live::Signals;
use crate::platform::Scope;
use crate::{query as instaql, Emulator};

/// Frames buffered for a slow client before the session waits (changes keep coalescing
/// meanwhile, so a slow reader gets fewer, newer results rather than a growing backlog).
const BUFFERED_FRAMES: usize = 64;

/// What a subscription was asked for, fixed when it opens (the real session keeps the
/// request's permission context and `inference?`, spec §4.2).
struct Subscription {
    query: Value,
    inference: bool,
    caller: Caller,
    /// Where the client reached the emulator, for `$files` URLs (spec §8.2).
    origin: String,
}

/// `POST /admin/subscribe-query`.
pub async fn subscribe_query(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let checked = catch_unwind(AssertUnwindSafe(|| -> ApiResult<Subscription> {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        auth::app_id_untrusted(&request.headers, &request.params)?;
        let query = request.required("query", Value::is_object)?.clone();
        let inference = truthy(request.field("inference?"));
        let caller = auth::caller(&emulator.store(), &request.headers, &request.params, Scope::DataRead)?;
        Ok(Subscription { query, inference, caller, origin: origin(&request.headers) })
    }));
    let subscription = match checked {
        Ok(Ok(subscription)) => subscription,
        Ok(Err(error)) => return error.into_response(),
        Err(_) => return ApiError::unknown().into_response(),
    };
    let (id, signals) = emulator.live().open(subscription.caller.app_id);
    let guard = StreamGuard { emulator: emulator.clone(), id };
    let (frames, receiver) = mpsc::channel(BUFFERED_FRAMES);
    let session = Session {
        emulator,
        id,
        session_id: Uuid::new_v4(),
        client_event_id: Uuid::new_v4(),
        subscription,
        signals: signals.clone(),
        frames,
        last_sent: None,
    };
    tokio::spawn(session.run());
    sse::response(SseBody::new(receiver, signals, guard))
}

/// Why an evaluation gave no result: a typed Instant error, or a bug (a panic).
enum Failure {
    Typed(ApiError),
    Untyped,
}

/// A result with its `result-meta` and the transaction it reflects.
struct Evaluated {
    result: Value,
    meta: Value,
    tx_id: u64,
}

/// One connection's session.
struct Session {
    emulator: Emulator,
    /// The stream's id in the live registry.
    id: u64,
    session_id: Uuid,
    /// The `client-event-id` of the session's one `add-query`.
    client_event_id: Uuid,
    subscription: Subscription,
    signals: Arc<Signals>,
    frames: mpsc::Sender<Bytes>,
    /// The last result and meta sent, to send only changes.
    last_sent: Option<(Value, Value)>,
}

impl Session {
    async fn run(mut self) {
        let init = json!({
            "op": "sse-init",
            "machine-id": self.emulator.machine_id().to_string(),
            "session-id": self.session_id.to_string(),
            "sse-token": Uuid::new_v4().to_string(),
            "trace-id": trace_id(),
        });
        if !self.send(sse::retry_frame(sse::RETRY_MS)).await || !self.send(sse::data_frame(&init)).await {
            return;
        }
        let first = match self.evaluate() {
            Ok(evaluated) => {
                let message = self.add_query_ok(&evaluated);
                self.last_sent = Some((evaluated.result, evaluated.meta));
                message
            }
            Err(failure) => self.error(failure, self.add_query_event()),
        };
        if !self.send(sse::data_frame(&first)).await {
            return;
        }
        let period = Duration::from_millis(self.emulator.config().sse_keepalive_ms.max(1));
        let mut keepalive = interval_at(Instant::now() + period, period);
        keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let signals = self.signals.clone();
        loop {
            let frame = tokio::select! {
                _ = self.frames.closed() => return,
                _ = signals.kill.notified() => return,
                _ = signals.wake.notified(), if self.last_sent.is_some() => match self.refresh() {
                    Some(message) => sse::data_frame(&message),
                    None => continue,
                },
                _ = keepalive.tick() => Bytes::from_static(sse::KEEPALIVE),
            };
            if !self.send(frame).await {
                return;
            }
        }
    }

    /// Queues a frame; false once the client is gone or the stream was killed.
    async fn send(&self, frame: Bytes) -> bool {
        if self.signals.is_killed() {
            return false;
        }
        tokio::select! {
            sent = self.frames.send(frame) => sent.is_ok(),
            _ = self.signals.kill.notified() => false,
        }
    }

    /// Runs the query against the store as it is now, and (under the same lock, so no write
    /// can slip between the two) records which namespaces it reads — or that it has no live
    /// query any more when it failed, as the server drops a query whose evaluation throws.
    fn evaluate(&self) -> Result<Evaluated, Failure> {
        let Subscription { query, inference, caller, origin } = &self.subscription;
        let store = self.emulator.store();
        let app = app_or_empty(&store, caller.app_id);
        let access = crate::rules::Access::new(&app, caller, store.now_ms());
        let outcome = catch_unwind(AssertUnwindSafe(|| instaql::run_with_meta(&app, query, *inference, &access, origin)));
        // An impersonated reader's rules may read any namespace (`data.ref`, `auth`), so any
        // change in the app may change what it sees; an admin's result depends on its query alone.
        let reads = matches!(outcome, Ok(Ok(_))).then(|| match caller.admin {
            true => instaql::namespaces_read(&app, query),
            false => app.attrs.iter().map(|a| a.forward.etype.clone()).collect(),
        });
        self.emulator.live().set_reads(self.id, reads);
        match outcome {
            Ok(Ok((result, meta))) => Ok(Evaluated { result, meta, tx_id: store.last_tx_id() }),
            Ok(Err(error)) => Err(Failure::Typed(error)),
            Err(_) => Err(Failure::Untyped),
        }
    }

    /// The message for a wake-up: `refresh-ok` when the result changed, an `error` when the
    /// query now fails (it is then dropped), nothing when the result is the same.
    fn refresh(&mut self) -> Option<Value> {
        let started = std::time::Instant::now();
        match self.evaluate() {
            Ok(evaluated) => {
                let unchanged =
                    self.last_sent.as_ref().is_some_and(|(result, meta)| *result == evaluated.result && *meta == evaluated.meta);
                if unchanged {
                    return None;
                }
                let message = self.refresh_ok(&evaluated, started.elapsed().as_millis() as u64);
                self.last_sent = Some((evaluated.result, evaluated.meta));
                Some(message)
            }
            Err(failure) => {
                self.last_sent = None;
                let original = json!({"op": "refresh", "session-id": self.session_id.to_string()});
                Some(self.error(failure, original))
            }
        }
    }

    /// The `add-query` the server queues for the subscription's query (echoed by errors).
    fn add_query_event(&self) -> Value {
        json!({
            "op": "add-query",
            "q": self.subscription.query,
            "return-type": "tree",
            "client-event-id": self.client_event_id.to_string(),
            "session-id": self.session_id.to_string(),
        })
    }

    fn add_query_ok(&self, evaluated: &Evaluated) -> Value {
        json!({
            "op": "add-query-ok",
            "q": self.subscription.query,
            "result": evaluated.result,
            "result-meta": evaluated.meta,
            "processed-tx-id": evaluated.tx_id,
            "processed-isn": processed_isn(evaluated.tx_id),
            "client-event-id": self.client_event_id.to_string(),
            "trace-id": trace_id(),
        })
    }

    /// `refresh-ok` with one computation holding the full new result (spec §4.2). `attrs` is
    /// sent empty: clients ignore it.
    fn refresh_ok(&self, evaluated: &Evaluated, duration_ms: u64) -> Value {
        let query = &self.subscription.query;
        json!({
            "op": "refresh-ok",
            "processed-tx-id": evaluated.tx_id,
            "processed-isn": processed_isn(evaluated.tx_id),
            "computations": [{
                "instaql-query": query,
                "instaql-query-hash": crate::storage::java_string_hash(&query.to_string()),
                "instaql-result": evaluated.result,
                "result-meta": evaluated.meta,
                "result-changed?": true,
                "duration-ms": duration_ms,
                "instaql-topic?": true,
            }],
            "attrs": [],
            "trace-id": trace_id(),
        })
    }

    /// An `error` event (`handle-instant-exception` / `handle-uncaught-err`).
    fn error(&self, failure: Failure, original_event: Value) -> Value {
        let client_event_id = original_event.get("client-event-id").cloned().unwrap_or(Value::Null);
        let (status, error_type, message, hint) = match failure {
            Failure::Typed(ApiError::Instant { error_type, message, hint, .. }) => {
                (event_status(error_type), json!(error_type), json!(message), hint)
            }
            Failure::Typed(other) => (500, json!(other.error_type()), json!(format!("{other:?}")), Value::Null),
            Failure::Untyped => (500, Value::Null, json!("Yikes, something broke on our end! Sorry about that."), Value::Null),
        };
        json!({
            "op": "error",
            "status": status,
            "client-event-id": client_event_id,
            "original-event": original_event,
            "type": error_type,
            "message": message,
            "hint": hint,
            "trace-id": trace_id(),
        })
    }
}

/// The status an `error` event carries: 400 for the "bad request" family, 500 otherwise
/// (spec §4.2; `timeout` is 429 over HTTP but not in this family).
fn event_status(error_type: &str) -> u16 {
    let bad_request = error_type.starts_with("record-")
        || error_type.starts_with("permission-")
        || error_type.starts_with("app-")
        || error_type.starts_with("param-")
        || matches!(error_type, "sql-raise" | "rate-limited" | "validation-failed");
    if bad_request {
        400
    } else {
        500
    }
}

/// An ISN as the server prints one (`<slot>/<LSN>`, the LSN itself `hi/lo` in hex). Opaque to
/// clients; here it follows the transaction counter.
fn processed_isn(tx_id: u64) -> String {
    format!("0/{:X}/{:X}", tx_id >> 32, tx_id & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_event_statuses_follow_handle_instant_exception() {
        for bad in ["validation-failed", "param-missing", "record-not-found", "permission-denied", "rate-limited", "sql-raise"] {
            assert_eq!(event_status(bad), 400, "{bad}");
        }
        for other in ["timeout", "unknown", "operation-timed-out"] {
            assert_eq!(event_status(other), 500, "{other}");
        }
    }

    #[test]
    fn isns_look_like_the_servers() {
        assert_eq!(processed_isn(0x1_0000_002A), "0/1/2A");
    }
}
