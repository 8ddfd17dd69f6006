//! The streams channel over real HTTP (spec §4.3): `POST /admin/sse` sessions, `POST
//! /admin/sse/push` checks, and the stream ops — writing ~1 MB in chunks, readers joining from
//! the start and from the middle, writer reconnects, offsets, aborts, unsubscribing, the
//! `$streams` entities and the `/__emulator/streams` control route.
mod common;
use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

const PATIENCE: Duration = Duration::from_secs(10);

/// One `/admin/sse` session read as raw SSE.
struct Channel {
    response: reqwest::Response,
    pending: Vec<u8>,
    app_id: String,
    machine_id: String,
    session_id: String,
    sse_token: String,
}

impl Channel {
    /// Opens a session with these extra headers (the admin token unless impersonating); checks
    /// `retry:500` and `sse-init`.
    async fn open_with(s: &Server, extra: &[(&str, &str)]) -> Channel {
        let mut request = s
            .http
            .post(format!("{}/admin/sse?app_id={}", s.base, s.app_id))
            .header("content-type", "application/json")
            .body(json!({"inference?": false, "versions": {"@instantdb/admin": "v0.0.0"}}).to_string());
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream; charset=UTF-8");
        let mut channel = Channel {
            response,
            pending: Vec::new(),
            app_id: s.app_id.clone(),
            machine_id: String::new(),
            session_id: String::new(),
            sse_token: String::new(),
        };
        assert_eq!(channel.block().await, "retry:500");
        let init = channel.event().await;
        assert_eq!(init["op"], "sse-init", "{init}");
        for key in ["machine-id", "session-id", "sse-token"] {
            assert!(init[key].as_str().is_some_and(|v| Uuid::parse_str(v).is_ok()), "{key}: {init}");
        }
        channel.machine_id = init["machine-id"].as_str().unwrap().to_owned();
        channel.session_id = init["session-id"].as_str().unwrap().to_owned();
        channel.sse_token = init["sse-token"].as_str().unwrap().to_owned();
        channel
    }

    async fn open(s: &Server) -> Channel {
        let auth = s.bearer();
        Channel::open_with(s, &[("authorization", auth.as_str())]).await
    }

    /// The next `\n\n` block, skipping keep-alive comments.
    async fn block(&mut self) -> String {
        loop {
            if self.pending.starts_with(b":\n") {
                self.pending.drain(..2);
                continue;
            }
            if let Some(at) = self.pending.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.pending.drain(..at + 2).take(at).collect();
                return String::from_utf8(block).expect("utf-8");
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk()).await.expect("nothing arrived in time");
            match chunk.expect("chunk") {
                Some(chunk) => self.pending.extend_from_slice(&chunk),
                None => panic!("the stream ended"),
            }
        }
    }

    async fn event(&mut self) -> Value {
        let block = self.block().await;
        let text = block.strip_prefix("data:").unwrap_or_else(|| panic!("not a data event: {block:?}"));
        let event: Value = serde_json::from_str(text).expect("JSON");
        assert!(event["trace-id"].is_string(), "trace-id: {event}");
        event
    }

    /// Whether no event arrives within `ms`.
    async fn quiet_for(&mut self, ms: u64) -> bool {
        if self.pending.windows(2).any(|w| w == b"\n\n") {
            return false;
        }
        match tokio::time::timeout(Duration::from_millis(ms), self.response.chunk()).await {
            Err(_) => true,
            Ok(Ok(Some(chunk))) => {
                self.pending.extend_from_slice(&chunk);
                false
            }
            Ok(_) => false,
        }
    }

    /// The push body for `messages`.
    fn push_body(&self, messages: Value) -> Value {
        json!({"machine_id": self.machine_id, "session_id": self.session_id, "sse_token": self.sse_token, "messages": messages})
    }

    /// Pushes `messages` as the JS client does (only a content type); panics unless 200 `{}`.
    async fn push(&self, s: &Server, messages: Value) {
        let a = s.post_raw(&format!("/admin/sse/push?app_id={}", self.app_id), &[JSON], &self.push_body(messages).to_string()).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body, json!({}));
    }

    /// `start-stream`; returns the `start-stream-ok`.
    async fn start(&mut self, s: &Server, client_id: &str, token: &str) -> Value {
        let ce = Uuid::new_v4().to_string();
        self.push(s, json!([{"op": "start-stream", "client-event-id": ce, "client-id": client_id, "reconnect-token": token}])).await;
        let ok = self.event().await;
        assert_eq!(ok["op"], "start-stream-ok", "{ok}");
        assert_eq!(ok["client-event-id"], ce.as_str());
        assert_eq!(ok["client-id"], client_id);
        ok
    }

    async fn append(&self, s: &Server, stream_id: &str, chunks: &[&str], offset: usize, done: bool) {
        let message = json!({"op": "append-stream", "client-event-id": Uuid::new_v4().to_string(), "stream-id": stream_id,
                             "chunks": chunks, "offset": offset, "done": done});
        self.push(s, json!([message])).await;
    }

    /// `subscribe-stream` by stream id from `offset`; returns the subscribe's event id.
    async fn subscribe(&self, s: &Server, stream_id: &str, offset: usize) -> String {
        let ce = Uuid::new_v4().to_string();
        self.push(s, json!([{"op": "subscribe-stream", "client-event-id": ce, "stream-id": stream_id, "offset": offset}])).await;
        ce
    }

    /// The next event, which must be an `error` for `op`; returns its message.
    async fn error_for(&mut self, op: &str) -> Value {
        let event = self.event().await;
        assert_eq!(event["op"], "error", "{event}");
        assert_eq!(event["status"], 400, "{event}");
        assert_eq!(event["original-event"]["op"], op, "{event}");
        assert_eq!(event["original-event"]["session-id"], self.session_id.as_str(), "{event}");
        event
    }
}

/// A reader's view: bytes put together from `stream-append` messages, skipping what it has.
#[derive(Default)]
struct Reader {
    text: String,
    done: bool,
    abort_reason: Option<String>,
}

impl Reader {
    fn take(&mut self, event: &Value) {
        assert_eq!(event["op"], "stream-append", "{event}");
        if let Some(content) = event["content"].as_str() {
            let offset = event["offset"].as_u64().expect("offset") as usize;
            assert!(offset <= self.text.len(), "a gap: at {offset}, have {}", self.text.len());
            let skip = self.text.len() - offset;
            self.text.push_str(&content[skip.min(content.len())..]);
        }
        if event["done"] == true {
            self.done = true;
            self.abort_reason = event["abort-reason"].as_str().map(str::to_owned);
        }
    }
}

async fn streams_of(s: &Server) -> Value {
    let a = s.send(Method::GET, &format!("/__emulator/streams?app-id={}", s.app_id), &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

/// Text of `n` bytes with multi-byte characters in it.
fn piece(i: usize) -> String {
    let mut text = format!("{i:05}é€🙂");
    while text.len() < 1000 {
        text.push('x');
    }
    text
}

#[tokio::test]
async fn a_megabyte_in_chunks_reaches_readers_from_the_start_and_from_the_middle() {
    let s = start().await;
    let mut writer = Channel::open(&s).await;
    let token = Uuid::new_v4().to_string();
    let ok = writer.start(&s, "big", &token).await;
    assert_eq!(ok["offset"], 0);
    let stream_id = ok["stream-id"].as_str().unwrap().to_owned();

    let mut early = Channel::open(&s).await;
    let early_ce = early.subscribe(&s, &stream_id, 0).await;
    let first = early.event().await;
    assert_eq!(first["client-event-id"], early_ce.as_str());
    assert_eq!(first["stream-id"], stream_id.as_str());
    assert_eq!(first["client-id"], "big");
    assert_eq!((first["offset"].clone(), first["files"].clone(), first["content"].clone()), (json!(0), json!([]), json!("")));
    let mut early_view = Reader::default();
    early_view.take(&first);

    let pieces: Vec<String> = (0..1100).map(piece).collect();
    let mut sent = String::new();
    let mut flushed = Vec::new();
    for batch in pieces.chunks(50) {
        let chunks: Vec<&str> = batch.iter().map(String::as_str).collect();
        writer.append(&s, &stream_id, &chunks, sent.len(), false).await;
        sent.push_str(&batch.concat());
        while !writer.quiet_for(20).await {
            let event = writer.event().await;
            assert_eq!(event["op"], "stream-flushed", "{event}");
            flushed.push(event);
        }
        let event = early.event().await;
        early_view.take(&event);
    }
    assert!(sent.len() > 1_000_000);
    assert_eq!(flushed.len(), 1, "one flush past 1 MiB: {flushed:?}");
    assert_eq!(flushed[0]["done"], false);
    let flushed_at = flushed[0]["offset"].as_u64().unwrap() as usize;
    assert!(flushed_at >= 1024 * 1024 && flushed_at <= sent.len());

    // A late reader from the start, and one from the middle of a multi-byte character.
    let mut late = Channel::open(&s).await;
    late.subscribe(&s, &stream_id, 0).await;
    let mut late_view = Reader::default();
    late_view.take(&late.event().await);
    assert_eq!(late_view.text, sent);
    let middle = 500_000 + 6; // inside `é` of some piece
    let mut mid = Channel::open(&s).await;
    mid.subscribe(&s, &stream_id, middle).await;
    let mid_first = mid.event().await;
    let mid_offset = mid_first["offset"].as_u64().unwrap() as usize;
    assert!(mid_offset <= middle, "starts at or before the offset asked for");
    let mut mid_view = Reader { text: sent[..mid_offset].to_owned(), ..Reader::default() };
    mid_view.take(&mid_first);
    assert_eq!(mid_view.text, sent);

    writer.append(&s, &stream_id, &["the end"], sent.len(), true).await;
    sent.push_str("the end");
    let done = writer.event().await;
    assert_eq!(
        done,
        json!({"op": "stream-flushed", "stream-id": stream_id, "offset": sent.len(), "done": true, "trace-id": done["trace-id"]})
    );
    for (channel, view) in [(&mut early, &mut early_view), (&mut late, &mut late_view), (&mut mid, &mut mid_view)] {
        while !view.done {
            view.take(&channel.event().await);
        }
        assert_eq!(view.text, sent);
        assert_eq!(view.abort_reason, None);
    }

    // The `$streams` entity, and a reader of the finished stream gets one message.
    let rows = s.query(json!({"$streams": {}})).await;
    let row = &rows["$streams"][0];
    assert_eq!(
        (row["id"].clone(), row["clientId"].clone(), row["done"].clone(), row["size"].clone()),
        (json!(stream_id), json!("big"), json!(true), json!(sent.len()))
    );
    let mut after = Channel::open(&s).await;
    let ce = Uuid::new_v4().to_string();
    after.push(&s, json!([{"op": "subscribe-stream", "client-event-id": ce, "client-id": "big", "offset": 0}])).await;
    let only = after.event().await;
    assert_eq!((only["done"].clone(), only["offset"].clone(), only["files"].clone()), (json!(true), json!(0), json!([])));
    assert_eq!(only["content"].as_str().unwrap().len(), sent.len());
    assert!(after.quiet_for(100).await);

    let listed = streams_of(&s).await;
    assert_eq!(listed["streams"][0]["size"], sent.len());
    assert_eq!(listed["streams"][0]["done"], true);
}

#[tokio::test]
async fn a_writer_resumes_with_its_token_and_a_wrong_token_is_refused() {
    let s = start().await;
    let mut writer = Channel::open(&s).await;
    let token = Uuid::new_v4().to_string();
    let stream_id = writer.start(&s, "resumable", &token).await["stream-id"].as_str().unwrap().to_owned();
    writer.append(&s, &stream_id, &["héllo "], 0, false).await;
    let mut reader = Channel::open(&s).await;
    reader.subscribe(&s, &stream_id, 0).await;
    let mut view = Reader::default();
    view.take(&reader.event().await);
    assert_eq!(view.text, "héllo ");

    // Another session, the wrong token.
    let mut other = Channel::open(&s).await;
    other.push(&s, json!([{"op": "start-stream", "client-event-id": "x", "client-id": "resumable", "reconnect-token": Uuid::new_v4().to_string()}])).await;
    let error = other.error_for("start-stream").await;
    assert_eq!(error["type"], "validation-failed");
    assert_eq!(
        error["message"],
        "Validation failed for start-stream: A stream with that clientId already exists. Reconnect token is invalid."
    );
    assert_eq!(error["client-event-id"], "x");

    // The writer's connection drops; a new session resumes from the durable (flushed) offset,
    // which is 0: nothing was flushed, so the writer resends.
    drop(writer);
    let mut again = Channel::open(&s).await;
    let ok = again.start(&s, "resumable", &token).await;
    assert_eq!((ok["stream-id"].clone(), ok["offset"].clone()), (json!(stream_id), json!(0)));
    again.append(&s, &stream_id, &["héllo ", "world"], 0, true).await;
    assert_eq!(again.event().await["op"], "stream-flushed");
    while !view.done {
        view.take(&reader.event().await);
    }
    assert_eq!(view.text, "héllo world");

    // Finished: resuming is refused, appending too.
    again.push(&s, json!([{"op": "start-stream", "client-id": "resumable", "reconnect-token": token}])).await;
    assert_eq!(again.error_for("start-stream").await["message"], "Validation failed for start-stream: Stream is closed.");
    again.append(&s, &stream_id, &["more"], 12, false).await;
    assert_eq!(again.error_for("append-stream").await["message"], "Validation failed for append-stream: Stream is completed.");
}

#[tokio::test]
async fn offsets_must_match_and_only_the_writer_appends() {
    let s = start().await;
    let mut writer = Channel::open(&s).await;
    let stream_id = writer.start(&s, "strict", &Uuid::new_v4().to_string()).await["stream-id"].as_str().unwrap().to_owned();
    writer.append(&s, &stream_id, &["€"], 0, false).await; // 3 bytes
    for bad in [0usize, 2, 4] {
        writer.append(&s, &stream_id, &["x"], bad, false).await;
        let error = writer.error_for("append-stream").await;
        assert_eq!(error["message"], "Validation failed for append-stream: Invalid offset for stream.");
        assert_eq!(error["hint"]["input"]["offset"], 3);
    }
    writer.append(&s, &stream_id, &["x"], 3, false).await;
    assert!(writer.quiet_for(100).await);
    let mut stranger = Channel::open(&s).await;
    stranger.append(&s, &stream_id, &["y"], 4, false).await;
    assert_eq!(stranger.error_for("append-stream").await["message"], "Validation failed for append-stream: Stream is missing.");
    writer.append(&s, &Uuid::new_v4().to_string(), &["y"], 0, false).await;
    assert_eq!(writer.error_for("append-stream").await["message"], "Validation failed for append-stream: Stream is missing.");
    writer.push(&s, json!([{"op": "append-stream", "stream-id": stream_id, "chunks": ["y"], "offset": 4.0, "done": false}])).await;
    assert_eq!(writer.error_for("append-stream").await["type"], "param-malformed");
    assert_eq!(streams_of(&s).await["streams"][0]["size"], 4);
}

#[tokio::test]
async fn an_abort_reason_reaches_readers_and_the_entity() {
    let s = start().await;
    let mut writer = Channel::open(&s).await;
    let stream_id = writer.start(&s, "aborted", &Uuid::new_v4().to_string()).await["stream-id"].as_str().unwrap().to_owned();
    let mut reader = Channel::open(&s).await;
    reader.subscribe(&s, &stream_id, 0).await;
    reader.event().await;
    writer
        .push(&s, json!([{"op": "append-stream", "stream-id": stream_id, "chunks": ["part"], "offset": 0, "done": true, "abort-reason": "user cancelled"}]))
        .await;
    assert_eq!(writer.event().await["done"], true);
    let content = reader.event().await;
    assert_eq!((content["offset"].clone(), content["content"].clone()), (json!(0), json!("part")));
    let end = reader.event().await;
    assert_eq!((end["done"].clone(), end["abort-reason"].clone()), (json!(true), json!("user cancelled")));
    let rows = s.query(json!({"$streams": {}})).await;
    assert_eq!(rows["$streams"][0]["abortReason"], "user cancelled");
    assert_eq!(rows["$streams"][0]["size"], 4);
    let mut late = Channel::open(&s).await;
    late.subscribe(&s, &stream_id, 0).await;
    let only = late.event().await;
    assert_eq!(
        (only["done"].clone(), only["abort-reason"].clone(), only["content"].clone()),
        (json!(true), json!("user cancelled"), json!("part"))
    );
}

#[tokio::test]
async fn unsubscribing_stops_appends_and_unknown_subscriptions_are_errors() {
    let s = start().await;
    let mut writer = Channel::open(&s).await;
    let stream_id = writer.start(&s, "unsub", &Uuid::new_v4().to_string()).await["stream-id"].as_str().unwrap().to_owned();
    let mut reader = Channel::open(&s).await;
    let ce = reader.subscribe(&s, &stream_id, 0).await;
    reader.event().await;
    writer.append(&s, &stream_id, &["a"], 0, false).await;
    assert_eq!(reader.event().await["content"], "a");
    reader.push(&s, json!([{"op": "unsubscribe-stream", "subscribe-event-id": ce}])).await;
    writer.append(&s, &stream_id, &["b"], 1, false).await;
    assert!(reader.quiet_for(200).await);
    reader.push(&s, json!([{"op": "unsubscribe-stream", "client-event-id": "u", "subscribe-event-id": ce}])).await;
    let error = reader.error_for("unsubscribe-stream").await;
    assert_eq!(error["message"], "Validation failed for unsubscribe-stream: Stream subscription is missing.");
    assert_eq!(streams_of(&s).await["streams"][0]["readers"], 0);

    // subscribe problems
    reader.push(&s, json!([{"op": "subscribe-stream", "client-event-id": "s"}])).await;
    assert_eq!(
        reader.error_for("subscribe-stream").await["message"],
        "Validation failed for subscribe-stream: Must provide either a stream-id or a client-id"
    );
    reader.push(&s, json!([{"op": "subscribe-stream", "client-id": "nope"}])).await;
    assert_eq!(reader.error_for("subscribe-stream").await["message"], "Validation failed for subscribe-stream: Stream is missing.");
}

#[tokio::test]
async fn unknown_ops_are_error_events() {
    let s = start().await;
    let mut channel = Channel::open(&s).await;
    channel.push(&s, json!([{"op": "add-query", "client-event-id": "q", "q": {}}, {"op": "start-stream", "client-id": "after", "reconnect-token": Uuid::new_v4().to_string()}])).await;
    let error = channel.error_for("add-query").await;
    assert_eq!(
        (error["type"].clone(), error["message"].clone(), error["client-event-id"].clone()),
        (json!("param-malformed"), json!("Invalid op"), json!("q"))
    );
    assert_eq!(channel.event().await["op"], "start-stream-ok", "later messages still run");
}

#[tokio::test]
async fn push_checks_params_machine_session_and_token() {
    let s = start().await;
    let channel = Channel::open(&s).await;
    let path = format!("/admin/sse/push?app_id={}", s.app_id);
    let post = |body: Value| {
        let (s, path) = (s.clone(), path.clone());
        async move { s.post_raw(&path, &[JSON], &body.to_string()).await }
    };
    let good = channel.push_body(json!([]));
    for key in ["machine_id", "session_id", "sse_token"] {
        let mut body = good.clone();
        body[key] = json!("not-a-uuid");
        let a = post(body).await;
        assert_eq!((a.status, a.body["type"].as_str()), (400, Some("param-malformed")), "{key}");
        assert_eq!(a.body["message"], format!("Malformed parameter: [\"body\" \"{key}\"]"));
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        let a = post(body).await;
        assert_eq!((a.status, a.body["type"].as_str()), (400, Some("param-missing")), "{key}");
    }
    let mut body = good.clone();
    let stranger = Uuid::new_v4().to_string();
    body["machine_id"] = json!(stranger);
    let a = post(body).await;
    assert_eq!((a.status, a.body["type"].as_str()), (400, Some("member-missing")));
    assert_eq!(a.body["message"], format!("Member missing for machine id: {stranger}"));
    for key in ["session_id", "sse_token"] {
        let mut body = good.clone();
        body[key] = json!(Uuid::new_v4().to_string());
        let a = post(body).await;
        assert_eq!((a.status, a.body["type"].as_str()), (400, Some("session-missing")), "{key}");
    }
    // The session belongs to its app.
    let other_app = Uuid::new_v4();
    let a = s.post_raw(&format!("/admin/sse/push?app_id={other_app}"), &[JSON], &good.to_string()).await;
    assert_eq!(a.body["type"], "session-missing");
    let a = s.post_raw("/admin/sse/push", &[JSON], &good.to_string()).await;
    assert_eq!(a.body["type"], "param-missing");
    let a = post(good).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({})));
    // `/admin/sse` needs an admin token like any data route.
    let a = s.post_raw(&format!("/admin/sse?app_id={}", s.app_id), &[JSON], "{}").await;
    assert_eq!(a.body["message"], "Missing parameter: [\"headers\" \"authorization\"]");
}

#[tokio::test]
async fn a_closed_session_is_gone() {
    let s = start().await;
    let channel = Channel::open(&s).await;
    let body = channel.push_body(json!([]));
    assert_eq!(streams_of(&s).await["sessions"], 1);
    drop(channel);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while streams_of(&s).await["sessions"] != 0 {
        assert!(tokio::time::Instant::now() < deadline, "the session stayed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let a = s.post_raw(&format!("/admin/sse/push?app_id={}", s.app_id), &[JSON], &body.to_string()).await;
    assert_eq!(a.body["type"], "session-missing");
}

#[tokio::test]
async fn impersonated_sessions_need_streams_rules() {
    let s = start().await;
    let mut guest = Channel::open_with(&s, &[("as-guest", "true")]).await;
    guest.push(&s, json!([{"op": "start-stream", "client-id": "g", "reconnect-token": Uuid::new_v4().to_string()}])).await;
    let error = guest.error_for("start-stream").await;
    assert_eq!(
        (error["type"].clone(), error["message"].clone()),
        (json!("permission-denied"), json!("Permission denied: not has-streams-permission?"))
    );
    let rules = json!({"$streams": {"allow": {"create": "data.clientId.startsWith('g')", "view": "true"}}});
    let a = s.post_raw(&format!("/__emulator/apps/{}/rules", s.app_id), &[JSON], &rules.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let stream_id = guest.start(&s, "g1", &Uuid::new_v4().to_string()).await["stream-id"].as_str().unwrap().to_owned();
    guest.push(&s, json!([{"op": "start-stream", "client-id": "h1", "reconnect-token": Uuid::new_v4().to_string()}])).await;
    assert_eq!(guest.error_for("start-stream").await["type"], "permission-denied");
    guest.subscribe(&s, &stream_id, 0).await;
    assert_eq!(guest.event().await["op"], "stream-append");
}
