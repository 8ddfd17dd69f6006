//! `db.storage()` through the mock transport: the upload request (headers in the official
//! client's order, impersonation, content-length), every source type read chunk by chunk with
//! monotone progress, one-shot streams never retried, deletes, and `list` / `download_url` as
//! `$files` queries under impersonation (issue #6; spec §3.19, §8). Native only.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{block_on, db, APP};

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use instant_edge::host::mock::MockTransport;
use instant_edge::storage::{check_path, object_key, Progress, UploadOptions, UploadSource};
use instant_edge::Impersonation;
use serde_json::json;

const FILE: &str = "11111111-2222-4333-8444-555555555555";

fn uploaded(mock: &MockTransport) -> &MockTransport {
    mock.answer(200, &json!({"data": {"id": FILE, "location-id": "loc", "size": 5}}).to_string())
}

/// Records every progress event.
fn recorder() -> (UploadOptions, Rc<RefCell<Vec<Progress>>>) {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    let options = UploadOptions { on_progress: Some(Rc::new(move |p| sink.borrow_mut().push(p))), ..Default::default() };
    (options, events)
}

/// A Rust chunk stream, optionally failing after its chunks.
struct Chunks(Vec<Vec<u8>>, Option<&'static str>);

impl futures_core::Stream for Chunks {
    type Item = Result<Vec<u8>, String>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.0.is_empty() {
            return Poll::Ready(self.1.take().map(|e| Err(e.to_owned())));
        }
        Poll::Ready(Some(Ok(self.0.remove(0))))
    }
}

#[test]
fn upload_sends_the_official_headers_and_the_bytes() {
    let (db, mock) = db();
    uploaded(&mock);
    let options = UploadOptions {
        content_type: Some("text/plain".into()),
        content_disposition: Some("attachment; filename=\"a.txt\"".into()),
        ..Default::default()
    };
    let answer = block_on(db.storage().upload_file("notes/a b.txt", UploadSource::from_text("hello"), &options)).unwrap();
    assert_eq!(answer.id, FILE);
    let sent = &mock.sent()[0];
    assert_eq!((sent.method, sent.url.as_str()), ("PUT", format!("http://127.0.0.1:8888/admin/storage/upload?app_id={APP}").as_str()));
    let names: Vec<&str> = sent.headers.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        ["app-id", "authorization", "path", "content-disposition", "content-type", "Instant-Admin-Version", "Instant-Core-Version"],
        "authorizedHeaders without its JSON content type, then path, disposition, type, versions (as @instantdb/admin)"
    );
    assert_eq!(sent.header("path"), Some("notes/a b.txt"));
    assert_eq!(sent.body, None);
    assert_eq!(mock.uploaded(), [b"hello".to_vec()]);
}

#[test]
fn every_source_is_read_with_monotone_progress_ending_at_the_total() {
    let sources: Vec<(UploadSource, Option<u64>, Option<u64>)> = vec![
        (UploadSource::from_bytes(vec![7; 10]), None, Some(10)),
        (instant_edge::host::mock::host_body(vec![vec![7; 10]], false), None, Some(10)),
        (instant_edge::host::mock::host_body(vec![vec![7; 4], vec![7; 6]], true), Some(10), Some(10)),
        (instant_edge::host::mock::host_body(vec![vec![7; 4], vec![7; 6]], true), None, None),
        (UploadSource::from_stream(Chunks(vec![vec![7; 3], vec![7; 3], vec![7; 4]], None)), Some(10), Some(10)),
    ];
    for (i, (source, file_size, total)) in sources.into_iter().enumerate() {
        let (db, mock) = db();
        uploaded(&mock);
        let (mut options, events) = recorder();
        options.file_size = file_size;
        block_on(db.storage().upload_file("f.bin", source, &options)).unwrap();
        assert_eq!(mock.uploaded(), [vec![7u8; 10]], "source {i}");
        let events = events.borrow();
        assert!(!events.is_empty(), "source {i}: progress fired");
        assert!(events.windows(2).all(|w| w[0].loaded <= w[1].loaded), "source {i}: monotone {events:?}");
        assert_eq!(events.last().map(|p| p.loaded), Some(10), "source {i}: ends at the total");
        assert!(events.iter().all(|p| p.total == total), "source {i}: total {total:?}");
        let sent = &mock.sent()[0];
        assert_eq!(sent.upload.as_ref().and_then(|u| u.size), total, "source {i}: the size the transport sends as content-length");
        let streamed_with_size = matches!(i, 2 | 4);
        assert_eq!(sent.header("content-length").is_some(), streamed_with_size, "source {i}: content-length only for a sized stream");
    }
}

#[test]
fn a_failing_stream_is_an_error_and_never_retried() {
    let (db, mock) = db();
    let source = UploadSource::from_stream(Chunks(vec![vec![1; 4]], Some("disk on fire")));
    let error = block_on(db.storage().upload_file("f.bin", source, &UploadOptions::default())).unwrap_err();
    assert_eq!(error.kind(), "network");
    assert!(error.to_string().contains("disk on fire"), "{error}");
    // A 429 would be retried for bytes, but a stream cannot be read twice.
    let (db, mock2) = self::db();
    mock2.answer(429, r#"{"type":"rate-limited","message":"slow down"}"#);
    uploaded(&mock2);
    let source = UploadSource::from_stream(Chunks(vec![vec![1; 4]], None));
    let error = block_on(db.storage().upload_file("f.bin", source, &UploadOptions::default())).unwrap_err();
    assert_eq!(error.status(), 429);
    assert_eq!(mock2.sent().len(), 1, "sent once");
    let _ = mock;
}

#[test]
fn bad_input_sends_nothing() {
    let (db, mock) = db();
    let text = || UploadSource::from_text("x");
    for path in ["", "   ", "../etc/passwd", "a/../../b", "a\r\nb", "фото.png"] {
        let error = block_on(db.storage().upload_file(path, text(), &UploadOptions::default())).unwrap_err();
        assert_eq!(error.kind(), "invalid-argument", "{path:?}");
        assert_eq!(block_on(db.storage().delete(path)).unwrap_err().kind(), "invalid-argument");
    }
    let lying = UploadOptions { file_size: Some(99), ..Default::default() };
    assert_eq!(block_on(db.storage().upload_file("a", text(), &lying)).unwrap_err().kind(), "invalid-argument");
    let header_injection = UploadOptions { content_type: Some("text/plain\r\nx-evil: 1".into()), ..Default::default() };
    assert_eq!(block_on(db.storage().upload_file("a", text(), &header_injection)).unwrap_err().kind(), "invalid-argument");
    assert_eq!(block_on(db.storage().delete_many(&["ok".into(), "".into()])).unwrap_err().kind(), "invalid-argument");
    assert!(mock.sent().is_empty());
    assert!(check_path("photos/2026/a.png").is_ok());
}

#[test]
fn deletes_list_and_download_urls_act_as_the_user() {
    let (db, mock) = db();
    let db = db.as_user(Impersonation::Email("a@b.co".into()));
    mock.answer(200, &json!({"data": {"id": FILE}}).to_string())
        .answer(200, &json!({"data": {"ids": [FILE]}}).to_string())
        .answer(200, &json!({"$files": [{"id": FILE, "path": "a/b.png", "size": 5, "url": "http://x/a", "location-id": "b"}]}).to_string())
        .answer(200, &json!({"$files": [{"id": FILE, "path": "a/b.png", "url": "http://x/a"}]}).to_string())
        .answer(200, &json!({"$files": []}).to_string());
    assert_eq!(block_on(db.storage().delete("a/b c&d.png")).unwrap().as_deref(), Some(FILE));
    assert_eq!(block_on(db.storage().delete_many(&["a".into(), "b".into()])).unwrap(), [FILE]);
    let files = block_on(db.storage().list()).unwrap();
    assert_eq!((files[0].path.as_str(), files[0].key(APP)), ("a/b.png", Some(object_key(APP, "b"))));
    assert_eq!(block_on(db.storage().download_url("a/b.png")).unwrap().as_deref(), Some("http://x/a"));
    assert_eq!(block_on(db.storage().download_url("missing.png")).unwrap(), None);
    let sent = mock.sent();
    assert!(sent.iter().all(|r| r.header("as-email") == Some("a@b.co")), "every call impersonates");
    assert_eq!(sent[0].url, format!("http://127.0.0.1:8888/admin/storage/files?app_id={APP}&filename=a%2Fb%20c%26d.png"));
    assert_eq!(sent[0].method, "DELETE");
    assert_eq!(instant_edge::host::native::body_text(&sent[1]).as_deref(), Some(r#"{"filenames":["a","b"]}"#));
    assert!(sent[2].url.ends_with("/admin/query?app_id=8aa64e4c-64f9-472e-8a61-3fa28870e6cb"), "list is a $files query");
    assert!(instant_edge::host::native::body_text(&sent[3])
        .as_deref()
        .unwrap_or_default()
        .contains(r#"{"$files":{"$":{"where":{"path":"a/b.png"}}}}"#));
}

#[test]
fn object_keys_bin_like_java_string_hash_code() {
    // "a".hashCode() = 97 → 7; "hello".hashCode() = 99162322 → 2; "polygenelubricants" hashes to i32::MIN.
    assert_eq!(object_key("app", "a"), "app/7/a");
    assert_eq!(object_key("app", "hello"), "app/2/hello");
    assert_eq!(object_key("app", "polygenelubricants"), "app/2/polygenelubricants");
}
