//! The emulator's own control surface under `/__emulator/` (not part of Instant's API; documented in
//! README.md and `src/http/control.rs`). Schemas use platform §4.1 JSON.
mod common;
use common::*;
use instant_emulator::Config;
use reqwest::Method;
use serde_json::{json, Value};

async fn post(s: &Server, path: &str, body: &Value) -> Answer {
    s.post_raw(path, &[JSON], &body.to_string()).await
}

fn books_schema() -> Value {
    json!({"entities": {"books": {"attrs": {
        "isbn": attr("string", true, true, false),
        "pages": attr("number", true, false, false)
    }}}})
}

#[tokio::test]
async fn health_reports_the_default_app() {
    let s = start().await;
    let a = s.send(Method::GET, "/__emulator/health", &[]).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, json!({"ok": true, "app-id": s.app_id}));
}

#[tokio::test]
async fn config_fixes_the_default_credentials() {
    let (app, token) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let s = start_with(Config { app_id: Some(app), admin_token: Some(token), ..Config::default() }).await;
    assert_eq!((s.app_id.clone(), s.token.clone()), (app.to_string(), token.to_string()));
    assert_eq!(s.query(json!({})).await, json!({}));
}

#[tokio::test]
async fn create_app_with_given_credentials() {
    let s = start().await;
    let (app, token) = (uid(501), uid(502));
    let a = post(&s, "/__emulator/apps", &json!({"app-id": app, "admin-token": token})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, json!({"app-id": app, "admin-token": token}));
    let other = Server { app_id: app, token, ..s.clone() };
    other.transact(json!([["update", "goals", uid(1), {"t": 1}]])).await;
    assert_eq!(other.one("goals", &uid(1)).await, json!({"id": uid(1), "t": 1}));
    assert_eq!(s.query(json!({"goals": {}})).await, json!({"goals": []}), "the default app is untouched");
}

#[tokio::test]
async fn create_app_with_an_empty_body_gets_random_credentials() {
    let s = start().await;
    for body in ["", "{}"] {
        let a = s.post_raw("/__emulator/apps", &[JSON], body).await;
        assert_eq!(a.status, 200, "{}", a.body);
        for key in ["app-id", "admin-token"] {
            let id = a.body[key].as_str().expect(key);
            assert!(uuid::Uuid::parse_str(id).is_ok() && id.len() == 36 && id == id.to_lowercase(), "{key} {id}");
        }
        assert_ne!(a.body["app-id"], s.app_id.as_str());
    }
}

#[tokio::test]
async fn create_app_with_a_schema_applies_it() {
    // platform §4.1: unique → lookups allowed; typed → values checked
    let s = start().await;
    let app = s.new_app(Some(books_schema())).await;
    app.transact(json!([["update", "books", ["isbn", "1"], {"title": "A"}]])).await;
    let a = app.transact_err(json!([["update", "books", uid(2), {"pages": "many"}]])).await;
    assert_error_type(&a, 400, "validation-failed");
    let a = app.transact_err(json!([["update", "books", ["pages", 1], {}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "pages is not a unique attribute on books");
}

#[tokio::test]
async fn create_app_twice_with_the_same_id_fails() {
    let s = start().await;
    let a = post(&s, "/__emulator/apps", &json!({"app-id": s.app_id})).await;
    assert!((400..500).contains(&a.status), "{} {}", a.status, a.body);
    let a = post(&s, "/__emulator/apps", &json!({"app-id": "not-a-uuid"})).await;
    assert!((400..500).contains(&a.status), "{} {}", a.status, a.body);
}

#[tokio::test]
async fn set_schema_on_an_app() {
    let s = start().await;
    s.transact(json!([["update", "books", uid(1), {"isbn": "9"}]])).await;
    let a = post(&s, &format!("/__emulator/apps/{}/schema", s.app_id), &books_schema()).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"ok": true})));
    // the now-indexed `pages` is back-filled with null (spec §5.9), `isbn` became unique and typed
    assert_eq!(s.one("books", &uid(1)).await, json!({"id": uid(1), "isbn": "9", "pages": null}));
    s.transact(json!([["update", "books", ["isbn", "9"], {"pages": 10}]])).await;
    assert_eq!(s.one("books", &uid(1)).await["pages"], 10);
    let a = s.transact_err(json!([["update", "books", uid(2), {"isbn": 5}]])).await;
    assert_error_type(&a, 400, "validation-failed");
}

#[tokio::test]
async fn set_schema_on_an_unknown_app_or_bad_schema_fails() {
    let s = start().await;
    let a = post(&s, &format!("/__emulator/apps/{}/schema", uid(404)), &books_schema()).await;
    assert!((400..500).contains(&a.status), "{} {}", a.status, a.body);
    let a = s.post_raw(&format!("/__emulator/apps/{}/schema", s.app_id), &[JSON], "{nope").await;
    assert_eq!(a.status, 400);
}

#[tokio::test]
async fn reset_drops_apps_and_data_but_keeps_the_default_app_and_its_schema() {
    let s = start_with(Config { schema: Some(books_schema()), ..Config::default() }).await;
    let other = s.new_app(None).await;
    s.transact(json!([["update", "books", uid(1), {"isbn": "1"}]])).await;
    s.user_token("a@x.com").await;
    let a = s.post_raw("/__emulator/reset", &[], "").await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"ok": true})));
    assert_eq!(s.query(json!({"books": {}, "$users": {}})).await, json!({"books": [], "$users": []}));
    let a = other.admin("/admin/query", json!({"query": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    // the start-up schema survives: `isbn` is still unique
    s.transact(json!([["update", "books", ["isbn", "2"], {}]])).await;
    let a = s.transact_err(json!([["update", "books", uid(3), {"pages": "x"}]])).await;
    assert_error_type(&a, 400, "validation-failed");
}

#[tokio::test]
async fn control_routes_with_the_wrong_method_are_404() {
    let s = start().await;
    for (method, path) in [
        (Method::POST, "/__emulator/health"),
        (Method::GET, "/__emulator/reset"),
        (Method::GET, "/__emulator/apps"),
        (Method::GET, "/__emulator/nope"),
    ] {
        let a = s.send(method.clone(), path, &[]).await;
        assert_eq!(a.status, 404, "{method} {path}");
    }
}
