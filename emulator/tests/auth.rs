//! Admin authentication and impersonation over HTTP (spec §1.4–§1.6, §10 items 1–4).
mod common;
use common::*;
use serde_json::json;

const QUERY: &str = r#"{"query":{"goals":{}}}"#;

#[tokio::test]
async fn missing_app_id_is_param_missing() {
    // spec §1.4
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json")], QUERY).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "app-id"]"#);
    assert_eq!(a.body["hint"], json!({"in": ["headers", "app-id"], "possible-ins": [["query-params", "app_id"]]}));
}

#[tokio::test]
async fn malformed_app_id_header_wins_over_valid_query_param() {
    // spec §1.4, §10 item 2
    let s = start().await;
    let path = format!("/admin/query?app_id={}", s.app_id);
    let a = s.post_raw(&path, &[("content-type", "application/json"), ("app-id", "nope")], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "app-id"]"#);
    assert_eq!(a.body["hint"]["original-input"], "nope");
}

#[tokio::test]
async fn app_id_from_query_param_with_trimmed_whitespace() {
    // spec §1.4: query param fallback, UUID coercion trims
    let s = start().await;
    let auth = format!("Bearer {}", s.token);
    let path = format!("/admin/query?app_id={}", s.app_id);
    let a = s.post_raw(&path, &[("content-type", "application/json"), ("authorization", &auth)], QUERY).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let padded = format!(" {} ", s.app_id);
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &padded), ("authorization", &auth)], QUERY).await;
    assert_eq!(a.body, json!({"goals": []}));
}

#[tokio::test]
async fn missing_authorization_is_param_missing() {
    // spec §1.5
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id)], QUERY).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    assert_eq!(a.body["hint"], json!({"in": ["headers", "authorization"]}));
}

#[tokio::test]
async fn non_uuid_token_is_param_malformed() {
    // spec §1.5
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("authorization", "Bearer xyz")], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "authorization"]"#);
    assert_eq!(a.body["hint"]["original-input"], "Bearer xyz");
}

#[tokio::test]
async fn wrong_token_or_unknown_app_is_record_not_found() {
    // spec §1.5, §10 item 1: 400, never 401
    let s = start().await;
    let wrong = uid(99);
    let auth = format!("Bearer {wrong}");
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("authorization", &auth)], QUERY).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    assert_eq!(a.body["hint"]["record-type"], "app-admin-token");
    assert_eq!(a.body["hint"]["args"], json!([{"app-id": s.app_id, "token": wrong}]));
    let real = format!("Bearer {}", s.token);
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &uid(5)), ("authorization", &real)], QUERY).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
}

#[tokio::test]
async fn bare_token_without_bearer_prefix_is_accepted() {
    // spec §1.5 step 2
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("authorization", &s.token)], QUERY).await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn missing_query_beats_bad_token() {
    // spec §3.1 order, §10 item 4
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("authorization", "Bearer xyz")], "{}").await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "query"]"#);
    let a = s.post_raw("/admin/transact", &[("content-type", "application/json"), ("app-id", &s.app_id)], r#"{"steps": 5}"#).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["body" "steps"]"#);
}

async fn user_token(s: &Server, email: &str) -> String {
    let a = s.admin("/admin/refresh_tokens", json!({"email": email})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["user"]["refresh_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn as_token_needs_no_admin_token_and_ignores_garbage_authorization() {
    // spec §1.6 row 1, §10 item 3
    let s = start().await;
    let token = user_token(&s, "a@x.com").await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("as-token", &token), ("authorization", "garbage")], r#"{"query":{"$users":{}}}"#).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["$users"][0]["email"], "a@x.com");
}

#[tokio::test]
async fn as_token_unknown_or_malformed() {
    // spec §1.6 row 1
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("as-token", &uid(7))], QUERY).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-user");
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("as-token", "x")], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["asUser" "token"]"#);
}

#[tokio::test]
async fn as_email_needs_admin_token_and_an_existing_user() {
    // spec §1.6 row 2 (the emulator follows the spec: As-Email never creates users)
    let s = start().await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("as-email", "a@x.com")], QUERY).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    let auth = format!("Bearer {}", s.token);
    let headers = [("content-type", "application/json"), ("app-id", s.app_id.as_str()), ("authorization", auth.as_str()), ("as-email", "a@x.com")];
    let a = s.post_raw("/admin/query", &headers, QUERY).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-user");
    user_token(&s, "a@x.com").await;
    let a = s.post_raw("/admin/query", &headers, r#"{"query":{"$users":{}}}"#).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["$users"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn as_guest_with_any_value_is_a_guest() {
    // spec §1.6 row 3: even `false`; no admin token needed; guests see no $users
    let s = start().await;
    user_token(&s, "a@x.com").await;
    s.transact(json!([["update", "goals", uid(1), {"title": "t"}]])).await;
    let a = s.post_raw("/admin/query", &[("content-type", "application/json"), ("app-id", &s.app_id), ("as-guest", "false")], r#"{"query":{"$users":{},"goals":{}}}"#).await;
    assert_eq!(a.body, json!({"$users": [], "goals": [{"id": uid(1), "title": "t"}]}));
}

#[tokio::test]
async fn precedence_token_over_email_over_guest() {
    // spec §1.6 precedence
    let s = start().await;
    let token = user_token(&s, "a@x.com").await;
    user_token(&s, "b@x.com").await;
    let auth = format!("Bearer {}", s.token);
    let headers = [("content-type", "application/json"), ("app-id", s.app_id.as_str()), ("authorization", auth.as_str()), ("as-token", token.as_str()), ("as-email", "b@x.com"), ("as-guest", "true")];
    let a = s.post_raw("/admin/query", &headers, r#"{"query":{"$users":{}}}"#).await;
    assert_eq!(a.body["$users"][0]["email"], "a@x.com");
    let a = s.post_raw("/admin/query", &headers[..3].iter().chain(&headers[4..]).copied().collect::<Vec<_>>(), r#"{"query":{"$users":{}}}"#).await;
    assert_eq!(a.body["$users"][0]["email"], "b@x.com");
}

#[tokio::test]
async fn impersonated_transact_on_system_namespace_is_denied() {
    // spec §6.5 system namespaces, §9.2 defaults
    let s = start().await;
    let a = s.post_raw("/admin/transact", &[("content-type", "application/json"), ("app-id", &s.app_id), ("as-guest", "true")], &json!({"steps": [["update", "$users", uid(3), {"email": "z@x.com"}]]}).to_string()).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for tx-step: $users is a system entity. You aren't allowed to create this directly.");
    let a = s.post_raw("/admin/transact", &[("content-type", "application/json"), ("app-id", &s.app_id), ("as-guest", "true")], &json!({"steps": [["update", "goals", uid(3), {"title": "ok"}]]}).to_string()).await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn refresh_tokens_finds_or_creates_users() {
    // spec §3.11, §7.1
    let s = start().await;
    let a = s.admin("/admin/refresh_tokens", json!({"email": " Joe@X.com "})).await;
    assert_eq!(a.body["created"], true);
    let user = &a.body["user"];
    assert_eq!(user["email"], "joe@x.com");
    assert_eq!(user["app_id"], s.app_id.as_str());
    assert_eq!(user["isGuest"], false);
    assert!(user["created_at"].as_str().is_some_and(|t| t.len() == 20 && t.ends_with('Z')));
    let again = s.admin("/admin/refresh_tokens", json!({"email": "joe@x.com"})).await;
    assert_eq!(again.body["created"], false);
    assert_eq!(again.body["user"]["id"], user["id"]);
    assert_ne!(again.body["user"]["refresh_token"], user["refresh_token"]);
    let a = s.admin("/admin/refresh_tokens", json!({})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for body: Please provide an `email` or `id`");
    let a = s.admin("/admin/refresh_tokens", json!({"id": uid(4), "extra-fields": {"nick": "n"}})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for extra-fields: Unknown field: nick. It must be defined in your $users schema.");
}
