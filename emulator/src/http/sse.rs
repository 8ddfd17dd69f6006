//! Server-sent events as the real server frames them (spec §4.1): `retry:<ms>\n\n` first,
//! each message `data:<compact JSON>\n\n` (no space, no `event:`/`id:` lines), keep-alive
//! comments `:\n`. axum's own `Sse` writes `data: ` with a space, so the bytes are built here
//! and streamed as a raw body.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::live::Signals;
use crate::Emulator;

/// The reconnection hint (`sse-retry-interval-ms`, 500 on the real server).
pub const RETRY_MS: u64 = 500;

/// The keep-alive comment Undertow writes.
pub const KEEPALIVE: &[u8] = b":\n";

/// `retry:<ms>\n\n`.
pub fn retry_frame(ms: u64) -> Bytes {
    Bytes::from(format!("retry:{ms}\n\n"))
}

/// `data:<compact JSON>\n\n`. serde_json escapes control characters, so the JSON is one line.
pub fn data_frame(message: &Value) -> Bytes {
    let mut frame = b"data:".to_vec();
    frame.extend(serde_json::to_vec(message).unwrap_or_else(|_| b"null".to_vec()));
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}

/// Forgets the stream in the live registry when the response body goes away — the client
/// disconnected, or the server is shutting the connection — so no session outlives its
/// connection.
pub struct StreamGuard {
    pub emulator: Emulator,
    pub id: u64,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.emulator.live().close(self.id);
    }
}

/// The response body: frames from the session's task, in order. When the stream is killed
/// (`/__emulator/sse/drop`) it fails instead of ending, so the connection is cut without the
/// final chunk, as when a server goes away: the client sees a broken stream, not a clean end.
pub struct SseBody {
    frames: mpsc::Receiver<Bytes>,
    signals: Arc<Signals>,
    failed: bool,
    _guard: StreamGuard,
}

impl SseBody {
    pub fn new(frames: mpsc::Receiver<Bytes>, signals: Arc<Signals>, guard: StreamGuard) -> SseBody {
        SseBody { frames, signals, failed: false, _guard: guard }
    }
}

impl futures_core::Stream for SseBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed {
            return Poll::Ready(None);
        }
        let polled = self.frames.poll_recv(cx);
        if self.signals.is_killed() {
            self.failed = true;
            let cut = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "stream dropped by the emulator");
            return Poll::Ready(Some(Err(cut)));
        }
        polled.map(|frame| frame.map(Ok))
    }
}

/// 200 with the real server's SSE headers (spec §4.1) and no content length.
pub fn response(body: SseBody) -> Response {
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=UTF-8"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("nocache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_are_byte_exact() {
        assert_eq!(&retry_frame(500)[..], b"retry:500\n\n");
        assert_eq!(&data_frame(&json!({"op": "sse-init", "x": "a\nb"}))[..], b"data:{\"op\":\"sse-init\",\"x\":\"a\\nb\"}\n\n");
    }
}
