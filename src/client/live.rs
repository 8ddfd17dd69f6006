//! Live queries over Server-Sent Events read from a `fetch` body (spec §4): the messages of the
//! stream, the reconnect loop, and the Rust [`Subscription`] stream. Workers have no
//! `EventSource`, and the browser one can neither POST nor set headers.
//!
//! Reconnecting: a dropped stream, a network error, 408, 429 and 5xx are retried with
//! exponential backoff and jitter, starting from the server's `retry:` (500 ms) and capped at
//! 15 s, `Retry-After` honoured; the backoff resets once a result arrives. Any other status, an
//! `error` event, or the caller closing ends the subscription; an error is delivered first.
//! After a reconnect the server sends the full result again; it is delivered only if it differs
//! from the last one delivered, so a drop never shows up as a duplicate.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use super::Instant;
use crate::error::{Error, Result};
use crate::host::{self, CallControl, Canceller, ChunkReader, Json, Opened, Signal, Transport};
use crate::http::{HttpRequest, TransportError};
use crate::json::{JsonView, Kind};
use crate::retry::{Outcome, RetryPolicy};
use crate::sse::{SseDecoder, SseItem};
use crate::Value;

/// The server session a result came from (`sse-init`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// `machine-id`.
    pub machine_id: String,
    /// `session-id`.
    pub session_id: String,
}

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

/// What one `data:` payload held.
#[derive(Debug)]
pub enum Message {
    /// `sse-init`.
    Init(SessionInfo),
    /// `add-query-ok` or a `refresh-ok` with a computation: a full result.
    Result {
        /// `result` / `instaql-result`.
        data: Json,
        /// `result-meta.page-info`.
        page_info: Json,
    },
    /// `error`: the query was dropped by the server.
    Failed(Error),
    /// Anything else (a `refresh-ok` without computations, unknown ops).
    Other,
}

/// `json[key]`, `null` when absent.
fn field(json: &Json, key: &str) -> Json {
    json.field(key).unwrap_or_else(|| host::from_value(&Value::Null))
}

fn text(json: &Json, key: &str) -> String {
    json.field(key).and_then(|value| value.text().map(|text| text.into_owned())).unwrap_or_default()
}

/// Reads one message object.
pub fn message(json: &Json) -> Message {
    let page_info = |meta: Json| field(&meta, "page-info");
    match text(json, "op").as_str() {
        "sse-init" => Message::Init(SessionInfo { machine_id: text(json, "machine-id"), session_id: text(json, "session-id") }),
        "add-query-ok" => Message::Result { data: field(json, "result"), page_info: page_info(field(json, "result-meta")) },
        "refresh-ok" => match field(json, "computations").items().into_iter().next() {
            Some(computation) => {
                Message::Result { data: field(&computation, "instaql-result"), page_info: page_info(field(&computation, "result-meta")) }
            }
            None => Message::Other,
        },
        "error" => {
            let body = host::to_value(json);
            let status = body.get("status").and_then(Value::as_f64).map_or(500, |s| s as u16);
            Message::Failed(crate::response::api_error(status, body))
        }
        _ => Message::Other,
    }
}

/// The messages of one event's data: an object, or an array of them (both official clients
/// accept arrays); unparseable data is a decode error.
pub fn messages(data: &str) -> Result<Vec<Message>> {
    let json = host::parse(data).ok_or_else(|| Error::Decode { message: "an event's data is not JSON".into() })?;
    if JsonView::kind(&json) != Kind::Array {
        return Ok(vec![message(&json)]);
    }
    Ok(json.items().iter().map(message).collect())
}

/// The reconnect policy: no retry limit, `base_ms` from the server's `retry:`.
fn reconnect_policy(base_ms: u32) -> RetryPolicy {
    RetryPolicy { retries: u32::MAX, base_ms: base_ms.max(1), max_ms: 15_000, max_retry_after_ms: 60_000 }
}

/// What the subscription hands its consumer.
#[derive(Debug)]
pub enum Delivery {
    /// A new result.
    Result(LiveResult),
    /// The subscription ended with this error (nothing follows).
    Failed(Error),
}

/// How one opened stream ended.
enum StreamEnd {
    /// The caller closed the subscription, or it failed for good (the error was delivered).
    Over,
    /// The stream broke off or ended: reconnect.
    Dropped,
}

/// The reconnecting driver's state across streams.
struct Driver<T: Transport, D: FnMut(Delivery)> {
    db: Instant<T>,
    request: HttpRequest,
    signal: Signal,
    deliver: D,
    /// The server's `retry:`, the backoff's base.
    base_ms: u32,
    /// Failures since the last result.
    failures: u32,
    /// The last result delivered, as JSON text (a reconnect repeats it).
    last: Option<String>,
}

impl<T: Transport, D: FnMut(Delivery)> Driver<T, D> {
    /// Reads one opened stream to its end, delivering results.
    async fn read(&mut self, mut body: T::Body) -> StreamEnd {
        let mut decoder = SseDecoder::default();
        let mut session = SessionInfo::default();
        let mut resumed = self.last.is_some();
        loop {
            let chunk = match body.next_chunk().await {
                None => return StreamEnd::Dropped,
                Some(Ok(chunk)) => chunk,
                Some(Err(TransportError::Aborted)) => return StreamEnd::Over,
                Some(Err(_)) => return StreamEnd::Dropped,
            };
            for item in decoder.push(&chunk) {
                let data = match item {
                    SseItem::Retry(ms) => {
                        self.base_ms = ms;
                        continue;
                    }
                    SseItem::Comment => continue,
                    SseItem::Event(event) => event.data,
                };
                let parsed = match messages(&data) {
                    Ok(parsed) => parsed,
                    Err(error) => return self.fail(error),
                };
                for message in parsed {
                    match message {
                        Message::Init(info) => session = info,
                        Message::Result { data, page_info } => {
                            self.failures = 0;
                            let text = host::json_text(&data);
                            // The first result after a reconnect repeats what was shown unless
                            // something changed while the stream was down.
                            let repeat = resumed && self.last.as_deref() == Some(text.as_str());
                            resumed = false;
                            self.last = Some(text);
                            if !repeat {
                                (self.deliver)(Delivery::Result(LiveResult { data, page_info, session: session.clone() }));
                            }
                        }
                        Message::Failed(error) => {
                            let error = self.db.scrub(error, &self.request);
                            return self.fail(error);
                        }
                        Message::Other => {}
                    }
                }
                if self.signal.aborted() {
                    return StreamEnd::Over;
                }
            }
        }
    }

    fn fail(&mut self, error: Error) -> StreamEnd {
        (self.deliver)(Delivery::Failed(error));
        StreamEnd::Over
    }

    /// How long to wait before the next attempt after `outcome`; `None` when it must not be
    /// retried.
    fn back_off(&mut self, outcome: Outcome<'_>) -> Option<u32> {
        let jitter = self.db.transport().jitter();
        let wait = reconnect_policy(self.base_ms).delay_ms(self.failures, outcome, true, jitter);
        self.failures = self.failures.saturating_add(1);
        wait
    }
}

/// Runs a subscription until `signal` fires or it fails for good, handing every result (and a
/// final error) to `deliver`. A transient failure (a drop, a network error, 408, 429, 5xx) is
/// not the subscription's end: it reconnects.
pub async fn drive<T: Transport>(db: Instant<T>, request: HttpRequest, signal: Signal, deliver: impl FnMut(Delivery)) {
    let control = CallControl { timeout_ms: 0, signal: Some(signal.clone()) };
    let mut driver = Driver { db, request, signal, deliver, base_ms: 500, failures: 0, last: None };
    let transport = driver.db.transport().clone();
    loop {
        if driver.signal.aborted() {
            return;
        }
        let wait = match transport.open(&driver.request, &control).await {
            Ok(Opened::Stream(body)) => match driver.read(body).await {
                StreamEnd::Over => return,
                StreamEnd::Dropped => driver.back_off(Outcome::Network).unwrap_or(driver.base_ms),
            },
            Ok(Opened::Whole(answer)) => {
                let error = driver.db.failure(&answer, &driver.request);
                let outcome =
                    Outcome::Status { status: answer.status, retry_after: answer.retry_after.as_deref(), error_type: error.error_type() };
                match driver.back_off(outcome) {
                    Some(wait) => wait,
                    None => {
                        driver.fail(error);
                        return;
                    }
                }
            }
            Err(TransportError::Aborted) => return,
            Err(_) => driver.back_off(Outcome::Network).unwrap_or(driver.base_ms),
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

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
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
        self.subscribe_query_with(query, None)
    }

    /// [`Instant::subscribe_query`] with rule params.
    pub fn subscribe_query_with(&self, query: &Value, rule_params: Option<&Value>) -> Result<Subscription> {
        let request = crate::request::subscribe(self.config(), self.who(), &query, rule_params.as_ref(), &host::id())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_every_op() {
        let init = r#"{"op":"sse-init","machine-id":"m","session-id":"s","sse-token":"t","trace-id":null}"#;
        assert!(matches!(&messages(init).unwrap()[0], Message::Init(info) if info.session_id == "s"));
        let ok = r#"{"op":"add-query-ok","q":{},"result":{"goals":[]},"result-meta":{"page-info":{},"aggregate":{}}}"#;
        assert!(matches!(&messages(ok).unwrap()[0], Message::Result { .. }));
        let refresh = r#"{"op":"refresh-ok","computations":[{"instaql-result":{"goals":[1]},"result-meta":{"page-info":{}}}]}"#;
        match &messages(refresh).unwrap()[0] {
            Message::Result { data, .. } => assert_eq!(host::json_text(data), r#"{"goals":[1]}"#),
            other => panic!("{other:?}"),
        }
        assert!(matches!(&messages(r#"{"op":"refresh-ok","computations":[]}"#).unwrap()[0], Message::Other));
        let error = r#"{"op":"error","status":400,"type":"validation-failed","message":"bad","hint":{}}"#;
        match &messages(error).unwrap()[0] {
            Message::Failed(error) => assert_eq!((error.status(), error.error_type()), (400, Some("validation-failed"))),
            other => panic!("{other:?}"),
        }
        assert_eq!(messages(&format!("[{init},{ok}]")).unwrap().len(), 2, "arrays of messages");
        assert!(messages("not json").is_err());
    }
}
