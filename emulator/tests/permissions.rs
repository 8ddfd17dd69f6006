//! Permission rules over real HTTP (spec §9, §3.4, §3.5): rules from Instant's permissions docs
//! evaluated for impersonated queries and transactions, the perms-check routes, and the
//! validation of rules documents.

mod common;

use common::*;
use serde_json::{json, Value};

const TODO_A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const TODO_B: &str = "aaaaaaaa-0000-4000-8000-000000000002";

/// `todos` with a has-one `owner` link to `$users` (reverse `todos`).
fn schema() -> Value {
    json!({
        "entities": {"todos": {"attrs": {"title": {"valueType": "string", "config": {"indexed": false, "unique": false}}}}},
        "links": {"todoOwner": {"forward": {"on": "todos", "has": "one", "label": "owner"}, "reverse": {"on": "$users", "has": "many", "label": "todos"}}}
    })
}

async fn set_rules(s: &Server, rules: Value) -> Answer {
    s.post_raw(&format!("/__emulator/apps/{}/rules", s.app_id), &[JSON], &rules.to_string()).await
}

/// A signed-in user: (refresh token, user id).
async fn user(s: &Server, email: &str) -> (String, String) {
    let token = s.user_token(email).await;
    let users = s.query(json!({"$users": {"$": {"where": {"email": email}}}})).await;
    (token, users["$users"][0]["id"].as_str().expect("user id").to_owned())
}

async fn transact_as(s: &Server, who: &[(&str, &str)], steps: Value) -> Answer {
    s.post_app("/admin/transact", who, &json!({ "steps": steps })).await
}

fn assert_denied(a: &Answer) {
    assert_eq!((a.status, a.body["type"].as_str()), (400, Some("permission-denied")), "{}", a.body);
    assert_eq!(a.body["message"], "Permission denied: not perms-pass?");
}

#[tokio::test]
async fn owner_only_todos_through_data_ref() {
    // permissions docs: `auth.id in data.ref('owner.id')`
    let s = start_with_schema(schema()).await;
    let (alice, alice_id) = user(&s, "alice@example.com").await;
    let (bob, _) = user(&s, "bob@example.com").await;
    let rules = json!({"todos": {"allow": {
        "view": "auth.id in data.ref('owner.id')",
        "create": "auth.id in data.ref('owner.id')",
        "update": "auth.id in data.ref('owner.id')",
        "delete": "auth.id in data.ref('owner.id')"}}});
    assert_eq!(set_rules(&s, rules).await.status, 200);
    // create runs after the write, so the new link is visible to data.ref
    let a = transact_as(
        &s,
        &[("as-token", &alice)],
        json!([["update", "todos", TODO_A, {"title": "Alice's"}], ["link", "todos", TODO_A, {"owner": alice_id}]]),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = transact_as(
        &s,
        &[("as-token", &bob)],
        json!([["update", "todos", TODO_B, {"title": "Bob's, owned by Alice"}], ["link", "todos", TODO_B, {"owner": alice_id}]]),
    )
    .await;
    assert_denied(&a);
    assert_eq!(s.one("todos", TODO_B).await, Value::Null, "a denied transaction writes nothing");
    assert_eq!(ids_of(&s.query_as(&[("as-token", &alice)], json!({"todos": {}})).await["todos"]), [TODO_A]);
    assert_eq!(ids_of(&s.query_as(&[("as-token", &bob)], json!({"todos": {}})).await["todos"]), none());
    assert_eq!(ids_of(&s.query_as(&[("as-guest", "true")], json!({"todos": {}})).await["todos"]), none());
    assert_denied(&transact_as(&s, &[("as-token", &bob)], json!([["update", "todos", TODO_A, {"title": "mine now"}]])).await);
    assert_denied(&transact_as(&s, &[("as-token", &bob)], json!([["delete", "todos", TODO_A]])).await);
    assert_eq!(transact_as(&s, &[("as-token", &alice)], json!([["update", "todos", TODO_A, {"title": "done"}]])).await.status, 200);
    assert_eq!(s.one("todos", TODO_A).await["title"], "done");
}

#[tokio::test]
async fn binds_new_data_and_modified_fields() {
    // permissions docs: the example ruleset, and "Restricting fields on update"
    let s = start().await;
    let (alice, alice_id) = user(&s, "alice@example.com").await;
    let (bob, _) = user(&s, "bob@example.com").await;
    let rules = json!({
        "todos": {
            "allow": {"view": "auth.id != null", "create": "isOwner", "update": "isOwner && isStillOwner", "delete": "isOwner"},
            "bind": {"isOwner": "auth.id != null && auth.id == data.creatorId", "isStillOwner": "auth.id != null && auth.id == newData.creatorId"}
        },
        "posts": {
            "allow": {"update": "isOwner || onlyModifiesLikes"},
            "bind": ["isOwner", "auth.id == data.ownerId", "onlyModifiesLikes", "request.modifiedFields.all(field, field in ['likes'])"]
        }
    });
    assert_eq!(set_rules(&s, rules).await.status, 200);
    let alice_h = [("as-token", alice.as_str())];
    let bob_h = [("as-token", bob.as_str())];
    assert_eq!(transact_as(&s, &alice_h, json!([["update", "todos", TODO_A, {"title": "t", "creatorId": alice_id}]])).await.status, 200);
    assert_denied(&transact_as(&s, &bob_h, json!([["update", "todos", TODO_B, {"title": "t", "creatorId": alice_id}]])).await);
    assert_denied(&transact_as(&s, &alice_h, json!([["update", "todos", TODO_A, {"creatorId": "someone else"}]])).await);
    let guest = s.query_as(&[("as-guest", "true")], json!({"todos": {}})).await;
    assert_eq!(guest["todos"], json!([]), "view: auth.id != null");
    s.transact(json!([["update", "posts", TODO_A, {"ownerId": alice_id, "likes": 1, "title": "Hi"}]])).await;
    assert_eq!(transact_as(&s, &bob_h, json!([["update", "posts", TODO_A, {"likes": 2}]])).await.status, 200);
    assert_denied(&transact_as(&s, &bob_h, json!([["update", "posts", TODO_A, {"likes": 3, "title": "pwned"}]])).await);
    assert_eq!(transact_as(&s, &alice_h, json!([["update", "posts", TODO_A, {"title": "Hello"}]])).await.status, 200);
}

#[tokio::test]
async fn field_rules_hide_attributes_and_rule_params_open_share_links() {
    // permissions docs: "Fields" ($users public, email hidden) and "ruleParams"
    let s = start().await;
    let (alice, alice_id) = user(&s, "alice@example.com").await;
    let (bob, _) = user(&s, "bob@example.com").await;
    let rules = json!({
        "$users": {"allow": {"view": "true"}, "fields": {"email": "auth.id == data.id"}},
        "docs": {"allow": {"view": "data.id == ruleParams.knownDocId", "update": "data.id == ruleParams.knownDocId"}}
    });
    assert_eq!(set_rules(&s, rules).await.status, 200);
    let seen_by_bob = s.query_as(&[("as-token", &bob)], json!({"$users": {"$": {"where": {"id": alice_id}}}})).await;
    let alice_row = &seen_by_bob["$users"][0];
    assert_eq!(alice_row["id"], json!(alice_id));
    assert!(alice_row.get("email").is_none(), "email hidden from others: {alice_row}");
    let seen_by_alice = s.query_as(&[("as-token", &alice)], json!({"$users": {"$": {"where": {"id": alice_id}}}})).await;
    assert_eq!(seen_by_alice["$users"][0]["email"], "alice@example.com");
    s.transact(json!([["update", "docs", TODO_A, {"title": "secret"}], ["update", "docs", TODO_B, {"title": "other"}]])).await;
    let without = s.query_as(&[("as-guest", "true")], json!({"docs": {}})).await;
    assert_eq!(without["docs"], json!([]));
    let with = s.query_as(&[("as-guest", "true")], json!({"docs": {}, "$$ruleParams": {"knownDocId": TODO_A}})).await;
    assert_eq!(ids_of(&with["docs"]), [TODO_A]);
    let denied = transact_as(&s, &[("as-guest", "true")], json!([["update", "docs", TODO_A, {"title": "x"}]])).await;
    assert_denied(&denied);
    let allowed = transact_as(
        &s,
        &[("as-guest", "true")],
        json!([["ruleParams", "docs", TODO_A, {"knownDocId": TODO_A}], ["update", "docs", TODO_A, {"title": "x"}]]),
    )
    .await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
}

#[tokio::test]
async fn link_rules_and_their_fallbacks() {
    // spec §9.1: link/unlink rules when defined on either side, otherwise update on the source
    let s = start_with_schema(schema()).await;
    let (alice, alice_id) = user(&s, "alice@example.com").await;
    s.transact(json!([["update", "todos", TODO_A, {"title": "a"}]])).await;
    assert_eq!(
        set_rules(&s, json!({"todos": {"allow": {"update": "false", "link": {"owner": "auth.id == linkedData.id"}}}})).await.status,
        200
    );
    let a = transact_as(&s, &[("as-token", &alice)], json!([["link", "todos", TODO_A, {"owner": alice_id}]])).await;
    assert_eq!(a.status, 200, "the link rule decides, not update: {}", a.body);
    assert_eq!(set_rules(&s, json!({"todos": {"allow": {"update": "false"}}})).await.status, 200);
    assert_denied(&transact_as(&s, &[("as-token", &alice)], json!([["unlink", "todos", TODO_A, {"owner": alice_id}]])).await);
}

#[tokio::test]
async fn a_throwing_rule_fails_with_permission_evaluation_failed() {
    let s = start().await;
    s.transact(json!([["update", "todos", TODO_A, {"title": "a"}]])).await;
    assert_eq!(set_rules(&s, json!({"todos": {"allow": {"view": "data.title.size() > 1 / 0"}}})).await.status, 200);
    let a = s.post_app("/admin/query", &[("as-guest", "true")], &json!({"query": {"todos": {}}})).await;
    assert_eq!((a.status, a.body["type"].as_str()), (400, Some("permission-evaluation-failed")), "{}", a.body);
    assert_eq!(
        a.body["message"],
        "Could not evaluate permission rule for `todos.view`. You may have a typo. Debug this in the sandbox and then update your permission rules."
    );
    assert_eq!(a.body["hint"]["rule"], json!(["todos", "view"]));
}

#[tokio::test]
async fn invalid_rules_documents_get_the_servers_errors() {
    let s = start().await;
    let bad = json!({
        "$users": {"allow": {"delete": "true"}},
        "$magicCodes": {"allow": {"view": "true"}},
        "todos": {"allow": {"view": "newData.x == 1"}, "fields": {"id": "false"}}
    });
    let a = set_rules(&s, bad).await;
    assert_eq!((a.status, a.body["type"].as_str()), (400, Some("validation-failed")), "{}", a.body);
    assert_eq!(a.body["hint"]["data-type"], "rule");
    let errors = a.body["hint"]["errors"].as_array().expect("errors");
    let at = |path: Value| errors.iter().find(|e| e["in"] == path).map(|e| e["message"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        at(json!(["$users", "allow", "delete"])).as_deref(),
        Some("The $users namespace doesn't support permissions for delete. Set `$users.allow.delete` to `\"false\"`.")
    );
    assert_eq!(
        at(json!(["$magicCodes", "allow", "view"])).as_deref(),
        Some("The $magicCodes namespace is a reserved internal namespace that does not yet support rules.")
    );
    assert!(at(json!(["todos", "allow", "view"])).is_some_and(|m| m.contains("newData")), "{errors:?}");
    assert_eq!(at(json!(["todos", "fields"])).as_deref(), Some("You cannot set field rules for `id`. Use todos -> allow -> view instead"));
    let kept = s.send(reqwest::Method::GET, &format!("/__emulator/apps/{}/rules", s.app_id), &[]).await;
    assert_eq!(kept.body, json!({}), "an invalid document is not stored");
}

#[tokio::test]
async fn system_namespaces_keep_their_structural_checks() {
    let s = start().await;
    let (alice, alice_id) = user(&s, "alice@example.com").await;
    let a = transact_as(&s, &[("as-guest", "true")], json!([["delete", "$users", alice_id]])).await;
    assert_eq!((a.status, a.body["type"].as_str()), (400, Some("validation-failed")), "{}", a.body);
    assert!(
        a.body["message"].as_str().unwrap_or_default().contains("$users is a system entity. You aren't allowed to delete this directly."),
        "{}",
        a.body
    );
    let a = transact_as(&s, &[("as-token", &alice)], json!([["update", "$users", alice_id, {"nickname": "al"}]])).await;
    assert_eq!(a.status, 200, "the $users update fallback lets users change themselves: {}", a.body);
    let uploaded = s
        .http
        .put(format!("{}/admin/storage/upload", s.base))
        .header("app-id", &s.app_id)
        .header("authorization", s.bearer())
        .header("path", "a.txt")
        .body("hello")
        .send()
        .await
        .expect("upload");
    let uploaded = answer(uploaded).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    let file_id = uploaded.body["data"]["id"].as_str().expect("file id").to_owned();
    let renamed = s.admin("/admin/transact", json!({"steps": [["update", "$files", file_id, {"path": "b.txt"}]]})).await;
    assert_eq!(renamed.status, 200, "path is editable: {}", renamed.body);
    let size = s.admin("/admin/transact", json!({"steps": [["update", "$files", file_id, {"size": 5}]]})).await;
    assert_eq!((size.status, size.body["type"].as_str()), (400, Some("validation-failed")), "{}", size.body);
    assert!(
        size.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("$files.size is a system column. You aren't allowed to change this directly."),
        "{}",
        size.body
    );
}

#[tokio::test]
async fn query_perms_check_reports_each_entity() {
    // spec §3.4
    let s = start().await;
    s.transact(
        json!([["update", "todos", TODO_A, {"title": "a", "public": true}], ["update", "todos", TODO_B, {"title": "b", "public": false}]]),
    )
    .await;
    assert_eq!(set_rules(&s, json!({"todos": {"allow": {"view": "data.public"}}})).await.status, 200);
    let body = json!({"query": {"todos": {}}});
    let as_admin = s.admin("/admin/query_perms_check", body.clone()).await;
    assert_eq!(
        (as_admin.status, as_admin.body["message"].as_str()),
        (400, Some("Validation failed for non-admin: Cannot test perms as admin"))
    );
    let no_token = s.post_app("/admin/query_perms_check", &[("as-guest", "true")], &body).await;
    assert_eq!(no_token.status, 400, "the admin token is required too: {}", no_token.body);
    let a = s.admin_with("/admin/query_perms_check", &[("as-guest", "true")], &body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(ids_of(&a.body["result"]["todos"]), [TODO_A]);
    assert_eq!(a.body["rule-wheres"], Value::Null);
    let checks = a.body["check-results"].as_array().expect("check-results");
    let of = |id: &str| checks.iter().find(|c| c["id"] == id).cloned().expect("a check per entity");
    let denied = of(TODO_B);
    assert_eq!(denied["entity"], "todos");
    assert_eq!(denied["check"], false);
    assert_eq!(denied["record"]["title"], "b");
    assert_eq!(denied["program"], json!({"etype": "todos", "action": "view", "code": "data.public", "display-code": "data.public"}));
    assert_eq!(of(TODO_A)["check"], true);
    // a rules override, validated
    let open = s
        .admin_with(
            "/admin/query_perms_check",
            &[("as-guest", "true")],
            &json!({"query": {"todos": {}}, "rules-override": {"todos": {"allow": {"view": "true"}}}}),
        )
        .await;
    assert_eq!(open.body["result"]["todos"].as_array().map(Vec::len), Some(2), "{}", open.body);
    let invalid = s
        .admin_with(
            "/admin/query_perms_check",
            &[("as-guest", "true")],
            &json!({"query": {"todos": {}}, "rules-override": {"todos": {"allow": {"view": "nope("}}}}),
        )
        .await;
    assert_eq!((invalid.status, invalid.body["hint"]["data-type"].as_str()), (400, Some("rule")), "{}", invalid.body);
    // origin override reaches request.origin
    let by_origin = json!({"query": {"todos": {}}, "rules-override": {"todos": {"allow": {"view": "request.origin == 'https://app.example'"}}}, "origin-override": "https://app.example"});
    let o = s.admin_with("/admin/query_perms_check", &[("as-guest", "true")], &by_origin).await;
    assert_eq!(o.body["result"]["todos"].as_array().map(Vec::len), Some(2), "{}", o.body);
}

#[tokio::test]
async fn transact_perms_check_is_a_dry_run_unless_committed() {
    // spec §3.5
    let s = start().await;
    s.transact(json!([["update", "todos", TODO_A, {"title": "old"}]])).await;
    assert_eq!(set_rules(&s, json!({"todos": {"allow": {"update": "false"}}})).await.status, 200);
    let steps = json!([["update", "todos", TODO_A, {"title": "new"}]]);
    let a = s.admin_with("/admin/transact_perms_check", &[("as-guest", "true")], &json!({ "steps": steps })).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!((a.body["all-checks-ok?"].clone(), a.body["committed?"].clone()), (json!(false), json!(false)));
    assert!(a.body["tx-id"].as_u64().is_some());
    let check = &a.body["check-results"][0];
    assert_eq!(
        (check["scope"].as_str(), check["action"].as_str(), check["etype"].as_str()),
        (Some("object"), Some("update"), Some("todos"))
    );
    assert_eq!(check["eid"], TODO_A);
    assert_eq!(check["program"]["display-code"], "false");
    assert_eq!(check["bindings"]["data"]["title"], "old");
    assert_eq!(check["bindings"]["new-data"]["title"], "new");
    assert_eq!(check["bindings"]["modified-fields"], json!(["title"]));
    assert_eq!((check["check-result"].clone(), check["check-pass?"].clone()), (json!(false), json!(false)));
    assert_eq!(s.one("todos", TODO_A).await["title"], "old", "never committed");
    let open = json!({"steps": steps, "rules-override": {"todos": {"allow": {"update": "true"}}}});
    let dry = s.admin_with("/admin/transact_perms_check", &[("as-guest", "true")], &open).await;
    assert_eq!((dry.body["all-checks-ok?"].clone(), dry.body["committed?"].clone()), (json!(true), json!(false)));
    assert_eq!(s.one("todos", TODO_A).await["title"], "old", "a dry run by default");
    let mut commit = open.clone();
    commit["dangerously-commit-tx"] = json!(true);
    let done = s.admin_with("/admin/transact_perms_check", &[("as-guest", "true")], &commit).await;
    assert_eq!(done.body["committed?"], true, "{}", done.body);
    assert_eq!(s.one("todos", TODO_A).await["title"], "new");
}
