//! InstaML over HTTP (spec §6).
mod common;
use common::*;
use serde_json::{json, Value};

async fn one(s: &Server, ns: &str, id: &str) -> Value {
    s.query(json!({ns: {"$": {"where": {"id": id}}}})).await[ns][0].clone()
}

#[tokio::test]
async fn tx_ids_strictly_increase_and_empty_steps_are_valid() {
    // spec §3.2, §6.8
    let s = start().await;
    let a = s.transact(json!([])).await;
    let b = s.transact(json!([["update", "goals", uid(1), {"title": "x"}]])).await;
    assert!(b > a && a > 0);
}

#[tokio::test]
async fn update_create_and_modes() {
    // spec §6.5, §10 item 26
    let s = start().await;
    s.transact(json!([["create", "goals", uid(1), {"title": "a", "id": uid(9)}]])).await;
    assert_eq!(one(&s, "goals", &uid(1)).await, json!({"id": uid(1), "title": "a"}), "an `id` key is dropped");
    let a = s.transact_err(json!([["create", "goals", uid(1), {"title": "b"}]])).await;
    assert_error(&a, 400, "validation-failed", &format!("Validation failed for tx-step: Creating entities that exist: {0}, {0}", uid(1)));
    let a = s.transact_err(json!([["update", "goals", uid(2), {"title": "b"}, {"upsert": false}]])).await;
    assert_error(&a, 400, "validation-failed", &format!("Validation failed for tx-step: Updating entities that don't exist: {0}, {0}", uid(2)));
    s.transact(json!([["update", "goals", uid(1), {"title": null}, {"upsert": false}], ["update", "goals", uid(3), {"n": 1}, null]])).await;
    assert_eq!(one(&s, "goals", &uid(1)).await, json!({"id": uid(1), "title": null}));
    let a = s.transact_err(json!([["create", "goals", uid(4), {}, {"upsert": true}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps");
}

#[tokio::test]
async fn merge_follows_jsonb_deep_merge() {
    // spec §6.5 merge, §10 item 27
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"m": {"a": {"b": 1, "c": 2}, "l": [1, 2]}, "n": 5}]])).await;
    s.transact(json!([["merge", "goals", uid(1), {"m": {"a": {"c": null, "d": {"e": null}}, "l": [3]}, "n": {"x": 1}}], ["merge", "goals", uid(1), {"m": {"z": 0}}]])).await;
    assert_eq!(one(&s, "goals", &uid(1)).await, json!({"id": uid(1), "m": {"a": {"b": 1, "d": {"e": null}}, "l": [3], "z": 0}, "n": {"x": 1}}));
}

#[tokio::test]
async fn merge_into_a_link_is_sql_raise() {
    // spec §6.5 merge
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {}], ["link", "goals", uid(1), {"todos": uid(2)}]])).await;
    let a = s.transact_err(json!([["merge", "goals", uid(1), {"todos": {"a": 1}}]])).await;
    assert_error(&a, 400, "sql-raise", "Raised Exception: merge operation is not supported for links");
}

#[tokio::test]
async fn links_created_from_unknown_labels_point_at_a_namespace_named_after_the_label() {
    // spec §6.4, §10 item 23
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"t": 1}], ["update", "todos", uid(2), {"x": 1}], ["link", "goals", uid(1), {"todos": uid(2)}]])).await;
    let r = s.query(json!({"todos": {"goals": {}}})).await;
    assert_eq!(ids_of(&r["todos"][0]["goals"]), [uid(1)]);
    let a = s.admin("/admin/transact", json!({"steps": [["update", "goals", uid(1), {"color": "red"}]], "throw-on-missing-attrs?": true})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps: Attributes are missing in your schema");
    assert_eq!(a.body["hint"]["errors"][0]["hint"], json!({"attributes": ["goals.color"]}));
}

#[tokio::test]
async fn has_one_link_replaces_and_reverse_unique_conflicts() {
    // spec §6.5 link, §10 item 28
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([["update", "goals", uid(1), {"title": "a"}], ["update", "goals", uid(2), {"title": "b"}],
                      ["update", "projects", uid(7), {"name": "p"}], ["update", "projects", uid(8), {"name": "q"}],
                      ["update", "todos", uid(5), {"text": "t"}]])).await;
    s.transact(json!([["link", "goals", uid(1), {"project": uid(7)}]])).await;
    s.transact(json!([["link", "goals", uid(1), {"project": uid(8)}]])).await;
    assert_eq!(one(&s, "goals", &uid(1)).await["project"], uid(8));
    s.transact(json!([["link", "goals", uid(1), {"todos": uid(5)}], ["link", "goals", uid(1), {"todos": uid(5)}]])).await;
    let a = s.transact_err(json!([["link", "goals", uid(2), {"todos": uid(5)}]])).await;
    assert_eq!((a.status, a.body["type"].as_str()), (400, Some("record-not-unique")));
    let a = s.transact_err(json!([["link", "goals", uid(2), {"todos": "not-a-uuid"}]])).await;
    assert_eq!(a.status, 400);
}

#[tokio::test]
async fn unlink_and_op_grouping_order() {
    // spec §6.6, §10 item 20
    let s = start().await;
    s.transact(json!([["update", "a", uid(1), {"v": 1}], ["update", "b", uid(2), {"v": 2}]])).await;
    s.transact(json!([["link", "a", uid(1), {"b": uid(2)}], ["unlink", "a", uid(1), {"b": uid(2)}]])).await;
    assert_eq!(s.query(json!({"a": {"b": {}}})).await["a"][0]["b"], json!([]));
    s.transact(json!([["unlink", "a", uid(1), {"b": uid(2)}], ["link", "a", uid(1), {"b": uid(2)}]])).await;
    assert_eq!(ids_of(&s.query(json!({"a": {"b": {}}})).await["a"][0]["b"]), [uid(2)]);
    s.transact(json!([["update", "a", uid(1), {"w": 1}], ["delete", "a", uid(1)]])).await;
    assert_eq!(s.query(json!({"a": {}})).await, json!({"a": []}));
    s.transact(json!([["update", "a", uid(3), {"v": 1, "w": 2}]])).await;
    s.transact(json!([["delete", "a", uid(3)], ["update", "a", uid(3), {"v": 9}], ["delete", "a", uid(3)]])).await;
    assert_eq!(one(&s, "a", &uid(3)).await, json!({"id": uid(3), "v": 9}));
}

#[tokio::test]
async fn delete_removes_inbound_links_cascades_and_keeps_other_namespaces() {
    // spec §6.5 delete, §10 item 29
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([["update", "projects", uid(7), {"name": "p"}], ["update", "goals", uid(1), {"title": "g"}],
                      ["update", "todos", uid(5), {"text": "t"}], ["update", "other", uid(1), {"same": "uuid"}],
                      ["link", "goals", uid(1), {"project": uid(7), "todos": uid(5)}]])).await;
    s.transact(json!([["delete", "projects", uid(7)], ["delete", "goals", uid(99), null]])).await;
    assert_eq!(s.query(json!({"goals": {}, "todos": {}, "projects": {}})).await, json!({"goals": [], "todos": [], "projects": []}));
    assert_eq!(one(&s, "other", &uid(1)).await, json!({"id": uid(1), "same": "uuid"}));
}

#[tokio::test]
async fn lookups_as_entity_ids_and_link_targets() {
    // spec §6.2, §6.3, §10 items 24–25
    let s = start().await;
    s.transact(json!([["update", "users", "lookup__email__\"a@x.com\"", {"name": "A"}]])).await;
    s.transact(json!([["update", "users", ["email", "a@x.com"], {"age": 3}], ["merge", "users", {"email": "b@x.com"}, {"name": "B"}]])).await;
    let users = s.query(json!({"users": {"$": {"order": {"serverCreatedAt": "asc"}}}})).await;
    assert_eq!(users["users"][0]["name"], "A");
    assert_eq!(users["users"][0]["age"], 3);
    assert_eq!(users["users"][1]["email"], "b@x.com");
    s.transact(json!([["update", "posts", uid(1), {"t": 1}], ["link", "posts", uid(1), {"users": {"email": "a@x.com"}}]])).await;
    let a = s.transact_err(json!([["link", "posts", uid(1), {"users": {"email": "zzz@x.com"}}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: The entity for the lookup does not exist.");
    s.transact(json!([["delete", "users", ["email", "nobody@x.com"]]])).await;
    let a = s.transact_err(json!([["update", "users", ["name", "A"], {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: name is not a unique attribute on users");
    let a = s.transact_err(json!([["update", "users", {"a": 1, "b": 2}, {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: lookup must be an object with a single unique attr and value.");
    let a = s.transact_err(json!([["update", "users", "lookup__email__nope", {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: lookup value is invalid");
    let a = s.transact_err(json!([["update", "users", ["email", "new@x.com"], {"email": "other@x.com"}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: Updates with lookups can only update the lookup attribute if an entity with the unique attribute value already exists.");
    let a = s.transact_err(json!([["update", "users", ["x.y", 1], {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: x.y is not a valid lookup attribute.");
}

#[tokio::test]
async fn step_validation_errors() {
    // spec §6.1, §6.2, §10 item 21
    let s = start().await;
    let a = s.transact_err(json!([["update", "goals", uid(1), {}], ["update", "goals", "12345", {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps: Invalid entity ID '12345'. Entity IDs must be UUIDs or lookup references.");
    assert_eq!(a.body["hint"]["errors"][0]["in"], json!([1, 2]));
    let a = s.transact_err(json!([["update", 5, uid(1), {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps");
    assert_eq!(a.body["hint"]["errors"][0]["in"], json!([0, 1]));
    let a = s.transact_err(json!([["frobnicate", "goals", uid(1), {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps");
    let a = s.transact_err(json!([["update-attr", {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for action: Unsupported action update-attr");
    let a = s.transact_err(json!([["link", "goals", uid(1), "todos"]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps");
    let a = s.transact_err(json!({"not": "a list"})).await;
    assert_eq!(a.status, 400);
}

#[tokio::test]
async fn values_uuids_nul_bytes_types_required_and_unique() {
    // spec §6.7, §10 item 22
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([["update", "todos", uid(1).to_uppercase(), {"ref": "AAAAAAAA-0000-4000-8000-00000000000A", "nested": ["BBBBBBBB-0000-4000-8000-00000000000B"]}]])).await;
    assert_eq!(one(&s, "todos", &uid(1)).await, json!({"id": uid(1), "done": null, "ref": "aaaaaaaa-0000-4000-8000-00000000000a", "nested": ["bbbbbbbb-0000-4000-8000-00000000000b"]}));
    let a = s.transact_err(json!([["update", "todos", uid(2), {"text": "a\u{0000}b"}]])).await;
    assert_error(&a, 400, "validation-failed", "A value in the transaction contains null bytes, which cannot be stored.");
    let a = s.transact_err(json!([["update", "goals", uid(3), {"title": "t", "priority": "high"}]])).await;
    assert_error(&a, 400, "validation-failed", "Invalid value type for goals.priority. Value must be a number but the provided value type is string.");
    assert_eq!(a.body["hint"]["checked-data-type"], "number");
    let a = s.transact_err(json!([["update", "projects", uid(4), {"other": 1}]])).await;
    assert_error(&a, 400, "validation-failed", &format!("Missing required attribute `projects/name`: {}", uid(4)));
    s.transact(json!([["update", "goals", uid(5), {"slug": "s"}]])).await;
    let a = s.transact_err(json!([["update", "goals", uid(6), {"slug": "s"}]])).await;
    assert_error(&a, 400, "record-not-unique", "`slug` is a unique attribute on `goals` and an entity already exists with `goals.slug` = \"s\"");
    let a = s.transact_err(json!([["update", "$magicCodes", uid(7), {"x": 1}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for attributes: $ is reserved for system tables. You can't create $magicCodes");
}

#[tokio::test]
async fn a_failing_step_applies_nothing() {
    // spec §6.8 atomicity
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([["update", "goals", uid(1), {"title": "kept"}]])).await;
    let a = s.transact_err(json!([["update", "goals", uid(1), {"title": "changed"}], ["update", "brand", uid(2), {"new": 1}],
                                  ["delete", "goals", uid(1)], ["update", "goals", uid(3), {"priority": "bad"}]])).await;
    assert_eq!(a.status, 400);
    assert_eq!(s.query(json!({"goals": {}, "brand": {}})).await["goals"][0]["title"], "kept");
    assert_eq!(s.query(json!({"brand": {}})).await, json!({"brand": []}));
    let a = s.admin("/admin/transact", json!({"steps": [["update", "brand", uid(2), {"new": 1}]], "throw-on-missing-attrs?": true})).await;
    assert_eq!(a.status, 400, "the failed transaction created no attributes either");
}
