//! Shared by the native mock-transport tests (each test file uses what it needs).
#![allow(dead_code)]

use instant_edge::host::mock::MockTransport;
use instant_edge::{Config, Instant};

/// The app every mock test talks to.
pub const APP: &str = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
/// Its admin token.
pub const TOKEN: &str = "0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0";

/// A client for [`APP`] at `api_uri` over a fresh mock transport, and the mock.
pub fn mock_db(api_uri: &str) -> (Instant<MockTransport>, MockTransport) {
    let config = Config::new(APP, api_uri).unwrap().with_admin_token(TOKEN).unwrap();
    let mock = MockTransport::new();
    (Instant::with_transport(config, mock.clone()), mock)
}

/// [`mock_db`] at `http://127.0.0.1:8888`.
pub fn db() -> (Instant<MockTransport>, MockTransport) {
    mock_db("http://127.0.0.1:8888")
}

/// Runs a future to completion: the mock transport never pends, so one poll finishes every call.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(future).as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("the mock transport never pends"),
    }
}
