//! The host: the only `cfg(target_arch)` switch, in the style of reqwest's `src/wasm/`. A
//! [`Transport`] sends a plain [`HttpRequest`]; the host also holds JSON, randomness and the
//! clock.
//!
//! * wasm32 ([`wasm`]): the global `fetch` through `host.js`, JSON by the host (`JSON.parse` /
//!   `JSON.stringify`), so no `serde_json` is shipped.
//! * native ([`native`]): [`mock::MockTransport`] for tests, JSON by `serde_json`.

pub use crate::http::{HttpRequest, HttpResponse, TransportError};
use crate::prelude::*;

/// Per-attempt limits.
#[derive(Clone, Debug, Default)]
pub struct CallControl {
    /// Milliseconds this attempt may take; 0 = no limit.
    pub timeout_ms: u32,
    /// The caller's cancellation signal.
    pub signal: Option<Signal>,
}

/// An opened streaming request: a 200's body to read chunk by chunk, or any other answer read
/// whole.
pub enum Opened<B> {
    /// 200: the body, as it arrives.
    Stream(B),
    /// Not 200: the whole answer.
    Whole(HttpResponse),
}

/// A response body read as it arrives; dropping it cancels the request.
#[allow(async_fn_in_trait)]
pub trait ChunkReader: 'static {
    /// The next chunk, or `None` at the end.
    async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, TransportError>>;
}

/// A task the host runs in the background (live queries keep reading while nobody polls).
pub type Task = core::pin::Pin<Box<dyn core::future::Future<Output = ()>>>;

/// Sends requests; also the clock and the randomness the retry loop needs.
#[allow(async_fn_in_trait)] // single-threaded hosts: no `Send` bound wanted
pub trait Transport: Clone + 'static {
    /// The body of an [`Opened::Stream`].
    type Body: ChunkReader;
    /// Sends one request and reads the whole body.
    async fn send(&self, request: &HttpRequest, control: &CallControl) -> Result<HttpResponse, TransportError>;
    /// Sends one request and hands back a 200's body unread (Server-Sent Events).
    async fn open(&self, request: &HttpRequest, control: &CallControl) -> Result<Opened<Self::Body>, TransportError>;
    /// Runs `task` in the background.
    fn spawn(&self, task: Task);
    /// Waits `ms` milliseconds.
    async fn sleep(&self, ms: u32);
    /// Milliseconds since some fixed point.
    fn now_ms(&self) -> f64;
    /// Uniform in `[0, 1)`, for backoff jitter.
    fn jitter(&self) -> f64;
}

#[cfg(target_arch = "wasm32")]
pub mod wasm;
#[cfg(target_arch = "wasm32")]
pub use wasm::{
    decode, epoch_ms, from_value, id, json_text, parse, to_value, Canceller, FetchTransport, FetchTransport as DefaultTransport, Json,
    Signal,
};

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
/// Natively, the default transport is the scripted mock: the crate's real target is wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub use native::mock::MockTransport as DefaultTransport;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{decode, epoch_ms, from_value, id, json_text, mock, parse, to_value, Canceller, Json, Signal};
#[cfg(all(feature = "webhooks", not(target_arch = "wasm32")))]
pub use native::{import_webhook_key, verify_webhook, webhook_key, WebhookKey};
#[cfg(all(feature = "platform", not(target_arch = "wasm32")))]
pub use native::{random_bytes, sha256};
#[cfg(all(feature = "webhooks", target_arch = "wasm32"))]
pub use wasm::{import_webhook_key, verify_webhook, webhook_key, WebhookKey};
#[cfg(all(feature = "platform", target_arch = "wasm32"))]
pub use wasm::{random_bytes, sha256};

/// The host JSON a 200 answer carried (`null` for a text body).
pub fn reply_json(reply: &crate::http::Reply) -> Json {
    match reply {
        crate::http::Reply::Json(host) => host.get::<Json>().cloned().unwrap_or_else(|| from_value(&crate::Value::Null)),
        crate::http::Reply::Text(_) => from_value(&crate::Value::Null),
    }
}
