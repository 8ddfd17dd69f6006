//! `POST /admin/refresh_tokens` basics (spec §3.11, §7.1, §7.2, §1.6 last bullet).
mod common;
use common::*;
use serde_json::{json, Value};

async fn refresh(s: &Server, body: Value) -> Answer {
    s.admin("/admin/refresh_tokens", body).await
}

fn is_v4_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|t| t.len() == 36 && t == t.to_lowercase() && uuid::Uuid::parse_str(t).is_ok_and(|u| u.get_version_num() == 4))
}

/// spec §7.1: `yyyy-MM-ddTHH:mm:ssZ`, second precision.
fn is_second_precision_utc(v: &Value) -> bool {
    let Some(t) = v.as_str() else { return false };
    let b = t.as_bytes();
    b.len() == 20
        && t.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == 'Z',
            _ => c.is_ascii_digit(),
        })
}

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn creates_a_user_by_email_with_the_user_record_shape() {
    // spec §3.11, §7.1: email trimmed + lower-cased; no `type` for refresh_tokens users; isGuest false
    let s = start().await;
    let a = refresh(&s, json!({"email": "  Joe@X.com "})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(keys(&a.body), ["created", "user"]);
    assert_eq!(a.body["created"], true);
    let user = &a.body["user"];
    assert_eq!(keys(user), ["app_id", "created_at", "email", "id", "isGuest", "refresh_token"]);
    assert_eq!(user["app_id"], s.app_id.as_str());
    assert_eq!(user["email"], "joe@x.com");
    assert_eq!(user["isGuest"], false);
    assert!(is_second_precision_utc(&user["created_at"]), "{}", user["created_at"]);
    assert!(is_v4_uuid(&user["id"]), "{}", user["id"]);
    assert!(is_v4_uuid(&user["refresh_token"]), "{}", user["refresh_token"]);
}

#[tokio::test]
async fn finds_the_existing_user_and_issues_a_new_token_every_call() {
    // spec §3.11: created false on a match; a new refresh token each call; all stay valid (§7.2)
    let s = start().await;
    let first = refresh(&s, json!({"email": "joe@x.com"})).await;
    let again = refresh(&s, json!({"email": "JOE@x.com"})).await;
    assert_eq!(again.body["created"], false);
    assert_eq!(again.body["user"]["id"], first.body["user"]["id"]);
    assert_eq!(again.body["user"]["created_at"], first.body["user"]["created_at"]);
    assert_ne!(again.body["user"]["refresh_token"], first.body["user"]["refresh_token"]);
    for a in [&first, &again] {
        let token = a.body["user"]["refresh_token"].as_str().expect("token");
        let r = s.query_as(&[("as-token", token)], json!({"$users": {}})).await;
        assert_eq!(r, json!({"$users": [{"id": first.body["user"]["id"], "email": "joe@x.com"}]}));
    }
}

#[tokio::test]
async fn creates_a_user_by_id_without_email() {
    // spec §3.11: id = supplied id; no email key when none was given (§7.1 "if any")
    let s = start().await;
    let a = refresh(&s, json!({"id": uid(4).to_uppercase()})).await;
    assert_eq!(a.body["created"], true, "{}", a.body);
    assert_eq!(a.body["user"]["id"], uid(4));
    assert!(a.body["user"].get("email").is_none(), "{}", a.body);
    let again = refresh(&s, json!({"id": uid(4)})).await;
    assert_eq!((again.body["created"].clone(), again.body["user"]["id"].clone()), (json!(false), json!(uid(4))));
    assert_eq!(s.query(json!({"$users": {}})).await, json!({"$users": [{"id": uid(4), "email": null}]}));
}

#[tokio::test]
async fn email_wins_over_id_and_a_new_user_gets_both() {
    // spec §3.11 lookup by email first; §7.2 absent → created with that email and that id
    let s = start().await;
    let a = refresh(&s, json!({"email": "a@x.com", "id": uid(8)})).await;
    assert_eq!(a.body["created"], true);
    assert_eq!((a.body["user"]["id"].clone(), a.body["user"]["email"].clone()), (json!(uid(8)), json!("a@x.com")));
    let b = refresh(&s, json!({"email": "a@x.com", "id": uid(9)})).await;
    assert_eq!(b.body["created"], false);
    assert_eq!(b.body["user"]["id"], uid(8));
    let c = refresh(&s, json!({"id": uid(8)})).await;
    assert_eq!((c.body["created"].clone(), c.body["user"]["email"].clone()), (json!(false), json!("a@x.com")));
}

#[tokio::test]
async fn neither_email_nor_id_is_a_validation_error() {
    // spec §3.11: exact message
    let s = start().await;
    let a = refresh(&s, json!({})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for body: Please provide an `email` or `id`");
}

#[tokio::test]
async fn invalid_email_or_id_is_param_malformed() {
    // spec §7.3 last bullet: invalid email → param-malformed ["body" "email"]; §3.11 id must be a UUID
    let s = start().await;
    let a = refresh(&s, json!({"email": "not an email"})).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["body" "email"]"#);
    let a = refresh(&s, json!({"id": "nope"})).await;
    assert_error_type(&a, 400, "param-malformed");
    assert_eq!(s.query(json!({"$users": {}})).await, json!({"$users": []}));
}

#[tokio::test]
async fn extra_fields_must_be_app_defined_users_attributes() {
    // spec §3.11: data-type extra-fields; unknown and system fields rejected on creation
    let s = start().await;
    let a = refresh(&s, json!({"id": uid(4), "extra-fields": {"nick": "n"}})).await;
    assert_error(
        &a,
        400,
        "validation-failed",
        "Validation failed for extra-fields: Unknown field: nick. It must be defined in your $users schema.",
    );
    assert_eq!(a.body["hint"]["data-type"], "extra-fields");
    let a = refresh(&s, json!({"email": "a@x.com", "extra-fields": {"email": "b@x.com"}})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for extra-fields: Cannot set system field: email");
    assert_eq!(s.query(json!({"$users": {}})).await, json!({"$users": []}), "nothing was created");
}

#[tokio::test]
async fn extra_fields_are_stored_on_creation_and_ignored_afterwards() {
    // spec §3.11, §7.1 custom attributes appear in the record
    let schema = json!({"entities": {"$users": {"attrs": {"nickname": attr("string", false, false, false)}}}});
    let s = start_with_schema(schema).await;
    let a = refresh(&s, json!({"email": "a@x.com", "extra-fields": {"nickname": "Al"}})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["user"]["nickname"], "Al");
    let b = refresh(&s, json!({"email": "a@x.com", "extra-fields": {"nickname": "Bo", "unknown": 1}})).await;
    assert_eq!((b.status, b.body["created"].clone()), (200, json!(false)), "{}", b.body);
    assert_eq!(b.body["user"]["nickname"], "Al");
    let users = s.query(json!({"$users": {}})).await;
    assert_eq!(users["$users"][0]["nickname"], "Al");
}

#[tokio::test]
async fn requires_the_admin_token_and_ignores_impersonation() {
    // spec §1.6 last bullet: refresh_tokens authenticates with the admin token only
    let s = start().await;
    let token = s.user_token("a@x.com").await;
    let body = json!({"email": "b@x.com"});
    let a = s.post_app("/admin/refresh_tokens", &[("as-token", &token)], &body).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    let a = s.post_app("/admin/refresh_tokens", &[("as-guest", "true")], &body).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    let wrong = format!("Bearer {}", uid(99));
    let a = s.post_app("/admin/refresh_tokens", &[("authorization", &wrong)], &body).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    let a = s.post_raw("/admin/refresh_tokens", &[JSON], &body.to_string()).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "app-id"]"#);
    // with the admin token, an impersonation header changes nothing
    let a = s.admin_with("/admin/refresh_tokens", &[("as-token", &token)], &body).await;
    assert_eq!((a.status, a.body["user"]["email"].clone()), (200, json!("b@x.com")), "{}", a.body);
}

#[tokio::test]
async fn created_users_are_queryable_as_entities() {
    // spec §7.1 last line / §5.8: query results use the entity shape (no app_id/created_at/isGuest)
    let s = start().await;
    let a = refresh(&s, json!({"email": "q@x.com"})).await;
    let id = a.body["user"]["id"].clone();
    assert_eq!(s.query(json!({"$users": {}})).await, json!({"$users": [{"id": id, "email": "q@x.com"}]}));
}
