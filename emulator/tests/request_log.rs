//! The request log under `/__emulator/requests` (not part of Instant's API; documented in
//! README.md and `src/http/control.rs`): what reached the emulator, with the status it got.
mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// `GET /__emulator/requests` plus `query` (e.g. `?path-prefix=/admin`); panics unless 200.
async fn requests(s: &Server, query: &str) -> Vec<Value> {
    let a = s.send(Method::GET, &format!("/__emulator/requests{query}"), &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["requests"].as_array().cloned().expect("requests")
}

#[tokio::test]
async fn a_query_is_recorded_with_its_headers_and_status() {
    let s = start().await;
    s.admin_with("/admin/query?x=1", &[("x-proxy-key", "abc"), ("X-Trace", "t1")], &json!({"query": {}})).await;
    let log = requests(&s, "").await;
    assert_eq!(log.len(), 1, "{log:?}");
    let r = &log[0];
    assert_eq!(r["seq"], 1);
    assert_eq!((&r["method"], &r["path"], &r["query"]), (&json!("POST"), &json!("/admin/query"), &json!("x=1")));
    assert_eq!((&r["app-id"], &r["status"]), (&json!(s.app_id), &json!(200)));
    let headers = &r["headers"];
    assert_eq!(headers["x-proxy-key"], "abc");
    assert_eq!(headers["x-trace"], "t1", "names lower case");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["app-id"], s.app_id.as_str());
    let keys: Vec<&str> = r.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["seq", "method", "path", "query", "app-id", "headers", "status"]);
}

#[tokio::test]
async fn secrets_are_redacted_but_named() {
    let s = start().await;
    let a = s
        .admin_with(
            "/admin/query",
            &[("as-token", "user-refresh-token"), ("cookie", "c=1"), ("proxy-authorization", "Basic x")],
            &json!({"query": {}}),
        )
        .await;
    let log = requests(&s, "").await;
    let headers = &log[0]["headers"];
    for name in ["authorization", "as-token", "cookie", "proxy-authorization"] {
        assert_eq!(headers[name], "[redacted]", "{name}");
    }
    assert_eq!(log[0]["status"], a.status);
    assert!(!log[0].to_string().contains(&s.token), "the admin token is stored nowhere");
}

#[tokio::test]
async fn the_app_id_may_come_from_the_query_string() {
    let s = start().await;
    let a = s.send(Method::GET, &format!("/admin/schema?app_id={}", s.app_id), &[]).await;
    s.send(Method::GET, "/admin/schema", &[]).await;
    let log = requests(&s, "").await;
    assert_eq!((&log[0]["app-id"], &log[1]["app-id"]), (&json!(s.app_id), &Value::Null));
    assert_eq!(log[0]["status"], a.status);
}

#[tokio::test]
async fn faulted_requests_are_recorded_with_the_faults_status() {
    let s = start().await;
    let a = s.post_raw("/__emulator/faults", &[JSON], r#"{"path-prefix": "/admin/query", "status": 503, "count": 1}"#).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = s.admin("/admin/query", json!({"query": {}})).await;
    assert_eq!(a.status, 503);
    s.query(json!({})).await;
    let statuses: Vec<Value> = requests(&s, "").await.iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, [json!(503), json!(200)]);
}

#[tokio::test]
async fn the_control_surface_is_not_recorded() {
    let s = start().await;
    s.send(Method::GET, "/__emulator/health", &[]).await;
    s.send(Method::GET, "/__emulator/faults", &[]).await;
    s.send(Method::PUT, "/__emulator/bench/static", &[]).await;
    s.send(Method::POST, "/__emulator/bench/static", &[]).await;
    requests(&s, "").await;
    s.send(Method::GET, "/admin/nope", &[]).await;
    let log = requests(&s, "").await;
    let seen: Vec<(Value, Value)> = log.iter().map(|r| (r["path"].clone(), r["status"].clone())).collect();
    assert_eq!(seen, [(json!("/admin/nope"), json!(404))]);
}

#[tokio::test]
async fn cors_preflights_are_recorded() {
    let s = start().await;
    let preflight = [("origin", "http://localhost:3000"), ("access-control-request-method", "POST")];
    let a = s.send(Method::OPTIONS, "/admin/query", &preflight).await;
    assert_eq!(a.status, 200);
    let log = requests(&s, "").await;
    assert_eq!((&log[0]["method"], &log[0]["status"]), (&json!("OPTIONS"), &json!(200)));
}

#[tokio::test]
async fn filters_by_app_and_path_prefix() {
    let s = start().await;
    let other = s.new_app(None).await;
    s.query(json!({})).await;
    other.query(json!({})).await;
    s.transact(json!([])).await;
    let paths = |log: Vec<Value>| log.iter().map(|r| r["path"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>();
    assert_eq!(paths(requests(&s, &format!("?app-id={}", s.app_id)).await), ["/admin/query", "/admin/transact"]);
    assert_eq!(requests(&s, &format!("?app-id={}", other.app_id)).await.len(), 1);
    assert_eq!(requests(&s, "?path-prefix=/admin/q").await.len(), 2);
    let both = requests(&s, &format!("?app-id={}&path-prefix=/admin/t", s.app_id)).await;
    assert_eq!(paths(both), ["/admin/transact"]);
    assert!(requests(&s, "?path-prefix=/runtime").await.is_empty());
}

#[tokio::test]
async fn bad_filters_are_refused() {
    let s = start().await;
    for query in ["?app_id=x", "?path-prefix=admin", "?app-id=", "?colour=red"] {
        let a = s.send(Method::GET, &format!("/__emulator/requests{query}"), &[]).await;
        assert_error_type(&a, 400, "validation-failed");
    }
}

#[tokio::test]
async fn the_log_keeps_only_the_newest_256() {
    let s = start().await;
    for n in 0..260 {
        s.send(Method::GET, &format!("/r/{n}"), &[]).await;
    }
    let log = requests(&s, "").await;
    assert_eq!(log.len(), 256);
    assert_eq!((&log[0]["seq"], &log[0]["path"]), (&json!(5), &json!("/r/4")));
    assert_eq!((&log[255]["seq"], &log[255]["path"]), (&json!(260), &json!("/r/259")));
}

#[tokio::test]
async fn delete_and_reset_clear_the_log() {
    let s = start().await;
    s.query(json!({})).await;
    s.query(json!({})).await;
    let a = s.send(Method::DELETE, "/__emulator/requests", &[]).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"cleared": 2})));
    assert!(requests(&s, "").await.is_empty());
    s.query(json!({})).await;
    let log = requests(&s, "").await;
    assert_eq!(log[0]["seq"], 3, "seq keeps counting after a clear");
    s.post_raw("/__emulator/reset", &[], "").await;
    assert!(requests(&s, "").await.is_empty());
}
