//! The shared wasm suite (DESIGN.md "Tests", layer 4): the Rust API over the real `fetch`, run by
//! wasm-bindgen-test in Node and in headless Chromium against a live emulator whose URL and
//! credentials are baked in at compile time (`cargo xtask test wasm-node|wasm-chromium`).
#![cfg(target_arch = "wasm32")]

use instant_edge::{id, link_target, lookup, tx, CallOptions, DebugOptions, Error, Impersonation, Instant, Value};
use serde::Deserialize;
use wasm_bindgen_test::wasm_bindgen_test;

const URL: Option<&str> = option_env!("EMULATOR_URL");
const APP: Option<&str> = option_env!("EMULATOR_APP_ID");
const TOKEN: Option<&str> = option_env!("EMULATOR_ADMIN_TOKEN");

fn db() -> Instant {
    let (Some(url), Some(app), Some(token)) = (URL, APP, TOKEN) else {
        panic!("build with EMULATOR_URL, EMULATOR_APP_ID and EMULATOR_ADMIN_TOKEN set (cargo xtask test wasm-node)");
    };
    Instant::builder(app).api_uri(url).admin_token(token).retries(0).build().unwrap()
}

fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::object(entries)
}

#[derive(Deserialize, Debug)]
struct Todo {
    text: String,
}

#[derive(Deserialize, Debug)]
struct Goal {
    id: String,
    title: String,
    todos: Vec<Todo>,
}

#[derive(Deserialize, Debug)]
struct Goals {
    goals: Vec<Goal>,
}

#[wasm_bindgen_test]
async fn transact_then_query_nested_with_where() {
    let db = db();
    let (goal, todo) = (id(), id());
    let title = format!("wasm goal {goal}");
    let answer = db
        .transact([
            tx("todos", &todo).update(obj([("text", "Run 5k".into())])),
            tx("goals", &goal).update(obj([("title", title.clone().into())])).link(obj([("todos", todo.clone().into())])),
        ])
        .await
        .unwrap();
    assert!(answer.tx_id > 0);
    let query = obj([("goals", obj([("$", obj([("where", obj([("title", title.clone().into())]))])), ("todos", Value::empty_object())]))]);
    let found: Goals = db.query(&query).await.unwrap();
    assert_eq!(found.goals.len(), 1);
    assert_eq!(found.goals[0].id, goal);
    assert_eq!(found.goals[0].title, title);
    assert_eq!(found.goals[0].todos[0].text, "Run 5k");
}

#[wasm_bindgen_test]
async fn lookups_as_entity_and_link_target() {
    let db = db();
    let (goal, todo) = (id(), id());
    db.transact([
        tx("todos", &todo).update(obj([("text", "via lookup".into())])),
        tx("goals", &goal).update(obj([("title", "linked by lookup".into())])),
    ])
    .await
    .unwrap();
    // `id` lookups are always unique: one as the step's entity, one as the link target.
    db.transact([tx("goals", lookup("id", goal.clone())).link(obj([("todos", link_target(&lookup("id", todo.clone())))]))]).await.unwrap();
    let query = obj([("goals", obj([("$", obj([("where", obj([("id", goal.clone().into())]))])), ("todos", Value::empty_object())]))]);
    let found: Goals = db.query(&query).await.unwrap();
    assert_eq!(found.goals[0].todos.len(), 1);
    assert_eq!(found.goals[0].todos[0].text, "via lookup");
}

#[wasm_bindgen_test]
async fn guest_reads_with_default_rules_and_email_needs_a_user() {
    let db = db();
    let goals: Value = db.as_user(Impersonation::Guest).query(&obj([("goals", Value::empty_object())])).await.unwrap();
    assert!(goals.get("goals").is_some());
    let err = db
        .as_user(Impersonation::Email(format!("nobody-{}@example.com", id())))
        .query::<Value>(&obj([("goals", Value::empty_object())]))
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.error_type()), (400, Some("record-not-found")));
}

#[wasm_bindgen_test]
async fn server_errors_are_typed() {
    let db = db();
    let err = db.query::<Value>(&obj([("goals", obj([("$", obj([("limit", "ten".into())]))]))])).await.unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!(api.status, 400);
    assert_eq!(api.error_type.as_deref(), Some("validation-failed"));
    assert!(api.trace_id.is_some());
}

#[wasm_bindgen_test]
async fn bad_input_fails_before_sending() {
    let db = db();
    let err = db.transact([tx("goals", "not-a-uuid").update(Value::empty_object())]).await.unwrap_err();
    assert_eq!(err.kind(), "invalid-argument");
}

#[wasm_bindgen_test]
async fn a_dead_port_is_a_network_error() {
    let (Some(app), Some(token)) = (APP, TOKEN) else { panic!("no emulator") };
    let dead = Instant::builder(app).api_uri("http://127.0.0.1:9").admin_token(token).retries(0).build().unwrap();
    let err = dead.query::<Value>(&obj([("goals", Value::empty_object())])).await.unwrap_err();
    assert_eq!(err.kind(), "network", "{err:?}");
}

#[wasm_bindgen_test]
async fn an_aborted_signal_sends_nothing() {
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let opts = CallOptions::default().signal(controller.signal());
    let err = db().query_json(&obj([("goals", Value::empty_object())]), &opts).await.unwrap_err();
    assert_eq!(err, Error::Aborted);
}

#[wasm_bindgen_test]
async fn custom_auth_flow_from_rust() {
    use instant_edge::auth::UserRef;
    let db = db();
    let email = format!("rust-{}@example.com", id());
    let token = db.auth().create_token(&UserRef::Email(email.clone())).await.unwrap();
    let user = db.auth().verify_token(&token).await.unwrap();
    assert_eq!(user.email.as_deref(), Some(email.as_str()));
    let mine: Value = db.as_user(Impersonation::Token(token.clone())).query(&obj([("$users", Value::empty_object())])).await.unwrap();
    assert_eq!(mine.get("$users").and_then(Value::as_array).map(<[Value]>::len), Some(1));
    db.auth().sign_out(&UserRef::RefreshToken(token.clone())).await.unwrap();
    let err = db.auth().verify_token(&token).await.unwrap_err();
    assert_eq!((err.status(), err.error_type()), (400, Some("record-not-found")));
    let code = db.auth().generate_magic_code(&email).await.unwrap();
    let (again, created) = db.auth().check_magic_code(&email, &code, None).await.unwrap();
    assert_eq!((again.id, created), (user.id, false));
}

#[wasm_bindgen_test]
async fn list_users_walks_every_page_once() {
    use instant_edge::auth::UserRef;
    let db = db();
    let tag = &id()[..8];
    let emails: Vec<String> = (0..5).map(|n| format!("page-{tag}-{n}@example.com")).collect();
    for email in emails.iter().rev() {
        db.auth().create_token(&UserRef::Email(email.clone())).await.unwrap();
    }
    let (mut seen, mut after) = (Vec::new(), None::<String>);
    loop {
        let page = db.auth().list_users(2, after.as_deref()).await.unwrap();
        assert!(page.users.len() <= 2);
        seen.extend(page.users.into_iter().filter_map(|u| u.email).filter(|e| e.starts_with(&format!("page-{tag}-"))));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    assert_eq!(seen, emails, "every user once, in email order");
    let bad = db.auth().list_users(0, None).await.unwrap_err();
    assert!(matches!(bad, Error::InvalidArgument { .. }));
}

/// The bytes at `url`, by the host's `fetch`.
async fn download(url: &str) -> Vec<u8> {
    use wasm_bindgen::JsCast;
    let fetch: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"fetch".into()).unwrap().unchecked_into();
    let response = wasm_bindgen_futures::JsFuture::from(
        fetch.call1(&wasm_bindgen::JsValue::NULL, &url.into()).unwrap().unchecked_into::<js_sys::Promise>(),
    )
    .await
    .unwrap();
    let buffer: js_sys::Function = js_sys::Reflect::get(&response, &"arrayBuffer".into()).unwrap().unchecked_into();
    let bytes = wasm_bindgen_futures::JsFuture::from(buffer.call0(&response).unwrap().unchecked_into::<js_sys::Promise>()).await.unwrap();
    js_sys::Uint8Array::new(&bytes).to_vec()
}

/// A Rust chunk stream.
struct Chunks(Vec<Vec<u8>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Vec<u8>, String>;
    fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready((!self.0.is_empty()).then(|| Ok(self.0.remove(0))))
    }
}

#[wasm_bindgen_test]
async fn storage_round_trip_from_rust_bytes_and_streams() {
    use instant_edge::storage::{UploadOptions, UploadSource};
    use std::cell::Cell;
    use std::rc::Rc;
    let db = db();
    let tag = &id()[..8];
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let loaded = Rc::new(Cell::new(0u64));
    let seen = loaded.clone();
    let options = UploadOptions {
        content_type: Some("application/x-rust".into()),
        file_size: Some(bytes.len() as u64),
        on_progress: Some(Rc::new(move |p| seen.set(p.loaded))),
        ..Default::default()
    };
    let chunks = bytes.chunks(30_000).map(<[u8]>::to_vec).collect();
    for (name, source) in [("bytes", UploadSource::from_bytes(bytes.clone())), ("stream", UploadSource::from_stream(Chunks(chunks)))] {
        loaded.set(0);
        let path = format!("rust-{tag}/{name}.bin");
        let uploaded = db.storage().upload_file(&path, source, &options).await.unwrap();
        assert_eq!(uploaded.size, Some(bytes.len() as f64), "{name}");
        assert_eq!(loaded.get(), bytes.len() as u64, "{name}: progress ends at the size");
        let url = db.storage().download_url(&path).await.unwrap().expect("a url");
        assert_eq!(download(&url).await, bytes, "{name}: the same bytes back");
    }
    let mine: Vec<_> = db.storage().list().await.unwrap().into_iter().filter(|f| f.path.starts_with(&format!("rust-{tag}/"))).collect();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|f| f.content_type.as_deref() == Some("application/x-rust")));
    let paths: Vec<String> = mine.iter().map(|f| f.path.clone()).collect();
    assert_eq!(db.storage().delete_many(&paths).await.unwrap().len(), 2);
    assert_eq!(db.storage().download_url(&paths[0]).await.unwrap(), None);
    let denied = db
        .as_user(Impersonation::Guest)
        .storage()
        .upload_file("guest.txt", UploadSource::from_text("hi"), &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!((denied.status(), denied.error_type()), (400, Some("permission-denied")));
}

#[wasm_bindgen_test]
async fn users_guests_mailed_codes_and_cookies_from_rust() {
    use instant_edge::auth::UserRef;
    let db = db();
    let email = format!("more-{}@example.com", id());
    let token = db.auth().create_token(&UserRef::Email(email.clone())).await.unwrap();
    let user = db.auth().get_user(&UserRef::RefreshToken(token.clone())).await.unwrap().expect("the user");
    assert_eq!(user.email.as_deref(), Some(email.as_str()));
    let code = db.auth().send_magic_code(&email).await.unwrap();
    let (again, created) = db.auth().check_magic_code(&email, &code, None).await.unwrap();
    assert_eq!((again.id.as_str(), created), (user.id.as_str(), false));
    let cookie = format!("a=b; instant_user_{}=%7B%22id%22%3A%22{}%22%2C%22refresh_token%22%3A%22{token}%22%7D", APP.unwrap(), user.id);
    let from_cookie = db.auth().user_from_cookie(&cookie, true).await.unwrap().expect("a cookie user");
    assert_eq!(from_cookie.get("email").and_then(Value::as_str), Some(email.as_str()));
    assert_eq!(db.auth().user_from_cookie("instant_user_x=%ZZ", true).await.unwrap(), None);
    let guest = db.auth().sign_in_guest().await.unwrap();
    assert!(guest.is_guest);
    assert_eq!(db.auth().delete_user(&UserRef::Id(guest.id.clone())).await.unwrap().map(|u| u.id), Some(guest.id.clone()));
    assert_eq!(db.auth().get_user(&UserRef::Id(guest.id)).await.unwrap(), None);
    let bad = db.auth().send_magic_code("not an email").await.unwrap_err();
    assert!(matches!(bad, Error::InvalidArgument { .. }));
}

#[wasm_bindgen_test]
async fn a_live_query_from_rust_sees_each_transaction() {
    let db = db();
    let tag = id();
    let query = obj([("liveRust", obj([("$", obj([("where", obj([("tag", tag.clone().into())]))]))]))]);
    let mut live = db.subscribe_query(&query).unwrap();
    let count = |result: &instant_edge::live::LiveResult| {
        js_sys::Reflect::get(&js_sys::Reflect::get(&result.data, &"liveRust".into()).unwrap(), &"length".into()).unwrap().as_f64().unwrap()
    };
    assert_eq!(count(&live.next().await.unwrap().unwrap()), 0.0);
    for n in 1..=2 {
        db.transact([tx("liveRust", id()).update(obj([("tag", tag.clone().into())]))]).await.unwrap();
        let result = live.next().await.unwrap().unwrap();
        assert_eq!(count(&result), f64::from(n));
        assert!(!result.session.session_id.is_empty());
    }
    live.close();
    assert!(live.next().await.is_none(), "closed");
    assert!(db.subscribe_query(&Value::from("nope")).is_err());
}

#[derive(Deserialize, Debug)]
struct TitledGoal {
    id: String,
    title: String,
}

#[derive(Deserialize, Debug)]
struct TitledGoals {
    goals: Vec<TitledGoal>,
}

fn goal_rule(action: &str, code: &str) -> DebugOptions {
    DebugOptions::default().rules(obj([("goals", obj([("allow", obj([(action, code.into())]))]))]))
}

#[wasm_bindgen_test]
async fn debug_query_as_a_guest_answers_each_check() {
    use instant_edge::models::CheckProgram;
    let db = db();
    let (shown, hidden) = (id(), id());
    db.transact([
        tx("goals", &shown).update(obj([("title", "visible".into())])),
        tx("goals", &hidden).update(obj([("title", "hidden".into())])),
    ])
    .await
    .unwrap();
    let ids = Value::Array(vec![shown.clone().into(), hidden.clone().into()]);
    let query = obj([("goals", obj([("$", obj([("where", obj([("id", obj([("$in", ids)]))]))]))]))]);
    let guest = db.as_user(Impersonation::Guest);
    let code = "data.title == 'visible'";
    let checked = guest.debug_query::<TitledGoals>(&query, &goal_rule("view", code)).await.unwrap();
    let seen: Vec<_> = checked.result.goals.iter().map(|g| (g.id.as_str(), g.title.as_str())).collect();
    assert_eq!(seen, [(shown.as_str(), "visible")], "only the visible goal");
    assert_eq!(checked.check_results.len(), 2, "{:?}", checked.check_results);
    let program =
        CheckProgram { etype: Some("goals".into()), action: Some("view".into()), code: Some(code.into()), display_code: Some(code.into()) };
    for (goal, title, pass) in [(&shown, "visible", true), (&hidden, "hidden", false)] {
        let check = checked.check_results.iter().find(|c| &c.id == goal).expect("a check per goal");
        assert_eq!((check.entity.as_str(), check.label.as_deref(), check.check.clone()), ("goals", None, Value::from(pass)));
        assert_eq!(check.record.get("title").and_then(Value::as_str), Some(title));
        assert_eq!(check.program, program);
    }
    let call = CallOptions::default().rule_params(obj([("goalId", hidden.clone().into())]));
    let by_param = guest.debug_query_with::<TitledGoals>(&query, &goal_rule("view", "data.id == ruleParams.goalId"), &call).await.unwrap();
    assert_eq!(by_param.result.goals.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), [hidden.as_str()], "ruleParams reach the rule");
    let passed: Vec<_> = by_param.check_results.iter().filter(|c| c.check == Value::from(true)).map(|c| c.id.as_str()).collect();
    assert_eq!(passed, [hidden.as_str()]);
}

#[wasm_bindgen_test]
async fn debug_transact_is_a_dry_run_and_bad_calls_are_400s() {
    let db = db();
    let goal = id();
    db.transact([tx("goals", &goal).update(obj([("title", "before".into())]))]).await.unwrap();
    let guest = db.as_user(Impersonation::Guest);
    let checked =
        guest.debug_transact([tx("goals", &goal).update(obj([("title", "after".into())]))], &goal_rule("update", "false")).await.unwrap();
    assert!(checked.tx_id > 0);
    assert_eq!((checked.all_checks_ok, checked.committed), (false, false));
    let update =
        checked.check_results.iter().find(|c| c.action == "update" && c.eid.as_deref() == Some(goal.as_str())).expect("an update check");
    assert_eq!(
        (update.scope.as_str(), update.etype.as_str(), update.check_result.clone(), update.check_pass),
        ("object", "goals", Value::from(false), false)
    );
    assert_eq!(
        (update.program.code.as_deref(), update.program.display_code.as_deref(), update.program.action.as_deref()),
        (Some("false"), Some("false"), Some("update"))
    );
    let bindings = update.bindings.as_ref().expect("bindings");
    assert_eq!(bindings.data.get("title").and_then(Value::as_str), Some("before"));
    assert_eq!(bindings.new_data.get("title").and_then(Value::as_str), Some("after"));
    assert_eq!(bindings.modified_fields.as_deref(), Some(&["title".to_owned()][..]));
    let query = obj([("goals", obj([("$", obj([("where", obj([("id", goal.clone().into())]))]))]))]);
    let after: TitledGoals = db.query(&query).await.unwrap();
    assert_eq!(after.goals[0].title, "before", "nothing committed");

    let as_admin = db.debug_query::<Value>(&obj([("goals", Value::empty_object())]), &DebugOptions::default()).await.unwrap_err();
    let Error::Api(api) = &as_admin else { panic!("{as_admin:?}") };
    assert_eq!((api.status, api.error_type.as_deref()), (400, Some("validation-failed")));
    assert!(api.message.contains("Cannot test perms as admin"), "{}", api.message);
    let bad = guest.debug_query::<Value>(&obj([("goals", Value::empty_object())]), &goal_rule("view", "nope(")).await.unwrap_err();
    let Error::Api(api) = &bad else { panic!("{bad:?}") };
    assert_eq!((api.status, api.error_type.as_deref()), (400, Some("validation-failed")));
    assert_eq!(api.hint.get("data-type").and_then(Value::as_str), Some("rule"));
    let not_rules = DebugOptions::default().rules(Value::from("not an object"));
    assert!(matches!(guest.debug_transact([], &not_rules).await.unwrap_err(), Error::InvalidArgument { .. }));
}

#[wasm_bindgen_test]
async fn per_call_headers_reach_the_emulator() {
    let db = db();
    let key = id();
    let opts = CallOptions::default().header("x-proxy-key", key.clone());
    let _: Value = db.query_with(&obj([("goals", Value::empty_object())]), &opts).await.unwrap();
    let log = download(&format!("{}/__emulator/requests?app-id={}&path-prefix=/admin/query", URL.unwrap(), APP.unwrap())).await;
    let log: serde_json::Value = serde_json::from_slice(&log).unwrap();
    let last = log["requests"].as_array().and_then(|requests| requests.last()).cloned().unwrap_or_default();
    assert_eq!(last["headers"]["x-proxy-key"], key.as_str(), "{last}");
    let refused =
        db.query_with::<Value>(&obj([("goals", Value::empty_object())]), &CallOptions::default().header("as-guest", "true")).await;
    assert!(matches!(refused, Err(Error::InvalidArgument { .. })));
}

/// `POST <emulator><path>` with a JSON body, by the host's `fetch`; the answer's JSON.
async fn post_json(path: &str, body: &str) -> serde_json::Value {
    use wasm_bindgen::JsCast;
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"method".into(), &"POST".into()).unwrap();
    js_sys::Reflect::set(&init, &"body".into(), &body.into()).unwrap();
    let headers = js_sys::Object::new();
    js_sys::Reflect::set(&headers, &"content-type".into(), &"application/json".into()).unwrap();
    js_sys::Reflect::set(&init, &"headers".into(), &headers).unwrap();
    let fetch: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"fetch".into()).unwrap().unchecked_into();
    let url = format!("{}{path}", URL.unwrap());
    let response = wasm_bindgen_futures::JsFuture::from(
        fetch.call2(&wasm_bindgen::JsValue::NULL, &url.into(), &init).unwrap().unchecked_into::<js_sys::Promise>(),
    )
    .await
    .unwrap();
    let text: js_sys::Function = js_sys::Reflect::get(&response, &"text".into()).unwrap().unchecked_into();
    let text = wasm_bindgen_futures::JsFuture::from(text.call0(&response).unwrap().unchecked_into::<js_sys::Promise>()).await.unwrap();
    serde_json::from_str(&text.as_string().unwrap()).unwrap()
}

#[cfg(feature = "platform")]
#[wasm_bindgen_test]
async fn platform_apps_and_perms_from_rust() {
    use instant_edge::client::platform::Platform;
    use instant_edge::platform::{Include, NewApp, PlatformAuth};
    use instant_edge::value;

    let email = format!("rust-{}@example.com", id());
    let made = post_json("/__emulator/platform/users", &format!(r#"{{"email":"{email}"}}"#)).await;
    let token = made["personal-access-token"].as_str().unwrap().to_owned();
    let platform = Platform::new(URL.unwrap(), PlatformAuth::Token(token)).unwrap();
    let schema = value!({ "entities": { "notes": { "attrs": { "body": { "valueType": "string", "required": true, "isIndexed": false,
        "config": { "indexed": false, "unique": false }, "metadata": {} } }, "links": {} } }, "links": {}, "rooms": {} });
    let perms = value!({ "notes": { "allow": { "view": "true" } } });
    let app = platform
        .create_app(&NewApp { title: "From Rust".into(), schema: Some(schema), perms: Some(perms.clone()), ..NewApp::default() })
        .await
        .unwrap();
    let admin_token = app.admin_token.as_ref().expect("creation answers the admin token").expose().to_owned();

    // The new app serves admin calls at once.
    let db = Instant::builder(&app.id).api_uri(URL.unwrap()).admin_token(admin_token).build().unwrap();
    db.transact([tx("notes", id()).update(obj([("body", "hello".into())]))]).await.unwrap();
    let notes: Value = db.query(&obj([("notes", Value::empty_object())])).await.unwrap();
    assert_eq!(notes.get("notes").and_then(Value::as_array).map(<[Value]>::len), Some(1));

    let apps = platform.get_apps(Include { perms: true, schema: false }).await.unwrap();
    assert_eq!(apps.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(), ["From Rust"]);
    assert_eq!(apps[0].perms.as_ref(), Some(&perms));
    let renamed = platform.update_app(&app.id, "Renamed").await.unwrap();
    assert_eq!(renamed.title, "Renamed");
    let denied = platform.push_perms(&app.id, &value!({ "notes": { "allow": { "view": "auth.id ==" } } })).await.unwrap_err();
    assert_eq!((denied.status(), denied.error_type()), (400, Some("validation-failed")));
    // A push that adds an attribute and makes `body` unique: planned, then applied with its job
    // polled to the end.
    // (`title` optional: the server refuses a new required attribute on a namespace with data.)
    let attr = |unique: bool, required: bool| value!({ "valueType": "string", "required": (required), "isIndexed": false, "config": { "indexed": false, "unique": (unique) }, "metadata": {} });
    let next = value!({ "entities": { "notes": { "attrs": { "body": (attr(true, true)), "title": (attr(false, false)) }, "links": {} } }, "links": {}, "rooms": {} });
    let plan = platform.plan_schema_push(&app.id, &next).await.unwrap();
    let mut said: Vec<String> = plan.steps.iter().map(|s| s.description.clone()).collect();
    said.sort();
    assert_eq!(said, ["Add attribute notes.title.", "Ensure that notes.body is unique."]);
    let mut push = platform.schema_push(&app.id, &next);
    let (summary, schema_now) = loop {
        match push.next().await.expect("a push ends with Done") {
            instant_edge::client::platform::PushEvent::Progress(_) => {}
            instant_edge::client::platform::PushEvent::Done(result) => break result.unwrap(),
        }
    };
    assert_eq!(summary.description, "Finished 2 schema operations.");
    let body = schema_now.get("blobs").and_then(|b| b.get("notes")).and_then(|n| n.get("body")).cloned().unwrap_or(Value::Null);
    assert_eq!(body.get("unique?"), Some(&Value::Bool(true)));

    // An overwrite push planned here: `body` renamed to `text` (its data kept), `title` deleted.
    let overwrite = instant_edge::platform::PushMode::Overwrite { renames: vec!["notes.body:notes.text".into()] };
    let last = value!({ "entities": { "notes": { "attrs": { "text": (attr(true, true)) }, "links": {} } }, "links": {}, "rooms": {} });
    let plan = platform.plan_schema_push_with(&app.id, &last, &overwrite).await.unwrap();
    let said: Vec<&str> = plan.steps.iter().map(|s| s.description.as_str()).collect();
    assert_eq!(said, ["Delete attribute notes.title.", "Update attribute notes.text."]);
    let (summary, schema_now) = platform.schema_push_with(&app.id, &last, overwrite).finish().await.unwrap();
    assert_eq!(summary.description, "Finished 2 schema operations.");
    let notes_now = schema_now.get("blobs").and_then(|b| b.get("notes")).and_then(Value::as_object).unwrap();
    let mut labels: Vec<&str> = notes_now.iter().map(|(k, _)| k.as_str()).collect();
    labels.sort();
    assert_eq!(labels, ["id", "text"]);
    let notes: Value = db.query(&obj([("notes", Value::empty_object())])).await.unwrap();
    let text = notes.get("notes").and_then(Value::as_array).and_then(|n| n.first()).and_then(|n| n.get("text")).cloned();
    assert_eq!(text, Some(Value::from("hello")));
    let malformed = instant_edge::platform::PushMode::Overwrite { renames: vec!["x".into()] };
    assert_eq!(platform.plan_schema_push_with(&app.id, &last, &malformed).await.unwrap_err().kind(), "invalid-argument");

    platform.delete_app(&app.id).await.unwrap();
    let gone = platform.get_app(&app.id, Include::default()).await.unwrap_err();
    assert_eq!(gone.message(), "Record not found: app");
}

/// The `code` of the redirect `/platform/oauth/start` answers (Node's `fetch` shows a manual
/// redirect's `Location`; browsers hide it, and `/start` has no CORS there, as on the server).
async fn authorization_code(url: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"redirect".into(), &"manual".into()).unwrap();
    let fetch: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"fetch".into()).unwrap().unchecked_into();
    let response = wasm_bindgen_futures::JsFuture::from(
        fetch.call2(&wasm_bindgen::JsValue::NULL, &url.into(), &init).unwrap().unchecked_into::<js_sys::Promise>(),
    )
    .await
    .unwrap();
    let headers = js_sys::Reflect::get(&response, &"headers".into()).unwrap();
    let get: js_sys::Function = js_sys::Reflect::get(&headers, &"get".into()).unwrap().unchecked_into();
    let location = get.call1(&headers, &"location".into()).unwrap().as_string()?;
    let query = location.split_once('?')?.1;
    query.split('&').find_map(|pair| pair.strip_prefix("code=")).map(str::to_owned)
}

#[cfg(feature = "platform")]
#[wasm_bindgen_test]
async fn platform_oauth_pkce_and_secret_flows_from_rust() {
    use instant_edge::client::platform::{pkce, Platform};
    use instant_edge::platform::oauth::{authorize_url, CodeProof};
    use instant_edge::platform::{Include, NewApp, PlatformAuth, PlatformConfig};

    if js_sys::Reflect::get(&js_sys::global(), &"process".into()).map_or(true, |p| p.is_undefined()) {
        return; // a browser: see `authorization_code`
    }
    let url = URL.unwrap();
    let email = format!("oauth-{}@example.com", id());
    post_json("/__emulator/platform/users", &format!(r#"{{"email":"{email}"}}"#)).await;
    let redirect = "http://localhost:9/cb";
    let client = post_json("/__emulator/platform/oauth-clients", &format!(r#"{{"app-name":"Rust","redirect-urls":["{redirect}"]}}"#)).await;
    let (client_id, secret) = (client["client-id"].as_str().unwrap().to_owned(), client["client-secret"].as_str().unwrap().to_owned());
    post_json("/__emulator/platform/oauth-consent", &format!(r#"{{"email":"{email}"}}"#)).await;
    let anonymous = Platform::with_config(PlatformConfig::new(url).unwrap());

    // PKCE: no refresh token; the token reads apps and may not make one.
    let (verifier, challenge) = pkce().await.unwrap();
    let start = authorize_url(url, &client_id, redirect, &["apps-read"], "st-1", Some(&challenge)).unwrap();
    let code = authorization_code(&start).await.expect("a code");
    let grant = anonymous.exchange_code(&code, &client_id, redirect, &CodeProof::Verifier(verifier.clone())).await.unwrap();
    assert_eq!((grant.refresh_token.is_none(), grant.scopes.as_deref()), (true, Some("apps-read")));
    let reader = Platform::new(url, PlatformAuth::Token(grant.access_token.clone())).unwrap();
    assert!(reader.get_apps(Include::default()).await.unwrap().is_empty());
    let denied = reader.create_app(&NewApp { title: "x".into(), ..NewApp::default() }).await.unwrap_err();
    assert_eq!(denied.error_type(), Some("permission-denied"));
    assert_eq!(reader.token_info().await.unwrap().scopes, "apps-read");
    let reused = anonymous.exchange_code(&code, &client_id, redirect, &CodeProof::Verifier(verifier)).await.unwrap_err();
    assert_eq!(reused.status(), 400, "a code is single use");

    // With the secret: a refresh token; refreshing swaps the access token; revoking it ends both.
    let start = authorize_url(url, &client_id, redirect, &["apps-read", "apps-write"], "st-2", None).unwrap();
    let code = authorization_code(&start).await.expect("a code");
    let grant = anonymous.exchange_code(&code, &client_id, redirect, &CodeProof::Secret(secret.clone())).await.unwrap();
    let refresh = grant.refresh_token.clone().expect("a refresh token");
    let auth = PlatformAuth::OAuth { access_token: grant.access_token, refresh_token: refresh.clone(), client_id, client_secret: secret };
    let writer = Platform::new(url, auth).unwrap();
    let refreshed = writer.refresh_token().await.unwrap();
    assert!(refreshed.expires_at_ms > js_sys::Date::now() + 13.0 * 86_400_000.0, "two weeks from now, not 1970");
    writer.create_app(&NewApp { title: "OAuth app".into(), ..NewApp::default() }).await.unwrap();
    anonymous.revoke_token(&refresh).await.unwrap();
    let after = writer.get_apps(Include::default()).await.unwrap_err();
    assert_eq!(after.status(), 400, "the access token went with its refresh token, and refreshing fails: {after:?}");
}

#[wasm_bindgen_test]
async fn streams_write_then_read_from_rust() {
    use instant_edge::client::streams::StreamRef;
    let db = db();
    let client_id = format!("wasm-stream-{}", id());
    let writer = db.streams().create_write_stream(&client_id).await.unwrap();
    let stream_id = writer.stream_id().to_owned();
    let mut live = db.streams().create_read_stream(StreamRef::StreamId(stream_id.clone()), 0);
    let pieces = ["héllo ", "✓ wörld ", "🙂"];
    for piece in pieces {
        writer.append(piece).await.unwrap();
    }
    writer.finish().await.unwrap();
    let expected: String = pieces.concat();
    let mut got = String::new();
    while let Some(text) = live.next().await {
        got.push_str(&text.unwrap());
    }
    assert_eq!(got, expected);
    // From an offset, by client id, after the end.
    let mut rest = db.streams().create_read_stream(StreamRef::ClientId(client_id.clone()), 3);
    let mut tail = String::new();
    while let Some(text) = rest.next().await {
        tail.push_str(&text.unwrap());
    }
    assert_eq!(tail, "llo ✓ wörld 🙂");
    // An abort reaches readers as the error.
    let aborted = db.streams().create_write_stream(&format!("{client_id}-abort")).await.unwrap();
    aborted.append("x").await.unwrap();
    aborted.abort("stopped").await.unwrap();
    let mut reader = db.streams().create_read_stream(StreamRef::ClientId(format!("{client_id}-abort")), 0);
    assert_eq!(reader.next().await.unwrap().unwrap(), "x");
    match reader.next().await {
        Some(Err(Error::Stream { message })) => assert_eq!(message, "stopped"),
        other => panic!("{other:?}"),
    }
}
