//! `db.auth()` through the mock transport: method, URL, headers and body of every auth call,
//! answers decoded, bad input sending nothing (issue #5; spec §3.8–§3.16). Native only.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{block_on, db, APP, TOKEN};

use instant_edge::auth::UserRef;
use instant_edge::host::mock::MockTransport;
use serde_json::json;

const USER: &str = "11111111-2222-4333-8444-555555555555";
const REFRESH: &str = "66666666-7777-4888-9999-aaaaaaaaaaaa";

fn user_json(token: Option<&str>) -> String {
    let mut user = json!({"app_id": APP, "id": USER, "email": "a@b.co", "isGuest": false, "created_at": "2026-11-23T08:00:00Z"});
    if let Some(token) = token {
        user["refresh_token"] = json!(token);
    }
    user.to_string()
}

fn body(mock: &MockTransport, n: usize) -> serde_json::Value {
    serde_json::from_str(instant_edge::host::native::body_text(&mock.sent()[n]).as_deref().unwrap_or("null")).unwrap()
}

#[test]
fn create_token_and_verify_token() {
    let (db, mock) = db();
    mock.answer(200, &format!(r#"{{"user":{},"created":true}}"#, user_json(Some(REFRESH))));
    mock.answer(200, &format!(r#"{{"user":{}}}"#, user_json(Some(REFRESH))));
    let token = block_on(db.auth().create_token(&UserRef::Email("a@b.co".into()))).unwrap();
    assert_eq!(token, REFRESH);
    let user = block_on(db.auth().verify_token(&token)).unwrap();
    assert_eq!(user.email.as_deref(), Some("a@b.co"));
    assert!(!format!("{user:?}").contains(REFRESH), "Debug hides the refresh token");
    let sent = mock.sent();
    assert_eq!(
        (sent[0].method, sent[0].url.as_str()),
        ("POST", format!("http://127.0.0.1:8888/admin/refresh_tokens?app_id={APP}").as_str())
    );
    assert_eq!(body(&mock, 0), json!({"email": "a@b.co"}));
    assert_eq!(sent[1].url, format!("http://127.0.0.1:8888/runtime/auth/verify_refresh_token?app_id={APP}"));
    assert_eq!(sent[1].header("authorization"), None, "verify sends no admin token, as the official client");
    assert_eq!(sent[1].header("app-id"), None);
    assert_eq!(body(&mock, 1), json!({"app-id": APP, "refresh-token": REFRESH}));
}

#[test]
fn users_get_and_delete_put_the_lookup_in_the_query_string() {
    let (db, mock) = db();
    mock.answer(200, r#"{"user":null}"#).answer(200, &format!(r#"{{"deleted":{}}}"#, user_json(None)));
    assert_eq!(block_on(db.auth().get_user(&UserRef::Email("Odd+Name@Example.com".into()))).unwrap(), None);
    let deleted = block_on(db.auth().delete_user(&UserRef::Id(USER.into()))).unwrap();
    assert_eq!(deleted.map(|u| u.id).as_deref(), Some(USER));
    let sent = mock.sent();
    assert_eq!((sent[0].method, instant_edge::host::native::body_text(&sent[0]).as_deref()), ("GET", None));
    assert_eq!(sent[0].url, format!("http://127.0.0.1:8888/admin/users?app_id={APP}&email=Odd%2BName%40Example.com"));
    assert_eq!(sent[1].method, "DELETE");
    assert_eq!(sent[1].url, format!("http://127.0.0.1:8888/admin/users?app_id={APP}&id={USER}"));
    assert_eq!(sent[1].header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
}

#[test]
fn sign_out_magic_codes_and_guests() {
    let (db, mock) = db();
    mock.answer(200, r#"{"ok":true}"#)
        .answer(200, r#"{"code":"123456"}"#)
        .answer(200, r#"{"code":"654321"}"#)
        .answer(200, &format!(r#"{{"user":{},"created":true}}"#, user_json(Some(REFRESH))))
        .answer(200, &format!(r#"{{"user":{}}}"#, user_json(Some(REFRESH))));
    block_on(db.auth().sign_out(&UserRef::RefreshToken(REFRESH.into()))).unwrap();
    assert_eq!(block_on(db.auth().generate_magic_code("a@b.co")).unwrap(), "123456");
    assert_eq!(block_on(db.auth().send_magic_code("a@b.co")).unwrap(), "654321");
    let extra = instant_edge::Value::object([("nickname", "al".into())]);
    let (user, created) = block_on(db.auth().check_magic_code("a@b.co", "123456", Some(&extra))).unwrap();
    assert!(created);
    assert_eq!(user.refresh_token.as_deref(), Some(REFRESH));
    block_on(db.auth().sign_in_guest()).unwrap();
    let routes: Vec<String> =
        mock.sent().iter().map(|r| r.url.split('?').next().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned()).collect();
    assert_eq!(routes, ["sign_out", "magic_code", "send_magic_code", "verify_magic_code", "sign_in_guest"]);
    assert_eq!(body(&mock, 0), json!({"refresh_token": REFRESH}));
    assert_eq!(body(&mock, 3), json!({"email": "a@b.co", "code": "123456", "extra-fields": {"nickname": "al"}}));
    assert_eq!(body(&mock, 4), json!({}));
}

#[test]
fn user_from_cookie_reads_safely_and_verifies() {
    let (db, mock) = db();
    mock.answer(200, &format!(r#"{{"user":{}}}"#, user_json(Some(REFRESH))));
    let value = format!("%7B%22id%22%3A%22{USER}%22%2C%22refresh_token%22%3A%22{REFRESH}%22%7D");
    let header = format!("a=b; instant_user_{APP}={value}");
    let user = block_on(db.auth().user_from_cookie(&header, true)).unwrap().unwrap();
    assert_eq!(user.get("email").and_then(instant_edge::Value::as_str), Some("a@b.co"));
    assert_eq!(mock.sent().len(), 1);
    for bad in ["", "instant_user_x=1", &format!("instant_user_{APP}=%7B"), &format!("instant_user_{APP}=%7B%7D")] {
        assert_eq!(block_on(db.auth().user_from_cookie(bad, true)).unwrap(), None, "{bad}");
    }
    assert_eq!(mock.sent().len(), 1, "no cookie, no request");
}

#[test]
fn bad_auth_input_sends_nothing_and_never_shows_tokens() {
    let (db, mock) = db();
    let secret = "not-a-uuid-secret";
    let errors = [
        block_on(db.auth().create_token(&UserRef::Email("nope".into()))).unwrap_err(),
        block_on(db.auth().create_token(&UserRef::RefreshToken(REFRESH.into()))).unwrap_err(),
        block_on(db.auth().verify_token(secret)).unwrap_err(),
        block_on(db.auth().get_user(&UserRef::Id("12".into()))).unwrap_err(),
        block_on(db.auth().sign_out(&UserRef::RefreshToken(secret.into()))).unwrap_err(),
        block_on(db.auth().check_magic_code("a@b.co", "  ", None)).unwrap_err(),
        block_on(db.auth().generate_magic_code("a b@c.d")).unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.kind(), "invalid-argument", "{err}");
        assert!(!err.to_string().contains(secret), "{err}");
    }
    assert!(mock.sent().is_empty());
}

#[test]
fn list_users_pages_by_email_with_a_cursor_built_here() {
    let (db, mock) = db();
    let row = |id: &str, email: Option<&str>| match email {
        Some(email) => json!({"id": id, "email": email}),
        None => json!({"id": id, "type": "guest"}),
    };
    let guest = "22222222-2222-4333-8444-555555555555";
    let third = "33333333-2222-4333-8444-555555555555";
    mock.answer(200, &json!({"$users": [row(guest, None), row(USER, Some("a@b.co")), row(third, Some("c@d.co"))]}).to_string());
    mock.answer(200, &json!({"$users": [row(third, Some("c@d.co"))]}).to_string());
    let first = block_on(db.auth().list_users(2, None)).unwrap();
    assert_eq!(first.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), [guest, USER]);
    assert!(first.users[0].is_guest && !first.users[1].is_guest);
    assert!(first.has_next_page, "the extra row means another page");
    let cursor = first.end_cursor.clone().unwrap();
    let second = block_on(db.auth().list_users(2, Some(&cursor))).unwrap();
    assert_eq!((second.users.len(), second.has_next_page), (1, false));
    assert_eq!(body(&mock, 0)["query"], json!({"$users": {"$": {"order": {"email": "asc"}, "limit": 3}}}));
    assert_eq!(
        body(&mock, 1)["query"]["$users"]["$"]["after"],
        json!([USER, "96653230-13ff-ffff-a4b4-46010bffffff", "a@b.co"]),
        "a cursor on $users.email, whose system attribute id is the same on every server"
    );
    assert_eq!(mock.sent()[0].url, format!("http://127.0.0.1:8888/admin/query?app_id={APP}"));
    for (limit, after) in [(0, None), (1001, None), (10, Some("u1.not-a-uuid.")), (10, Some(USER))] {
        let error = block_on(db.auth().list_users(limit, after)).unwrap_err();
        assert_eq!(error.kind(), "invalid-argument", "{limit} {after:?}");
    }
    assert_eq!(mock.sent().len(), 2, "bad input sends nothing");
    // A guest cursor has an empty email, read back as null.
    mock.answer(200, r#"{"$users":[]}"#);
    let empty = block_on(db.auth().list_users(5, Some(&format!("u1.{guest}.")))).unwrap();
    assert_eq!((empty.users.len(), empty.end_cursor, empty.has_next_page), (0, None, false));
    assert_eq!(body(&mock, 2)["query"]["$users"]["$"]["after"][2], json!(null));
}

#[test]
fn refresh_tokens_echoed_by_the_server_are_scrubbed() {
    let (db, mock) = db();
    let echo = format!(r#"{{"type":"record-not-found","message":"Record not found: {REFRESH}","hint":{{"args":["{REFRESH}"]}}}}"#);
    mock.answer(400, &echo).answer(400, &echo).answer(400, &echo);
    let errors = [
        block_on(db.auth().verify_token(REFRESH)).unwrap_err(),
        block_on(db.auth().get_user(&UserRef::RefreshToken(REFRESH.into()))).unwrap_err(),
        block_on(db.auth().sign_out(&UserRef::RefreshToken(REFRESH.into()))).unwrap_err(),
    ];
    for error in errors {
        let shown = format!("{error:?} {error}");
        assert!(!shown.contains(REFRESH) && shown.contains("***"), "{shown}");
    }
    for request in mock.sent() {
        assert!(!format!("{request:?}").contains(REFRESH), "Debug of the request hides the token");
    }
}
