//! Error shapes, routing, body decoding, CORS and the control surface (spec §1.1, §1.2, §1.7, §2).
mod common;
use common::*;
use instant_emulator::Config;
use serde_json::json;

#[tokio::test]
async fn unknown_route_is_the_servers_404() {
    // spec §1.1: no `type`
    let s = start().await;
    let a = s.post_raw("/admin/nope", &[], "").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body, json!({"message": "Oops! We couldn't match this route."}));
    let get = s.http.get(format!("{}/admin/query", s.base)).send().await.expect("send");
    assert_eq!(get.status().as_u16(), 404);
}

#[tokio::test]
async fn malformed_json_is_plain_text() {
    // spec §1.2, §10 item 5
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id)], "{nope").await;
    assert_eq!(a.status, 400);
    assert!(a.content_type.starts_with("text/plain"), "{}", a.content_type);
    assert_eq!(a.text, "Malformed JSON in request body.");
}

#[tokio::test]
async fn non_json_content_type_reads_as_missing_params() {
    // spec §1.2
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "text/plain"), ("app-id", &s.app_id)], r#"{"query":{}}"#).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "query"]"#);
    let auth = format!("Bearer {}", s.token);
    let a = s.post_raw("/admin/query", &[("content-type", "application/vnd.api+json"), ("app-id", &s.app_id), ("authorization", &auth)], r#"{"query":{}}"#).await;
    assert_eq!(a.status, 200, "+json content types decode: {}", a.body);
}

#[tokio::test]
async fn query_must_be_an_object() {
    // spec §3.1
    let s = start().await;
    let a = s.admin("/admin/query", json!({"query": [1]})).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["body" "query"]"#);
}

#[tokio::test]
async fn success_is_200_json_with_charset() {
    // spec §1.1
    let s = start().await;
    let a = s.admin("/admin/query", json!({"query": {}})).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, "application/json; charset=utf-8");
    assert_eq!(a.body, json!({}));
}

#[tokio::test]
async fn oversized_body_is_413_payload_too_large() {
    // emulator choice (the real server has no limit): --max-body-bytes
    let s = start_with(Config { max_body_bytes: 1024, ..Config::default() }).await;
    let big = json!({"steps": [["update", "goals", uid(1), {"t": "x".repeat(4096)}]]}).to_string();
    let a = s.post_raw("/admin/transact", &[("content-type", "application/json"), ("app-id", &s.app_id)], &big).await;
    assert_eq!(a.status, 413);
    assert_eq!(a.body["type"], "payload-too-large");
}

#[tokio::test]
async fn cors_preflight_and_actual_requests() {
    // spec §1.7, §10 item 44
    let s = start().await;
    let pre = s
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/admin/query", s.base))
        .header("origin", "https://example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,app-id,authorization")
        .send()
        .await
        .expect("send");
    assert_eq!(pre.status().as_u16(), 200);
    let h = pre.headers().clone();
    assert_eq!(h["access-control-allow-origin"], "https://example.com");
    assert_eq!(h["access-control-allow-methods"], "DELETE, GET, POST, PUT");
    assert_eq!(h["access-control-allow-headers"], "App-Id, Authorization, Content-Type");
    assert!(h.get("access-control-allow-credentials").is_none());
    assert_eq!(pre.text().await.expect("text"), "preflight complete");
    let a = s.post_raw("/admin/query", &[("origin", "https://x.dev"), ("content-type", "application/json")], "{}").await;
    assert_eq!(a.status, 400);
    assert_eq!(a.headers["access-control-allow-origin"], "https://x.dev");
    let a = s.post_raw("/admin/query", &[("content-type", "application/json")], "{}").await;
    assert!(a.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn control_surface_creates_apps_and_resets() {
    // emulator control surface (not part of Instant's API)
    let s = start().await;
    let created = s.post_raw("/__emulator/apps", &[], r#"{"schema":{"entities":{"books":{"attrs":{"isbn":{"valueType":"string","required":false,"config":{"indexed":true,"unique":true}}}}}}}"#).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let app = created.body["app-id"].as_str().expect("app").to_owned();
    let token = format!("Bearer {}", created.body["admin-token"].as_str().expect("token"));
    let steps = json!({"steps": [["update", "books", ["isbn", "1"], {"title": "A"}]]}).to_string();
    let a = s.post_raw("/admin/transact", &[("content-type", "application/json"), ("app-id", &app), ("authorization", &token)], &steps).await;
    assert_eq!(a.status, 200, "lookup on the schema's unique attr: {}", a.body);
    s.transact(json!([["update", "goals", uid(1), {"title": "x"}]])).await;
    let reset = s.post_raw("/__emulator/reset", &[], "").await;
    assert_eq!(reset.body, json!({"ok": true}));
    assert_eq!(s.query(json!({"goals": {}})).await, json!({"goals": []}));
    let gone = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &app), ("authorization", &token)], r#"{"query":{}}"#).await;
    assert_error(&gone, 400, "record-not-found", "Record not found: app-admin-token");
    let health = s.http.get(format!("{}/__emulator/health", s.base)).send().await.expect("send");
    assert_eq!(health.json::<serde_json::Value>().await.expect("json")["app-id"], s.app_id.as_str());
}
