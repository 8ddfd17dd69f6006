//! Every call through the mock transport: URL, headers, body, error mapping, retries, and that
//! bad input sends nothing (DESIGN.md "Tests", layer 2). Native only.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{block_on, APP, TOKEN};

use instant_edge::host::mock::MockTransport;
use instant_edge::host::Signal;
use instant_edge::http::TransportError;
use instant_edge::{link_target, lookup, tx, CallOptions, Config, Error, Impersonation, Instant, Value};
use serde::Deserialize;
use serde_json::json;

const GOAL: &str = "11111111-2222-4333-8444-555555555555";
const TODO: &str = "66666666-7777-4888-9999-aaaaaaaaaaaa";

/// With a trailing slash, which the config drops.
fn db() -> (Instant<MockTransport>, MockTransport) {
    common::mock_db("http://127.0.0.1:8888/")
}

fn v(json: serde_json::Value) -> Value {
    serde_json::from_value(json).unwrap()
}

fn headers(mock: &MockTransport) -> Vec<(String, String)> {
    mock.sent()[0].headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

#[test]
fn query_request_matches_the_official_client() {
    let (db, mock) = db();
    mock.answer(200, r#"{"goals":[{"id":"x","title":"Get fit"}]}"#);
    #[derive(Deserialize, Debug, PartialEq)]
    struct Goal {
        title: String,
    }
    #[derive(Deserialize, Debug)]
    struct Answer {
        goals: Vec<Goal>,
    }
    let answer: Answer = block_on(db.query(&v(json!({"goals": {"$": {"where": {"title": "Get fit"}}}})))).unwrap();
    assert_eq!(answer.goals, [Goal { title: "Get fit".into() }]);
    let sent = &mock.sent()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.url, format!("http://127.0.0.1:8888/admin/query?app_id={APP}"));
    assert_eq!(
        headers(&mock),
        [
            ("content-type".into(), "application/json".into()),
            ("app-id".into(), APP.into()),
            ("authorization".into(), format!("Bearer {TOKEN}")),
            ("Instant-Admin-Version".into(), "instant-edge-v0.1.0".into()),
            ("Instant-Core-Version".into(), "instant-edge-v0.1.0".into()),
        ]
    );
    assert_eq!(
        instant_edge::host::native::body_text(sent).as_deref(),
        Some(r#"{"query":{"goals":{"$":{"where":{"title":"Get fit"}}}},"inference?":false}"#)
    );
}

#[test]
fn rule_params_go_first_inside_the_query() {
    let (db, mock) = db();
    mock.answer(200, "{}");
    let opts = CallOptions::default().rule_params(v(json!({"secret": "s"})));
    block_on(db.query_json(&v(json!({"goals": {}})), &opts)).unwrap();
    assert_eq!(
        instant_edge::host::native::body_text(&mock.sent()[0]).as_deref(),
        Some(r#"{"query":{"$$ruleParams":{"secret":"s"},"goals":{}},"inference?":false}"#)
    );
}

#[test]
fn schema_flag_sets_inference_and_throw_on_missing_attrs() {
    let config = Config::new(APP, "http://x").unwrap().with_admin_token(TOKEN).unwrap().with_schema(true);
    let mock = MockTransport::new();
    let db = Instant::with_transport(config, mock.clone());
    mock.answer(200, "{}").answer(200, r#"{"tx-id":1}"#);
    block_on(db.query_json(&v(json!({"goals": {}})), &CallOptions::default())).unwrap();
    block_on(db.transact([tx("goals", GOAL).delete()])).unwrap();
    assert!(instant_edge::host::native::body_text(&mock.sent()[0]).as_deref().unwrap().ends_with(r#""inference?":true}"#));
    assert!(instant_edge::host::native::body_text(&mock.sent()[1]).as_deref().unwrap().ends_with(r#""throw-on-missing-attrs?":true}"#));
}

#[test]
fn transact_request_and_typed_answer() {
    let (db, mock) = db();
    mock.answer(200, r#"{"tx-id": 42}"#);
    let answer = block_on(db.transact([
        tx("goals", GOAL).update(v(json!({"title": "Get fit"}))).link(v(json!({"todos": TODO}))),
        tx("todos", lookup("slug", "run")).update_existing(v(json!({"done": true}))),
        tx("goals", GOAL).link(Value::object([("owner", link_target(&lookup("email", "a@b.c")))])),
        tx("todos", TODO).merge(v(json!({"meta": {"a": 1}}))).unlink(v(json!({"goal": GOAL}))).delete(),
    ]))
    .unwrap();
    assert_eq!(answer.tx_id, 42);
    let sent = &mock.sent()[0];
    assert_eq!(sent.url, format!("http://127.0.0.1:8888/admin/transact?app_id={APP}"));
    let body: serde_json::Value = serde_json::from_str(instant_edge::host::native::body_text(sent).as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"steps": [
            ["update", "goals", GOAL, {"title": "Get fit"}],
            ["link", "goals", GOAL, {"todos": TODO}],
            ["update", "todos", ["slug", "run"], {"done": true}, {"upsert": false}],
            ["link", "goals", GOAL, {"owner": "lookup__email__\"a@b.c\""}],
            ["merge", "todos", TODO, {"meta": {"a": 1}}],
            ["unlink", "todos", TODO, {"goal": GOAL}],
            ["delete", "todos", TODO, null],
        ], "throw-on-missing-attrs?": false})
    );
}

#[test]
fn impersonation_headers() {
    let (db, mock) = db();
    for _ in 0..3 {
        mock.answer(200, "{}");
    }
    let q = v(json!({"goals": {}}));
    let none = CallOptions::default();
    block_on(db.as_user(Impersonation::Email("alyssa@example.com".into())).query_json(&q, &none)).unwrap();
    block_on(db.as_user(Impersonation::Token(TODO.into())).query_json(&q, &none)).unwrap();
    block_on(db.as_user(Impersonation::Guest).query_json(&q, &none)).unwrap();
    let sent = mock.sent();
    assert_eq!(sent[0].header("as-email"), Some("alyssa@example.com"));
    assert_eq!(sent[1].header("as-token"), Some(TODO));
    assert_eq!(sent[2].header("as-guest"), Some("true"));
    assert!(!format!("{:?}", sent[1]).contains(TODO), "Debug hides the refresh token");
    assert!(!format!("{:?}", sent[1]).contains(TOKEN), "Debug hides the admin token");
}

#[test]
fn token_free_impersonation_needs_no_admin_token() {
    let mock = MockTransport::new();
    let db = Instant::with_transport(Config::new(APP, "http://x").unwrap(), mock.clone());
    mock.answer(200, "{}");
    let q = v(json!({"goals": {}}));
    block_on(db.as_user(Impersonation::Guest).query_json(&q, &CallOptions::default())).unwrap();
    assert_eq!(mock.sent()[0].header("authorization"), None);
    for err in [
        block_on(db.query_json(&q, &CallOptions::default())).unwrap_err(),
        block_on(db.as_user(Impersonation::Email("a@b.c".into())).query_json(&q, &CallOptions::default())).unwrap_err(),
    ] {
        assert_eq!(err.kind(), "invalid-argument");
        assert!(err.to_string().contains("adminToken"), "{err}");
    }
    assert_eq!(mock.sent().len(), 1, "nothing else was sent");
}

#[test]
fn bad_input_sends_nothing() {
    let (db, mock) = db();
    let none = CallOptions::default();
    let cases: Vec<(Error, &str)> = vec![
        (block_on(db.query_json(&v(json!(["goals"])), &none)).unwrap_err(), "invalid query"),
        (block_on(db.query_json(&v(json!({"goals": 5})), &none)).unwrap_err(), "invalid query.goals"),
        (block_on(db.transact([tx("goals", "goal-1").update(Value::empty_object())])).unwrap_err(), "invalid steps[0][2]"),
        (block_on(db.transact_steps(&v(json!([["destroy", "goals", GOAL, {}]])), &none)).unwrap_err(), "invalid steps[0][0]"),
        (block_on(db.transact([tx("goals", GOAL).link(v(json!({"todos": "todo-1"})))])).unwrap_err(), "invalid steps[0][3].todos"),
        (block_on(db.as_user(Impersonation::Token("nope".into())).query_json(&v(json!({})), &none)).unwrap_err(), "invalid asUser.token"),
    ];
    for (err, want) in cases {
        assert_eq!(err.kind(), "invalid-argument", "{err}");
        assert!(err.to_string().starts_with(want), "{err} / {want}");
    }
    assert!(mock.sent().is_empty());
}

#[test]
fn server_errors_are_typed() {
    let (db, mock) = db();
    mock.answer(
        400,
        r#"{"type":"validation-failed","message":"Validation failed for steps","hint":{"data-type":"steps"},"trace-id":"t1"}"#,
    );
    let err = block_on(db.transact([tx("goals", GOAL).delete()])).unwrap_err();
    let Error::Api(api) = err else { panic!() };
    let instant_edge::ApiError { status, error_type, message, hint, trace_id, body } = *api;
    assert_eq!((status, error_type.as_deref(), message.as_str()), (400, Some("validation-failed"), "Validation failed for steps"));
    assert_eq!(hint.get("data-type"), Some(&Value::from("steps")));
    assert_eq!(trace_id.as_deref(), Some("t1"));
    assert_eq!(body.get("type"), Some(&Value::from("validation-failed")));
}

#[test]
fn a_rejected_admin_token_echoed_by_the_server_is_redacted() {
    let (db, mock) = db();
    mock.answer(400, &format!(
        r#"{{"type":"record-not-found","message":"Record not found: app-admin-token","hint":{{"args":[{{"app-id":"{APP}","token":"{TOKEN}"}}],"record-type":"app-admin-token"}}}}"#
    ));
    let err = block_on(db.query_json(&v(json!({"goals": {}})), &CallOptions::default())).unwrap_err();
    assert_eq!(err.error_type(), Some("record-not-found"));
    assert!(!format!("{err:?} {err}").contains(TOKEN), "{err:?}");
}

#[test]
fn a_non_json_200_is_a_decode_error() {
    let (db, mock) = db();
    mock.answer(200, "<html>a login page</html>");
    let err = block_on(db.query_json(&v(json!({"goals": {}})), &CallOptions::default())).unwrap_err();
    assert_eq!(err.kind(), "decode");
    assert!(err.to_string().contains("check apiURI"));
}

#[test]
fn queries_retry_with_backoff_and_retry_after() {
    let (db, mock) = db();
    mock.answer(503, "busy").fail(TransportError::Network("reset".into()));
    mock.answer_retry_after(429, "2", r#"{"type":"rate-limited","message":"slow down"}"#).answer(200, r#"{"goals":[]}"#);
    block_on(db.query_json(&v(json!({"goals": {}})), &CallOptions::default())).unwrap();
    assert_eq!(mock.sent().len(), 4);
    assert_eq!(mock.slept(), [150, 300, 2000], "200·2ⁿ with the mock's 0.5 jitter, then Retry-After");
}

#[test]
fn queries_give_up_after_the_retries() {
    let (db, mock) = db();
    for _ in 0..5 {
        mock.answer(502, "bad gateway");
    }
    let err = block_on(db.query_json(&v(json!({"goals": {}})), &CallOptions::default())).unwrap_err();
    assert_eq!(err.status(), 502);
    assert_eq!(mock.sent().len(), 4, "1 + 3 retries");
}

#[test]
fn transacts_are_not_repeated_unless_provably_unapplied() {
    let (db, mock) = db();
    mock.answer(503, "busy");
    assert_eq!(block_on(db.transact([tx("goals", GOAL).delete()])).unwrap_err().status(), 503);
    mock.fail(TransportError::Network("reset".into()));
    assert_eq!(block_on(db.transact([tx("goals", GOAL).delete()])).unwrap_err().kind(), "network");
    assert_eq!(mock.sent().len(), 2);
    mock.answer(429, r#"{"type":"rate-limited","message":"slow down"}"#).answer(200, r#"{"tx-id":3}"#);
    assert_eq!(block_on(db.transact([tx("goals", GOAL).delete()])).unwrap().tx_id, 3);
    assert_eq!(mock.sent().len(), 4);
}

#[test]
fn timeouts_and_aborts() {
    let (db, mock) = db();
    mock.fail(TransportError::Timeout);
    let err = block_on(db.query_json(&v(json!({"goals": {}})), &CallOptions::default().timeout_ms(250))).unwrap_err();
    assert_eq!(err, Error::Timeout { after_ms: 250 });

    let signal = Signal::default();
    signal.abort();
    let err = block_on(db.query_json(&v(json!({"goals": {}})), &CallOptions::default().signal(signal))).unwrap_err();
    assert_eq!(err, Error::Aborted);
    assert_eq!(mock.sent().len(), 1, "an aborted call sends nothing");

    // A retry that would outlast the deadline is not waited for.
    mock.answer_retry_after(503, "5", "busy");
    let err = block_on(db.query_json(&v(json!({"goals": {}})), &CallOptions::default().timeout_ms(1000))).unwrap_err();
    assert_eq!(err.status(), 503);
    assert!(mock.slept().is_empty());
}

#[test]
fn per_call_headers_are_added_after_the_clients_own_and_never_replace_them() {
    let (db, mock) = db();
    mock.answer(200, r#"{"goals":[]}"#);
    let opts = CallOptions::default().header("x-proxy-key", "k1").header("X-Trace", " t ");
    block_on(db.query_with::<Value>(&v(json!({"goals": {}})), &opts)).unwrap();
    let sent = &mock.sent()[0];
    assert_eq!(sent.extra_headers, [("x-proxy-key".to_owned(), "k1".to_owned()), ("X-Trace".to_owned(), " t ".to_owned())]);
    assert_eq!(sent.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    assert!(!format!("{sent:?}").contains("k1"), "Debug hides header values: {sent:?}");

    for (name, value, says) in [
        ("Authorization", "Bearer other", "is set by the client"),
        ("as-email", "someone@example.com", "is set by the client"),
        ("content-length", "1", "is set by the client"),
        ("x bad", "1", "is not a header name"),
        ("x-ok", "a\r\nb: c", "line break"),
    ] {
        let error = block_on(db.query_with::<Value>(&v(json!({"goals": {}})), &CallOptions::default().header(name, value))).unwrap_err();
        assert!(matches!(error, Error::InvalidArgument { .. }), "{name}: {error:?}");
        assert!(error.message().contains(says), "{name}: {}", error.message());
    }
    assert_eq!(mock.sent().len(), 1, "a refused header sends nothing");
}
