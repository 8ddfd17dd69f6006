//! The Admin data API (`/admin/*`) called with an Instant user's token instead of the app's
//! admin token (platform §1.2 "Admin data API", §1.3 scopes), and the `{"rules": null}`
//! fidelity switch of `POST /superadmin/apps/:id/perms` (platform §3.8, §7 item 7).
mod common;
use common::*;
use instant_emulator::{Config, Fidelity};
use reqwest::Method;
use serde_json::{json, Value};

/// An app created through the Platform API by the holder of `pat`, with its own admin token.
async fn created_app(s: &Server, pat: &str) -> Server {
    let auth = format!("Bearer {pat}");
    let a = s.post_raw("/superadmin/apps", &[JSON, ("authorization", auth.as_str())], &json!({"title": "Mine"}).to_string()).await;
    let app = ok(a)["app"].clone();
    Server { app_id: app["id"].as_str().unwrap().to_owned(), token: app["admin-token"].as_str().unwrap().to_owned(), ..s.clone() }
}

/// The app's server with `token` in place of its admin token.
fn with_token(s: &Server, token: &str) -> Server {
    Server { token: token.to_owned(), ..s.clone() }
}

/// `method path` on the app with `Authorization: Bearer <token>` and an optional JSON body.
async fn call(s: &Server, method: Method, path: &str, body: Option<Value>) -> Answer {
    let auth = s.bearer();
    let mut request =
        s.http.request(method, format!("{}{path}", s.base)).header("app-id", s.app_id.as_str()).header("authorization", auth.as_str());
    if let Some(body) = body {
        request = request.header(JSON.0, JSON.1).body(body.to_string());
    }
    answer(request.send().await.expect("send")).await
}

fn steps() -> Value {
    json!([["update", "goals", uid(1), {"title": "x"}]])
}

fn missing_scope(answer: &Answer, scope: &str) {
    assert_error(answer, 400, "permission-denied", &format!("You are missing the {scope} scope"));
    assert_eq!(answer.body["hint"], json!({"required-scope": scope}));
}

#[tokio::test]
async fn the_creators_personal_token_is_an_admin_token() {
    // platform §1.2: PAT → user → must be the creator; unrestricted by scope (§1.3)
    let s = start().await;
    let (_, pat) = user(&s, "owner@example.com").await;
    let app = created_app(&s, &pat).await;
    let by_pat = with_token(&app, &pat);
    by_pat.transact(steps()).await;
    assert_eq!(by_pat.ids(json!({"goals": {}}), "goals").await, vec![uid(1)]);
    // reads, writes, users, storage and schema all take it
    ok(call(&by_pat, Method::GET, "/admin/schema", None).await);
    ok(call(&by_pat, Method::GET, "/admin/users?email=a@b.co", None).await);
    ok(call(&by_pat, Method::POST, "/admin/refresh_tokens", Some(json!({"email": "a@b.co"}))).await);
    ok(call(&by_pat, Method::GET, "/admin/storage/files", None).await);
    // impersonation by email reads the authorization header too
    let as_email = by_pat
        .post_app("/admin/query", &[("authorization", &by_pat.bearer()), ("as-email", "a@b.co")], &json!({"query": {"goals": {}}}))
        .await;
    ok(as_email);
    // the app's admin token still works
    app.transact(json!([["update", "goals", uid(2), {"title": "y"}]])).await;
}

#[tokio::test]
async fn collaborators_and_strangers_are_refused_as_record_not_found_app() {
    // platform §1.2: `get-by-id-and-creator!` → `Record not found: app`, roles do not count
    let s = start().await;
    let (_, owner) = user(&s, "owner@example.com").await;
    let app = created_app(&s, &owner).await;
    let (collaborator_id, collaborator) = user(&s, "collab@example.com").await;
    control(&s, &format!("/__emulator/platform/apps/{}/members", app.app_id), json!({"email": "collab@example.com", "role": "admin"}))
        .await;
    let a = with_token(&app, &collaborator).query_err(json!({"goals": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app");
    assert_eq!(
        a.body["hint"],
        json!({"args": [{"app-id": app.app_id, "user-id": collaborator_id}], "record-type": "app"}),
        "the lookup's params as args"
    );
    // an OAuth token of a collaborator, with the scope, is refused the same way
    let token = oauth(&s, "collab@example.com", "data-write", None).await;
    let a = with_token(&app, &token).transact_err(steps()).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app");
    // the owner's token on another app (the default one, which has no creator)
    let other = with_token(&s, &owner).query_err(json!({"goals": {}})).await;
    assert_error(&other, 400, "record-not-found", "Record not found: app");
    // a token of a creator on an app id that does not exist
    let missing = Server { app_id: uid(77), ..with_token(&app, &owner) }.query_err(json!({"goals": {}})).await;
    assert_error(&missing, 400, "record-not-found", "Record not found: app");
}

#[tokio::test]
async fn oauth_tokens_need_the_routes_scope() {
    // platform §1.3: reads data-read, writes data-write, storage storage-write/-read, schema
    // apps-read; `*-write` satisfies `*-read`
    let s = start().await;
    let (_, pat) = user(&s, "owner@example.com").await;
    let app = created_app(&s, &pat).await;
    let read = with_token(&app, &oauth(&s, "owner@example.com", "data-read", None).await);
    ok(read.admin("/admin/query", json!({"query": {"goals": {}}})).await);
    ok(call(&read, Method::GET, "/admin/users?email=a@b.co", None).await);
    missing_scope(&read.transact_err(steps()).await, "data-write");
    missing_scope(&read.admin("/admin/refresh_tokens", json!({"email": "a@b.co"})).await, "data-write");
    missing_scope(&read.admin("/admin/sign_in_guest", json!({})).await, "data-write");
    missing_scope(&read.admin("/admin/magic_code", json!({"email": "a@b.co"})).await, "data-write");
    missing_scope(&call(&read, Method::DELETE, "/admin/users?email=a@b.co", None).await, "data-write");
    missing_scope(&call(&read, Method::GET, "/admin/schema", None).await, "apps-read");
    missing_scope(&call(&read, Method::GET, "/admin/storage/files", None).await, "storage-write");
    missing_scope(&call(&read, Method::GET, "/admin/storage/signed-download-url?filename=a", None).await, "storage-read");

    let write = with_token(&app, &oauth(&s, "owner@example.com", "data-write", None).await);
    write.transact(steps()).await;
    assert_eq!(write.ids(json!({"goals": {}}), "goals").await, vec![uid(1)], "data-write satisfies data-read");
    ok(call(&write, Method::GET, "/admin/rooms/presence?room-type=chat&room-id=r", None).await);

    let storage = with_token(&app, &oauth(&s, "owner@example.com", "storage-write apps-read", None).await);
    ok(call(&storage, Method::GET, "/admin/storage/files", None).await);
    ok(call(&storage, Method::GET, "/admin/storage/signed-download-url?filename=a", None).await);
    ok(call(&storage, Method::GET, "/admin/schema", None).await);
    missing_scope(&storage.query_err(json!({"goals": {}})).await, "data-read");
    // the admin token needs no scope
    ok(call(&app, Method::GET, "/admin/schema", None).await);
}

#[tokio::test]
async fn unknown_and_expired_oauth_tokens() {
    // platform §1.3: unknown `pat_` → record-not-found oauth-access-token; expired →
    // record-expired with `expired_at`; unknown `per_` → record-not-found instant-user
    let s = start().await;
    let (_, pat) = user(&s, "owner@example.com").await;
    let app = created_app(&s, &pat).await;
    let a = with_token(&app, "pat_unknown").query_err(json!({"goals": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: oauth-access-token");
    assert_eq!(a.body["hint"], json!({"record-type": "oauth-access-token"}));
    let a = with_token(&app, &format!("per_{}", "ab".repeat(32))).query_err(json!({"goals": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: instant-user");
    assert_eq!(a.body["hint"], json!({"record-type": "instant-user"}));

    let token = oauth(&s, "owner@example.com", "data-read", Some(60)).await;
    ok(with_token(&app, &token).admin("/admin/query", json!({"query": {"goals": {}}})).await);
    control(&s, "/__emulator/clock", json!({"advance-ms": 61_000})).await;
    let a = with_token(&app, &token).query_err(json!({"goals": {}})).await;
    assert_error(&a, 400, "record-expired", "Record expired: oauth-access-token");
    let expired_at = a.body["hint"]["expired_at"].as_str().expect("expired_at");
    assert_eq!((expired_at.len(), expired_at.ends_with('Z')), (20, true), "{expired_at}");
    // an unknown UUID is still an unknown admin token (spec §1.5)
    let a = with_token(&app, &uid(5)).query_err(json!({"goals": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
}

#[tokio::test]
async fn a_legacy_uuid_pat_is_a_personal_token() {
    // platform §1.1: a bare UUID that is a legacy PAT, here one of --platform-token's, whose
    // user (dev@example.com) created the app
    let legacy = "0b5c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3";
    let s = start_with(Config { platform_tokens: vec![legacy.into()], ..Config::default() }).await;
    let app = created_app(&s, legacy).await;
    with_token(&app, legacy).transact(steps()).await;
    let a = with_token(&s, legacy).query_err(json!({"goals": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app");
}

/// `POST /superadmin/apps/:id/perms` with `code`.
async fn push_perms(s: &Server, code: &Value) -> Value {
    let auth = s.bearer();
    let path = format!("/superadmin/apps/{}/perms", s.app_id);
    ok(s.post_raw(&path, &[JSON, ("authorization", auth.as_str())], &json!({ "code": code }).to_string()).await)
}

#[tokio::test]
async fn identical_perms_answer_the_stored_rules_by_default() {
    let s = start().await;
    let code = json!({"goals": {"allow": {"view": "true"}}});
    assert_eq!(push_perms(&s, &code).await["rules"]["version"], 0);
    let again = push_perms(&s, &code).await;
    assert_eq!(again["rules"]["code"], code);
    assert_eq!(again["rules"]["version"], 0);
    assert_eq!(ok(s.send(Method::GET, "/__emulator/fidelity", &[]).await), json!({"identical-perms-null": false}));
}

#[tokio::test]
async fn the_fidelity_switch_answers_rules_null_for_identical_perms() {
    // platform §3.8, §7 item 7: the server's upsert returns no row for identical rules
    let config = Config { fidelity: Fidelity { identical_perms_null: true }, ..Config::default() };
    let s = start_with(config).await;
    let code = json!({"goals": {"allow": {"view": "true"}}});
    assert_eq!(push_perms(&s, &code).await["rules"]["version"], 0, "the first push stores");
    assert_eq!(push_perms(&s, &code).await, json!({"rules": null}));
    let changed = json!({"goals": {"allow": {"view": "false"}}});
    assert_eq!(push_perms(&s, &changed).await["rules"]["version"], 1, "a change still answers the row");
    assert_eq!(push_perms(&s, &changed).await, json!({"rules": null}));
    let auth = s.bearer();
    let stored = ok(s.send(Method::GET, &format!("/superadmin/apps/{}/perms", s.app_id), &[("authorization", auth.as_str())]).await);
    assert_eq!(stored, json!({"perms": changed}));
}

#[tokio::test]
async fn the_fidelity_switch_is_set_through_the_control_surface_until_a_reset() {
    let s = start().await;
    let code = json!({"goals": {"allow": {"view": "true"}}});
    push_perms(&s, &code).await;
    assert_eq!(control(&s, "/__emulator/fidelity", json!({"identical-perms-null": true})).await, json!({"identical-perms-null": true}));
    assert_eq!(push_perms(&s, &code).await, json!({"rules": null}));
    for bad in [json!({"identical-perms-null": "yes"}), json!({"nope": true}), json!([])] {
        let a = s.post_raw("/__emulator/fidelity", &[JSON], &bad.to_string()).await;
        assert_error_type(&a, 400, "validation-failed");
    }
    control(&s, "/__emulator/reset", json!({})).await;
    assert_eq!(ok(s.send(Method::GET, "/__emulator/fidelity", &[]).await), json!({"identical-perms-null": false}));
    push_perms(&s, &code).await;
    assert_eq!(push_perms(&s, &code).await["rules"]["version"], 0);
}
