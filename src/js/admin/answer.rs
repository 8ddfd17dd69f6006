//! What each JS call answers, written in the official client's shapes from what
//! [`crate::answer`] picks (the Rust API decodes the same picks into models), and the storage
//! calls' arguments.

use crate::prelude::*;
use js_sys::Array;
use wasm_bindgen::JsValue;

use super::{get, is_absent, string_option, text_arg};
use crate::answer;
use crate::host::wasm::{self as host, read_argument};
use crate::http::{HostValue, HttpRequest};
use crate::json::JsonView;
use crate::parse::{parse, Node};
use crate::storage::{self, UploadOptions, UploadSource};
use crate::value::write_string;
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

/// A value's JSON text, or `null`.
fn text_or_null(node: Option<Node<'_>>) -> &str {
    node.map_or("null", |node| node.source)
}

/// `text` as a JSON string, or `null`.
fn string_or_null(text: Option<&str>, out: &mut String) {
    match text {
        Some(text) => write_string(text, out),
        None => out.push_str("null"),
    }
}

impl Answer {
    /// The answer to a 200 whose body is `text`, as JSON text in the official client's shape
    /// (`None`: `undefined`), picked by [`crate::answer`]; a body that is not JSON is the decode
    /// error that says to check the API base.
    pub(super) fn shape(&self, text: &str, app_id: &str) -> Result<Option<String>, Error> {
        let node = parse(text).map_err(|_| crate::response::not_json(text))?;
        let mut out = String::new();
        match *self {
            Answer::Field(key) => out.push_str(text_or_null(node.field(key))),
            Answer::Token => out.push_str(text_or_null(answer::refresh_token(&node))),
            Answer::Whole => out.push_str(node.source),
            Answer::Nothing => return Ok(None),
            Answer::UserCreated => {
                let (user, created) = answer::user_created(&node);
                out.push_str(r#"{"user":"#);
                out.push_str(text_or_null(user));
                out.push_str(if created { r#","created":true}"# } else { r#","created":false}"# });
            }
            Answer::Files => {
                out.push('[');
                for (i, row) in answer::rows(&node, "$files").into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    // The row's own entries, then the official client's added ones (a repeated
                    // key reads as the last).
                    out.push('{');
                    if let Some(entries) = crate::http::object_entries(row.source) {
                        out.push_str(entries);
                        out.push(',');
                    }
                    out.push_str(r#""name":"#);
                    out.push_str(text_or_null(row.field("path")));
                    out.push_str(r#","key":"#);
                    string_or_null(answer::file_key(&row, app_id).as_deref(), &mut out);
                    out.push_str(r#","etag":null,"last_modified":null}"#);
                }
                out.push(']');
            }
            Answer::FirstUrl => out.push_str(text_or_null(answer::first_url(&node))),
            Answer::Sessions => out.push_str(answer::sessions(&node).map_or("{}", |sessions| sessions.source)),
            Answer::UsersPage(limit) => {
                let page = answer::users_page(&node, limit);
                out.push_str(r#"{"users":["#);
                for (i, user) in page.users.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(user.source);
                }
                out.push_str(r#"],"pageInfo":{"endCursor":"#);
                string_or_null(page.end_cursor.as_deref(), &mut out);
                out.push_str(r#","hasNextPage":"#);
                out.push_str(if page.has_next_page { "true}}" } else { "false}}" });
            }
        }
        Ok(Some(out))
    }
}

/// `uploadFile`'s metadata: `{ contentType, contentDisposition, fileSize, onProgress }`.
fn upload_options(metadata: &JsValue) -> Result<UploadOptions, Error> {
    let file_size = get(metadata, "fileSize")?;
    let file_size = match file_size.as_f64() {
        _ if is_absent(&file_size) => None,
        Some(n) if n >= 0.0 && n % 1.0 == 0.0 && n <= 9_007_199_254_740_991.0 => Some(n as u64),
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
    let paths = super::argument_node(&text);
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
