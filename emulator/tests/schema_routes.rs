//! `GET /admin/schema` and `GET /admin/soft_deleted_attrs` (spec §3.17, §3.18; `schema-get`,
//! `soft-deleted-attrs-get` in `srv/admin/routes.clj`).
mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn get(s: &Server, path: &str) -> Answer {
    let auth = s.bearer();
    s.send(Method::GET, path, &[("app-id", s.app_id.as_str()), ("authorization", auth.as_str())]).await
}

async fn get_schema(s: &Server) -> Value {
    let a = get(s, "/admin/schema").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.content_type, "application/json; charset=utf-8");
    a.body["schema"].clone()
}

#[tokio::test]
async fn both_routes_need_an_admin_token() {
    // spec §3.0 "Auth: admin" (`req->app-id-authed!`), §10 item 1
    let s = start().await;
    for path in ["/admin/schema", "/admin/soft_deleted_attrs"] {
        let a = s.send(Method::GET, path, &[]).await;
        assert_error(&a, 400, "param-missing", "Missing parameter: [\"headers\" \"app-id\"]");
        let a = s.send(Method::GET, path, &[("app-id", s.app_id.as_str())]).await;
        assert_error(&a, 400, "param-missing", "Missing parameter: [\"headers\" \"authorization\"]");
        let wrong = format!("Bearer {}", uid(9));
        let a = s.send(Method::GET, path, &[("app-id", s.app_id.as_str()), ("authorization", wrong.as_str())]).await;
        assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
        // the query-string app id works as elsewhere; impersonation headers are ignored
        let auth = s.bearer();
        let query_path = format!("{path}?app_id={}", s.app_id);
        let a = s.send(Method::GET, &query_path, &[("authorization", auth.as_str()), ("as-guest", "true")]).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        let a = s.send(Method::POST, path, &[]).await;
        assert_eq!(a.status, 404, "{path} is GET only");
    }
}

#[tokio::test]
async fn a_fresh_app_shows_the_visible_system_attributes() {
    // `attrs->schema` after `remove-hidden`: only $users, $files and $streams system attributes,
    // less $files' and $streams' bookkeeping columns; $files.url shows as required
    let s = start().await;
    let schema = get_schema(&s).await;
    let labels = |etype: &str| -> Vec<String> {
        let mut labels: Vec<String> = schema["blobs"][etype].as_object().expect(etype).keys().cloned().collect();
        labels.sort();
        labels
    };
    assert_eq!(labels("$users"), ["email", "id", "imageURL", "type"]);
    assert_eq!(labels("$files"), ["id", "path", "url"]);
    assert_eq!(labels("$streams"), ["abortReason", "clientId", "done", "id", "size"]);
    assert_eq!(schema["blobs"].as_object().map(|b| b.len()), Some(3), "{}", schema["blobs"]);
    let mut refs: Vec<&String> = schema["refs"].as_object().expect("refs").keys().collect();
    refs.sort();
    assert_eq!(refs, ["$streams-$files-$files-$stream", "$users-linkedPrimaryUser-$users-linkedGuestUsers"]);

    assert_eq!(
        schema["blobs"]["$users"]["email"],
        json!({"id": USERS_EMAIL_ATTR, "forward-identity": ["96653231-03ff-ffff-a4b4-46010bffffff", "$users", "email"],
               "value-type": "blob", "cardinality": "one", "unique?": true, "index?": true, "required?": false,
               "inferred-types": null, "catalog": "system", "checked-data-type": "string"})
    );
    assert_eq!(schema["blobs"]["$files"]["url"]["required?"], true);
    assert_eq!(schema["blobs"]["$files"]["path"]["required?"], true);
    let primary = &schema["refs"]["$users-linkedPrimaryUser-$users-linkedGuestUsers"];
    assert_eq!((&primary["reverse-identity"][1], &primary["reverse-identity"][2]), (&json!("$users"), &json!("linkedGuestUsers")));
    assert_eq!(primary["on-delete"], "cascade");
}

#[tokio::test]
async fn app_attributes_appear_with_their_flags_and_inferred_types() {
    let s = seeded().await;
    let schema = get_schema(&s).await;
    let title = &schema["blobs"]["goals"]["title"];
    assert_eq!((&title["forward-identity"][1], &title["forward-identity"][2]), (&json!("goals"), &json!("title")));
    assert_eq!(
        (title["index?"].clone(), title["unique?"].clone(), title["checked-data-type"].clone(), title["catalog"].clone()),
        (json!(true), json!(false), json!("string"), json!("user"))
    );
    assert_eq!(schema["blobs"]["projects"]["name"]["required?"], true);
    // inferred types: every non-null type written so far, in the server's order; ids are strings
    assert_eq!(schema["blobs"]["goals"]["title"]["inferred-types"], json!(["string"]));
    assert_eq!(schema["blobs"]["goals"]["due"]["inferred-types"], json!(["number", "string"]));
    assert_eq!(schema["blobs"]["goals"]["id"]["inferred-types"], json!(["string"]));
    assert_eq!(schema["blobs"]["goals"]["notes"]["inferred-types"], Value::Null, "never written");
    s.transact(json!([["update", "goals", uid(3), {"tags": {"a": 1}}], ["update", "goals", uid(1), {"tags": true}]])).await;
    s.transact(json!([["update", "goals", uid(2), {"tags": 3}]])).await;
    assert_eq!(get_schema(&s).await["blobs"]["goals"]["tags"]["inferred-types"], json!(["number", "json", "boolean"]));
    // links: keyed by both names; their values are ids, so strings
    let todos = &schema["refs"]["goals-todos-todos-goal"];
    assert_eq!((todos["cardinality"].clone(), todos["unique?"].clone()), (json!("many"), json!(true)));
    assert_eq!(todos["on-delete-reverse"], "cascade");
    assert_eq!(todos["inferred-types"], json!(["string"]));
    assert_eq!(schema["refs"]["goals-owner-$users-goals"]["cardinality"], "one");
    // system attributes keep none
    s.user_token("a@b.c").await;
    assert_eq!(get_schema(&s).await["blobs"]["$users"]["email"]["inferred-types"], Value::Null);
}

#[tokio::test]
async fn soft_deleted_attrs_lists_what_delete_attr_removed() {
    // spec §3.18; `soft-delete-multi!`: names branded `<id>_deleted$`, not indexed, not required,
    // a metadata snapshot; `hard-deletion-sweeper` grace period 2 days
    let s = start().await;
    let a = get(&s, "/admin/soft_deleted_attrs").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, json!({"attrs": [], "grace-period-days": 2}));

    let isbn = json!({"id": uid(900), "forward-identity": [uid(901), "books", "isbn"], "value-type": "blob",
                      "cardinality": "one", "unique?": true, "index?": true, "required?": true, "checked-data-type": "string"});
    let author = json!({"id": uid(910), "forward-identity": [uid(911), "books", "author"], "reverse-identity": [uid(912), "people", "books"],
                        "value-type": "ref", "cardinality": "one", "unique?": false, "index?": false, "on-delete": "cascade"});
    s.transact(json!([["add-attr", isbn], ["add-attr", author]])).await;
    s.transact(json!([["update", "books", uid(1), {"isbn": "1"}]])).await;
    let books_id = get_schema(&s).await["blobs"]["books"]["id"]["id"].clone();
    s.transact(json!([["delete-attr", uid(910)], ["delete-attr", uid(900)], ["delete-attr", SYSTEM_USERS_TYPE]])).await;

    let a = get(&s, "/admin/soft_deleted_attrs").await;
    assert_eq!(a.body["grace-period-days"], 2);
    let attrs = a.body["attrs"].as_array().expect("attrs").clone();
    assert_eq!(attrs.len(), 2, "system attributes are not the app's to delete: {}", a.body);
    let (isbn, author) = (&attrs[0], &attrs[1]);
    let brand = |id: u32, name: &str| format!("{}_deleted${name}", uid(id));
    assert_eq!(isbn["id"], json!(uid(900)), "id order");
    assert_eq!(isbn["forward-identity"], json!([uid(901), brand(900, "books"), brand(900, "isbn")]));
    assert_eq!((isbn["index?"].clone(), isbn["required?"].clone(), isbn["unique?"].clone()), (json!(false), json!(false), json!(true)));
    assert_eq!(isbn["checked-data-type"], "string");
    assert_eq!(isbn["inferred-types"], json!(["string"]));
    assert_eq!(isbn["metadata"], json!({"soft_delete_snapshot": {"id_attr_id": books_id, "is_indexed": true, "is_required": true}}));
    let marked = isbn["deletion-marked-at"].as_str().expect("deletion-marked-at");
    assert!(marked.len() == 20 && marked.ends_with('Z') && marked.as_bytes()[10] == b'T', "second precision: {marked}");
    assert_eq!(author["reverse-identity"], json!([uid(912), brand(910, "people"), brand(910, "books")]));
    assert_eq!(author["on-delete"], "cascade");

    // the names are free again, and the schema no longer has them
    let schema_now = get_schema(&s).await;
    assert!(schema_now["blobs"]["books"].get("isbn").is_none(), "{}", schema_now);
    s.transact(json!([["add-attr", {"id": uid(920), "forward-identity": [uid(921), "books", "isbn"], "value-type": "blob",
                                     "cardinality": "one", "unique?": false, "index?": false}]]))
        .await;
    // a deleted attribute's id stays taken
    let again = json!({"id": uid(900), "forward-identity": [uid(930), "books", "code"], "value-type": "blob",
                       "cardinality": "one", "unique?": false, "index?": false});
    assert_error_type(&s.transact_err(json!([["add-attr", again]])).await, 400, "sql-raise");

    // after the grace period the sweeper has removed them
    let advance = s.post_raw("/__emulator/clock", &[JSON], &json!({"advance-ms": 2 * 86_400_000u64}).to_string()).await;
    assert_eq!(advance.status, 200, "{}", advance.body);
    assert_eq!(get(&s, "/admin/soft_deleted_attrs").await.body, json!({"attrs": [], "grace-period-days": 2}));
}

/// `$users.type` (system catalog, "us/type").
const SYSTEM_USERS_TYPE: &str = "96653230-13ff-ffff-a4b5-3cbc9fffffff";
