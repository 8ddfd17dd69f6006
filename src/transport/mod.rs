//! The only I/O seam: a [`Transport`] sends a plain-data [`HttpRequest`] and returns status,
//! `Retry-After` and body text. The host's JSON codec, clock and randomness live here too, so
//! `cfg(target_arch = "wasm32")` appears in this file only.
//!
//! * wasm32: [`FetchTransport`] over the global `fetch` (bound directly, as gloo-net does), JSON by the host
//!   (`JSON.parse` / `JSON.stringify`), so no `serde_json` is shipped.
//! * native: [`mock::MockTransport`] for tests, JSON by `serde_json`.

pub use crate::request::HttpRequest;

/// An answer with any status.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The body text (empty when `json` holds it).
    pub body: String,
    /// A 200 body the host already parsed (the fetch transport): large results never pass
    /// through wasm memory.
    pub json: Option<Json>,
}

/// Why no answer came back.
#[derive(Clone, Debug, PartialEq)]
pub enum TransportError {
    /// Connection refused, reset, DNS, CORS: what the host said.
    Network(String),
    /// The attempt's time ran out.
    Timeout,
    /// The caller's signal fired.
    Aborted,
}

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
pub type Task = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

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
mod fetch;
#[cfg(target_arch = "wasm32")]
pub use fetch::{
    decode, field, from_value, is_array, is_object, json_text, parse, random_bytes, stringify, to_array, to_value, Canceller,
    FetchTransport, FetchTransport as DefaultTransport, HostBody, Json, Signal,
};

#[cfg(not(target_arch = "wasm32"))]
pub mod mock;
#[cfg(not(target_arch = "wasm32"))]
mod native;
/// Natively, the default transport is the scripted mock: the crate's real target is wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub use mock::MockTransport as DefaultTransport;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{
    decode, field, from_value, is_array, is_object, json_text, parse, random_bytes, stringify, to_array, to_value, Canceller, HostBody,
    Json, Signal,
};
