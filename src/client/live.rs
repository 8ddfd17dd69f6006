//! Live queries over Server-Sent Events read from a `fetch` body (spec §4): the Rust
//! [`Subscription`] stream, driven with futures over the [`LiveState`] machine that also runs
//! the npm build's live queries (reconnecting and deduplicating are described there). Workers
//! have no `EventSource`, and the browser one can neither POST nor set headers.

use crate::prelude::*;
use alloc::rc::Rc;
use core::cell::RefCell;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_core::Stream;

use super::{CallOptions, Instant};
use crate::error::{Error, Result};
use crate::host::{self, CallControl, Canceller, ChunkReader, Json, Opened, Signal, Transport};
use crate::http::{HttpRequest, TransportError};
pub use crate::live_state::SessionInfo;
use crate::live_state::{LiveState, ResultText, Update};
use crate::Value;

/// One result of a live query: the whole current result, as `/admin/query` would return it.
#[derive(Clone, Debug)]
pub struct LiveResult {
    /// The result tree (host JSON).
    pub data: Json,
    /// `result-meta.page-info`, as the server spells it (`start-cursor`, `has-next-page?`, ...).
    pub page_info: Json,
    /// The session that produced it.
    pub session: SessionInfo,
}

impl LiveResult {
    fn from_text(result: ResultText) -> LiveResult {
        let json = |text: &str| host::parse(text).unwrap_or_else(|| host::from_value(&Value::Null));
        LiveResult { data: json(&result.data), page_info: json(&result.page_info), session: result.session }
    }
}

/// What the subscription hands its consumer.
#[derive(Debug)]
pub enum Delivery {
    /// A new result.
    Result(LiveResult),
    /// The subscription ended with this error (nothing follows).
    Failed(Error),
}

/// Runs a subscription until `signal` fires or it fails for good, handing every result (and a
/// final error) to `deliver`. A transient failure (a drop, a network error, 408, 429, 5xx) is
/// not the subscription's end: it reconnects.
pub async fn drive<T: Transport>(db: Instant<T>, request: HttpRequest, signal: Signal, mut deliver: impl FnMut(Delivery)) {
    let control = CallControl { timeout_ms: 0, signal: Some(signal.clone()) };
    let mut state = LiveState::default();
    let transport = db.transport().clone();
    loop {
        if signal.aborted() {
            return;
        }
        let wait = match transport.open(&request, &control).await {
            Ok(Opened::Stream(mut body)) => {
                state.opened();
                loop {
                    match body.next_chunk().await {
                        Some(Ok(chunk)) => {
                            for update in state.chunk(&chunk) {
                                match update {
                                    Update::Result(result) => deliver(Delivery::Result(LiveResult::from_text(result))),
                                    Update::Failed(error) => {
                                        deliver(Delivery::Failed(db.scrub(error, &request)));
                                        return;
                                    }
                                }
                            }
                            if signal.aborted() {
                                return;
                            }
                        }
                        Some(Err(TransportError::Aborted)) => return,
                        None | Some(Err(_)) => break state.dropped(transport.jitter()),
                    }
                }
            }
            Ok(Opened::Whole(answer)) => {
                let error = db.failure(&answer, &request);
                match state.refused(answer.status, answer.retry_after.as_deref(), error, transport.jitter()) {
                    Ok(wait) => wait,
                    Err(error) => {
                        deliver(Delivery::Failed(error));
                        return;
                    }
                }
            }
            Err(TransportError::Aborted) => return,
            Err(_) => state.dropped(transport.jitter()),
        };
        transport.sleep(wait).await;
    }
}

/// What the driver and the [`Subscription`] share: the newest result not yet taken (a slow
/// consumer skips straight to it), the final error, and whether it ended.
#[derive(Default)]
struct Slot {
    latest: Option<LiveResult>,
    skipped: u64,
    error: Option<Error>,
    ended: bool,
    waker: Option<Waker>,
}

/// A live query as a [`Stream`] of results; dropping it (or [`Subscription::close`]) ends it.
/// Results arrive whole; when several arrive before the consumer asks, it gets the newest
/// ([`Subscription::skipped`] counts the superseded ones). A final error is always delivered.
///
/// ```no_run
/// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
/// use instant_edge::Value;
/// let mut goals = db.subscribe_query(&Value::object([("goals", Value::empty_object())]))?;
/// while let Some(result) = goals.next().await {
///     println!("{:?}", result?.data);
/// }
/// # Ok(()) }
/// ```
pub struct Subscription {
    slot: Rc<RefCell<Slot>>,
    canceller: Canceller,
}

impl core::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Subscription").field("closed", &self.is_closed()).finish()
    }
}

impl Subscription {
    /// Ends the subscription (the request is aborted).
    pub fn close(&self) {
        self.canceller.cancel();
        let mut slot = self.slot.borrow_mut();
        slot.ended = true;
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
    }

    /// Whether it ended (closed, or failed for good).
    pub fn is_closed(&self) -> bool {
        self.slot.borrow().ended
    }

    /// How many results were superseded before the consumer took them.
    pub fn skipped(&self) -> u64 {
        self.slot.borrow().skipped
    }

    /// [`Stream::poll_next`], without importing the trait.
    pub fn poll_next_result(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<LiveResult>>> {
        self.poll_next(cx)
    }

    /// The next result (the newest one, if several arrived), a final error, or `None` once it
    /// ended.
    pub async fn next(&mut self) -> Option<Result<LiveResult>> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for Subscription {
    type Item = Result<LiveResult>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut slot = self.slot.borrow_mut();
        if let Some(result) = slot.latest.take() {
            return Poll::Ready(Some(Ok(result)));
        }
        if let Some(error) = slot.error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        if slot.ended {
            return Poll::Ready(None);
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T: Transport> Instant<T> {
    /// Subscribes to `query`: a [`Subscription`] of whole results, kept up to date by the
    /// server and reconnecting on its own (see the module docs). Bad queries fail here.
    pub fn subscribe_query(&self, query: &Value) -> Result<Subscription> {
        self.subscribe_query_with(query, &CallOptions::default())
    }

    /// [`Instant::subscribe_query`] with rule params and headers. A subscription has no
    /// deadline and ends when closed or dropped, so `timeout_ms` and `signal` are refused
    /// rather than ignored.
    ///
    /// ```no_run
    /// # fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
    /// use instant_edge::{value, CallOptions};
    /// let opts = CallOptions::default().rule_params(value!({ "team": "a" })).header("x-proxy-key", "k1");
    /// let goals = db.subscribe_query_with(&value!({ "goals": {} }), &opts)?;
    /// # Ok(()) }
    /// ```
    pub fn subscribe_query_with(&self, query: &Value, opts: &CallOptions) -> Result<Subscription> {
        if opts.timeout_ms.is_some() || opts.signal.is_some() {
            return Err(Error::invalid("options", "a subscription takes no timeout or signal: close or drop it to end it"));
        }
        self.check_query(&query)?;
        let mut request = crate::request::subscribe(self.config(), self.who(), &query, opts.rule_params.as_ref().as_ref(), &host::id())?;
        opts.headers.iter().try_for_each(|(name, value)| crate::request::check_header(name, value))?;
        crate::request::add_headers(&mut request, &opts.headers)?;
        let slot = Rc::new(RefCell::new(Slot::default()));
        let canceller = Canceller::new();
        let shared = slot.clone();
        let task = drive(self.clone(), request, canceller.signal(), move |delivery| {
            let mut slot = shared.borrow_mut();
            match delivery {
                Delivery::Result(result) => {
                    if slot.latest.replace(result).is_some() {
                        slot.skipped += 1;
                    }
                }
                Delivery::Failed(error) => {
                    slot.error = Some(error);
                    slot.ended = true;
                }
            }
            if let Some(waker) = slot.waker.take() {
                waker.wake();
            }
        });
        let ended = slot.clone();
        self.transport().spawn(Box::pin(async move {
            task.await;
            let mut slot = ended.borrow_mut();
            slot.ended = true;
            if let Some(waker) = slot.waker.take() {
                waker.wake();
            }
        }));
        Ok(Subscription { slot, canceller })
    }
}
