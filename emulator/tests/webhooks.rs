//! Webhooks (docs/webhooks.md): the manager routes, signed deliveries to a receiver on
//! loopback, the payload route and its JWT, retries, the 410 auto-disable and resend.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{Answer, Server, JSON};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use instant_emulator::Config;
use reqwest::Method;
use serde_json::{json, Value};

/// One POST the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: axum::http::HeaderMap,
    body: String,
}

/// A receiver on 127.0.0.1:0: records every POST and answers the queued statuses (then 200).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
    url: String,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Receiver {
        let mut receiver = Receiver { statuses: Arc::new(Mutex::new(statuses.iter().copied().collect())), ..Receiver::default() };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        receiver.url = format!("http://{}/hook", listener.local_addr().unwrap());
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    state.got.lock().unwrap().push(Received { headers, body });
                    let status = state.statuses.lock().unwrap().pop_front().unwrap_or(200);
                    (axum::http::StatusCode::from_u16(status).unwrap(), "ok")
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn fast() -> Config {
    Config { webhook_retry_ms: vec![50], ..Config::default() }
}

/// An emulator whose default app has `goals` (one goal transacted before any webhook).
async fn server(config: Config) -> Server {
    let s = common::start_with(config).await;
    s.transact(json!([["update", "goals", "00000000-0000-4000-8000-000000000000", {"title": "seed"}]])).await;
    s
}

async fn call(s: &Server, method: Method, path: &str, body: Option<Value>) -> Answer {
    let auth = s.bearer();
    let url = format!("{}/dash/apps/{}/webhooks{path}", s.base, s.app_id);
    let mut request = s.http.request(method, url).header("authorization", auth).header(JSON.0, JSON.1);
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    common::answer(request.send().await.unwrap()).await
}

async fn create(s: &Server, url: &str, actions: Value) -> Value {
    let answer = call(s, Method::POST, "", Some(json!({"url": url, "namespaces": ["goals"], "actions": actions}))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["webhook"].clone()
}

async fn flush(s: &Server) {
    let answer = s.post_raw("/__emulator/webhooks/flush?timeout-ms=20000", &[], "").await;
    assert_eq!(answer.body["idle"], true, "{}", answer.body);
}

fn signature_parts(header: &str) -> (i64, String, Vec<u8>) {
    let mut t = 0;
    let mut kid = String::new();
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.split_once('=').unwrap();
        match key {
            "t" => t = value.parse().unwrap(),
            "kid" => kid = value.to_owned(),
            "v1" => v1 = (0..value.len() / 2).map(|i| u8::from_str_radix(&value[i * 2..i * 2 + 2], 16).unwrap()).collect(),
            _ => {}
        }
    }
    (t, kid, v1)
}

async fn verify(s: &Server, got: &Received) {
    let jwks = s.send(Method::GET, "/.well-known/webhooks/jwks.json", &[]).await;
    assert_eq!(jwks.status, 200);
    let key = &jwks.body["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str(), key["use"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
    );
    let (t, kid, v1) = signature_parts(got.headers["instant-signature"].to_str().unwrap());
    assert_eq!(kid, key["kid"].as_str().unwrap());
    assert_ne!(kid, "503090235", "the dev server's kid is pinned by the official clients");
    let x: [u8; 32] = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap().try_into().unwrap();
    let public = VerifyingKey::from_bytes(&x).unwrap();
    let signature = Signature::from_slice(&v1).unwrap();
    public.verify(format!("{t}.{}", got.body).as_bytes(), &signature).expect("signature verifies");
    assert!(public.verify(format!("{}.{}", t + 1, got.body).as_bytes(), &signature).is_err());
}

async fn payload(s: &Server, url: &str, token: &str) -> Answer {
    let path = url.strip_prefix(&s.base).expect("payloadUrl on the emulator's origin");
    s.send(Method::GET, path, &[("authorization", &format!("Bearer {token}"))]).await
}

fn body_of(got: &Received) -> (String, String) {
    let body: Value = serde_json::from_str(&got.body).unwrap();
    (body["payloadUrl"].as_str().unwrap().to_owned(), body["token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn deliveries_are_signed_and_the_payload_answers_the_records() {
    let s = server(fast()).await;
    let receiver = Receiver::start(&[]).await;
    let webhook = create(&s, &receiver.url, json!(["create", "update", "delete"])).await;
    let id = webhook["id"].as_str().unwrap().to_owned();
    assert_eq!(webhook["sink"], json!({"url": receiver.url}));
    assert_eq!(webhook["namespaces"], json!(["goals"]));
    assert_eq!(webhook["status"], "active");
    assert_eq!(webhook["disabled_reason"], Value::Null);
    assert!(webhook["created_at"].as_str().unwrap().ends_with('Z'));

    let goal = "11111111-1111-4111-8111-111111111111";
    s.transact(json!([["update", "goals", goal, {"title": "Get fit"}]])).await;
    flush(&s).await;
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    let first = &got[0];
    assert_eq!(first.headers["user-agent"], "InstantDB Webhook Sender");
    assert_eq!(first.headers["content-type"], "application/json; charset=utf-8");
    verify(&s, first).await;
    let (payload_url, token) = body_of(first);
    assert_eq!(first.body, format!("{{\"payloadUrl\":\"{payload_url}\",\"token\":\"{token}\"}}"), "byte-exact body");
    let prefix = format!("{}/webhooks/payload/{}/{id}/", s.base, s.app_id);
    let isn = payload_url.strip_prefix(&prefix).expect("payloadUrl shape").to_owned();
    assert_eq!(isn.split('/').count(), 3);

    // The JWT: EdDSA, the claims of the route.
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("EdDSA"), Some("JWT")));
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["iss"], s.base.as_str());
    assert_eq!(claims["sub"], s.app_id.as_str());
    assert_eq!(claims["app-id"], s.app_id.as_str());
    assert_eq!(claims["webhook-id"], id.as_str());
    assert_eq!(claims["isn"], isn.as_str());
    assert!(claims["exp"].as_i64().unwrap() > 0);

    let answer = payload(&s, &payload_url, &token).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), "no-store, private");
    assert_eq!(answer.header("vary"), "Authorization");
    assert_eq!(answer.body["idempotencyKey"], first.headers["idempotency-key"].to_str().unwrap());
    let data = answer.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    let record = &data[0];
    let keys: Vec<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["namespace", "action", "id", "before", "after", "idempotencyKey"]);
    assert_eq!(
        (record["namespace"].as_str(), record["action"].as_str(), record["id"].as_str()),
        (Some("goals"), Some("create"), Some(goal))
    );
    assert_eq!(record["before"], Value::Null);
    assert_eq!(record["after"], json!({"id": goal, "title": "Get fit"}));

    // The admin token reads the payload too.
    let admin = payload(&s, &payload_url, &s.token).await;
    assert_eq!(admin.status, 200);
    assert_eq!(admin.body["data"], answer.body["data"]);

    // A tampered token, one for another path, and an expired one are refused.
    let mut tampered = token.clone();
    tampered.push('x');
    let refused = payload(&s, &payload_url, &tampered).await;
    assert_eq!((refused.status, refused.body["type"].as_str()), (400, Some("validation-failed")));
    assert_eq!(refused.body["hint"]["data-type"], "jwt");
    let other = s.new_app(None).await;
    let wrong_app = payload_url.replace(&s.app_id, &other.app_id);
    let refused = payload(&s, &wrong_app, &token).await;
    assert_eq!((refused.status, refused.body["hint"]["data-type"].as_str()), (400, Some("jwt")));

    // Update, then delete: one event each, with before/after.
    s.transact(json!([["update", "goals", goal, {"title": "Get fitter"}]])).await;
    s.transact(json!([["delete", "goals", goal]])).await;
    flush(&s).await;
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    let (url, token2) = body_of(&got[1]);
    let update = payload(&s, &url, &token2).await.body["data"][0].clone();
    assert_eq!(update["action"], "update");
    assert_eq!(update["before"], json!({"id": goal, "title": "Get fit"}));
    assert_eq!(update["after"], json!({"id": goal, "title": "Get fitter"}));
    let (url, token3) = body_of(&got[2]);
    let delete = payload(&s, &url, &token3).await.body["data"][0].clone();
    assert_eq!((delete["action"].as_str(), delete["after"].clone()), (Some("delete"), Value::Null));
    assert_eq!(delete["before"], json!({"id": goal, "title": "Get fitter"}));
    assert_ne!(got[1].headers["idempotency-key"], got[2].headers["idempotency-key"]);

    // The event log: newest first, each a success after one attempt.
    let events = call(&s, Method::GET, &format!("/{id}/events"), None).await;
    assert_eq!(events.status, 200, "{}", events.body);
    let list = events.body["events"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[2]["isn"], isn.as_str());
    for event in list {
        assert_eq!(event["status"], "success");
        assert_eq!(event["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(event["attempts"][0]["success?"], true);
        assert_eq!(event["attempts"][0]["status-code"], 200);
        assert_eq!(event["next_attempt_after"], Value::Null);
    }
    assert_eq!(events.body["pageInfo"]["hasNextPage"], false);
    let after = events.body["pageInfo"]["startCursor"].as_str().unwrap();
    let rest = call(&s, Method::GET, &format!("/{id}/events?after={after}"), None).await;
    assert_eq!(rest.body["events"].as_array().unwrap().len(), 2);
    let one = call(&s, Method::GET, &format!("/{id}/events/{isn}"), None).await;
    assert_eq!(one.body["event"]["isn"], isn.as_str());

    // The control log saw every attempt.
    let log = s.send(Method::GET, &format!("/__emulator/webhooks/deliveries?app-id={}", s.app_id), &[]).await;
    let deliveries = log.body["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3);
    assert_eq!(deliveries[0]["status"], 200);
    assert_eq!(deliveries[0]["body"], first.body.as_str());

    // An hour and more later the JWT has expired.
    s.post_raw("/__emulator/clock", &[JSON], &json!({"advance-ms": 3_700_000}).to_string()).await;
    let expired = payload(&s, &payload_url, &token).await;
    assert_eq!((expired.status, expired.body["hint"]["data-type"].as_str()), (400, Some("jwt")));
}

#[tokio::test]
async fn only_subscribed_actions_and_namespaces_make_events() {
    let s = server(fast()).await;
    let receiver = Receiver::start(&[]).await;
    let webhook = create(&s, &receiver.url, json!(["delete"])).await;
    let goal = "22222222-2222-4222-8222-222222222222";
    s.transact(json!([["update", "goals", goal, {"title": "a"}]])).await;
    s.transact(json!([["update", "todos", goal, {"title": "b"}]])).await;
    s.transact(json!([["update", "goals", goal, {"title": "a"}]])).await;
    flush(&s).await;
    assert!(receiver.got().is_empty());
    s.transact(json!([["delete", "goals", goal]])).await;
    flush(&s).await;
    assert_eq!(receiver.got().len(), 1);
    let id = webhook["id"].as_str().unwrap();
    let events = call(&s, Method::GET, &format!("/{id}/events"), None).await;
    assert_eq!(events.body["events"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failure_is_retried_then_succeeds() {
    let s = server(fast()).await;
    let receiver = Receiver::start(&[500]).await;
    let webhook = create(&s, &receiver.url, json!(["create"])).await;
    s.transact(json!([["update", "goals", "33333333-3333-4333-8333-333333333333", {"title": "x"}]])).await;
    flush(&s).await;
    let got = receiver.got();
    assert_eq!(got.len(), 2, "one failure, one retry");
    assert_eq!(got[0].headers["idempotency-key"], got[1].headers["idempotency-key"]);
    verify(&s, &got[1]).await;
    let id = webhook["id"].as_str().unwrap();
    let events = call(&s, Method::GET, &format!("/{id}/events"), None).await;
    let event = &events.body["events"][0];
    assert_eq!(event["status"], "success");
    let attempts = event["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!((attempts[0]["success?"].as_bool(), attempts[0]["status-code"].as_u64()), (Some(false), Some(500)));
    assert_eq!(attempts[0]["response-text"], "ok");
    assert_eq!(attempts[1]["success?"], true);
}

#[tokio::test]
async fn attempts_run_out_and_connection_errors_are_classified() {
    let s = server(Config { webhook_retry_ms: vec![10], webhook_max_attempts: 2, ..Config::default() }).await;
    // A port nothing listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let webhook = create(&s, &format!("http://127.0.0.1:{closed}/hook"), json!(["create"])).await;
    s.transact(json!([["update", "goals", "44444444-4444-4444-8444-444444444444", {"title": "x"}]])).await;
    flush(&s).await;
    let id = webhook["id"].as_str().unwrap();
    let event = call(&s, Method::GET, &format!("/{id}/events"), None).await.body["events"][0].clone();
    assert_eq!(event["status"], "failed");
    let attempts = event["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["error-type"], "connect");
    assert_eq!(attempts[0]["error-message"], "Could not connect to server.");
    assert_eq!(attempts[0]["status-code"], Value::Null);
}

#[tokio::test]
async fn gone_disables_the_webhook_and_enable_brings_it_back() {
    let s = server(fast()).await;
    let receiver = Receiver::start(&[410]).await;
    let webhook = create(&s, &receiver.url, json!(["create", "update"])).await;
    let id = webhook["id"].as_str().unwrap();
    s.transact(json!([["update", "goals", "55555555-5555-4555-8555-555555555555", {"title": "x"}]])).await;
    flush(&s).await;
    assert_eq!(receiver.got().len(), 1, "no retry after 410");
    let list = call(&s, Method::GET, "", None).await;
    let row = &list.body["webhooks"][0];
    assert_eq!(row["status"], "disabled");
    assert_eq!(row["disabled_reason"], "Endpoint returned 410 status code.");
    let event = call(&s, Method::GET, &format!("/{id}/events"), None).await.body["events"][0].clone();
    assert_eq!(event["status"], "failed");

    // Disabled: no events.
    s.transact(json!([["update", "goals", "55555555-5555-4555-8555-555555555555", {"title": "y"}]])).await;
    flush(&s).await;
    assert_eq!(call(&s, Method::GET, &format!("/{id}/events"), None).await.body["events"].as_array().unwrap().len(), 1);

    let enabled = call(&s, Method::POST, &format!("/{id}/enable"), Some(json!({}))).await;
    assert_eq!(enabled.body["webhook"]["status"], "active");
    assert_eq!(enabled.body["webhook"]["disabled_reason"], Value::Null);
    s.transact(json!([["update", "goals", "55555555-5555-4555-8555-555555555555", {"title": "z"}]])).await;
    flush(&s).await;
    assert_eq!(receiver.got().len(), 2);

    let disabled = call(&s, Method::POST, &format!("/{id}/disable"), Some(json!({"reason": "maintenance"}))).await;
    assert_eq!(disabled.body["webhook"]["status"], "disabled");
    assert_eq!(disabled.body["webhook"]["disabled_reason"], "maintenance");
}

#[tokio::test]
async fn resend_delivers_again_and_keeps_the_attempts() {
    let s = server(fast()).await;
    let receiver = Receiver::start(&[]).await;
    let webhook = create(&s, &receiver.url, json!(["create"])).await;
    let id = webhook["id"].as_str().unwrap();
    s.transact(json!([["update", "goals", "66666666-6666-4666-8666-666666666666", {"title": "x"}]])).await;
    flush(&s).await;
    let isn = call(&s, Method::GET, &format!("/{id}/events"), None).await.body["events"][0]["isn"].as_str().unwrap().to_owned();
    let resent = call(&s, Method::POST, &format!("/{id}/events/{isn}"), Some(json!({}))).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    assert_eq!(resent.body["event"]["status"], "pending");
    assert_eq!(resent.body["event"]["attempts"].as_array().unwrap().len(), 1);
    flush(&s).await;
    let got = receiver.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].headers["idempotency-key"], got[1].headers["idempotency-key"]);
    let event = call(&s, Method::GET, &format!("/{id}/events/{isn}"), None).await.body["event"].clone();
    assert_eq!(event["status"], "success");
    assert_eq!(event["attempts"].as_array().unwrap().len(), 2);

    let missing = call(&s, Method::POST, &format!("/{id}/events/0/1/2"), Some(json!({}))).await;
    assert_eq!(missing.status, 400);
    assert!(missing.body["message"].as_str().unwrap().ends_with("Could not resend event. Try again in one minute."));
}

fn message(answer: &Answer) -> &str {
    answer.body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn manager_validation_and_errors() {
    let s = server(fast()).await;
    let post = |body: Value| {
        let s = s.clone();
        async move { call(&s, Method::POST, "", Some(body)).await }
    };
    let missing = post(json!({"namespaces": ["goals"], "actions": ["create"]})).await;
    assert_eq!((missing.status, missing.body["type"].as_str()), (400, Some("param-missing")));
    assert_eq!(missing.body["hint"]["in"], json!(["body", "url"]));
    let blank = post(json!({"url": " ", "namespaces": ["goals"], "actions": ["create"]})).await;
    assert_eq!(blank.body["type"], "param-malformed");
    let not_list = post(json!({"url": "http://127.0.0.1:9/h", "namespaces": "goals", "actions": ["create"]})).await;
    assert_eq!(not_list.body["type"], "param-malformed");
    assert_eq!(not_list.body["hint"]["in"], json!(["body", "namespaces"]));

    let plain = post(json!({"url": "http://example.com/h", "namespaces": ["goals"], "actions": ["create"]})).await;
    assert_eq!((plain.body["type"].as_str(), plain.body["hint"]["data-type"].as_str()), (Some("validation-failed"), Some("webhook")));
    assert!(message(&plain).ends_with("The Webhook url must be https"), "{}", plain.body);
    let local = post(json!({"url": "https://localhost/h", "namespaces": ["goals"], "actions": ["create"]})).await;
    assert!(message(&local).ends_with("localhost is not allowed."));
    let private = post(json!({"url": "https://192.168.1.1/h", "namespaces": ["goals"], "actions": ["create"]})).await;
    assert!(message(&private).ends_with("Could not resolve URL."));
    let garbage = post(json!({"url": "::nope", "namespaces": ["goals"], "actions": ["create"]})).await;
    assert!(message(&garbage).ends_with("Invalid URL."));
    let unknown = post(json!({"url": "http://127.0.0.1:9/h", "namespaces": ["nope"], "actions": ["create"]})).await;
    assert!(message(&unknown).ends_with("Could not find matching table for nope"));
    let none = post(json!({"url": "http://127.0.0.1:9/h", "namespaces": [], "actions": ["create"]})).await;
    assert!(message(&none).ends_with("Webhook must have at least one table."));
    let no_actions = post(json!({"url": "http://127.0.0.1:9/h", "namespaces": ["goals"], "actions": []})).await;
    assert!(message(&no_actions).ends_with("Webhook must have at least one action."));
    let users = post(json!({"url": "https://example.com/h", "namespaces": ["$users"], "actions": ["create"]})).await;
    assert_eq!(users.status, 200, "system namespaces are tables too: {}", users.body);

    let first = create(&s, "http://127.0.0.1:9/h", json!(["create", "update"])).await;
    let duplicate = post(json!({"url": "http://127.0.0.1:9/h", "namespaces": ["goals"], "actions": ["update", "create"]})).await;
    assert!(message(&duplicate).ends_with("A webhook already exists with all of the same properties"), "{}", duplicate.body);
    let id = first["id"].as_str().unwrap();

    // Update changes only the keys given.
    let updated = call(&s, Method::POST, &format!("/{id}"), Some(json!({"actions": ["delete"]}))).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["webhook"]["actions"], json!(["delete"]));
    assert_eq!(updated.body["webhook"]["sink"]["url"], "http://127.0.0.1:9/h");
    let list = call(&s, Method::GET, "", None).await;
    assert_eq!(list.body["webhooks"][0]["id"], id, "newest first");

    let unknown_id = call(&s, Method::POST, "/00000000-0000-4000-8000-00000000abcd/enable", Some(json!({}))).await;
    assert_eq!((unknown_id.body["type"].as_str(), message(&unknown_id)), (Some("record-not-found"), "Record not found: webhook"));
    let bad_isn = call(&s, Method::GET, &format!("/{id}/events/zz"), None).await;
    assert_eq!(bad_isn.body["type"], "param-malformed");
    assert_eq!(bad_isn.body["hint"]["in"], json!(["params", "*"]));
    let no_event = call(&s, Method::GET, &format!("/{id}/events/0/1/2"), None).await;
    assert_eq!(message(&no_event), "Record not found: webhook-event");
    let blank_reason = call(&s, Method::POST, &format!("/{id}/disable"), Some(json!({"reason": ""}))).await;
    assert_eq!(blank_reason.body["type"], "param-malformed");

    let deleted = call(&s, Method::DELETE, &format!("/{id}"), None).await;
    assert_eq!(deleted.body["webhook"]["id"], id);
    assert_eq!(call(&s, Method::GET, "", None).await.body["webhooks"].as_array().unwrap().len(), 1);

    // Auth: no token, another app's admin token.
    let anonymous = s.send(Method::GET, &format!("/dash/apps/{}/webhooks", s.app_id), &[]).await;
    assert_eq!(anonymous.body["type"], "param-missing");
    let other = s.new_app(None).await;
    let mismatch = s.send(Method::GET, &format!("/dash/apps/{}/webhooks", s.app_id), &[("authorization", &other.bearer())]).await;
    assert_eq!(mismatch.body["hint"]["reason"], "admin-token-mismatch");
}

#[tokio::test]
async fn repeated_failed_events_disable_the_webhook_when_asked() {
    // Events: failed, success (which resets the count), failed, failed. Off by default (the real
    // server disables only on a 410); with 2, the second failure in a row disables.
    let disabled = Value::from("Disabled after 2 failed events in a row.");
    for (disable_after, expected) in
        [(0, [Value::Null, Value::Null, Value::Null, Value::Null]), (2, [Value::Null, Value::Null, Value::Null, disabled])]
    {
        let config =
            Config { webhook_retry_ms: vec![10], webhook_max_attempts: 1, webhook_disable_after: disable_after, ..Config::default() };
        let s = server(config).await;
        let receiver = Receiver::start(&[500, 200, 500, 500]).await;
        create(&s, &receiver.url, json!(["create", "update"])).await;
        for (title, reason) in ["a", "b", "c", "d"].into_iter().zip(expected) {
            s.transact(json!([["update", "goals", "66666666-6666-4666-8666-666666666666", {"title": title}]])).await;
            flush(&s).await;
            let row = call(&s, Method::GET, "", None).await.body["webhooks"][0].clone();
            let status = if reason.is_null() { "active" } else { "disabled" };
            assert_eq!(
                (row["status"].clone(), row["disabled_reason"].clone()),
                (Value::from(status), reason),
                "after {title}, {disable_after}"
            );
        }
    }
}
