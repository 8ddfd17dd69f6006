//! App id, admin token and impersonation over HTTP (spec §1.4–§1.6, §3.1/§3.2 check order,
//! §10 items 1–4).
mod common;
use common::*;
use serde_json::json;

const QUERY: &str = r#"{"query":{"goals":{}}}"#;
const USERS_QUERY: &str = r#"{"query":{"$users":{}}}"#;

// ---------------------------------------------------------------- §1.4 app id

#[tokio::test]
async fn missing_app_id_everywhere_is_param_missing_with_possible_ins() {
    // spec §1.4: missing in header and query → 400 param-missing, exact message and hint
    let s = start().await;
    for path in ["/admin/query", "/admin/transact"] {
        let auth = s.bearer();
        let a = s.post_raw(path, &[JSON, ("authorization", &auth)], QUERY).await;
        assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "app-id"]"#);
        assert_eq!(a.body["hint"], json!({"in": ["headers", "app-id"], "possible-ins": [["query-params", "app_id"]]}));
    }
}

#[tokio::test]
async fn malformed_app_id_header_is_param_malformed_with_original_input() {
    // spec §1.4: malformed header → param-malformed, hint echoes the raw value
    let s = start().await;
    let a = s.post_raw("/admin/query", &[JSON, ("app-id", "nope")], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "app-id"]"#);
    assert_eq!(a.body["hint"]["in"], json!(["headers", "app-id"]));
    assert_eq!(a.body["hint"]["original-input"], "nope");
}

#[tokio::test]
async fn malformed_app_id_header_wins_over_a_valid_query_param() {
    // spec §1.4, §10 item 2: the first present source must parse, even if the query param is valid
    let s = start().await;
    let auth = s.bearer();
    let path = format!("/admin/query?app_id={}", s.app_id);
    let a = s.post_raw(&path, &[JSON, ("app-id", "nope"), ("authorization", &auth)], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "app-id"]"#);
}

#[tokio::test]
async fn malformed_app_id_query_param_is_param_malformed() {
    // spec §1.4: `Malformed parameter: ["query-params" "app_id"]`
    let s = start().await;
    let auth = s.bearer();
    let a = s.post_raw("/admin/query?app_id=xyz", &[JSON, ("authorization", &auth)], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["query-params" "app_id"]"#);
    assert_eq!(a.body["hint"]["original-input"], "xyz");
}

#[tokio::test]
async fn app_id_query_param_is_the_fallback() {
    // spec §1.4: header first, then `?app_id=`
    let s = start().await;
    let auth = s.bearer();
    let path = format!("/admin/query?app_id={}", s.app_id);
    let a = s.post_raw(&path, &[JSON, ("authorization", &auth)], QUERY).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"goals": []})));
    let path = format!("/admin/transact?app_id={}", s.app_id);
    let a = s.post_raw(&path, &[JSON, ("authorization", &auth)], r#"{"steps":[]}"#).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn app_id_is_trimmed_and_case_insensitive_but_must_be_36_chars() {
    // spec §1.4 UUID coercion: trim, exactly 36 chars, case-insensitive
    let s = start().await;
    let auth = s.bearer();
    for raw in [format!("  {} ", s.app_id), s.app_id.to_uppercase()] {
        let a = s.post_raw("/admin/query", &[JSON, ("app-id", &raw), ("authorization", &auth)], QUERY).await;
        assert_eq!((a.status, a.body.clone()), (200, json!({"goals": []})), "app-id {raw:?}");
    }
    let simple = s.app_id.replace('-', "");
    let a = s.post_raw("/admin/query", &[JSON, ("app-id", &simple), ("authorization", &auth)], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "app-id"]"#);
}

// ---------------------------------------------------------------- §1.5 admin token

#[tokio::test]
async fn missing_authorization_is_param_missing() {
    // spec §1.5 table row 1, §10 item 1
    let s = start().await;
    for (path, body) in [("/admin/query", QUERY), ("/admin/transact", r#"{"steps":[]}"#)] {
        let a = s.post_raw(path, &[JSON, ("app-id", &s.app_id)], body).await;
        assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
        assert_eq!(a.body["hint"], json!({"in": ["headers", "authorization"]}));
    }
}

#[tokio::test]
async fn non_uuid_token_is_param_malformed_echoing_the_header() {
    // spec §1.5 table row 2
    let s = start().await;
    let a = s.post_raw("/admin/query", &[JSON, ("app-id", &s.app_id), ("authorization", "Bearer xyz")], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "authorization"]"#);
    assert_eq!(a.body["hint"]["in"], json!(["headers", "authorization"]));
    assert_eq!(a.body["hint"]["original-input"], "Bearer xyz");
}

#[tokio::test]
async fn empty_authorization_counts_as_present() {
    // spec §1.5 step 1: even an empty string is present → then malformed, not missing
    let s = start().await;
    let a = s.post_raw("/admin/query", &[JSON, ("app-id", &s.app_id), ("authorization", "")], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "authorization"]"#);
    assert_eq!(a.body["hint"]["original-input"], "");
}

#[tokio::test]
async fn bearer_prefix_is_optional_case_sensitive_and_the_token_is_trimmed() {
    // spec §1.5 step 2: split on literal `Bearer `, last piece trimmed
    let s = start().await;
    for auth in [s.token.clone(), format!("Bearer   {}  ", s.token), format!("Bearer {}", s.token.to_uppercase())] {
        let a = s.post_raw("/admin/query", &[JSON, ("app-id", &s.app_id), ("authorization", &auth)], QUERY).await;
        assert_eq!(a.status, 200, "authorization {auth:?}: {}", a.body);
    }
    let lower = format!("bearer {}", s.token);
    let a = s.post_raw("/admin/query", &[JSON, ("app-id", &s.app_id), ("authorization", &lower)], QUERY).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "authorization"]"#);
}

#[tokio::test]
async fn wrong_token_is_record_not_found_with_the_full_hint() {
    // spec §1.5 table row 3, §10 item 1: 400 (never 401), hint echoes app id and token
    let s = start().await;
    let wrong = uid(99);
    let auth = format!("Bearer {wrong}");
    let a = s.post_raw("/admin/query", &[JSON, ("app-id", &s.app_id), ("authorization", &auth)], QUERY).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    assert_eq!(
        a.body["hint"],
        json!({"args": [{"app-id": s.app_id, "token": wrong}],
               "message": "This admin token may be expired or invalid. Or you may have provided an incorrect app ID.",
               "record-type": "app-admin-token"})
    );
}

#[tokio::test]
async fn valid_token_for_another_app_or_unknown_app_is_record_not_found() {
    // spec §1.5 row 3: token must belong to the app named by app-id
    let s = start().await;
    let other = s.new_app(None).await;
    let auth = other.bearer();
    let a = s.post_raw("/admin/transact", &[JSON, ("app-id", &s.app_id), ("authorization", &auth)], r#"{"steps":[]}"#).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    let auth = s.bearer();
    let a = s.post_raw("/admin/query", &[JSON, ("app-id", &uid(5)), ("authorization", &auth)], QUERY).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    assert_eq!(a.body["hint"]["args"], json!([{"app-id": uid(5), "token": s.token}]));
}

#[tokio::test]
async fn apps_are_isolated() {
    // spec §1.5: each app has its own token and data
    let s = start().await;
    let other = s.new_app(None).await;
    s.transact(json!([["update", "goals", uid(1), {"title": "mine"}]])).await;
    assert_eq!(other.query(json!({"goals": {}})).await, json!({"goals": []}));
    assert_eq!(s.query(json!({"goals": {}})).await, json!({"goals": [{"id": uid(1), "title": "mine"}]}));
}

// ---------------------------------------------------------------- §3.1/§3.2 check order

#[tokio::test]
async fn app_id_is_checked_before_body_params() {
    // spec §3.1 order: app id (rate-limit wrapper) → query
    let s = start().await;
    let a = s.post_raw("/admin/query", &[JSON], "{}").await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "app-id"]"#);
}

#[tokio::test]
async fn missing_query_beats_missing_or_bad_token() {
    // spec §3.1 order, §10 item 4
    let s = start().await;
    for auth in [None, Some("Bearer xyz"), Some("Bearer 00000000-0000-4000-8000-000000000099")] {
        let mut headers = vec![JSON, ("app-id", s.app_id.as_str())];
        headers.extend(auth.map(|a| ("authorization", a)));
        let a = s.post_raw("/admin/query", &headers, "{}").await;
        assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "query"]"#);
        assert_eq!(a.body["hint"]["in"], json!(["body", "query"]));
        let a = s.post_raw("/admin/query", &headers, r#"{"query": "goals"}"#).await;
        assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["body" "query"]"#);
    }
}

#[tokio::test]
async fn missing_or_malformed_steps_beat_missing_token() {
    // spec §3.2 order: app id → steps → … → auth
    let s = start().await;
    let a = s.post_raw("/admin/transact", &[JSON, ("app-id", &s.app_id)], "{}").await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "steps"]"#);
    let a = s.post_raw("/admin/transact", &[JSON, ("app-id", &s.app_id), ("authorization", "Bearer xyz")], r#"{"steps": 5}"#).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["body" "steps"]"#);
}

#[tokio::test]
async fn auth_is_checked_before_query_and_step_validation() {
    // spec §3.1/§3.2 order: auth → validation
    let s = start().await;
    let auth = format!("Bearer {}", uid(99));
    let headers = [JSON, ("app-id", s.app_id.as_str()), ("authorization", auth.as_str())];
    let a = s.post_raw("/admin/query", &headers, r#"{"query": {"goals": 5}}"#).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    let a = s.post_raw("/admin/transact", &headers, r#"{"steps": [["update", "goals", "abc", {}]]}"#).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
}

// ---------------------------------------------------------------- §1.6 impersonation

#[tokio::test]
async fn as_token_needs_no_admin_token_and_never_reads_authorization() {
    // spec §1.6 row 1, §10 item 3
    let s = start().await;
    let token = s.user_token("a@x.com").await;
    let a = s.post_app("/admin/query", &[("as-token", &token)], &json!({"query": {"goals": {}}})).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"goals": []})));
    let a = s.post_app("/admin/query", &[("as-token", &token), ("authorization", "garbage")], &json!({"query": {"goals": {}}})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = s
        .post_app(
            "/admin/transact",
            &[("as-token", &token), ("authorization", "Bearer xyz")],
            &json!({"steps": [["update", "goals", uid(1), {"t": 1}]]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "t": 1}));
}

#[tokio::test]
async fn as_token_sees_only_itself_in_users() {
    // spec §1.6 row 1 (context = the token's user), §5.8: impersonated users see only themselves
    let s = start().await;
    let token = s.user_token("a@x.com").await;
    s.user_token("b@x.com").await;
    let r = s.query_as(&[("as-token", &token)], json!({"$users": {}})).await;
    assert_eq!(r["$users"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["$users"][0]["email"], "a@x.com");
}

#[tokio::test]
async fn as_token_unknown_is_record_not_found_app_user() {
    // spec §1.6 row 1
    let s = start().await;
    let a = s.post_app("/admin/query", &[("as-token", &uid(7))], &json!({"query": {"goals": {}}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-user");
    assert_eq!(a.body["hint"]["record-type"], "app-user");
}

#[tokio::test]
async fn as_token_of_another_app_is_unknown() {
    // spec §7.2: tokens resolve within the app
    let s = start().await;
    let other = s.new_app(None).await;
    let token = other.user_token("a@x.com").await;
    let a = s.post_app("/admin/query", &[("as-token", &token)], &json!({"query": {"goals": {}}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-user");
}

#[tokio::test]
async fn as_token_non_uuid_is_param_malformed() {
    // spec §1.6 row 1: `Malformed parameter: ["asUser" "token"]`
    let s = start().await;
    let a = s.post_app("/admin/query", &[("as-token", "x")], &json!({"query": {"goals": {}}})).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["asUser" "token"]"#);
}

#[tokio::test]
async fn as_email_requires_a_valid_admin_token() {
    // spec §1.6 row 2, §10 item 3
    let s = start().await;
    s.user_token("a@x.com").await;
    let a = s.post_app("/admin/query", &[("as-email", "a@x.com")], &json!({"query": {"goals": {}}})).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    let wrong = format!("Bearer {}", uid(99));
    let a = s.post_app("/admin/query", &[("as-email", "a@x.com"), ("authorization", &wrong)], &json!({"query": {"goals": {}}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
}

#[tokio::test]
async fn as_email_unknown_user_is_record_not_found_and_never_creates_one() {
    // spec §1.6 row 2: unknown → 400 record-not-found app-user
    let s = start().await;
    let a = s.admin_with("/admin/query", &[("as-email", "ghost@x.com")], &json!({"query": {"goals": {}}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-user");
    assert_eq!(a.body["hint"]["record-type"], "app-user");
    assert_eq!(s.query(json!({"$users": {}})).await, json!({"$users": []}));
}

#[tokio::test]
async fn as_email_matches_the_header_verbatim() {
    // spec §1.6 row 2, §10 item 33: not lower-cased, not trimmed
    let s = start().await;
    s.user_token("a@x.com").await;
    let ok = s.admin_with("/admin/query", &[("as-email", "a@x.com")], &json!({"query": {"$users": {}}})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["$users"][0]["email"], "a@x.com");
    assert_eq!(ok.body["$users"].as_array().map(Vec::len), Some(1));
    let a = s.admin_with("/admin/query", &[("as-email", "A@x.com")], &json!({"query": {}})).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-user");
}

#[tokio::test]
async fn as_guest_with_any_value_needs_no_token_and_is_a_guest() {
    // spec §1.6 row 3, §10 item 3: even `false`; garbage authorization ignored; guests see no $users
    let s = start().await;
    s.user_token("a@x.com").await;
    s.transact(json!([["update", "goals", uid(1), {"title": "t"}]])).await;
    for value in ["true", "false", "anything"] {
        for extra in [None, Some(("authorization", "garbage"))] {
            let mut who = vec![("as-guest", value)];
            who.extend(extra);
            let r = s.query_as(&who, json!({"$users": {}, "goals": {}})).await;
            assert_eq!(r, json!({"$users": [], "goals": [{"id": uid(1), "title": "t"}]}), "as-guest {value}");
        }
    }
}

#[tokio::test]
async fn precedence_is_token_then_email_then_guest() {
    // spec §1.6 precedence table, §10 item 3
    let s = start().await;
    let token = s.user_token("a@x.com").await;
    s.user_token("b@x.com").await;
    // token beats email (and needs no admin token even with as-email present)
    let r = s.query_as(&[("as-token", &token), ("as-email", "b@x.com"), ("as-guest", "true")], json!({"$users": {}})).await;
    assert_eq!(r["$users"][0]["email"], "a@x.com");
    // email beats guest: it needs the admin token …
    let a = s.post_app("/admin/query", &[("as-email", "b@x.com"), ("as-guest", "true")], &json!({"query": {"$users": {}}})).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    // … and with it the context is b's
    let a = s.admin_with("/admin/query", &[("as-email", "b@x.com"), ("as-guest", "true")], &json!({"query": {"$users": {}}})).await;
    assert_eq!(a.body["$users"][0]["email"], "b@x.com", "{}", a.body);
    assert_eq!(a.body["$users"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn admin_without_impersonation_sees_every_user() {
    // spec §1.6 row 4: admin bypasses rules
    let s = start().await;
    s.user_token("a@x.com").await;
    s.user_token("b@x.com").await;
    let r = s.query(json!({"$users": {"$": {"order": {"email": "asc"}}}})).await;
    let emails: Vec<_> = r["$users"].as_array().expect("users").iter().map(|u| u["email"].clone()).collect();
    assert_eq!(emails, [json!("a@x.com"), json!("b@x.com")]);
}

#[tokio::test]
async fn impersonated_users_cannot_create_users_entities() {
    // spec §6.5 system namespaces: `$users is a system entity. You aren't allowed to create this directly.`
    let s = start().await;
    let steps = json!({"steps": [["update", "$users", uid(3), {"nickname": "z"}]]});
    let a = s.post_app("/admin/transact", &[("as-guest", "true")], &steps).await;
    assert_error_contains(&a, 400, "validation-failed", "$users is a system entity. You aren't allowed to create this directly.");
    // `prevent-system-column-updates` runs first: `email` is a system column of `$users`.
    let steps = json!({"steps": [["update", "$users", uid(3), {"email": "z@x.com"}]]});
    let a = s.post_app("/admin/transact", &[("as-guest", "true")], &steps).await;
    assert_error_contains(&a, 400, "validation-failed", "$users.email is a system column. You aren't allowed to change this directly.");
    let a = s.post_app("/admin/transact", &[("as-guest", "true")], &json!({"steps": [["update", "goals", uid(3), {"title": "ok"}]]})).await;
    assert_eq!(a.status, 200, "no rules ⇒ app namespaces writable: {}", a.body);
    assert_eq!(s.query(json!({"$users": {}})).await, json!({"$users": []}));
}

#[tokio::test]
async fn header_names_are_case_insensitive_and_version_headers_are_ignored() {
    // spec §1.3: header names are case-insensitive; version headers are accepted and ignored
    let s = start().await;
    s.user_token("a@x.com").await;
    let auth = s.bearer();
    let headers = [
        ("Content-Type", "application/json"),
        ("APP-ID", s.app_id.as_str()),
        ("Authorization", auth.as_str()),
        ("Instant-Admin-Version", "v1.0.65"),
        ("Instant-Core-Version", "v1.0.65"),
    ];
    let a = s.post_raw("/admin/query", &headers, USERS_QUERY).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["$users"][0]["email"], "a@x.com");
}
