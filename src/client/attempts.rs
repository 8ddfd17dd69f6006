//! The attempts of one call, as a state machine fed with outcomes: the timeout over the whole
//! call, cancellation, and retries with backoff. [`super::Instant::call`] drives it with Rust
//! futures; the npm build drives it from the host's own promise loop (`drive` in
//! `src/host/wasm/host.js`), so a JS call awaits no Rust future.

use super::{CallOptions, Instant};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::host::{self, CallControl, Json, Signal, Transport};
use crate::http::{HttpRequest, HttpResponse, Reply, TransportError};
use crate::response;
use crate::retry::{Outcome, RetryPolicy};

/// What to do next.
#[derive(Debug)]
pub enum Next {
    /// Send the request, with this much time (ms, 0 = no limit).
    Send(u32),
    /// Wait this long (ms), then ask again.
    Wait(u32),
    /// The call ended.
    Done(Result<Json>),
}

/// The state of one call's attempts.
#[derive(Debug)]
pub struct Attempts {
    timeout_ms: u32,
    deadline: Option<f64>,
    policy: RetryPolicy,
    failures: u32,
}

impl Attempts {
    /// A call starting at `now_ms`, with `opts` over the client's defaults. (Not a call of
    /// [`Attempts::with_limits`]: delegating measured 85 B gzip more in the npm wasm.)
    pub fn new(config: &Config, opts: &CallOptions, now_ms: f64) -> Attempts {
        let timeout_ms = opts.timeout_ms.unwrap_or(config.timeout_ms);
        let deadline = (timeout_ms > 0).then(|| now_ms + f64::from(timeout_ms));
        Attempts { timeout_ms, deadline, policy: RetryPolicy::new(config.retries), failures: 0 }
    }

    /// A call starting at `now_ms` with these defaults (for a client without a [`Config`]: the
    /// Platform API's), `opts` over them.
    pub fn with_limits(timeout_ms: u32, retries: u32, opts: &CallOptions, now_ms: f64) -> Attempts {
        let timeout_ms = opts.timeout_ms.unwrap_or(timeout_ms);
        let deadline = (timeout_ms > 0).then(|| now_ms + f64::from(timeout_ms));
        Attempts { timeout_ms, deadline, policy: RetryPolicy::new(retries), failures: 0 }
    }

    fn remaining(&self, now_ms: f64) -> Option<u32> {
        self.deadline.map(|deadline| (deadline - now_ms).max(0.0) as u32)
    }

    /// Before an attempt: send it, or end (aborted, or out of time).
    pub fn before(&self, aborted: bool, now_ms: f64) -> Next {
        if aborted {
            return Next::Done(Err(Error::Aborted));
        }
        match self.remaining(now_ms) {
            Some(0) => Next::Done(Err(Error::Timeout { after_ms: self.timeout_ms })),
            left => Next::Send(left.unwrap_or(0)),
        }
    }

    /// After an attempt: its result, or a wait before the next attempt, or the error.
    pub fn after<F: Failures>(
        &mut self,
        db: &F,
        request: &HttpRequest,
        result: core::result::Result<HttpResponse, TransportError>,
        now_ms: f64,
        jitter: f64,
    ) -> Next {
        let (error, answer) = match result {
            Ok(answer) if answer.status == 200 => return Next::Done(success(&answer)),
            Ok(answer) => (db.failure(&answer, request), Some(answer)),
            Err(TransportError::Timeout) => return Next::Done(Err(Error::Timeout { after_ms: self.timeout_ms })),
            Err(TransportError::Aborted) => return Next::Done(Err(Error::Aborted)),
            Err(TransportError::Network(message)) => (Error::Network { message }, None),
        };
        let outcome = match &answer {
            Some(answer) => {
                Outcome::Status { status: answer.status, retry_after: answer.retry_after.as_deref(), error_type: error.error_type() }
            }
            None => Outcome::Network,
        };
        // A stream is read once: it cannot be sent again.
        let replayable = request.upload.as_ref().is_none_or(|upload| upload.source.replayable());
        let wait = self.policy.delay_ms(self.failures, outcome, request.idempotent, jitter).filter(|_| replayable);
        match wait {
            Some(wait) if self.remaining(now_ms).is_none_or(|left| wait < left) => {
                self.failures += 1;
                Next::Wait(wait)
            }
            _ => Next::Done(Err(error)),
        }
    }
}

impl Attempts {
    /// Runs the attempts of `request` through `transport` to the end: the Rust API's loop for
    /// every client (the npm build drives the same machine from `drive` in `host.js`).
    pub async fn run<C: Failures, T: Transport>(
        mut self,
        client: &C,
        transport: &T,
        request: &HttpRequest,
        signal: Option<&Signal>,
    ) -> Result<Json> {
        loop {
            let aborted = signal.is_some_and(Signal::aborted);
            let next = match self.before(aborted, transport.now_ms()) {
                Next::Send(timeout_ms) => {
                    let control = CallControl { timeout_ms, signal: signal.cloned() };
                    let result = transport.send(request, &control).await;
                    self.after(client, request, result, transport.now_ms(), transport.jitter())
                }
                next => next,
            };
            match next {
                Next::Done(result) => return result,
                Next::Wait(ms) => transport.sleep(ms).await,
                Next::Send(_) => {}
            }
        }
    }
}

/// A client as [`Attempts::after`] needs it: what makes the error of a non-200 answer (each
/// client scrubs its own credentials from it).
pub trait Failures {
    /// The error for `answer` to `request`.
    fn failure(&self, answer: &HttpResponse, request: &HttpRequest) -> Error;
}

impl<T: Transport> Failures for Instant<T> {
    fn failure(&self, answer: &HttpResponse, request: &HttpRequest) -> Error {
        Instant::failure(self, answer, request)
    }
}

/// A 200's JSON, or the decode error of a 200 that is not JSON.
fn success(answer: &HttpResponse) -> Result<Json> {
    match &answer.body {
        Reply::Json(_) => Ok(host::reply_json(&answer.body)),
        Reply::Text(text) => host::parse(text).ok_or_else(|| response::not_json(text)),
    }
}
