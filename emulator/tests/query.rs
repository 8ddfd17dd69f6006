//! InstaQL over HTTP (spec §5).
mod common;
use common::*;
use serde_json::{json, Value};

/// goals 1..3 (one transaction), todos 11..13, g1 → t11, t12; g2 → t13.
async fn seeded() -> Server {
    let s = start_with_schema(goals_schema()).await;
    s.transact(json!([
        ["update", "goals", uid(2), {"title": "Ship it", "priority": 1, "due": "2024-01-02T00:00:00Z"}],
        ["update", "goals", uid(1), {"title": "Get fit", "priority": 2, "due": 1704067200000u64}],
        ["update", "goals", uid(3), {"title": "Read more"}],
        ["update", "todos", uid(11), {"text": "Run", "done": false}],
        ["update", "todos", uid(12), {"text": "Lift", "done": true}],
        ["update", "todos", uid(13), {"text": "Write", "done": false}],
        ["link", "goals", uid(1), {"todos": [uid(11), uid(12)]}],
        ["link", "todos", uid(13), {"goal": uid(2)}]
    ]))
    .await;
    s
}

fn where_(w: Value) -> Value {
    json!({"goals": {"$": {"where": w}}})
}

#[tokio::test]
async fn default_order_is_creation_time_then_uuid() {
    // spec §5.5, §10 item 10: one transaction ⇒ UUID order, later transactions after
    let s = seeded().await;
    s.transact(json!([["update", "goals", uid(0), {"title": "Later"}]])).await;
    assert_eq!(s.ids(json!({"goals": {}}), "goals").await, [uid(1), uid(2), uid(3), uid(0)]);
    let desc = json!({"goals": {"$": {"order": {"serverCreatedAt": "desc"}}}});
    assert_eq!(s.ids(desc, "goals").await, [uid(0), uid(3), uid(2), uid(1)]);
}

#[tokio::test]
async fn entity_shape_with_nulls_and_has_one_ids() {
    // spec §5.9, §10 item 17
    let s = seeded().await;
    s.transact(json!([["update", "goals", uid(3), {"notes": null}], ["update", "$users", uid(50), {"email": "o@x.com"}], ["link", "goals", uid(3), {"owner": uid(50)}]])).await;
    let r = s.query(where_(json!({"id": uid(3)}))).await;
    assert_eq!(r, json!({"goals": [{"id": uid(3), "title": "Read more", "priority": null, "due": null, "slug": null, "tags": null, "notes": null, "owner": uid(50)}]}));
    let r = s.query(json!({"goals": {"$": {"where": {"id": uid(3)}}, "owner": {}}})).await;
    assert_eq!(r["goals"][0]["owner"], json!([{"id": uid(50), "email": "o@x.com"}]));
}

#[tokio::test]
async fn nested_forward_and_reverse_links() {
    // spec §5.2, §5.9: admin keeps empty nested arrays; nested sorted by creation then id
    let s = seeded().await;
    let r = s.query(json!({"goals": {"todos": {"goal": {}}}})).await;
    assert_eq!(ids_of(&r["goals"][0]["todos"]), [uid(11), uid(12)]);
    assert_eq!(ids_of(&r["goals"][0]["todos"][1]["goal"]), [uid(1)]);
    assert_eq!(r["goals"][2]["todos"], json!([]));
}

#[tokio::test]
async fn inference_makes_has_one_links_singular() {
    // spec §5.9 `inference?`
    let s = seeded().await;
    let r = s.query_inferred(json!({"todos": {"goal": {}}, "goals": {"todos": {}, "owner": {}}})).await;
    assert_eq!(r["todos"][0]["goal"]["id"], uid(1));
    assert!(r["goals"][0]["todos"].is_array());
    assert_eq!(r["goals"][0]["owner"], Value::Null);
}

#[tokio::test]
async fn unknown_names_give_empty_results() {
    // spec §5.10
    let s = seeded().await;
    assert_eq!(s.query(json!({"nope": {}})).await, json!({"nope": []}));
    let r = s.query(json!({"goals": {"$": {"where": {"id": uid(1)}}, "nolink": {}}})).await;
    assert_eq!(r["goals"][0]["nolink"], json!([]));
    assert_eq!(s.query(where_(json!({"color": "red"}))).await, json!({"goals": []}));
    assert_eq!(s.query(where_(json!({"color": {"$isNull": true}}))).await, json!({"goals": []}));
    assert_eq!(s.query(json!({})).await, json!({}));
}

#[tokio::test]
async fn where_equality_id_paths_and_link_ids() {
    // spec §5.4
    let s = seeded().await;
    assert_eq!(s.ids(where_(json!({"title": "Get fit"})), "goals").await, [uid(1)]);
    assert_eq!(s.ids(where_(json!({"priority": 1.0})), "goals").await, [uid(2)]);
    assert_eq!(s.ids(where_(json!({"id": uid(3)})), "goals").await, [uid(3)]);
    assert_eq!(s.ids(where_(json!({"todos.text": "Write"})), "goals").await, [uid(2)]);
    assert_eq!(s.ids(where_(json!({"todos": uid(12)})), "goals").await, [uid(1)]);
    assert_eq!(s.ids(where_(json!({"todos.id": uid(13)})), "goals").await, [uid(2)]);
    assert_eq!(s.ids(json!({"todos": {"$": {"where": {"goal.title": "Get fit"}}}}), "todos").await, [uid(11), uid(12)]);
    assert_eq!(s.ids(where_(json!({"due": "2024-01-01T00:00:00.000Z"})), "goals").await, [uid(1)]);
}

#[tokio::test]
async fn where_in_not_isnull() {
    // spec §5.4, §10 item 15
    let s = seeded().await;
    assert_eq!(s.ids(where_(json!({"title": {"$in": ["Get fit", "Read more"]}})), "goals").await, [uid(1), uid(3)]);
    assert_eq!(s.ids(where_(json!({"title": {"in": []}})), "goals").await, Vec::<String>::new());
    assert_eq!(s.ids(where_(json!({"priority": {"$in": [1, null]}})), "goals").await, [uid(2), uid(3)]);
    assert_eq!(s.ids(where_(json!({"priority": {"$not": 1}})), "goals").await, [uid(1), uid(3)]);
    assert_eq!(s.ids(where_(json!({"priority": {"$ne": 1}})), "goals").await, [uid(1), uid(3)]);
    assert_eq!(s.ids(where_(json!({"todos.text": {"$not": "Run"}})), "goals").await, [uid(1), uid(2), uid(3)]);
    assert_eq!(s.ids(where_(json!({"priority": {"$isNull": true}})), "goals").await, [uid(3)]);
    assert_eq!(s.ids(where_(json!({"priority": {"$isNull": false}})), "goals").await, [uid(1), uid(2)]);
    assert_eq!(s.ids(where_(json!({"todos": {"$isNull": true}})), "goals").await, [uid(3)]);
}

#[tokio::test]
async fn where_comparisons_like_and_or() {
    // spec §5.4
    let s = seeded().await;
    assert_eq!(s.ids(where_(json!({"priority": {"$gt": 1}})), "goals").await, [uid(1)]);
    assert_eq!(s.ids(where_(json!({"priority": {"$lte": 2}})), "goals").await, [uid(1), uid(2)]);
    assert_eq!(s.ids(where_(json!({"due": {"$gte": "2024-01-02"}})), "goals").await, [uid(2)]);
    assert_eq!(s.ids(where_(json!({"title": {"$like": "%it"}})), "goals").await, [uid(1), uid(2)]);
    assert_eq!(s.ids(where_(json!({"title": {"$like": "get%"}})), "goals").await, Vec::<String>::new());
    assert_eq!(s.ids(where_(json!({"title": {"$ilike": "get%"}})), "goals").await, [uid(1)]);
    let w = json!({"or": [{"title": "Read more"}, {"and": [{"priority": {"$lt": 2}}, {"todos.done": false}]}]});
    assert_eq!(s.ids(where_(w), "goals").await, [uid(2), uid(3)]);
}

#[tokio::test]
async fn where_errors() {
    // spec §5.4 validation messages
    let s = seeded().await;
    s.transact(json!([["update", "goals", uid(1), {"loose": 1}]])).await;
    let a = s.query_err(where_(json!({"loose": {"$gt": 0}}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: The `goals.loose` attribute must be indexed to use comparison operators.");
    let a = s.query_err(where_(json!({"tags": {"$gt": 0}}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: The `goals.tags` attribute must have an enforced type to use comparison operators.");
    let a = s.query_err(where_(json!({"priority": "5"}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: The data type of `goals.priority` is `number`, but the query got the value `\"5\"` of type `string`.");
    let a = s.query_err(where_(json!({"title": {"$like": 5}}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: The $like value for `goals.title` must be a string, but the query got the value `5` of type `number`.");
    let a = s.query_err(where_(json!({"todos": "hello"}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: Expected todos to be a uuid, got \"hello\"");
    let a = s.query_err(where_(json!({"notes": {"$in": [null]}}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: Only indexed attrs can check for `nil` in `$in`. goals.notes is not indexed.");
    let a = s.query_err(where_(json!({"or": []}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: The list of `or` conditions can't be empty.");
    let a = s.query_err(where_(json!({"title.x": "a"}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for attr: goals.title needs to be a link");
    let a = s.query_err(where_(json!({"title": null}))).await;
    assert_eq!((a.status, a.body["type"].as_str()), (400, Some("validation-failed")));
}

#[tokio::test]
async fn order_by_attribute_with_nulls() {
    // spec §5.5, §10 item 11
    let s = seeded().await;
    let q = |dir: &str| json!({"goals": {"$": {"order": {"priority": dir}}}});
    assert_eq!(s.ids(q("asc"), "goals").await, [uid(3), uid(2), uid(1)]);
    assert_eq!(s.ids(q("desc"), "goals").await, [uid(1), uid(2), uid(3)]);
    let nested = json!({"goals": {"$": {"where": {"id": uid(1)}}, "todos": {"$": {"order": {"text": "asc"}}}}});
    assert_eq!(ids_of(&s.query(nested).await["goals"][0]["todos"]), [uid(12), uid(11)]);
}

#[tokio::test]
async fn order_errors() {
    // spec §5.3, §5.5
    let s = seeded().await;
    let err = |order: Value| json!({"goals": {"$": {"order": order}}});
    let a = s.query_err(err(json!({"nope": "asc"}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: There is no `nope` attribute for goals.");
    let a = s.query_err(err(json!({"notes": "asc"}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: The `goals.notes` attribute is not indexed. Only indexed and typed attributes can be used to order by.");
    let a = s.query_err(err(json!({"title": "DESC"}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: We only support \"asc\" or \"desc\" in the `order` clause. Got \"DESC\".");
    let a = s.query_err(err(json!({"title": "asc", "priority": "asc"}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: We only support a single key in the `order` clause. Got title,priority.");
}

#[tokio::test]
async fn pagination_limit_offset_first_last_cursors() {
    // spec §5.6
    let s = seeded().await;
    let page = |opts: Value| json!({"goals": {"$": opts}});
    assert_eq!(s.ids(page(json!({"limit": 2})), "goals").await, [uid(1), uid(2)]);
    assert_eq!(s.ids(page(json!({"first": 1, "offset": 1})), "goals").await, [uid(2)]);
    assert_eq!(s.ids(page(json!({"last": 2})), "goals").await, [uid(2), uid(3)]);
    let a = s.query_err(page(json!({"after": 10}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: Expected a join row for the cursor, got 10.");
    let a = s.query_err(page(json!({"after": [uid(1), "x", uid(1), 1]}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: Expected a join row with a uuid attribute id in the second position, got \"x\".");
    let a = s.query_err(page(json!({"before": [1, 2]}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: Expected a join row with 4 items for the cursor, got [1,2].");
    let a = s.query_err(page(json!({"after": [uid(1), uid(77), uid(1), 1]}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: Invalid after cursor. The query orders by `serverCreatedAt`, but the query that returned the cursor orders by a missing attribute.");
}

#[tokio::test]
async fn option_validation() {
    // spec §5.3, §10 item 12
    let s = seeded().await;
    let opts = |o: Value| json!({"goals": {"$": o}});
    let a = s.query_err(opts(json!({"limit": -1}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: The limit field must be a positive integer. Got -1.");
    let a = s.query_err(opts(json!({"limit": 1, "first": 1}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: Only provide one of `limit` or `first`.");
    let a = s.query_err(opts(json!({"bogus": 1}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: We only support `where`, `order`, `limit`, `offset`, `before`, and `after` clauses.");
    let a = s.query_err(opts(json!({"fields": "title"}))).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: The `fields` property should be an array of field names.");
    let a = s.query_err(json!({"goals": {"todos": {"$": {"offset": 1}}}})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query: We currently only support `offset`, `before`, and `after` clauses on the top-level field. Limit fields will be ignored");
    let a = s.query_err(json!({"goals": 5})).await;
    assert_error(&a, 400, "validation-failed", "Validation failed for query");
    assert_eq!(a.body["hint"]["errors"], json!([{"expected": "map?", "in": ["goals"]}]));
    let nested = s.query(json!({"goals": {"$": {"where": {"id": uid(1)}}, "todos": {"$": {"limit": 1}}}})).await;
    assert_eq!(nested["goals"][0]["todos"].as_array().map(Vec::len), Some(2), "nested limit is ignored");
}

#[tokio::test]
async fn fields_rule_params_and_users_namespace() {
    // spec §5.7, §3.1 $$ruleParams inside query, §5.8 $users
    let s = seeded().await;
    let r = s.query(json!({"goals": {"$": {"where": {"id": uid(1)}, "fields": ["title", "todos", "nope"]}}})).await;
    assert_eq!(r, json!({"goals": [{"id": uid(1), "title": "Get fit"}]}));
    let r = s.query(json!({"$$ruleParams": {"k": 1}, "goals": {"$": {"where": {"id": uid(1)}, "fields": []}}})).await;
    assert_eq!(r, json!({"goals": [{"id": uid(1)}]}));
    s.admin("/admin/refresh_tokens", json!({"email": "u@x.com"})).await;
    let users = s.query(json!({"$users": {}})).await;
    assert_eq!(users["$users"][0]["email"], "u@x.com");
}
