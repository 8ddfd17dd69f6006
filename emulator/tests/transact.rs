//! InstaML over `POST /admin/transact` (spec §3.2, §6, §10 items 20–30).
mod common;
use common::*;
use serde_json::{json, Value};

/// `{ns: {<link>: {}}}` → the linked ids of entity `id`.
async fn linked(s: &Server, ns: &str, id: &str, link: &str) -> Vec<String> {
    let r = s.query(json!({ns: {"$": {"where": {"id": id}}, link: {}}})).await;
    ids_of(&r[ns][0][link])
}

async fn all(s: &Server, ns: &str) -> Vec<String> {
    s.ids(json!({ns: {}}), ns).await
}

// ================================================================ §3.2 / §6.8 response

#[tokio::test]
async fn response_is_exactly_a_positive_integer_tx_id() {
    // spec §3.2, §10 item 30
    let s = start().await;
    let a = s.admin("/admin/transact", json!({"steps": [["update", "goals", uid(1), {"t": 1}]]})).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()), Some(vec!["tx-id".to_owned()]));
    assert!(a.body["tx-id"].is_u64() && a.body["tx-id"].as_u64() > Some(0), "{}", a.body);
}

#[tokio::test]
async fn tx_ids_strictly_increase_and_empty_steps_still_transact() {
    // spec §3.2: empty array valid and still creates a transaction; ids strictly increasing per deployment
    let s = start().await;
    let other = s.new_app(None).await;
    let a = s.transact(json!([])).await;
    let b = s.transact(json!([["update", "goals", uid(1), {"title": "x"}]])).await;
    let c = other.transact(json!([])).await;
    let d = s.transact(json!([])).await;
    assert!(a < b && b < c && c < d, "{a} {b} {c} {d}");
}

// ================================================================ §6.5 update / create

#[tokio::test]
async fn update_upserts_then_overwrites_given_attributes_only() {
    // spec §6.5 update: upsert by default; cardinality-one replace of the given attributes
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"a": 1, "b": {"x": 1}}]])).await;
    s.transact(json!([["update", "goals", uid(1), {"b": {"y": 2}, "c": [1]}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "a": 1, "b": {"y": 2}, "c": [1]}));
}

#[tokio::test]
async fn update_with_null_stores_json_null() {
    // spec §6.5 update: null stores JSON null (renders as null)
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"a": 1}]])).await;
    s.transact(json!([["update", "goals", uid(1), {"a": null, "b": null}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "a": null, "b": null}));
}

#[tokio::test]
async fn an_id_key_in_attrs_is_dropped() {
    // spec §6.1: the step's eid wins (`ignore-id-in-transaction`)
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"title": "a", "id": uid(9)}], ["create", "goals", uid(2), {"id": uid(8)}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "title": "a"}));
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2)]);
}

#[tokio::test]
async fn update_with_upsert_false_requires_an_existing_entity() {
    // spec §6.1 opts, §6.5, §10 item 26
    let s = start().await;
    let a = s.transact_err(json!([["update", "goals", uid(2), {"title": "b"}, {"upsert": false}]])).await;
    assert_error_contains(&a, 400, "validation-failed", &format!("Updating entities that don't exist: {}", uid(2)));
    assert_eq!(all(&s, "goals").await, none());
    s.transact(json!([["update", "goals", uid(1), {"title": "a"}]])).await;
    s.transact(json!([["update", "goals", uid(1), {"title": "b"}, {"upsert": false}]])).await;
    s.transact(json!([["update", "goals", uid(3), {"n": 1}, null], ["update", "goals", uid(4), {"n": 2}, {"upsert": true}]])).await;
    assert_eq!(all(&s, "goals").await, [uid(1), uid(3), uid(4)]);
    assert_eq!(s.one("goals", &uid(1)).await["title"], "b");
}

#[tokio::test]
async fn create_writes_a_new_entity() {
    // spec §6.5 create
    let s = start().await;
    s.transact(json!([["create", "goals", uid(1), {"title": "a", "n": 2}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "title": "a", "n": 2}));
}

#[tokio::test]
async fn create_on_an_existing_entity_repeats_the_id_per_written_attribute() {
    // spec §6.5 create, §10 item 26: id once per generated triple (incl. `id`)
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"title": "a"}]])).await;
    let a = s.transact_err(json!([["create", "goals", uid(1), {"title": "b", "n": 1}]])).await;
    assert_error(
        &a,
        400,
        "validation-failed",
        &format!("Validation failed for tx-step: Creating entities that exist: {0}, {0}, {0}", uid(1)),
    );
    let a = s.transact_err(json!([["create", "goals", uid(1), {}]])).await;
    assert_error(&a, 400, "validation-failed", &format!("Validation failed for tx-step: Creating entities that exist: {0}", uid(1)));
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "title": "a"}));
}

#[tokio::test]
async fn existence_is_per_namespace() {
    // spec §6.5 create (`create-same-eid-different-etype`)
    let s = start().await;
    s.transact(json!([["create", "goals", uid(1), {"a": 1}]])).await;
    s.transact(json!([["create", "todos", uid(1), {"b": 2}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "a": 1}));
    assert_eq!(s.one("todos", &uid(1)).await, json!({"id": uid(1), "b": 2}));
}

#[tokio::test]
async fn create_accepts_no_opts() {
    // spec §6.1: a 5th element on create fails validation
    let s = start().await;
    let a = s.transact_err(json!([["create", "goals", uid(4), {}, {"upsert": true}]])).await;
    assert_invalid(&a);
    assert_eq!(all(&s, "goals").await, none());
}

// ================================================================ §6.5 merge

#[tokio::test]
async fn merge_deep_merges_objects_and_null_removes_keys() {
    // spec §6.5 merge, §10 item 27 (jsonb_deep_merge)
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"m": {"a": {"b": 1, "c": 2}, "k": "v"}}]])).await;
    s.transact(json!([["merge", "goals", uid(1), {"m": {"a": {"c": null, "d": {"e": null}}, "n": 1}}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await["m"], json!({"a": {"b": 1, "d": {"e": null}}, "k": "v", "n": 1}));
}

#[tokio::test]
async fn merge_replaces_non_objects() {
    // spec §6.5 merge: if either side is not an object, the patch replaces (arrays not concatenated)
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"l": [1, 2], "n": 5, "o": {"x": 1}, "s": "str", "p": {"q": [1]}}]])).await;
    s.transact(json!([["merge", "goals", uid(1), {"l": [3], "n": {"x": 1}, "o": 7, "s": "new", "p": {"q": [2]}}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "l": [3], "n": {"x": 1}, "o": 7, "s": "new", "p": {"q": [2]}}));
}

#[tokio::test]
async fn merge_with_top_level_null_sets_null() {
    // spec §6.5 merge: a top-level null patch sets the attribute to null
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"m": {"a": 1}}]])).await;
    s.transact(json!([["merge", "goals", uid(1), {"m": null}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "m": null}));
}

#[tokio::test]
async fn nested_nulls_in_set_values_are_kept() {
    // spec §6.5 merge: nested nulls inside a value that is set (not merged) are kept as-is
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"m": {"a": null, "b": {"c": null}}}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await["m"], json!({"a": null, "b": {"c": null}}));
}

#[tokio::test]
async fn several_merges_in_one_transaction_apply_in_order() {
    // spec §6.5 merge
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"m": {"a": 1}}]])).await;
    s.transact(json!([["merge", "goals", uid(1), {"m": {"b": 2}}], ["merge", "goals", uid(1), {"m": {"a": null, "c": 3}}], ["merge", "goals", uid(1), {"m": {"c": 4}}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await["m"], json!({"b": 2, "c": 4}));
}

#[tokio::test]
async fn merge_upserts_and_honours_upsert_false() {
    // spec §6.1/§6.5: merge has the same opts as update
    let s = start().await;
    s.transact(json!([["merge", "goals", uid(1), {"m": {"a": 1}}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "m": {"a": 1}}));
    let a = s.transact_err(json!([["merge", "goals", uid(2), {"m": {"a": 1}}, {"upsert": false}]])).await;
    assert_error_contains(&a, 400, "validation-failed", &format!("Updating entities that don't exist: {}", uid(2)));
}

#[tokio::test]
async fn merge_into_a_link_is_sql_raise() {
    // spec §6.5 merge: 400 sql-raise, exact message
    let s = seeded().await;
    let a = s.transact_err(json!([["merge", "goals", uid(1), {"todos": {"a": 1}}]])).await;
    assert_error(&a, 400, "sql-raise", "Raised Exception: merge operation is not supported for links");
}

// ================================================================ §6.5 link / unlink

#[tokio::test]
async fn link_accepts_single_targets_arrays_and_either_label() {
    // spec §6.1 link, §6.3: single target or array; forward or reverse label
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([
        ["update", "goals", uid(1), {"title": "a"}], ["update", "goals", uid(2), {"title": "b"}],
        ["update", "todos", uid(11), {}], ["update", "todos", uid(12), {}], ["update", "todos", uid(13), {}]
    ]))
    .await;
    s.transact(json!([["link", "goals", uid(1), {"todos": [uid(11), uid(12)]}], ["link", "todos", uid(13), {"goal": uid(2)}]])).await;
    assert_eq!(linked(&s, "goals", &uid(1), "todos").await, [uid(11), uid(12)]);
    assert_eq!(linked(&s, "goals", &uid(2), "todos").await, [uid(13)]);
    assert_eq!(linked(&s, "todos", &uid(13), "goal").await, [uid(2)]);
    // re-linking an existing pair is a no-op
    s.transact(json!([["link", "goals", uid(1), {"todos": uid(11)}], ["link", "todos", uid(11), {"goal": uid(1)}]])).await;
    assert_eq!(linked(&s, "goals", &uid(1), "todos").await, [uid(11), uid(12)]);
}

#[tokio::test]
async fn forward_has_one_link_replaces_the_previous_target() {
    // spec §6.5 link, §10 item 28
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([["update", "goals", uid(1), {}], ["update", "projects", uid(7), {"name": "p"}], ["update", "projects", uid(8), {"name": "q"}]])).await;
    s.transact(json!([["link", "goals", uid(1), {"project": uid(7)}]])).await;
    s.transact(json!([["link", "goals", uid(1), {"project": uid(8)}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await["project"], uid(8));
    assert_eq!(linked(&s, "projects", &uid(7), "goals").await, none());
    assert_eq!(linked(&s, "projects", &uid(8), "goals").await, [uid(1)]);
}

#[tokio::test]
async fn reverse_has_one_conflict_is_record_not_unique() {
    // spec §6.5 link, §10 item 28: linking a target already linked from another source
    let s = seeded().await;
    let a = s.transact_err(json!([["link", "goals", uid(2), {"todos": uid(11)}]])).await;
    assert_error_type(&a, 400, "record-not-unique");
    let a = s.transact_err(json!([["link", "todos", uid(11), {"goal": uid(2)}]])).await;
    assert_error_type(&a, 400, "record-not-unique");
    assert_eq!(linked(&s, "todos", &uid(11), "goal").await, [uid(1)]);
}

#[tokio::test]
async fn link_targets_may_be_lookups() {
    // spec §6.3: lookup string or object target (each object entry one lookup)
    let s = seeded().await;
    s.transact(json!([["update", "todos", uid(14), {}], ["update", "todos", uid(15), {}]])).await;
    s.transact(
        json!([["link", "todos", uid(14), {"goal": "lookup__slug__\"ship\""}], ["link", "todos", uid(15), {"goal": {"slug": "fit"}}]]),
    )
    .await;
    assert_eq!(linked(&s, "todos", &uid(14), "goal").await, [uid(2)]);
    assert_eq!(linked(&s, "todos", &uid(15), "goal").await, [uid(1)]);
    s.transact(
        json!([["update", "projects", uid(7), {"name": "p"}], ["link", "projects", uid(7), {"goals": ["lookup__slug__\"fit\"", uid(3)]}]]),
    )
    .await;
    assert_eq!(linked(&s, "projects", &uid(7), "goals").await, [uid(1), uid(3)]);
}

#[tokio::test]
async fn link_target_lookups_must_exist() {
    // spec §6.3: never created; `The entity for the lookup does not exist.` (data-type lookup)
    let s = seeded().await;
    s.transact(json!([["update", "todos", uid(14), {}]])).await;
    // forward label (goals.owner → $users.email)
    for target in [json!({"email": "zz@x.com"}), json!("lookup__email__\"zz@x.com\"")] {
        let a = s.transact_err(json!([["link", "goals", uid(3), {"owner": target}]])).await;
        assert_error(&a, 400, "validation-failed", "Validation failed for lookup: The entity for the lookup does not exist.");
    }
    assert_eq!(s.query(json!({"$users": {}})).await, json!({"$users": []}));
    // reverse label (todos.goal → goals.slug)
    let a = s.transact_err(json!([["link", "todos", uid(14), {"goal": {"slug": "nope"}}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: The entity for the lookup does not exist.");
    let a = s.transact_err(json!([["link", "todos", uid(14), {"goal": "lookup__slug__\"nope\""}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: The entity for the lookup does not exist.");
    assert_eq!(s.ids_where("goals", json!({"slug": "nope"})).await, none());
}

#[tokio::test]
async fn link_targets_must_be_uuids_or_lookups() {
    // spec §6.3; a plain string fails the `::link-value` step spec (srv/admin/model.clj) before the
    // database's `Linked value must be a valid uuid.`, which a ref value written by `update` reaches.
    // A 2-element array is two targets, not a pair.
    let s = seeded().await;
    let a = s.transact_err(json!([["link", "goals", uid(3), {"todos": "not-a-uuid"}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "Validation failed for steps");
    let a = s.transact_err(json!([["update", "goals", uid(3), {"todos": "not-a-uuid"}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "Linked value must be a valid uuid.");
    let a = s.transact_err(json!([["link", "goals", uid(3), {"todos": ["text", "Run"]}]])).await;
    assert_invalid(&a);
    let a = s.transact_err(json!([["link", "goals", uid(3), {"todos": 5}]])).await;
    assert_invalid(&a);
}

#[tokio::test]
async fn unlink_removes_pairs_and_ignores_absent_ones() {
    // spec §6.5 unlink
    let s = seeded().await;
    s.transact(json!([["unlink", "goals", uid(1), {"todos": [uid(11), uid(13)]}], ["unlink", "goals", uid(3), {"todos": uid(12)}]])).await;
    assert_eq!(linked(&s, "goals", &uid(1), "todos").await, [uid(12)]);
    assert_eq!(linked(&s, "goals", &uid(2), "todos").await, [uid(13)]);
    s.transact(json!([["unlink", "todos", uid(12), {"goal": uid(1)}]])).await;
    assert_eq!(linked(&s, "goals", &uid(1), "todos").await, none());
    assert_eq!(all(&s, "todos").await, [uid(11), uid(12), uid(13)], "unlink deletes no entity");
}

#[tokio::test]
async fn link_from_a_plain_uuid_source_does_not_create_it() {
    // spec §6.5 link: no `id` triple for a plain UUID source → not returned by {ns: {}}
    let s = seeded().await;
    s.transact(json!([["update", "todos", uid(14), {}], ["link", "goals", uid(9), {"todos": uid(14)}]])).await;
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2), uid(3)]);
}

#[tokio::test]
async fn lookup_sources_of_link_and_unlink_are_created() {
    // spec §6.2, §6.5 link/unlink, §10 item 25
    let s = seeded().await;
    s.transact(json!([["update", "todos", uid(14), {}], ["link", "goals", ["slug", "new"], {"todos": uid(14)}]])).await;
    let r = s.query(json!({"goals": {"$": {"where": {"slug": "new"}}, "todos": {}}})).await;
    assert_eq!(ids_of(&r["goals"][0]["todos"]), [uid(14)]);
    s.transact(json!([["unlink", "goals", {"slug": "other"}, {"todos": uid(14)}]])).await;
    assert_eq!(s.ids_where("goals", json!({"slug": "other"})).await.len(), 1);
}

// ================================================================ §6.5 delete

#[tokio::test]
async fn delete_removes_the_entity_and_inbound_links() {
    // spec §6.5 delete
    let s = seeded().await;
    s.transact(json!([["delete", "todos", uid(11)]])).await;
    assert_eq!(all(&s, "todos").await, [uid(12), uid(13)]);
    assert_eq!(linked(&s, "goals", &uid(1), "todos").await, [uid(12)]);
    assert_eq!(s.ids_where("goals", json!({"todos": uid(11)})).await, none());
}

#[tokio::test]
async fn delete_without_cascade_keeps_linked_entities() {
    // spec §6.5 delete: only `on-delete` links cascade (goals.owner has none)
    let s = seeded().await;
    s.transact(json!([["update", "$users", uid(50), {"email": "o@x.com"}], ["link", "goals", uid(3), {"owner": uid(50)}]])).await;
    s.transact(json!([["delete", "goals", uid(3)]])).await;
    assert_eq!(s.query(json!({"$users": {"goals": {}}})).await, json!({"$users": [{"id": uid(50), "email": "o@x.com", "goals": []}]}));
    s.transact(json!([["link", "goals", uid(2), {"owner": uid(50)}], ["delete", "$users", uid(50)]])).await;
    let g = s.one("goals", &uid(2)).await;
    assert!(g.get("owner").is_none(), "inbound ref removed: {g}");
}

#[tokio::test]
async fn delete_follows_forward_on_delete_cascade() {
    // spec §6.5 delete, platform §4.1: goals.project has onDelete cascade → deleting a project deletes
    // its goals, and (reverse cascade on goals.todos) their todos; unrelated data stays
    let s = seeded().await;
    s.transact(json!([["update", "projects", uid(7), {"name": "p"}], ["link", "goals", uid(1), {"project": uid(7)}]])).await;
    s.transact(json!([["delete", "projects", uid(7)]])).await;
    assert_eq!(all(&s, "projects").await, none());
    assert_eq!(all(&s, "goals").await, [uid(2), uid(3)]);
    assert_eq!(all(&s, "todos").await, [uid(13)]);
}

#[tokio::test]
async fn delete_follows_reverse_on_delete_cascade() {
    // spec §6.5 delete: todos.goal (reverse) has onDelete cascade → deleting a goal deletes its todos
    let s = seeded().await;
    s.transact(json!([["delete", "goals", uid(2)]])).await;
    assert_eq!(all(&s, "todos").await, [uid(11), uid(12)]);
    s.transact(json!([["delete", "todos", uid(11)]])).await;
    assert_eq!(all(&s, "goals").await, [uid(1), uid(3)], "no cascade from the child side");
}

#[tokio::test]
async fn delete_of_a_missing_entity_succeeds_and_extra_elements_are_ignored() {
    // spec §6.1 delete, §6.5 delete
    let s = seeded().await;
    s.transact(json!([["delete", "goals", uid(99)], ["delete", "nowhere", uid(98), null], ["delete", "goals", uid(97), null, "x"]])).await;
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2), uid(3)]);
}

#[tokio::test]
async fn delete_leaves_other_namespaces_with_the_same_uuid() {
    // spec §6.5 delete
    let s = start().await;
    s.transact(json!([["update", "a", uid(1), {"x": 1}], ["update", "b", uid(1), {"y": 2}]])).await;
    s.transact(json!([["delete", "a", uid(1)]])).await;
    assert_eq!(all(&s, "a").await, none());
    assert_eq!(s.one("b", &uid(1)).await, json!({"id": uid(1), "y": 2}));
}

#[tokio::test]
async fn delete_by_lookup() {
    // spec §6.2: delete with an unresolved lookup is a silent no-op; a resolved one deletes
    let s = seeded().await;
    s.transact(json!([["delete", "goals", ["slug", "nope"]]])).await;
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2), uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"slug": "nope"})).await, none());
    s.transact(json!([["delete", "goals", "lookup__slug__\"fit\""]])).await;
    assert_eq!(all(&s, "goals").await, [uid(2), uid(3)]);
}

// ================================================================ §6.2 lookups

#[tokio::test]
async fn lookup_forms_create_then_resolve_the_same_entity() {
    // spec §6.2: string, pair and object lookups; a miss creates (random id, lookup attr set)
    let s = start().await;
    s.transact(json!([["update", "users", "lookup__email__\"a@x.com\"", {"name": "A"}]])).await;
    s.transact(json!([["update", "users", ["email", "a@x.com"], {"age": 3}]])).await;
    s.transact(json!([["merge", "users", {"email": "a@x.com"}, {"meta": {"k": 1}}]])).await;
    let r = s.query(json!({"users": {}})).await;
    assert_eq!(r["users"].as_array().map(Vec::len), Some(1), "{r}");
    let user = &r["users"][0];
    assert_eq!(
        (user["email"].clone(), user["name"].clone(), user["age"].clone(), user["meta"].clone()),
        (json!("a@x.com"), json!("A"), json!(3), json!({"k": 1}))
    );
    let id = user["id"].as_str().expect("id");
    assert!(uuid::Uuid::parse_str(id).is_ok() && id == id.to_lowercase());
    // create with a lookup source also creates (spec §10 item 25)
    s.transact(json!([["create", "users", ["email", "c@x.com"], {"name": "C"}]])).await;
    assert_eq!(s.query(json!({"users": {"$": {"where": {"email": "c@x.com"}}}})).await["users"][0]["name"], "C");
}

#[tokio::test]
async fn lookup_strings_split_on_the_first_double_underscore() {
    // spec §6.2: segments after the attribute are re-joined with `__` and parsed as JSON
    let s = start().await;
    s.transact(json!([["update", "users", "lookup__handle__\"a__b\"", {"n": 1}]])).await;
    assert_eq!(s.query(json!({"users": {"$": {"where": {"handle": "a__b"}}}})).await["users"][0]["n"], 1);
    s.transact(json!([["update", "users", "lookup__code__42", {"n": 2}]])).await;
    assert_eq!(s.query(json!({"users": {"$": {"where": {"code": 42}}}})).await["users"][0]["n"], 2);
}

#[tokio::test]
async fn lookup_on_a_schema_unique_attribute_resolves_existing_entities() {
    // spec §6.2
    let s = seeded().await;
    s.transact(json!([["update", "goals", ["slug", "fit"], {"title": "Get fitter"}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await["title"], "Get fitter");
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2), uid(3)]);
}

#[tokio::test]
async fn lookup_may_change_its_attribute_only_when_the_entity_exists() {
    // spec §6.2: exact message for a missing entity
    let s = seeded().await;
    s.transact(json!([["update", "goals", ["slug", "fit"], {"slug": "fit2"}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await["slug"], "fit2");
    let a = s.transact_err(json!([["update", "goals", ["slug", "new"], {"slug": "other"}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for lookup: Updates with lookups can only update the lookup attribute if an entity with the unique attribute value already exists.");
}

#[tokio::test]
async fn lookup_on_id_uses_the_value_as_the_id() {
    // spec §6.2: a missing entity is created with the value itself when the attribute is `id`
    let s = start().await;
    s.transact(json!([["update", "goals", ["id", uid(5)], {"t": 1}]])).await;
    assert_eq!(s.one("goals", &uid(5)).await, json!({"id": uid(5), "t": 1}));
    let a = s.transact_err(json!([["update", "goals", ["id", "nope"], {}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "The lookup attribute is 'goals.id', but the lookup value is not a valid UUID.");
}

#[tokio::test]
async fn link_id_lookup_resolves_through_a_unique_link() {
    // spec §6.2: `["<link>.id", uuid]` (goals.todos is unique on the todo side)
    let s = seeded().await;
    s.transact(json!([["update", "goals", ["todos.id", uid(13)], {"title": "via todo"}]])).await;
    assert_eq!(s.one("goals", &uid(2)).await["title"], "via todo");
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2), uid(3)]);
}

#[tokio::test]
async fn lookup_validation_errors() {
    // spec §6.2 lookup rules
    let s = seeded().await;
    let a = s.transact_err(json!([["update", "goals", ["title", "Get fit"], {}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "title is not a unique attribute on goals");
    let a = s.transact_err(json!([["update", "goals", {"slug": "fit", "title": "x"}, {}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "lookup must be an object with a single unique attr and value.");
    let a = s.transact_err(json!([["update", "goals", "lookup__slug__nope", {}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "lookup value is invalid");
    let a = s.transact_err(json!([["update", "goals", ["title.x", 1], {}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "title.x is not a valid lookup attribute.");
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2), uid(3)]);
}

// ================================================================ §6.4 attribute auto-creation

#[tokio::test]
async fn auto_created_plain_attributes_are_untyped_and_unindexed() {
    // spec §6.4 row 2: not unique, not indexed, untyped
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"color": "red"}], ["update", "goals", uid(2), {"color": 5}], ["update", "goals", uid(3), {"size": 1}]])).await;
    assert_eq!(s.one("goals", &uid(3)).await, json!({"id": uid(3), "size": 1}), "unset ⇒ absent, not null");
    let a = s.query_err(json!({"goals": {"$": {"where": {"color": {"$in": [null]}}}}})).await;
    assert_validation(&a, "Only indexed attrs can check for `nil` in `$in`. goals.color is not indexed.");
    s.transact(json!([["update", "goals", uid(4), {"color": "red"}]])).await;
    assert_eq!(s.ids_where("goals", json!({"color": "red"})).await, [uid(1), uid(4)], "not unique");
}

#[tokio::test]
async fn auto_created_id_attributes_are_unique_but_not_indexed() {
    // spec §6.4 row 1, §10 item 24 (observable through §5.4 `$in` with null, which needs an index)
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"t": 1}]])).await;
    let a = s.query_err(json!({"goals": {"$": {"where": {"id": {"$in": [null]}}}}})).await;
    assert_validation(&a, "Only indexed attrs can check for `nil` in `$in`. goals.id is not indexed.");
    s.transact(json!([["update", "goals", ["id", uid(1)], {"t": 2}]])).await;
    assert_eq!(s.one("goals", &uid(1)).await, json!({"id": uid(1), "t": 2}), "unique ⇒ usable as a lookup");
}

#[tokio::test]
async fn auto_created_lookup_attributes_are_unique_and_indexed() {
    // spec §6.4 row 4, §10 item 24; indexed ⇒ back-filled null (§5.9) and `$in: [null]` allowed
    let s = start().await;
    s.transact(json!([["update", "users", uid(1), {"name": "A"}]])).await;
    s.transact(json!([["update", "users", ["email", "b@x.com"], {"name": "B"}]])).await;
    assert_eq!(s.one("users", &uid(1)).await, json!({"id": uid(1), "name": "A", "email": null}));
    assert_eq!(s.ids_where("users", json!({"email": {"$in": [null]}})).await, [uid(1)]);
    let a = s.transact_err(json!([["update", "users", uid(1), {"email": "b@x.com"}]])).await;
    assert_error_type(&a, 400, "record-not-unique");
}

#[tokio::test]
async fn linking_an_unknown_label_targets_a_namespace_named_after_it() {
    // spec §6.4 row 3, §10 item 23: forward (N, L) ↔ reverse (L, N), cardinality many, not unique
    let s = start().await;
    s.transact(json!([["update", "posts", uid(1), {"t": 1}], ["update", "posts", uid(2), {"t": 2}], ["update", "comments", uid(11), {"x": 1}], ["update", "comments", uid(12), {"x": 2}]])).await;
    s.transact(json!([["link", "posts", uid(1), {"comments": [uid(11), uid(12)]}], ["link", "posts", uid(2), {"comments": uid(11)}]]))
        .await;
    let r = s.query_inferred(json!({"comments": {"posts": {}}, "posts": {"comments": {}}})).await;
    assert_eq!(ids_of(&r["comments"][0]["posts"]), [uid(1), uid(2)], "reverse label = source namespace; many");
    assert_eq!(ids_of(&r["posts"][0]["comments"]), [uid(11), uid(12)]);
    assert_eq!(ids_of(&r["posts"][1]["comments"]), [uid(11)]);
}

#[tokio::test]
async fn linking_a_lookup_target_through_an_unknown_label_makes_a_one_to_one_link() {
    // spec §6.4 row 5: cardinality one, unique
    let s = start().await;
    s.transact(json!([["update", "authors", ["handle", "ann"], {}], ["update", "authors", ["handle", "bob"], {}], ["update", "books", uid(1), {"t": 1}], ["update", "books", uid(2), {"t": 2}]])).await;
    s.transact(json!([["link", "books", uid(1), {"authors": {"handle": "ann"}}]])).await;
    let r = s.query_inferred(json!({"books": {"authors": {}}, "authors": {"$": {"where": {"handle": "ann"}}, "books": {}}})).await;
    assert_eq!(r["books"][0]["authors"]["handle"], "ann", "forward singular: {r}");
    assert_eq!(r["books"][1]["authors"], Value::Null);
    assert_eq!(r["authors"][0]["books"]["id"], uid(1), "reverse singular (unique)");
    s.transact(json!([["link", "books", uid(1), {"authors": {"handle": "bob"}}]])).await;
    let r = s.query(json!({"books": {"$": {"where": {"id": uid(1)}}, "authors": {}}})).await;
    assert_eq!(
        r["books"][0]["authors"].as_array().map(|a| a.iter().map(|x| x["handle"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("bob")])
    );
    let a = s.transact_err(json!([["link", "books", uid(2), {"authors": {"handle": "bob"}}]])).await;
    assert_error_type(&a, 400, "record-not-unique");
}

#[tokio::test]
async fn throw_on_missing_attrs_rejects_auto_creation() {
    // spec §3.2: exact message and error hint {"attributes": [...]}
    let s = start_with_schema(goals_schema()).await;
    let a = s
        .admin(
            "/admin/transact",
            json!({"steps": [["update", "goals", uid(1), {"title": "t", "color": "red", "size": 1}]], "throw-on-missing-attrs?": true}),
        )
        .await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps: Attributes are missing in your schema");
    let mut attributes: Vec<String> =
        serde_json::from_value(a.body["hint"]["errors"][0]["hint"]["attributes"].clone()).expect("attributes list");
    attributes.sort();
    assert_eq!(attributes, ["goals.color", "goals.size"]);
    assert_eq!(all(&s, "goals").await, none(), "nothing applied");
    let a = s.admin("/admin/transact", json!({"steps": [["update", "goals", uid(1), {"title": "t"}], ["link", "goals", uid(1), {"todos": uid(2)}]], "throw-on-missing-attrs?": true})).await;
    assert_eq!(a.status, 200, "known attrs only: {}", a.body);
    let a = s
        .admin("/admin/transact", json!({"steps": [["update", "goals", uid(3), {"color": "red"}]], "throw-on-missing-attrs?": false}))
        .await;
    assert_eq!(a.status, 200, "false ⇒ auto-create: {}", a.body);
    let a = s
        .admin("/admin/transact", json!({"steps": [["update", "goals", uid(3), {"color": "blue"}]], "throw-on-missing-attrs?": true}))
        .await;
    assert_eq!(a.status, 200, "color now exists: {}", a.body);
}

#[tokio::test]
async fn throw_on_missing_attrs_covers_new_namespaces_and_links() {
    // spec §3.2, §6.4
    let s = start().await;
    for steps in [
        json!([["update", "brand", uid(1), {"x": 1}]]),
        json!([["link", "brand", uid(1), {"other": uid(2)}]]),
        json!([["update", "brand", ["slug", "x"], {}]]),
    ] {
        let a = s.admin("/admin/transact", json!({"steps": steps, "throw-on-missing-attrs?": true})).await;
        assert_error(&a, 400, "validation-failed", "Validation failed for steps: Attributes are missing in your schema");
    }
    assert_eq!(s.query(json!({"brand": {}})).await, json!({"brand": []}));
}

// ================================================================ §6.1 / §6.2 step validation

#[tokio::test]
async fn invalid_entity_ids_name_the_step_and_position() {
    // spec §6.2, §10 item 21: exact message, `in: [stepIndex, 2]`
    let s = start().await;
    for (bad, shown) in [(json!("12345"), "12345"), (json!("abc"), "abc")] {
        let a = s.transact_err(json!([["update", "goals", uid(1), {}], ["update", "goals", bad, {}]])).await;
        assert_error(
            &a,
            400,
            "validation-failed",
            &format!("Validation failed for steps: Invalid entity ID '{shown}'. Entity IDs must be UUIDs or lookup references."),
        );
        assert_eq!(a.body["hint"]["errors"][0]["in"], json!([1, 2]));
    }
    let a = s.transact_err(json!([["delete", "goals", "nope"]])).await;
    assert_error(
        &a,
        400,
        "validation-failed",
        "Validation failed for steps: Invalid entity ID 'nope'. Entity IDs must be UUIDs or lookup references.",
    );
    assert_eq!(a.body["hint"]["errors"][0]["in"], json!([0, 2]));
    assert_eq!(all(&s, "goals").await, none());
}

#[tokio::test]
async fn spec_shape_errors_name_the_step_and_position() {
    // spec §6.1: `Validation failed for steps` + {"expected": …, "in": [step, position]}
    let s = start().await;
    let a = s.transact_err(json!([["update", "goals", uid(1), {}], ["update", 5, uid(1), {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps");
    assert_eq!(a.body["hint"]["errors"][0]["expected"], "string?");
    assert_eq!(a.body["hint"]["errors"][0]["in"], json!([1, 1]));
    let a = s.transact_err(json!([["update", "goals", uid(1), "attrs"]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps");
    assert_eq!(a.body["hint"]["errors"][0]["in"], json!([0, 3]));
    let a = s.transact_err(json!([["link", "goals", uid(1), [uid(2)]]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps");
    assert_eq!(a.body["hint"]["errors"][0]["in"], json!([0, 3]));
}

#[tokio::test]
async fn malformed_steps_are_validation_errors() {
    // spec §6.1: each step is an array whose first element is the action
    let s = start().await;
    for steps in [json!(["update"]), json!([[]]), json!([5]), json!([[5, "goals", uid(1), {}]]), json!({"not": "a list"})] {
        let a = s.transact_err(steps.clone()).await;
        assert_invalid(&a);
    }
}

#[tokio::test]
async fn unknown_actions_are_rejected() {
    // spec §6.1: unknown action fails validation; `update-attr` passes the spec then fails by name
    let s = start().await;
    let a = s.transact_err(json!([["frobnicate", "goals", uid(1), {}]])).await;
    assert_invalid(&a);
    let a = s.transact_err(json!([["update-attr", {}]])).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for action: Unsupported action update-attr");
}

#[tokio::test]
async fn rule_params_steps_change_no_data() {
    // spec §6.1/§6.5 ruleParams
    let s = seeded().await;
    s.transact(json!([["ruleParams", "goals", uid(9), {"k": 1}], ["ruleParams", "goals", uid(1), {"k": 2}]])).await;
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2), uid(3)]);
    assert_eq!(s.one("goals", &uid(1)).await["title"], "Get fit");
}

// ================================================================ §6.7 values

#[tokio::test]
async fn uuid_strings_anywhere_are_lower_cased() {
    // spec §6.7, §1.9, §10 item 22: eids, values, nested values, lookup values, link targets
    let s = start_with_schema(goals_schema()).await;
    let up = |n: u32| uid(n).to_uppercase().replace("0000-4000-8000", "AAAA-4BBB-8CCC");
    let low = |n: u32| up(n).to_lowercase();
    s.transact(json!([
        ["update", "todos", up(1), {"ref": up(2), "nested": {"list": [up(3)]}}],
        ["update", "goals", up(4), {"slug": up(5)}],
        ["link", "goals", up(4), {"todos": up(1)}]
    ]))
    .await;
    assert_eq!(s.one("todos", &low(1)).await, json!({"id": low(1), "done": null, "ref": low(2), "nested": {"list": [low(3)]}}));
    assert_eq!(s.one("goals", &low(4)).await["slug"], low(5));
    assert_eq!(linked(&s, "goals", &low(4), "todos").await, [low(1)]);
    s.transact(json!([["update", "goals", ["slug", up(5)], {"title": "found"}]])).await;
    assert_eq!(s.one("goals", &low(4)).await["title"], "found");
    assert_eq!(s.ids_where("todos", json!({"ref": low(2)})).await, [low(1)]);
}

#[tokio::test]
async fn typed_attributes_reject_mismatched_values() {
    // spec §6.7: `Invalid value type for <ns>.<attr>. Value must be a <t> but the provided value type is <u>.`
    let s = start_with_schema(goals_schema()).await;
    let a = s.transact_err(json!([["update", "goals", uid(3), {"title": "t", "priority": "high"}]])).await;
    assert_error_contains(
        &a,
        400,
        "validation-failed",
        "Invalid value type for goals.priority. Value must be a number but the provided value type is string.",
    );
    let hint = &a.body["hint"];
    assert_eq!(
        (
            hint["namespace"].clone(),
            hint["attribute"].clone(),
            hint["value"].clone(),
            hint["checked-data-type"].clone(),
            hint["entity-id"].clone()
        ),
        (json!("goals"), json!("priority"), json!("high"), json!("number"), json!(uid(3)))
    );
    assert!(hint["attr-id"].is_string(), "{hint}");
    let a = s.transact_err(json!([["update", "goals", uid(3), {"title": 5}]])).await;
    assert_error_contains(
        &a,
        400,
        "validation-failed",
        "Invalid value type for goals.title. Value must be a string but the provided value type is number.",
    );
    let a = s.transact_err(json!([["update", "todos", uid(4), {"done": "yes"}]])).await;
    assert_error_contains(
        &a,
        400,
        "validation-failed",
        "Invalid value type for todos.done. Value must be a boolean but the provided value type is string.",
    );
    let a = s.transact_err(json!([["update", "goals", uid(3), {"due": "not a date"}]])).await;
    assert_invalid(&a);
    assert_eq!(s.query(json!({"goals": {}, "todos": {}})).await, json!({"goals": [], "todos": []}));
}

#[tokio::test]
async fn date_attributes_accept_epoch_ms_and_date_strings() {
    // spec §6.7: `date` accepts epoch-ms numbers or date strings; results are not converted (§5.11)
    let s = start_with_schema(goals_schema()).await;
    s.transact(
        json!([["update", "goals", uid(1), {"due": 1704067200000u64}], ["update", "goals", uid(2), {"due": "2024-01-02T00:00:00Z"}]]),
    )
    .await;
    assert_eq!(s.one("goals", &uid(1)).await["due"], 1704067200000u64);
    assert_eq!(s.one("goals", &uid(2)).await["due"], "2024-01-02T00:00:00Z");
}

#[tokio::test]
async fn untyped_attributes_accept_any_json() {
    // spec §6.7: untyped attributes accept any JSON (json valueType = untyped)
    let s = start_with_schema(goals_schema()).await;
    for (n, v) in [json!(1), json!("s"), json!([1]), json!({"a": true}), json!(false)].into_iter().enumerate() {
        s.transact(json!([["update", "goals", uid(n as u32 + 1), {"tags": v.clone()}]])).await;
        assert_eq!(s.one("goals", &uid(n as u32 + 1)).await["tags"], v);
    }
}

#[tokio::test]
async fn required_attributes_must_be_present_after_the_transaction() {
    // spec §6.7: ``Missing required attribute `goals/title`: <eid>``
    let s = start_with_schema(goals_schema()).await;
    let a = s.transact_err(json!([["update", "projects", uid(4), {"other": 1}]])).await;
    assert_error_contains(&a, 400, "validation-failed", &format!("Missing required attribute `projects/name`: {}", uid(4)));
    assert_eq!(all(&s, "projects").await, none());
    s.transact(json!([["update", "projects", uid(4), {"other": 1}], ["update", "projects", uid(4), {"name": "n"}]])).await;
    s.transact(json!([["update", "projects", uid(4), {"other": 2}]])).await;
    assert_eq!(s.one("projects", &uid(4)).await, json!({"id": uid(4), "other": 2, "name": "n"}));
}

#[tokio::test]
async fn strings_with_nul_bytes_are_rejected() {
    // spec §6.7
    let s = start().await;
    let a = s.transact_err(json!([["update", "todos", uid(2), {"text": "a\u{0000}b"}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "A value in the transaction contains null bytes, which cannot be stored.");
    assert_eq!(all(&s, "todos").await, none());
}

#[tokio::test]
async fn unique_collisions_are_record_not_unique() {
    // spec §6.7: 400 record-not-unique, hint {record-type: "triple", attr-id, etype, label, value}
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([["update", "goals", uid(5), {"slug": "s"}]])).await;
    s.transact(json!([["update", "goals", uid(5), {"slug": "s", "title": "same value again is fine"}]])).await;
    let a = s.transact_err(json!([["update", "goals", uid(6), {"slug": "s"}]])).await;
    assert_error_type(&a, 400, "record-not-unique");
    let hint = &a.body["hint"];
    assert_eq!(
        (hint["record-type"].clone(), hint["etype"].clone(), hint["label"].clone(), hint["value"].clone()),
        (json!("triple"), json!("goals"), json!("slug"), json!("s"))
    );
    assert!(hint["attr-id"].is_string(), "{hint}");
    let a = s.transact_err(json!([["update", "goals", uid(7), {"slug": "t"}], ["update", "goals", uid(8), {"slug": "t"}]])).await;
    assert_error_type(&a, 400, "record-not-unique");
    assert_eq!(all(&s, "goals").await, [uid(5)]);
}

#[tokio::test]
async fn dollar_namespaces_are_reserved() {
    // spec §6.4: `$ is reserved for system tables. You can't create $foo`
    let s = start().await;
    let a = s.transact_err(json!([["update", "$foo", uid(7), {"x": 1}]])).await;
    assert_error_contains(&a, 400, "validation-failed", "$ is reserved for system tables. You can't create $foo");
}

#[tokio::test]
async fn admins_may_write_users() {
    // spec §6.5 system namespaces: `$users` attributes may be written by admins
    let s = start().await;
    s.transact(json!([["update", "$users", uid(3), {"email": "z@x.com"}]])).await;
    assert_eq!(s.query(json!({"$users": {}})).await, json!({"$users": [{"id": uid(3), "email": "z@x.com"}]}));
}

// ================================================================ §6.8 atomicity

#[tokio::test]
async fn a_failing_step_applies_nothing() {
    // spec §6.8: any error aborts everything — updates, deletes, links, new attributes
    let s = seeded().await;
    let a = s
        .transact_err(json!([
            ["update", "goals", uid(1), {"title": "changed"}],
            ["update", "brand", uid(2), {"new": 1}],
            ["delete", "goals", uid(2)],
            ["unlink", "goals", uid(1), {"todos": uid(11)}],
            ["link", "goals", uid(3), {"todos": uid(14)}],
            ["update", "goals", uid(3), {"priority": "bad"}]
        ]))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(s.one("goals", &uid(1)).await["title"], "Get fit");
    assert_eq!(all(&s, "goals").await, [uid(1), uid(2), uid(3)]);
    assert_eq!(linked(&s, "goals", &uid(1), "todos").await, [uid(11), uid(12)]);
    assert_eq!(s.query(json!({"brand": {}})).await, json!({"brand": []}));
    let a = s.admin("/admin/transact", json!({"steps": [["update", "brand", uid(2), {"new": 1}]], "throw-on-missing-attrs?": true})).await;
    assert_eq!(a.status, 400, "the failed transaction created no attributes either: {}", a.body);
}

// ================================================================ §6.6 execution order

#[tokio::test]
async fn update_then_delete_deletes() {
    // spec §6.6: [update X, delete X] → X deleted
    let s = start().await;
    s.transact(json!([["update", "a", uid(1), {"w": 1}], ["delete", "a", uid(1)]])).await;
    assert_eq!(all(&s, "a").await, none());
}

#[tokio::test]
async fn delete_then_update_recreates_with_only_the_new_attributes() {
    // spec §6.6: [delete X, update X] → X exists with only the new attributes
    let s = start().await;
    s.transact(json!([["update", "a", uid(3), {"v": 1, "w": 2}]])).await;
    s.transact(json!([["delete", "a", uid(3)], ["update", "a", uid(3), {"v": 9}]])).await;
    assert_eq!(s.one("a", &uid(3)).await, json!({"id": uid(3), "v": 9}));
}

#[tokio::test]
async fn delete_update_delete_keeps_the_entity() {
    // spec §6.6: [delete X, update X, delete X] → X exists (both deletes run before the update group)
    let s = start().await;
    s.transact(json!([["update", "a", uid(3), {"v": 1, "w": 2}]])).await;
    s.transact(json!([["delete", "a", uid(3)], ["update", "a", uid(3), {"v": 9}], ["delete", "a", uid(3)]])).await;
    assert_eq!(s.one("a", &uid(3)).await, json!({"id": uid(3), "v": 9}));
}

#[tokio::test]
async fn update_delete_update_deletes() {
    // spec §6.6: both updates are in the first group, the delete group runs after it
    let s = start().await;
    s.transact(json!([["update", "a", uid(1), {"v": 1}], ["delete", "a", uid(1)], ["update", "a", uid(1), {"w": 2}]])).await;
    assert_eq!(all(&s, "a").await, none());
}

#[tokio::test]
async fn link_unlink_order_follows_first_appearance() {
    // spec §6.6: [link, unlink] → not linked; [unlink, link] → linked
    let s = start().await;
    s.transact(json!([["update", "a", uid(1), {"v": 1}], ["update", "b", uid(2), {"v": 2}]])).await;
    s.transact(json!([["link", "a", uid(1), {"b": uid(2)}], ["unlink", "a", uid(1), {"b": uid(2)}]])).await;
    assert_eq!(linked(&s, "a", &uid(1), "b").await, none());
    s.transact(json!([["unlink", "a", uid(1), {"b": uid(2)}], ["link", "a", uid(1), {"b": uid(2)}]])).await;
    assert_eq!(linked(&s, "a", &uid(1), "b").await, [uid(2)]);
}

#[tokio::test]
async fn last_write_to_the_same_attribute_wins() {
    // spec §6.6: within a group, for several writes to the same (entity, attribute) the last one wins
    let s = start().await;
    s.transact(json!([["update", "a", uid(1), {"v": 1, "w": 1}], ["update", "a", uid(1), {"v": 2}], ["update", "a", uid(1), {"w": 3}]]))
        .await;
    assert_eq!(s.one("a", &uid(1)).await, json!({"id": uid(1), "v": 2, "w": 3}));
}

#[tokio::test]
async fn updates_run_before_a_merge_that_appeared_earlier() {
    // spec §6.6: merge = add-triple (id) + deep-merge-triple; the update's add-triple joins the
    // add-triple group, which runs before the deep-merge group
    let s = start().await;
    s.transact(json!([["merge", "a", uid(1), {"m": {"x": 1}}], ["update", "a", uid(1), {"m": {"y": 2}}]])).await;
    assert_eq!(s.one("a", &uid(1)).await, json!({"id": uid(1), "m": {"x": 1, "y": 2}}));
}

// ================================================================ §6.1 add-attr / delete-attr

fn blob_attr(id: u32, etype: &str, label: &str, unique: bool, indexed: bool, checked: Option<&str>) -> Value {
    let mut attr = json!({"id": uid(id), "forward-identity": [uid(id + 1), etype, label], "value-type": "blob",
                          "cardinality": "one", "unique?": unique, "index?": indexed});
    if let Some(t) = checked {
        attr["checked-data-type"] = json!(t);
    }
    attr
}

#[tokio::test]
async fn add_attr_creates_blob_attributes_with_their_flags() {
    // spec §6.1 add-attr: unique → lookups; index → null back-fill (§5.9) and comparisons with a checked type
    let s = start().await;
    s.transact(json!([
        ["add-attr", blob_attr(900, "books", "isbn", true, true, Some("string"))],
        ["add-attr", blob_attr(902, "books", "pages", false, true, Some("number"))]
    ]))
    .await;
    s.transact(json!([["update", "books", uid(1), {"isbn": "1"}]])).await;
    assert_eq!(s.one("books", &uid(1)).await, json!({"id": uid(1), "isbn": "1", "pages": null}));
    s.transact(json!([["update", "books", ["isbn", "1"], {"pages": 10}], ["update", "books", ["isbn", "2"], {"pages": 20}]])).await;
    assert_eq!(s.ids_where("books", json!({"pages": {"$gt": 15}})).await.len(), 1);
    assert_eq!(s.one("books", &uid(1)).await["pages"], 10);
    let a = s.transact_err(json!([["update", "books", uid(1), {"pages": "many"}]])).await;
    assert_error_contains(
        &a,
        400,
        "validation-failed",
        "Invalid value type for books.pages. Value must be a number but the provided value type is string.",
    );
    let a = s.transact_err(json!([["update", "books", uid(3), {"isbn": "1"}]])).await;
    assert_error_type(&a, 400, "record-not-unique");
}

#[tokio::test]
async fn add_attr_creates_links() {
    // spec §6.1 add-attr with reverse-identity; cardinality one ⇒ plain id attribute (§5.9) and singular with inference
    let s = start().await;
    let link = json!({"id": uid(904), "forward-identity": [uid(905), "books", "author"], "reverse-identity": [uid(906), "people", "books"],
                      "value-type": "ref", "cardinality": "one", "unique?": false, "index?": false});
    s.transact(json!([["add-attr", link]])).await;
    s.transact(
        json!([["update", "books", uid(1), {"t": 1}], ["update", "books", uid(2), {"t": 2}], ["update", "people", uid(7), {"n": 1}]]),
    )
    .await;
    s.transact(json!([["link", "books", uid(1), {"author": uid(7)}], ["link", "people", uid(7), {"books": uid(2)}]])).await;
    assert_eq!(s.one("books", &uid(1)).await, json!({"id": uid(1), "t": 1, "author": uid(7)}));
    let r = s.query_inferred(json!({"people": {"books": {}}, "books": {"author": {}}})).await;
    assert_eq!(ids_of(&r["people"][0]["books"]), [uid(1), uid(2)]);
    assert_eq!(r["books"][1]["author"]["id"], uid(7));
}

#[tokio::test]
async fn delete_attr_removes_the_attribute_from_results_and_queries() {
    // spec §6.1 delete-attr: soft-deleted ⇒ behaves as unknown (§5.10)
    let s = start().await;
    s.transact(json!([["add-attr", blob_attr(900, "books", "isbn", true, true, None)]])).await;
    s.transact(json!([["update", "books", uid(1), {"isbn": "1", "t": 1}]])).await;
    s.transact(json!([["delete-attr", uid(900)]])).await;
    assert_eq!(s.one("books", &uid(1)).await, json!({"id": uid(1), "t": 1}));
    assert_eq!(s.ids_where("books", json!({"isbn": "1"})).await, none());
}
