//! `db.webhooks()` through the mock transport: the official test vector (a real delivery from
//! a localhost:8888 dev server, `client/packages/webhooks/__tests__/src/validate.test.ts`)
//! checked with the key served in a key set, the key cache per (API base, kid), the official
//! verdicts and messages, the payload fetch and dispatch, and the manager's requests and
//! answers. Native only (ed25519-dalek).
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{block_on, mock_db, APP, TOKEN};

use std::cell::RefCell;
use std::rc::Rc;

use instant_edge::client::webhooks::Handlers;
use instant_edge::webhooks::{VerifyOptions, WebhookBody};
use instant_edge::{value, Error};
use serde_json::json;

const HEADER: &str = "t=1778610366,kid=503090235,v1=b4385e8285de38d22b6d8a6bdd03cc75287e356f1adf48cea257a8e6c056c04ef99af7d8e162afcaa07d201e97c7865cc91e552bd5def8f9ed4b52efc5843406";
const BODY: &str = r#"{"payloadUrl":"http://localhost:8888/webhooks/payload/f717e056-94af-4556-9eec-288fb27847a1/4e119bf6-ef64-4e86-bf26-49a18dec54b8/0/328/5307A1A0","token":"eyJraWQiOiI1MDMwOTAyMzUiLCJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwOi8vbG9jYWxob3N0Ojg4ODgiLCJzdWIiOiJmNzE3ZTA1Ni05NGFmLTQ1NTYtOWVlYy0yODhmYjI3ODQ3YTEiLCJhcHAtaWQiOiJmNzE3ZTA1Ni05NGFmLTQ1NTYtOWVlYy0yODhmYjI3ODQ3YTEiLCJleHAiOjE3Nzg2MTM5NjYsImlzbiI6IjAvMzI4LzUzMDdBMUEwIiwid2ViaG9vay1pZCI6IjRlMTE5YmY2LWVmNjQtNGU4Ni1iZjI2LTQ5YTE4ZGVjNTRiOCJ9.SsI2iZ4rD_sDjUcgqyJ0agGXMgjTRU5PKgcEQsE-txp5jTNoVouQU-GneTrKR2GmleETEzFrpf_v4HAnCDYABw"}"#;
const RECEIVED_AT: f64 = 1778610366.0 * 1000.0;
/// The dev server's public key (also in `py/_webhooks_crypto.py`).
const DEV_X: &str = "qrSkwDaMITRMF9nOgpueqxgaAiuFmJperYE3mkyl8Ow";

fn jwks(kid: &str, x: &str) -> String {
    json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid, "x": x}]}).to_string()
}

fn at() -> VerifyOptions {
    VerifyOptions::default().received_at_ms(RECEIVED_AT)
}

fn message(result: Result<WebhookBody, Error>) -> String {
    let err = result.unwrap_err();
    assert_eq!(err.kind(), "webhook", "{err:?}");
    err.message()
}

#[test]
fn the_official_vector_verifies_with_the_key_from_the_key_set_then_from_the_cache() {
    // Each test has its own API base: the key cache is per process.
    let (db, mock) = mock_db("http://127.0.0.1:9001");
    mock.answer(200, &jwks("503090235", DEV_X));
    let body = block_on(db.webhooks().verify(HEADER, BODY, &at())).unwrap();
    assert!(body.payload_url.ends_with("/0/328/5307A1A0"));
    assert!(body.token.starts_with("eyJraWQiOiI1MDMwOTAyMzUi"));
    let sent = mock.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].url, "http://127.0.0.1:9001/.well-known/webhooks/jwks.json");
    assert_eq!(sent[0].header("authorization"), None);
    // Cached per (apiURI, kid): no second fetch.
    block_on(db.webhooks().verify(HEADER, BODY, &at())).unwrap();
    assert_eq!(mock.sent().len(), 1);
}

#[test]
fn official_verdicts_and_messages() {
    let (db, mock) = mock_db("http://127.0.0.1:9002");
    mock.answer(200, &jwks("503090235", DEV_X));
    let hooks = db.webhooks();
    let tampered = BODY.replace("5307A1A0", "5307A1A1");
    assert_eq!(message(block_on(hooks.verify(HEADER, &tampered, &at()))), "Instant Signature did not validate");
    let late = at().received_at_ms(RECEIVED_AT + 301_000.0);
    assert_eq!(message(block_on(hooks.verify(HEADER, BODY, &late))), "Webhook signature is too old");
    let tolerant = late.tolerance(400.0);
    assert!(block_on(hooks.verify(HEADER, BODY, &tolerant)).is_ok());
    for header in ["kid=503090235,v1=abcd", "t=1778610366,v1=abcd", "t=1778610366,kid=503090235", ""] {
        assert_eq!(message(block_on(hooks.verify(header, BODY, &at()))), "Invalid Instant-Signature header.");
    }
    let missing = block_on(hooks.verify_request(None, async { Ok(BODY.to_owned()) }, &at()));
    assert_eq!(message(missing), "Request is missing Instant-Signature header");
    // Bad hex in v1: the same verdict as there, decided without lenient decoding.
    let bad_hex = HEADER.replace("v1=b4", "v1=zz");
    assert_eq!(message(block_on(hooks.verify(&bad_hex, BODY, &at()))), "Instant Signature did not validate");
    // A body is read only after the header and the key passed.
    let read = Rc::new(RefCell::new(false));
    let flag = read.clone();
    let lazy = async move {
        *flag.borrow_mut() = true;
        Ok(BODY.to_owned())
    };
    assert!(block_on(hooks.verify_with("t=1", lazy, &at())).is_err());
    assert!(!*read.borrow());
}

#[test]
fn an_unknown_kid_fetches_the_key_set_each_time_and_fails() {
    let (db, mock) = mock_db("http://127.0.0.1:9003");
    mock.answer(200, &jwks("1", DEV_X)).answer(200, &jwks("1", DEV_X));
    let hooks = db.webhooks();
    assert_eq!(message(block_on(hooks.verify(HEADER, BODY, &at()))), "Could not find matching signing key");
    assert_eq!(message(block_on(hooks.verify(HEADER, BODY, &at()))), "Could not find matching signing key");
    assert_eq!(mock.sent().len(), 2, "misses are not cached");
}

#[test]
fn a_different_key_under_the_kid_does_not_validate() {
    let (db, mock) = mock_db("http://127.0.0.1:9004");
    mock.answer(200, &jwks("503090235", "N-C41432STKAKkXAWmeIOXMnZcGRR1b9u1L3bTVqI_o"));
    assert_eq!(message(block_on(db.webhooks().verify(HEADER, BODY, &at()))), "Instant Signature did not validate");
}

#[test]
fn localhost_8888_is_not_pinned_and_a_failed_key_set_is_an_api_error() {
    let (db, mock) = mock_db("http://localhost:8888");
    mock.answer(404, r#"{"type":"record-not-found","message":"Not found"}"#);
    let err = block_on(db.webhooks().verify(HEADER, BODY, &at())).unwrap_err();
    assert_eq!(err.status(), 404);
    assert_eq!(mock.sent()[0].url, "http://localhost:8888/.well-known/webhooks/jwks.json");
}

#[test]
fn payloads_are_fetched_with_the_jwt_and_dispatched_in_the_official_order() {
    let (db, mock) = mock_db("http://127.0.0.1:9005");
    mock.answer(
        200,
        &json!({"data": [
            {"namespace": "posts", "action": "create", "id": "p1", "before": null, "after": {"id": "p1"}, "idempotencyKey": "k1"},
            {"namespace": "posts", "action": "delete", "id": "p2", "before": {"id": "p2"}, "after": null, "idempotencyKey": "k2"},
            {"namespace": "tags", "action": "update", "id": "t1", "before": {}, "after": {}, "idempotencyKey": "k3"},
            {"namespace": "users", "action": "create", "id": "u1", "before": null, "after": {}, "idempotencyKey": "k4"},
        ], "idempotencyKey": "pk"})
        .to_string(),
    );
    let body = WebhookBody { payload_url: "http://127.0.0.1:9005/webhooks/payload/a/w/0/1/2".into(), token: "eyJ.a.b".into() };
    let payload = block_on(db.webhooks().fetch_payloads(&body)).unwrap();
    let sent = &mock.sent()[0];
    assert_eq!(sent.url, body.payload_url);
    assert_eq!(sent.header("Authorization"), Some("Bearer eyJ.a.b"));
    assert_eq!(sent.header("accept"), Some("application/json"));
    assert_eq!(payload.idempotency_key, "pk");
    assert_eq!(payload.data.len(), 4);

    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = |label: &'static str| {
        let seen = seen.clone();
        move |record: &instant_edge::webhooks::WebhookRecord| -> instant_edge::client::webhooks::HandlerFuture<'static> {
            seen.borrow_mut().push([label, ":", &record.id].concat());
            Box::pin(async { Ok(()) })
        }
    };
    let handlers = Handlers::new()
        .on("posts", "create", log("posts.create"))
        .on("posts", "$default", log("posts.$default"))
        .on("$default", "$default", log("$default"))
        .on("users", "update", log("users.update"));
    block_on(db.webhooks().process_payload(&handlers, &payload)).unwrap();
    assert_eq!(*seen.borrow(), ["posts.create:p1", "posts.$default:p2", "$default:t1", "$default:u1"]);

    let none = Handlers::new().on("posts", "update", log("never"));
    block_on(db.webhooks().process_payload(&none, &payload)).unwrap();
    assert_eq!(seen.borrow().len(), 4);
}

#[test]
fn manager_requests_and_answers() {
    let (db, mock) = mock_db("http://127.0.0.1:9006");
    let row = json!({"id": "w1", "sink": {"url": "https://example.com/h"}, "namespaces": null, "actions": ["create"], "status": "active",
        "disabled_reason": null, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
    let event = json!({"isn": "0/1/2", "status": "error", "attempts": [{"attempt-at": "2026-01-01T00:00:00.123Z", "duration-ms": 12,
        "success?": false, "status-code": 500, "response-text": "no", "error-type": null, "error-message": null}],
        "next_attempt_after": "2026-01-01T00:01:00Z", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
    mock.answer(200, &json!({"webhooks": [row]}).to_string())
        .answer(200, &json!({"webhook": row}).to_string())
        .answer(200, &json!({"webhook": row}).to_string())
        .answer(200, &json!({"events": [event], "pageInfo": {"startCursor": "a", "endCursor": "b", "hasNextPage": true}}).to_string())
        .answer(200, &json!({"event": event}).to_string())
        .answer(200, &json!({"data": [], "idempotencyKey": "pk"}).to_string())
        .answer(400, &json!({"type": "validation-failed", "message": "Could not resend event. Try again in one minute."}).to_string());
    let manager = db.webhooks().manager();
    let list = block_on(manager.list()).unwrap();
    assert_eq!(list[0].namespaces, Vec::<String>::new());
    assert_eq!(list[0].sink.url, "https://example.com/h");
    let created = block_on(manager.create(&value!({ "url": "https://example.com/h", "namespaces": ["posts"], "actions": ["create"] })));
    assert_eq!(created.unwrap().id, "w1");
    block_on(manager.disable("w1", Some("why"))).unwrap();
    let page = block_on(manager.list_events("w1", Some("b"))).unwrap();
    assert!(page.page_info.has_next_page);
    assert_eq!(page.events[0].attempts.as_ref().unwrap()[0].status_code, Some(500));
    assert_eq!(block_on(manager.get_event("w1", "0/1/2")).unwrap().isn, "0/1/2");
    assert_eq!(block_on(manager.get_payload("w1", "0/1/2")).unwrap().idempotency_key, "pk");
    let err = block_on(manager.resend_event("w1", "0/1/2")).unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(err.message(), "Could not resend event. Try again in one minute.");

    let sent = mock.sent();
    let base = ["http://127.0.0.1:9006/dash/apps/", APP, "/webhooks"].concat();
    let auth = ["Bearer ", TOKEN].concat();
    let urls: Vec<(&str, String)> = sent.iter().map(|r| (r.method, r.url.clone())).collect();
    assert_eq!(
        urls,
        [
            ("GET", base.clone()),
            ("POST", base.clone()),
            ("POST", [&base, "/w1/disable"].concat()),
            ("GET", [&base, "/w1/events?after=b"].concat()),
            ("GET", [&base, "/w1/events/0/1/2"].concat()),
            ("GET", ["http://127.0.0.1:9006/webhooks/payload/", APP, "/w1/0/1/2"].concat()),
            ("POST", [&base, "/w1/events/0/1/2"].concat()),
        ]
    );
    assert!(sent.iter().all(|r| r.header("authorization") == Some(auth.as_str()) && r.header("app-id").is_none()));
    assert_eq!(instant_edge::host::native::body_text(&sent[2]).as_deref(), Some(r#"{"reason":"why"}"#));
    assert_eq!(instant_edge::host::native::body_text(&sent[6]).as_deref(), Some("{}"));
}
