//! `db.storage.<method>(...args)`: argument conversion for the storage calls and the shapes of
//! their answers. Upload bodies stay host objects (see `transport::HostBody`).

use std::rc::Rc;

use js_sys::{Array, Function, Object};
use wasm_bindgen::{JsCast, JsValue};

use super::{get, pick, set, string_option, text_arg, Answer, Prepared};
use crate::storage::{self, OnProgress, Progress, UploadOptions, UploadSource};
use crate::transport::HostBody;
use crate::{CallOptions, Error, Instant};

/// The data of `uploadFile`: text, or a body the host holds.
fn source(data: &JsValue) -> Result<UploadSource, Error> {
    match data.as_string() {
        Some(text) => Ok(UploadSource::from_text(text)),
        None => Ok(UploadSource::from_host(HostBody::new(data.clone())?)),
    }
}

/// `onProgress({ loaded, total })`; an exception it throws is re-thrown asynchronously (an
/// unhandled rejection the host reports) rather than failing the upload or being dropped.
fn on_progress(callback: JsValue) -> Result<Option<OnProgress>, Error> {
    if callback.is_undefined() || callback.is_null() {
        return Ok(None);
    }
    let callback: Function = callback.dyn_into().map_err(|_| Error::invalid("onProgress", "must be a function"))?;
    Ok(Some(Rc::new(move |progress: Progress| {
        let event = Object::new();
        set(&event, "loaded", &JsValue::from_f64(progress.loaded as f64));
        set(&event, "total", &progress.total.map_or(JsValue::NULL, |t| JsValue::from_f64(t as f64)));
        if let Err(thrown) = callback.call1(&JsValue::NULL, &event) {
            let _ = js_sys::Promise::reject(&thrown);
        }
    })))
}

fn upload_options(metadata: &JsValue) -> Result<UploadOptions, Error> {
    let file_size = get(metadata, "fileSize");
    let file_size = match file_size.as_f64() {
        _ if file_size.is_undefined() || file_size.is_null() => None,
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Some(n as u64),
        _ => return Err(Error::invalid("fileSize", "must be a non-negative integer")),
    };
    Ok(UploadOptions {
        content_type: string_option(metadata, "contentType")?,
        content_disposition: string_option(metadata, "contentDisposition")?,
        file_size,
        on_progress: on_progress(get(metadata, "onProgress"))?,
    })
}

/// The paths of `deleteMany`.
fn paths(value: &JsValue) -> Result<Vec<String>, Error> {
    if !Array::is_array(value) {
        return Err(Error::invalid("paths", "must be an array of paths"));
    }
    Array::from(value).iter().map(|path| text_arg(&path, "paths")).collect()
}

/// The request of a storage method.
pub(super) fn request(db: &Instant, method: &str, args: &[JsValue]) -> Result<Prepared, Error> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(JsValue::UNDEFINED);
    let (config, who) = (db.config(), db.who());
    let (request, answer) = match method {
        "uploadFile" => {
            let path = text_arg(&arg(0), "path")?;
            (storage::upload_request(config, who, &path, source(&arg(1))?, &upload_options(&arg(2))?)?, Answer::Whole)
        }
        "delete" => (storage::delete_request(config, who, &text_arg(&arg(0), "path")?)?, Answer::Whole),
        "deleteMany" => (storage::delete_many_request(config, who, &paths(&arg(0))?)?, Answer::Whole),
        "list" => (db.query_request(&storage::list_query(), &CallOptions::default())?, Answer::Files),
        "getDownloadUrl" => {
            let query = storage::file_query(&text_arg(&arg(0), "path")?)?;
            (db.query_request(&query, &CallOptions::default())?, Answer::FirstUrl)
        }
        _ => return Err(Error::invalid("storage", "unknown storage method")),
    };
    Ok(Prepared::Send(request, CallOptions::default(), answer))
}

/// `$files` rows with the deprecated list route's fields added (`name`, `key`, `etag`,
/// `last_modified`), so code written for the official `list()` keeps working.
pub(super) fn files(json: &JsValue, app_id: &str) -> JsValue {
    let rows = pick(json, "$files");
    let rows = if Array::is_array(&rows) { Array::from(&rows) } else { Array::new() };
    for row in rows.iter() {
        set(&row, "name", &get(&row, "path"));
        let key = get(&row, "location-id").as_string().map(|location| storage::object_key(app_id, &location));
        set(&row, "key", &key.map_or(JsValue::NULL, JsValue::from));
        set(&row, "etag", &JsValue::NULL);
        set(&row, "last_modified", &JsValue::NULL);
    }
    rows.into()
}

/// The first `$files` row's `url`, or `null`.
pub(super) fn first_url(json: &JsValue) -> JsValue {
    let rows = pick(json, "$files");
    let first = if Array::is_array(&rows) { Array::from(&rows).get(0) } else { JsValue::UNDEFINED };
    pick(&first, "url")
}
