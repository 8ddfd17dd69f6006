//! Harness: a real emulator on a free loopback port per test, and a small HTTP client for it.
#![allow(dead_code)]

use instant_emulator::{Config, Emulator};
use serde_json::{json, Value};

/// A running emulator plus the credentials of its default app.
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
    /// POST with arbitrary headers and body text.
    pub async fn post_raw(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut request = self.http.post(format!("{}{path}", self.base)).body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send().await.expect("send")).await
    }

    /// POST JSON as an admin of the default app.
    pub async fn admin(&self, path: &str, body: Value) -> Answer {
        let auth = format!("Bearer {}", self.token);
        let headers = [("content-type", "application/json"), ("app-id", self.app_id.as_str()), ("authorization", auth.as_str())];
        self.post_raw(path, &headers, &body.to_string()).await
    }

    /// `POST /admin/query` as admin; panics unless 200.
    pub async fn query(&self, query: Value) -> Value {
        let answer = self.admin("/admin/query", json!({"query": query})).await;
        assert_eq!(answer.status, 200, "query failed: {}", answer.body);
        answer.body
    }

    /// `POST /admin/query` with `inference?` true.
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
        let result = self.query(query).await;
        ids_of(&result[ns])
    }
}

pub fn ids_of(list: &Value) -> Vec<String> {
    list.as_array().expect("array").iter().map(|e| e["id"].as_str().expect("id").to_owned()).collect()
}

async fn answer(response: reqwest::Response) -> Answer {
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

/// Asserts a typed Instant error: status, type and message.
pub fn assert_error(answer: &Answer, status: u16, error_type: &str, message: &str) {
    assert_eq!(answer.status, status, "status; body {}", answer.body);
    assert_eq!(answer.body["type"], error_type, "type; body {}", answer.body);
    assert_eq!(answer.body["message"], message, "message; body {}", answer.body);
    assert!(answer.body.get("hint").is_some(), "hint key present");
    assert!(answer.body["trace-id"].as_str().is_some_and(|t| t.len() == 32), "trace-id");
}

/// Schema with typed/indexed attributes and links (platform spec §4.1 shape).
pub fn goals_schema() -> Value {
    let attr = |t: &str, indexed: bool, unique: bool, required: bool| {
        json!({"valueType": t, "required": required, "config": {"indexed": indexed, "unique": unique}})
    };
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
