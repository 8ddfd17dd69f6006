//! Typed queries (`instant_edge::typed`) built from the demo schema declared with `schema!`:
//! the declaration gives the same `Schema` as `examples/demo-schema.json`, each query the same
//! JSON as its `value!` form, which passes the official client's checks. What must not compile
//! is in the `compile_fail` examples of src/typed/. Native only.
#![cfg(not(target_arch = "wasm32"))]

use instant_edge::schema::check_query;
use instant_edge::typed::{and, or, Entity, Order, Query};
use instant_edge::{value, Schema, Value};

instant_edge::schema! {
    /// The demo app of examples/demo-schema.json.
    pub mod demo {
        goals { title: string [indexed], priority: optional number [indexed] }
        todos { text: string, done: optional boolean [indexed] }
        links {
            goalsTodos: goals.todos many <=> todos.goal one [onDelete: cascade],
        }
    }
}
use demo::{goals, todos};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-schema.json");
const GOAL: &str = "11111111-2222-4333-8444-555555555555";

fn demo_json() -> String {
    std::fs::read_to_string(DEMO).unwrap()
}

#[test]
fn the_declaration_is_the_demo_schema() {
    assert_eq!(demo::schema(), Schema::parse(&demo_json()).unwrap());
    // Key for key, in order: the JSON `i.schema` writes for the same declaration.
    let file: Value = serde_json::from_str(&demo_json()).unwrap();
    assert_eq!(demo::SCHEMA.to_json(), file);
    assert_eq!((goals::Entity::NAME, todos::Entity::NAME), ("goals", "todos"));
}

/// Each typed query, and the `value!` JSON the official client sends for it.
fn queries() -> Vec<(&'static str, Query, Value)> {
    vec![
        ("all goals", Query::new().with(goals::query()), value!({ "goals": {} })),
        (
            "a where, nested todos",
            Query::new().with(goals::query().where_(goals::title.eq("Get fit")).with(goals::todos, todos::query())),
            value!({ "goals": { "$": { "where": { "title": "Get fit" } }, "todos": {} } }),
        ),
        (
            "where first in $, the rest in call order",
            Query::new()
                .with(goals::query().limit(10).order(goals::priority, Order::Desc).where_(goals::priority.gte(2)).field(goals::title)),
            value!({ "goals": { "$": {
                "where": { "priority": { "$gte": 2 } },
                "limit": 10,
                "order": { "priority": "desc" },
                "fields": ["title"]
            } } }),
        ),
        (
            "several where_ calls are keys of one where; the same key twice goes to and",
            Query::new().with(goals::query().where_(goals::title.ne("Run")).where_(goals::priority.gt(1)).where_(goals::priority.lt(5))),
            value!({ "goals": { "$": { "where": {
                "title": { "$ne": "Run" },
                "priority": { "$gt": 1 },
                "and": [{ "priority": { "$lt": 5 } }]
            } } } }),
        ),
        (
            "and / or",
            Query::new()
                .with(todos::query().where_(or([todos::done.eq(true), and([todos::text.in_(["a", "b"]), todos::done.is_null(true)])]))),
            value!({ "todos": { "$": { "where": {
                "or": [{ "done": true }, { "and": [{ "text": { "$in": ["a", "b"] } }, { "done": { "$isNull": true } }] }]
            } } } }),
        ),
        (
            "through a link, and id",
            Query::new().with(goals::query().where_(goals::todos.then(todos::done).eq(true)).where_(goals::id.eq(GOAL))),
            value!({ "goals": { "$": { "where": { "todos.done": true, "id": GOAL } } } }),
        ),
        (
            "through two links",
            Query::new().with(
                todos::query()
                    .where_(todos::goal.then(goals::title).ilike("%fit%"))
                    .where_(todos::goal.then(goals::todos).then(todos::done).eq(false)),
            ),
            value!({ "todos": { "$": { "where": { "goal.title": { "$ilike": "%fit%" }, "goal.todos.done": false } } } }),
        ),
        (
            "like, pagination on top, options nested",
            Query::new().with(
                goals::query()
                    .where_(goals::title.like("Get%"))
                    .order(goals::title, Order::Asc)
                    .offset(20)
                    .with(goals::todos, todos::query().where_(todos::done.eq(false)).order(todos::done, Order::Desc).limit(3)),
            ),
            value!({ "goals": {
                "$": { "where": { "title": { "$like": "Get%" } }, "order": { "title": "asc" }, "offset": 20 },
                "todos": { "$": { "where": { "done": false }, "order": { "done": "desc" }, "limit": 3 } }
            } }),
        ),
        (
            "cursors",
            Query::new().with(goals::query().first(5).after(value!(["a", "b", "c", 1]))),
            value!({ "goals": { "$": { "first": 5, "after": ["a", "b", "c", 1] } } }),
        ),
        (
            "fields of several attributes, two namespaces",
            Query::new()
                .with(goals::query().fields([goals::title.into(), goals::priority.into()]).order_created(Order::Desc).last(2))
                .with(todos::query().where_(todos::goal.then(goals::id).eq(GOAL))),
            value!({
                "goals": { "$": { "fields": ["title", "priority"], "order": { "serverCreatedAt": "desc" }, "last": 2 } },
                "todos": { "$": { "where": { "goal.id": GOAL } } }
            }),
        ),
        (
            "a number attribute takes integers",
            Query::new().with(goals::query().where_(goals::priority.in_([1, 2])).before(value!("x"))),
            value!({ "goals": { "$": { "where": { "priority": { "$in": [1, 2] } }, "before": "x" } } }),
        ),
    ]
}

#[test]
fn queries_are_the_instaql_the_official_client_sends() {
    for (what, query, json) in queries() {
        assert_eq!(query.to_value(), json, "{what}");
        assert_eq!(Value::from(query), json, "{what}");
    }
}

#[test]
fn queries_pass_the_official_checks() {
    let schema = demo::schema();
    for (what, query, _) in queries() {
        let value = query.to_value();
        assert_eq!(check_query(&&value, &schema).map_err(|e| e.to_string()), Ok(()), "{what}: {}", value.to_json());
    }
}

#[test]
fn rows_read_a_query_answer() {
    let answer: serde_json::Value = serde_json::from_str(
        r#"{"goals": [
            {"id": "11111111-2222-4333-8444-555555555555", "title": "Get fit", "priority": 2, "todos": [{"id": "t", "text": "Run"}]},
            {"id": "66666666-2222-4333-8444-555555555555", "title": "Read"}
        ]}"#,
    )
    .unwrap();
    let rows: Vec<goals::Row> = serde_json::from_value(answer["goals"].clone()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].id.as_str(), rows[0].title.as_str(), rows[0].priority), (GOAL, "Get fit", Some(2.0)));
    assert_eq!((rows[1].title.as_str(), rows[1].priority), ("Read", None));
    // A required attribute missing is an error, not an empty string.
    assert!(serde_json::from_str::<todos::Row>(r#"{"id": "t", "done": true}"#).is_err());
}

instant_edge::schema! {
    /// Every form the macro takes: names that are not Rust names, each type, flags, no links.
    mod misc {
        users = "$users" { email: string [unique, indexed], name = "display-name": optional string }
        notes { body: string [indexed, unique], at: optional date [indexed], meta: optional json, extra: any, n: number, ok: boolean }
    }
}

instant_edge::schema! {
    mod owned {
        users = "$users" { email: string [indexed] }
        posts { title: string }
        links {
            userPinned: users.pinned one <=> posts.pinnedBy many,
            postAuthor: posts.author one [required] <=> users.posts many [onDelete: cascade],
            postEditors: posts.editors many <=> users.edited many [required, onDelete: cascade],
        }
    }
}

#[test]
fn every_form_of_the_declaration() {
    use instant_edge::typed::Date;

    assert_eq!(misc::users::Entity::NAME, "$users");
    assert_eq!(misc::users::name.name(), "display-name");
    let json = misc::SCHEMA.to_json();
    let users = json.get("entities").and_then(|e| e.get("$users")).unwrap();
    assert_eq!(
        users.get("attrs").unwrap().get("email").unwrap(),
        &value!({ "valueType": "string", "required": true, "isIndexed": true, "config": { "indexed": true, "unique": true }, "metadata": {} })
    );
    let notes = json.get("entities").and_then(|e| e.get("notes")).and_then(|e| e.get("attrs")).unwrap();
    let types: Vec<_> = ["body", "at", "meta", "extra", "n", "ok"]
        .iter()
        .map(|a| {
            let attr = notes.get(a).unwrap();
            (attr.get("valueType").unwrap().as_str().unwrap(), attr.get("required") == Some(&Value::Bool(true)))
        })
        .collect();
    assert_eq!(types, [("string", true), ("date", false), ("json", false), ("json", true), ("number", true), ("boolean", true)]);
    assert_eq!(json.get("links"), Some(&value!({})));
    assert_eq!(misc::schema(), Schema::from_json(&&json).unwrap());

    let query = Query::new()
        .with(misc::notes::query().where_(misc::notes::at.gt(Date::from(1_700_000_000_000_i64))).where_(misc::notes::meta.eq("x")))
        .with(misc::users::query().where_(misc::users::name.eq("Ann")).order(misc::users::email, Order::Asc));
    let value = query.to_value();
    assert_eq!(
        value,
        value!({
            "notes": { "$": { "where": { "at": { "$gt": 1.7e12 }, "meta": "x" } } },
            "$users": { "$": { "where": { "display-name": "Ann" }, "order": { "email": "asc" } } }
        })
    );
    assert_eq!(check_query(&&value, &misc::schema()).map_err(|e| e.to_string()), Ok(()));

    let row: misc::users::Row = serde_json::from_str(r#"{"id": "u", "email": "a@b.c", "display-name": "Ann"}"#).unwrap();
    assert_eq!(row.name.as_deref(), Some("Ann"));
    let row: misc::notes::Row =
        serde_json::from_str(r#"{"id": "n", "body": "x", "at": "2024-01-31", "extra": [1], "n": 1.5, "ok": false}"#).unwrap();
    assert_eq!((row.at, row.meta, row.extra), (Some(Date::from("2024-01-31")), None, value!([1])));

    let owned = owned::SCHEMA.to_json();
    assert_eq!(
        owned.get("links").unwrap(),
        &value!({
            "userPinned": { "forward": { "on": "$users", "has": "one", "label": "pinned" },
                            "reverse": { "on": "posts", "has": "many", "label": "pinnedBy" } },
            "postAuthor": { "forward": { "on": "posts", "has": "one", "label": "author", "required": true },
                            "reverse": { "on": "$users", "has": "many", "label": "posts", "onDelete": "cascade" } },
            "postEditors": { "forward": { "on": "posts", "has": "many", "label": "editors" },
                             "reverse": { "on": "$users", "has": "many", "label": "edited", "required": true, "onDelete": "cascade" } }
        })
    );
    // As `i.schema` fills them: each entity's forward labels, then its reverse ones.
    let labels = |entity: &str| -> Vec<String> {
        let links = owned.get("entities").and_then(|e| e.get(entity)).and_then(|e| e.get("links")).unwrap();
        links.as_object().unwrap().iter().map(|(k, v)| format!("{k}>{}", v.get("entityName").unwrap().as_str().unwrap())).collect()
    };
    assert_eq!(labels("posts"), ["author>$users", "editors>$users", "pinnedBy>$users"]);
    assert_eq!(labels("$users"), ["pinned>posts", "posts>posts", "edited>posts"]);
    let by_author = Query::new().with(owned::posts::query().where_(owned::posts::author.then(owned::users::email).eq("a@b.c")));
    assert_eq!(by_author.to_value(), value!({ "posts": { "$": { "where": { "author.email": "a@b.c" } } } }));
    assert_eq!(check_query(&&by_author.to_value(), &owned::schema()).map_err(|e| e.to_string()), Ok(()));
}
