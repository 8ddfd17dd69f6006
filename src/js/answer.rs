//! What each JS call answers, shaped from the server's JSON as the official client shapes it,
//! and the storage calls' arguments.

use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

use super::{get, is_absent, set, string_option, text_arg};
use crate::host::wasm::{self as host, read_argument};
use crate::http::{HostValue, HttpRequest};
use crate::json::{JsonView, Kind};
use crate::storage::{self, UploadOptions, UploadSource};
use crate::{Error, Instant};

/// What to answer from the server's JSON.
pub(super) enum Answer {
    /// `json[key]`.
    Field(&'static str),
    /// `json.user.refresh_token`.
    Token,
    /// The JSON as is.
    Whole,
    /// Nothing (`undefined`).
    Nothing,
    /// `{ user, created }`.
    UserCreated,
    /// `{ users, pageInfo: { endCursor, hasNextPage } }` from a `listUsers` query of `limit + 1`.
    UsersPage(u32),
    /// `$files` rows shaped for `storage.list()` (the app id makes each `key`).
    Files,
    /// The first `$files` row's `url`, or `null`.
    FirstUrl,
    /// `json.sessions`, or `{}` when the room is empty (the server says `null`).
    Sessions,
}

/// `json[key]`, or `null`.
fn pick(json: &JsValue, key: &str) -> JsValue {
    json.field(key).unwrap_or(JsValue::NULL)
}

fn rows(json: &JsValue, key: &str) -> Array {
    let rows = pick(json, key);
    if Array::is_array(&rows) {
        rows.unchecked_into()
    } else {
        Array::new()
    }
}

impl Answer {
    pub(super) fn shape(&self, json: JsValue, app_id: &str) -> JsValue {
        match *self {
            Answer::Field(key) => pick(&json, key),
            Answer::Token => pick(&pick(&json, "user"), "refresh_token"),
            Answer::Whole => json,
            Answer::Nothing => JsValue::UNDEFINED,
            Answer::UserCreated => {
                let out = Object::new();
                set(&out, "user", &pick(&json, "user"));
                set(&out, "created", &JsValue::from_bool(pick(&json, "created").is_truthy()));
                out.into()
            }
            Answer::Files => {
                let rows = rows(&json, "$files");
                for row in rows.iter() {
                    set(&row, "name", &pick(&row, "path"));
                    let key = pick(&row, "location-id").as_string().map(|location| storage::object_key(app_id, &location));
                    set(&row, "key", &key.map_or(JsValue::NULL, JsValue::from));
                    set(&row, "etag", &JsValue::NULL);
                    set(&row, "last_modified", &JsValue::NULL);
                }
                rows.into()
            }
            Answer::FirstUrl => pick(&rows(&json, "$files").get(0), "url"),
            Answer::Sessions => crate::rooms::sessions(&json),
            Answer::UsersPage(limit) => {
                let rows = rows(&json, "$users");
                let has_next_page = rows.length() > limit;
                let users = rows.slice(0, limit);
                let last = users.at(-1);
                let end_cursor = match last.kind() == Kind::Object {
                    true => JsValue::from(crate::auth::users_cursor(
                        &pick(&last, "id").as_string().unwrap_or_default(),
                        pick(&last, "email").as_string().as_deref(),
                    )),
                    false => JsValue::NULL,
                };
                let page_info = Object::new();
                set(&page_info, "endCursor", &end_cursor);
                set(&page_info, "hasNextPage", &JsValue::from_bool(has_next_page));
                let out = Object::new();
                set(&out, "users", &users);
                set(&out, "pageInfo", &page_info);
                out.into()
            }
        }
    }
}

/// `uploadFile`'s metadata: `{ contentType, contentDisposition, fileSize, onProgress }`.
fn upload_options(metadata: &JsValue) -> Result<UploadOptions, Error> {
    let file_size = get(metadata, "fileSize")?;
    let file_size = match file_size.as_f64() {
        _ if is_absent(&file_size) => None,
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Some(n as u64),
        _ => return Err(Error::invalid("fileSize", "must be a non-negative integer")),
    };
    let on_progress = get(metadata, "onProgress")?;
    let host_progress = match on_progress.is_function() {
        true => Some(HostValue::new(on_progress)),
        false if is_absent(&on_progress) => None,
        false => return Err(Error::invalid("onProgress", "must be a function")),
    };
    Ok(UploadOptions {
        content_type: string_option(metadata, "contentType")?,
        content_disposition: string_option(metadata, "contentDisposition")?,
        file_size,
        on_progress: None,
        host_progress,
    })
}

/// The paths of `deleteMany`.
fn paths(value: &JsValue) -> Result<Vec<String>, Error> {
    if !Array::is_array(value) {
        return Err(Error::invalid("paths", "must be an array of paths"));
    }
    let text = read_argument(value, "paths")?;
    let paths = super::parse_argument(&text, "paths")?;
    let paths = paths.items();
    paths.iter().map(|path| path.text().map(|text| text.into_owned()).ok_or_else(|| Error::invalid("paths", "must be strings"))).collect()
}

/// The request of a storage method.
pub(super) fn storage_request(db: &Instant, method: &str, arg: &dyn Fn(usize) -> JsValue) -> Result<(HttpRequest, Answer), Error> {
    let (config, who) = (db.config(), db.who());
    Ok(match method {
        "uploadFile" => {
            let path = text_arg(&arg(0), "path")?;
            let data = arg(1);
            let source = match data.as_string() {
                Some(text) => UploadSource::from_text(text),
                None => host::upload_source(&data)?,
            };
            (storage::upload_request(config, who, &path, source, &upload_options(&arg(2))?)?, Answer::Whole)
        }
        "delete" => (storage::delete_request(config, who, &text_arg(&arg(0), "path")?)?, Answer::Whole),
        "deleteMany" => (storage::delete_many_request(config, who, &paths(&arg(0))?)?, Answer::Whole),
        "list" => (db.query_request(&super::parse_text(&host::text_of(&storage::list_query()), "query")?, None)?, Answer::Files),
        "getDownloadUrl" => {
            let query = host::text_of(&storage::file_query(&text_arg(&arg(0), "path")?)?);
            (db.query_request(&super::parse_text(&query, "query")?, None)?, Answer::FirstUrl)
        }
        _ => return Err(Error::invalid("storage", "unknown storage method")),
    })
}
