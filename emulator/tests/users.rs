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

/// spec §3.13: the message of an exhausted magic-code bucket (sends and verify attempts alike).
const RATE_LIMITED: &str = "Too many verification codes requested for this email. Please try again later.";

const MINUTE_MS: u64 = 60 * 1000;
const HOUR_MS: u64 = 60 * MINUTE_MS;

async fn verify(s: &Server, email: &str, code: &str) -> Answer {
    s.admin("/admin/verify_magic_code", json!({"email": email, "code": code})).await
}

async fn send_code(s: &Server, email: &str) -> Answer {
    s.admin("/admin/send_magic_code", json!({"email": email})).await
}

/// `POST /__emulator/clock` (control surface); panics unless 200; returns the new now.
async fn advance_clock(s: &Server, ms: u64) -> i64 {
    let a = s.post_raw("/__emulator/clock", &[JSON], &json!({"advance-ms": ms}).to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["now-ms"].as_i64().expect("now-ms")
}

fn settings_path(app_id: &str) -> String {
    format!("/__emulator/apps/{app_id}/auth-settings")
}

/// `POST /__emulator/apps/{app}/auth-settings` with this body text.
async fn post_settings_raw(s: &Server, body: &str) -> Answer {
    s.post_raw(&settings_path(&s.app_id), &[JSON], body).await
}

/// `POST /__emulator/apps/{app}/auth-settings`; panics unless 200; returns the settings.
async fn set_settings(s: &Server, body: Value) -> Value {
    let a = post_settings_raw(s, &body.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

async fn get_settings(s: &Server) -> Answer {
    s.send(reqwest::Method::GET, &settings_path(&s.app_id), &[]).await
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
    assert_error(
        &get_user(&s, "").await,
        400,
        "validation-failed",
        "Validation failed for params: Please provide a user id, email, or refresh_token",
    );
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
    assert_error(
        &s.admin("/admin/sign_out", json!({"email": "nobody@example.com"})).await,
        400,
        "record-not-found",
        "Record not found: app-user",
    );
    assert_eq!(s.admin("/admin/sign_out", json!({"id": uid(99)})).await.body, json!({"ok": true}));
    assert_eq!(s.admin("/admin/sign_out", json!({"refresh_token": uid(98)})).await.body, json!({"ok": true}));
    assert_error(
        &s.admin("/admin/sign_out", json!({})).await,
        400,
        "validation-failed",
        "Validation failed for body: Please provide an `id`, `email`, or `refresh_token`",
    );
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
    assert_eq!(
        (user["email"].as_str(), user["type"].as_str(), user["isGuest"].as_bool()),
        (Some("dee@example.com"), Some("user"), Some(false))
    );
    let token = user["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(verify_token(&s, &token).await.body["user"]["email"], "dee@example.com");
    let reused = s.admin("/admin/verify_magic_code", json!({"email": "dee@example.com", "code": code})).await;
    assert_error(&reused, 400, "record-not-found", "Record not found: app-user-magic-code");
    let again = code_for(&s, "dee@example.com").await;
    let second = s.admin("/admin/verify_magic_code", json!({"email": "dee@example.com", "code": again})).await;
    assert_eq!(second.body["created"], false);
    let wrong =
        s.admin("/admin/verify_magic_code", json!({"email": "other@example.com", "code": code_for(&s, "dee@example.com").await})).await;
    assert_error_type(&wrong, 400, "record-not-found");
    assert_error_type(&s.admin("/admin/magic_code", json!({"email": "nope"})).await, 400, "param-malformed");
    assert_error_type(&s.admin("/admin/magic_code", json!({})).await, 400, "param-missing");
}

#[tokio::test]
async fn bad_extra_fields_do_not_spend_the_code() {
    // spec §7.3: extra-fields are validated before the code is consumed
    let s = start().await;
    let code = code_for(&s, "eve@example.com").await;
    let bad =
        s.admin("/admin/verify_magic_code", json!({"email": "eve@example.com", "code": code, "extra-fields": {"nickname": "e"}})).await;
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
    let upgraded =
        s.admin("/admin/verify_magic_code", json!({"email": "gil@example.com", "code": code, "refresh-token": guest_token})).await;
    assert_eq!(upgraded.status, 200, "{}", upgraded.body);
    assert_eq!(upgraded.body["user"]["id"], guest_id.as_str(), "the guest becomes the user");
    assert_eq!(upgraded.body["user"]["type"], "user");
    let unknown = s
        .admin(
            "/admin/verify_magic_code",
            json!({"email": "gil@example.com", "code": code_for(&s, "gil@example.com").await, "refresh-token": uid(5)}),
        )
        .await;
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

#[tokio::test]
async fn magic_code_expiry_follows_the_app_setting_and_the_clock_spec_7_3() {
    // spec §7.3: expiry = the app's magic_code_expiry_minutes; an expired code is deleted, then
    // record-expired, so a retry is record-not-found
    let s = start().await;
    set_settings(&s, json!({"magic-code-expiry-minutes": 10})).await;
    let (before, after) = (code_for(&s, "ida@example.com").await, code_for(&s, "ida@example.com").await);
    advance_clock(&s, 10 * MINUTE_MS - 5_000).await;
    let ok = verify(&s, "ida@example.com", &before).await;
    assert_eq!(ok.status, 200, "valid just before the expiry: {}", ok.body);
    advance_clock(&s, 10_000).await;
    assert_error(&verify(&s, "ida@example.com", &after).await, 400, "record-expired", "Record expired: app-user-magic-code");
    assert_error(&verify(&s, "ida@example.com", &after).await, 400, "record-not-found", "Record not found: app-user-magic-code");
    let fresh = code_for(&s, "ida@example.com").await;
    assert_eq!(verify(&s, "ida@example.com", &fresh).await.status, 200, "new codes count from the new now");
}

#[tokio::test]
async fn the_21st_send_in_an_hour_is_rate_limited_spec_3_13() {
    // spec §3.13: 20 sends per hour per (app, email); magic_code is not limited (§3.12); the
    // bucket refills an hour after it was created
    let s = start().await;
    for n in 1..=20 {
        assert_eq!(send_code(&s, "jo@example.com").await.status, 200, "send {n}");
    }
    assert_error(&send_code(&s, " Jo@Example.com ").await, 429, "rate-limited", RATE_LIMITED);
    let code = code_for(&s, "jo@example.com").await;
    assert_eq!(verify(&s, "jo@example.com", &code).await.status, 200, "magic_code and verify still work");
    assert_eq!(send_code(&s, "kim@example.com").await.status, 200, "the limit is per email");
    let outbox = s.send(reqwest::Method::GET, &format!("/__emulator/apps/{}/outbox", s.app_id), &[]).await;
    assert_eq!(outbox.body["messages"].as_array().map(Vec::len), Some(21), "a refused send sends nothing");
    advance_clock(&s, HOUR_MS).await;
    for n in 1..=20 {
        assert_eq!(send_code(&s, "jo@example.com").await.status, 200, "send {n} of the next hour");
    }
    assert_error(&send_code(&s, "jo@example.com").await, 429, "rate-limited", RATE_LIMITED);
}

#[tokio::test]
async fn verify_attempts_have_their_own_limit_per_email_spec_3_14() {
    // spec §3.14, §7.3: a separate "consume" bucket, spent by every attempt before the code check
    let s = start().await;
    let code = code_for(&s, "lu@example.com").await;
    for _ in 1..=20 {
        assert_error_type(&verify(&s, "lu@example.com", "000000").await, 400, "record-not-found");
    }
    assert_error(&verify(&s, "lu@example.com", &code).await, 429, "rate-limited", RATE_LIMITED);
    assert_eq!(send_code(&s, "lu@example.com").await.status, 200, "sends use another bucket");
    let other = code_for(&s, "max@example.com").await;
    assert_eq!(verify(&s, "max@example.com", &other).await.status, 200, "the limit is per email");
    advance_clock(&s, HOUR_MS).await;
    let later = verify(&s, "lu@example.com", &code).await;
    assert_eq!(later.status, 200, "the refused attempt did not spend the code: {}", later.body);
}

#[tokio::test]
async fn a_rate_limit_of_zero_turns_the_limit_off() {
    // emulator control surface: magic-code-rate-limit-per-hour 0 = no limit
    let s = start().await;
    set_settings(&s, json!({"magic-code-rate-limit-per-hour": 0})).await;
    for n in 1..=25 {
        assert_eq!(send_code(&s, "ned@example.com").await.status, 200, "send {n}");
        assert_error_type(&verify(&s, "ned@example.com", "000000").await, 400, "record-not-found");
    }
}

#[tokio::test]
async fn test_users_verify_with_their_static_code_spec_7_3() {
    // spec §7.3 (`consume-code!` / `matches-test-user?`): when no code matches, the test user's
    // 6-character static code still verifies, again and again
    let s = start().await;
    let settings = set_settings(&s, json!({"test-users": [{"email": " Tess@Example.com ", "code": "135790"}]})).await;
    assert_eq!(settings["test-users"], json!([{"email": "tess@example.com", "code": "135790"}]));
    let first = verify(&s, "tess@example.com", " 135790 ").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!((first.body["created"].as_bool(), first.body["user"]["type"].as_str()), (Some(true), Some("user")));
    let second = verify(&s, "TESS@example.com", "135790").await;
    assert_eq!(second.body["created"], false, "{}", second.body);
    assert_eq!(second.body["user"]["id"], first.body["user"]["id"]);
    assert_error(&verify(&s, "tess@example.com", "135791").await, 400, "record-not-found", "Record not found: app-user-magic-code");
    assert_error_type(&verify(&s, "other@example.com", "135790").await, 400, "record-not-found");
    let real = code_for(&s, "tess@example.com").await;
    assert_eq!(verify(&s, "tess@example.com", &real).await.status, 200, "real codes work too");
}

#[tokio::test]
async fn auth_settings_round_trip_reject_bad_bodies_and_reset() {
    // emulator control surface: GET/POST /__emulator/apps/{id}/auth-settings
    let s = start().await;
    let defaults = json!({"magic-code-expiry-minutes": 1440, "magic-code-rate-limit-per-hour": 20, "test-users": []});
    assert_eq!(get_settings(&s).await.body, defaults);
    let users = json!([{"email": "a@example.com", "code": "123456"}, {"email": "b@example.com", "code": "000000"}]);
    set_settings(&s, json!({"magic-code-expiry-minutes": 5, "test-users": users})).await;
    let changed = set_settings(&s, json!({"magic-code-rate-limit-per-hour": 3})).await;
    let expected = json!({"magic-code-expiry-minutes": 5, "magic-code-rate-limit-per-hour": 3, "test-users": users});
    assert_eq!(changed, expected, "unmentioned keys are kept");
    assert_eq!(get_settings(&s).await.body, expected);
    for bad in [
        json!({"magic-code-expiry-minutes": 0}),
        json!({"magic-code-expiry-minutes": "10"}),
        json!({"magic-code-rate-limit-per-hour": -1}),
        json!({"magic-code-rate-limit-per-hour": 1.5}),
        json!({"test-users": {"email": "a@example.com", "code": "123456"}}),
        json!({"test-users": [{"email": "not an email", "code": "123456"}]}),
        json!({"test-users": [{"email": "c@example.com"}]}),
        json!({"test-users": [{"email": "c@example.com", "code": "12345"}]}),
        json!({"test-users": [{"email": "c@example.com", "code": "111111"}, {"email": "C@example.com", "code": "222222"}]}),
        json!({"magic_code_expiry_minutes": 10}),
        json!({"magic-code-expiry-minutes": 9, "test-users": 1}),
        json!([]),
    ] {
        assert_error_type(&post_settings_raw(&s, &bad.to_string()).await, 400, "validation-failed");
    }
    assert_eq!(post_settings_raw(&s, "{nope").await.status, 400);
    assert_eq!(get_settings(&s).await.body, expected, "bad bodies change nothing");
    let other = s.new_app(None).await;
    assert_eq!(get_settings(&other).await.body, defaults, "settings are per app");
    assert_eq!(s.post_raw("/__emulator/reset", &[], "").await.status, 200);
    assert_eq!(get_settings(&s).await.body, defaults, "reset clears them");
}

#[tokio::test]
async fn auth_settings_of_an_unknown_app_answer_as_the_other_app_routes() {
    let s = start().await;
    let outbox = s.send(reqwest::Method::GET, &format!("/__emulator/apps/{}/outbox", uid(404)), &[]).await;
    let got = s.send(reqwest::Method::GET, &settings_path(&uid(404)), &[]).await;
    let posted = s.post_raw(&settings_path(&uid(404)), &[JSON], "{}").await;
    for a in [&got, &posted] {
        assert!((400..500).contains(&a.status), "{} {}", a.status, a.body);
        assert_error_type(a, outbox.status, outbox.body["type"].as_str().expect("type"));
    }
    let not_a_uuid = s.send(reqwest::Method::GET, &settings_path("nope"), &[]).await;
    assert!((400..500).contains(&not_a_uuid.status), "{} {}", not_a_uuid.status, not_a_uuid.body);
    assert_eq!(s.send(reqwest::Method::DELETE, &settings_path(&s.app_id), &[]).await.status, 404);
}

#[tokio::test]
async fn the_clock_moves_forward_and_dates_follow_it() {
    // emulator control surface: POST /__emulator/clock; user created_at (spec §1.9) uses it
    let s = start().await;
    let start_ms = advance_clock(&s, 0).await;
    let system_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_millis() as i64;
    assert!((start_ms - system_ms).abs() < 60_000, "{start_ms} vs {system_ms}");
    let later = advance_clock(&s, 400 * 24 * HOUR_MS).await;
    assert!(later >= start_ms + 400 * 24 * HOUR_MS as i64, "{later}");
    let created = s.admin("/admin/refresh_tokens", json!({"email": "old@example.com"})).await;
    let created_at = created.body["user"]["created_at"].as_str().expect("created_at").to_owned();
    let day = |ms: i64| instant_emulator::values::iso_seconds(ms)[..10].to_owned();
    assert!([day(later), day(later + 60_000)].contains(&created_at[..10].to_owned()), "{created_at} vs {later}");
    for bad in
        ["{}", r#"{"advance-ms": -1}"#, r#"{"advance-ms": "5"}"#, r#"{"advance-ms": 1.5}"#, r#"{"advance-ms": 18446744073709551615}"#, "[]"]
    {
        assert_error_type(&s.post_raw("/__emulator/clock", &[JSON], bad).await, 400, "validation-failed");
    }
    assert_eq!(s.post_raw("/__emulator/clock", &[JSON], "{nope").await.status, 400);
    assert_eq!(s.send(reqwest::Method::GET, "/__emulator/clock", &[]).await.status, 404);
}
