//! One live query's life across its streams (spec §4), as a state machine with no clock and no
//! I/O: it is told what happened (a stream opened, a chunk arrived, the stream dropped, the
//! server refused) and says what to deliver and how long to wait before reconnecting. The Rust
//! [`Subscription`](crate::live::Subscription) drives it with futures, the npm build with a JS
//! loop (`follow` in `src/host/wasm/host.js`): one logic for both.
//!
//! Reconnecting: a dropped stream, a network error, 408, 429 and 5xx are retried with
//! exponential backoff and jitter, starting from the server's `retry:` (500 ms) and capped at
//! 15 s, `Retry-After` honoured; the backoff resets once a result arrives. Any other status or an
//! `error` event ends the subscription. After a reconnect the server sends the full result
//! again; it is delivered only if it differs from the last one delivered, so a drop never shows
//! up as a duplicate.

use crate::error::{Error, Result};
use crate::json::{JsonView, Kind};
use crate::parse::{parse, Node};
use crate::prelude::*;
use crate::retry::{Outcome, RetryPolicy};
use crate::sse::{SseDecoder, SseItem};

/// The server session a result came from (`sse-init`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// `machine-id`.
    pub machine_id: String,
    /// `session-id`.
    pub session_id: String,
}

/// A result, as the JSON text the server sent.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultText {
    /// The result tree (`result` / `instaql-result`).
    pub data: String,
    /// `result-meta.page-info` as the server spells it (`null` when absent).
    pub page_info: String,
    /// The session that produced it.
    pub session: SessionInfo,
}

/// What a subscription hands its consumer.
#[derive(Debug)]
pub enum Update {
    /// A new result.
    Result(ResultText),
    /// The subscription ended with this error (nothing follows).
    Failed(Error),
}

/// What one `data:` payload held.
#[derive(Debug, PartialEq)]
pub enum Message<'a> {
    /// `sse-init`.
    Init(SessionInfo),
    /// `add-query-ok`, or a `refresh-ok` with a computation: a full result (`data`, `page-info`).
    Result(Node<'a>, Option<Node<'a>>),
    /// `error`: the query was dropped by the server.
    Failed(Error),
    /// Anything else (a `refresh-ok` without computations, unknown ops).
    Other,
}

fn text_of(node: Option<Node>) -> String {
    node.and_then(|node| node.text().map(|text| text.into_owned())).unwrap_or_default()
}

/// Reads one message object.
pub fn message(node: Node<'_>) -> Message<'_> {
    fn page_info(meta: Option<Node<'_>>) -> Option<Node<'_>> {
        meta.and_then(|meta| meta.field("page-info"))
    }
    let op = node.field("op");
    match op.as_ref().and_then(JsonView::text).as_deref() {
        Some("sse-init") => {
            Message::Init(SessionInfo { machine_id: text_of(node.field("machine-id")), session_id: text_of(node.field("session-id")) })
        }
        Some("add-query-ok") => match node.field("result") {
            Some(data) => Message::Result(data, page_info(node.field("result-meta"))),
            None => Message::Other,
        },
        Some("refresh-ok") => {
            let computation = node.field("computations").and_then(|all| all.items().into_iter().next());
            match computation.and_then(|c| c.field("instaql-result").map(|data| (data, page_info(c.field("result-meta"))))) {
                Some((data, page_info)) => Message::Result(data, page_info),
                None => Message::Other,
            }
        }
        Some("error") => {
            let body = crate::json::to_value(&node);
            let status = node.field("status").and_then(|s| s.source.parse::<u16>().ok()).unwrap_or(500);
            Message::Failed(crate::response::api_error(status, body))
        }
        _ => Message::Other,
    }
}

/// The messages of one event's data: an object, or an array of them (both official clients
/// accept arrays); data that is not JSON is a decode error.
pub fn messages(data: &str) -> Result<Vec<Message<'_>>> {
    let node = parse(data).map_err(|_| Error::Decode { message: "an event's data is not JSON".into() })?;
    if node.kind() != Kind::Array {
        return Ok(vec![message(node)]);
    }
    Ok(node.items().into_iter().map(message).collect())
}

/// One subscription's state across its streams.
#[derive(Debug)]
pub struct LiveState {
    decoder: SseDecoder,
    session: SessionInfo,
    /// The server's `retry:`, the backoff's base.
    base_ms: u32,
    /// Failures since the last result.
    failures: u32,
    /// The last result delivered, as JSON text (a reconnect repeats it).
    last: Option<String>,
    /// No result yet on this stream, which followed another.
    resumed: bool,
}

impl Default for LiveState {
    fn default() -> LiveState {
        LiveState { decoder: SseDecoder::default(), session: SessionInfo::default(), base_ms: 500, failures: 0, last: None, resumed: false }
    }
}

impl LiveState {
    /// A 200 stream began.
    pub fn opened(&mut self) {
        self.decoder = SseDecoder::default();
        self.session = SessionInfo::default();
        self.resumed = self.last.is_some();
    }

    /// What the chunk completed. After an [`Update::Failed`] nothing follows: stop reading.
    ///
    /// ```
    /// use instant_edge::live_state::{LiveState, Update};
    /// let mut live = LiveState::default();
    /// live.opened();
    /// let updates = live.chunk(b"data: {\"op\":\"add-query-ok\",\"result\":{\"goals\":[]}}\n\n");
    /// assert!(matches!(&updates[..], [Update::Result(r)] if r.data == r#"{"goals":[]}"#));
    /// ```
    pub fn chunk(&mut self, bytes: &[u8]) -> Vec<Update> {
        let mut updates = Vec::new();
        for item in self.decoder.push(bytes) {
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
                Err(error) => {
                    updates.push(Update::Failed(error));
                    return updates;
                }
            };
            for message in parsed {
                match message {
                    Message::Init(info) => self.session = info,
                    Message::Result(data, page_info) => {
                        self.failures = 0;
                        // The first result after a reconnect repeats what was shown unless
                        // something changed while the stream was down.
                        let repeat = self.resumed && self.last.as_deref() == Some(data.source);
                        self.resumed = false;
                        self.last = Some(data.source.to_owned());
                        if !repeat {
                            let page_info = page_info.map_or("null", |p| p.source).to_owned();
                            updates.push(Update::Result(ResultText {
                                data: data.source.to_owned(),
                                page_info,
                                session: self.session.clone(),
                            }));
                        }
                    }
                    Message::Failed(error) => {
                        updates.push(Update::Failed(error));
                        return updates;
                    }
                    Message::Other => {}
                }
            }
        }
        updates
    }

    /// The stream broke off, ended, or never connected: the wait (ms) before reconnecting.
    pub fn dropped(&mut self, jitter: f64) -> u32 {
        self.back_off(Outcome::Network, jitter).unwrap_or(self.base_ms)
    }

    /// The server answered `status` (not 200) with `error`: the wait (ms) before reconnecting,
    /// or the error that ends the subscription.
    pub fn refused(&mut self, status: u16, retry_after: Option<&str>, error: Error, jitter: f64) -> core::result::Result<u32, Error> {
        let outcome = Outcome::Status { status, retry_after, error_type: error.error_type() };
        self.back_off(outcome, jitter).ok_or(error)
    }

    fn back_off(&mut self, outcome: Outcome<'_>, jitter: f64) -> Option<u32> {
        let policy = RetryPolicy { retries: u32::MAX, base_ms: self.base_ms.max(1), max_ms: 15_000, max_retry_after_ms: 60_000 };
        let wait = policy.delay_ms(self.failures, outcome, true, jitter);
        self.failures = self.failures.saturating_add(1);
        wait
    }
}

/// `{ ns: { startCursor, endCursor, hasNextPage, hasPreviousPage } }`: the server's page info
/// (JSON text) with the official client's names, as JSON text; `null` when the server sent
/// none (the official client's payload then has `pageInfo: undefined`).
///
/// ```
/// let server = r#"{"goals":{"start-cursor":["a"],"has-next-page?":true}}"#;
/// assert_eq!(instant_edge::live_state::official_page_info(server), r#"{"goals":{"startCursor":["a"],"hasNextPage":true}}"#);
/// assert_eq!(instant_edge::live_state::official_page_info("null"), "null");
/// ```
pub fn official_page_info(server: &str) -> String {
    let node = match parse(server) {
        Ok(node) if node.kind() == Kind::Object => node,
        _ => return "null".to_owned(),
    };
    let mut out = String::from("{");
    for (i, (name, info)) in node.entries().into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::value::write_string(&name, &mut out);
        out.push_str(":{");
        let mut first = true;
        for (from, to) in [
            ("start-cursor", "startCursor"),
            ("end-cursor", "endCursor"),
            ("has-next-page?", "hasNextPage"),
            ("has-previous-page?", "hasPreviousPage"),
        ] {
            if let Some(value) = info.field(from) {
                if !first {
                    out.push(',');
                }
                first = false;
                crate::value::write_string(to, &mut out);
                out.push(':');
                out.push_str(value.source);
            }
        }
        out.push('}');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_every_op() {
        let init = r#"{"op":"sse-init","machine-id":"m","session-id":"s","sse-token":"t","trace-id":null}"#;
        assert!(matches!(&messages(init).unwrap()[0], Message::Init(info) if info.session_id == "s"));
        let ok = r#"{"op":"add-query-ok","q":{},"result":{"goals":[]},"result-meta":{"page-info":{},"aggregate":{}}}"#;
        assert!(matches!(&messages(ok).unwrap()[0], Message::Result(data, Some(_)) if data.source == r#"{"goals":[]}"#));
        let refresh = r#"{"op":"refresh-ok","computations":[{"instaql-result":{"goals":[1]},"result-meta":{"page-info":{}}}]}"#;
        assert!(matches!(&messages(refresh).unwrap()[0], Message::Result(data, _) if data.source == r#"{"goals":[1]}"#));
        assert!(matches!(&messages(r#"{"op":"refresh-ok","computations":[]}"#).unwrap()[0], Message::Other));
        let error = r#"{"op":"error","status":400,"type":"validation-failed","message":"bad","hint":{"x":[1]}}"#;
        match &messages(error).unwrap()[0] {
            Message::Failed(error) => {
                assert_eq!((error.status(), error.error_type()), (400, Some("validation-failed")));
                let Error::Api(api) = error else { panic!() };
                assert_eq!(api.hint, crate::value!({ "x": [1] }));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(messages(&format!("[{init},{ok}]")).unwrap().len(), 2, "arrays of messages");
        assert!(messages("not json").is_err());
    }

    #[test]
    fn backoff_starts_at_the_servers_retry_grows_and_resets_after_a_result() {
        let mut live = LiveState::default();
        live.opened();
        assert!(live.chunk(b"retry: 100\n\n").is_empty());
        // Jitter 0.5 sits mid-range: the waits grow from the server's 100 ms.
        let (first, second, third) = (live.dropped(0.5), live.dropped(0.5), live.dropped(0.5));
        assert!(first <= 200 && first < second && second < third, "{first} {second} {third}");
        live.opened();
        assert_eq!(live.chunk(b"data: {\"op\":\"add-query-ok\",\"result\":{}}\n\n").len(), 1);
        assert!(live.dropped(0.5) <= first, "a result resets the backoff");
        assert!((0..50).map(|_| live.dropped(1.0)).all(|wait| wait <= 15_000), "capped at 15 s");
    }

    #[test]
    fn an_error_event_ends_it_after_the_results_before_it() {
        let mut live = LiveState::default();
        live.opened();
        let chunk = b"data: {\"op\":\"add-query-ok\",\"result\":{\"n\":1}}\n\ndata: {\"op\":\"error\",\"status\":403,\"message\":\"no\"}\n\ndata: {\"op\":\"add-query-ok\",\"result\":{\"n\":2}}\n\n";
        match &live.chunk(chunk)[..] {
            [Update::Result(result), Update::Failed(error)] => {
                assert_eq!(result.data, r#"{"n":1}"#);
                assert_eq!(error.status(), 403);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn page_info_takes_the_official_names_per_namespace() {
        let server = r#"{"a":{"end-cursor":"x","has-previous-page?":false,"other":1},"b":{}}"#;
        assert_eq!(official_page_info(server), r#"{"a":{"endCursor":"x","hasPreviousPage":false},"b":{}}"#);
        assert_eq!(official_page_info("null"), "null", "no page info: undefined, as the official client");
        assert_eq!(official_page_info("{}"), "{}");
    }

    #[test]
    fn a_reconnect_does_not_repeat_an_unchanged_result() {
        let ok = |n: u32| format!("data: {{\"op\":\"add-query-ok\",\"result\":{{\"n\":{n}}}}}\n\n");
        let mut live = LiveState::default();
        live.opened();
        assert_eq!(live.chunk(ok(1).as_bytes()).len(), 1);
        assert!(live.dropped(0.5) > 0);
        live.opened();
        assert!(live.chunk(ok(1).as_bytes()).is_empty(), "the same result again after a drop");
        assert_eq!(live.chunk(ok(1).as_bytes()).len(), 1, "but an update on the same stream is delivered");
        assert!(live.refused(401, None, Error::Aborted, 0.5).is_err(), "a 401 ends it");
        assert!(live.refused(503, None, Error::Aborted, 0.5).is_ok(), "a 503 reconnects");
    }
}
