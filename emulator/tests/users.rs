//! Auth routes over HTTP (spec §3.8–§3.16, semantics §7): users, sign-out, magic codes,
//! guests, the runtime token check, and the test outbox.
mod common;
use common::*;
use serde_json::{json, Value};

async fn get_user(s: &Server, query: &str) -> Answer {
    let auth = s.bearer();
    let path = format!("/admin/users?app_id={}&{query}", s.app_id);
    s.send(reqwest::Method::GET, &path, &[("authorization", auth.as_str())]).await
}

async fn delete_user(s: &Server, query: &str) -> Answer {
    let auth = s.bearer();
    let path = format!("/admin/users?app_id={}&{query}", s.app_id);
    s.send(reqwest::Method::DELETE, &path, &[("authorization", auth.as_str())]).await
}

async fn verify_token(s: &Server, token: &str) -> Answer {
    let path = format!("/runtime/auth/verify_refresh_token?app_id={}", s.app_id);
    s.post_raw(&path, &[("content-type", "application/json")], &json!({"app-id": s.app_id, "refresh-token": token}).to_string()).await
}

async fn code_for(s: &Server, email: &str) -> String {
    let a = s.admin("/admin/magic_code", json!({"email": email})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["code"].as_str().expect("code").to_owned()
}

#[tokio::test]
async fn get_user_by_email_token_or_id_and_null_on_a_miss() {
    // spec §3.8
    let s = start().await;
    let token = s.user_token("alyssa@example.com").await;
    let by_email = get_user(&s, "email=Alyssa@Example.com").await;
    assert_eq!(by_email.status, 200, "{}", by_email.body);
    let user = &by_email.body["user"];
    assert_eq!(user["email"], "alyssa@example.com");
    assert_eq!(user["isGuest"], false);
    assert!(user.get("refresh_token").is_none(), "no token in get-user records");
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(get_user(&s, &format!("refresh_token={token}")).await.body["user"]["id"], id.as_str());
    assert_eq!(get_user(&s, &format!("id={id}")).await.body["user"]["id"], id.as_str());
    assert_eq!(get_user(&s, "email=nobody@example.com").await.body, json!({"user": null}));
    assert_error(&get_user(&s, "").await, 400, "validation-failed", "Validation failed for params: Please provide a user id, email, or refresh_token");
    assert_error_type(&get_user(&s, "email=not-an-email").await, 400, "param-malformed");
    assert_error_type(&get_user(&s, "id=12").await, 400, "param-malformed");
}

#[tokio::test]
async fn delete_user_returns_the_record_and_cascades_to_tokens() {
    // spec §3.9, §7.2: deleting the user deletes its refresh tokens
    let s = start().await;
    let token = s.user_token("ben@example.com").await;
    let deleted = delete_user(&s, "email=ben@example.com").await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body["deleted"]["email"], "ben@example.com");
    assert_eq!(get_user(&s, "email=ben@example.com").await.body, json!({"user": null}));
    assert_error(&verify_token(&s, &token).await, 400, "record-not-found", "Record not found: app-user");
    assert_eq!(s.query(json!({"$userRefreshTokens": {}})).await, json!({"$userRefreshTokens": []}));
    assert_eq!(delete_user(&s, "email=ben@example.com").await.body, json!({"deleted": null}));
}

#[tokio::test]
async fn sign_out_by_token_id_or_email() {
    // spec §3.10: id = all sessions (no error if unknown); email must exist; refresh_token = one session
    let s = start().await;
    let (one, two) = (s.user_token("cy@example.com").await, s.user_token("cy@example.com").await);
    assert_eq!(s.admin("/admin/sign_out", json!({"refresh_token": one})).await.body, json!({"ok": true}));
    assert_error_type(&verify_token(&s, &one).await, 400, "record-not-found");
    assert_eq!(verify_token(&s, &two).await.status, 200, "the other session lives");
    let three = s.user_token("cy@example.com").await;
    assert_eq!(s.admin("/admin/sign_out", json!({"email": "cy@example.com"})).await.status, 200);
    for token in [&two, &three] {
        assert_error_type(&verify_token(&s, token).await, 400, "record-not-found");
    }
    assert_error(&s.admin("/admin/sign_out", json!({"email": "nobody@example.com"})).await, 400, "record-not-found", "Record not found: app-user");
    assert_eq!(s.admin("/admin/sign_out", json!({"id": uid(99)})).await.body, json!({"ok": true}));
    assert_eq!(s.admin("/admin/sign_out", json!({"refresh_token": uid(98)})).await.body, json!({"ok": true}));
    assert_error(&s.admin("/admin/sign_out", json!({})).await, 400, "validation-failed",
        "Validation failed for body: Please provide an `id`, `email`, or `refresh_token`");
    let signed_out_user = get_user(&s, "email=cy@example.com").await;
    assert_eq!(signed_out_user.body["user"]["email"], "cy@example.com", "sign-out keeps the user");
}

#[tokio::test]
async fn magic_codes_are_six_digits_single_use_and_make_users() {
    // spec §3.12, §3.14, §7.3: digits 0–8; new user gets type "user", created true; reuse fails
    let s = start().await;
    let code = code_for(&s, "Dee@Example.com").await;
    assert!(code.len() == 6 && code.chars().all(|c| ('0'..='8').contains(&c)), "{code}");
    let verified = s.admin("/admin/verify_magic_code", json!({"email": "dee@example.com", "code": format!(" {code} ")})).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.body["created"], true);
    let user = &verified.body["user"];
    assert_eq!((user["email"].as_str(), user["type"].as_str(), user["isGuest"].as_bool()), (Some("dee@example.com"), Some("user"), Some(false)));
    let token = user["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(verify_token(&s, &token).await.body["user"]["email"], "dee@example.com");
    let reused = s.admin("/admin/verify_magic_code", json!({"email": "dee@example.com", "code": code})).await;
    assert_error(&reused, 400, "record-not-found", "Record not found: app-user-magic-code");
    let again = code_for(&s, "dee@example.com").await;
    let second = s.admin("/admin/verify_magic_code", json!({"email": "dee@example.com", "code": again})).await;
    assert_eq!(second.body["created"], false);
    let wrong = s.admin("/admin/verify_magic_code", json!({"email": "other@example.com", "code": code_for(&s, "dee@example.com").await})).await;
    assert_error_type(&wrong, 400, "record-not-found");
    assert_error_type(&s.admin("/admin/magic_code", json!({"email": "nope"})).await, 400, "param-malformed");
    assert_error_type(&s.admin("/admin/magic_code", json!({})).await, 400, "param-missing");
}

#[tokio::test]
async fn bad_extra_fields_do_not_spend_the_code() {
    // spec §7.3: extra-fields are validated before the code is consumed
    let s = start().await;
    let code = code_for(&s, "eve@example.com").await;
    let bad = s.admin("/admin/verify_magic_code", json!({"email": "eve@example.com", "code": code, "extra-fields": {"nickname": "e"}})).await;
    assert_error_contains(&bad, 400, "validation-failed", "Unknown field: nickname");
    let good = s.admin("/admin/verify_magic_code", json!({"email": "eve@example.com", "code": code})).await;
    assert_eq!(good.status, 200, "{}", good.body);
}

#[tokio::test]
async fn send_magic_code_lands_in_the_outbox() {
    // spec §3.13; the outbox is the emulator's own control route
    let s = start().await;
    let sent = s.admin("/admin/send_magic_code", json!({"email": "fay@example.com"})).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let outbox = s.send(reqwest::Method::GET, &format!("/__emulator/apps/{}/outbox", s.app_id), &[]).await;
    let messages = outbox.body["messages"].as_array().expect("messages").clone();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["email"], "fay@example.com");
    assert_eq!(messages[0]["code"], sent.body["code"]);
    code_for(&s, "fay@example.com").await;
    let outbox = s.send(reqwest::Method::GET, &format!("/__emulator/apps/{}/outbox", s.app_id), &[]).await;
    assert_eq!(outbox.body["messages"].as_array().map(Vec::len), Some(1), "magic_code sends nothing");
}

#[tokio::test]
async fn guests_and_upgrading_a_guest_by_magic_code() {
    // spec §3.15, §7.3, §7.4
    let s = start().await;
    let guest = s.admin("/admin/sign_in_guest", json!({})).await;
    assert_eq!(guest.status, 200, "{}", guest.body);
    let user: &Value = &guest.body["user"];
    assert!(guest.body.get("created").is_none());
    assert_eq!((user["type"].as_str(), user["isGuest"].as_bool()), (Some("guest"), Some(true)));
    assert!(user.get("email").is_none());
    let guest_id = user["id"].as_str().unwrap().to_owned();
    let guest_token = user["refresh_token"].as_str().unwrap().to_owned();
    let code = code_for(&s, "gil@example.com").await;
    let upgraded = s.admin("/admin/verify_magic_code", json!({"email": "gil@example.com", "code": code, "refresh-token": guest_token})).await;
    assert_eq!(upgraded.status, 200, "{}", upgraded.body);
    assert_eq!(upgraded.body["user"]["id"], guest_id.as_str(), "the guest becomes the user");
    assert_eq!(upgraded.body["user"]["type"], "user");
    let unknown = s.admin("/admin/verify_magic_code", json!({"email": "gil@example.com", "code": code_for(&s, "gil@example.com").await, "refresh-token": uid(5)})).await;
    assert_error_type(&unknown, 400, "record-not-found");
}

#[tokio::test]
async fn verify_refresh_token_needs_no_admin_token() {
    // spec §3.16
    let s = start().await;
    let token = s.user_token("hal@example.com").await;
    let a = verify_token(&s, &token).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["user"]["email"], "hal@example.com");
    assert_eq!(a.body["user"]["refresh_token"], token.as_str());
    assert_error(&verify_token(&s, &uid(4)).await, 400, "record-not-found", "Record not found: app-user");
    assert_error_type(&verify_token(&s, "garbage").await, 400, "param-malformed");
}

#[tokio::test]
async fn auth_routes_need_the_admin_token() {
    // spec §1.6: these routes use req->app-id-authed! and ignore impersonation
    let s = start().await;
    for path in ["/admin/sign_out", "/admin/magic_code", "/admin/send_magic_code", "/admin/verify_magic_code", "/admin/sign_in_guest"] {
        let a = s.post_app(path, &[("authorization", &format!("Bearer {}", uid(1)))], &json!({"email": "a@b.co"})).await;
        assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    }
}
