//! Storage requests: uploads, deletes, and the `$files` queries behind listing and download URLs
//! (so they honour `as_user`) (spec §3.19, §8).

use crate::prelude::*;
use core::fmt;

use super::{admin_url, headers, HttpRequest, Impersonation};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{encode_uri_component, HostValue, OnProgress, Payload, UploadBody, UploadSource};
use crate::Value;

/// `uploadFile`'s metadata.
#[derive(Clone, Default)]
pub struct UploadOptions {
    /// Sent as `content-type` (the server defaults to `application/octet-stream`).
    pub content_type: Option<String>,
    /// Sent as `content-disposition` (the server defaults to `inline`).
    pub content_disposition: Option<String>,
    /// The size of a stream, when the caller knows it (else the body is sent chunked).
    pub file_size: Option<u64>,
    /// Progress observer.
    pub on_progress: Option<OnProgress>,
    /// A host's own progress callback (a JS function), called by the host.
    pub host_progress: Option<HostValue>,
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("content_type", &self.content_type)
            .field("content_disposition", &self.content_disposition)
            .field("file_size", &self.file_size)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

/// Checks a storage path before anything is sent: not blank, no `..` segment, no control
/// characters, and only characters a `path` header can carry (Latin-1).
///
/// ```
/// use instant_edge::request::storage::check_path;
/// assert!(check_path("photos/demo.png").is_ok());
/// for bad in ["", "  ", "a/../b", "..", "a\nb", "фото.png"] {
///     assert!(check_path(bad).is_err(), "{bad}");
/// }
/// ```
pub fn check_path(path: &str) -> Result<()> {
    if path.trim().is_empty() {
        return Err(Error::invalid("path", "must not be empty"));
    }
    if path.split(['/', '\\']).any(|segment| segment == "..") {
        return Err(Error::invalid("path", "must not contain a `..` segment"));
    }
    if path.chars().any(|c| c.is_control()) {
        return Err(Error::invalid("path", "must not contain control characters"));
    }
    if path.chars().any(|c| u32::from(c) > 0xFF) {
        return Err(Error::invalid("path", "travels in the `path` header, which carries Latin-1 characters only"));
    }
    Ok(())
}

/// A header value as given, or an invalid-argument error naming `what`.
fn header_value(value: &str, what: &'static str) -> Result<String> {
    if value.chars().any(|c| c.is_control() || u32::from(c) > 0xFF) {
        return Err(Error::invalid(what, "must be a printable Latin-1 header value"));
    }
    Ok(value.to_owned())
}

/// `PUT /admin/storage/upload` with the official client's headers: its authorised headers
/// (impersonation included) and `path`, then `content-disposition`, `content-type` (no JSON
/// content type), `content-length` for a stream of known size, then the version headers.
pub fn upload_request(
    config: &Config,
    who: Option<&Impersonation>,
    path: &str,
    source: UploadSource,
    options: &UploadOptions,
) -> Result<HttpRequest> {
    check_path(path)?;
    let mut headers = headers(config, who)?;
    // The version headers go last, as `jsonFetch` adds them after the call's own.
    let versions: Vec<_> = headers.iter().filter(|(name, _)| name.starts_with("Instant-")).cloned().collect();
    headers.retain(|(name, _)| *name != "content-type" && !name.starts_with("Instant-"));
    headers.push(("path", path.to_owned()));
    if let Some(disposition) = options.content_disposition.as_deref().filter(|d| !d.is_empty()) {
        headers.push(("content-disposition", header_value(disposition, "contentDisposition")?));
    }
    if let Some(content_type) = options.content_type.as_deref().filter(|t| !t.is_empty()) {
        headers.push(("content-type", header_value(content_type, "contentType")?));
    }
    let size = source.size().or(options.file_size);
    if let (Some(known), Some(given)) = (source.size(), options.file_size) {
        if known != given {
            return Err(Error::invalid("fileSize", "differs from the size of the data"));
        }
    }
    if let (None, Some(size)) = (source.size(), size) {
        // A stream of known size: `content-length`, as the official client sends `fileSize`.
        let mut length = String::new();
        crate::value::push_number(&mut length, size);
        headers.push(("content-length", length));
    }
    headers.extend(versions);
    let mut request = HttpRequest::new("PUT", admin_url(config, "storage/upload"), headers);
    request.idempotent = false;
    let (on_progress, host_progress) = (options.on_progress.clone(), options.host_progress.clone());
    request.upload = Some(UploadBody { source, size, on_progress, host_progress });
    Ok(request)
}

/// `DELETE /admin/storage/files?app_id=…&filename=<encodeURIComponent(path)>`.
pub fn delete_request(config: &Config, who: Option<&Impersonation>, path: &str) -> Result<HttpRequest> {
    check_path(path)?;
    let mut url = admin_url(config, "storage/files");
    url.push_str("&filename=");
    encode_uri_component(path, &mut url);
    Ok(HttpRequest::new("DELETE", url, headers(config, who)?))
}

/// `POST /admin/storage/files/delete` with `{"filenames": [...]}`.
pub fn delete_many_request(config: &Config, who: Option<&Impersonation>, paths: &[String]) -> Result<HttpRequest> {
    for path in paths {
        check_path(path)?;
    }
    let body = Value::object([("filenames", Value::Array(paths.iter().map(|p| Value::from(p.as_str())).collect()))]);
    let mut request = HttpRequest::new("POST", admin_url(config, "storage/files/delete"), headers(config, who)?);
    request.body = Some(Payload::Value(body));
    request.idempotent = true;
    Ok(request)
}

/// `{"$files": {}}`: every file the caller may see.
pub fn list_query() -> Value {
    Value::object([("$files", Value::empty_object())])
}

/// `{"$files": {"$": {"where": {"path": <path>}}}}`: one file and its URL.
pub fn file_query(path: &str) -> Result<Value> {
    check_path(path)?;
    let options = Value::object([("where", Value::object([("path", Value::from(path))]))]);
    Ok(Value::object([("$files", Value::object([("$", options)]))]))
}

/// `<app-id>/<abs(Java hashCode of location-id) mod 10>/<location-id>` (spec §8.1).
pub fn object_key(app_id: &str, location_id: &str) -> String {
    // Java's `String.hashCode`, then Clojure's `(mod (Math/abs h) 10)` (`abs` of i32::MIN stays negative).
    let hash = location_id.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)));
    let bin = hash.wrapping_abs().rem_euclid(10);
    let mut key = String::from(app_id);
    key.push('/');
    key.push(char::from(b'0' + bin as u8));
    key.push('/');
    key.push_str(location_id);
    key
}
