//! Harness: a real emulator on a free loopback port per test, and a small HTTP client for it.
//!
//! Every test starts its own emulator (cheap: one in-memory store, one spawned server task), so
//! tests are independent and run in parallel. Expected values come from
//! `shared/spec/instant-admin-api.md` (cited as "spec §x") and `instant-platform-api.md` ("platform §x").
#![allow(dead_code)]

use instant_emulator::{Config, Emulator};
use serde_json::{json, Value};

/// The content-type header every JSON call sends.
pub const JSON: (&str, &str) = ("content-type", "application/json");

/// A running emulator plus the credentials of one of its apps.
#[derive(Clone)]
pub struct Server {
    pub base: String,
    pub app_id: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// A raw answer: status, content type, parsed JSON (or the text as a JSON string) and headers.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// A response header as text (panics when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap_or_else(|| panic!("header {name} missing")).to_str().expect("ascii header")
    }
}

pub async fn start() -> Server {
    start_with(Config::default()).await
}

pub async fn start_with(config: Config) -> Server {
    let emulator = Emulator::new(config).expect("emulator");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (app_id, token) = (emulator.default_app_id().to_string(), emulator.default_admin_token().to_string());
    tokio::spawn(emulator.serve(listener));
    Server { base, app_id, token, http: reqwest::Client::new() }
}

/// An emulator whose default app has `schema`.
pub async fn start_with_schema(schema: Value) -> Server {
    start_with(Config { schema: Some(schema), ..Config::default() }).await
}

impl Server {
    /// `Bearer <admin token>`.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// POST with exactly these headers and this body text.
    pub async fn post_raw(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut request = self.http.post(format!("{}{path}", self.base)).body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send().await.expect("send")).await
    }

    /// Any method, these headers, no body.
    pub async fn send(&self, method: reqwest::Method, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send().await.expect("send")).await
    }

    /// POST JSON with `content-type` and `app-id` headers plus `extra` (no `authorization` unless given).
    pub async fn post_app(&self, path: &str, extra: &[(&str, &str)], body: &Value) -> Answer {
        let mut headers = vec![JSON, ("app-id", self.app_id.as_str())];
        headers.extend_from_slice(extra);
        self.post_raw(path, &headers, &body.to_string()).await
    }

    /// POST JSON as an admin of this app, plus `extra` headers (e.g. impersonation).
    pub async fn admin_with(&self, path: &str, extra: &[(&str, &str)], body: &Value) -> Answer {
        let auth = self.bearer();
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend_from_slice(extra);
        self.post_app(path, &headers, body).await
    }

    /// POST JSON as an admin of this app.
    pub async fn admin(&self, path: &str, body: Value) -> Answer {
        self.admin_with(path, &[], &body).await
    }

    /// `POST /admin/query` as admin; panics unless 200.
    pub async fn query(&self, query: Value) -> Value {
        let answer = self.admin("/admin/query", json!({"query": query})).await;
        assert_eq!(answer.status, 200, "query failed: {}", answer.body);
        answer.body
    }

    /// `POST /admin/query` with `inference?` true; panics unless 200.
    pub async fn query_inferred(&self, query: Value) -> Value {
        let answer = self.admin("/admin/query", json!({"query": query, "inference?": true})).await;
        assert_eq!(answer.status, 200, "query failed: {}", answer.body);
        answer.body
    }

    /// `POST /admin/query` expecting an error.
    pub async fn query_err(&self, query: Value) -> Answer {
        let answer = self.admin("/admin/query", json!({"query": query})).await;
        assert_ne!(answer.status, 200, "expected an error, got {}", answer.body);
        answer
    }

    /// `POST /admin/query` with impersonation headers (no admin token); panics unless 200.
    pub async fn query_as(&self, who: &[(&str, &str)], query: Value) -> Value {
        let answer = self.post_app("/admin/query", who, &json!({"query": query})).await;
        assert_eq!(answer.status, 200, "query failed: {}", answer.body);
        answer.body
    }

    /// `POST /admin/transact` as admin; panics unless 200; returns the tx-id.
    pub async fn transact(&self, steps: Value) -> u64 {
        let answer = self.admin("/admin/transact", json!({"steps": steps})).await;
        assert_eq!(answer.status, 200, "transact failed: {}", answer.body);
        answer.body["tx-id"].as_u64().expect("tx-id")
    }

    /// `POST /admin/transact` expecting an error.
    pub async fn transact_err(&self, steps: Value) -> Answer {
        let answer = self.admin("/admin/transact", json!({"steps": steps})).await;
        assert_ne!(answer.status, 200, "expected an error, got {}", answer.body);
        answer
    }

    /// Ids of the entities in `result[ns]`, in order.
    pub async fn ids(&self, query: Value, ns: &str) -> Vec<String> {
        ids_of(&self.query(query).await[ns])
    }

    /// Ids of `ns` entities matching `where`, in default order.
    pub async fn ids_where(&self, ns: &str, where_: Value) -> Vec<String> {
        self.ids(json!({ns: {"$": {"where": where_}}}), ns).await
    }

    /// The entity `id` of namespace `ns` as `{ns: {}}` renders it (`Value::Null` when absent).
    pub async fn one(&self, ns: &str, id: &str) -> Value {
        let result = self.query(json!({ns: {"$": {"where": {"id": id}}}})).await;
        result[ns].get(0).cloned().unwrap_or(Value::Null)
    }

    /// `POST /admin/refresh_tokens {email}` as admin; returns the new refresh token.
    pub async fn user_token(&self, email: &str) -> String {
        let answer = self.admin("/admin/refresh_tokens", json!({"email": email})).await;
        assert_eq!(answer.status, 200, "refresh_tokens failed: {}", answer.body);
        answer.body["user"]["refresh_token"].as_str().expect("refresh_token").to_owned()
    }

    /// A second app on the same emulator (control surface), with `schema` if given.
    pub async fn new_app(&self, schema: Option<Value>) -> Server {
        let body = match schema {
            Some(schema) => json!({"schema": schema}),
            None => json!({}),
        };
        let created = self.post_raw("/__emulator/apps", &[JSON], &body.to_string()).await;
        assert_eq!(created.status, 200, "create app: {}", created.body);
        Server {
            app_id: created.body["app-id"].as_str().expect("app-id").to_owned(),
            token: created.body["admin-token"].as_str().expect("admin-token").to_owned(),
            ..self.clone()
        }
    }
}

pub fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {list}"))
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The empty id list, for readable `assert_eq!(…, none())`.
pub fn none() -> Vec<String> {
    Vec::new()
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
    Answer { status, content_type, body, text, headers }
}

/// A fixed, readable UUID: `uid(1)` = `00000000-0000-4000-8000-000000000001`.
pub fn uid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// spec §2.1: an Instant error has `type`, `message`, a `hint` key (maybe null) and a 32-hex `trace-id`.
pub fn assert_error_type(answer: &Answer, status: u16, error_type: &str) {
    assert_eq!(answer.status, status, "status; body {}", answer.body);
    assert!(answer.content_type.starts_with("application/json"), "content type {}", answer.content_type);
    assert_eq!(answer.body["type"], error_type, "type; body {}", answer.body);
    assert!(answer.body["message"].is_string(), "message; body {}", answer.body);
    assert!(answer.body.get("hint").is_some(), "hint key present; body {}", answer.body);
    let trace = answer.body["trace-id"].as_str().unwrap_or("");
    assert!(
        trace.len() == 32 && trace.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "trace-id is 32 lower-hex chars: {}",
        answer.body
    );
}

/// An Instant error with an exact message.
pub fn assert_error(answer: &Answer, status: u16, error_type: &str, message: &str) {
    assert_error_type(answer, status, error_type);
    assert_eq!(answer.body["message"], message, "message; body {}", answer.body);
}

/// An Instant error whose message contains `fragment` (the spec gives the text but not its prefix).
pub fn assert_error_contains(answer: &Answer, status: u16, error_type: &str, fragment: &str) {
    assert_error_type(answer, status, error_type);
    let message = answer.body["message"].as_str().unwrap_or("");
    assert!(message.contains(fragment), "message {message:?} should contain {fragment:?}");
}

/// spec §2.4: `validation-failed` built by `throw-validation-err!` for some data-type the spec
/// leaves open (e.g. `query` / `coerced-query`): message `Validation failed for <dt>: <msg>`,
/// and `hint.errors` holds an entry whose `message` is `msg`.
pub fn assert_validation(answer: &Answer, msg: &str) {
    assert_error_type(answer, 400, "validation-failed");
    let message = answer.body["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("Validation failed for ") && message.ends_with(&format!(": {msg}")),
        "message {message:?} should be `Validation failed for <data-type>: {msg}`"
    );
    let errors = answer.body["hint"]["errors"].as_array().cloned().unwrap_or_default();
    assert!(errors.iter().any(|e| e["message"] == msg), "hint.errors should hold {msg:?}: {}", answer.body);
}

/// `validation-failed`, message not pinned by the spec.
pub fn assert_invalid(answer: &Answer) {
    assert_error_type(answer, 400, "validation-failed");
}

/// Schema with typed/indexed attributes and links (platform §4.1 shape).
///
/// * goals: title (string, indexed), priority (number, indexed), due (date, indexed),
///   slug (string, indexed, unique), notes (string, not indexed), tags (json = untyped, indexed)
/// * todos: text (string, not indexed), done (boolean, indexed)
/// * projects: name (string, required)
/// * goals.todos (many) ↔ todos.goal (one, onDelete cascade on the reverse side: deleting a goal deletes its todos)
/// * goals.owner (one) ↔ $users.goals (many), no cascade
/// * goals.project (one, onDelete cascade: deleting a project deletes its goals) ↔ projects.goals (many)
pub fn goals_schema() -> Value {
    json!({
        "entities": {
            "goals": {"attrs": {
                "title": attr("string", true, false, false),
                "priority": attr("number", true, false, false),
                "due": attr("date", true, false, false),
                "slug": attr("string", true, true, false),
                "notes": attr("string", false, false, false),
                "tags": attr("json", true, false, false)
            }},
            "todos": {"attrs": {"text": attr("string", false, false, false), "done": attr("boolean", true, false, false)}},
            "projects": {"attrs": {"name": attr("string", false, false, true)}}
        },
        "links": {
            "goalsTodos": {"forward": {"on": "goals", "has": "many", "label": "todos"},
                            "reverse": {"on": "todos", "has": "one", "label": "goal", "onDelete": "cascade"}},
            "goalsOwner": {"forward": {"on": "goals", "has": "one", "label": "owner"},
                            "reverse": {"on": "$users", "has": "many", "label": "goals"}},
            "goalsProject": {"forward": {"on": "goals", "has": "one", "label": "project", "onDelete": "cascade"},
                              "reverse": {"on": "projects", "has": "many", "label": "goals"}}
        },
        "rooms": {}
    })
}

/// One attribute definition (platform §4.1).
pub fn attr(value_type: &str, indexed: bool, unique: bool, required: bool) -> Value {
    json!({"valueType": value_type, "required": required, "config": {"indexed": indexed, "unique": unique}})
}

/// `goals_schema` plus data, all written in ONE transaction (so one serverCreatedAt):
///
/// | goal | title | priority | due | slug | todos |
/// |---|---|---|---|---|---|
/// | uid(1) | Get fit | 2 | 1704067200000 (2024-01-01) | fit | uid(11) Run/false, uid(12) Lift/true |
/// | uid(2) | Ship it | 1 | "2024-01-02T00:00:00Z" | ship | uid(13) Write/false |
/// | uid(3) | Read more | — | — | — | — |
pub async fn seeded() -> Server {
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([
        ["update", "goals", uid(2), {"title": "Ship it", "priority": 1, "due": "2024-01-02T00:00:00Z", "slug": "ship"}],
        ["update", "goals", uid(1), {"title": "Get fit", "priority": 2, "due": 1704067200000u64, "slug": "fit"}],
        ["update", "goals", uid(3), {"title": "Read more"}],
        ["update", "todos", uid(11), {"text": "Run", "done": false}],
        ["update", "todos", uid(12), {"text": "Lift", "done": true}],
        ["update", "todos", uid(13), {"text": "Write", "done": false}],
        ["link", "goals", uid(1), {"todos": [uid(11), uid(12)]}],
        ["link", "todos", uid(13), {"goal": uid(2)}]
    ]))
    .await;
    s
}

/// `$users.id` system attr id (platform §4.4 encoding: "system"+"at" / "us/id").
pub const USERS_ID_ATTR: &str = "96653230-13ff-ffff-a4b4-81ffffffffff";
/// `$users.email` system attr id (platform §4.4 check value).
pub const USERS_EMAIL_ATTR: &str = "96653230-13ff-ffff-a4b4-46010bffffff";

/// The body of an answer that must be a 200.
pub fn ok(answer: Answer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

/// A control-route call that must succeed.
pub async fn control(s: &Server, path: &str, body: Value) -> Value {
    ok(s.post_raw(path, &[JSON], &body.to_string()).await)
}

/// A new Instant user: `(id, personal access token)`.
pub async fn user(s: &Server, email: &str) -> (String, String) {
    let made = control(s, "/__emulator/platform/users", json!({ "email": email })).await;
    (made["id"].as_str().unwrap().to_owned(), made["personal-access-token"].as_str().unwrap().to_owned())
}

/// A `pat_` OAuth token of `email` with these scopes.
pub async fn oauth(s: &Server, email: &str, scopes: &str, expires_in_s: Option<u64>) -> String {
    let mut body = json!({"email": email, "scopes": scopes});
    if let Some(seconds) = expires_in_s {
        body["expires-in-s"] = json!(seconds);
    }
    control(s, "/__emulator/platform/oauth-tokens", body).await["access-token"].as_str().unwrap().to_owned()
}
