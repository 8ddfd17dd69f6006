//! `POST /admin/subscribe-query` over real HTTP (spec §3.3, §4.1, §4.2, §5.6): the raw SSE
//! bytes, `add-query-ok` / `error` / `refresh-ok`, which writes refresh which subscriptions,
//! impersonation, disconnects, keep-alives, and the control routes client tests drive
//! (`/__emulator/sse`, `/__emulator/sse/drop`, `/__emulator/faults`).
mod common;
use std::time::Duration;

use common::*;
use instant_emulator::Config;
use reqwest::Method;
use serde_json::{json, Value};

/// How long any single expected event may take.
const PATIENCE: Duration = Duration::from_secs(10);

/// One item of the stream.
#[derive(Debug, PartialEq)]
enum Item {
    /// A `\n\n`-terminated block (`retry:500`, `data:{...}`), without the terminator.
    Block(String),
    /// The keep-alive comment `:\n`.
    Comment,
    /// The stream ended (cleanly or not).
    End,
}

/// A subscribe-query stream read as raw bytes.
struct Sse {
    response: reqwest::Response,
    /// Bytes received and not yet split into items.
    pending: Vec<u8>,
    /// Every byte received so far.
    raw: Vec<u8>,
    /// Whether the body ended with an error (connection cut) rather than cleanly.
    broken: bool,
}

impl Sse {
    /// Opens a subscription with exactly these headers and body; panics unless it is a stream.
    async fn open_raw(s: &Server, path: &str, headers: &[(&str, &str)], body: &Value) -> Sse {
        let mut request = s.http.post(format!("{}{path}", s.base)).body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status().as_u16(), 200, "subscribe-query failed");
        Sse { response, pending: Vec::new(), raw: Vec::new(), broken: false }
    }

    /// Subscribes to `query` as the JS client does: `app-id` header, `?local_connection_id=`,
    /// plus `extra` headers (the admin token unless impersonating).
    async fn open_with(s: &Server, extra: &[(&str, &str)], query: Value) -> Sse {
        let path = format!("/admin/subscribe-query?local_connection_id={}", uuid::Uuid::new_v4());
        let mut headers = vec![JSON, ("app-id", s.app_id.as_str())];
        headers.extend_from_slice(extra);
        let body = json!({"query": query, "inference?": false, "versions": {"@instantdb/admin": "v0.0.0"}});
        Sse::open_raw(s, &path, &headers, &body).await
    }

    /// Subscribes to `query` as admin.
    async fn open(s: &Server, query: Value) -> Sse {
        let auth = s.bearer();
        Sse::open_with(s, &[("authorization", auth.as_str())], query).await
    }

    /// The next item, waiting at most `PATIENCE`.
    async fn item(&mut self) -> Item {
        loop {
            if self.pending.starts_with(b":\n") {
                self.pending.drain(..2);
                return Item::Comment;
            }
            if let Some(at) = self.pending.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.pending.drain(..at + 2).take(at).collect();
                return Item::Block(String::from_utf8(block).expect("utf-8"));
            }
            match tokio::time::timeout(PATIENCE, self.response.chunk()).await.expect("nothing arrived in time") {
                Ok(Some(chunk)) => {
                    self.pending.extend_from_slice(&chunk);
                    self.raw.extend_from_slice(&chunk);
                }
                Ok(None) => return Item::End,
                Err(_) => {
                    self.broken = true;
                    return Item::End;
                }
            }
        }
    }

    /// The next data event's JSON, skipping keep-alives; checks its framing (spec §4.1).
    async fn event(&mut self) -> Value {
        loop {
            match self.item().await {
                Item::Comment => continue,
                Item::End => panic!("the stream ended; got {:?}", String::from_utf8_lossy(&self.raw)),
                Item::Block(block) => {
                    let text = block.strip_prefix("data:").unwrap_or_else(|| panic!("not a data event: {block:?}"));
                    assert!(!text.starts_with(' ') && !text.contains('\n'), "one compact line: {block:?}");
                    let event: Value = serde_json::from_str(text).expect("JSON");
                    assert_eq!(serde_json::to_string(&event).unwrap(), text, "compact JSON");
                    assert!(event["trace-id"].is_string(), "trace-id: {event}");
                    return event;
                }
            }
        }
    }

    /// Skips `retry:500` and `sse-init`; returns the `add-query-ok` (or `error`) that follows.
    async fn first_result(&mut self) -> Value {
        assert_eq!(self.item().await, Item::Block("retry:500".into()));
        assert_eq!(self.event().await["op"], "sse-init");
        self.event().await
    }

    /// The next `refresh-ok`'s only computation.
    async fn refresh(&mut self) -> Value {
        let event = self.event().await;
        assert_eq!(event["op"], "refresh-ok", "{event}");
        let computations = event["computations"].as_array().expect("computations");
        assert_eq!(computations.len(), 1, "{event}");
        computations[0].clone()
    }
}

/// `GET /__emulator/sse`.
async fn stream_counts(s: &Server) -> Value {
    let a = s.send(Method::GET, "/__emulator/sse", &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

/// Waits until `GET /__emulator/sse` reports `expected`.
async fn await_counts(s: &Server, expected: Value) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let counts = stream_counts(s).await;
        if counts == expected {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "counts stayed {counts}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn control(s: &Server, method: Method, path: &str, body: Value) -> Answer {
    let request = s.http.request(method, format!("{}{path}", s.base)).header("content-type", "application/json");
    answer(request.body(body.to_string()).send().await.expect("send")).await
}

fn is_uuid(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.len() == 36 && uuid::Uuid::parse_str(s).is_ok() && s == s.to_lowercase())
}

// ---------------------------------------------------------------- §4.1 framing, §4.2 add-query-ok

#[tokio::test]
async fn framing_is_byte_exact_retry_then_compact_data_events() {
    // spec §4.1: 200, text/event-stream; charset=UTF-8, Cache-Control nocache, no content-length;
    // `retry:500\n\n`, then `data:<json>\n\n` events, no space, no event:/id: lines
    let s = seeded().await;
    let query = json!({"goals": {"$": {"where": {"title": "Get fit"}}, "todos": {}}});
    let mut sse = Sse::open(&s, query.clone()).await;
    let headers = sse.response.headers().clone();
    assert_eq!(headers["content-type"], "text/event-stream; charset=UTF-8");
    assert_eq!(headers["cache-control"], "nocache");
    assert!(headers.get("content-length").is_none(), "no content-length: {headers:?}");

    let init = {
        assert_eq!(sse.item().await, Item::Block("retry:500".into()));
        sse.event().await
    };
    let ok = sse.event().await;
    let raw = String::from_utf8(sse.raw.clone()).unwrap();
    let expected =
        format!("retry:500\n\ndata:{}\n\ndata:{}\n\n", serde_json::to_string(&init).unwrap(), serde_json::to_string(&ok).unwrap());
    assert_eq!(raw, expected, "exactly these bytes so far");
    assert!(!raw.contains("data: ") && !raw.contains("event:") && !raw.contains("id:"));

    // sse-init (§4.2 step 2): exactly these keys, in this order
    let keys: Vec<&str> = init.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["op", "machine-id", "session-id", "sse-token", "trace-id"]);
    assert!(is_uuid(&init["machine-id"]) && is_uuid(&init["session-id"]) && is_uuid(&init["sse-token"]), "{init}");

    // add-query-ok (§4.2 step 3): q echoed, result = /admin/query's, meta without pagination
    let keys: Vec<&str> = ok.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["op", "q", "result", "result-meta", "processed-tx-id", "processed-isn", "client-event-id", "trace-id"]);
    assert_eq!(ok["op"], "add-query-ok");
    assert_eq!(ok["q"], query);
    assert_eq!(ok["result"], s.query(query.clone()).await);
    assert_eq!(ok["result"]["goals"][0]["todos"].as_array().map(Vec::len), Some(2));
    assert_eq!(ok["result-meta"], json!({"page-info": {}, "aggregate": {}}));
    assert!(ok["processed-tx-id"].as_u64().is_some_and(|tx| tx > 0), "{ok}");
    assert!(ok["processed-isn"].is_string() && is_uuid(&ok["client-event-id"]), "{ok}");

    // a second session: same machine, new session
    let mut other = Sse::open(&s, json!({"goals": {}})).await;
    assert_eq!(other.item().await, Item::Block("retry:500".into()));
    let other_init = other.event().await;
    assert_eq!(other_init["machine-id"], init["machine-id"]);
    assert_ne!(other_init["session-id"], init["session-id"]);
}

#[tokio::test]
async fn results_match_admin_query_for_inference_rule_params_and_empty_queries() {
    // spec §4.2: `result` is the same object tree /admin/query returns
    let s = seeded().await;
    let auth = s.bearer();
    for (query, inference) in [
        (json!({"todos": {"goal": {}}}), true),
        (json!({"todos": {"goal": {}}}), false),
        (json!({"$$ruleParams": {"k": 1}, "goals": {"$": {"fields": ["title"]}}}), false),
        (json!({}), false),
        (json!({"nothing": {}}), false),
    ] {
        let body = json!({"query": query, "inference?": inference});
        let mut sse = Sse::open_raw(&s, "/admin/subscribe-query", &[JSON, ("app-id", &s.app_id), ("authorization", &auth)], &body).await;
        let ok = sse.first_result().await;
        let expected = s.admin("/admin/query", body.clone()).await;
        assert_eq!(ok["result"], expected.body, "{query} inference {inference}");
        assert_eq!(ok["q"], query, "q is echoed as sent");
    }
}

#[tokio::test]
async fn request_problems_are_plain_json_answers_before_any_stream() {
    // spec §3.3: app/auth/body errors are ordinary 4xx JSON; order app id → query → auth
    let s = start().await;
    let path = "/admin/subscribe-query";
    let body = json!({"query": {"goals": {}}}).to_string();
    let auth = s.bearer();
    let a = s.post_raw(path, &[JSON, ("authorization", &auth)], &body).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "app-id"]"#);
    let a = s.post_raw(path, &[JSON, ("app-id", "nope"), ("authorization", &auth)], &body).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "app-id"]"#);
    let a = s.post_app(path, &[("authorization", "Bearer x")], &json!({})).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "query"]"#);
    let a = s.post_app(path, &[("authorization", &auth)], &json!({"query": [1]})).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["body" "query"]"#);
    let a = s.post_app(path, &[], &json!({"query": {}})).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    let wrong = format!("Bearer {}", uid(9));
    let a = s.post_app(path, &[("authorization", &wrong)], &json!({"query": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    let a = s.post_app(path, &[("as-token", &uid(9))], &json!({"query": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-user");
    let a = s.post_raw(path, &[("content-type", "text/plain"), ("app-id", &s.app_id), ("authorization", &auth)], &body).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "query"]"#);
    let a = s.post_raw(path, &[JSON, ("app-id", &s.app_id), ("authorization", &auth)], "{").await;
    assert_eq!((a.status, a.content_type.as_str(), a.text.as_str()), (400, "text/plain", "Malformed JSON in request body."));
    await_counts(&s, json!({"connections": 0, "subscriptions": 0})).await;
}

// ---------------------------------------------------------------- §5.6 page-info

#[tokio::test]
async fn page_info_only_for_top_level_namespaces_that_paginate() {
    // spec §4.2 / §5.6: an entry per top-level namespace using limit/first/last/offset/before/after/order
    let s = seeded().await;
    let mut sse = Sse::open(&s, json!({"goals": {"$": {"limit": 2}}, "todos": {}})).await;
    let ok = sse.first_result().await;
    let goals = ok["result"]["goals"].as_array().unwrap().clone();
    assert_eq!(goals.len(), 2);
    let info = &ok["result-meta"]["page-info"];
    assert_eq!(info.as_object().unwrap().keys().collect::<Vec<_>>(), ["goals"], "{info}");
    assert_eq!(ok["result-meta"]["aggregate"], json!({}));
    let goals_info = &info["goals"];
    assert_eq!(goals_info["has-next-page?"], true);
    assert_eq!(goals_info["has-previous-page?"], false);
    let (start, end) = (&goals_info["start-cursor"], &goals_info["end-cursor"]);
    // cursor = [entity-id, attr-id (goals.id), value (the id), created-at-ms]
    assert_eq!(start[0], goals[0]["id"]);
    assert_eq!(end[0], goals[1]["id"]);
    assert_eq!(start[2], goals[0]["id"]);
    assert!(is_uuid(&start[1]) && start[3].as_i64().is_some(), "{start}");

    // the end cursor continues the listing; the last page has no next page
    let next = json!({"goals": {"$": {"limit": 2, "after": end}}});
    let rest = s.query(next.clone()).await;
    let mut sse = Sse::open(&s, next).await;
    let ok = sse.first_result().await;
    assert_eq!(ok["result"], rest);
    assert_eq!(ok["result"]["goals"].as_array().unwrap().len(), 1);
    let info = &ok["result-meta"]["page-info"]["goals"];
    assert_eq!((info["has-next-page?"].clone(), info["has-previous-page?"].clone()), (json!(false), json!(true)));

    // order alone counts as paginating; nested options never do
    let mut sse = Sse::open(&s, json!({"goals": {"$": {"order": {"title": "desc"}}, "todos": {"$": {"limit": 1}}}})).await;
    let ok = sse.first_result().await;
    let info = &ok["result-meta"]["page-info"];
    assert_eq!(info.as_object().unwrap().keys().collect::<Vec<_>>(), ["goals"], "{info}");
    assert_eq!(info["goals"]["start-cursor"][2], "Ship it", "ordered by title desc: {info}");
    assert_eq!((info["goals"]["has-next-page?"].clone(), info["goals"]["has-previous-page?"].clone()), (json!(false), json!(false)));

    // an empty page after an offset has a previous page and null cursors
    let mut sse = Sse::open(&s, json!({"goals": {"$": {"offset": 5, "limit": 1}}})).await;
    let info = sse.first_result().await["result-meta"]["page-info"]["goals"].clone();
    assert_eq!(info, json!({"start-cursor": null, "end-cursor": null, "has-next-page?": false, "has-previous-page?": true}));
}

#[tokio::test]
async fn aggregates_are_reported_in_result_meta() {
    // spec §4.2: `aggregate` is {} unless `$.aggregate` was used
    let s = seeded().await;
    let mut sse = Sse::open(&s, json!({"goals": {"$": {"aggregate": "count"}}})).await;
    let ok = sse.first_result().await;
    assert_eq!(ok["result-meta"]["aggregate"], json!({"goals": {"count": 3}}));
}

// ---------------------------------------------------------------- §4.2 error events

#[tokio::test]
async fn an_invalid_query_is_an_error_event_and_the_stream_stays_open() {
    // spec §3.3 / §4.2: validation errors arrive in the stream; the query is dropped, the stream is not
    let s = start_with(Config { sse_keepalive_ms: 50, ..Config::default() }).await;
    let query = json!({"goals": {"$": {"limit": 0}}});
    let expected = s.query_err(query.clone()).await;
    let mut sse = Sse::open(&s, query.clone()).await;
    assert_eq!(sse.item().await, Item::Block("retry:500".into()));
    let init = sse.event().await;
    let error = sse.event().await;
    let keys: Vec<&str> = error.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["op", "status", "client-event-id", "original-event", "type", "message", "hint", "trace-id"]);
    assert_eq!(error["op"], "error");
    assert_eq!(error["status"], 400);
    assert_eq!(error["type"], expected.body["type"]);
    assert_eq!(error["message"], expected.body["message"]);
    assert_eq!(error["hint"], expected.body["hint"]);
    let original = &error["original-event"];
    assert_eq!(original["op"], "add-query");
    assert_eq!(original["q"], query);
    assert_eq!(original["return-type"], "tree");
    assert_eq!(original["session-id"], init["session-id"]);
    assert_eq!(original["client-event-id"], error["client-event-id"]);
    assert!(is_uuid(&error["client-event-id"]));

    // still open: keep-alives keep coming, the connection counts, but there is no live query
    assert_eq!(sse.item().await, Item::Comment);
    assert_eq!(stream_counts(&s).await, json!({"connections": 1, "subscriptions": 0}));
    s.transact(json!([["update", "goals", uid(1), {"title": "a"}]])).await;
    assert_eq!(sse.item().await, Item::Comment, "a dropped query gets no refresh");
}

#[tokio::test]
async fn a_query_that_starts_failing_is_reported_once_and_dropped() {
    // spec §4.2: after an error no further results arrive for the query
    let s = seeded().await;
    let mut sse = Sse::open(&s, json!({"goals": {"$": {"order": {"title": "asc"}}}})).await;
    assert_eq!(sse.first_result().await["op"], "add-query-ok");
    // a schema change makes `title` unindexed: ordering by it is now invalid
    let schema = json!({"entities": {"goals": {"attrs": {"title": attr("string", false, false, false)}}}});
    let a = s.post_raw(&format!("/__emulator/apps/{}/schema", s.app_id), &[JSON], &schema.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let error = sse.event().await;
    assert_eq!(
        (error["op"].clone(), error["status"].clone(), error["type"].clone()),
        (json!("error"), json!(400), json!("validation-failed"))
    );
    await_counts(&s, json!({"connections": 1, "subscriptions": 0})).await;
}

// ---------------------------------------------------------------- §4.2 refresh-ok

#[tokio::test]
async fn a_write_that_changes_the_result_refreshes_and_others_do_not() {
    // spec §4.2 step 4: refresh-ok after a committed write that changes the result, and only then
    let s = seeded().await;
    let query = json!({"goals": {"$": {"where": {"title": "Get fit"}}, "todos": {}}});
    let mut sse = Sse::open(&s, query.clone()).await;
    let ok = sse.first_result().await;

    // writes that cannot change it: another namespace, a goal the where clause excludes,
    // rewriting a value to what it already is, and a failed transaction
    s.transact(json!([["update", "tags", uid(50), {"name": "x"}]])).await;
    s.transact(json!([["update", "goals", uid(3), {"notes": "later"}]])).await;
    s.transact(json!([["update", "goals", uid(1), {"title": "Get fit"}]])).await;
    s.transact_err(json!([["create", "goals", uid(1), {"title": "dup"}]])).await;
    // one that does: a linked todo changes
    let tx = s.transact(json!([["update", "todos", uid(11), {"done": true}]])).await;
    let event = sse.event().await;
    assert_eq!(event["op"], "refresh-ok", "the first event after the writes is the refresh: {event}");
    let keys: Vec<&str> = event.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["op", "processed-tx-id", "processed-isn", "computations", "attrs", "trace-id"]);
    assert_eq!(event["processed-tx-id"], tx);
    assert_eq!(event["attrs"], json!([]));
    let computation = &event["computations"][0];
    assert_eq!(computation["instaql-query"], query);
    assert_eq!(computation["instaql-result"], s.query(query.clone()).await);
    assert_ne!(computation["instaql-result"], ok["result"]);
    assert_eq!(computation["result-meta"], json!({"page-info": {}, "aggregate": {}}));
    assert_eq!(computation["result-changed?"], true);
    assert!(computation["instaql-query-hash"].is_i64() && computation["duration-ms"].is_u64(), "{computation}");

    // deleting the goal empties the result
    s.transact(json!([["delete", "goals", uid(1)]])).await;
    assert_eq!(sse.refresh().await["instaql-result"], json!({"goals": []}));
}

#[tokio::test]
async fn links_where_paths_and_new_attributes_refresh_the_queries_reading_them() {
    // spec §4.2: nested and linked namespaces count as read
    let s = start().await;
    let mut nested = Sse::open(&s, json!({"goals": {"todos": {}}})).await;
    let mut filtered = Sse::open(&s, json!({"goals": {"$": {"where": {"todos.text": "Run"}}}})).await;
    assert_eq!(nested.first_result().await["result"], json!({"goals": []}));
    assert_eq!(filtered.first_result().await["result"], json!({"goals": []}));
    s.transact(json!([
        ["update", "goals", uid(1), {"title": "a"}],
        ["update", "todos", uid(11), {"text": "Walk"}],
        ["link", "goals", uid(1), {"todos": uid(11)}]
    ]))
    .await;
    assert_eq!(
        nested.refresh().await["instaql-result"],
        json!({"goals": [{"id": uid(1), "title": "a", "todos": [{"id": uid(11), "text": "Walk"}]}]})
    );
    // a write to the linked namespace only
    s.transact(json!([["update", "todos", uid(11), {"text": "Run"}]])).await;
    assert_eq!(nested.refresh().await["instaql-result"]["goals"][0]["todos"][0]["text"], "Run");
    assert_eq!(filtered.refresh().await["instaql-result"], json!({"goals": [{"id": uid(1), "title": "a"}]}));
    await_counts(&s, json!({"connections": 2, "subscriptions": 2})).await;
}

#[tokio::test]
async fn auth_and_storage_writes_refresh_system_namespace_queries() {
    // spec §4.2: every committed write counts, not only /admin/transact: $users from the auth routes, $files from storage
    let s = start().await;
    let mut users = Sse::open(&s, json!({"$users": {}})).await;
    let mut files = Sse::open(&s, json!({"$files": {"$": {"fields": ["path", "size"]}}})).await;
    assert_eq!(users.first_result().await["result"], json!({"$users": []}));
    assert_eq!(files.first_result().await["result"], json!({"$files": []}));

    s.user_token("alyssa@example.com").await;
    let result = users.refresh().await["instaql-result"].clone();
    assert_eq!(result, s.query(json!({"$users": {}})).await);
    assert_eq!(result["$users"][0]["email"], "alyssa@example.com");

    let a = s.admin("/admin/sign_in_guest", json!({})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(users.refresh().await["instaql-result"]["$users"].as_array().map(Vec::len), Some(2));
    let guest = a.body["user"]["id"].as_str().unwrap().to_owned();
    let a = s.send(Method::DELETE, &format!("/admin/users?app_id={}&id={guest}", s.app_id), &[("authorization", &s.bearer())]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(users.refresh().await["instaql-result"]["$users"].as_array().map(Vec::len), Some(1));

    let url = format!("{}/admin/storage/upload", s.base);
    let put = s.http.put(url).header("app-id", &s.app_id).header("authorization", s.bearer()).header("path", "a.txt");
    assert_eq!(put.body("hello").send().await.unwrap().status().as_u16(), 200);
    let result = files.refresh().await["instaql-result"].clone();
    assert_eq!(result, json!({"$files": [{"id": result["$files"][0]["id"], "path": "a.txt", "size": 5}]}));
    let a = s.admin("/admin/storage/files/delete", json!({"filenames": ["a.txt"]})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(files.refresh().await["instaql-result"], json!({"$files": []}));
}

#[tokio::test]
async fn an_impersonated_subscription_sees_only_what_its_rules_allow() {
    // spec §4.2: the session keeps the request's permission context; §9.4 defaults: $users self only, $files by rule
    let s = start().await;
    let token = s.user_token("me@example.com").await;
    let me_row = s.query(json!({"$users": {}})).await["$users"][0].clone();
    let me = me_row["id"].clone();
    let mut mine = Sse::open_with(&s, &[("as-token", &token)], json!({"$users": {}})).await;
    let mut all = Sse::open(&s, json!({"$users": {}})).await;
    assert_eq!(mine.first_result().await["result"]["$users"], json!([me_row]));
    assert_eq!(all.first_result().await["result"]["$users"].as_array().map(Vec::len), Some(1));

    s.user_token("you@example.com").await;
    assert_eq!(all.refresh().await["instaql-result"]["$users"].as_array().map(Vec::len), Some(2), "admin sees the new user");

    // files: denied without a rule, so an upload changes nothing for the guest ...
    let mut guest = Sse::open_with(&s, &[("as-guest", "true")], json!({"$files": {"$": {"fields": ["path"]}}})).await;
    assert_eq!(guest.first_result().await["result"], json!({"$files": []}));
    let url = format!("{}/admin/storage/upload", s.base);
    let put = s.http.put(url).header("app-id", &s.app_id).header("authorization", s.bearer()).header("path", "p.txt");
    assert_eq!(put.body("x").send().await.unwrap().status().as_u16(), 200);
    // ... until a rule lets guests view files: a rules change refreshes without any data write
    let rules = json!({"$files": {"allow": {"view": "true"}}});
    let a = s.post_raw(&format!("/__emulator/apps/{}/rules", s.app_id), &[JSON], &rules.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let first = guest.event().await;
    assert_eq!(first["op"], "refresh-ok", "the upload alone sent nothing: {first}");
    let files = &first["computations"][0]["instaql-result"]["$files"];
    assert_eq!(files.as_array().map(Vec::len), Some(1));
    assert_eq!(files[0]["path"], "p.txt");
    // and the impersonated $users view never changed: the next thing it sees is its own user's change
    s.transact(json!([["update", "$users", me.as_str().unwrap(), {"nickname": "M"}]])).await;
    let event = mine.event().await;
    assert_eq!(event["op"], "refresh-ok", "{event}");
    let me_now = s.query(json!({"$users": {"$": {"where": {"id": me}}}})).await["$users"].clone();
    assert_eq!(me_now[0]["nickname"], "M");
    assert_eq!(event["computations"][0]["instaql-result"]["$users"], me_now);
}

#[tokio::test]
async fn a_rule_reading_another_namespace_refreshes_impersonated_subscriptions() {
    // spec §9.1: a refresh never shows an entity the subscriber may not view, nor hides one it
    // may, even when only a namespace the rule reads through `data.ref` changed
    let s = start().await;
    let (todo, board) = ("aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000001");
    s.transact(json!([["update", "boards", board, {"state": "closed"}], ["update", "todos", todo, {"title": "t"}], ["link", "todos", todo, {"boards": board}]])).await;
    let rules = json!({"todos": {"allow": {"view": "'open' in data.ref('boards.state')"}}});
    let a = s.post_raw(&format!("/__emulator/apps/{}/rules", s.app_id), &[JSON], &rules.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut guest = Sse::open_with(&s, &[("as-guest", "true")], json!({"todos": {}})).await;
    assert_eq!(guest.first_result().await["result"]["todos"], json!([]));
    s.transact(json!([["update", "boards", board, {"state": "open"}]])).await;
    let shown = guest.refresh().await;
    assert_eq!(shown["instaql-result"]["todos"][0]["id"], todo, "{shown}");
    s.transact(json!([["update", "boards", board, {"state": "closed"}]])).await;
    assert_eq!(guest.refresh().await["instaql-result"]["todos"], json!([]));
}

// ---------------------------------------------------------------- connection lifetime

#[tokio::test]
async fn a_client_disconnect_drops_its_session() {
    // spec §4.1: the session and its subscriptions are discarded when the client disconnects
    let s = start().await;
    await_counts(&s, json!({"connections": 0, "subscriptions": 0})).await;
    let mut one = Sse::open(&s, json!({"goals": {}})).await;
    let mut two = Sse::open(&s, json!({"todos": {}})).await;
    one.first_result().await;
    two.first_result().await;
    assert_eq!(stream_counts(&s).await, json!({"connections": 2, "subscriptions": 2}));
    drop(one);
    await_counts(&s, json!({"connections": 1, "subscriptions": 1})).await;
    drop(two);
    await_counts(&s, json!({"connections": 0, "subscriptions": 0})).await;
    // writes afterwards find nobody to refresh
    s.transact(json!([["update", "goals", uid(1), {"title": "a"}]])).await;
    assert_eq!(stream_counts(&s).await, json!({"connections": 0, "subscriptions": 0}));
}

#[tokio::test]
async fn sse_drop_cuts_open_streams_off() {
    // control surface: POST /__emulator/sse/drop {"app-id"?} → {"dropped": n}; clients see the stream break
    let s = start().await;
    let other = s.new_app(None).await;
    let mut mine = Sse::open(&s, json!({"goals": {}})).await;
    let mut theirs = Sse::open(&other, json!({"goals": {}})).await;
    mine.first_result().await;
    theirs.first_result().await;

    let a = control(&s, Method::POST, "/__emulator/sse/drop", json!({"app-id": s.app_id})).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"dropped": 1})));
    assert_eq!(mine.item().await, Item::End);
    assert!(mine.broken, "cut off, not a clean end");
    await_counts(&s, json!({"connections": 1, "subscriptions": 1})).await;
    other.transact(json!([["update", "goals", uid(1), {"t": 1}]])).await;
    assert_eq!(theirs.refresh().await["instaql-result"], json!({"goals": [{"id": uid(1), "t": 1}]}), "the other app's stream lives on");

    // a reconnect is a new session with a full result
    let mut again = Sse::open(&s, json!({"goals": {}})).await;
    assert_eq!(again.first_result().await["op"], "add-query-ok");

    let a = control(&s, Method::POST, "/__emulator/sse/drop", json!({})).await;
    assert_eq!(a.body, json!({"dropped": 2}));
    assert_eq!(theirs.item().await, Item::End);
    assert_eq!(again.item().await, Item::End);
    await_counts(&s, json!({"connections": 0, "subscriptions": 0})).await;
    let a = s.post_raw("/__emulator/sse/drop", &[], "").await;
    assert_eq!(a.body, json!({"dropped": 0}), "an empty body drops everything too");
    let a = control(&s, Method::POST, "/__emulator/sse/drop", json!({"app-id": "nope"})).await;
    assert_error_type(&a, 400, "validation-failed");
}

#[tokio::test]
async fn keep_alive_comments_follow_the_configured_interval() {
    // spec §4.1: `:\n` every 15 s; `--sse-keepalive-ms` shortens it
    let s = start_with(Config { sse_keepalive_ms: 40, ..Config::default() }).await;
    let mut sse = Sse::open(&s, json!({"goals": {}})).await;
    sse.first_result().await;
    let before = sse.raw.len();
    let started = std::time::Instant::now();
    assert_eq!(sse.item().await, Item::Comment);
    assert_eq!(sse.item().await, Item::Comment);
    assert!(started.elapsed() >= Duration::from_millis(40), "two periods, less the wait for the first result: {:?}", started.elapsed());
    assert_eq!(&sse.raw[before..before + 4], b":\n:\n", "exactly the comment bytes");
    // and a refresh still parses between them
    s.transact(json!([["update", "goals", uid(1), {"title": "a"}]])).await;
    assert_eq!(sse.refresh().await["instaql-result"], json!({"goals": [{"id": uid(1), "title": "a"}]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_transacts_refresh_one_subscription_up_to_the_final_state() {
    // spec §4.2: bursts may be coalesced, results only ever move forward, the last state always arrives
    const WRITERS: u64 = 8;
    const PER_WRITER: u64 = 1250;
    let s = start().await;
    let mut sse = Sse::open(&s, json!({"counters": {}})).await;
    assert_eq!(sse.first_result().await["result"], json!({"counters": []}));
    // (id, n) by id: writers create their counters in whatever order they get to run
    let counts = |result: &Value| -> Vec<(String, u64)> {
        let mut counts: Vec<(String, u64)> = result["counters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_str().unwrap().to_owned(), c["n"].as_u64().unwrap()))
            .collect();
        counts.sort();
        counts
    };
    let expected: Vec<(String, u64)> = (1..=WRITERS as u32).map(|k| (uid(k), PER_WRITER)).collect();
    let started = std::time::Instant::now();
    let goal = expected.clone();
    let reader = tokio::spawn(async move {
        let mut refreshes = 0u64;
        let mut previous: Vec<(String, u64)> = Vec::new();
        loop {
            let result = sse.refresh().await["instaql-result"].clone();
            let now = counts(&result);
            assert_ne!(now, previous, "sent only when changed");
            for (id, n) in &previous {
                let later = now.iter().find(|(i, _)| i == id).map_or(0, |(_, m)| *m);
                assert!(later >= *n, "{id} went back from {n} to {later}");
            }
            refreshes += 1;
            previous = now;
            if previous == goal {
                return (refreshes, sse);
            }
        }
    });
    let writers: Vec<_> = (1..=WRITERS as u32)
        .map(|k| {
            let s = s.clone();
            tokio::spawn(async move {
                for n in 1..=PER_WRITER {
                    s.transact(json!([["update", "counters", uid(k), {"n": n}]])).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let (refreshes, mut sse) = tokio::time::timeout(Duration::from_secs(60), reader).await.expect("final state").unwrap();
    assert!((1..=WRITERS * PER_WRITER).contains(&refreshes), "{refreshes} refreshes");
    assert_eq!(counts(&s.query(json!({"counters": {}})).await), expected);
    eprintln!("10,000 transacts → {refreshes} refreshes in {:?}", started.elapsed());
    // nothing more: the last refresh was the final state
    let s2 = s.clone();
    s2.transact(json!([["update", "counters", uid(1), {"n": PER_WRITER}]])).await;
    s2.transact(json!([["update", "other", uid(1), {"n": 0}]])).await;
    s2.transact(json!([["update", "counters", uid(1), {"n": 0}]])).await;
    assert_eq!(counts(&sse.refresh().await["instaql-result"])[0], (uid(1), 0), "the next refresh is the next change");
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn a_timed_503_fault_fails_subscriptions_then_lets_them_through() {
    // control surface: POST /__emulator/faults {"path-prefix", "status", "for-ms"}
    let s = start().await;
    let fault = json!({"path-prefix": "/admin/subscribe-query", "status": 503, "for-ms": 600});
    let a = control(&s, Method::POST, "/__emulator/faults", fault).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["path-prefix"], "/admin/subscribe-query");
    assert_eq!((a.body["status"].clone(), a.body["type"].clone()), (json!(503), json!("service-unavailable")));
    let armed = std::time::Instant::now();

    let body = json!({"query": {"goals": {}}});
    let a = s.admin("/admin/subscribe-query?local_connection_id=x", body.clone()).await;
    assert_error(&a, 503, "service-unavailable", "Service unavailable (a fault injected by instant-emulator).");
    assert_eq!(a.body["hint"], Value::Null);
    assert_eq!(s.query(json!({"goals": {}})).await, json!({"goals": []}), "other routes are untouched");
    let listed = s.send(Method::GET, "/__emulator/faults", &[]).await;
    assert_eq!(listed.body["faults"].as_array().map(Vec::len), Some(1), "{}", listed.body);

    tokio::time::sleep(Duration::from_millis(600).saturating_sub(armed.elapsed()) + Duration::from_millis(20)).await;
    let mut sse = Sse::open(&s, json!({"goals": {}})).await;
    assert_eq!(sse.first_result().await["op"], "add-query-ok");
    let listed = s.send(Method::GET, "/__emulator/faults", &[]).await;
    assert_eq!(listed.body, json!({"faults": []}));
}

#[tokio::test]
async fn a_counted_401_fault_fails_that_many_requests() {
    // control surface: {"path-prefix", "status", "count"}; DELETE clears; reset clears
    let s = start().await;
    let fault = json!({"path-prefix": "/admin/query", "status": 401, "count": 2});
    assert_eq!(control(&s, Method::POST, "/__emulator/faults", fault.clone()).await.status, 200);
    for _ in 0..2 {
        let a = s.admin("/admin/query", json!({"query": {}})).await;
        assert_error(&a, 401, "unauthorized", "Unauthorized (a fault injected by instant-emulator).");
    }
    assert_eq!(s.query(json!({})).await, json!({}));

    // faulted answers still carry CORS headers, so browser clients can read them
    control(&s, Method::POST, "/__emulator/faults", fault.clone()).await;
    let a = s.admin_with("/admin/query", &[("origin", "http://localhost:3000")], &json!({"query": {}})).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.header("access-control-allow-origin"), "http://localhost:3000");
    let a = control(&s, Method::DELETE, "/__emulator/faults", json!(null)).await;
    assert_eq!(a.body, json!({"cleared": 1}));
    assert_eq!(s.query(json!({})).await, json!({}));

    // own type and message, a method filter, and reset
    let custom = json!({"path-prefix": "/admin/", "status": 500, "method": "post", "type": "boom", "message": "Boom."});
    assert_eq!(control(&s, Method::POST, "/__emulator/faults", custom).await.status, 200);
    assert_error(&s.admin("/admin/transact", json!({"steps": []})).await, 500, "boom", "Boom.");
    let get = s.send(Method::GET, &format!("/admin/users?app_id={}&id={}", s.app_id, uid(1)), &[("authorization", &s.bearer())]).await;
    assert_eq!(get.status, 200, "GET is not faulted: {}", get.body);
    assert_eq!(s.post_raw("/__emulator/reset", &[], "").await.status, 200);
    assert_eq!(s.query(json!({})).await, json!({}));

    for bad in
        [json!({"status": 503}), json!({"path-prefix": "/admin", "status": 302}), json!({"path-prefix": "/x", "status": 503, "count": -1})]
    {
        assert_error_type(&control(&s, Method::POST, "/__emulator/faults", bad).await, 400, "validation-failed");
    }
}
