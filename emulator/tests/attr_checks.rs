//! Structural checks the real server applies to every caller, admins included (spec §6.4, §6.7):
//! reserved system column names, required attributes on system namespaces, the size cap on
//! indexed and unique values, and duplicate attribute names. Messages are the server's
//! (`srv/db/model/attr.clj`, `srv/util/exception.clj`, migrations 01 and 92,
//! `transaction_test.clj`).
mod common;
use common::*;
use serde_json::{json, Value};

fn blob(id: u32, etype: &str, label: &str, unique: bool, indexed: bool) -> Value {
    json!({"id": uid(id), "forward-identity": [uid(id + 1), etype, label], "value-type": "blob",
           "cardinality": "one", "unique?": unique, "index?": indexed})
}

fn link(id: u32, fwd: (&str, &str), rev: (&str, &str)) -> Value {
    json!({"id": uid(id), "forward-identity": [uid(id + 1), fwd.0, fwd.1], "reverse-identity": [uid(id + 2), rev.0, rev.1],
           "value-type": "ref", "cardinality": "many", "unique?": false, "index?": false})
}

fn required(mut attr: Value) -> Value {
    attr["required?"] = json!(true);
    attr
}

/// `throw-validation-err! :attributes attr [{:message …}]`.
fn assert_attributes_error(a: &Answer, input: &Value, message: &str) {
    assert_error(a, 400, "validation-failed", &format!("Validation failed for attributes: {message}"));
    assert_eq!(a.body["hint"], json!({"data-type": "attributes", "input": input, "errors": [{"message": message}]}));
}

// ---------------------------------------------------------------- 1. reserved system columns

#[tokio::test]
async fn system_column_names_are_reserved_even_for_admins() {
    // `validate-system-ident-names!` (`cant-create-system-attr-with-system-catalog-ident-name`)
    let s = start().await;
    let email = blob(900, "$users", "email", false, false);
    let a = s.transact_err(json!([["add-attr", email]])).await;
    assert_attributes_error(&a, &email, "$users.email is a system column and it already exists.");

    // every catalog name, reverse names and catalog namespaces the emulator used to lack included
    for (etype, label) in [("$users", "linkedGuestUsers"), ("$files", "url"), ("$streams", "clientId"), ("$files", "$stream")] {
        let attr = blob(902, etype, label, false, false);
        let a = s.transact_err(json!([["add-attr", attr]])).await;
        assert_attributes_error(&a, &attr, &format!("{etype}.{label} is a system column and it already exists."));
    }
    let attr = link(904, ("goals", "owner"), ("$users", "email"));
    let a = s.transact_err(json!([["add-attr", attr]])).await;
    assert_attributes_error(&a, &attr, "$users.email is a system column and it already exists.");

    // the reserved name is checked before the `$` namespace rule, side by side
    let attr = blob(906, "$oauthClients", "name", false, false);
    let a = s.transact_err(json!([["add-attr", attr]])).await;
    assert_attributes_error(&a, &attr, "$oauthClients.name is a system column and it already exists.");
    let attr = blob(908, "$moop", "id", false, false);
    let a = s.transact_err(json!([["add-attr", attr]])).await;
    assert_attributes_error(&a, &attr, "$ is reserved for system tables. You can't create $moop");

    // new names on the editable system namespaces are fine
    s.transact(json!([["add-attr", blob(910, "$users", "nickname", false, false)]])).await;
}

#[tokio::test]
async fn writing_a_reverse_only_system_name_would_create_a_reserved_attribute() {
    // `create-missing-attrs` adds `$users.linkedGuestUsers` as a blob (only the reverse name
    // exists); `insert-multi!` then refuses it
    let s = start().await;
    let a = s.transact_err(json!([["update", "$users", uid(1), {"linkedGuestUsers": "x"}]])).await;
    assert_error(
        &a,
        400,
        "validation-failed",
        "Validation failed for attributes: $users.linkedGuestUsers is a system column and it already exists.",
    );
    let input = &a.body["hint"]["input"];
    assert_eq!((&input["forward-identity"][1], &input["forward-identity"][2]), (&json!("$users"), &json!("linkedGuestUsers")));
    assert_eq!(
        (input["value-type"].clone(), input["unique?"].clone(), input["index?"].clone()),
        (json!("blob"), json!(false), json!(false))
    );
}

#[tokio::test]
async fn throw_on_missing_attrs_refuses_a_reserved_name_as_missing_first() {
    // `->tx-steps!` throws for missing attributes before any is created, so before the name check
    let s = start().await;
    let steps = json!([["update", "$users", uid(1), {"linkedGuestUsers": "x"}]]);
    let a = s.admin("/admin/transact", json!({"steps": steps, "throw-on-missing-attrs?": true})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for steps: Attributes are missing in your schema");
    assert_eq!(a.body["hint"]["errors"][0]["hint"]["attributes"], json!(["$users.linkedGuestUsers"]));
}

// ---------------------------------------------------------------- 2. required system attributes

const REQUIRED_SYSTEM: &str = "You can't create a required system attribute. Make sure it's optional. Check out the docs to learn more: https://www.instantdb.com/docs/modeling-data#required-constraints";

#[tokio::test]
async fn required_attributes_on_system_namespaces_are_refused() {
    // trigger `prevent_required_on_reserved_attrs` (migration 92) → `required_set_on_reserved_attrs`
    // → validation-failed, no hint (`cant-create-required-system-attr`)
    let s = start().await;
    let a = s.transact_err(json!([["add-attr", required(blob(900, "$users", "fullName", false, false))]])).await;
    assert_error(&a, 400, "validation-failed", REQUIRED_SYSTEM);
    assert_eq!(a.body["hint"], Value::Null);
    let a = s.transact_err(json!([["add-attr", required(blob(902, "$files", "caption", false, false))]])).await;
    assert_error(&a, 400, "validation-failed", REQUIRED_SYSTEM);
    // optional is fine; a required app attribute on an empty namespace too
    s.transact(json!([["add-attr", blob(904, "$users", "fullName", false, false)]])).await;
    s.transact(json!([["add-attr", required(blob(906, "goals", "title", false, false))]])).await;
    // nothing of a failed batch is kept
    let a = s
        .transact_err(json!([
            ["add-attr", blob(908, "todos", "text", false, false)],
            ["add-attr", required(blob(910, "$users", "age", false, false))]
        ]))
        .await;
    assert_error(&a, 400, "validation-failed", REQUIRED_SYSTEM);
    s.transact(json!([["add-attr", blob(908, "todos", "text", false, false)]])).await;
}

#[tokio::test]
async fn required_attributes_need_a_namespace_without_data() {
    // `validate-add-required!` runs first: only the app's own attributes' data counts
    let s = start().await;
    s.transact(json!([["update", "goals", uid(1), {"title": "a"}]])).await;
    let attr = required(blob(900, "goals", "due", false, false));
    let a = s.transact_err(json!([["add-attr", attr]])).await;
    assert_attributes_error(&a, &attr, "Can't create attribute `due` as required because `goals` already have entities");

    // `$users` rows live in system columns, so the trigger answers until the app stores its own data
    s.user_token("a@b.c").await;
    let attr = required(blob(902, "$users", "age", false, false));
    let a = s.transact_err(json!([["add-attr", attr]])).await;
    assert_error(&a, 400, "validation-failed", REQUIRED_SYSTEM);
    let users = s.query(json!({"$users": {}})).await;
    let user = users["$users"][0]["id"].as_str().expect("user").to_owned();
    s.transact(json!([["update", "$users", user, {"nickname": "n"}]])).await;
    let a = s.transact_err(json!([["add-attr", attr]])).await;
    assert_attributes_error(&a, &attr, "Can't create attribute `age` as required because `$users` already have entities");
}

#[tokio::test]
async fn schemas_cannot_make_system_attributes_required() {
    // the same trigger fires on the schema push's add or update of the attribute
    let s = start().await;
    let schema = json!({"entities": {"$users": {"attrs": {"fullName": attr("string", false, false, true)}}}});
    let a = s.post_raw(&format!("/__emulator/apps/{}/schema", s.app_id), &[JSON], &schema.to_string()).await;
    assert_ne!(a.status, 200, "{}", a.body);
    assert!(a.text.contains(REQUIRED_SYSTEM), "{}", a.text);
    let ok = json!({"entities": {"$users": {"attrs": {"fullName": attr("string", false, false, false)}}}});
    let a = s.post_raw(&format!("/__emulator/apps/{}/schema", s.app_id), &[JSON], &ok.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = s.post_raw(&format!("/__emulator/apps/{}/schema", s.app_id), &[JSON], &schema.to_string()).await;
    assert!(a.text.contains(REQUIRED_SYSTEM), "{}", a.text);
}

// ---------------------------------------------------------------- 3. indexed value size

/// `indexed_values_are_constrained`: `pg_column_size(value) <= 1024`; a string takes its UTF-8
/// bytes plus 12 (varlena header, scalar array header, one entry).
#[tokio::test]
async fn indexed_and_unique_values_are_capped_at_1024_bytes() {
    let s = start_with_schema(goals_schema()).await;
    let goal = uid(1);
    s.transact(json!([["update", "goals", goal, {"title": "a".repeat(1012)}]])).await;
    let a = s.transact_err(json!([["update", "goals", goal, {"title": "a".repeat(1013)}]])).await;
    assert_error(&a, 400, "validation-failed", "Value is too large for an indexed attribute.");
    let title = s.query(json!({"goals": {}})).await["goals"][0]["title"].clone();
    assert_eq!(title.as_str().map(str::len), Some(1012), "the failed write changed nothing");
    let hint = &a.body["hint"];
    assert_eq!(hint["namespace"], "goals");
    assert_eq!(hint["attribute"], "title");
    assert_eq!(hint["value"], json!(format!("\"{}...", "a".repeat(63))), "the failing row's text, cut to 64 bytes");
    assert_eq!(hint["checked-data-type"], "string");
    assert_eq!(hint["entity-id"], json!(goal));
    assert!(hint["attr-id"].is_string());
    assert_eq!(hint["value-too-large?"], true);

    // unique: its own message; multi-byte text counts bytes and is cut on a character boundary
    let a = s.transact_err(json!([["update", "goals", goal, {"slug": "é".repeat(507)}]])).await;
    assert_error(&a, 400, "validation-failed", "Value is too large for a unique attribute.");
    assert_eq!(a.body["hint"]["value"], json!(format!("\"{}...", "é".repeat(31))));
    s.transact(json!([["update", "goals", goal, {"slug": "é".repeat(506)}]])).await;

    // untyped indexed JSON: its jsonb size (1,208 bytes for 0..=99, 968 for 0..80, as Postgres
    // measures them); the row's NULL type column prints as "null"
    let tags: Vec<Value> = (0..100).map(|i| json!(i)).collect();
    let a = s.transact_err(json!([["update", "goals", goal, {"tags": tags}]])).await;
    assert_error(&a, 400, "validation-failed", "Value is too large for an indexed attribute.");
    assert_eq!(a.body["hint"]["checked-data-type"], "null");
    assert_eq!(a.body["hint"]["value"], json!("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 1..."));
    s.transact(json!([["update", "goals", goal, {"tags": (0..80).collect::<Vec<_>>()}]])).await;

    // not indexed: no cap
    s.transact(json!([["update", "goals", goal, {"notes": "a".repeat(5000)}]])).await;
    s.transact(json!([["update", "free", uid(2), {"text": "a".repeat(5000)}]])).await;
}

#[tokio::test]
async fn the_size_check_runs_before_type_and_uniqueness_checks() {
    // Postgres checks constraints by name: `indexed_values_are_constrained` before
    // `valid_value_data_type`; the unique index comes after every check
    let s = start_with_schema(goals_schema()).await;
    let a = s.transact_err(json!([["update", "goals", uid(1), {"priority": "x".repeat(2000)}]])).await;
    assert_error(&a, 400, "validation-failed", "Value is too large for an indexed attribute.");
    assert_eq!(a.body["hint"]["checked-data-type"], "number");
    // lookups are written too (a unique attribute)
    let a = s.transact_err(json!([["update", "goals", ["slug", "s".repeat(1013)], {"title": "t"}]])).await;
    assert_error(&a, 400, "validation-failed", "Value is too large for a unique attribute.");
    // null bytes fail earlier, when the value is cast
    let a = s.transact_err(json!([["update", "goals", uid(1), {"title": format!("\u{0}{}", "a".repeat(2000))}]])).await;
    assert_error(&a, 400, "validation-failed", "A value in the transaction contains null bytes, which cannot be stored.");
}

#[tokio::test]
async fn merged_values_are_measured_after_the_merge() {
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([["update", "goals", uid(1), {"tags": {"a": "x".repeat(600)}}]])).await;
    let a = s.transact_err(json!([["merge", "goals", uid(1), {"tags": {"b": "y".repeat(600)}}]])).await;
    assert_error(&a, 400, "validation-failed", "Value is too large for an indexed attribute.");
}

// ---------------------------------------------------------------- 4. duplicate names

#[tokio::test]
async fn a_duplicate_attribute_name_names_the_attribute_and_namespace() {
    // `app_ident_uq` → `extract-duplicate-ident-data` (`transaction_test.clj`: "`createdAt` already exists on `todos`")
    let s = start().await;
    s.transact(json!([["add-attr", blob(900, "todos", "createdAt", false, true)]])).await;
    let a = s.transact_err(json!([["add-attr", blob(902, "todos", "createdAt", false, false)]])).await;
    assert_error(&a, 400, "record-not-unique", "`createdAt` already exists on `todos`");
    assert_eq!(a.body["hint"], json!({"record-type": "ident", "etype": "todos", "label": "createdAt"}));

    // either side of a link, against either side of the existing attributes
    s.transact(json!([["add-attr", link(910, ("todos", "owner"), ("people", "todos"))]])).await;
    let a = s.transact_err(json!([["add-attr", blob(920, "people", "todos", false, false)]])).await;
    assert_error(&a, 400, "record-not-unique", "`todos` already exists on `people`");
    let a = s.transact_err(json!([["add-attr", link(922, ("tags", "items"), ("todos", "createdAt"))]])).await;
    assert_error(&a, 400, "record-not-unique", "`createdAt` already exists on `todos`");
    assert_eq!(a.body["hint"], json!({"record-type": "ident", "etype": "todos", "label": "createdAt"}));
    // twice in one batch
    let a = s.transact_err(json!([["add-attr", blob(930, "a", "b", false, false)], ["add-attr", blob(932, "a", "b", false, false)]])).await;
    assert_error(&a, 400, "record-not-unique", "`b` already exists on `a`");
    // an attribute auto-created by the same transaction counts
    let a =
        s.transact_err(json!([["update", "notes", uid(1), {"body": "x"}], ["add-attr", blob(934, "notes", "body", false, false)]])).await;
    assert_error(&a, 400, "record-not-unique", "`body` already exists on `notes`");
}

#[tokio::test]
async fn re_adding_an_attribute_is_a_no_op_and_changing_it_a_database_error() {
    // the upserts of `insert-multi!`: identical rows are skipped; a known id with other values
    // raises (`raise_exception_message` → sql-raise)
    let s = start().await;
    let attr = blob(900, "todos", "createdAt", false, true);
    s.transact(json!([["add-attr", attr]])).await;
    s.transact(json!([["add-attr", attr]])).await;
    let mut changed = attr.clone();
    changed["unique?"] = json!(true);
    let a = s.transact_err(json!([["add-attr", changed]])).await;
    let message = format!("The attribute with id {0} conflicts with an existing attribute with id {0}.", uid(900));
    assert_error(&a, 400, "sql-raise", &format!("Raised Exception: {message}"));
    assert_eq!(a.body["hint"], json!({"table": null, "condition": "raise-exception", "constraint": message}));
    // a known identity id under another name
    let a = s
        .transact_err(json!([["add-attr", {"id": uid(950), "forward-identity": [uid(901), "todos", "due"],
                                                 "value-type": "blob", "cardinality": "one", "unique?": false, "index?": false}]]))
        .await;
    assert_error(&a, 400, "sql-raise", "Raised Exception: Another attribute for todos.due exists with different properties.");
}

#[tokio::test]
async fn schemas_cannot_reuse_a_name_either() {
    // a schema link whose reverse name is already an attribute used to add a second owner of it
    let s = start().await;
    s.transact(json!([["update", "people", uid(1), {"posts": "x"}]])).await;
    let schema = json!({"links": {"postsAuthor": {"forward": {"on": "posts", "has": "one", "label": "author"},
                                                  "reverse": {"on": "people", "has": "many", "label": "posts"}}}});
    let a = s.post_raw(&format!("/__emulator/apps/{}/schema", s.app_id), &[JSON], &schema.to_string()).await;
    assert_ne!(a.status, 200, "{}", a.body);
    assert!(a.text.contains("`posts` already exists on `people`"), "{}", a.text);
}
