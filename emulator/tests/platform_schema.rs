//! The Platform API's schema engine called directly (platform spec §4.2, §4.4, §4.5, §4.6,
//! §4.8, §7 items 5–6): the API schema of an app, the server's plan of a push, applying plans
//! and client-built steps, and the background jobs polled to their end. The HTTP routes are
//! wired elsewhere; these fixtures pin the bodies they will answer with.

use instant_emulator::platform_schema::{self, PlanOptions};
use instant_emulator::rules::Access;
use instant_emulator::store::App;
use instant_emulator::transact;
use serde_json::{json, Value};
use uuid::Uuid;

/// 2026-08-21T20:39:34Z, the emulator clock of these fixtures.
const NOW: i64 = 1_787_344_774_000;

fn app() -> App {
    App::new(Uuid::new_v4(), Uuid::new_v4())
}

/// An attribute def as `i.string()` etc. serialise it (platform spec §4.1).
fn attr(value_type: &str, required: bool, indexed: bool, unique: bool) -> Value {
    json!({"metadata": {}, "valueType": value_type, "required": required, "isIndexed": indexed,
           "config": {"indexed": indexed, "unique": unique}})
}

fn entities(entities: Value) -> Value {
    json!({"entities": entities, "links": {}, "rooms": {}})
}

fn push(app: &mut App, schema: &Value) -> Value {
    platform_schema::push_apply(app, schema, PlanOptions::CLIENT, 1, NOW).expect("push applies")
}

/// Writes data as an admin transaction (`["update", etype, id, {...}]` steps).
fn write(app: &mut App, steps: Value) {
    let admin = Access::admin(app);
    transact::apply(app, &steps, false, &admin, NOW - 1_000).expect("data written");
}

fn ops(steps: &[Value]) -> Vec<&str> {
    steps.iter().map(|s| s[0].as_str().unwrap_or_default()).collect()
}

fn error_parts(error: &instant_emulator::error::ApiError) -> (u16, &str, &str, &Value) {
    match error {
        instant_emulator::error::ApiError::Instant { status, error_type, message, hint } => (*status, error_type, message, hint),
        other => panic!("not an Instant error: {other:?}"),
    }
}

fn is_uuid(value: &Value) -> bool {
    value.as_str().is_some_and(|s| Uuid::parse_str(s).is_ok())
}

#[test]
fn a_fresh_app_has_the_system_catalog_with_its_fixed_ids() {
    // platform §4.2, §4.4
    let app = app();
    let schema = platform_schema::api_schema(&app);
    let files_id = &schema["blobs"]["$files"]["id"];
    assert_eq!(files_id["id"], "96653230-13ff-ffff-2a34-81ffffffffff");
    assert_eq!(files_id["forward-identity"], json!(["96653231-03ff-ffff-2a34-81ffffffffff", "$files", "id"]));
    assert_eq!(files_id["catalog"], "system");
    let email = &schema["blobs"]["$users"]["email"];
    assert_eq!(email["id"], "96653230-13ff-ffff-a4b4-46010bffffff");
    assert_eq!(
        *email,
        json!({"id": "96653230-13ff-ffff-a4b4-46010bffffff", "value-type": "blob", "cardinality": "one",
               "forward-identity": [email["forward-identity"][0], "$users", "email"], "unique?": true, "index?": true,
               "required?": false, "inferred-types": null, "catalog": "system", "checked-data-type": "string"})
    );
    // `$files.url` is reported required; bookkeeping columns are hidden
    assert_eq!(schema["blobs"]["$files"]["url"]["required?"], true);
    let labels = |etype: &str| -> Vec<String> {
        let mut labels: Vec<String> = schema["blobs"][etype].as_object().expect(etype).keys().cloned().collect();
        labels.sort();
        labels
    };
    assert_eq!(labels("$files"), ["id", "path", "url"]);
    assert_eq!(labels("$users"), ["email", "id", "imageURL", "type"]);
    assert_eq!(labels("$streams"), ["abortReason", "clientId", "done", "id", "size"]);
    let etypes: Vec<&String> = schema["blobs"].as_object().expect("blobs").keys().collect();
    assert_eq!(etypes.len(), 3, "only $users, $files and $streams: {etypes:?}");
    // refs keyed by the printed vector
    let mut keys: Vec<&String> = schema["refs"].as_object().expect("refs").keys().collect();
    keys.sort();
    assert_eq!(keys, [r#"["$streams" "$files" "$files" "$stream"]"#, r#"["$users" "linkedPrimaryUser" "$users" "linkedGuestUsers"]"#]);
    let linked = &schema["refs"][r#"["$users" "linkedPrimaryUser" "$users" "linkedGuestUsers"]"#];
    assert_eq!(
        (linked["cardinality"].as_str(), linked["unique?"].as_bool(), linked["on-delete"].as_str()),
        (Some("one"), Some(false), Some("cascade"))
    );
    let stream_files = &schema["refs"][r#"["$streams" "$files" "$files" "$stream"]"#];
    assert_eq!(stream_files["on-delete-reverse"], "cascade");
    assert_eq!((stream_files["cardinality"].as_str(), stream_files["unique?"].as_bool()), (Some("many"), Some(true)));
    // the admin route's view is the same with `-`-joined keys
    let admin = instant_emulator::schema::admin_schema(&app);
    assert_eq!(admin["blobs"], schema["blobs"]);
    assert!(admin["refs"].get("$users-linkedPrimaryUser-$users-linkedGuestUsers").is_some());
}

#[test]
fn a_new_entity_plans_its_id_then_each_attribute_with_constraints_inside() {
    // platform §4.5 items 1–2
    let app = app();
    let pushed = entities(json!({"todos": {"attrs": {
        "title": attr("string", true, true, false),
        "done": attr("boolean", false, false, false),
        "meta": attr("json", false, false, true),
    }, "links": {}}}));
    let plan = platform_schema::plan(&app, &pushed, true).expect("plan");
    assert_eq!(ops(&plan.steps), ["add-attr"; 4]);
    let id_step = &plan.steps[0][1];
    assert!(is_uuid(&id_step["id"]) && is_uuid(&id_step["forward-identity"][0]));
    assert_ne!(id_step["id"], id_step["forward-identity"][0]);
    assert_eq!(
        *id_step,
        json!({"value-type": "blob", "cardinality": "one", "id": id_step["id"],
               "forward-identity": [id_step["forward-identity"][0], "todos", "id"], "unique?": true, "index?": false})
    );
    let title = &plan.steps[1][1];
    assert_eq!(
        *title,
        json!({"value-type": "blob", "cardinality": "one", "id": title["id"],
               "forward-identity": [title["forward-identity"][0], "todos", "title"], "unique?": false, "index?": true,
               "required?": true, "checked-data-type": "string"})
    );
    assert_eq!(plan.steps[2][1]["checked-data-type"], "boolean");
    // `i.json()` is untyped, so no checked-data-type key at all
    let meta = plan.steps[3][1].as_object().expect("map");
    assert!(!meta.contains_key("checked-data-type"));
    assert_eq!(meta["unique?"], true);
    // the plan response
    let wire = plan.to_wire();
    let keys: Vec<&String> = wire.as_object().expect("map").keys().collect();
    assert_eq!(keys, ["new-schema", "current-schema", "current-attrs", "steps"]);
    assert_eq!(
        wire["new-schema"]["blobs"]["todos"]["title"],
        json!({"id": null, "value-type": "blob", "cardinality": "one", "forward-identity": [null, "todos", "title"],
               "unique?": false, "index?": true, "required?": true, "checked-data-type": "string", "catalog": "user"})
    );
    assert_eq!(wire["new-schema"]["blobs"]["todos"]["meta"]["checked-data-type"], Value::Null);
    assert_eq!(wire["new-schema"]["refs"], json!({}));
    assert_eq!(wire["current-schema"], platform_schema::api_schema(&app));
    // current-attrs lists every attribute, hidden system ones included, in id order
    let attrs = wire["current-attrs"].as_array().expect("list");
    assert_eq!(attrs.len(), app.attrs.iter().count());
    assert!(attrs.iter().any(|a| a["forward-identity"][1] == "$magicCodes"));
    let ids: Vec<&str> = attrs.iter().filter_map(|a| a["id"].as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

#[test]
fn the_plan_drops_system_attributes_system_links_and_empty_entities() {
    // platform §4.1 "Before planning the server drops…", `blobs-filtered`
    let app = app();
    let pushed = json!({
        "entities": {
            "$users": {"attrs": {"email": attr("string", false, true, true), "nickname": attr("string", false, false, false)}, "links": {}},
            "$files": {"attrs": {"path": attr("string", true, true, true), "url": attr("string", true, false, false)}, "links": {}},
            "tags": {"attrs": {}, "links": {}},
            "$magicCodes": {"attrs": {"hint": attr("string", false, false, false)}, "links": {}},
        },
        "links": {
            "$usersLinkedPrimaryUser": {"forward": {"on": "$users", "has": "one", "label": "linkedPrimaryUser"},
                                        "reverse": {"on": "$users", "has": "many", "label": "linkedGuestUsers"}},
        },
        "rooms": {},
    });
    let plan = platform_schema::plan(&app, &pushed, true).expect("plan");
    // only $users.nickname is left: $users exists, so no id step
    assert_eq!(plan.steps.len(), 1, "{:?}", plan.steps);
    assert_eq!(plan.steps[0][1]["forward-identity"][1], "$users");
    assert_eq!(plan.steps[0][1]["forward-identity"][2], "nickname");
    let new_blobs = plan.new_schema["blobs"].as_object().expect("blobs");
    assert_eq!(new_blobs.keys().collect::<Vec<_>>(), ["$users"]);
    assert_eq!(plan.new_schema["blobs"]["$users"]["nickname"]["catalog"], "system");
    assert_eq!(plan.new_schema["refs"], json!({}));
    // an empty push plans nothing; so does a missing one
    assert!(platform_schema::plan(&app, &entities(json!({})), true).expect("plan").steps.is_empty());
    assert!(platform_schema::plan(&app, &Value::Null, true).expect("plan").steps.is_empty());
}

fn seeded() -> App {
    let mut app = app();
    push(
        &mut app,
        &json!({"entities": {
            "todos": {"attrs": {"title": attr("string", false, false, false), "notes": attr("json", false, false, false)}, "links": {}},
            "projects": {"attrs": {"name": attr("string", false, false, false)}, "links": {}},
        }, "links": {
            "todosProject": {"forward": {"on": "todos", "has": "one", "label": "project"},
                             "reverse": {"on": "projects", "has": "many", "label": "todos"}},
        }, "rooms": {}}),
    );
    app
}

#[test]
fn changed_flags_of_an_existing_attribute_become_job_steps_in_order() {
    // platform §4.5 item 2: index, unique, required, then the data type
    let app = seeded();
    let title = app.attrs.fwd("todos", "title").expect("title").clone();
    let pushed = entities(json!({"todos": {"attrs": {"title": attr("number", true, true, true)}, "links": {}}}));
    let plan = platform_schema::plan(&app, &pushed, true).expect("plan");
    assert_eq!(ops(&plan.steps), ["index", "unique", "required", "check-data-type"]);
    let fwd = json!([title.forward.id.to_string(), "todos", "title"]);
    assert_eq!(plan.steps[0][1], json!({"attr-id": title.id.to_string(), "forward-identity": fwd}));
    assert_eq!(plan.steps[3][1], json!({"attr-id": title.id.to_string(), "checked-data-type": "number", "forward-identity": fwd}));
    // the way back
    let mut app = app;
    push(&mut app, &pushed);
    for job in app.indexing_jobs.iter().map(|j| j.group_id).collect::<Vec<_>>() {
        platform_schema::poll_group(&mut app, job.expect("group"), NOW);
    }
    let back = entities(json!({"todos": {"attrs": {"title": attr("json", false, false, false)}, "links": {}}}));
    let plan = platform_schema::plan(&app, &back, true).expect("plan");
    assert_eq!(ops(&plan.steps), ["remove-index", "remove-unique", "remove-required", "remove-data-type"]);
    assert_eq!(plan.steps[3][1], json!({"attr-id": title.id.to_string(), "forward-identity": fwd}));
    // without background updates the three flags collapse into one update-attr
    let plan = platform_schema::plan(&app, &back, false).expect("plan");
    assert_eq!(ops(&plan.steps), ["update-attr", "remove-data-type"]);
    assert_eq!(
        plan.steps[0][1],
        json!({"value-type": "blob", "cardinality": "one", "id": title.id.to_string(), "forward-identity": fwd,
               "unique?": false, "index?": false, "required?": false})
    );
    // without type checks the data type is left alone
    let no_types = PlanOptions { check_types: false, background_updates: true };
    let plan = platform_schema::plan_with(&app, &back, no_types).expect("plan");
    assert_eq!(ops(&plan.steps), ["remove-index", "remove-unique", "remove-required"]);
    // an unchanged push plans nothing
    let same = entities(json!({"todos": {"attrs": {"title": attr("number", true, true, true)}, "links": {}}}));
    assert!(platform_schema::plan(&app, &same, true).expect("plan").steps.is_empty());
}

#[test]
fn a_data_type_change_alone_is_a_check_data_type_step() {
    let app = seeded();
    let pushed = entities(
        json!({"todos": {"attrs": {"title": attr("date", false, false, false), "notes": attr("string", false, false, false)}, "links": {}}}),
    );
    let plan = platform_schema::plan(&app, &pushed, true).expect("plan");
    assert_eq!(ops(&plan.steps), ["check-data-type", "check-data-type"]);
    assert_eq!(plan.steps[0][1]["checked-data-type"], "date");
    assert_eq!(plan.steps[1][1]["checked-data-type"], "string");
}

#[test]
fn a_new_link_is_one_add_attr_with_every_key() {
    // platform §4.5 item 3: on-delete keys present even when null
    let app = seeded();
    let pushed = json!({"entities": {}, "links": {
        "todosOwner": {"forward": {"on": "todos", "has": "one", "label": "owner", "onDelete": "cascade"},
                       "reverse": {"on": "$users", "has": "many", "label": "todos"}},
        "projectsLead": {"forward": {"on": "projects", "has": "many", "label": "leads", "required": true},
                         "reverse": {"on": "$users", "has": "one", "label": "ledProject"}},
    }, "rooms": {}});
    let plan = platform_schema::plan(&app, &pushed, true).expect("plan");
    assert_eq!(ops(&plan.steps), ["add-attr", "add-attr"]);
    let owner = &plan.steps[0][1];
    assert_eq!(
        *owner,
        json!({"value-type": "ref", "id": owner["id"], "forward-identity": [owner["forward-identity"][0], "todos", "owner"],
               "reverse-identity": [owner["reverse-identity"][0], "$users", "todos"], "cardinality": "one", "unique?": false,
               "index?": false, "required?": false, "on-delete": "cascade", "on-delete-reverse": null})
    );
    let lead = &plan.steps[1][1];
    assert_eq!(
        (lead["cardinality"].as_str(), lead["unique?"].as_bool(), lead["required?"].as_bool()),
        (Some("many"), Some(true), Some(true))
    );
    assert_eq!(lead["on-delete"], Value::Null);
    let key = r#"["todos" "owner" "$users" "todos"]"#;
    assert_eq!(
        plan.new_schema["refs"][key],
        json!({"id": null, "value-type": "ref", "index?": false, "on-delete": "cascade", "on-delete-reverse": null,
               "forward-identity": [null, "todos", "owner"], "reverse-identity": [null, "$users", "todos"],
               "cardinality": "one", "unique?": false, "required?": false})
    );
}

#[test]
fn a_link_cardinality_change_is_a_full_update_attr_and_required_a_job() {
    // platform §4.5 item 3
    let app = seeded();
    let link = app.attrs.fwd("todos", "project").expect("link").clone();
    let changed = |has: &str, required: bool| {
        json!({"entities": {}, "links": {"todosProject": {
            "forward": {"on": "todos", "has": has, "label": "project", "required": required},
            "reverse": {"on": "projects", "has": "many", "label": "todos"}}}, "rooms": {}})
    };
    let plan = platform_schema::plan(&app, &changed("many", false), true).expect("plan");
    assert_eq!(ops(&plan.steps), ["update-attr"]);
    assert_eq!(
        plan.steps[0][1],
        json!({"value-type": "ref", "id": link.id.to_string(),
               "forward-identity": [link.forward.id.to_string(), "todos", "project"],
               "reverse-identity": [link.reverse.as_ref().expect("reverse").id.to_string(), "projects", "todos"],
               "cardinality": "many", "unique?": false, "index?": false, "required?": false,
               "on-delete": null, "on-delete-reverse": null})
    );
    let plan = platform_schema::plan(&app, &changed("one", true), true).expect("plan");
    assert_eq!(ops(&plan.steps), ["required"]);
    let plan = platform_schema::plan(&app, &changed("many", true), true).expect("plan");
    assert_eq!(ops(&plan.steps), ["required", "update-attr"]);
    // without background updates a required change is an update-attr too
    let plan = platform_schema::plan(&app, &changed("one", true), false).expect("plan");
    assert_eq!(ops(&plan.steps), ["update-attr"]);
    assert_eq!(plan.steps[0][1]["required?"], true);
}

fn assert_plan_fails(app: &App, pushed: &Value, messages: &[String]) {
    let error = platform_schema::plan(app, pushed, true).expect_err("the plan fails");
    let (status, kind, message, hint) = error_parts(&error);
    assert_eq!((status, kind), (400, "validation-failed"));
    assert_eq!(message, format!("Validation failed for schema: {}", messages.join(", ")));
    let errors: Vec<Value> = messages.iter().map(|m| json!({"in": ["schema"], "message": m})).collect();
    assert_eq!(*hint, json!({"data-type": "schema", "input": "plan", "errors": errors}));
}

const DASH: &str = "https://www.instantdb.com/dash?s=main&t=explorer";

#[test]
fn a_backwards_link_is_refused() {
    let app = seeded();
    let backwards = json!({"entities": {}, "links": {"projectsTodos": {
        "forward": {"on": "projects", "has": "many", "label": "todos"},
        "reverse": {"on": "todos", "has": "one", "label": "project"}}}, "rooms": {}});
    assert_plan_fails(&app, &backwards, &[format!(
        "projects->todos: Conflicting link found for attribute. It's possible that you already have a link with the same label names, but in the reverse direction. We cannot automatically swap the direction of the link. To fix this, can: a) swap the `forward` and `reverse` parameters for this link in your schema file, or b) delete the existing link in the dashboard.Check your full schema in the dashboard for a link with the same label names: {DASH}"
    )]);
}

fn duplicate(name: &str) -> String {
    format!("{name}: Duplicate entry found for attribute. Check your schema file for duplicate link definitions. If it's not in the schema file, it may have been generated by the backend. Check your full schema in the dashboard: {DASH}")
}

#[test]
fn a_link_whose_names_are_taken_is_a_duplicate() {
    let app = seeded();
    // the forward name is an existing link's
    let same_forward = json!({"entities": {}, "links": {"todosProject2": {
        "forward": {"on": "todos", "has": "one", "label": "project"},
        "reverse": {"on": "projects", "has": "many", "label": "tasks"}}}, "rooms": {}});
    assert_plan_fails(&app, &same_forward, &[duplicate("todos->project")]);
    // the reverse name is an existing link's reverse
    let same_reverse = json!({"entities": {}, "links": {"todosOtherProject": {
        "forward": {"on": "todos", "has": "one", "label": "otherProject"},
        "reverse": {"on": "projects", "has": "many", "label": "todos"}}}, "rooms": {}});
    assert_plan_fails(&app, &same_reverse, &[duplicate("projects->todos")]);
    // the forward name is a value attribute's
    let on_a_blob = json!({"entities": {}, "links": {"todosTitle": {
        "forward": {"on": "todos", "has": "one", "label": "title"},
        "reverse": {"on": "projects", "has": "many", "label": "titled"}}}, "rooms": {}});
    assert_plan_fails(&app, &on_a_blob, &[duplicate("todos->title")]);
    // a value attribute named like a link
    let blob_on_link = entities(json!({"todos": {"attrs": {"project": attr("string", false, false, false)}, "links": {}}}));
    assert_plan_fails(&app, &blob_on_link, &[duplicate("todos->project")]);
}

#[test]
fn cascades_need_a_has_one_side() {
    let app = seeded();
    let cascade = |name: &str| {
        format!("{name}: Cascade delete is only possible on links with `has: 'one'`. Check your full schema in the dashboard: {DASH}")
    };
    let pushed = json!({"entities": {}, "links": {
        "todosTags": {"forward": {"on": "todos", "has": "many", "label": "tags", "onDelete": "cascade"},
                      "reverse": {"on": "tags", "has": "many", "label": "todos"}},
        "todosOwner": {"forward": {"on": "todos", "has": "one", "label": "owner"},
                       "reverse": {"on": "$users", "has": "many", "label": "ownedTodos", "onDelete": "cascade"}},
    }, "rooms": {}});
    assert_plan_fails(&app, &pushed, &[cascade("todos->tags"), cascade("$users->ownedTodos")]);
    // a cascade turned on for an existing has-many link fails the same way (update-attr)
    let existing = json!({"entities": {}, "links": {"todosProject": {
        "forward": {"on": "todos", "has": "one", "label": "project"},
        "reverse": {"on": "projects", "has": "many", "label": "todos", "onDelete": "cascade"}}}, "rooms": {}});
    assert_plan_fails(&app, &existing, &[cascade("projects->todos")]);
}

#[test]
fn a_malformed_schema_is_refused_without_a_plan() {
    let app = app();
    let error = platform_schema::plan(&app, &json!("nope"), true).expect_err("fails");
    assert_eq!(error_parts(&error).2, "Malformed parameter: [\"body\" \"schema\"]");
    let bad_link = json!({"links": {"x": {"forward": {"on": "a", "has": "one"}, "reverse": {"on": "b", "has": "many", "label": "c"}}}});
    let error = platform_schema::plan(&app, &bad_link, true).expect_err("fails");
    assert_eq!(error_parts(&error).1, "param-malformed");
}

#[test]
fn apply_transacts_the_attributes_and_returns_waiting_jobs() {
    // platform §4.8
    let mut app = seeded();
    let title = app.attrs.fwd("todos", "title").expect("title").id;
    let pushed = json!({"entities": {"todos": {"attrs": {
        "title": attr("string", false, true, false),
        "due": attr("date", false, false, false),
    }, "links": {}}}, "links": {}, "rooms": {}});
    let body = push(&mut app, &pushed);
    let keys: Vec<&String> = body.as_object().expect("map").keys().collect();
    assert_eq!(keys, ["new-schema", "current-schema", "current-attrs", "steps", "transaction", "indexing-jobs"]);
    // the new attribute exists at once, the index waits for its job
    assert!(app.attrs.fwd("todos", "due").is_some_and(|a| a.checked_type.is_some()));
    assert!(!app.attrs.get(title).expect("title").indexed);
    let tx = &body["transaction"];
    assert_eq!((tx["id"].as_u64(), tx["app_id"].as_str()), (Some(1), Some(app.id.to_string().as_str())));
    assert_eq!(tx["created_at"], "2026-08-21T20:39:34Z");
    assert_eq!(tx["results"]["add-attr"]["attrs"].as_array().map(Vec::len), Some(1));
    let steps = body["steps"].as_array().expect("steps");
    assert_eq!(ops(steps), ["index", "add-attr"]);
    assert!(steps[1][1].get("job-id").is_none(), "add-attr steps carry no job");
    let job_id = steps[0][1]["job-id"].clone();
    let jobs = &body["indexing-jobs"];
    let group = jobs["group-id"].as_str().expect("group id").to_owned();
    let row = &jobs["jobs"][0];
    assert_eq!(row["id"], job_id);
    assert_eq!(
        *row,
        json!({"id": job_id, "app_id": app.id.to_string(), "attr_id": title.to_string(), "group_id": group,
               "job_serial_key": "index", "job_type": "index", "job_status": "waiting", "job_dependency": null,
               "job_stage": "update-attr-start", "checked_data_type": null, "error": null, "work_estimate": null,
               "work_completed": null, "worker_id": null, "created_at": "2026-08-21T20:39:34Z", "done_at": null,
               "updated_at": "2026-08-21T20:39:34Z", "invalid_unique_value": null, "invalid_entity_id": null,
               "error_detail": null, "error_data": null, "context": null})
    );
    // the first poll completes it (default latency), applying the index
    let group_id = Uuid::parse_str(&group).expect("uuid");
    let polled = platform_schema::poll_group(&mut app, group_id, NOW + 2_000);
    let job = &polled["jobs"][0];
    assert_eq!(
        *job,
        json!({"id": job_id, "app_id": app.id.to_string(), "group_id": group, "attr_id": title.to_string(),
               "attr_name": "todos.title", "job_type": "index", "job_status": "completed", "job_stage": "update-attr-done",
               "work_estimate": 1, "work_completed": null, "error": null, "checked_data_type": null,
               "created_at": "2026-08-21T20:39:34Z", "updated_at": "2026-08-21T20:39:36Z", "done_at": "2026-08-21T20:39:36Z",
               "invalid_unique_value": null, "error_data": null, "invalid_triples_sample": null})
    );
    assert!(app.attrs.get(title).expect("title").indexed);
    assert_eq!(platform_schema::api_schema(&app)["blobs"]["todos"]["title"]["index?"], true);
    // a finished job no longer changes
    let again = platform_schema::poll_group(&mut app, group_id, NOW + 9_000);
    assert_eq!(again["jobs"][0]["updated_at"], "2026-08-21T20:39:36Z");
    // the single-job route answers the same object
    let single = platform_schema::job(&mut app, Uuid::parse_str(job_id.as_str().expect("id")).expect("uuid"), NOW + 9_000);
    assert_eq!(single["job"], again["jobs"][0]);
    assert_eq!(platform_schema::job(&mut app, Uuid::new_v4(), NOW), json!({"job": {}}));
    assert_eq!(platform_schema::poll_group(&mut app, Uuid::new_v4(), NOW), json!({"jobs": []}));
}

#[test]
fn a_push_with_nothing_to_do_has_an_empty_transaction_and_no_jobs() {
    let mut app = seeded();
    let before = platform_schema::api_schema(&app);
    let body = push(&mut app, &entities(json!({"todos": {"attrs": {"title": attr("string", false, false, false)}, "links": {}}})));
    assert_eq!(body["transaction"], json!({}));
    assert_eq!(body["steps"], json!([]));
    assert_eq!(body["indexing-jobs"], Value::Null);
    assert_eq!(platform_schema::api_schema(&app), before);
}

#[test]
fn jobs_can_take_several_polls() {
    // platform §7 item 6: configurable latency
    let mut app = seeded();
    app.indexing_jobs.polls_to_finish = 2;
    let title = app.attrs.fwd("todos", "title").expect("title").id;
    write(
        &mut app,
        json!([["update", "todos", Uuid::new_v4().to_string(), {"title": "a"}], ["update", "todos", Uuid::new_v4().to_string(), {"title": "b"}]]),
    );
    let body = push(&mut app, &entities(json!({"todos": {"attrs": {"title": attr("string", false, false, true)}, "links": {}}})));
    let group = Uuid::parse_str(body["indexing-jobs"]["group-id"].as_str().expect("group")).expect("uuid");
    let first = platform_schema::poll_group(&mut app, group, NOW + 1_000);
    let job = &first["jobs"][0];
    assert_eq!((job["job_status"].as_str(), job["job_stage"].as_str()), (Some("processing"), Some("update-triples")));
    assert_eq!((job["work_estimate"].as_i64(), job["done_at"].as_str()), (Some(2), None));
    assert_eq!(job["updated_at"], "2026-08-21T20:39:35Z");
    assert!(!app.attrs.get(title).expect("title").unique, "not before it completes");
    let second = platform_schema::poll_group(&mut app, group, NOW + 3_000);
    let job = &second["jobs"][0];
    assert_eq!((job["job_status"].as_str(), job["work_completed"].as_i64()), (Some("completed"), Some(2)));
    assert_eq!(job["done_at"], "2026-08-21T20:39:37Z");
    assert!(app.attrs.get(title).expect("title").unique);
}

fn only_job(app: &mut App, body: &Value) -> Value {
    let group = Uuid::parse_str(body["indexing-jobs"]["group-id"].as_str().expect("group")).expect("uuid");
    let polled = platform_schema::poll_group(app, group, NOW + 1_000);
    assert_eq!(polled["jobs"].as_array().map(Vec::len), Some(1));
    polled["jobs"][0].clone()
}

#[test]
fn unique_fails_over_a_value_held_twice_and_keeps_the_attribute_as_it_was() {
    // platform §4.8: triple-not-unique-error, invalid_unique_value, the sample
    let mut app = seeded();
    let title = app.attrs.fwd("todos", "title").expect("title").id;
    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    write(
        &mut app,
        json!([
            ["update", "todos", a.to_string(), {"title": "Write docs"}],
            ["update", "todos", b.to_string(), {"title": "Write docs"}],
            ["update", "todos", c.to_string(), {"title": "Ship"}],
        ]),
    );
    let body = push(&mut app, &entities(json!({"todos": {"attrs": {"title": attr("string", false, false, true)}, "links": {}}})));
    let job = only_job(&mut app, &body);
    assert_eq!((job["job_status"].as_str(), job["job_stage"].as_str()), (Some("errored"), Some("update-triples")));
    assert_eq!((job["error"].as_str(), job["invalid_unique_value"].as_str()), (Some("triple-not-unique-error"), Some("Write docs")));
    assert_eq!((job["work_estimate"].as_i64(), job["done_at"].as_str(), job["error_data"].as_str()), (Some(3), None, None));
    let mut sample = job["invalid_triples_sample"].as_array().expect("sample").clone();
    sample.sort_by_key(|s| s["entity_id"].as_str().unwrap_or_default().to_owned());
    let mut expected = vec![
        json!({"entity_id": a.to_string(), "value": "Write docs", "json_type": "string"}),
        json!({"entity_id": b.to_string(), "value": "Write docs", "json_type": "string"}),
    ];
    expected.sort_by_key(|s| s["entity_id"].as_str().unwrap_or_default().to_owned());
    assert_eq!(sample, expected);
    assert!(!app.attrs.get(title).expect("title").unique);
}

#[test]
fn required_fails_over_entities_without_a_value() {
    // platform §4.8: missing-required-error with error_data and null samples
    let mut app = seeded();
    let ids: Vec<Uuid> = (0..13).map(|_| Uuid::new_v4()).collect();
    let mut steps: Vec<Value> = ids.iter().map(|id| json!(["update", "todos", id.to_string(), {"notes": {"n": 1}}])).collect();
    steps.push(json!(["update", "todos", Uuid::new_v4().to_string(), {"title": "has one"}]));
    write(&mut app, Value::Array(steps));
    let body = push(&mut app, &entities(json!({"todos": {"attrs": {"title": attr("string", true, false, false)}, "links": {}}})));
    let job = only_job(&mut app, &body);
    assert_eq!((job["job_status"].as_str(), job["job_stage"].as_str()), (Some("errored"), Some("validate")));
    assert_eq!(job["error"], "missing-required-error");
    let data = &job["error_data"];
    assert_eq!((data["count"].as_u64(), data["etype"].as_str(), data["label"].as_str()), (Some(13), Some("todos"), Some("title")));
    let listed = data["entity-ids"].as_array().expect("ids");
    assert_eq!(listed.len(), 10, "at most 10 ids");
    assert!(listed.iter().all(|id| ids.iter().any(|i| i.to_string() == *id)));
    let sample = job["invalid_triples_sample"].as_array().expect("sample");
    assert_eq!(sample.len(), 10);
    assert!(sample.iter().all(|s| s["value"].is_null() && s["json_type"] == "null" && listed.contains(&s["entity_id"])));
    assert_eq!((job["work_estimate"].as_i64(), job["work_completed"].as_i64()), (Some(29), Some(14)));
    assert!(!app.attrs.fwd("todos", "title").expect("title").required);
}

#[test]
fn check_data_type_fails_over_values_of_another_type() {
    // platform §4.8: invalid-triple-error with the offending values
    let mut app = seeded();
    let (good, bad, worse) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    write(
        &mut app,
        json!([
            ["update", "todos", good.to_string(), {"notes": 4}],
            ["update", "todos", bad.to_string(), {"notes": "four"}],
            ["update", "todos", worse.to_string(), {"notes": {"n": 4}}],
        ]),
    );
    let body = push(&mut app, &entities(json!({"todos": {"attrs": {"notes": attr("number", false, false, false)}, "links": {}}})));
    assert_eq!(ops(body["steps"].as_array().expect("steps")), ["check-data-type"]);
    let job = only_job(&mut app, &body);
    assert_eq!((job["job_status"].as_str(), job["job_stage"].as_str()), (Some("errored"), Some("validate")));
    assert_eq!((job["error"].as_str(), job["checked_data_type"].as_str()), (Some("invalid-triple-error"), Some("number")));
    assert_eq!((job["work_estimate"].as_i64(), job["work_completed"].as_i64()), (Some(9), Some(3)));
    let mut sample = job["invalid_triples_sample"].as_array().expect("sample").clone();
    sample.sort_by_key(|s| s["json_type"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        sample,
        [
            json!({"entity_id": worse.to_string(), "value": {"n": 4}, "json_type": "object"}),
            json!({"entity_id": bad.to_string(), "value": "four", "json_type": "string"})
        ]
    );
    assert_eq!(app.attrs.fwd("todos", "notes").expect("notes").checked_type, None);
    // once the data fits, the same push completes and the type is enforced
    write(&mut app, json!([["update", "todos", bad.to_string(), {"notes": 4.5}], ["update", "todos", worse.to_string(), {"notes": null}]]));
    let body = push(&mut app, &entities(json!({"todos": {"attrs": {"notes": attr("number", false, false, false)}, "links": {}}})));
    let job = only_job(&mut app, &body);
    assert_eq!((job["job_status"].as_str(), job["job_stage"].as_str()), (Some("completed"), Some("update-attr-done")));
    assert_eq!(job["invalid_triples_sample"], Value::Null);
    assert_eq!(platform_schema::api_schema(&app)["blobs"]["todos"]["notes"]["checked-data-type"], "number");
}

#[test]
fn every_job_of_a_push_shares_its_group_and_completes() {
    let mut app = seeded();
    write(&mut app, json!([["update", "todos", Uuid::new_v4().to_string(), {"title": "x", "notes": "y"}]]));
    let body = push(
        &mut app,
        &entities(json!({"todos": {"attrs": {
        "title": attr("string", true, true, true),
        "notes": attr("string", false, false, false),
    }, "links": {}}})),
    );
    let steps = body["steps"].as_array().expect("steps");
    assert_eq!(ops(steps), ["index", "unique", "required", "check-data-type"]);
    let rows = body["indexing-jobs"]["jobs"].as_array().expect("jobs");
    let step_jobs: Vec<&Value> = steps.iter().map(|s| &s[1]["job-id"]).collect();
    let row_ids: Vec<&Value> = rows.iter().map(|r| &r["id"]).collect();
    assert_eq!(step_jobs, row_ids);
    let group = Uuid::parse_str(body["indexing-jobs"]["group-id"].as_str().expect("group")).expect("uuid");
    let polled = platform_schema::poll_group(&mut app, group, NOW + 1_000);
    let statuses: Vec<&str> =
        polled["jobs"].as_array().expect("jobs").iter().map(|j| j["job_status"].as_str().unwrap_or_default()).collect();
    assert_eq!(statuses, ["completed"; 4]);
    let title = &platform_schema::api_schema(&app)["blobs"]["todos"]["title"];
    assert_eq!((title["index?"].as_bool(), title["unique?"].as_bool(), title["required?"].as_bool()), (Some(true), Some(true), Some(true)));
    assert_eq!(platform_schema::api_schema(&app)["blobs"]["todos"]["notes"]["checked-data-type"], "string");
}

#[test]
fn app_creation_applies_a_schema_without_background_jobs() {
    // platform §3.5: background-updates? false; data-type steps still make jobs
    let mut app = seeded();
    let options = PlanOptions { check_types: true, background_updates: false };
    let pushed = entities(json!({"todos": {"attrs": {"title": attr("number", true, true, false)}, "links": {}}}));
    let body = platform_schema::push_apply(&mut app, &pushed, options, 7, NOW).expect("applies");
    assert_eq!(ops(body["steps"].as_array().expect("steps")), ["update-attr", "check-data-type"]);
    let title = app.attrs.fwd("todos", "title").expect("title");
    assert!(title.indexed && title.required);
    assert_eq!(body["transaction"]["results"]["update-attr"], json!([{"count": 2}]));
    assert_eq!(body["indexing-jobs"]["jobs"].as_array().map(Vec::len), Some(1));
}

#[test]
fn an_update_attr_making_an_attribute_required_needs_every_entity_to_have_it() {
    let mut app = seeded();
    write(&mut app, json!([["update", "todos", Uuid::new_v4().to_string(), {"notes": "no title"}]]));
    let options = PlanOptions { check_types: true, background_updates: false };
    let pushed = entities(json!({"todos": {"attrs": {"title": attr("string", true, false, false)}, "links": {}}}));
    let before = platform_schema::api_schema(&app);
    let error = platform_schema::push_apply(&mut app, &pushed, options, 7, NOW).expect_err("refused");
    let (_, kind, message, _) = error_parts(&error);
    assert_eq!(kind, "validation-failed");
    assert_eq!(
        message,
        "Validation failed for attributes: Can't update attribute `title` to required because `todos` already have entities without it"
    );
    assert_eq!(platform_schema::api_schema(&app), before, "nothing changed");
}

#[test]
fn steps_apply_renames_deletes_and_adds_with_job_steps() {
    // platform §4.6 last paragraph: client-built steps
    let mut app = seeded();
    let todo = Uuid::new_v4();
    write(&mut app, json!([["update", "todos", todo.to_string(), {"title": "Keep me", "notes": "drop me"}]]));
    let title = app.attrs.fwd("todos", "title").expect("title").clone();
    let notes = app.attrs.fwd("todos", "notes").expect("notes").id;
    let link = app.attrs.fwd("todos", "project").expect("link").clone();
    let slug = Uuid::new_v4();
    let steps = json!([
        ["add-attr", {"id": slug.to_string(), "forward-identity": [slug.to_string(), "todos", "slug"], "value-type": "blob",
                      "cardinality": "one", "unique?": false, "index?": false, "required?": false, "inferred-types": null,
                      "catalog": "user", "on-delete": null, "on-delete-reverse": null, "checked-data-type": "string"}],
        ["unique", {"attr-id": slug.to_string(), "forward-identity": [slug.to_string(), "todos", "slug"]}],
        ["index", {"attr-id": slug.to_string(), "forward-identity": [slug.to_string(), "todos", "slug"]}],
        ["update-attr", {"id": title.id.to_string(), "forward-identity": [title.id.to_string(), "todos", "name"]}],
        ["update-attr", {"id": link.id.to_string(), "forward-identity": [link.id.to_string(), "todos", "board"],
                         "reverse-identity": [link.id.to_string(), "projects", "tasks"], "cardinality": "one"}],
        // as the client builds it: a bare id
        ["delete-attr", notes.to_string()],
    ]);
    let result = platform_schema::apply_steps(&mut app, &steps, 3, NOW).expect("applies");
    let wire = result.to_wire();
    let keys: Vec<&String> = wire.as_object().expect("map").keys().collect();
    assert_eq!(keys, ["transaction", "steps", "indexing-jobs"]);
    let results = &wire["transaction"]["results"];
    assert_eq!(results.as_object().expect("map").keys().collect::<Vec<_>>(), ["add-attr", "update-attr", "delete-attr"]);
    // rename: same attribute, same data, new name; the identity keeps its id
    let renamed = app.attrs.get(title.id).expect("still there");
    assert_eq!((renamed.forward.etype.as_str(), renamed.forward.label.as_str()), ("todos", "name"));
    assert_eq!(renamed.forward.id, title.forward.id);
    assert_eq!(app.triples.value(todo, title.id).map(|s| s.value.clone()), Some(json!("Keep me")));
    let board = app.attrs.get(link.id).expect("link");
    assert_eq!((board.forward.label.as_str(), board.reverse.as_ref().map(|r| r.label.as_str())), ("board", Some("tasks")));
    let schema = platform_schema::api_schema(&app);
    assert!(schema["blobs"]["todos"].get("name").is_some() && schema["blobs"]["todos"].get("title").is_none());
    assert!(schema["refs"].get(r#"["todos" "board" "projects" "tasks"]"#).is_some());
    // delete: soft-deleted, listed among the deleted attributes
    assert!(app.attrs.get(notes).is_none());
    assert!(app.attrs.deleted().any(|d| d.attr.id == notes));
    // add-attr without constraints, then its jobs
    assert!(app.attrs.get(slug).is_some_and(|a| !a.unique && !a.indexed));
    let out = wire["steps"].as_array().expect("steps");
    assert_eq!(out[5], json!(["delete-attr", notes.to_string()]));
    assert!(out[1][1]["job-id"].is_string() && out[2][1]["job-id"].is_string() && out[3][1].get("job-id").is_none());
    let group = Uuid::parse_str(wire["indexing-jobs"]["group-id"].as_str().expect("group")).expect("uuid");
    let polled = platform_schema::poll_group(&mut app, group, NOW + 1_000);
    let names: Vec<&str> = polled["jobs"].as_array().expect("jobs").iter().map(|j| j["attr_name"].as_str().unwrap_or_default()).collect();
    assert_eq!(names, ["todos.slug", "todos.slug"]);
    assert!(app.attrs.get(slug).is_some_and(|a| a.unique && a.indexed));
}

#[test]
fn steps_apply_changes_nothing_when_a_step_fails() {
    let mut app = seeded();
    let before = platform_schema::api_schema(&app);
    let title = app.attrs.fwd("todos", "title").expect("title").id;
    // a job for an attribute that does not exist, after a valid rename
    let steps = json!([
        ["update-attr", {"id": title.to_string(), "forward-identity": [title.to_string(), "todos", "name"]}],
        ["unique", {"attr-id": Uuid::new_v4().to_string(), "forward-identity": [Uuid::new_v4().to_string(), "todos", "x"]}],
    ]);
    let error = platform_schema::apply_steps(&mut app, &steps, 3, NOW).expect_err("fails");
    assert_eq!(error_parts(&error).1, "record-not-found");
    assert_eq!(platform_schema::api_schema(&app), before);
    assert_eq!(app.indexing_jobs.iter().count(), 0);
    // a rename onto a taken name
    let steps = json!([["update-attr", {"id": title.to_string(), "forward-identity": [title.to_string(), "todos", "notes"]}]]);
    let error = platform_schema::apply_steps(&mut app, &steps, 3, NOW).expect_err("fails");
    let (_, kind, message, _) = error_parts(&error);
    assert_eq!((kind, message), ("record-not-unique", "`notes` already exists on `todos`"));
    // a rename onto a system name
    let steps = json!([["update-attr", {"id": title.to_string(), "forward-identity": [title.to_string(), "$users", "email"]}]]);
    let error = platform_schema::apply_steps(&mut app, &steps, 3, NOW).expect_err("fails");
    assert_eq!(error_parts(&error).2, "Validation failed for attributes: $users.email is a system column and it already exists.");
    // a client-built attribute in a new `$` namespace (`validate-system-ident-names!`)
    let (id, ident) = (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
    let steps = json!([["add-attr", {"id": id, "forward-identity": [ident, "$things", "x"], "value-type": "blob", "cardinality": "one",
        "unique?": false, "index?": false, "required?": false}]]);
    let error = platform_schema::apply_steps(&mut app, &steps, 3, NOW).expect_err("fails");
    assert_eq!(error_parts(&error).2, "Validation failed for attributes: $ is reserved for system tables. You can't create $things");
    assert_eq!(platform_schema::api_schema(&app), before);
    // the body's shape
    let error = platform_schema::apply_steps(&mut app, &Value::Null, 3, NOW).expect_err("fails");
    assert_eq!(error_parts(&error).2, "Missing parameter: [\"body\" \"steps\"]");
    let error = platform_schema::apply_steps(&mut app, &json!([["delete-attr", title.to_string()], "x"]), 3, NOW).expect_err("fails");
    assert_eq!(error_parts(&error).1, "validation-failed");
    assert_eq!(platform_schema::api_schema(&app), before);
}

#[test]
fn a_rename_without_on_delete_clears_a_cascade_as_the_server_does() {
    // `update-multi!` sets on-delete to the step's value, null when absent
    let mut app = app();
    push(
        &mut app,
        &json!({"entities": {"todos": {"attrs": {"t": attr("string", false, false, false)}, "links": {}}}, "links": {
            "todosOwner": {"forward": {"on": "todos", "has": "one", "label": "owner", "onDelete": "cascade"},
                           "reverse": {"on": "$users", "has": "many", "label": "todos"}}}, "rooms": {}}),
    );
    let link = app.attrs.fwd("todos", "owner").expect("link").clone();
    assert!(link.on_delete_cascade);
    let steps = json!([["update-attr", {"id": link.id.to_string(), "forward-identity": [link.id.to_string(), "todos", "author"]}]]);
    platform_schema::apply_steps(&mut app, &steps, 3, NOW).expect("applies");
    assert!(!app.attrs.get(link.id).expect("link").on_delete_cascade);
}
