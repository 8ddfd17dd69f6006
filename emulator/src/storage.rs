//! Storage (spec §8): the bytes of uploaded files, and the `$files` rows that point at them.
//!
//! The real server keeps bytes in S3 under `<app-id>/<bin>/<location-id>` and a `$files` entity
//! per path; the emulator keeps the bytes in memory on the [`App`] ([`App::objects`], so a
//! request's copy-on-write covers them too) and writes the `$files` rows through the
//! transaction engine, exactly as the server's `update-op` does. Bytes no `$files` row points at
//! any more are dropped by [`App::sweep_objects`], which every transaction runs; the server's
//! storage sweeper does the same, later.

use axum::body::Bytes;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::store::App;
pub use crate::store::{Objects, StoredObject};
use crate::transact;

/// Where the emulator serves file contents: `<origin>/__emulator/files/<app-id>/<location-id>`.
/// It stands in for the presigned S3 URL of the real server (spec §8.2), so it needs no auth.
pub const FILES_ROUTE: &str = "/__emulator/files";

/// Content type when the upload names none (`default-content-type`, spec §8.1).
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Content disposition when the upload names none (`default-content-disposition`, spec §8.1).
pub const DEFAULT_CONTENT_DISPOSITION: &str = "inline";

/// Java's `String.hashCode`: `s[0]·31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping.
pub fn java_string_hash(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |hash, unit| hash.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// `location-id->bin`: `(mod (Math/abs (.hashCode location-id)) 10)`. `Math/abs` of
/// `Integer.MIN_VALUE` stays negative and Clojure's `mod` takes the divisor's sign, so that
/// hash lands in bin 2.
pub fn location_bin(location_id: &str) -> i32 {
    java_string_hash(location_id).wrapping_abs().rem_euclid(10)
}

/// The S3 object key of a location-id (`->object-key`, spec §8.1).
pub fn object_key(app_id: Uuid, location_id: &str) -> String {
    format!("{app_id}/{}/{location_id}", location_bin(location_id))
}

/// The URL the emulator serves a file at (spec §8.2 `url`). `origin` is the scheme and host
/// the caller reached the emulator through, so the URL works from wherever the caller is.
pub fn file_url(origin: &str, app_id: Uuid, location_id: &str) -> String {
    format!("{origin}{FILES_ROUTE}/{app_id}/{location_id}")
}

/// Metadata of one upload, already defaulted.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The `$files.path` (trimmed, non-blank).
    pub path: String,
    /// Content type to store.
    pub content_type: String,
    /// Content disposition to store.
    pub content_disposition: String,
}

/// Stores `bytes` under a fresh location-id and upserts the `$files` row of `upload.path`
/// (`upload-file!` + `app-file/create!`): an existing path keeps its id and gets the new size,
/// metadata and location-id. Returns the route's `data`: `{"id", "location-id", "size"}`.
pub fn upload(app: &mut App, upload: Upload, bytes: Bytes, now: i64) -> ApiResult<Value> {
    let location_id = Uuid::new_v4().to_string();
    let size = bytes.len();
    let steps = json!([["update", "$files", ["path", upload.path], {
        "size": size,
        "content-type": upload.content_type,
        "content-disposition": upload.content_disposition,
        "location-id": location_id,
        "key-version": 1,
    }]]);
    let object = StoredObject { bytes, content_type: upload.content_type, content_disposition: upload.content_disposition };
    app.objects.insert(location_id.clone(), object);
    transact::apply_internal(app, &steps, now)?;
    let id = file_by_path(app, &json!(upload.path)).ok_or_else(ApiError::unknown)?;
    Ok(json!({"id": id.to_string(), "location-id": location_id, "size": size}))
}

/// The `$files` entity whose path is `path`.
pub fn file_by_path(app: &App, path: &Value) -> Option<Uuid> {
    let attr = app.attrs.fwd("$files", "path")?;
    app.find_unique(attr, path)
}

/// The location-id of a `$files` entity, when it has one.
pub fn location_of(app: &App, file: Uuid) -> Option<String> {
    let attr = app.attrs.fwd("$files", "location-id")?;
    app.triples.value(file, attr.id)?.value.as_str().map(str::to_owned)
}

/// Deletes the `$files` rows of `paths` (`delete-by-paths!`) and returns the ids that existed,
/// each once, in the order their paths were given. Missing paths are not an error.
pub fn delete_paths(app: &mut App, paths: &[Value], now: i64) -> ApiResult<Vec<Uuid>> {
    let mut ids: Vec<Uuid> = Vec::new();
    for path in paths {
        if let Some(id) = file_by_path(app, path).filter(|id| !ids.contains(id)) {
            ids.push(id);
        }
    }
    if !ids.is_empty() {
        let steps: Vec<Value> = ids.iter().map(|id| json!(["delete", "$files", id.to_string()])).collect();
        transact::apply_internal(app, &Value::Array(steps), now)?;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_java() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn bins_like_clojure() {
        // spec §8.1: bin = abs(hashCode) mod 10, with Java's abs overflow and Clojure's mod
        assert_eq!(location_bin("polygenelubricants"), 2);
        assert_eq!(location_bin("hello"), 2);
        assert_eq!(location_bin("a"), 7);
        // "Aa" and "BB" collide in Java: both 2112
        assert_eq!(location_bin("Aa"), location_bin("BB"));
        let app = Uuid::nil();
        assert_eq!(object_key(app, "a"), format!("{app}/7/a"));
    }
}
