//! Storage over HTTP (spec §3.19, §5.7, §8, §9.4): uploads, `$files` rows and their URLs, the
//! file route the URLs point at, deletes, the legacy reads, and `$files` permission rules set
//! through `/__emulator/apps/{id}/rules`.
mod common;
use std::io::{Read, Write};
use std::time::Duration;

use common::*;
use instant_emulator::Config;
use reqwest::Method;
use serde_json::{json, Value};

/// `PUT /admin/storage/upload` as admin with `path` (when given), plus `extra` headers.
async fn upload(s: &Server, path: Option<&str>, body: &[u8], extra: &[(&str, &str)]) -> Answer {
    let auth = s.bearer();
    let mut headers = vec![("authorization", auth.as_str())];
    headers.extend_from_slice(extra);
    upload_with(s, path, body, &headers).await
}

/// `PUT /admin/storage/upload` with exactly these headers (plus `app-id` and `path`).
async fn upload_with(s: &Server, path: Option<&str>, body: &[u8], headers: &[(&str, &str)]) -> Answer {
    let url = format!("{}/admin/storage/upload?app_id={}", s.base, s.app_id);
    let mut request = s.http.put(url).header("app-id", &s.app_id).body(body.to_vec());
    if let Some(path) = path {
        request = request.header("path", path);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.send().await.expect("send")).await
}

/// An upload that must succeed; returns its `data`.
async fn uploaded(s: &Server, path: &str, body: &[u8]) -> Value {
    let a = upload(s, Some(path), body, &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["data"].clone()
}

/// Status, headers and bytes of a plain GET (the file route needs no auth).
async fn fetch(s: &Server, url: &str, extra: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = s.http.get(url);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("send");
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.bytes().await.expect("bytes").to_vec())
}

async fn files(s: &Server) -> Vec<Value> {
    s.query(json!({"$files": {}})).await["$files"].as_array().cloned().expect("$files")
}

fn file_route(s: &Server, location_id: &str) -> String {
    format!("{}/__emulator/files/{}/{location_id}", s.base, s.app_id)
}

async fn set_rules(s: &Server, rules: Value) -> Answer {
    s.post_raw(&format!("/__emulator/apps/{}/rules", s.app_id), &[JSON], &rules.to_string()).await
}

async fn delete_one(s: &Server, query: &str, who: &[(&str, &str)]) -> Answer {
    let auth = s.bearer();
    let mut headers = vec![("app-id", s.app_id.as_str())];
    if who.is_empty() {
        headers.push(("authorization", auth.as_str()));
    }
    headers.extend_from_slice(who);
    s.send(Method::DELETE, &format!("/admin/storage/files?{query}"), &headers).await
}

async fn delete_many(s: &Server, body: Value, who: &[(&str, &str)]) -> Answer {
    if who.is_empty() {
        s.admin("/admin/storage/files/delete", body).await
    } else {
        s.post_app("/admin/storage/files/delete", who, &body).await
    }
}

/// Sends `head` and `body` over a raw socket (on a blocking thread, so the server keeps running
/// on the test's runtime), optionally half-closes, then reads until the server closes.
/// Returns what came back (possibly nothing).
async fn raw(s: &Server, head: String, body: Vec<u8>, half_close: bool) -> String {
    let addr = s.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut socket = std::net::TcpStream::connect(addr).expect("connect");
        socket.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let _ = socket.write_all(head.as_bytes());
        let _ = socket.write_all(&body);
        if half_close {
            let _ = socket.shutdown(std::net::Shutdown::Write);
        }
        let mut reply = Vec::new();
        let _ = socket.read_to_end(&mut reply);
        String::from_utf8_lossy(&reply).into_owned()
    })
    .await
    .expect("raw exchange")
}

/// The head of a raw admin upload of `path` with one more header line (`extra`).
fn raw_upload_head(s: &Server, path: &str, extra: &str) -> String {
    let host = s.base.trim_start_matches("http://");
    format!(
        "PUT /admin/storage/upload?app_id={app} HTTP/1.1\r\nhost: {host}\r\napp-id: {app}\r\nauthorization: Bearer {token}\r\npath: {path}\r\n{extra}\r\nconnection: close\r\n\r\n",
        app = s.app_id,
        token = s.token,
    )
}

/// Java `String.hashCode`, written out independently of the emulator's.
fn java_hash(text: &str) -> i32 {
    let mut hash: i32 = 0;
    for unit in text.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(unit as i32);
    }
    hash
}

const STORAGE_DENIED: &str = "Permission denied: not has-storage-permission?";

// ---------------------------------------------------------------- §8.1 upload, §5.7 / §8.2 $files

#[tokio::test]
async fn upload_creates_a_files_row_with_defaults_and_a_url() {
    // spec §8.1: defaults application/octet-stream + inline, key-version 1; §8.2 url is virtual
    let s = start().await;
    let data = uploaded(&s, "photos/a.png", b"hello").await;
    let (id, location_id) = (data["id"].as_str().expect("id"), data["location-id"].as_str().expect("location-id"));
    assert_eq!(data["size"], 5);
    assert!(uuid::Uuid::parse_str(id).is_ok() && uuid::Uuid::parse_str(location_id).is_ok(), "{data}");
    assert_eq!(data.as_object().map(|o| o.len()), Some(3), "only id, location-id, size: {data}");
    assert_eq!(
        files(&s).await,
        vec![json!({
            "id": id,
            "path": "photos/a.png",
            "size": 5,
            "content-type": "application/octet-stream",
            "content-disposition": "inline",
            "location-id": location_id,
            "key-version": 1,
            "url": file_route(&s, location_id),
        })]
    );
}

#[tokio::test]
async fn fields_decide_url_and_location_id() {
    // spec §5.7 / transform-$files-result: url only when fields is absent or names it;
    // location-id only when fields is absent or names it
    let s = start().await;
    let data = uploaded(&s, "a.txt", b"abc").await;
    let (id, location_id) = (data["id"].clone(), data["location-id"].as_str().expect("location-id").to_owned());
    let url = file_route(&s, &location_id);
    let with = |fields: Value| json!({"$files": {"$": {"fields": fields}}});
    assert_eq!(s.query(with(json!(["path"]))).await, json!({"$files": [{"id": id, "path": "a.txt"}]}));
    assert_eq!(s.query(with(json!(["url"]))).await, json!({"$files": [{"id": id, "url": url}]}));
    assert_eq!(s.query(with(json!(["location-id"]))).await, json!({"$files": [{"id": id, "location-id": location_id}]}));
    assert_eq!(
        s.query(with(json!(["url", "location-id", "size"]))).await,
        json!({"$files": [{"id": id, "size": 3, "location-id": location_id, "url": url}]})
    );
}

#[tokio::test]
async fn the_url_serves_the_bytes_with_their_metadata() {
    // spec §8.2: the url fetches the object; emulator route, no auth, CORS like every route (§1.7)
    let s = start().await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let disposition = "attachment; filename=\"report.bin\"";
    let a = upload(&s, Some("r.bin"), &bytes, &[("content-type", "application/x-report"), ("content-disposition", disposition)]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let url = files(&s).await[0]["url"].as_str().expect("url").to_owned();
    let (status, headers, body) = fetch(&s, &url, &[("origin", "http://app.test")]).await;
    assert_eq!(status, 200);
    assert_eq!(body, bytes);
    assert_eq!(headers["content-type"], "application/x-report");
    assert_eq!(headers["content-disposition"], disposition);
    assert_eq!(headers["content-length"], "1000");
    assert_eq!(headers["access-control-allow-origin"], "http://app.test");
    let (status, _, _) = fetch(&s, &file_route(&s, &uid(9)), &[]).await;
    assert_eq!(status, 404, "unknown location-id");
    let (status, _, _) =
        fetch(&s, &format!("{}/__emulator/files/{}/{}", s.base, uid(8), a.body["data"]["location-id"].as_str().unwrap()), &[]).await;
    assert_eq!(status, 404, "another app's id");
}

#[tokio::test]
async fn the_url_follows_the_host_the_caller_used() {
    // emulator choice: URLs are built from the query request's Host header
    let s = start().await;
    uploaded(&s, "a.txt", b"abc").await;
    let port = s.base.rsplit(':').next().expect("port").to_owned();
    let other = Server { base: format!("http://localhost:{port}"), ..s.clone() };
    let url = files(&other).await[0]["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with(&format!("http://localhost:{port}/__emulator/files/{}/", s.app_id)), "{url}");
    assert_eq!(fetch(&s, &url, &[]).await.2, b"abc");
}

#[tokio::test]
async fn content_type_null_undefined_and_blank_mean_none() {
    // spec §8.1 coerce-content-type; values are trimmed
    let s = start().await;
    for (i, given) in ["null", "undefined", "   "].into_iter().enumerate() {
        let path = format!("f{i}");
        assert_eq!(upload(&s, Some(&path), b"x", &[("content-type", given)]).await.status, 200);
    }
    let a = upload(&s, Some("  spaced.txt  "), b"x", &[("content-type", " text/plain ")]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let types: Vec<(Value, Value)> = files(&s).await.iter().map(|f| (f["path"].clone(), f["content-type"].clone())).collect();
    assert_eq!(
        types,
        vec![
            (json!("f0"), json!("application/octet-stream")),
            (json!("f1"), json!("application/octet-stream")),
            (json!("f2"), json!("application/octet-stream")),
            (json!("spaced.txt"), json!("text/plain")),
        ]
    );
}

#[tokio::test]
async fn reupload_keeps_the_id_and_replaces_the_object() {
    // spec §8.1: upsert by path; the old object goes away
    let s = start().await;
    let first = uploaded(&s, "same.txt", b"first version").await;
    let old_url = file_route(&s, first["location-id"].as_str().expect("location-id"));
    assert_eq!(fetch(&s, &old_url, &[]).await.0, 200);
    let second = uploaded(&s, "same.txt", b"v2").await;
    assert_eq!(second["id"], first["id"]);
    assert_ne!(second["location-id"], first["location-id"]);
    assert_eq!((first["size"].clone(), second["size"].clone()), (json!(13), json!(2)));
    let rows = files(&s).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0]["size"].clone(), rows[0]["location-id"].clone()), (json!(2), second["location-id"].clone()));
    assert_eq!(fetch(&s, &old_url, &[]).await.0, 404, "the replaced object is gone");
    assert_eq!(fetch(&s, rows[0]["url"].as_str().expect("url"), &[]).await.2, b"v2");
}

#[tokio::test]
async fn a_uuid_looking_path_is_stored_as_given() {
    // internal writes are not client steps: no UUID lower-casing (§6.7 applies to /admin/transact)
    let s = start().await;
    let path = "8AA64E4C-64F9-472E-8A61-3FA28870E6CB";
    uploaded(&s, path, b"x").await;
    assert_eq!(files(&s).await[0]["path"], path);
}

#[tokio::test]
async fn chunked_uploads_are_read_whole() {
    // spec §8.1: the body is a raw stream; no content-length needed
    let s = start().await;
    let head = raw_upload_head(&s, "chunked.txt", "transfer-encoding: chunked");
    let reply = raw(&s, head, b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".to_vec(), false).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let rows = files(&s).await;
    assert_eq!((rows[0]["path"].clone(), rows[0]["size"].clone()), (json!("chunked.txt"), json!(11)));
    assert_eq!(fetch(&s, rows[0]["url"].as_str().expect("url"), &[]).await.2, b"hello world");
}

#[tokio::test]
async fn a_body_cut_short_stores_nothing() {
    // the client promises 100 bytes, sends 50 and goes away: no object, no $files row
    let s = start().await;
    let head = raw_upload_head(&s, "cut.txt", "content-length: 100");
    let reply = raw(&s, head, vec![b'x'; 50], true).await;
    assert!(!reply.starts_with("HTTP/1.1 200"), "{reply}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(files(&s).await, Vec::<Value>::new());
    // a chunked body that breaks off midway is the same
    let head = raw_upload_head(&s, "cut.txt", "transfer-encoding: chunked");
    let reply = raw(&s, head, b"5\r\nhello\r\n40\r\nonly part".to_vec(), true).await;
    assert!(!reply.starts_with("HTTP/1.1 200"), "{reply}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(files(&s).await, Vec::<Value>::new());
}

#[tokio::test]
async fn uploads_over_the_body_limit_are_413_and_store_nothing() {
    // emulator choice (the real server streams to S3 without a limit): --max-body-bytes holds
    let s = start_with(Config { max_body_bytes: 1024, ..Config::default() }).await;
    let a = upload(&s, Some("big.bin"), &[7u8; 4096], &[]).await;
    assert_error_type(&a, 413, "payload-too-large");
    // chunked: refused once the stream passes the limit
    let head = raw_upload_head(&s, "big.bin", "transfer-encoding: chunked");
    let mut body = b"7d0\r\n".to_vec();
    body.extend_from_slice(&[b'y'; 2000]);
    body.extend_from_slice(b"\r\n");
    let reply = raw(&s, head, body, false).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("payload-too-large"), "{reply}");
    assert_eq!(files(&s).await, Vec::<Value>::new());
    // the limit itself is fine, and so is an upload bigger than the JSON routes' usual bodies
    let data = uploaded(&s, "edge.bin", &[1u8; 1024]).await;
    assert_eq!(data["size"], 1024);
}

#[tokio::test]
async fn uploads_larger_than_json_bodies_usually_are_fine() {
    // the default limit is 64 MiB; nothing in front of the route caps uploads lower
    let s = start().await;
    let big = vec![42u8; 3 * 1024 * 1024];
    let data = uploaded(&s, "big.bin", &big).await;
    assert_eq!(data["size"], big.len());
    let url = files(&s).await[0]["url"].as_str().expect("url").to_owned();
    assert_eq!(fetch(&s, &url, &[]).await.2, big);
}

#[tokio::test]
async fn path_is_required_and_non_blank() {
    // spec §8.1: missing → param-missing ["path"]; `get-param!` + coerce-non-blank-str: a blank
    // header is present-but-malformed
    let s = start().await;
    let a = upload(&s, None, b"x", &[]).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["path"]"#);
    assert_eq!(a.body["hint"], json!({"in": ["path"]}));
    let a = upload(&s, Some("   "), b"x", &[]).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["path"]"#);
    // (HTTP strips the header's surrounding whitespace, so what arrives is "")
    assert_eq!(a.body["hint"], json!({"in": ["path"], "original-input": ""}));
    // content-disposition is optional, but blank is malformed the same way
    let a = upload(&s, Some("a"), b"x", &[("content-disposition", " ")]).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["content-disposition"]"#);
    assert_eq!(files(&s).await, Vec::<Value>::new());
}

#[tokio::test]
async fn upload_checks_the_caller_before_the_path() {
    // spec §3.0 order: app id → auth → params
    let s = start().await;
    let a = upload_with(&s, None, b"x", &[("authorization", "Bearer nope")]).await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["headers" "authorization"]"#);
    let a = upload_with(&s, None, b"x", &[]).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
}

// ---------------------------------------------------------------- §8.3 deletes

#[tokio::test]
async fn delete_by_filename_answers_the_id_or_null() {
    // spec §8.3
    let s = start().await;
    let data = uploaded(&s, "dir/a b&c.png", b"x").await;
    let url = file_route(&s, data["location-id"].as_str().expect("location-id"));
    let a = delete_one(&s, "filename=dir%2Fa%20b%26c.png", &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, json!({"data": {"id": data["id"]}}));
    assert_eq!(files(&s).await, Vec::<Value>::new());
    assert_eq!(fetch(&s, &url, &[]).await.0, 404, "its object is gone");
    let a = delete_one(&s, "filename=dir%2Fa%20b%26c.png", &[]).await;
    assert_eq!(a.body, json!({"data": {"id": null}}));
    let a = delete_one(&s, "other=1", &[]).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["params" "filename"]"#);
    assert_eq!(a.body["hint"], json!({"in": ["params", "filename"]}));
}

#[tokio::test]
async fn delete_many_lists_only_what_it_deleted() {
    // spec §8.3
    let s = start().await;
    let a_id = uploaded(&s, "a.png", b"a").await["id"].clone();
    let b_id = uploaded(&s, "b.png", b"b").await["id"].clone();
    uploaded(&s, "keep.png", b"k").await;
    let a = delete_many(&s, json!({"filenames": ["b.png", "missing.png", "a.png", "b.png"]}), &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, json!({"data": {"ids": [b_id, a_id]}}));
    let paths: Vec<Value> = files(&s).await.iter().map(|f| f["path"].clone()).collect();
    assert_eq!(paths, vec![json!("keep.png")]);
    let a = delete_many(&s, json!({"filenames": ["a.png"]}), &[]).await;
    assert_eq!(a.body, json!({"data": {"ids": []}}));
    let a = delete_many(&s, json!({"filenames": []}), &[]).await;
    assert_eq!(a.body, json!({"data": {"ids": []}}));
    let a = delete_many(&s, json!({"paths": ["keep.png"]}), &[]).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "filenames"]"#);
}

#[tokio::test]
async fn deleting_a_files_row_by_transact_frees_its_url() {
    // spec §8.3: transact delete on $files (by id or by path lookup) is the preferred delete
    let s = start().await;
    let a = uploaded(&s, "a.txt", b"a").await;
    let b = uploaded(&s, "b.txt", b"b").await;
    let (a_url, b_url) = (file_route(&s, a["location-id"].as_str().unwrap()), file_route(&s, b["location-id"].as_str().unwrap()));
    s.transact(json!([["delete", "$files", a["id"]]])).await;
    assert_eq!(fetch(&s, &a_url, &[]).await.0, 404);
    assert_eq!(fetch(&s, &b_url, &[]).await.0, 200);
    s.transact(json!([["delete", "$files", ["path", "b.txt"]]])).await;
    assert_eq!(fetch(&s, &b_url, &[]).await.0, 404);
    assert_eq!(files(&s).await, Vec::<Value>::new());
}

// ---------------------------------------------------------------- §8.4 legacy routes

#[tokio::test]
async fn legacy_list_shows_object_keys_with_their_bin() {
    // spec §3.19: key = <app-id>/<bin>/<location-id>, bin = abs(hashCode) mod 10
    let s = start().await;
    let a = uploaded(&s, "a.txt", b"aaa").await;
    let b = uploaded(&s, "b.txt", b"bb").await;
    let auth = s.bearer();
    let list = s.send(Method::GET, &format!("/admin/storage/files?app_id={}", s.app_id), &[("authorization", &auth)]).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let entry = |data: &Value, name: &str| {
        let location_id = data["location-id"].as_str().expect("location-id");
        let bin = java_hash(location_id).wrapping_abs().rem_euclid(10);
        json!({"key": format!("{}/{bin}/{location_id}", s.app_id), "name": name, "size": data["size"],
               "etag": null, "last_modified": null})
    };
    assert_eq!(list.body, json!({"data": [entry(&a, "a.txt"), entry(&b, "b.txt")]}));
    // admin only: impersonation headers do not stand in for the token
    let guest = s.send(Method::GET, &format!("/admin/storage/files?app_id={}", s.app_id), &[("as-guest", "true")]).await;
    assert_error(&guest, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
}

#[tokio::test]
async fn legacy_signed_download_url_is_the_file_url_or_null() {
    // spec §3.19
    let s = start().await;
    let data = uploaded(&s, "a b.txt", b"signed").await;
    let auth = s.bearer();
    let get = |query: String| {
        let (s, auth) = (s.clone(), auth.clone());
        async move {
            s.send(Method::GET, &format!("/admin/storage/signed-download-url?app_id={}&{query}", s.app_id), &[("authorization", &auth)])
                .await
        }
    };
    let a = get("filename=a%20b.txt".into()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, json!({"data": file_route(&s, data["location-id"].as_str().unwrap())}));
    assert_eq!(fetch(&s, a.body["data"].as_str().unwrap(), &[]).await.2, b"signed");
    assert_eq!(get("filename=nope.txt".into()).await.body, json!({"data": null}));
    assert_error(&get("x=1".into()).await, 400, "param-missing", r#"Missing parameter: ["params" "filename"]"#);
    let guest =
        s.send(Method::GET, &format!("/admin/storage/signed-download-url?app_id={}&filename=a", s.app_id), &[("as-guest", "1")]).await;
    assert_error(&guest, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
}

// ---------------------------------------------------------------- §9.4 $files rules

#[tokio::test]
async fn impersonated_upload_needs_a_create_rule() {
    // spec §8.1: no $files rule ⇒ denied; the rule sees auth
    let s = start().await;
    let token = s.user_token("alyssa@example.com").await;
    let as_user = [("as-token", token.as_str())];
    let a = upload_with(&s, Some("mine.txt"), b"x", &as_user).await;
    assert_error(&a, 400, "permission-denied", STORAGE_DENIED);
    assert_eq!(a.body["hint"], json!({"input": ["$files", "create"], "expected": "has-storage-permission?"}));
    assert_eq!(set_rules(&s, json!({"$files": {"allow": {"create": "auth.id != null"}}})).await.status, 200);
    let a = upload_with(&s, Some("mine.txt"), b"x", &as_user).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(files(&s).await[0]["path"], "mine.txt");
    let a = upload_with(&s, Some("guest.txt"), b"x", &[("as-guest", "true")]).await;
    assert_error(&a, 400, "permission-denied", STORAGE_DENIED);
    // $default rules count too (spec §9.2 lookup order)
    set_rules(&s, json!({"$default": {"allow": {"$default": true}}})).await;
    assert_eq!(upload_with(&s, Some("guest.txt"), b"x", &[("as-guest", "true")]).await.status, 200);
}

#[tokio::test]
async fn impersonated_queries_see_files_only_with_a_view_rule() {
    // spec §9.2: $files view falls back to false
    let s = start().await;
    uploaded(&s, "a.txt", b"a").await;
    let token = s.user_token("alyssa@example.com").await;
    let as_user = [("as-token", token.as_str())];
    assert_eq!(s.query_as(&as_user, json!({"$files": {}})).await, json!({"$files": []}));
    set_rules(&s, json!({"$files": {"allow": {"view": "auth.id != null"}}})).await;
    let rows = s.query_as(&as_user, json!({"$files": {}})).await["$files"].clone();
    assert_eq!(rows[0]["path"], "a.txt");
    assert!(rows[0]["url"].is_string(), "{rows}");
    assert_eq!(s.query_as(&[("as-guest", "true")], json!({"$files": {}})).await, json!({"$files": []}));
    // a JSON boolean is the rule of that name; other namespaces follow their own rules
    s.transact(json!([["update", "goals", uid(1), {"t": 1}]])).await;
    set_rules(&s, json!({"$files": {"allow": {"view": false}}, "goals": {"allow": {"view": "false"}}})).await;
    assert_eq!(s.query_as(&as_user, json!({"$files": {}})).await, json!({"$files": []}));
    assert_eq!(s.query_as(&as_user, json!({"goals": {}})).await, json!({"goals": []}));
    set_rules(&s, json!({"goals": {"allow": {"view": "data.t == 1"}}})).await;
    assert_eq!(s.query_as(&as_user, json!({"goals": {}})).await, json!({"goals": [{"id": uid(1), "t": 1}]}));
}

#[tokio::test]
async fn impersonated_deletes_need_a_delete_rule() {
    // spec §8.3: every path is checked first; one failure aborts all
    let s = start().await;
    let a_id = uploaded(&s, "a.txt", b"a").await["id"].clone();
    uploaded(&s, "b.txt", b"b").await;
    let token = s.user_token("alyssa@example.com").await;
    let as_user = [("as-token", token.as_str())];
    let denied = |a: &Answer| {
        assert_error(a, 400, "permission-denied", STORAGE_DENIED);
        assert_eq!(a.body["hint"]["input"], json!(["$files", "delete"]));
    };
    denied(&delete_one(&s, "filename=a.txt", &as_user).await);
    denied(&delete_many(&s, json!({"filenames": ["a.txt", "b.txt"]}), &as_user).await);
    assert_eq!(files(&s).await.len(), 2, "nothing deleted");
    let a = s.post_app("/admin/transact", &as_user, &json!({"steps": [["delete", "$files", a_id]]})).await;
    assert_error(&a, 400, "permission-denied", "Permission denied: not perms-pass?");
    set_rules(&s, json!({"$files": {"allow": {"delete": "auth.id != null"}}})).await;
    denied(&delete_one(&s, "filename=a.txt", &[("as-guest", "true")]).await);
    assert_eq!(delete_one(&s, "filename=a.txt", &as_user).await.body, json!({"data": {"id": a_id}}));
    let a = s.post_app("/admin/transact", &as_user, &json!({"steps": [["delete", "$files", ["path", "b.txt"]]]})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(files(&s).await, Vec::<Value>::new());
}

#[tokio::test]
async fn rules_see_the_path_and_a_throwing_rule_fails_loudly() {
    // spec §8.1 (`data.path` only), §9.1 permission-evaluation-failed
    let s = start().await;
    uploaded(&s, "a.txt", b"a").await;
    uploaded(&s, "b.txt", b"b").await;
    set_rules(&s, json!({"$files": {"allow": {"view": "data.path.startsWith('a')", "create": "auth.email == 'x'"}}})).await;
    let token = s.user_token("alyssa@example.com").await;
    let as_user = [("as-token", token.as_str())];
    let rows = s.query_as(&as_user, json!({"$files": {}})).await["$files"].clone();
    assert_eq!(rows.as_array().map(|r| r.iter().map(|f| f["path"].clone()).collect::<Vec<_>>()), Some(vec![json!("a.txt")]));
    let denied = upload_with(&s, Some("c.txt"), b"c", &as_user).await;
    assert_error(&denied, 400, "permission-denied", "Permission denied: not has-storage-permission?");
    set_rules(&s, json!({"$files": {"allow": {"view": "data.path.size() / 0 > 1", "create": "1 / (size(data.path) - 5) > 0"}}})).await;
    let check = |a: &Answer, action: &str| {
        let message = format!("Could not evaluate permission rule for `$files.{action}`. You may have a typo. Debug this in the sandbox and then update your permission rules.");
        assert_error(a, 400, "permission-evaluation-failed", &message);
        assert_eq!(a.body["hint"]["rule"], json!(["$files", action]));
        assert_eq!(a.body["hint"]["error"]["message"], message.as_str());
    };
    check(&upload_with(&s, Some("b.txt"), b"b", &as_user).await, "create");
    check(&s.post_app("/admin/query", &as_user, &json!({"query": {"$files": {}}})).await, "view");
    // admins never evaluate rules
    assert_eq!(files(&s).await.len(), 2);
}

#[tokio::test]
async fn rules_round_trip_through_the_control_surface() {
    // emulator control surface: GET/POST /__emulator/apps/{id}/rules; reset clears them
    let s = start().await;
    let path = format!("/__emulator/apps/{}/rules", s.app_id);
    assert_eq!(s.send(Method::GET, &path, &[]).await.body, json!({}));
    let rules = json!({"$files": {"allow": {"view": "true", "create": "auth.id != null", "delete": "false"}}});
    let a = set_rules(&s, rules.clone()).await;
    assert_eq!((a.status, a.body.clone()), (200, rules.clone()));
    assert_eq!(s.send(Method::GET, &path, &[]).await.body, rules);
    let a = set_rules(&s, json!(["not", "an", "object"])).await;
    assert_error(&a, 400, "validation-failed", "the rules must be a JSON object");
    let other = format!("/__emulator/apps/{}/rules", uid(99));
    let a = s.send(Method::GET, &other, &[]).await;
    assert_error(&a, 400, "validation-failed", &format!("no app {}", uid(99)));
    let a = s.post_raw(&other, &[JSON], "{}").await;
    assert_error(&a, 400, "validation-failed", &format!("no app {}", uid(99)));
    assert_eq!(s.post_raw("/__emulator/reset", &[], "").await.status, 200);
    assert_eq!(s.send(Method::GET, &path, &[]).await.body, json!({}));
}

#[tokio::test]
async fn reset_drops_uploaded_files() {
    let s = start().await;
    let data = uploaded(&s, "a.txt", b"a").await;
    assert_eq!(s.post_raw("/__emulator/reset", &[], "").await.status, 200);
    assert_eq!(files(&s).await, Vec::<Value>::new());
    assert_eq!(fetch(&s, &file_route(&s, data["location-id"].as_str().unwrap()), &[]).await.0, 404);
}
