//! The streams channel (spec §4.3): `/admin/sse` sessions, the messages `/admin/sse/push`
//! routes to them, and the streams those messages write and read.
//!
//! A session is what one `/admin/sse` connection opened: its app, its permission context, the
//! SHA-256 of its `sse-token` and an outbox of messages for its event stream. Pushed messages
//! run at once, in order, and answer on the outbox (`start-stream-ok`, `stream-flushed`,
//! `stream-append`, `error`).
//!
//! Streams live in memory as the real server's stream objects do, but whole: the emulator never
//! moves bytes to `$files` (the simplification spec §4.3 allows), so every reader gets
//! `files: []` and its bytes inline in `content`. Bytes are kept as the chunks the writer sent
//! (each a string, so every chunk boundary is a UTF-8 boundary), and a reader joining at an
//! offset gets the chunks from the one holding that offset on, as the server's
//! `stream-init-msg` does; readers skip what they already have. A `stream-flushed` is sent when
//! the unflushed bytes reach [`FLUSH_LIMIT`], and always on `done`; the flushed offset is the
//! durable one a writer resumes from (what was not flushed is dropped on reconnect, as the
//! server loses the buffer of a writer that went away).
//!
//! Each stream is also a `$streams` entity (`clientId`, `machineId`, `hashedReconnectToken`,
//! then `done`, `size`, `abortReason` when it finishes), written through the transaction engine,
//! so admin queries see it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::rules::{passes, Access, Bindings};
use crate::values::coerce_uuid;
use crate::{transact, Emulator};

/// Unflushed bytes that trigger a `stream-flushed` (`stream-flush-byte-limit`, about 1 MB).
pub const FLUSH_LIMIT: usize = 1024 * 1024;

/// SHA-256 of `text`, lower-case hex.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What `sse-init` tells the client.
#[derive(Clone, Copy, Debug)]
pub struct SessionInfo {
    /// The machine holding the session (the emulator's one machine id).
    pub machine_id: Uuid,
    /// The session id.
    pub session_id: Uuid,
    /// The capability `/admin/sse/push` must present.
    pub sse_token: Uuid,
}

struct Session {
    app_id: Uuid,
    caller: Caller,
    /// SHA-256 of the `sse-token`, hex.
    token_hash: String,
    outbox: mpsc::UnboundedSender<Value>,
    /// Subscriptions by the `client-event-id` of their `subscribe-stream`.
    subscriptions: HashMap<String, Uuid>,
}

/// One reader of a stream: the session and the `client-event-id` it subscribed with.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Reader {
    session: Uuid,
    event_id: String,
}

struct Stream {
    id: Uuid,
    app_id: Uuid,
    client_id: String,
    reconnect_hash: String,
    /// The session that started (or last resumed) it.
    writer: Option<Uuid>,
    /// The chunks received, each with the byte offset it starts at.
    chunks: Vec<(usize, String)>,
    /// Bytes received.
    size: usize,
    /// Bytes flushed: what a resuming writer is told is durable.
    flushed: usize,
    done: bool,
    abort_reason: Option<String>,
    readers: Vec<Reader>,
}

impl Stream {
    /// The chunks from the one holding byte `offset` on, and where the first starts.
    fn content_at(&self, offset: usize) -> (usize, String) {
        let first = self.chunks.iter().position(|(start, chunk)| start + chunk.len() > offset);
        match first {
            Some(at) => (self.chunks[at].0, self.chunks[at..].iter().map(|(_, c)| c.as_str()).collect()),
            None => (self.size, String::new()),
        }
    }

    fn base_message(&self, event_id: &str) -> Map<String, Value> {
        let mut message = Map::new();
        message.insert("op".into(), json!("stream-append"));
        message.insert("client-event-id".into(), json!(event_id));
        message.insert("stream-id".into(), json!(self.id.to_string()));
        message.insert("client-id".into(), json!(self.client_id));
        message
    }
}

#[derive(Default)]
struct State {
    sessions: HashMap<Uuid, Session>,
    streams: HashMap<Uuid, Stream>,
}

impl State {
    fn send(&self, session: Uuid, message: Value) {
        if let Some(session) = self.sessions.get(&session) {
            let _ = session.outbox.send(message);
        }
    }

    fn by_client_id(&self, app_id: Uuid, client_id: &str) -> Option<Uuid> {
        self.streams.values().find(|s| s.app_id == app_id && s.client_id == client_id).map(|s| s.id)
    }
}

/// Every streams session and stream of the emulator.
#[derive(Default)]
pub struct Streams {
    state: Mutex<State>,
}

/// Why a push was refused (spec §4.3): the machine is not this one, or the session is unknown
/// or its token does not match.
#[derive(Debug, PartialEq, Eq)]
pub enum PushRefused {
    MemberMissing,
    SessionMissing,
}

impl Streams {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a session for `caller` on machine `machine_id`; returns what `sse-init` announces
    /// and the receiving end of the session's outbox.
    pub fn open_session(&self, caller: Caller, machine_id: Uuid) -> (SessionInfo, mpsc::UnboundedReceiver<Value>) {
        let (outbox, receiver) = mpsc::unbounded_channel();
        let info = SessionInfo { machine_id, session_id: Uuid::new_v4(), sse_token: Uuid::new_v4() };
        let session = Session {
            app_id: caller.app_id,
            caller,
            token_hash: sha256_hex(&info.sse_token.to_string()),
            outbox,
            subscriptions: HashMap::new(),
        };
        self.state().sessions.insert(info.session_id, session);
        (info, receiver)
    }

    /// Forgets a session (its connection closed) and its subscriptions. Streams it writes stay;
    /// a writer resumes them from another session with the reconnect token.
    pub fn close_session(&self, session_id: Uuid) {
        let mut state = self.state();
        if state.sessions.remove(&session_id).is_none() {
            return;
        }
        for stream in state.streams.values_mut() {
            stream.readers.retain(|r| r.session != session_id);
            if stream.writer == Some(session_id) {
                stream.writer = None;
            }
        }
    }

    /// Forgets every stream (the emulator was reset); sessions stay open without subscriptions.
    pub fn reset(&self) {
        let mut state = self.state();
        state.streams.clear();
        for session in state.sessions.values_mut() {
            session.subscriptions.clear();
        }
    }

    /// Checks a push's addressing (`admin-sse-push`): the machine, then the session of `app_id`
    /// and the SHA-256 of its token.
    pub fn check_push(
        &self,
        our_machine: Uuid,
        app_id: Uuid,
        machine_id: Uuid,
        session_id: Uuid,
        sse_token: Uuid,
    ) -> Result<(), PushRefused> {
        if machine_id != our_machine {
            return Err(PushRefused::MemberMissing);
        }
        let state = self.state();
        let valid =
            state.sessions.get(&session_id).is_some_and(|s| s.app_id == app_id && s.token_hash == sha256_hex(&sse_token.to_string()));
        if valid {
            Ok(())
        } else {
            Err(PushRefused::SessionMissing)
        }
    }

    /// Runs pushed messages for a session, in order; their answers go to its outbox. Each
    /// message gets the session's `session-id`.
    pub fn handle(&self, emulator: &Emulator, session_id: Uuid, messages: &[Value]) {
        let mut state = self.state();
        for message in messages {
            let mut message = message.clone();
            if let Some(fields) = message.as_object_mut() {
                fields.insert("session-id".into(), json!(session_id.to_string()));
            }
            let outcome = match message.get("op").and_then(Value::as_str) {
                Some("start-stream") => start(&mut state, emulator, session_id, &message),
                Some("append-stream") => append(&mut state, emulator, session_id, &message),
                Some("subscribe-stream") => subscribe(&mut state, emulator, session_id, &message),
                Some("unsubscribe-stream") => unsubscribe(&mut state, session_id, &message),
                _ => Err(ApiError::bad_request("param-malformed", "Invalid op", Value::Null)),
            };
            if let Err(error) = outcome {
                state.send(session_id, error_event(error, message));
            }
        }
    }

    /// What the control surface shows of `app_id`'s streams (all apps' when `None`), oldest
    /// client id first.
    pub fn describe(&self, app_id: Option<Uuid>) -> Value {
        let state = self.state();
        let mut streams: Vec<&Stream> = state.streams.values().filter(|s| app_id.is_none_or(|a| a == s.app_id)).collect();
        streams.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        let streams: Vec<Value> = streams
            .iter()
            .map(|s| {
                json!({
                    "id": s.id.to_string(),
                    "app-id": s.app_id.to_string(),
                    "client-id": s.client_id,
                    "size": s.size,
                    "flushed": s.flushed,
                    "done": s.done,
                    "abort-reason": s.abort_reason,
                    "writer-connected": s.writer.is_some(),
                    "readers": s.readers.len(),
                })
            })
            .collect();
        let sessions = state.sessions.values().filter(|s| app_id.is_none_or(|a| a == s.app_id)).count();
        json!({"sessions": sessions, "streams": streams})
    }
}

/// An `error` event for a failed message (`handle-instant-exception`): status 400 for the
/// "bad request" family, which is every error a stream op gives.
fn error_event(error: ApiError, original: Value) -> Value {
    let status = error.status();
    let client_event_id = original.get("client-event-id").cloned().unwrap_or(Value::Null);
    let (error_type, message, hint) = match error {
        ApiError::Instant { error_type, message, hint, .. } => (json!(error_type), json!(message), hint),
        other => (json!(other.error_type()), json!(format!("{other:?}")), Value::Null),
    };
    json!({
        "op": "error",
        "status": status,
        "client-event-id": client_event_id,
        "original-event": original,
        "type": error_type,
        "message": message,
        "hint": hint,
    })
}

fn field<'a>(message: &'a Value, name: &str) -> Option<&'a Value> {
    message.get(name).filter(|v| !v.is_null())
}

fn required<'a>(message: &'a Value, name: &str) -> ApiResult<&'a Value> {
    field(message, name).ok_or_else(|| ApiError::param_missing(&[name], None))
}

fn required_uuid(message: &Value, name: &str) -> ApiResult<Uuid> {
    let value = required(message, name)?;
    value.as_str().and_then(coerce_uuid).ok_or_else(|| ApiError::param_malformed(&[name], value.clone(), None))
}

/// A byte offset: a JSON integer ≥ 0 (`10.0` is refused, spec §1.2); `default` when absent.
fn offset_param(message: &Value, default: Option<usize>) -> ApiResult<usize> {
    match (field(message, "offset"), default) {
        (None, Some(default)) => Ok(default),
        (None, None) => Err(ApiError::param_missing(&["offset"], None)),
        (Some(value), _) => {
            value.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| ApiError::param_malformed(&["offset"], value.clone(), None))
        }
    }
}

/// Whether the session's caller may `action` (`create`/`view`) the stream `client_id`: admins
/// always; others by the app's `$streams` rule, which sees `data.clientId` and `ruleParams`
/// (default deny).
fn assert_permission(emulator: &Emulator, caller: &Caller, action: &str, client_id: &str, message: &Value) -> ApiResult<()> {
    if caller.admin {
        return Ok(());
    }
    let store = emulator.store();
    let allowed = match store.apps.get(&caller.app_id) {
        None => false,
        Some(app) => {
            let access = Access::new(app, caller, store.now_ms());
            let program = access.rules.program("$streams", action)?;
            let bindings = Bindings {
                data: Some(json!({"clientId": client_id})),
                rule_params: field(message, "rule-params").cloned(),
                ..Bindings::default()
            };
            program.is_some() && passes(&access.evaluate(app, program.as_deref(), &bindings)?)
        }
    };
    if allowed {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "permission-denied",
        "Permission denied: not has-streams-permission?",
        json!({"input": ["$streams", action], "expected": "has-streams-permission?"}),
    ))
}

/// Writes `steps` to the app's store as the engine (no rules), all or nothing.
fn write(emulator: &Emulator, app_id: Uuid, steps: Value) -> ApiResult<()> {
    let mut store = emulator.store();
    if !store.apps.contains_key(&app_id) {
        return Err(ApiError::record_not_found("app", json!({"args": [{"id": app_id.to_string()}]})));
    }
    let (_, now) = store.next_tx();
    let app = store.apps.get_mut(&app_id).ok_or_else(ApiError::unknown)?;
    let mut draft = app.clone();
    transact::apply_internal(&mut draft, &steps, now)?;
    *app = draft;
    Ok(())
}

fn session_caller(state: &State, session_id: Uuid) -> ApiResult<Caller> {
    state.sessions.get(&session_id).map(|s| s.caller.clone()).ok_or_else(ApiError::unknown)
}

/// `start-stream`: a new stream, or the one of `client-id` resumed with its reconnect token.
fn start(state: &mut State, emulator: &Emulator, session_id: Uuid, message: &Value) -> ApiResult<()> {
    let client_id_value = required(message, "client-id")?;
    let client_id = client_id_value
        .as_str()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::param_malformed(&["client-id"], client_id_value.clone(), None))?
        .to_owned();
    let token = required_uuid(message, "reconnect-token")?;
    let caller = session_caller(state, session_id)?;
    assert_permission(emulator, &caller, "create", &client_id, message)?;
    let token_hash = sha256_hex(&token.to_string());
    let start_error =
        |text: &str| ApiError::validation_msg("start-stream", json!({"session-id": session_id.to_string(), "client-id": client_id}), text);
    let (stream_id, offset) = match state.by_client_id(caller.app_id, &client_id) {
        Some(stream_id) => {
            let stream = state.streams.get_mut(&stream_id).ok_or_else(ApiError::unknown)?;
            if stream.reconnect_hash != token_hash {
                return Err(start_error("A stream with that clientId already exists. Reconnect token is invalid."));
            }
            if stream.done {
                return Err(start_error("Stream is closed."));
            }
            // What was never flushed is lost with the writer that sent it; the writer resends
            // from the durable offset.
            let flushed = stream.flushed;
            stream.chunks.retain(|(start, _)| *start < flushed);
            stream.size = flushed;
            stream.writer = Some(session_id);
            (stream_id, flushed)
        }
        None => {
            let stream_id = Uuid::new_v4();
            write(
                emulator,
                caller.app_id,
                json!([["update", "$streams", stream_id.to_string(), {
                    "clientId": client_id,
                    "machineId": emulator.machine_id().to_string(),
                    "hashedReconnectToken": token_hash,
                }]]),
            )?;
            let stream = Stream {
                id: stream_id,
                app_id: caller.app_id,
                client_id: client_id.clone(),
                reconnect_hash: token_hash,
                writer: Some(session_id),
                chunks: Vec::new(),
                size: 0,
                flushed: 0,
                done: false,
                abort_reason: None,
                readers: Vec::new(),
            };
            state.streams.insert(stream_id, stream);
            (stream_id, 0)
        }
    };
    state.send(
        session_id,
        json!({
            "op": "start-stream-ok",
            "client-event-id": field(message, "client-event-id"),
            "client-id": client_id,
            "stream-id": stream_id.to_string(),
            "offset": offset,
        }),
    );
    Ok(())
}

/// `append-stream`: chunks at exactly the stream's size, then readers get them, then a flush
/// when due.
fn append(state: &mut State, emulator: &Emulator, session_id: Uuid, message: &Value) -> ApiResult<()> {
    let stream_id = required_uuid(message, "stream-id")?;
    let chunks_value = required(message, "chunks")?;
    let chunks: Vec<String> = chunks_value
        .as_array()
        .and_then(|items| items.iter().map(|c| c.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
        .ok_or_else(|| ApiError::param_malformed(&["chunks"], chunks_value.clone(), None))?;
    let offset = offset_param(message, None)?;
    let done = !matches!(field(message, "done"), None | Some(Value::Bool(false)));
    let abort_reason = field(message, "abort-reason").map(|r| r.as_str().map(str::to_owned).unwrap_or_else(|| r.to_string()));
    let input = json!({"stream-id": stream_id.to_string()});
    let Some(stream) = state.streams.get_mut(&stream_id).filter(|s| s.writer == Some(session_id)) else {
        return Err(ApiError::validation_msg(
            "append-stream",
            json!({"session-id": session_id.to_string(), "stream-id": stream_id.to_string()}),
            "Stream is missing.",
        ));
    };
    if stream.done {
        return Err(ApiError::validation_msg("append-stream", input, "Stream is completed."));
    }
    if offset != stream.size {
        return Err(ApiError::validation_msg(
            "append-stream",
            json!({"stream-id": stream_id.to_string(), "expected-offset": offset, "offset": stream.size}),
            "Invalid offset for stream.",
        ));
    }
    let start = stream.size;
    let content: String = chunks.concat();
    for chunk in chunks.into_iter().filter(|c| !c.is_empty()) {
        let at = stream.size;
        stream.size += chunk.len();
        stream.chunks.push((at, chunk));
    }
    stream.done = done;
    stream.abort_reason = abort_reason.clone();
    let mut outgoing: Vec<(Uuid, Value)> = Vec::new();
    for reader in &stream.readers {
        let mut append = stream.base_message(&reader.event_id);
        append.insert("offset".into(), json!(start));
        append.insert("content".into(), json!(content));
        outgoing.push((reader.session, Value::Object(append)));
        if done {
            let mut end = stream.base_message(&reader.event_id);
            end.insert("done".into(), json!(true));
            if let Some(reason) = &abort_reason {
                end.insert("abort-reason".into(), json!(reason));
            }
            outgoing.push((reader.session, Value::Object(end)));
        }
    }
    if done {
        stream.readers.clear();
    }
    let flush = done || stream.size - stream.flushed >= FLUSH_LIMIT;
    if flush {
        stream.flushed = stream.size;
        outgoing.push((
            session_id,
            json!({"op": "stream-flushed", "stream-id": stream_id.to_string(), "offset": stream.flushed, "done": done}),
        ));
    }
    let (app_id, size) = (stream.app_id, stream.size);
    for (session, message) in outgoing {
        state.send(session, message);
    }
    if done {
        let mut fields = json!({"done": true, "size": size});
        if let Some(reason) = abort_reason {
            fields["abortReason"] = json!(reason);
        }
        write(emulator, app_id, json!([["update", "$streams", stream_id.to_string(), fields]]))?;
    }
    Ok(())
}

/// `subscribe-stream`: the bytes from `offset` (files none, content inline), then each append,
/// then the end; a finished stream answers once, with `done`.
fn subscribe(state: &mut State, emulator: &Emulator, session_id: Uuid, message: &Value) -> ApiResult<()> {
    let event_id = match field(message, "client-event-id") {
        Some(Value::String(id)) => id.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let stream_id = match field(message, "stream-id") {
        Some(_) => Some(required_uuid(message, "stream-id")?),
        None => None,
    };
    let client_id = field(message, "client-id").map(|c| c.as_str().map(str::to_owned).unwrap_or_else(|| c.to_string()));
    if stream_id.is_none() && client_id.is_none() {
        return Err(ApiError::validation_msg(
            "subscribe-stream",
            json!({"session-id": session_id.to_string()}),
            "Must provide either a stream-id or a client-id",
        ));
    }
    let offset = offset_param(message, Some(0))?;
    let caller = session_caller(state, session_id)?;
    let found = match (stream_id, &client_id) {
        (Some(id), _) => state.streams.get(&id).filter(|s| s.app_id == caller.app_id).map(|s| s.id),
        (None, Some(client_id)) => state.by_client_id(caller.app_id, client_id),
        (None, None) => None,
    };
    let Some(stream_id) = found else {
        return Err(ApiError::validation_msg(
            "subscribe-stream",
            json!({"stream-id": stream_id.map(|id| id.to_string()), "client-id": client_id}),
            "Stream is missing.",
        ));
    };
    let stream_client_id = state.streams.get(&stream_id).map(|s| s.client_id.clone()).unwrap_or_default();
    assert_permission(emulator, &caller, "view", &stream_client_id, message)?;
    let stream = state.streams.get_mut(&stream_id).ok_or_else(ApiError::unknown)?;
    let (start, content) = stream.content_at(offset);
    let mut first = stream.base_message(&event_id);
    first.insert("offset".into(), json!(start));
    first.insert("files".into(), json!([]));
    first.insert("content".into(), json!(content));
    if stream.done {
        first.insert("done".into(), json!(true));
        if let Some(reason) = &stream.abort_reason {
            first.insert("abort-reason".into(), json!(reason));
        }
    } else {
        stream.readers.retain(|r| !(r.session == session_id && r.event_id == event_id));
        stream.readers.push(Reader { session: session_id, event_id: event_id.clone() });
    }
    if let Some(session) = state.sessions.get_mut(&session_id) {
        session.subscriptions.insert(event_id, stream_id);
    }
    state.send(session_id, Value::Object(first));
    Ok(())
}

/// `unsubscribe-stream`: the subscription made with `subscribe-event-id` ends.
fn unsubscribe(state: &mut State, session_id: Uuid, message: &Value) -> ApiResult<()> {
    let target = required(message, "subscribe-event-id")?;
    let target = target.as_str().map(str::to_owned).unwrap_or_else(|| target.to_string());
    let removed = state.sessions.get_mut(&session_id).and_then(|s| s.subscriptions.remove(&target));
    let Some(stream_id) = removed else {
        return Err(ApiError::validation_msg(
            "unsubscribe-stream",
            json!({"session-id": session_id.to_string(), "subscribe-event-id": target}),
            "Stream subscription is missing.",
        ));
    };
    if let Some(stream) = state.streams.get_mut(&stream_id) {
        stream.readers.retain(|r| !(r.session == session_id && r.event_id == target));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_with(chunks: &[&str]) -> Stream {
        let mut stream = Stream {
            id: Uuid::nil(),
            app_id: Uuid::nil(),
            client_id: "c".into(),
            reconnect_hash: String::new(),
            writer: None,
            chunks: Vec::new(),
            size: 0,
            flushed: 0,
            done: false,
            abort_reason: None,
            readers: Vec::new(),
        };
        for chunk in chunks {
            stream.chunks.push((stream.size, (*chunk).to_owned()));
            stream.size += chunk.len();
        }
        stream
    }

    #[test]
    fn readers_get_whole_chunks_from_the_one_holding_their_offset() {
        let stream = stream_with(&["ab", "cé", "f"]);
        assert_eq!(stream.content_at(0), (0, "abcéf".into()));
        assert_eq!(stream.content_at(2), (2, "céf".into()));
        assert_eq!(stream.content_at(4), (2, "céf".into()), "inside the two-byte é");
        assert_eq!(stream.content_at(5), (5, "f".into()));
        assert_eq!(stream.content_at(6), (6, String::new()));
        assert_eq!(stream.content_at(60), (6, String::new()));
    }

    #[test]
    fn tokens_are_kept_hashed() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
