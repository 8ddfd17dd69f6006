//! Typed queries from the demo schema (`examples/demo-schema.json`) declared in Rust, printed
//! as JSON next to the same queries written with `value!`.
//!
//! ```sh
//! cargo run --example typed_query
//! ```

use instant_edge::typed::{or, Order, Query};
use instant_edge::{value, Value};

instant_edge::schema! {
    /// The demo app.
    pub mod demo {
        goals { title: string [indexed], priority: optional number [indexed] }
        todos { text: string, done: optional boolean [indexed] }
        links {
            goalsTodos: goals.todos many <=> todos.goal one [onDelete: cascade],
        }
    }
}
use demo::{goals, todos};

fn show(what: &str, typed: Query, untyped: Value) {
    let typed = Value::from(typed);
    println!("{what}\n  typed:  {}\n  value!: {}\n  same: {}\n", typed.to_json(), untyped.to_json(), typed == untyped);
}

fn main() {
    show(
        "A goal and its todos",
        Query::new().with(goals::query().where_(goals::title.eq("Get fit")).with(goals::todos, todos::query())),
        value!({ "goals": { "$": { "where": { "title": "Get fit" } }, "todos": {} } }),
    );
    show(
        "The 10 most urgent goals, titles only",
        Query::new().with(goals::query().where_(goals::priority.gte(2)).order(goals::priority, Order::Desc).limit(10).field(goals::title)),
        value!({ "goals": { "$": { "where": { "priority": { "$gte": 2 } }, "order": { "priority": "desc" }, "limit": 10, "fields": ["title"] } } }),
    );
    show(
        "Open todos of fitness goals",
        Query::new().with(
            todos::query()
                .where_(todos::goal.then(goals::title).ilike("%fit%"))
                .where_(or([todos::done.eq(false), todos::done.is_null(true)])),
        ),
        value!({ "todos": { "$": { "where": {
            "goal.title": { "$ilike": "%fit%" },
            "or": [{ "done": false }, { "done": { "$isNull": true } }]
        } } } }),
    );
    // What `Schema::parse` reads from examples/demo-schema.json, from the declaration above.
    println!("schema: {}", demo::SCHEMA.to_json().to_json());
}
