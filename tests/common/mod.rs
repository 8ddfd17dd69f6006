//! Shared by the native mock-transport tests.

/// Runs a future to completion: the mock transport never pends, so one poll finishes every call.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(future).as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("the mock transport never pends"),
    }
}
