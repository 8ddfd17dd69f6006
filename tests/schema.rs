//! A client given a schema checks queries and transactions against it as `@instantdb/admin`
//! does, and sends nothing it refuses (the rules and messages themselves: unit tests in
//! src/schema/check.rs, against the official client's answers). Native only.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{block_on, APP, TOKEN};

use instant_edge::host::mock::MockTransport;
use instant_edge::{tx, value, CallOptions, Config, DebugOptions, Error, Impersonation, Instant, Schema, ValidationClass, Value};

const GOAL: &str = "11111111-2222-4333-8444-555555555555";
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-schema.json");

fn db(validate: bool) -> (Instant<MockTransport>, MockTransport) {
    let schema = Schema::from_file(DEMO).unwrap();
    let config = Config::new(APP, "http://x").unwrap().with_admin_token(TOKEN).unwrap().with_schema_def(schema, validate);
    let mock = MockTransport::new();
    (Instant::with_transport(config, mock.clone()), mock)
}

fn refused(result: Result<impl std::fmt::Debug, Error>, class: ValidationClass, message: &str) {
    match result {
        Err(Error::Validation { class: got, message: said }) => {
            assert_eq!((got, said.as_str()), (class, message));
        }
        other => panic!("expected a {} error, got {other:?}", class.name()),
    }
}

#[test]
fn refused_calls_send_nothing() {
    let (db, mock) = db(true);
    let bad_query = value!({ "goals": { "tasks": {} } });
    let link = "At path 'goals.tasks': Link 'tasks' does not exist on entity 'goals'. Available links: todos";
    refused(block_on(db.query_json(&bad_query, &CallOptions::default())), ValidationClass::Query, link);
    refused(db.subscribe_query(&bad_query).map(|_| ()), ValidationClass::Query, link);
    let guest = db.as_user(Impersonation::Guest);
    refused(block_on(guest.debug_query::<Value>(&bad_query, &DebugOptions::default())).map(|_| ()), ValidationClass::Query, link);

    let title = "Invalid value for attribute 'title' in entity 'goals'. Expected string, but received: number";
    refused(block_on(db.transact([tx("goals", GOAL).update(value!({ "title": 5 }))])), ValidationClass::Transaction, title);
    let steps = value!([["update", "goal", GOAL, { "title": "x" }]]);
    let entity = "Entity 'goal' does not exist in schema. Available entities: goals, todos";
    refused(block_on(db.transact_steps(&steps, &CallOptions::default())), ValidationClass::Transaction, entity);
    refused(
        block_on(guest.debug_transact_steps(&steps, &DebugOptions::default(), &CallOptions::default())),
        ValidationClass::Transaction,
        entity,
    );
    let id = "Invalid id for entity 'todos'. Expected a UUID, but received: todo-1";
    refused(block_on(db.transact([tx("todos", "todo-1").delete()])), ValidationClass::Transaction, id);
    assert!(mock.sent().is_empty());

    let err = block_on(db.query_json(&bad_query, &CallOptions::default())).unwrap_err();
    assert_eq!((err.kind(), err.to_string().as_str()), ("query-validation", link));
}

#[test]
fn accepted_calls_go_with_the_schema_flags() {
    let (db, mock) = db(true);
    mock.answer(200, "{}").answer(200, r#"{"tx-id":1}"#);
    let query = value!({ "goals": { "$": { "where": { "title": "Run", "todos.done": true } }, "todos": {} } });
    block_on(db.query_json(&query, &CallOptions::default())).unwrap();
    block_on(db.transact([tx("todos", GOAL).update(value!({ "text": "Run", "done": false, "extra": 1 })).link(value!({ "goal": GOAL }))]))
        .unwrap();
    let bodies: Vec<String> = mock.sent().iter().map(|r| instant_edge::host::native::body_text(r).unwrap()).collect();
    assert!(bodies[0].ends_with(r#""inference?":true}"#), "{}", bodies[0]);
    assert!(bodies[1].ends_with(r#""throw-on-missing-attrs?":true}"#), "{}", bodies[1]);
}

#[test]
fn storage_and_auth_queries_are_not_checked() {
    // Their `$files` / `$users` queries are the client's own, not the caller's.
    let (db, mock) = db(true);
    mock.answer(200, r#"{"$files":[]}"#).answer(200, r#"{"$users":[]}"#);
    block_on(db.storage().list()).unwrap();
    let _ = block_on(db.auth().list_users(10, None));
    assert_eq!(mock.sent().len(), 2);
}

#[test]
fn disabled_validation_sends_what_the_schema_lacks() {
    let (db, mock) = db(false);
    mock.answer(200, "{}");
    block_on(db.query_json(&value!({ "nothing": {} }), &CallOptions::default())).unwrap();
    assert!(instant_edge::host::native::body_text(&mock.sent()[0]).unwrap().ends_with(r#""inference?":true}"#));
}

#[test]
fn the_builder_takes_a_schema_or_the_old_flag() {
    let schema = Schema::from_file(DEMO).unwrap();
    let builder = || Instant::builder(APP).api_uri("http://x");
    let checked = builder().schema(schema.clone()).config().unwrap();
    assert_eq!(checked.schema(), Some(&schema));
    let unchecked = builder().schema(schema).disable_validation(true).config().unwrap();
    assert_eq!(unchecked.schema(), None);
    assert_eq!(builder().schema(true).config().unwrap().schema(), None);
    assert_eq!(builder().schema(true).config().unwrap(), Config::new(APP, "http://x").unwrap().with_schema(true));
    assert!(Schema::from_file("/nonexistent/schema.json").is_err());
}
