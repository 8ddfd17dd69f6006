//! `db.streams()`: durable text streams over the streams channel (spec §4.3,
//! docs/streams.md), a [`StreamWriter`] and a [`StreamReader`] (a [`Stream`] of text), each
//! on its own channel connection driven by a background task over the pure
//! [`crate::streams`] pieces. A dropped connection reconnects (0 s, 1 s, 2 s, ... 15 s): the
//! writer starts again with its reconnect token and resends what the server did not hold
//! durably (an end asked for meanwhile included), the reader subscribes again at its offset
//! and skips what it already has.

use crate::prelude::*;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use core::cell::RefCell;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_core::Stream;

use super::Instant;
use crate::error::{Error, Result};
use crate::host::{self, CallControl, Canceller, ChunkReader, Opened, Transport};
use crate::http::TransportError;
use crate::sse::{SseDecoder, SseItem};
pub use crate::streams::StreamRef;
use crate::streams::{self as proto, ChannelSession, Event, ReaderState, WriterState};

enum Role {
    Writer { state: WriterState, client_id: String, token: String, start_id: String, ready: bool },
    Reader { state: ReaderState, stream: StreamRef, event_id: String, texts: VecDeque<String> },
}

struct Shared {
    role: Role,
    session: Option<ChannelSession>,
    /// A reader's append with stored parts, for [`drive`] to fetch before what follows.
    files: Option<proto::Append>,
    /// Stored parts that could not be read, in a row.
    file_failures: u32,
    error: Option<Error>,
    /// The writer's end was confirmed, or the reader's stream ended.
    ended: bool,
    waker: Option<Waker>,
}

type Handle = Rc<RefCell<Shared>>;

impl Shared {
    fn wake(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    fn fail(&mut self, error: Error) {
        if !self.ended && self.error.is_none() {
            self.error = Some(error);
        }
        self.ended = true;
        self.wake();
    }

    /// The handshake on a fresh session.
    fn connected(&mut self) -> Vec<String> {
        match &mut self.role {
            Role::Writer { client_id, token, start_id, ready, .. } => {
                *ready = false;
                *start_id = host::id();
                vec![proto::start_message(start_id, client_id, token, None)]
            }
            Role::Reader { state, stream, event_id, .. } => {
                *event_id = host::id();
                vec![proto::subscribe_message(event_id, stream, state.seen, None)]
            }
        }
    }

    /// What `event` means: the messages to push.
    fn event(&mut self, event: Event) -> Vec<String> {
        let mut out = Vec::new();
        let mut failed = None;
        match (&mut self.role, event) {
            (Role::Writer { state, start_id, ready, .. }, Event::Started { event_id, stream_id, offset }) if event_id == *start_id => {
                match state.started(&host::id(), &stream_id, offset) {
                    Ok(resend) => {
                        *ready = true;
                        out.extend(resend);
                    }
                    Err(error) => failed = Some(error),
                }
                self.wake();
            }
            (Role::Writer { state, .. }, Event::Flushed { stream_id, offset, done }) if state.stream_id.as_ref() == Some(&stream_id) => {
                state.flushed(offset);
                if done {
                    self.ended = true;
                    self.wake();
                }
            }
            (Role::Writer { state, .. }, Event::AppendFailed { stream_id }) if state.stream_id.as_ref() == Some(&stream_id) => {
                out = self.connected();
            }
            (Role::Writer { state, start_id, .. }, Event::Failed { op, event_id, stream_id, error }) => {
                if op == "start-stream" && event_id == *start_id {
                    failed = Some(error);
                } else if op == "append-stream" && state.stream_id.as_ref() == Some(&stream_id) {
                    out = self.connected();
                }
            }
            (Role::Reader { event_id, .. }, Event::Failed { op, event_id: of, error, .. })
                if op == "subscribe-stream" && of == *event_id =>
            {
                failed = Some(error);
            }
            (Role::Reader { state, event_id, texts, .. }, Event::Append(append)) if append.event_id == *event_id => {
                if append.error && append.retry {
                    return self.connected();
                }
                if !append.files.is_empty() {
                    // Stored parts are read by URL first: `drive` fetches them, then calls
                    // `files_read`.
                    self.files = Some(append);
                    return out;
                }
                match state.content(append.offset, append.content.as_deref().unwrap_or("")) {
                    Ok(text) if !text.is_empty() => texts.push_back(text),
                    Ok(_) => {}
                    Err(error) => failed = Some(error),
                }
                match proto::append_end(&append) {
                    Ok(true) => self.ended = true,
                    Ok(false) => {}
                    Err(error) => failed = Some(error),
                }
                self.wake();
            }
            _ => {}
        }
        if let Some(error) = failed {
            self.fail(error);
        }
        out
    }
}

impl Shared {
    /// An append's stored parts were fetched (`None`: one could not be): their bytes, then its
    /// content and end as any append's. More than 10 failures in a row end the read ("Unable
    /// to process stream.", as the official reader); fewer subscribe again at the offset.
    fn files_read(&mut self, mut append: proto::Append, parts: Option<Vec<Vec<u8>>>) -> Vec<String> {
        let Some(parts) = parts else {
            self.file_failures += 1;
            if self.file_failures > 10 {
                self.fail(Error::Stream { message: "Unable to process stream.".into() });
                return Vec::new();
            }
            return self.connected();
        };
        self.file_failures = 0;
        let mut failed = None;
        if let Role::Reader { state, texts, .. } = &mut self.role {
            let mut offset = append.offset;
            for (bytes, file) in parts.iter().zip(&append.files) {
                match state.bytes(offset, bytes) {
                    Ok(text) if !text.is_empty() => texts.push_back(text),
                    Ok(_) => {}
                    Err(error) => failed = Some(error),
                }
                offset += file.size;
            }
            append.offset = offset;
            append.files.clear();
        }
        if let Some(error) = failed {
            self.fail(error);
            return Vec::new();
        }
        self.event(Event::Append(append))
    }
}

/// The bytes of a stored part (a `$files` object of the stream), by its URL.
async fn file_bytes<T: Transport>(db: &Instant<T>, url: &str, control: &CallControl) -> Option<Vec<u8>> {
    let request = crate::http::HttpRequest::new("GET", url.to_owned(), Vec::new());
    let Ok(Opened::Stream(mut body)) = db.transport().open(&request, control).await else { return None };
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next_chunk().await {
        bytes.extend_from_slice(&chunk.ok()?);
    }
    Some(bytes)
}

/// Sends `messages` on the session; a failure is left to the reconnect.
async fn push<T: Transport>(db: &Instant<T>, session: &ChannelSession, messages: &[String]) {
    if messages.is_empty() {
        return;
    }
    let request = proto::push_request(db.config(), proto::push_body(session, messages));
    let _ = db.transport().send(&request, &CallControl::default()).await;
}

/// Runs one stream's channel until it ends or its handle is dropped.
async fn drive<T: Transport>(db: Instant<T>, shared: Handle, control: CallControl) {
    let request = match crate::streams::channel_request(db.config(), db.who()) {
        Ok(request) => request,
        Err(error) => return shared.borrow_mut().fail(error),
    };
    let aborted = |control: &CallControl| control.signal.as_ref().is_some_and(|s| s.aborted());
    let mut drops = 0;
    loop {
        if shared.borrow().ended || aborted(&control) {
            return;
        }
        match db.transport().open(&request, &control).await {
            Ok(Opened::Stream(mut body)) => {
                let mut decoder = SseDecoder::default();
                loop {
                    let chunk = match body.next_chunk().await {
                        Some(Ok(chunk)) => chunk,
                        Some(Err(TransportError::Aborted)) => return,
                        _ => break,
                    };
                    for item in decoder.push(&chunk) {
                        let SseItem::Event(event) = item else { continue };
                        let Ok(read) = proto::events(&event.data) else { continue };
                        for event in read {
                            let (session, out) = {
                                let mut s = shared.borrow_mut();
                                let out = match event {
                                    Event::Init(session) => {
                                        drops = 0;
                                        s.session = Some(session);
                                        s.connected()
                                    }
                                    other => s.event(other),
                                };
                                (s.session.clone(), out)
                            };
                            // An append with stored parts: fetched here, in order, before
                            // anything that follows it is read.
                            let files = shared.borrow_mut().files.take();
                            let out = match files {
                                Some(append) => {
                                    let mut parts = Some(Vec::new());
                                    for file in &append.files {
                                        let bytes = file_bytes(&db, &file.url, &control).await;
                                        parts = parts.zip(bytes).map(|(mut parts, bytes)| {
                                            parts.push(bytes);
                                            parts
                                        });
                                    }
                                    let mut more = out;
                                    more.extend(shared.borrow_mut().files_read(append, parts));
                                    more
                                }
                                None => out,
                            };
                            if let Some(session) = session {
                                push(&db, &session, &out).await;
                            }
                        }
                    }
                    if shared.borrow().ended || aborted(&control) {
                        return;
                    }
                }
            }
            Ok(Opened::Whole(answer)) if matches!(answer.status, 400 | 401 | 403 | 404) => {
                return shared.borrow_mut().fail(db.failure(&answer, &request));
            }
            Err(TransportError::Aborted) => return,
            _ => {}
        }
        shared.borrow_mut().session = None;
        if let Role::Writer { ready, .. } = &mut shared.borrow_mut().role {
            *ready = false;
        }
        db.transport().sleep(proto::channel_backoff_ms(drops)).await;
        drops += 1;
    }
}

/// `db.streams()`.
#[derive(Clone, Debug)]
pub struct Streams<T: Transport> {
    db: Instant<T>,
}

/// A stream being written (`createWriteStream`). Dropping it closes its channel without
/// finishing the stream (a new writer with the same client id cannot take it over: the
/// reconnect token is this writer's).
pub struct StreamWriter<T: Transport> {
    db: Instant<T>,
    shared: Handle,
    stream_id: String,
    canceller: Canceller,
}

/// A stream being read (`createReadStream`): a [`Stream`] of text chunks; an aborted stream
/// ends with an [`Error::Stream`] whose message is the abort reason. Dropping it closes its
/// channel.
pub struct StreamReader {
    shared: Handle,
    canceller: Canceller,
}

fn start<T: Transport>(db: &Instant<T>, role: Role) -> (Handle, Canceller) {
    let shared =
        Rc::new(RefCell::new(Shared { role, session: None, files: None, file_failures: 0, error: None, ended: false, waker: None }));
    let canceller = Canceller::new();
    let control = CallControl { timeout_ms: 0, signal: Some(canceller.signal()) };
    db.transport().spawn(Box::pin(drive(db.clone(), shared.clone(), control)));
    (shared, canceller)
}

/// Waits until `ready` says so (or the stream failed).
async fn until(shared: &Handle, ready: impl Fn(&Shared) -> bool) -> Result<()> {
    core::future::poll_fn(|cx| {
        let mut s = shared.borrow_mut();
        if let Some(error) = &s.error {
            return Poll::Ready(Err(error.clone()));
        }
        if ready(&s) {
            return Poll::Ready(Ok(()));
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    })
    .await
}

impl<T: Transport> Streams<T> {
    /// Starts writing the stream named `client_id` (`createWriteStream({ clientId })`); resolves
    /// once the server gave it an id.
    ///
    /// ```no_run
    /// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
    /// let writer = db.streams().create_write_stream("chat-42").await?;
    /// writer.append("Hello, ").await?;
    /// writer.append("world").await?;
    /// writer.finish().await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_write_stream(&self, client_id: &str) -> Result<StreamWriter<T>> {
        if client_id.trim().is_empty() {
            return Err(Error::invalid("clientId", "must be a non-empty string"));
        }
        let role = Role::Writer {
            state: WriterState::default(),
            client_id: client_id.to_owned(),
            token: host::id(),
            start_id: String::new(),
            ready: false,
        };
        let (shared, canceller) = start(&self.db, role);
        until(&shared, |s| matches!(&s.role, Role::Writer { state, .. } if state.stream_id.is_some())).await?;
        let stream_id = match &shared.borrow().role {
            Role::Writer { state, .. } => state.stream_id.clone().unwrap_or_default(),
            Role::Reader { .. } => String::new(),
        };
        Ok(StreamWriter { db: self.db.clone(), shared, stream_id, canceller })
    }

    /// Reads a stream from byte `byte_offset` (`createReadStream`).
    ///
    /// ```no_run
    /// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
    /// use instant_edge::client::streams::StreamRef;
    /// let mut reader = db.streams().create_read_stream(StreamRef::ClientId("chat-42".into()), 0);
    /// while let Some(text) = reader.next().await {
    ///     print!("{}", text?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn create_read_stream(&self, stream: StreamRef, byte_offset: u64) -> StreamReader {
        let role = Role::Reader { state: ReaderState::at(byte_offset), stream, event_id: String::new(), texts: VecDeque::new() };
        let (shared, canceller) = start(&self.db, role);
        StreamReader { shared, canceller }
    }
}

impl<T: Transport> StreamWriter<T> {
    /// The server's id of the stream.
    pub fn stream_id(&self) -> &str {
        &self.stream_id
    }

    /// Appends `text` (sent now when connected, else after the reconnect).
    pub async fn append(&self, text: &str) -> Result<()> {
        let (session, message) = {
            let mut s = self.shared.borrow_mut();
            if let Some(error) = &s.error {
                return Err(error.clone());
            }
            let session = s.session.clone();
            let Role::Writer { state, ready, .. } = &mut s.role else { return Ok(()) };
            let offset = state.write(text)?;
            let message = proto::append_message(&host::id(), &self.stream_id, &[text], offset, false, None);
            (session.filter(|_| *ready), message)
        };
        if let Some(session) = session {
            push(&self.db, &session, &[message]).await;
        }
        Ok(())
    }

    /// Ends the stream and waits until the server confirmed it.
    pub async fn finish(self) -> Result<()> {
        self.end(None).await
    }

    /// Ends the stream as aborted: readers get an error with `reason` as its message.
    pub async fn abort(self, reason: &str) -> Result<()> {
        self.end(Some(reason.to_owned())).await
    }

    async fn end(self, reason: Option<String>) -> Result<()> {
        let (session, message) = {
            let mut s = self.shared.borrow_mut();
            let session = s.session.clone();
            let Role::Writer { state, ready, .. } = &mut s.role else { return Ok(()) };
            let message = state.end(&host::id(), reason);
            (session.filter(|_| *ready), message)
        };
        if let (Some(session), Some(message)) = (session, message) {
            push(&self.db, &session, &[message]).await;
        }
        until(&self.shared, |s| s.ended).await
    }
}

impl<T: Transport> core::fmt::Debug for StreamWriter<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamWriter").field("stream_id", &self.stream_id).finish()
    }
}

impl core::fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamReader").field("ended", &self.shared.borrow().ended).finish()
    }
}

impl StreamReader {
    /// The next text chunk, the error that ended the stream, or `None` once it ended.
    pub async fn next(&mut self) -> Option<Result<String>> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for StreamReader {
    type Item = Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<String>>> {
        let mut s = self.shared.borrow_mut();
        if let Role::Reader { texts, .. } = &mut s.role {
            if let Some(text) = texts.pop_front() {
                return Poll::Ready(Some(Ok(text)));
            }
        }
        if let Some(error) = s.error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        if s.ended {
            return Poll::Ready(None);
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<T: Transport> Drop for StreamWriter<T> {
    fn drop(&mut self) {
        self.canceller.cancel();
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        self.canceller.cancel();
    }
}

impl<T: Transport> Instant<T> {
    /// Durable text streams (`db.streams`): see [`Streams`].
    pub fn streams(&self) -> Streams<T> {
        Streams { db: self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::{Append, StreamFile};

    fn reader(seen: u64) -> Shared {
        let role = Role::Reader {
            state: ReaderState::at(seen),
            stream: StreamRef::StreamId("s1".into()),
            event_id: "e1".into(),
            texts: VecDeque::new(),
        };
        Shared { role, session: None, files: None, file_failures: 0, error: None, ended: false, waker: None }
    }

    fn texts(shared: &Shared) -> Vec<String> {
        match &shared.role {
            Role::Reader { texts, .. } => texts.iter().cloned().collect(),
            Role::Writer { .. } => Vec::new(),
        }
    }

    fn finished(files: &[(&str, u64)], content: &str) -> Append {
        Append {
            event_id: "e1".into(),
            stream_id: "s1".into(),
            offset: 0,
            files: files.iter().map(|(url, size)| StreamFile { url: (*url).into(), size: *size }).collect(),
            content: Some(content.into()),
            done: true,
            ..Append::default()
        }
    }

    #[test]
    fn stored_parts_are_read_before_the_content_and_what_was_seen_is_skipped() {
        // A stored part "héllo" (6 bytes) and inline " world"; the reader had seen "hé" (3 bytes).
        let mut shared = reader(3);
        let append = finished(&[("https://files/0", 6)], " world");
        assert!(shared.event(Event::Append(append.clone())).is_empty());
        let pending = shared.files.take().expect("the parts are fetched by drive");
        assert!(shared.files_read(pending, Some(vec!["héllo".as_bytes().to_vec()])).is_empty());
        assert_eq!(texts(&shared).concat(), "llo world");
        assert!(shared.ended && shared.error.is_none());
    }

    #[test]
    fn parts_that_cannot_be_read_resubscribe_then_give_up() {
        let mut shared = reader(0);
        let append = finished(&[("https://files/0", 5)], "");
        for _ in 0..10 {
            let again = shared.files_read(append.clone(), None);
            assert!(again.iter().any(|m| m.contains("subscribe-stream")), "resubscribes: {again:?}");
        }
        assert!(shared.files_read(append, None).is_empty());
        assert_eq!(shared.error.as_ref().map(Error::message).as_deref(), Some("Unable to process stream."));
    }
}
