//! The streams channel (spec §4.3, docs/streams.md) as pure pieces: what `sse-init` says, the
//! `/admin/sse/push` body, the four ops' messages, the replies read back, the writer's and the
//! reader's byte bookkeeping, the reconnect schedules and the errors with the official messages.
//! No clock and no I/O: the Rust [`crate::client::streams`] drives them with futures; the npm
//! build drives the channel from JS (`pkg/src/streams.js`) and asks the wasm only to decode
//! the events ([`events`]).

use crate::prelude::*;
use alloc::collections::VecDeque;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, Payload};
use crate::json::{JsonView, Kind};
use crate::parse::{parse, Node};
use crate::request::Impersonation;
use crate::value::{push_number, write_string};

/// The channel's session, from `sse-init`: what every push must name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelSession {
    /// `machine-id`.
    pub machine_id: String,
    /// `session-id`.
    pub session_id: String,
    /// `sse-token`, the push capability.
    pub sse_token: String,
}

/// A stored part of a finished stream (`files` of a `stream-append`).
#[derive(Clone, Debug, PartialEq)]
pub struct StreamFile {
    /// A download URL (no auth headers).
    pub url: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A `stream-append` for a subscription.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Append {
    /// The subscribe message's `client-event-id`.
    pub event_id: String,
    /// The stream's id.
    pub stream_id: String,
    /// Where `files` (then `content`) start.
    pub offset: u64,
    /// Stored parts, read before `content`.
    pub files: Vec<StreamFile>,
    /// Text held in the server's memory.
    pub content: Option<String>,
    /// The stream ended.
    pub done: bool,
    /// Why the writer aborted it, if it did.
    pub abort_reason: Option<String>,
    /// The subscription failed (`retry`: resubscribe at the reader's offset).
    pub error: bool,
    /// With `error`: resubscribing may work.
    pub retry: bool,
}

/// One message of the channel, read.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `sse-init`: the channel is open.
    Init(ChannelSession),
    /// `start-stream-ok`.
    Started {
        /// The start message's `client-event-id`.
        event_id: String,
        /// The stream's id.
        stream_id: String,
        /// Bytes the server holds durably: resend from here.
        offset: u64,
    },
    /// `stream-flushed`: bytes up to `offset` are durable.
    Flushed {
        /// The stream's id.
        stream_id: String,
        /// Durable bytes.
        offset: u64,
        /// The final flush.
        done: bool,
    },
    /// `append-failed`: the writer must start again and resend.
    AppendFailed {
        /// The stream's id.
        stream_id: String,
    },
    /// `stream-append`.
    Append(Append),
    /// `error` for a stream op.
    Failed {
        /// `original-event.op`.
        op: String,
        /// `original-event.client-event-id`.
        event_id: String,
        /// `original-event.stream-id`, if any.
        stream_id: String,
        /// The server's error.
        error: Error,
    },
    /// Anything else.
    Other,
}

fn text(node: &Option<Node<'_>>) -> String {
    node.as_ref().and_then(|n| n.text().map(|t| t.into_owned())).unwrap_or_default()
}

fn field_text(node: &Node<'_>, key: &str) -> String {
    text(&node.field(key))
}

fn field_number(node: &Node<'_>, key: &str) -> u64 {
    node.field(key).and_then(|n| n.number()).filter(|n| *n >= 0.0).map_or(0, |n| n as u64)
}

/// JavaScript truthiness of a field (the official client tests `msg.done`, `msg.error`).
fn field_truthy(node: &Node<'_>, key: &str) -> bool {
    match node.field(key) {
        None => false,
        Some(value) => match value.kind() {
            Kind::Null => false,
            Kind::Bool => value.boolean() == Some(true),
            Kind::Number => value.number().is_some_and(|n| n != 0.0),
            Kind::String => value.text().is_some_and(|t| !t.is_empty()),
            _ => true,
        },
    }
}

/// Reads one message object.
pub fn event(node: Node<'_>) -> Event {
    match field_text(&node, "op").as_str() {
        "sse-init" => Event::Init(ChannelSession {
            machine_id: field_text(&node, "machine-id"),
            session_id: field_text(&node, "session-id"),
            sse_token: field_text(&node, "sse-token"),
        }),
        "start-stream-ok" => Event::Started {
            event_id: field_text(&node, "client-event-id"),
            stream_id: field_text(&node, "stream-id"),
            offset: field_number(&node, "offset"),
        },
        "stream-flushed" => Event::Flushed {
            stream_id: field_text(&node, "stream-id"),
            offset: field_number(&node, "offset"),
            done: field_truthy(&node, "done"),
        },
        "append-failed" => Event::AppendFailed { stream_id: field_text(&node, "stream-id") },
        "stream-append" => {
            let files = node.field("files").map_or_else(Vec::new, |files| {
                files.items().iter().map(|f| StreamFile { url: field_text(f, "url"), size: field_number(f, "size") }).collect()
            });
            let abort_reason = node.field("abort-reason").and_then(|r| r.text().map(|t| t.into_owned()));
            Event::Append(Append {
                event_id: field_text(&node, "client-event-id"),
                stream_id: field_text(&node, "stream-id"),
                offset: field_number(&node, "offset"),
                files,
                content: node.field("content").and_then(|c| c.text().map(|t| t.into_owned())),
                done: field_truthy(&node, "done"),
                abort_reason,
                error: field_truthy(&node, "error"),
                retry: field_truthy(&node, "retry"),
            })
        }
        "error" => {
            let original = node.field("original-event");
            let of = |key: &str| original.as_ref().map_or_else(String::new, |o| field_text(o, key));
            let status = node.field("status").and_then(|s| s.number()).map_or(500, |s| s as u16);
            let error = crate::response::api_error(status, crate::json::to_value(&node));
            Event::Failed { op: of("op"), event_id: of("client-event-id"), stream_id: of("stream-id"), error }
        }
        _ => Event::Other,
    }
}

/// The messages of one event's data: an object or an array of them.
pub fn events(data: &str) -> Result<Vec<Event>> {
    let node = parse(data).map_err(|_| Error::Decode { message: "an event's data is not JSON".into() })?;
    if node.kind() == Kind::Array {
        return Ok(node.items().into_iter().map(event).collect());
    }
    Ok(vec![event(node)])
}

fn open_message(op: &str, event_id: &str) -> String {
    let mut out = String::from(r#"{"op":"#);
    write_string(op, &mut out);
    out.push_str(r#","client-event-id":"#);
    write_string(event_id, &mut out);
    out
}

fn push_key(out: &mut String, key: &str) {
    out.push(',');
    write_string(key, out);
    out.push(':');
}

/// `start-stream`; `rule_params` is JSON text.
///
/// ```
/// let m = instant_edge::streams::start_message("e1", "c1", "t1", None);
/// assert_eq!(m, r#"{"op":"start-stream","client-event-id":"e1","client-id":"c1","reconnect-token":"t1"}"#);
/// ```
pub fn start_message(event_id: &str, client_id: &str, reconnect_token: &str, rule_params: Option<&str>) -> String {
    let mut out = open_message("start-stream", event_id);
    push_key(&mut out, "client-id");
    write_string(client_id, &mut out);
    push_key(&mut out, "reconnect-token");
    write_string(reconnect_token, &mut out);
    if let Some(params) = rule_params {
        push_key(&mut out, "rule-params");
        out.push_str(params);
    }
    out.push('}');
    out
}

/// `append-stream` of `chunks` starting at byte `offset`; `done` finishes it, with
/// `abort_reason` when it was aborted.
pub fn append_message<S: AsRef<str>>(
    event_id: &str,
    stream_id: &str,
    chunks: &[S],
    offset: u64,
    done: bool,
    abort_reason: Option<&str>,
) -> String {
    let mut out = open_message("append-stream", event_id);
    push_key(&mut out, "stream-id");
    write_string(stream_id, &mut out);
    push_key(&mut out, "chunks");
    out.push('[');
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(chunk.as_ref(), &mut out);
    }
    out.push(']');
    push_key(&mut out, "offset");
    push_number(&mut out, offset);
    push_key(&mut out, "done");
    out.push_str(if done { "true" } else { "false" });
    if let Some(reason) = abort_reason {
        push_key(&mut out, "abort-reason");
        write_string(reason, &mut out);
    }
    out.push('}');
    out
}

/// Which stream to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamRef {
    /// By the server's id.
    StreamId(String),
    /// By the writer's client id.
    ClientId(String),
}

/// `subscribe-stream` from byte `offset` (omitted when 0, as the official client does).
pub fn subscribe_message(event_id: &str, stream: &StreamRef, offset: u64, rule_params: Option<&str>) -> String {
    let mut out = open_message("subscribe-stream", event_id);
    let (key, id) = match stream {
        StreamRef::StreamId(id) => ("stream-id", id),
        StreamRef::ClientId(id) => ("client-id", id),
    };
    push_key(&mut out, key);
    write_string(id, &mut out);
    if offset > 0 {
        push_key(&mut out, "offset");
        push_number(&mut out, offset);
    }
    if let Some(params) = rule_params {
        push_key(&mut out, "rule-params");
        out.push_str(params);
    }
    out.push('}');
    out
}

/// `unsubscribe-stream` of the subscription made with `subscribe_event_id`.
pub fn unsubscribe_message(event_id: &str, subscribe_event_id: &str) -> String {
    let mut out = open_message("unsubscribe-stream", event_id);
    push_key(&mut out, "subscribe-event-id");
    write_string(subscribe_event_id, &mut out);
    out.push('}');
    out
}

/// The `/admin/sse/push` body: the session's credentials and `messages` (JSON texts).
///
/// ```
/// use instant_edge::streams::{push_body, ChannelSession};
/// let s = ChannelSession { machine_id: "m".into(), session_id: "s".into(), sse_token: "t".into() };
/// assert_eq!(push_body(&s, &["{}".to_owned()]), r#"{"machine_id":"m","session_id":"s","sse_token":"t","messages":[{}]}"#);
/// ```
pub fn push_body(session: &ChannelSession, messages: &[String]) -> String {
    let mut out = String::from(r#"{"machine_id":"#);
    write_string(&session.machine_id, &mut out);
    push_key(&mut out, "session_id");
    write_string(&session.session_id, &mut out);
    push_key(&mut out, "sse_token");
    write_string(&session.sse_token, &mut out);
    out.push_str(r#","messages":["#);
    out.push_str(&messages.join(","));
    out.push_str("]}");
    out
}

/// `POST /admin/sse?app_id=`: opens the channel (an event stream) with the admin headers
/// (impersonation honoured) and `{"inference?", "versions"}`, as the official client does.
pub fn channel_request(config: &Config, who: Option<&Impersonation>) -> Result<HttpRequest> {
    let headers = crate::request::headers(config, who)?;
    let mut request = HttpRequest::new("POST", crate::request::admin_url(config, "sse"), headers);
    let version = crate::Value::from(crate::request::CLIENT_VERSION);
    let versions = crate::Value::object([("@instantdb/admin", version.clone()), ("@instantdb/core", version)]);
    request.body = Some(Payload::Object(vec![
        ("inference?", Payload::Value(crate::Value::Bool(config.has_schema))),
        ("versions", Payload::Value(versions)),
    ]));
    Ok(request)
}

/// `POST /admin/sse/push?app_id=` with `body` ([`push_body`]): only a content type, as the
/// official client sends it (the `sse-token` is the capability; no admin token travels).
pub fn push_request(config: &Config, body: String) -> HttpRequest {
    let mut request =
        HttpRequest::new("POST", crate::request::admin_url(config, "sse/push"), vec![("content-type", "application/json".into())]);
    request.body = Some(Payload::Text(body));
    request
}

/// The channel's reconnect wait after `drops` consecutive drops: 0 ms, 1 s, 2 s, 4 s, 8 s, then
/// 15 s (the official `#sseBackoff`).
pub fn channel_backoff_ms(drops: u32) -> u32 {
    match drops {
        0 => 0,
        n => 1000u32.saturating_mul(1 << (n - 1).min(4)).min(15_000),
    }
}

/// The wait before a start or subscribe's `attempt`-th try (1-based):
/// `max(0, min(15000, 500 * (attempt - 1)))`.
pub fn retry_delay_ms(attempt: u32) -> u32 {
    500u32.saturating_mul(attempt.saturating_sub(1)).min(15_000)
}

fn stream_error(message: &str) -> Error {
    Error::Stream { message: message.into() }
}

/// `Stream is closed.`: the stream ended before it had an id, or was written after its end.
pub fn closed_error() -> Error {
    stream_error("Stream is closed.")
}

/// UTF-8 length of a string as the server counts it.
pub fn byte_len(text: &str) -> u64 {
    text.len() as u64
}

/// A writer's bytes: what was written, what the server holds durably, and the chunks to send
/// again after a reconnect (docs/streams.md §2 "Writer").
#[derive(Clone, Debug, Default)]
pub struct WriterState {
    /// Written chunks not yet known to be durable.
    buffer: VecDeque<String>,
    /// The byte offset of `buffer[0]`.
    buffer_offset: u64,
    /// Bytes in `buffer`.
    buffered: u64,
    /// The stream's id, once started.
    pub stream_id: Option<String>,
    /// `close` (None) or `abort` (Some(reason)) was asked for.
    pub ending: Option<Option<String>>,
    /// The final flush was confirmed.
    pub done: bool,
    started_once: bool,
}

impl WriterState {
    /// Bytes written so far: where the next chunk starts.
    pub fn total(&self) -> u64 {
        self.buffer_offset + self.buffered
    }

    /// Bytes not yet known to be durable.
    pub fn unflushed(&self) -> u64 {
        self.buffered
    }

    /// `start-stream-ok` arrived with `offset`: the appends to send now (JSON texts, given the
    /// stream id). On the first start the offset must be 0 (`Write stream is corrupted`); on a
    /// restart the durable bytes are dropped from the buffer and the rest goes again in one
    /// append, with the end (`done`, `abort-reason`) if it was asked for meanwhile.
    pub fn started(&mut self, event_id: &str, stream_id: &str, offset: u64) -> Result<Option<String>> {
        if !self.started_once && offset != 0 {
            return Err(stream_error("Write stream is corrupted"));
        }
        self.started_once = true;
        self.stream_id = Some(stream_id.to_owned());
        if offset > self.total() || offset < self.buffer_offset {
            return Err(stream_error("Write stream is corrupted"));
        }
        self.flushed(offset);
        if self.buffer_offset < offset {
            // The durable end falls inside a chunk: keep only its tail.
            let skip = (offset - self.buffer_offset) as usize;
            let first = self.buffer.pop_front().unwrap_or_default();
            let tail = first.get(skip..).ok_or_else(|| stream_error("Write stream is corrupted"))?.to_owned();
            self.buffered -= skip as u64;
            self.buffer_offset = offset;
            self.buffer.push_front(tail);
        }
        let reason = self.ending.clone();
        if self.buffer.is_empty() && reason.is_none() {
            return Ok(None);
        }
        let chunks: Vec<&str> = self.buffer.iter().map(String::as_str).collect();
        let abort = reason.as_ref().and_then(|r| r.as_deref());
        Ok(Some(append_message(event_id, stream_id, &chunks, self.buffer_offset, reason.is_some(), abort)))
    }

    /// Buffers `chunk`; returns its offset (the append to send, if connected, is
    /// `append_message(.., &[chunk], offset, false, None)`).
    pub fn write(&mut self, chunk: &str) -> Result<u64> {
        if self.done || self.ending.is_some() {
            return Err(stream_error("Stream has been closed."));
        }
        let offset = self.total();
        self.buffered += byte_len(chunk);
        self.buffer.push_back(chunk.to_owned());
        Ok(offset)
    }

    /// `close()` (None) or `abort(reason)`: the final append (`chunks: []` at the total).
    pub fn end(&mut self, event_id: &str, abort_reason: Option<String>) -> Option<String> {
        if self.ending.is_some() || self.done {
            return None;
        }
        self.ending = Some(abort_reason.clone());
        let id = self.stream_id.clone()?;
        Some(append_message::<&str>(event_id, &id, &[], self.total(), true, abort_reason.as_deref()))
    }

    /// `stream-flushed{offset}`: drops the whole chunks that are now durable.
    pub fn flushed(&mut self, offset: u64) {
        while let Some(first) = self.buffer.front() {
            let end = self.buffer_offset + byte_len(first);
            if end > offset {
                break;
            }
            self.buffer_offset = end;
            self.buffered -= byte_len(first);
            self.buffer.pop_front();
        }
    }
}

/// A reader's position: the bytes already delivered, so that a resubscription's overlap is
/// skipped, and a UTF-8 sequence cut by a byte offset is completed before it is decoded.
#[derive(Clone, Debug, Default)]
pub struct ReaderState {
    /// Bytes received so far (`byteOffset` + delivered).
    pub seen: u64,
    /// The start of a UTF-8 sequence still missing its continuation bytes.
    partial: Vec<u8>,
}

impl ReaderState {
    /// A reader starting at `offset`.
    pub fn at(offset: u64) -> ReaderState {
        ReaderState { seen: offset, partial: Vec::new() }
    }

    /// Bytes starting at stream offset `offset`: the text they add (the overlap with what was
    /// seen is skipped). `Stream is corrupted.` when they start past what was seen.
    pub fn bytes(&mut self, offset: u64, bytes: &[u8]) -> Result<String> {
        if offset > self.seen {
            return Err(stream_error("Stream is corrupted."));
        }
        let skip = self.seen - offset;
        if skip >= bytes.len() as u64 {
            return Ok(String::new());
        }
        let fresh = &bytes[skip as usize..];
        self.seen += fresh.len() as u64;
        self.partial.extend_from_slice(fresh);
        let valid = match core::str::from_utf8(&self.partial) {
            Ok(_) => self.partial.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.partial.len(),
        };
        let rest = self.partial.split_off(valid);
        let text = String::from_utf8_lossy(&core::mem::replace(&mut self.partial, rest)).into_owned();
        Ok(text)
    }

    /// What an `Append` (its `content`, files already read) adds.
    pub fn content(&mut self, offset: u64, content: &str) -> Result<String> {
        self.bytes(offset, content.as_bytes())
    }
}

/// What a finished `stream-append` means for the reader: `Ok(true)` the stream ended normally,
/// an error when it was aborted (the abort reason as the message: the official readers ignore
/// it and end normally), or failed for good.
pub fn append_end(append: &Append) -> Result<bool> {
    if append.error {
        // The server sends `error: true`; the official client's message would read "true".
        return Err(stream_error("Unable to process stream."));
    }
    match &append.abort_reason {
        Some(reason) if append.done => Err(Error::Stream { message: reason.clone() }),
        _ => Ok(append.done),
    }
}

/// `Must provide one of streamId or clientId to subscribe to the stream.`
pub fn missing_id_error() -> Error {
    Error::invalid("createReadStream", "Must provide one of streamId or clientId to subscribe to the stream.")
}

#[cfg(test)]
mod tests;
