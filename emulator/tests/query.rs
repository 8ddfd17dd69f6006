//! InstaQL over `POST /admin/query` (spec §3.1, §5, §10 items 8–19). Data: `common::seeded()`.
mod common;
use common::*;
use serde_json::{json, Value};

fn where_(w: Value) -> Value {
    json!({"goals": {"$": {"where": w}}})
}

fn opts(o: Value) -> Value {
    json!({"goals": {"$": o}})
}

// ================================================================ §5.2 / §5.9 shape

#[tokio::test]
async fn top_level_results_are_arrays_keyed_by_the_query_keys() {
    // spec §5.2, §5.9: one key per namespace in the query, always an array
    let s = seeded().await;
    let r = s.query(json!({"goals": {}, "todos": {}})).await;
    assert_eq!(r.as_object().map(|o| o.len()), Some(2));
    assert_eq!(ids_of(&r["goals"]), [uid(1), uid(2), uid(3)]);
    assert_eq!(ids_of(&r["todos"]), [uid(11), uid(12), uid(13)]);
}

#[tokio::test]
async fn empty_query_is_an_empty_object() {
    // spec §5.10: query {} → {}
    let s = seeded().await;
    assert_eq!(s.query(json!({})).await, json!({}));
}

#[tokio::test]
async fn entities_render_every_cardinality_one_triple() {
    // spec §5.9, §10 item 17: unset indexed attrs are null, unset plain attrs are absent,
    // has-many links absent unless queried
    let s = seeded().await;
    let r = s.query(json!({"goals": {}, "todos": {}})).await;
    assert_eq!(
        r["goals"][0],
        json!({"id": uid(1), "title": "Get fit", "priority": 2, "due": 1704067200000u64, "slug": "fit", "tags": null})
    );
    assert_eq!(r["goals"][2], json!({"id": uid(3), "title": "Read more", "priority": null, "due": null, "slug": null, "tags": null}));
    // the reverse has-one `todos.goal` is not a triple of todos: not rendered
    assert_eq!(r["todos"][0], json!({"id": uid(11), "text": "Run", "done": false}));
}

#[tokio::test]
async fn explicit_null_renders_as_null() {
    // spec §5.9: attributes explicitly set to null appear as null
    let s = seeded().await;
    s.transact(json!([["update", "goals", uid(3), {"notes": null, "extra": null}]])).await;
    let g = s.one("goals", &uid(3)).await;
    assert_eq!(g["notes"], Value::Null);
    assert!(g.as_object().expect("object").contains_key("notes"));
    assert!(g.as_object().expect("object").contains_key("extra"));
}

#[tokio::test]
async fn schemaless_entities_render_exactly_what_was_written() {
    // spec §5.9, §5.11: untyped attrs hold any JSON; unset plain attrs absent
    let s = start().await;
    let value = json!({"s": "x", "n": 1.5, "b": true, "o": {"k": [1, null]}, "a": [1, "two"]});
    s.transact(json!([["update", "things", uid(1), value.clone()], ["update", "things", uid(2), {"s": 5}]])).await;
    let mut expected = value;
    expected["id"] = json!(uid(1));
    assert_eq!(s.one("things", &uid(1)).await, expected);
    assert_eq!(s.one("things", &uid(2)).await, json!({"id": uid(2), "s": 5}));
}

#[tokio::test]
async fn nested_forward_and_reverse_links() {
    // spec §5.2, §5.9: nested link keys hold arrays of linked entities, recursively
    let s = seeded().await;
    let r = s.query(json!({"goals": {"todos": {"goal": {}}}})).await;
    let g1 = &r["goals"][0];
    assert_eq!(ids_of(&g1["todos"]), [uid(11), uid(12)]);
    assert_eq!(g1["todos"][0], json!({"id": uid(11), "text": "Run", "done": false, "goal": [g1_without_links()]}));
    assert_eq!(ids_of(&r["goals"][1]["todos"]), [uid(13)]);
    let r = s.query(json!({"todos": {"goal": {}}})).await;
    assert_eq!(ids_of(&r["todos"][0]["goal"]), [uid(1)]);
    assert_eq!(ids_of(&r["todos"][2]["goal"]), [uid(2)]);
}

fn g1_without_links() -> Value {
    json!({"id": uid(1), "title": "Get fit", "priority": 2, "due": 1704067200000u64, "slug": "fit", "tags": null})
}

#[tokio::test]
async fn admin_results_keep_empty_nested_arrays() {
    // spec §5.9, §10 item 18
    let s = seeded().await;
    let r = s.query(json!({"goals": {"todos": {}, "owner": {}}})).await;
    assert_eq!(r["goals"][2]["todos"], json!([]));
    assert_eq!(r["goals"][2]["owner"], json!([]));
}

#[tokio::test]
async fn impersonated_results_omit_empty_link_keys() {
    // spec §5.9, §10 item 18: impersonated → key omitted when no visible linked entities
    let s = seeded().await;
    let r = s.query_as(&[("as-guest", "true")], json!({"goals": {"todos": {}}})).await;
    assert_eq!(ids_of(&r["goals"][0]["todos"]), [uid(11), uid(12)]);
    assert!(r["goals"][2].get("todos").is_none(), "{}", r["goals"][2]);
}

#[tokio::test]
async fn forward_has_one_link_renders_as_its_id_unless_queried() {
    // spec §5.9: forward has-one ref = plain attribute holding the id; the nested result replaces it
    let s = seeded().await;
    s.transact(json!([
        ["update", "$users", uid(50), {"email": "o@x.com"}],
        ["update", "projects", uid(60), {"name": "P"}],
        ["link", "goals", uid(3), {"owner": uid(50), "project": uid(60)}]
    ]))
    .await;
    let g = s.one("goals", &uid(3)).await;
    assert_eq!(g["owner"], uid(50));
    assert_eq!(g["project"], uid(60));
    let r = s.query(json!({"goals": {"$": {"where": {"id": uid(3)}}, "owner": {}}})).await;
    assert_eq!(r["goals"][0]["owner"], json!([{"id": uid(50), "email": "o@x.com"}]));
    assert_eq!(r["goals"][0]["project"], uid(60));
    // the reverse sides (has-many from projects/$users) are never plain attributes
    assert_eq!(s.one("projects", &uid(60)).await, json!({"id": uid(60), "name": "P"}));
    let r = s.query(json!({"$users": {"goals": {}}})).await;
    assert_eq!(ids_of(&r["$users"][0]["goals"]), [uid(3)]);
}

#[tokio::test]
async fn new_indexed_attribute_back_fills_null() {
    // spec §5.9: adding a new indexed attribute back-fills null for existing entities
    let s = start().await;
    s.transact(json!([["update", "notes", uid(1), {"body": "b"}]])).await;
    let schema = json!({"entities": {"notes": {"attrs": {"rank": attr("number", true, false, false), "memo": attr("string", false, false, false)}}}});
    let a = s.post_raw(&format!("/__emulator/apps/{}/schema", s.app_id), &[JSON], &schema.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(s.one("notes", &uid(1)).await, json!({"id": uid(1), "body": "b", "rank": null}));
    s.transact(json!([["update", "notes", uid(2), {"body": "c"}]])).await;
    assert_eq!(s.one("notes", &uid(2)).await, json!({"id": uid(2), "body": "c", "rank": null}));
}

// ================================================================ §5.9 inference

#[tokio::test]
async fn inference_makes_has_one_links_singular() {
    // spec §5.9: forward cardinality one or reverse unique → object or null; else arrays
    let s = seeded().await;
    s.transact(json!([["update", "projects", uid(60), {"name": "P"}], ["link", "goals", uid(1), {"project": uid(60)}]])).await;
    let r = s
        .query_inferred(json!({"todos": {"goal": {}}, "goals": {"todos": {}, "project": {}, "owner": {}}, "projects": {"goals": {}}}))
        .await;
    assert_eq!(r["todos"][0]["goal"]["id"], uid(1), "reverse unique → object");
    assert_eq!(r["goals"][0]["project"]["id"], uid(60), "forward one → object");
    assert_eq!(r["goals"][0]["owner"], Value::Null, "forward one, unlinked → null");
    assert_eq!(ids_of(&r["goals"][0]["todos"]), [uid(11), uid(12)], "forward many → array");
    assert_eq!(ids_of(&r["projects"][0]["goals"]), [uid(1)], "reverse not unique → array");
    assert!(r["goals"].is_array() && r["todos"].is_array(), "top level always arrays");
}

#[tokio::test]
async fn inference_is_truthiness() {
    // spec §3.1, §10 item 9: false/null/absent → false, anything else (even "false") → true
    let s = seeded().await;
    let q = json!({"todos": {"$": {"where": {"id": uid(11)}}, "goal": {}}});
    for (flag, singular) in [(json!(false), false), (json!(null), false), (json!("false"), true), (json!(0), true), (json!(true), true)] {
        let a = s.admin("/admin/query", json!({"query": q, "inference?": flag})).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body["todos"][0]["goal"].is_object(), singular, "inference? {flag}");
    }
    let a = s.admin("/admin/query", json!({"query": q})).await;
    assert!(a.body["todos"][0]["goal"].is_array());
}

#[tokio::test]
async fn unknown_link_with_inference_is_still_an_empty_array() {
    // spec §5.10: unknown link label → [] on every parent, also with inference
    let s = seeded().await;
    let r = s.query_inferred(json!({"goals": {"nolink": {}}})).await;
    for g in r["goals"].as_array().expect("goals") {
        assert_eq!(g["nolink"], json!([]));
    }
}

// ================================================================ §5.10 unknown names

#[tokio::test]
async fn unknown_names_give_empty_results_not_errors() {
    // spec §5.10, §10 item 13
    let s = seeded().await;
    assert_eq!(s.query(json!({"nope": {}})).await, json!({"nope": []}));
    let r = s.query(json!({"goals": {"nolink": {}}})).await;
    assert_eq!(r["goals"][0]["nolink"], json!([]));
    assert_eq!(r["goals"].as_array().map(Vec::len), Some(3));
    for w in [
        json!({"color": "red"}),
        json!({"color": {"$isNull": true}}),
        json!({"color": {"$not": "red"}}),
        json!({"nolink.title": "x"}),
        json!({"todos.nope": "x"}),
        json!({"or": [{"title": "Get fit"}, {"color": "red"}]}),
    ] {
        assert_eq!(s.query(where_(w.clone())).await, json!({"goals": []}), "where {w}");
    }
}

// ================================================================ §5.4 where

#[tokio::test]
async fn where_equality_on_strings_numbers_and_booleans() {
    // spec §5.4 literal: JSON equality, numbers numerically, strings case-sensitively
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"title": "Get fit"})).await, [uid(1)]);
    assert_eq!(s.ids_where("goals", json!({"title": "get fit"})).await, none());
    assert_eq!(s.ids_where("goals", json!({"priority": 1.0})).await, [uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"priority": 2})).await, [uid(1)]);
    assert_eq!(s.ids_where("todos", json!({"done": false})).await, [uid(11), uid(13)]);
    assert_eq!(s.ids_where("goals", json!({"title": "Get fit", "priority": 1})).await, none(), "entries are ANDed");
}

#[tokio::test]
async fn where_equality_on_untyped_attributes() {
    // spec §5.11: schemaless values compare as JSON (numbers by value)
    let s = start().await;
    s.transact(json!([["update", "t", uid(1), {"v": 1}], ["update", "t", uid(2), {"v": "1"}], ["update", "t", uid(3), {"v": true}], ["update", "t", uid(4), {"v": 1.0}]])).await;
    assert_eq!(s.ids_where("t", json!({"v": 1})).await, [uid(1), uid(4)]);
    assert_eq!(s.ids_where("t", json!({"v": "1"})).await, [uid(2)]);
    assert_eq!(s.ids_where("t", json!({"v": true})).await, [uid(3)]);
}

#[tokio::test]
async fn where_on_id() {
    // spec §5.4: `id` is an attribute like any other
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"id": uid(3)})).await, [uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"id": {"$in": [uid(3), uid(1), uid(99)]}})).await, [uid(1), uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"id": uid(99)})).await, none());
}

#[tokio::test]
async fn where_on_dates_compares_instants() {
    // spec §5.4: date attrs accept epoch ms or date strings and compare as instants
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"due": "2024-01-01T00:00:00.000Z"})).await, [uid(1)]);
    assert_eq!(s.ids_where("goals", json!({"due": 1704153600000u64})).await, [uid(2)]);
}

#[tokio::test]
async fn where_dotted_paths_are_existential_joins() {
    // spec §5.4 paths: some chain of linked entities satisfies the condition
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"todos.text": "Write"})).await, [uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"todos.done": false})).await, [uid(1), uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"todos.done": true})).await, [uid(1)]);
    assert_eq!(s.ids_where("todos", json!({"goal.title": "Get fit"})).await, [uid(11), uid(12)]);
    assert_eq!(s.ids_where("todos", json!({"goal.todos.text": "Lift"})).await, [uid(11), uid(12)], "multi-level");
}

#[tokio::test]
async fn where_on_a_link_compares_linked_ids() {
    // spec §5.4: last segment a link → value compared with linked ids; `link.id` likewise
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"todos": uid(12)})).await, [uid(1)]);
    assert_eq!(s.ids_where("goals", json!({"todos.id": uid(13)})).await, [uid(2)]);
    assert_eq!(s.ids_where("todos", json!({"goal": uid(2)})).await, [uid(13)]);
    assert_eq!(s.ids_where("todos", json!({"goal.id": uid(1)})).await, [uid(11), uid(12)]);
    assert_eq!(s.ids_where("goals", json!({"todos": {"$in": [uid(11), uid(13)]}})).await, [uid(1), uid(2)]);
}

#[tokio::test]
async fn where_on_a_link_needs_uuids() {
    // spec §5.4: `Expected bookshelves to be a uuid, got "hello"`; in $in `Expected X to match on a uuid, found …`
    let s = seeded().await;
    let a = s.query_err(where_(json!({"todos": "hello"}))).await;
    assert_validation(&a, "Expected todos to be a uuid, got \"hello\"");
    let a = s.query_err(where_(json!({"todos": {"$in": ["hello"]}}))).await;
    assert_error_contains(&a, 400, "validation-failed", "Expected todos to match on a uuid");
}

#[tokio::test]
async fn where_path_through_a_non_link_is_an_error() {
    // spec §5.4: every segment but the last must be a link
    let s = seeded().await;
    let a = s.query_err(where_(json!({"title.x": "a"}))).await;
    assert_error_contains(&a, 400, "validation-failed", "goals.title needs to be a link");
}

#[tokio::test]
async fn where_in() {
    // spec §5.4 `$in` (alias `in`): any element; [] matches nothing; null needs an indexed attr
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"title": {"$in": ["Read more", "Get fit"]}})).await, [uid(1), uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"title": {"in": ["Ship it"]}})).await, [uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"title": {"$in": []}})).await, none());
    assert_eq!(s.ids_where("goals", json!({"priority": {"$in": [1, null]}})).await, [uid(2), uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"slug": {"$in": [null]}})).await, [uid(3)]);
}

#[tokio::test]
async fn where_in_null_needs_an_index() {
    // spec §5.4 exact message
    let s = seeded().await;
    let a = s.query_err(where_(json!({"notes": {"$in": [null]}}))).await;
    assert_validation(&a, "Only indexed attrs can check for `nil` in `$in`. goals.notes is not indexed.");
}

#[tokio::test]
async fn where_not_and_ne_match_missing_attributes() {
    // spec §5.4 `$not`/`$ne`, §10 item 15: value ≠ literal or attribute missing/null
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"priority": {"$not": 1}})).await, [uid(1), uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"priority": {"$ne": 1}})).await, [uid(1), uid(3)]);
    s.transact(json!([["update", "goals", uid(2), {"notes": "n"}]])).await;
    assert_eq!(s.ids_where("goals", json!({"notes": {"$not": "n"}})).await, [uid(1), uid(3)], "never-set plain attr");
    assert_eq!(s.ids_where("goals", json!({"title": {"$ne": "Get fit"}})).await, [uid(2), uid(3)]);
}

#[tokio::test]
async fn where_not_on_paths_matches_missing_links() {
    // spec §5.4 `$not` on paths: also matches when an intermediate link is missing
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"todos.text": {"$not": "Write"}})).await, [uid(1), uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"todos.text": {"$not": "Run"}})).await, [uid(1), uid(2), uid(3)]);
}

#[tokio::test]
async fn where_is_null() {
    // spec §5.4 `$isNull`: true = missing or null; false = present and not null
    let s = seeded().await;
    s.transact(json!([["update", "goals", uid(2), {"notes": null}], ["update", "goals", uid(1), {"notes": "n"}]])).await;
    assert_eq!(s.ids_where("goals", json!({"priority": {"$isNull": true}})).await, [uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"priority": {"$isNull": false}})).await, [uid(1), uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"notes": {"$isNull": true}})).await, [uid(2), uid(3)], "explicit null and never set");
    assert_eq!(s.ids_where("goals", json!({"notes": {"$isNull": false}})).await, [uid(1)]);
}

#[tokio::test]
async fn where_is_null_on_paths_and_links() {
    // spec §5.4 `$isNull: true` on a path: true if any link along the path is missing
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"todos": {"$isNull": true}})).await, [uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"todos": {"$isNull": false}})).await, [uid(1), uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"todos.text": {"$isNull": true}})).await, [uid(3)]);
    assert_eq!(s.ids_where("todos", json!({"goal.priority": {"$isNull": false}})).await, [uid(11), uid(12), uid(13)]);
}

#[tokio::test]
async fn where_is_null_needs_a_boolean() {
    // spec §5.4: `$isNull` value must be boolean
    let s = seeded().await;
    let a = s.query_err(where_(json!({"priority": {"$isNull": "yes"}}))).await;
    assert_invalid(&a);
}

#[tokio::test]
async fn where_comparisons_on_numbers() {
    // spec §5.4 `$gt` `$gte` `$lt` `$lte` on indexed typed attrs; missing values never match
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"priority": {"$gt": 1}})).await, [uid(1)]);
    assert_eq!(s.ids_where("goals", json!({"priority": {"$gte": 1}})).await, [uid(1), uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"priority": {"$lt": 2}})).await, [uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"priority": {"$lte": 2.5}})).await, [uid(1), uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"priority": {"$gt": 5}})).await, none());
}

#[tokio::test]
async fn where_comparisons_on_strings_booleans_and_dates() {
    // spec §5.4: ordered comparison per checked type; dates as instants (ms or strings)
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"title": {"$gt": "M"}})).await, [uid(2), uid(3)]);
    assert_eq!(s.ids_where("goals", json!({"title": {"$lte": "Get fit"}})).await, [uid(1)]);
    assert_eq!(s.ids_where("todos", json!({"done": {"$gt": false}})).await, [uid(12)]);
    assert_eq!(s.ids_where("goals", json!({"due": {"$gte": "2024-01-02"}})).await, [uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"due": {"$lt": 1704153600000u64}})).await, [uid(1)]);
    assert_eq!(s.ids_where("goals", json!({"due": {"$gt": "2023-12-31T23:59:59Z"}})).await, [uid(1), uid(2)]);
}

#[tokio::test]
async fn comparisons_need_an_index() {
    // spec §5.4, §10 item 14: exact message for a typed but unindexed attr
    let s = seeded().await;
    for op in ["$gt", "$gte", "$lt", "$lte"] {
        let a = s.query_err(where_(json!({"notes": {op: "a"}}))).await;
        assert_validation(&a, "The `goals.notes` attribute must be indexed to use comparison operators.");
    }
    let a = s.query_err(json!({"todos": {"$": {"where": {"text": {"$gt": "a"}}}}})).await;
    assert_validation(&a, "The `todos.text` attribute must be indexed to use comparison operators.");
}

#[tokio::test]
async fn comparisons_need_an_enforced_type() {
    // spec §5.4: exact message for an indexed but untyped attr
    let s = seeded().await;
    let a = s.query_err(where_(json!({"tags": {"$gt": 0}}))).await;
    assert_validation(&a, "The `goals.tags` attribute must have an enforced type to use comparison operators.");
}

#[tokio::test]
async fn comparisons_fail_on_schemaless_attributes() {
    // spec §10 item 14: auto-created attrs are neither indexed nor typed
    let s = start().await;
    s.transact(json!([["update", "t", uid(1), {"n": 1, "s": "a"}]])).await;
    for w in [json!({"n": {"$gt": 0}}), json!({"n": {"$lte": 0}}), json!({"s": {"$like": "a%"}}), json!({"s": {"$ilike": "a%"}})] {
        let a = s.query_err(json!({"t": {"$": {"where": w}}})).await;
        assert_invalid(&a);
    }
}

#[tokio::test]
async fn comparison_literals_must_match_the_checked_type() {
    // spec §5.4: literal type must match the checked type
    let s = seeded().await;
    let a = s.query_err(where_(json!({"priority": {"$gt": "1"}}))).await;
    assert_invalid(&a);
    let a = s.query_err(where_(json!({"title": {"$lt": 3}}))).await;
    assert_invalid(&a);
}

#[tokio::test]
async fn typed_equality_literals_are_checked() {
    // spec §5.4: typed attrs validate literal types in equality / $in / $not
    let s = seeded().await;
    let a = s.query_err(where_(json!({"priority": "5"}))).await;
    assert_validation(&a, "The data type of `goals.priority` is `number`, but the query got the value `\"5\"` of type `string`.");
    let a = s.query_err(where_(json!({"priority": {"$in": [1, "2"]}}))).await;
    assert_invalid(&a);
    let a = s.query_err(where_(json!({"title": {"$not": 5}}))).await;
    assert_invalid(&a);
    let a = s.query_err(json!({"todos": {"$": {"where": {"done": "yes"}}}})).await;
    assert_invalid(&a);
}

#[tokio::test]
async fn date_literals_reject_relative_words() {
    // spec §5.4: "now", "today" etc. are rejected
    let s = seeded().await;
    for word in ["now", "today"] {
        let a = s.query_err(where_(json!({"due": {"$gt": word}}))).await;
        assert_invalid(&a);
    }
}

#[tokio::test]
async fn like_and_ilike() {
    // spec §5.4 `$like` (case-sensitive) / `$ilike` (insensitive): `%` any run, `_` one char
    let s = seeded().await;
    assert_eq!(s.ids_where("goals", json!({"title": {"$like": "%it"}})).await, [uid(1), uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"title": {"$like": "Get%"}})).await, [uid(1)]);
    assert_eq!(s.ids_where("goals", json!({"title": {"$like": "get%"}})).await, none());
    assert_eq!(s.ids_where("goals", json!({"title": {"$ilike": "get%"}})).await, [uid(1)]);
    assert_eq!(s.ids_where("goals", json!({"title": {"$ilike": "%IT"}})).await, [uid(1), uid(2)]);
    assert_eq!(s.ids_where("goals", json!({"title": {"$like": "_et fit"}})).await, [uid(1)]);
    assert_eq!(s.ids_where("goals", json!({"title": {"$like": "_fit"}})).await, none());
    assert_eq!(s.ids_where("goals", json!({"title": {"$like": "Read more"}})).await, [uid(3)]);
}

#[tokio::test]
async fn like_needs_a_string_on_an_indexed_string_attr() {
    // spec §5.4: as comparisons, and the value must be a string on a string-typed attr
    let s = seeded().await;
    let a = s.query_err(where_(json!({"title": {"$like": 5}}))).await;
    assert_error_contains(&a, 400, "validation-failed", "The $like value for");
    let a = s.query_err(where_(json!({"notes": {"$like": "a%"}}))).await;
    assert_invalid(&a);
    let a = s.query_err(where_(json!({"priority": {"$ilike": "1%"}}))).await;
    assert_invalid(&a);
}

#[tokio::test]
async fn null_and_structured_literals_are_invalid() {
    // spec §5.4, §10 item 16: null is not a valid literal; objects/arrays invalid as equality values
    let s = seeded().await;
    for w in [json!({"title": null}), json!({"tags": [1, 2]}), json!({"title": {"$eq": "x"}})] {
        let a = s.query_err(where_(w.clone())).await;
        assert_invalid(&a);
    }
    let s = start().await;
    s.transact(json!([["update", "t", uid(1), {"v": null}]])).await;
    let a = s.query_err(json!({"t": {"$": {"where": {"v": null}}}})).await;
    assert_invalid(&a);
}

#[tokio::test]
async fn where_and_or_nest() {
    // spec §5.4 `and` / `or`
    let s = seeded().await;
    let w = json!({"or": [{"title": "Read more"}, {"and": [{"priority": {"$lt": 2}}, {"todos.done": false}]}]});
    assert_eq!(s.ids_where("goals", w).await, [uid(2), uid(3)]);
    let w = json!({"and": [{"priority": {"$gte": 1}}, {"priority": {"$lte": 1}}]});
    assert_eq!(s.ids_where("goals", w).await, [uid(2)]);
    let w = json!({"or": [{"or": [{"id": uid(3)}]}, {"slug": "fit"}], "priority": {"$isNull": false}});
    assert_eq!(s.ids_where("goals", w).await, [uid(1)]);
    let w = json!({"or": [{"todos.text": "Run"}, {"todos.text": "Write"}]});
    assert_eq!(s.ids_where("goals", w).await, [uid(1), uid(2)]);
}

#[tokio::test]
async fn empty_or_is_an_error() {
    // spec §5.4: exact message
    let s = seeded().await;
    let a = s.query_err(where_(json!({"or": []}))).await;
    assert_validation(&a, "The list of `or` conditions can't be empty.");
    let a = s.query_err(where_(json!({"and": []}))).await;
    assert_invalid(&a);
}

#[tokio::test]
async fn where_on_nested_forms_filters_linked_entities() {
    // spec §5.2/§5.4: options apply to nested forms too
    let s = seeded().await;
    let r = s.query(json!({"goals": {"todos": {"$": {"where": {"done": false}}}}})).await;
    assert_eq!(ids_of(&r["goals"][0]["todos"]), [uid(11)]);
    assert_eq!(ids_of(&r["goals"][1]["todos"]), [uid(13)]);
    assert_eq!(r["goals"].as_array().map(Vec::len), Some(3), "the parent list is not filtered");
}

// ================================================================ §5.5 ordering

#[tokio::test]
async fn default_order_is_creation_time_then_uuid() {
    // spec §5.5, §10 item 10: one transaction ⇒ UUID order (not step order); later transactions after
    let s = seeded().await;
    s.transact(json!([["update", "goals", uid(0), {"title": "Later"}]])).await;
    assert_eq!(s.ids(json!({"goals": {}}), "goals").await, [uid(1), uid(2), uid(3), uid(0)]);
    let asc = json!({"goals": {"$": {"order": {"serverCreatedAt": "asc"}}}});
    assert_eq!(s.ids(asc, "goals").await, [uid(1), uid(2), uid(3), uid(0)]);
    let desc = json!({"goals": {"$": {"order": {"serverCreatedAt": "desc"}}}});
    assert_eq!(s.ids(desc, "goals").await, [uid(0), uid(3), uid(2), uid(1)], "desc reverses the id tie-break too");
}

#[tokio::test]
async fn uuid_tie_break_is_by_hex_string() {
    // spec §5.5: byte-wise = lexicographic order of the lower-case hex string
    let s = start().await;
    let ids = [
        "ffffffff-0000-4000-8000-000000000000",
        "0fffffff-0000-4000-8000-000000000000",
        "a0000000-0000-4000-8000-000000000000",
        "0a000000-0000-4000-8000-000000000000",
    ];
    let steps: Vec<Value> = ids.iter().map(|id| json!(["update", "t", id, {"x": 1}])).collect();
    s.transact(json!(steps)).await;
    let mut sorted = ids.to_vec();
    sorted.sort();
    assert_eq!(s.ids(json!({"t": {}}), "t").await, sorted);
}

#[tokio::test]
async fn nested_arrays_use_the_default_order_too() {
    // spec §5.5: nested arrays without `order` sorted by serverCreatedAt asc, then id
    let s = start().await;
    s.transact(json!([["update", "t", uid(9), {"x": 1}]])).await;
    s.transact(json!([["update", "t", uid(5), {"x": 2}], ["update", "t", uid(7), {"x": 3}]])).await;
    s.transact(json!([["update", "p", uid(1), {"y": 1}], ["link", "p", uid(1), {"t": [uid(7), uid(5), uid(9)]}]])).await;
    let r = s.query(json!({"p": {"t": {}}})).await;
    assert_eq!(ids_of(&r["p"][0]["t"]), [uid(9), uid(5), uid(7)]);
}

#[tokio::test]
async fn updates_keep_server_created_at() {
    // spec §6.8: updating an entity never changes its serverCreatedAt
    let s = start().await;
    s.transact(json!([["update", "t", uid(2), {"x": 1}]])).await;
    s.transact(json!([["update", "t", uid(1), {"x": 1}]])).await;
    s.transact(json!([["update", "t", uid(2), {"x": 2}], ["merge", "t", uid(2), {"y": {"a": 1}}]])).await;
    assert_eq!(s.ids(json!({"t": {}}), "t").await, [uid(2), uid(1)]);
}

#[tokio::test]
async fn order_by_attribute_puts_nulls_first_asc_and_last_desc() {
    // spec §5.5, §10 item 11
    let s = seeded().await;
    let q = |field: &str, dir: &str| json!({"goals": {"$": {"order": {field: dir}}}});
    assert_eq!(s.ids(q("priority", "asc"), "goals").await, [uid(3), uid(2), uid(1)]);
    assert_eq!(s.ids(q("priority", "desc"), "goals").await, [uid(1), uid(2), uid(3)]);
    assert_eq!(s.ids(q("title", "asc"), "goals").await, [uid(1), uid(3), uid(2)]);
    assert_eq!(s.ids(q("title", "desc"), "goals").await, [uid(2), uid(3), uid(1)]);
    assert_eq!(s.ids(q("due", "asc"), "goals").await, [uid(3), uid(1), uid(2)], "ms and ISO compare as instants");
    assert_eq!(s.ids(q("due", "desc"), "goals").await, [uid(2), uid(1), uid(3)]);
}

#[tokio::test]
async fn order_ties_break_by_id_in_the_order_direction() {
    // spec §5.5: equal sort values (and nulls) tie-break by id, ascending for asc, descending for desc
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([["update", "goals", uid(4), {"priority": 5}], ["update", "goals", uid(2), {"priority": 5}]])).await;
    s.transact(json!([["update", "goals", uid(3), {"priority": 1}], ["update", "goals", uid(5), {}]])).await;
    s.transact(json!([["update", "goals", uid(1), {"title": "no priority"}]])).await;
    let q = |dir: &str| json!({"goals": {"$": {"order": {"priority": dir}}}});
    assert_eq!(s.ids(q("asc"), "goals").await, [uid(1), uid(5), uid(3), uid(2), uid(4)]);
    assert_eq!(s.ids(q("desc"), "goals").await, [uid(4), uid(2), uid(3), uid(5), uid(1)]);
}

#[tokio::test]
async fn nested_order_works_on_any_attribute() {
    // spec §5.5: nested `order` needs no index or type; nulls first in asc, last in desc
    let s = seeded().await;
    s.transact(json!([["update", "todos", uid(14), {"done": true}], ["link", "goals", uid(1), {"todos": uid(14)}]])).await;
    let q = |dir: &str| json!({"goals": {"$": {"where": {"id": uid(1)}}, "todos": {"$": {"order": {"text": dir}}}}});
    assert_eq!(ids_of(&s.query(q("asc")).await["goals"][0]["todos"]), [uid(14), uid(12), uid(11)]);
    assert_eq!(ids_of(&s.query(q("desc")).await["goals"][0]["todos"]), [uid(11), uid(12), uid(14)]);
}

#[tokio::test]
async fn order_errors() {
    // spec §5.3 order shape, §5.5 top-level requirements, §10 item 13
    let s = seeded().await;
    let a = s.query_err(opts(json!({"order": {"nope": "asc"}}))).await;
    assert_validation(&a, "There is no `nope` attribute for goals.");
    for unusable in ["notes", "tags"] {
        // not indexed / no checked type
        let a = s.query_err(opts(json!({"order": {unusable: "asc"}}))).await;
        assert_invalid(&a);
    }
    let a = s.query_err(opts(json!({"order": {"title": "DESC"}}))).await;
    assert_validation(&a, "We only support \"asc\" or \"desc\" in the `order` clause. Got \"DESC\".");
    let raw = r#"{"query":{"goals":{"$":{"order":{"title":"asc","priority":"asc"}}}}}"#;
    let auth = s.bearer();
    let a = s.post_raw("/admin/query", &[JSON, ("app-id", &s.app_id), ("authorization", &auth)], raw).await;
    assert_validation(&a, "We only support a single key in the `order` clause. Got title,priority.");
}

#[tokio::test]
async fn order_on_schemaless_attributes_fails_at_top_level_only() {
    // spec §5.5: top-level needs indexed+typed (auto attrs are neither); nested has no requirement
    let s = start().await;
    s.transact(json!([["update", "p", uid(1), {"n": 1}], ["update", "c", uid(2), {"n": 2}], ["update", "c", uid(3), {"n": 1}], ["link", "p", uid(1), {"c": [uid(2), uid(3)]}]])).await;
    let a = s.query_err(json!({"c": {"$": {"order": {"n": "asc"}}}})).await;
    assert_invalid(&a);
    let r = s.query(json!({"p": {"c": {"$": {"order": {"n": "asc"}}}}})).await;
    assert_eq!(ids_of(&r["p"][0]["c"]), [uid(3), uid(2)]);
}

// ================================================================ §5.6 pagination

#[tokio::test]
async fn limit_first_offset_last() {
    // spec §5.6: order → offset → limit/first from the front or last from the back
    let s = seeded().await;
    assert_eq!(s.ids(opts(json!({"limit": 2})), "goals").await, [uid(1), uid(2)]);
    assert_eq!(s.ids(opts(json!({"first": 1})), "goals").await, [uid(1)]);
    assert_eq!(s.ids(opts(json!({"limit": 10})), "goals").await, [uid(1), uid(2), uid(3)]);
    assert_eq!(s.ids(opts(json!({"offset": 1})), "goals").await, [uid(2), uid(3)]);
    assert_eq!(s.ids(opts(json!({"first": 1, "offset": 1})), "goals").await, [uid(2)]);
    assert_eq!(s.ids(opts(json!({"offset": 3})), "goals").await, none());
    assert_eq!(s.ids(opts(json!({"offset": 0})), "goals").await, [uid(1), uid(2), uid(3)]);
    assert_eq!(s.ids(opts(json!({"last": 2})), "goals").await, [uid(2), uid(3)], "last: returned in normal order");
    assert_eq!(s.ids(opts(json!({"last": 1, "offset": 1})), "goals").await, [uid(3)]);
    assert_eq!(s.ids(opts(json!({"limit": 2, "order": {"priority": "desc"}})), "goals").await, [uid(1), uid(2)]);
    assert_eq!(s.ids(opts(json!({"last": 1, "order": {"title": "asc"}})), "goals").await, [uid(2)]);
    assert_eq!(s.ids(opts(json!({"limit": 1, "where": {"priority": {"$isNull": false}}, "offset": 1})), "goals").await, [uid(2)]);
}

#[tokio::test]
async fn admin_query_returns_no_page_info() {
    // spec §5.6: /admin/query does not return page info
    let s = seeded().await;
    let r = s.query(opts(json!({"limit": 1}))).await;
    assert_eq!(r.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()), Some(vec!["goals".to_owned()]));
    assert_eq!(r["goals"][0].get("pageInfo"), None);
}

#[tokio::test]
async fn nested_limits_are_accepted_but_ignored() {
    // spec §5.3, §10 item 12
    let s = seeded().await;
    for o in [json!({"limit": 1}), json!({"first": 1}), json!({"last": 1})] {
        let r = s.query(json!({"goals": {"$": {"where": {"id": uid(1)}}, "todos": {"$": o}}})).await;
        assert_eq!(ids_of(&r["goals"][0]["todos"]), [uid(11), uid(12)], "nested {o}");
    }
}

#[tokio::test]
async fn nested_offset_before_after_are_errors() {
    // spec §5.3: exact message
    let s = seeded().await;
    for o in [json!({"offset": 1}), json!({"after": [uid(11), uid(1), uid(11), 1]}), json!({"before": [uid(11), uid(1), uid(11), 1]})] {
        let a = s.query_err(json!({"goals": {"todos": {"$": o}}})).await;
        assert_validation(
            &a,
            "We currently only support `offset`, `before`, and `after` clauses on the top-level field. Limit fields will be ignored",
        );
    }
}

#[tokio::test]
async fn cursor_validation() {
    // spec §5.6: non-array cursors, wrong length (3 or 4 allowed), non-UUID attr ids
    let s = seeded().await;
    let a = s.query_err(opts(json!({"after": 10}))).await;
    assert_validation(&a, "Expected a join row for the cursor, got 10.");
    for bad in [json!([1, 2]), json!([uid(1), uid(2), uid(1), 1, 5]), json!([uid(1)])] {
        let a = s.query_err(opts(json!({"before": bad}))).await;
        assert_invalid(&a);
    }
    for key in ["after", "before"] {
        let a = s.query_err(opts(json!({key: [uid(1), "x", uid(1), 1]}))).await;
        assert_invalid(&a);
    }
}

#[tokio::test]
async fn cursor_from_another_ordering_is_rejected() {
    // spec §5.6: a cursor whose attr-id is not the current order attribute; attr ids from platform §4.4
    let s = start().await;
    let a = s.admin("/admin/refresh_tokens", json!({"email": "a@x.com"})).await;
    let id = a.body["user"]["id"].as_str().expect("id").to_owned();
    let q = json!({"$users": {"$": {"order": {"email": "asc"}, "after": [id, USERS_ID_ATTR, id, 1]}}});
    let a = s.query_err(q).await;
    assert_validation(
        &a,
        "Invalid after cursor. The query orders by `email`, but the query that returned the cursor orders by `serverCreatedAt`.",
    );
}

#[tokio::test]
async fn pagination_option_values_are_validated() {
    // spec §5.3, §1.2: positive JSON integers (10.0 rejected); offset non-negative; one of limit/first/last
    let s = seeded().await;
    let a = s.query_err(opts(json!({"limit": -1}))).await;
    assert_validation(&a, "The limit field must be a positive integer. Got -1.");
    let a = s.query_err(opts(json!({"limit": 0}))).await;
    assert_validation(&a, "The limit field must be a positive integer. Got 0.");
    for o in [
        json!({"limit": 10.0}),
        json!({"limit": "2"}),
        json!({"first": 0}),
        json!({"last": -2}),
        json!({"offset": -1}),
        json!({"offset": 1.5}),
    ] {
        let a = s.query_err(opts(o.clone())).await;
        assert_invalid(&a);
    }
    let a = s.query_err(opts(json!({"limit": 1, "first": 1}))).await;
    assert_validation(&a, "Only provide one of `limit` or `first`.");
    for o in [json!({"limit": 1, "last": 1}), json!({"first": 1, "last": 1})] {
        let a = s.query_err(opts(o)).await;
        assert_invalid(&a);
    }
}

// ================================================================ §5.3 other options

#[tokio::test]
async fn unknown_option_is_rejected() {
    // spec §5.3: error {"expected":"supported-options?","message":…}
    let s = seeded().await;
    let msg = "We only support `where`, `order`, `limit`, `offset`, `before`, and `after` clauses.";
    for o in [json!({"bogus": 1}), json!({"orderBy": {"title": "asc"}})] {
        let a = s.query_err(opts(o)).await;
        assert_validation(&a, msg);
        let errors = a.body["hint"]["errors"].as_array().cloned().unwrap_or_default();
        assert!(errors.iter().any(|e| e["expected"] == "supported-options?" && e["message"] == msg), "{}", a.body);
    }
}

#[tokio::test]
async fn every_documented_option_is_accepted() {
    // spec §5.3 allowed keys
    let s = seeded().await;
    let o = json!({"where": {}, "order": {"serverCreatedAt": "asc"}, "limit": 5, "offset": 0, "fields": ["title"], "afterInclusive": false, "beforeInclusive": false});
    assert_eq!(s.ids(opts(o), "goals").await, [uid(1), uid(2), uid(3)]);
}

#[tokio::test]
async fn forms_must_be_objects() {
    // spec §5.2: {"expected":"map?","in":[…]}; message is just `Validation failed for <data-type>`
    let s = seeded().await;
    let a = s.query_err(json!({"goals": 5})).await;
    assert_error_type(&a, 400, "validation-failed");
    let message = a.body["message"].as_str().unwrap_or("");
    assert!(message.starts_with("Validation failed for ") && !message.contains(':'), "{message}");
    assert_eq!(a.body["hint"]["errors"][0]["expected"], "map?", "{}", a.body);
    assert!(a.body["hint"]["errors"][0]["in"].is_array(), "{}", a.body);
    let a = s.query_err(json!({"goals": {"todos": [1]}})).await;
    assert_error_type(&a, 400, "validation-failed");
    assert_eq!(a.body["hint"]["errors"][0]["expected"], "map?");
}

#[tokio::test]
async fn fields_selects_attributes_and_always_adds_id() {
    // spec §5.7, §10 item 19: links and unknown names ignored; nested forms still rendered
    let s = seeded().await;
    let r = s.query(json!({"goals": {"$": {"where": {"id": uid(1)}, "fields": ["title", "todos", "nope"]}}})).await;
    assert_eq!(r, json!({"goals": [{"id": uid(1), "title": "Get fit"}]}));
    let r = s.query(json!({"goals": {"$": {"where": {"id": uid(1)}, "fields": []}}})).await;
    assert_eq!(r, json!({"goals": [{"id": uid(1)}]}));
    let r = s.query(json!({"goals": {"$": {"where": {"id": uid(2)}, "fields": ["priority"]}, "todos": {"$": {"fields": ["done"]}}}})).await;
    assert_eq!(r, json!({"goals": [{"id": uid(2), "priority": 1, "todos": [{"id": uid(13), "done": false}]}]}));
}

#[tokio::test]
async fn fields_must_be_an_array() {
    // spec §5.3: exact message
    let s = seeded().await;
    let a = s.query_err(opts(json!({"fields": "title"}))).await;
    assert_validation(&a, "The `fields` property should be an array of field names.");
}

#[tokio::test]
async fn aggregate_count_renders_an_empty_array_for_admins() {
    // spec §5.3 aggregate: on /admin/query the namespace renders []
    let s = seeded().await;
    assert_eq!(s.query(opts(json!({"aggregate": "count"}))).await, json!({"goals": []}));
}

#[tokio::test]
async fn aggregate_validation() {
    // spec §5.3: "count" only; not with nested forms; admin only
    let s = seeded().await;
    let a = s.query_err(opts(json!({"aggregate": "sum"}))).await;
    assert_invalid(&a);
    let a = s.query_err(json!({"goals": {"$": {"aggregate": "count"}, "todos": {}}})).await;
    assert_invalid(&a);
    let a = s.post_app("/admin/query", &[("as-guest", "true")], &json!({"query": opts(json!({"aggregate": "count"}))})).await;
    assert_validation(&a, "Aggregates are currently only available for admin queries.");
}

#[tokio::test]
async fn rule_params_go_inside_the_query_and_are_not_echoed() {
    // spec §3.1, §10 item 8: `$$ruleParams` stripped before evaluation; body-level copy ignored
    let s = seeded().await;
    let r = s.query(json!({"$$ruleParams": {"k": 1}, "goals": {"$": {"where": {"id": uid(1)}, "fields": []}}})).await;
    assert_eq!(r, json!({"goals": [{"id": uid(1)}]}));
    let a =
        s.admin("/admin/query", json!({"query": {"goals": {"$": {"fields": []}}}, "$$ruleParams": {"k": 1}, "versions": {"x": 1}})).await;
    assert_eq!(a.status, 200);
    assert_eq!(ids_of(&a.body["goals"]), [uid(1), uid(2), uid(3)]);
    let r = s.query_as(&[("as-guest", "true")], json!({"$$ruleParams": {"k": 1}, "goals": {"$": {"where": {"id": uid(2)}}}})).await;
    assert_eq!(ids_of(&r["goals"]), [uid(2)]);
}

// ================================================================ §5.8 $users

#[tokio::test]
async fn users_namespace_is_queryable() {
    // spec §5.8, §7.1 last line: entity shape, email indexed (null when unset), links to app data
    let s = seeded().await;
    s.transact(json!([
        ["update", "$users", uid(50), {"email": "o@x.com"}],
        ["update", "$users", uid(51), {}],
        ["link", "goals", uid(1), {"owner": uid(50)}],
        ["link", "goals", uid(2), {"owner": uid(50)}]
    ]))
    .await;
    let r = s.query(json!({"$users": {"goals": {"$": {"fields": ["title"]}}}})).await;
    assert_eq!(
        r,
        json!({"$users": [
            {"id": uid(50), "email": "o@x.com", "goals": [{"id": uid(1), "title": "Get fit"}, {"id": uid(2), "title": "Ship it"}]},
            {"id": uid(51), "email": null, "goals": []}
        ]})
    );
    assert_eq!(s.ids_where("$users", json!({"email": "o@x.com"})).await, [uid(50)]);
    assert_eq!(s.ids_where("goals", json!({"owner.email": "o@x.com"})).await, [uid(1), uid(2)]);
}
