//! Storage routes (spec §3.19, §8): upload, deletes, the two legacy reads, and the route that
//! serves file contents at the URLs `$files.url` hands out.

use std::future::poll_fn;
use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use uuid::Uuid;

use super::admin::{respond, write, JsonRequest};
use super::{auth, non_blank, origin, required_text, Params};
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::platform::Scope;
use crate::storage::{self, Upload};
use crate::Emulator;

/// A request header as text. Bytes that are not UTF-8 are read as ISO-8859-1, the way the
/// real server's HTTP stack decodes headers.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let bytes = headers.get(name)?.as_bytes();
    Some(match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    })
}

/// `assert-storage-permission!`: impersonated callers need the `$files` rule for `action` to
/// pass (none set ⇒ denied, spec §8.1); admins skip it.
fn assert_storage_permission(emulator: &Emulator, caller: &Caller, headers: &HeaderMap, action: &str, path: &str) -> ApiResult<()> {
    let store = emulator.store();
    let allowed = match store.apps.get(&caller.app_id) {
        Some(app) => super::access(app, caller, store.now_ms(), headers).storage_allows(app, action, path)?,
        None => caller.admin,
    };
    if allowed {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "permission-denied",
        "Permission denied: not has-storage-permission?",
        json!({"input": ["$files", action], "expected": "has-storage-permission?"}),
    ))
}

/// The upload's checks, in the server's order (`upload-put`): app id (rate-limit wrapper) →
/// caller → `path` → `content-type` → `content-disposition` → the `create` rule. All before a
/// byte of the body is read.
fn check_upload(emulator: &Emulator, headers: &HeaderMap, params: &Params) -> ApiResult<(Caller, Upload)> {
    auth::app_id_untrusted(headers, params)?;
    let caller = auth::caller(&emulator.store(), headers, params, Scope::StorageWrite)?;
    let path = required_text(header_text(headers, "path"), &["path"])?;
    // `coerce-content-type`: blank, "null" and "undefined" mean "none given".
    let content_type = header_text(headers, "content-type")
        .and_then(|raw| non_blank(&raw))
        .filter(|t| t != "null" && t != "undefined")
        .unwrap_or_else(|| storage::DEFAULT_CONTENT_TYPE.to_owned());
    // `get-optional-param!`: absent is fine, present-but-blank is malformed.
    let content_disposition = match header_text(headers, "content-disposition") {
        None => storage::DEFAULT_CONTENT_DISPOSITION.to_owned(),
        Some(raw) => non_blank(&raw).ok_or_else(|| ApiError::param_malformed(&["content-disposition"], json!(raw), None))?,
    };
    assert_storage_permission(emulator, &caller, headers, "create", &path)?;
    Ok((caller, Upload { path, content_type, content_disposition }))
}

/// Why a body could not be read whole.
enum BodyError {
    /// More than the emulator's limit.
    TooLarge,
    /// The stream broke off (client gone, fewer bytes than `content-length`).
    Broken,
}

/// Reads the raw body frame by frame, never more than `limit` bytes: a declared
/// `content-length` over the limit is refused before reading, a chunked body as soon as it
/// passes it. The real server streams uploads to S3 with no limit; the emulator keeps them in
/// memory, so it holds them to the same `--max-body-bytes` as every other body.
async fn read_limited(mut body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, BodyError> {
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut bytes: Vec<u8> = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(data) = frame.map_err(|_| BodyError::Broken)?.into_data() else { continue };
        if bytes.len() + data.len() > limit {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&data);
    }
    Ok(Bytes::from(bytes))
}

/// `PUT /admin/storage/upload` (§8.1): raw body, `path` header → `{"data": {"id",
/// "location-id", "size"}}`. Nothing is stored unless the whole body arrived.
pub async fn upload(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let (caller, upload) = match check_upload(&emulator, &headers, &params) {
        Ok(checked) => checked,
        Err(error) => return error.into_response(),
    };
    let limit = emulator.config().max_body_bytes;
    let bytes = match read_limited(body, &headers, limit).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => return ApiError::PayloadTooLarge { limit }.into_response(),
        // The server's read of the stream throws: an untyped 500 nobody is left to read.
        Err(BodyError::Broken) => return ApiError::unknown().into_response(),
    };
    respond(|| {
        let mut store = emulator.store();
        let data = write(&mut store, caller.app_id, |app, now| storage::upload(app, upload, bytes, now))?;
        Ok(json!({ "data": data }))
    })
}

/// `DELETE /admin/storage/files?filename=` (§8.3) → `{"data": {"id": <uuid> | null}}`.
pub async fn delete_file(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>, headers: HeaderMap) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        auth::app_id_untrusted(&headers, &params)?;
        let caller = auth::caller(&emulator.store(), &headers, &params, Scope::StorageWrite)?;
        let filename = required_text(params.get("filename").cloned(), &["params", "filename"])?;
        assert_storage_permission(&emulator, &caller, &headers, "delete", &filename)?;
        let mut store = emulator.store();
        let ids = write(&mut store, caller.app_id, |app, now| storage::delete_paths(app, &[json!(filename)], now))?;
        Ok(json!({"data": {"id": ids.first().map(Uuid::to_string)}}))
    })
}

/// `POST /admin/storage/files/delete` `{"filenames": [...]}` (§8.3): every path's `delete` rule
/// is checked before anything is deleted → `{"data": {"ids": [<ids actually deleted>]}}`.
pub async fn delete_files(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        auth::app_id_untrusted(&request.headers, &request.params)?;
        let caller = auth::caller(&emulator.store(), &request.headers, &request.params, Scope::StorageWrite)?;
        let filenames = request.required("filenames", Value::is_array)?.as_array().cloned().unwrap_or_default();
        for filename in &filenames {
            let path = filename.as_str().map(str::to_owned).unwrap_or_else(|| filename.to_string());
            assert_storage_permission(&emulator, &caller, &request.headers, "delete", &path)?;
        }
        let mut store = emulator.store();
        let ids = write(&mut store, caller.app_id, |app, now| storage::delete_paths(app, &filenames, now))?;
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        Ok(json!({"data": {"ids": ids}}))
    })
}

/// `GET /admin/storage/files` (legacy, §3.19, §8.4): `{"$files": {}}` run as admin, reshaped
/// to `{"data": [{"key", "name", "size", "etag": null, "last_modified": null}]}`.
pub async fn list_files(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>, headers: HeaderMap) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let app_id = auth::app_id_authed(&store, &headers, &params, Scope::StorageWrite)?;
        let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
        let result = crate::query::run(app, &json!({"$files": {}}), false, &crate::rules::Access::admin(app), &origin(&headers))?;
        let files: Vec<Value> = result["$files"]
            .as_array()
            .into_iter()
            .flatten()
            // Every real `$files` row has a location-id (it is required there); rows the
            // emulator let a transaction create without one have no object to list.
            .filter_map(|file| {
                let location_id = file["location-id"].as_str()?;
                Some(json!({
                    "key": storage::object_key(app_id, location_id),
                    "name": file["path"],
                    "size": file["size"],
                    "etag": null,
                    "last_modified": null,
                }))
            })
            .collect();
        Ok(json!({ "data": files }))
    })
}

/// `GET /admin/storage/signed-download-url?filename=` (legacy, §3.19): the file's URL, or
/// `{"data": null}` when no file has that path.
pub async fn signed_download_url(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let app_id = auth::app_id_authed(&store, &headers, &params, Scope::StorageRead)?;
        let filename = required_text(params.get("filename").cloned(), &["params", "filename"])?;
        let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
        let url = storage::file_by_path(app, &json!(filename))
            .and_then(|file| storage::location_of(app, file))
            .map(|location_id| storage::file_url(&origin(&headers), app_id, &location_id));
        Ok(json!({ "data": url }))
    })
}

/// `GET /__emulator/files/{app_id}/{location_id}`: the file's bytes with the content type and
/// disposition it was uploaded with, 404 when unknown (or deleted). No auth: it stands in for
/// a presigned S3 URL. CORS headers come from the router-wide layer, so browsers can fetch it.
pub async fn download(State(emulator): State<Emulator>, Path((app_id, location_id)): Path<(String, String)>) -> Response {
    let object = Uuid::parse_str(&app_id).ok().and_then(|app_id| emulator.store().apps.get(&app_id)?.objects.get(&location_id).cloned());
    let Some(object) = object else { return ApiError::RouteNotFound.into_response() };
    let header = |text: &str, fallback: &'static str| {
        HeaderValue::from_bytes(text.as_bytes()).unwrap_or_else(|_| HeaderValue::from_static(fallback))
    };
    let mut response = (StatusCode::OK, object.bytes).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(CONTENT_TYPE, header(&object.content_type, storage::DEFAULT_CONTENT_TYPE));
    response_headers.insert(CONTENT_DISPOSITION, header(&object.content_disposition, storage::DEFAULT_CONTENT_DISPOSITION));
    // Browsers hide a cross-origin response's `content-disposition` unless it is exposed, as a
    // bucket's CORS configuration does for downloads.
    response_headers.insert(axum::http::header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("content-disposition"));
    response
}
