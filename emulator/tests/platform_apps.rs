//! The Platform API's app routes (platform §1 auth, §3 apps, §3.8 perms, §5) and the platform
//! control routes (`http/platform_control.rs`).
mod common;
use common::*;
use instant_emulator::Config;
use reqwest::Method;
use serde_json::{json, Value};

/// A call with an optional `Authorization: Bearer` token and an optional JSON body.
async fn call(s: &Server, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![JSON];
    if let Some(auth) = &auth {
        headers.push(("authorization", auth.as_str()));
    }
    let mut request = s.http.request(method, format!("{}{path}", s.base));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    answer(request.send().await.expect("send")).await
}

async fn get(s: &Server, path: &str, token: &str) -> Answer {
    call(s, Method::GET, path, Some(token), None).await
}

async fn post(s: &Server, path: &str, token: &str, body: Value) -> Answer {
    call(s, Method::POST, path, Some(token), Some(body)).await
}

/// `POST /superadmin/apps` that must succeed; the `app` object.
async fn create(s: &Server, token: &str, body: Value) -> Value {
    ok(post(s, "/superadmin/apps", token, body).await)["app"].clone()
}

fn id_of(app: &Value) -> String {
    app["id"].as_str().expect("id").to_owned()
}

fn is_timestamp(value: &Value) -> bool {
    let text = value.as_str().unwrap_or("");
    let bytes = text.as_bytes();
    text.len() == 20
        && bytes[10] == b'T'
        && bytes[19] == b'Z'
        && text.chars().enumerate().all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16 | 19) || c.is_ascii_digit())
}

/// The app `app` seen through the Admin API with its admin token: a query must answer.
fn admin_of(s: &Server, app: &Value) -> Server {
    Server { app_id: id_of(app), token: app["admin-token"].as_str().expect("admin-token").to_owned(), ..s.clone() }
}

fn record_not_found(answer: &Answer, record_type: &str) {
    assert_error(answer, 400, "record-not-found", &format!("Record not found: {record_type}"));
    assert_eq!(answer.body["hint"]["record-type"], record_type, "{}", answer.body);
}

#[tokio::test]
async fn the_authorization_header_is_parsed_and_classified() {
    // platform §1.1: missing → param-missing; unclassifiable → param-malformed; unknown PAT →
    // instant-user not found; all 400
    let s = start().await;
    let a = call(&s, Method::GET, "/superadmin/apps", None, None).await;
    assert_error(&a, 400, "param-missing", "Missing parameter: [\"headers\" \"authorization\"]");
    assert_eq!(a.body["hint"]["in"], json!(["headers", "authorization"]));
    for token in ["prt_0123", "garbage", ""] {
        let a = get(&s, "/superadmin/apps", token).await;
        assert_error(&a, 400, "param-malformed", "Malformed parameter: [\"headers\" \"authorization\"]");
    }
    let lower = s.send(Method::GET, "/superadmin/apps", &[("authorization", "bearer per_x")]).await;
    assert_error_type(&lower, 400, "param-malformed");
    let unknown = format!("per_{}", "ab".repeat(32));
    record_not_found(&get(&s, "/superadmin/apps", &unknown).await, "instant-user");
    record_not_found(&get(&s, "/superadmin/apps", &uid(7)).await, "instant-user");
    let a = get(&s, "/superadmin/apps", "pat_unknown").await;
    record_not_found(&a, "oauth-access-token");
    assert_eq!(a.body["hint"], json!({"record-type": "oauth-access-token"}));
    // an unknown UUID on an app route falls through to the dashboard refresh token: 401
    let a = get(&s, &format!("/superadmin/apps/{}", s.app_id), &uid(7)).await;
    assert_error(&a, 401, "record-not-found", "Record not found: instant-user");
    assert_eq!(a.body["hint"]["args"], json!([{"auth?": true}]));
}

#[tokio::test]
async fn admin_tokens_open_their_own_app_only() {
    // platform §1.2: admin tokens on app routes, bound to their app, refused on user routes
    let s = start().await;
    let row = ok(get(&s, &format!("/superadmin/apps/{}", s.app_id), &s.token).await)["app"].clone();
    assert_eq!(row["id"], s.app_id.as_str());
    assert_eq!((&row["creator_id"], &row["org_id"], &row["status"]), (&Value::Null, &Value::Null, &json!("active")));
    assert!(is_timestamp(&row["created_at"]), "{row}");
    assert_eq!(row["deletion_marked_at"], Value::Null);

    let other = s.new_app(None).await;
    let a = get(&s, &format!("/superadmin/apps/{}", other.app_id), &s.token).await;
    assert_error(
        &a,
        400,
        "validation-failed",
        &format!(
            "This admin token does not belong to app {}. Admin tokens are bound to a single app. Use a personal access token to manage other apps.",
            other.app_id
        ),
    );
    assert_eq!(a.body["hint"], json!({"reason": "admin-token-mismatch"}));
    let a = get(&s, "/superadmin/apps/not-a-uuid", &s.token).await;
    assert_error(&a, 400, "param-malformed", "Malformed parameter: [\"params\" \"app_id\"]");

    // user-level routes: list, orgs, create, delete
    record_not_found(&get(&s, "/superadmin/apps", &s.token).await, "instant-user");
    record_not_found(&get(&s, "/superadmin/orgs", &s.token).await, "instant-user");
    record_not_found(&post(&s, "/superadmin/apps", &s.token, json!({"title": "x"})).await, "instant-user");
    let a = call(&s, Method::DELETE, &format!("/superadmin/apps/{}", s.app_id), Some(&s.token), None).await;
    record_not_found(&a, "instant-user");

    // rename, perms and schema take admin tokens
    let renamed = ok(post(&s, &format!("/superadmin/apps/{}", s.app_id), &s.token, json!({"title": " Renamed "})).await);
    assert_eq!(renamed["app"]["title"], "Renamed");
    ok(get(&s, &format!("/superadmin/apps/{}/schema", s.app_id), &s.token).await);
    ok(get(&s, &format!("/superadmin/apps/{}/perms", s.app_id), &s.token).await);
}

#[tokio::test]
async fn oauth_tokens_need_their_scope_and_expire() {
    // platform §1.3: scopes only bind pat_ tokens; write implies read; expired → record-expired
    let s = start().await;
    let (_, pat) = user(&s, "owner@example.com").await;
    let app = create(&s, &pat, json!({"title": "Scoped"})).await;
    let app_path = format!("/superadmin/apps/{}", id_of(&app));

    let read = oauth(&s, "owner@example.com", "apps-read", None).await;
    assert!(read.starts_with("pat_") && read.len() == 68, "{read}");
    assert_eq!(ok(get(&s, "/superadmin/apps", &read).await)["apps"].as_array().unwrap().len(), 1);
    ok(get(&s, &app_path, &read).await);
    let a = post(&s, "/superadmin/apps", &read, json!({"title": "No"})).await;
    assert_error(&a, 400, "permission-denied", "You are missing the apps-write scope");
    assert_eq!(a.body["hint"], json!({"required-scope": "apps-write"}));
    let a = post(&s, &app_path, &read, json!({"title": "No"})).await;
    assert_error(&a, 400, "permission-denied", "You are missing the apps-write scope");

    let write = oauth(&s, "owner@example.com", "apps-write", None).await;
    ok(get(&s, &app_path, &write).await);
    ok(post(&s, &app_path, &write, json!({"title": "Yes"})).await);

    let data = oauth(&s, "owner@example.com", "data-write storage-write", None).await;
    let a = get(&s, "/superadmin/apps", &data).await;
    assert_error(&a, 400, "permission-denied", "You are missing the apps-read scope");

    let short = oauth(&s, "owner@example.com", "apps-read", Some(60)).await;
    ok(get(&s, &app_path, &short).await);
    ok(s.post_raw("/__emulator/clock", &[JSON], &json!({"advance-ms": 60_000}).to_string()).await);
    for path in ["/superadmin/apps", app_path.as_str()] {
        let a = get(&s, path, &short).await;
        assert_error(&a, 400, "record-expired", "Record expired: oauth-access-token");
        assert!(is_timestamp(&a.body["hint"]["expired_at"]), "{}", a.body);
    }
    ok(get(&s, &app_path, &read).await);

    let a =
        s.post_raw("/__emulator/platform/oauth-tokens", &[JSON], &json!({"email": "a@b.co", "scopes": "apps-transfer"}).to_string()).await;
    assert_error_type(&a, 400, "validation-failed");
}

#[tokio::test]
async fn apps_are_created_read_listed_renamed_and_deleted() {
    // platform §3.1–§3.7
    let s = start().await;
    let (owner_id, pat) = user(&s, "owner@example.com").await;
    let (_, other_pat) = user(&s, "other@example.com").await;
    let app = create(&s, &pat, json!({"title": "  My app  "})).await;
    assert_eq!(app["title"], "My app");
    assert_eq!(app["creator_id"], owner_id.as_str());
    assert_eq!((&app["org_id"], &app["perms"]), (&Value::Null, &Value::Null));
    assert!(is_timestamp(&app["created_at"]));
    assert!(app["schema"]["blobs"]["$users"]["email"].is_object(), "{}", app["schema"]);
    assert!(app["schema"]["refs"][r#"["$users" "linkedPrimaryUser" "$users" "linkedGuestUsers"]"#].is_object());
    let app_id = id_of(&app);

    // a normal emulator app: the Admin API answers with its admin token
    let admin = admin_of(&s, &app);
    admin.transact(json!([["update", "goals", uid(1), {"title": "Ship"}]])).await;
    assert_eq!(admin.one("goals", &uid(1)).await, json!({"id": uid(1), "title": "Ship"}));

    let listed = ok(get(&s, "/superadmin/apps", &pat).await);
    assert_eq!(listed["apps"].as_array().unwrap().iter().map(id_of).collect::<Vec<_>>(), vec![app_id.clone()]);
    assert!(listed["apps"][0].get("admin-token").is_none() && listed["apps"][0].get("schema").is_none());
    assert_eq!(ok(get(&s, "/superadmin/apps", &other_pat).await), json!({"apps": []}), "only one's own apps");

    let path = format!("/superadmin/apps/{app_id}");
    let got = ok(get(&s, &path, &pat).await);
    assert_eq!(got["app"]["title"], "My app");
    let a = get(&s, &path, &other_pat).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for user-role: User is missing role collaborator.");
    assert_eq!(a.body["hint"]["data-type"], "user-role");

    let a = post(&s, &path, &pat, json!({"title": "   "})).await;
    assert_error(&a, 400, "param-malformed", "Malformed parameter: [\"body\" \"title\"]");
    let a = post(&s, &path, &pat, json!({})).await;
    assert_error(&a, 400, "param-missing", "Missing parameter: [\"body\" \"title\"]");
    let a = post(&s, "/superadmin/apps", &pat, json!({"title": ""})).await;
    assert_error(&a, 400, "param-malformed", "Malformed parameter: [\"body\" \"title\"]");
    let renamed = ok(post(&s, &path, &pat, json!({"title": "Renamed"})).await);
    assert_eq!(renamed["app"]["title"], "Renamed");
    assert_eq!(ok(get(&s, &path, &pat).await)["app"]["title"], "Renamed");

    let a = call(&s, Method::DELETE, &path, Some(&other_pat), None).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for user-role: User is missing role admin.");
    let deleted = ok(call(&s, Method::DELETE, &path, Some(&pat), None).await);
    assert!(is_timestamp(&deleted["app"]["deletion_marked_at"]), "{deleted}");
    assert_eq!(deleted["app"]["id"], app_id.as_str());

    // gone for every route, whoever asks
    for token in [pat.as_str(), app["admin-token"].as_str().unwrap()] {
        for sub in ["", "/schema", "/perms"] {
            let a = get(&s, &format!("{path}{sub}"), token).await;
            record_not_found(&a, "app");
            assert_eq!(a.body["hint"]["args"], json!([{"id": app_id}]));
        }
    }
    record_not_found(&call(&s, Method::DELETE, &path, Some(&pat), None).await, "app");
    assert_eq!(ok(get(&s, "/superadmin/apps", &pat).await), json!({"apps": []}));
    let a = admin.admin("/admin/query", json!({"query": {"goals": {}}})).await;
    assert_error_type(&a, 400, "record-not-found");
}

#[tokio::test]
async fn create_applies_schema_and_validated_perms() {
    // platform §3.5: perms validated before the app exists; schema applied without jobs
    let s = start().await;
    let (_, pat) = user(&s, "owner@example.com").await;
    let perms = json!({"todos": {"allow": {"view": "true", "create": "isOwner"}, "bind": ["isOwner", "auth.id != null"]}});
    let schema = json!({"entities": {"todos": {"attrs": {"title": attr("string", true, false, true)}}},
                        "links": {"todosOwner": {"forward": {"on": "todos", "has": "one", "label": "owner"},
                                                 "reverse": {"on": "$users", "has": "many", "label": "todos"}}}});
    let app = create(&s, &pat, json!({"title": "Full", "perms": perms, "schema": schema})).await;
    assert_eq!(app["perms"], perms);
    let keys: Vec<&String> = app["perms"]["todos"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["bind", "allow"], "jsonb key order: shorter first");
    let title = &app["schema"]["blobs"]["todos"]["title"];
    assert_eq!((&title["index?"], &title["required?"], &title["checked-data-type"]), (&json!(true), &json!(true), &json!("string")));
    let link = &app["schema"]["refs"][r#"["todos" "owner" "$users" "todos"]"#];
    assert_eq!((&link["cardinality"], &link["unique?"]), (&json!("one"), &json!(false)), "{}", app["schema"]);
    let perms_path = format!("/superadmin/apps/{}/perms", id_of(&app));
    assert_eq!(ok(get(&s, &perms_path, &pat).await), json!({ "perms": perms }));
    let schema_path = format!("/superadmin/apps/{}/schema", id_of(&app));
    assert_eq!(ok(get(&s, &schema_path, &pat).await)["schema"], app["schema"]);

    let a = post(&s, "/superadmin/apps", &pat, json!({"title": "Bad", "perms": {"todos": {"bind": ["a"]}}})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for perms: bind should have an even number of elements");
    assert_eq!(a.body["hint"]["errors"], json!([{"message": "bind should have an even number of elements", "in": ["todos", "bind"]}]));
    assert_eq!(ok(get(&s, "/superadmin/apps", &pat).await)["apps"].as_array().unwrap().len(), 1, "nothing was created");

    // a new `$` namespace is hidden from the plan (`filter-indexed-blobs` marks it system, and
    // `remove-hidden` drops it): the app is made without it, as on the server
    let hidden = json!({"entities": {"$things": {"attrs": {"x": attr("string", false, false, false)}}}});
    let a = ok(post(&s, "/superadmin/apps", &pat, json!({"title": "Half", "schema": hidden})).await);
    assert!(a["app"]["schema"]["blobs"].get("$things").is_none(), "{}", a["app"]["schema"]);
    let titles: Vec<Value> =
        ok(get(&s, "/superadmin/apps", &pat).await)["apps"].as_array().unwrap().iter().map(|a| a["title"].clone()).collect();
    assert_eq!(titles, [json!("Full"), json!("Half")]);
}

#[tokio::test]
async fn list_includes_perms_and_schema_on_request() {
    // platform §3.2 `enhance-apps`
    let s = start().await;
    let (_, pat) = user(&s, "owner@example.com").await;
    create(&s, &pat, json!({"title": "Plain"})).await;
    let with_perms = create(&s, &pat, json!({"title": "Ruled", "perms": {"$default": {"allow": {"$default": "false"}}}})).await;
    let all = ok(get(&s, "/superadmin/apps?include=perms%2Cschema", &pat).await)["apps"].clone();
    assert_eq!(all.as_array().unwrap().len(), 2);
    for app in all.as_array().unwrap() {
        assert!(app["schema"]["blobs"].is_object() && app["schema"]["refs"].is_object(), "{app}");
        let expected = if app["id"] == with_perms["id"] { with_perms["perms"].clone() } else { Value::Null };
        assert_eq!(app["perms"], expected);
    }
    let only_perms = ok(get(&s, "/superadmin/apps?include=perms", &pat).await)["apps"].clone();
    assert!(only_perms[0].get("perms").is_some() && only_perms[0].get("schema").is_none());
    let neither = ok(get(&s, "/superadmin/apps?include=bogus", &pat).await)["apps"].clone();
    assert!(neither[0].get("perms").is_none() && neither[0].get("schema").is_none());
}

#[tokio::test]
async fn org_apps_follow_org_roles() {
    // platform §1.3 roles, §3.2 org apps, §3.3 orgs
    let s = start().await;
    let (owner_id, owner) = user(&s, "owner@example.com").await;
    let (_, admin) = user(&s, "admin@example.com").await;
    let (_, collab) = user(&s, "collab@example.com").await;
    let (_, stranger) = user(&s, "stranger@example.com").await;
    let org = control(
        &s,
        "/__emulator/platform/orgs",
        json!({"title": "Acme", "members": [
            {"email": "owner@example.com", "role": "owner"},
            {"email": "admin@example.com", "role": "admin"},
            {"email": "collab@example.com", "role": "collaborator"}]}),
    )
    .await;
    let org_id = org["id"].as_str().unwrap().to_owned();
    assert_eq!(org["members"][0], json!({"user-id": owner_id, "email": "owner@example.com", "role": "owner"}));

    let orgs = ok(get(&s, "/superadmin/orgs", &collab).await)["orgs"].clone();
    assert_eq!(orgs.as_array().unwrap().len(), 1);
    assert_eq!(
        (&orgs[0]["id"], &orgs[0]["title"], &orgs[0]["role"], &orgs[0]["paid"]),
        (&json!(org_id), &json!("Acme"), &json!("collaborator"), &json!(false))
    );
    assert!(is_timestamp(&orgs[0]["created_at"]) && is_timestamp(&orgs[0]["updated_at"]));
    assert_eq!(ok(get(&s, "/superadmin/orgs", &stranger).await), json!({"orgs": []}));

    let app = create(&s, &owner, json!({"title": "Org app", "org_id": org_id})).await;
    assert_eq!((&app["org_id"], &app["creator_id"]), (&json!(org_id), &Value::Null));
    create(&s, &admin, json!({"title": "By admin", "org_id": org_id})).await;
    let a = post(&s, "/superadmin/apps", &collab, json!({"title": "No", "org_id": org_id})).await;
    assert_error(&a, 400, "permission-denied", "Permission denied: not allowed-member-role?");
    assert_eq!(a.body["hint"], json!({"input": "collaborator", "expected": "allowed-member-role?"}));
    let a = post(&s, "/superadmin/apps", &stranger, json!({"title": "No", "org_id": org_id})).await;
    record_not_found(&a, "org");
    let a = post(&s, "/superadmin/apps", &owner, json!({"title": "No", "org_id": "nope"})).await;
    assert_error(&a, 400, "param-malformed", "Malformed parameter: [\"body\" \"org_id\"]");

    // org apps are not personal apps
    assert_eq!(ok(get(&s, "/superadmin/apps", &owner).await), json!({"apps": []}));
    let org_apps = ok(get(&s, &format!("/superadmin/orgs/{org_id}/apps?include=schema"), &collab).await)["apps"].clone();
    assert_eq!(org_apps.as_array().unwrap().len(), 2);
    let first = &org_apps[0];
    assert_eq!(first["id"], app["id"]);
    assert_eq!(first["admin_token"], app["admin-token"]);
    assert_eq!(first["org"], json!({"id": org_id, "title": "Acme"}));
    assert!(first["schema"]["blobs"].is_object() && first.get("perms").is_none());
    record_not_found(&get(&s, &format!("/superadmin/orgs/{org_id}/apps"), &stranger).await, "org");
    let a = get(&s, "/superadmin/orgs/nope/apps", &owner).await;
    assert_error(&a, 400, "param-malformed", "Malformed parameter: [\"params\" \"org_id\"]");

    let path = format!("/superadmin/apps/{}", id_of(&app));
    ok(get(&s, &path, &collab).await);
    ok(post(&s, &format!("{path}/perms"), &collab, json!({"code": {}})).await);
    let a = post(&s, &path, &collab, json!({"title": "No"})).await;
    assert_error(&a, 400, "permission-denied", "Permission denied: not allowed-member-role?");
    ok(post(&s, &path, &admin, json!({"title": "Renamed by admin"})).await);
    let a = call(&s, Method::DELETE, &path, Some(&collab), None).await;
    assert_error(&a, 400, "permission-denied", "Permission denied: not allowed-member-role?");
    let a = get(&s, &path, &stranger).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for user-role: User is missing role collaborator.");
    ok(call(&s, Method::DELETE, &path, Some(&admin), None).await);
}

#[tokio::test]
async fn personal_apps_need_their_owner_to_be_deleted() {
    // `app-delete`: admin on the app, and the creator for a personal app
    let s = start().await;
    let (_, owner) = user(&s, "owner@example.com").await;
    let (_, member) = user(&s, "member@example.com").await;
    let app = create(&s, &owner, json!({"title": "Shared"})).await;
    let path = format!("/superadmin/apps/{}", id_of(&app));
    control(&s, &format!("/__emulator/platform/apps/{}/members", id_of(&app)), json!({"email": "member@example.com", "role": "admin"}))
        .await;
    ok(post(&s, &path, &member, json!({"title": "Renamed"})).await);
    let a = call(&s, Method::DELETE, &path, Some(&member), None).await;
    assert_error(&a, 400, "permission-denied", "Permission denied: not allowed-member-role?");
    assert_eq!(a.body["hint"], json!({"input": "owner", "expected": "allowed-member-role?"}));
    assert_eq!(ok(get(&s, "/superadmin/apps", &member).await), json!({"apps": []}), "shared apps are not listed");
    ok(call(&s, Method::DELETE, &path, Some(&owner), None).await);
}

#[tokio::test]
async fn perms_are_versioned_and_validated() {
    // platform §3.8, §5, §7 item 7
    let s = start().await;
    let (_, pat) = user(&s, "owner@example.com").await;
    let app = create(&s, &pat, json!({"title": "Perms"})).await;
    let app_id = id_of(&app);
    let path = format!("/superadmin/apps/{app_id}/perms");
    assert_eq!(ok(get(&s, &path, &pat).await), json!({"perms": null}));

    let first = json!({"todos": {"allow": {"view": "auth.id != null"}}});
    let pushed = ok(post(&s, &path, &pat, json!({ "code": first })).await);
    assert_eq!(pushed, json!({"rules": {"app_id": app_id, "code": first, "version": 0}}));
    let again = ok(post(&s, &path, &pat, json!({ "code": first })).await);
    assert_eq!(again["rules"]["version"], 0, "unchanged code keeps its version");
    let second = json!({"todos": {"allow": {"view": "false"}}});
    assert_eq!(ok(post(&s, &path, &pat, json!({ "code": second })).await)["rules"]["version"], 1);
    assert_eq!(ok(get(&s, &path, &pat).await), json!({ "perms": second }));

    // the pushed rules govern the Admin API
    let admin = admin_of(&s, &app);
    admin.transact(json!([["update", "todos", uid(1), {"t": 1}]])).await;
    assert_eq!(admin.query_as(&[("as-guest", "true")], json!({"todos": {}})).await, json!({"todos": []}));

    let a = post(&s, &path, &pat, json!({})).await;
    assert_error(&a, 400, "param-missing", "Missing parameter: [\"body\" \"code\"]");
    let bad = json!({"$users": {"allow": {"delete": "true"}}, "todos": {"fields": {"id": "false"}}});
    let a = post(&s, &path, &pat, json!({ "code": bad })).await;
    assert_error_contains(&a, 400, "validation-failed", "Validation failed for rule: ");
    assert_eq!(a.body["hint"]["data-type"], "rule");
    let ins: Vec<Value> = a.body["hint"]["errors"].as_array().unwrap().iter().map(|e| e["in"].clone()).collect();
    assert_eq!(ins, [json!(["$users", "allow", "delete"]), json!(["todos", "fields"])]);
    let a = post(&s, &path, &pat, json!({"code": {"todos": {"allow": {"view": "nope("}}}})).await;
    assert_error_contains(&a, 400, "validation-failed", "Validation failed for rule: ");
    assert_eq!(ok(get(&s, &path, &pat).await), json!({ "perms": second }), "a refused push changes nothing");
}

#[tokio::test]
async fn ephemeral_apps_need_no_auth() {
    // platform §3.6
    let s = start().await;
    let schema = json!({"entities": {"notes": {"attrs": {"body": attr("string", false, false, false)}}}});
    let made = ok(s
        .post_raw(
            "/dash/apps/ephemeral",
            &[JSON],
            &json!({"title": "Temp", "schema": schema, "rules": {"code": {"notes": {"allow": {"view": "true"}}}}}).to_string(),
        )
        .await);
    let app = &made["app"];
    assert_eq!(app["title"], "Temp");
    assert!(app["creator_id"].is_string() && app["admin-token"].is_string(), "{app}");
    let expires = made["expires_ms"].as_i64().expect("expires_ms");
    let now_ms = ok(s.post_raw("/__emulator/clock", &[JSON], &json!({"advance-ms": 0}).to_string()).await)["now-ms"].as_i64().unwrap();
    let fourteen_days = 14 * 24 * 3_600_000;
    assert!((now_ms + fourteen_days - expires).abs() < 5_000, "{expires} vs {now_ms}");

    let admin = admin_of(&s, app);
    admin.transact(json!([["update", "notes", uid(1), {"body": "hi"}]])).await;
    assert_eq!(admin.query_as(&[("as-guest", "true")], json!({"notes": {}})).await, json!({"notes": [{"id": uid(1), "body": "hi"}]}));
    let perms = ok(get(&s, &format!("/superadmin/apps/{}/perms", id_of(app)), app["admin-token"].as_str().unwrap()).await);
    assert_eq!(perms, json!({"perms": {"notes": {"allow": {"view": "true"}}}}));

    let again = ok(s.send(Method::GET, &format!("/dash/apps/ephemeral/{}", id_of(app)), &[]).await);
    assert_eq!((&again["app"]["id"], &again["expires_ms"]), (&app["id"], &made["expires_ms"]));
    let a = s.send(Method::GET, &format!("/dash/apps/ephemeral/{}", s.app_id), &[]).await;
    assert_error(&a, 400, "permission-denied", "Permission denied: not ephemeral-app?");

    let a = s.post_raw("/dash/apps/ephemeral", &[JSON], &json!({"rules": {"code": {}}}).to_string()).await;
    assert_error(&a, 400, "param-missing", "Missing parameter: [\"body\" \"title\"]");
    let bad = json!({"title": "Bad", "rules": {"code": {"notes": {"bind": ["a"]}}}});
    let a = s.post_raw("/dash/apps/ephemeral", &[JSON], &bad.to_string()).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for rule: bind should have an even number of elements");
}

#[tokio::test]
async fn the_configured_token_survives_resets_and_made_ones_do_not() {
    // `--platform-token`: a PAT of dev@example.com from the start, kept by /__emulator/reset
    let configured = format!("per_{}", "0a".repeat(32));
    let legacy = "5B1C0000-0000-4000-8000-0000000000AA".to_owned();
    let s = start_with(Config { platform_tokens: vec![configured.clone(), legacy.clone()], ..Config::default() }).await;
    let app = create(&s, &configured, json!({"title": "Dev"})).await;
    assert_eq!(ok(get(&s, "/superadmin/apps", &legacy.to_lowercase()).await)["apps"][0]["id"], app["id"], "one user, two tokens");
    ok(get(&s, &format!("/superadmin/apps/{}", id_of(&app)), &legacy.to_lowercase()).await);
    let (made_id, made) = user(&s, "made@example.com").await;
    ok(get(&s, "/superadmin/apps", &made).await);
    let (dev_id, _) = user(&s, "dev@example.com").await;

    ok(s.post_raw("/__emulator/reset", &[JSON], "").await);
    assert_eq!(ok(get(&s, "/superadmin/apps", &configured).await), json!({"apps": []}), "apps are gone");
    record_not_found(&get(&s, "/superadmin/apps", &made).await, "instant-user");
    let (made_again, _) = user(&s, "made@example.com").await;
    assert_ne!(made_again, made_id);
    assert_eq!(user(&s, "dev@example.com").await.0, dev_id, "the configured user keeps its id");
    // the default app is back, with its row
    assert_eq!(ok(get(&s, &format!("/superadmin/apps/{}", s.app_id), &s.token).await)["app"]["title"], "Default app");
}

#[test]
fn malformed_configured_tokens_stop_the_emulator() {
    let bad = Config { platform_tokens: vec!["per_SHOUTING".into()], ..Config::default() };
    let error = instant_emulator::Emulator::new(bad).err().expect("refused");
    assert!(error.contains("platform token #1") && !error.contains("SHOUTING"), "{error}");
}

#[tokio::test]
async fn platform_routes_accept_any_origin() {
    // platform §0: CORS open on every route but the OAuth start/grant/claim ones
    let s = start().await;
    let (_, pat) = user(&s, "owner@example.com").await;
    let preflight = s
        .send(
            Method::OPTIONS,
            "/superadmin/apps",
            &[
                ("origin", "https://tool.example"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "authorization"),
            ],
        )
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-origin"), "https://tool.example");
    let auth = format!("Bearer {pat}");
    let listed = s.send(Method::GET, "/superadmin/apps", &[("origin", "https://tool.example"), ("authorization", auth.as_str())]).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.header("access-control-allow-origin"), "https://tool.example");
}

#[tokio::test]
async fn control_routes_check_their_input() {
    let s = start().await;
    for (path, body) in [
        ("/__emulator/platform/users", json!({"email": "nope"})),
        ("/__emulator/platform/orgs", json!({"title": " "})),
        ("/__emulator/platform/orgs", json!({"title": "T", "members": [{"email": "a@b.co", "role": "app-member"}]})),
        ("/__emulator/platform/oauth-tokens", json!({"email": "a@b.co"})),
        ("/__emulator/platform/oauth-tokens", json!({"email": "a@b.co", "scopes": "apps-read", "expires-in-s": -1})),
    ] {
        let a = s.post_raw(path, &[JSON], &body.to_string()).await;
        assert_error_type(&a, 400, "validation-failed");
    }
    let missing_app = format!("/__emulator/platform/apps/{}/members", uid(9));
    let a = s.post_raw(&missing_app, &[JSON], &json!({"email": "a@b.co", "role": "admin"}).to_string()).await;
    assert_error_type(&a, 400, "validation-failed");
    // the same email again: same user, a second working token
    let (id1, t1) = user(&s, "Twice@Example.com").await;
    let (id2, t2) = user(&s, "twice@example.com").await;
    assert_eq!(id1, id2);
    assert_ne!(t1, t2);
    ok(get(&s, "/superadmin/orgs", &t1).await);
    ok(get(&s, "/superadmin/orgs", &t2).await);
}
