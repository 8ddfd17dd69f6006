//! Live queries through the mock transport: the request, results in order, reconnecting after
//! drops, 503s and network errors with backoff from the server's `retry:`, no duplicate after a
//! reconnect, errors that end the subscription, and the `Subscription` stream (latest result for
//! a slow consumer, close, drop) (issue #7; spec §4). Native only.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{block_on, db, APP, TOKEN};

use std::task::{Context, Poll};

use instant_edge::host::mock::{MockTransport, StreamScript};
use instant_edge::host::{Canceller, HttpResponse, TransportError};
use instant_edge::live::{drive, Delivery};
use instant_edge::{request, Instant, Value};
use serde_json::json;

fn goals() -> Value {
    Value::object([("goals", Value::empty_object())])
}

const INIT: &str = "data:{\"op\":\"sse-init\",\"machine-id\":\"m\",\"session-id\":\"s1\",\"sse-token\":\"t\",\"trace-id\":null}\n\n";

fn ok(titles: &[&str]) -> String {
    let goals: Vec<_> = titles.iter().map(|t| json!({"id": t, "title": t})).collect();
    format!(
        "data:{}\n\n",
        json!({"op": "add-query-ok", "q": {"goals": {}}, "result": {"goals": goals}, "result-meta": {"page-info": {}, "aggregate": {}}, "trace-id": null})
    )
}

fn refresh(titles: &[&str]) -> String {
    let goals: Vec<_> = titles.iter().map(|t| json!({"id": t, "title": t})).collect();
    format!(
        "data:{}\n\n",
        json!({"op": "refresh-ok", "computations": [{"instaql-result": {"goals": goals}, "result-meta": {"page-info": {}}}], "attrs": [], "trace-id": null})
    )
}

fn whole(status: u16, body: &str) -> StreamScript {
    StreamScript::Whole(HttpResponse::text(status, body))
}

const UNAUTHORIZED: &str = r#"{"type":"unauthorized","message":"go away"}"#;

/// Runs a subscription to its end, collecting what it delivered.
fn deliveries(db: &Instant<MockTransport>) -> Vec<Delivery> {
    let request = request::subscribe(db.config(), None, &goals(), None, "c1").unwrap();
    let mut seen = Vec::new();
    block_on(drive(db.clone(), request, Canceller::new().signal(), |d| seen.push(d)));
    seen
}

fn titles(delivery: &Delivery) -> Vec<String> {
    match delivery {
        Delivery::Result(result) => result
            .data
            .get("goals")
            .and_then(|g| g.as_array())
            .unwrap()
            .iter()
            .map(|g| g.get("title").and_then(|t| t.as_str()).unwrap().to_owned())
            .collect(),
        Delivery::Failed(error) => vec![format!("error {}", error.status())],
    }
}

#[test]
fn the_request_is_the_official_clients() {
    let (db, _) = db();
    let sent = request::subscribe(db.config(), None, &goals(), Some(&Value::object([("k", "v".into())])), &instant_edge::id()).unwrap();
    assert!(sent.url.starts_with("http://127.0.0.1:8888/admin/subscribe-query?local_connection_id="));
    assert!(instant_edge::is_uuid(sent.url.rsplit('=').next().unwrap()));
    let body: serde_json::Value = serde_json::from_str(instant_edge::host::native::body_text(&sent).as_deref().unwrap()).unwrap();
    assert_eq!(body["query"], json!({"$$ruleParams": {"k": "v"}, "goals": {}}));
    assert_eq!(body["inference?"], json!(false));
    assert!(body["versions"]["@instantdb/admin"].as_str().unwrap().starts_with("instant-edge-v"));
    assert_eq!(sent.header("app-id"), Some(APP));
    assert!(request::subscribe(db.config(), None, &Value::from("goals"), None, "c1").is_err(), "a bad query fails before anything is sent");
}

#[test]
fn results_arrive_in_order_whatever_the_chunking() {
    let (db, mock) = db();
    let stream = format!("retry:500\n\n{INIT}{}{}{}", ok(&["a"]), refresh(&["a", "b"]), refresh(&["b"]));
    // Cut into 7-byte chunks: events split across reads, CRLF-free but mid-JSON.
    let chunks: Vec<String> = stream.as_bytes().chunks(7).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let chunks: Vec<&str> = chunks.iter().map(String::as_str).collect();
    mock.sse(&chunks, false).stream(whole(401, UNAUTHORIZED));
    let seen = deliveries(&db);
    let seen: Vec<Vec<String>> = seen.iter().map(titles).collect();
    assert_eq!(seen, [vec!["a"], vec!["a", "b"], vec!["b"], vec!["error 401"]]);
}

#[test]
fn drops_503s_and_network_errors_reconnect_with_backoff_and_no_duplicates() {
    let (db, mock) = db();
    mock.sse(&["retry:300\n\n", INIT, &ok(&["a"])], false) // dropped after one result
        .stream(whole(503, r#"{"type":"service-unavailable","message":"deploying"}"#))
        .stream(StreamScript::Fail(TransportError::Network("connection refused".into())))
        .sse(&[INIT, &ok(&["a"]), &refresh(&["a", "b"])], false) // same snapshot again: not repeated
        .stream(StreamScript::Body {
            chunks: vec![Ok(INIT.as_bytes().to_vec()), Err(TransportError::Network("reset".into()))],
            hang: false,
        })
        .sse(&[INIT, &ok(&["c"])], false) // changed while down: delivered
        .stream(whole(429, r#"{"type":"rate-limited","message":"slow down"}"#))
        .stream(whole(401, UNAUTHORIZED));
    let seen: Vec<Vec<String>> = deliveries(&db).iter().map(titles).collect();
    assert_eq!(seen, [vec!["a"], vec!["a", "b"], vec!["c"], vec!["error 401"]]);
    assert_eq!(mock.sent().len(), 8, "every reconnect re-sends the same request");
    let slept = mock.slept();
    // Equal jitter at 0.5 of 300 ms (the server's `retry:`) · 2^n; a result resets the backoff.
    assert_eq!(slept, [225, 450, 900, 225, 450, 225, 450], "{slept:?}");
}

#[test]
fn an_error_event_or_a_4xx_ends_the_subscription_with_a_typed_error() {
    let (db, mock) = db();
    let event = r#"{"op":"error","status":400,"type":"validation-failed","message":"Validation failed for query","hint":{"errors":[]},"trace-id":"t"}"#;
    mock.sse(&[INIT, &format!("data:{event}\n\n")], true);
    let seen = deliveries(&db);
    match &seen[..] {
        [Delivery::Failed(error)] => {
            assert_eq!((error.status(), error.error_type()), (400, Some("validation-failed")));
        }
        other => panic!("{other:?}"),
    }
    for status in [400, 401, 403, 404] {
        let (db, mock) = self::db();
        mock.stream(whole(status, r#"{"type":"x","message":"no"}"#));
        let seen = deliveries(&db);
        assert!(matches!(&seen[..], [Delivery::Failed(e)] if e.status() == status), "{status}: {seen:?}");
        assert!(mock.slept().is_empty(), "{status} is not retried");
    }
}

#[test]
fn the_admin_token_echoed_in_a_refusal_is_scrubbed() {
    let (db, mock) = db();
    mock.stream(whole(400, &format!(r#"{{"type":"record-not-found","message":"no","hint":{{"token":"{TOKEN}"}}}}"#)));
    match &deliveries(&db)[..] {
        [Delivery::Failed(error)] => assert!(!format!("{error:?}").contains(TOKEN)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_slow_subscriber_gets_the_latest_result_then_the_end() {
    let (db, mock) = db();
    mock.sse(&[INIT, &ok(&["a"]), &refresh(&["a", "b"]), &refresh(&["b"])], true);
    let mut subscription = db.subscribe_query(&goals()).unwrap();
    mock.run_tasks();
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut next = || std::pin::Pin::new(&mut subscription).poll_next_result(&mut cx);
    match next() {
        Poll::Ready(Some(Ok(result))) => {
            assert_eq!(serde_json::to_value(&result.data).unwrap(), json!({"goals": [{"id": "b", "title": "b"}]}))
        }
        other => panic!("{other:?}"),
    }
    assert!(next().is_pending(), "nothing new yet");
    assert_eq!(subscription.skipped(), 2, "two superseded results, counted");
    assert_eq!(mock.running_tasks(), 1);
    subscription.close();
    assert!(subscription.is_closed());
    mock.run_tasks();
    assert_eq!(mock.running_tasks(), 0, "closing stops the reader");
    assert!(matches!(std::pin::Pin::new(&mut subscription).poll_next_result(&mut cx), Poll::Ready(None)));
}

#[test]
fn dropping_the_subscription_stops_it_and_a_final_error_is_delivered() {
    let (db, mock) = db();
    mock.sse(&[INIT, &ok(&["a"])], true);
    let subscription = db.subscribe_query(&goals()).unwrap();
    mock.run_tasks();
    drop(subscription);
    mock.run_tasks();
    assert_eq!(mock.running_tasks(), 0);

    let (db, mock) = self::db();
    mock.sse(&[INIT, &ok(&["a"])], false).stream(whole(401, UNAUTHORIZED));
    let mut subscription = db.subscribe_query(&goals()).unwrap();
    mock.run_tasks();
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut next = || std::pin::Pin::new(&mut subscription).poll_next_result(&mut cx);
    assert!(matches!(next(), Poll::Ready(Some(Ok(_)))), "the result before the error");
    assert!(matches!(next(), Poll::Ready(Some(Err(e))) if e.status() == 401));
    assert!(matches!(next(), Poll::Ready(None)));
}

#[test]
fn ten_thousand_updates_are_each_delivered_once() {
    let (db, mock) = db();
    let mut chunks = vec![INIT.to_owned(), ok(&["0"])];
    chunks.extend((1..=10_000).map(|n| refresh(&[&n.to_string()])));
    let chunks: Vec<&str> = chunks.iter().map(String::as_str).collect();
    mock.sse(&chunks, false).stream(whole(401, UNAUTHORIZED));
    let request = request::subscribe(db.config(), None, &goals(), None, "c1").unwrap();
    let (mut count, mut last) = (0, String::new());
    block_on(drive(db.clone(), request, Canceller::new().signal(), |d| {
        count += 1;
        if let Delivery::Result(result) = d {
            last = serde_json::to_value(&result.data).unwrap()["goals"][0]["title"].as_str().unwrap().to_owned();
        }
    }));
    assert_eq!((count, last.as_str()), (10_002, "10000"), "every update once");
}
