//! The `#[wasm_bindgen]` exports behind the npm package. Each entry has its own wasm: the
//! admin entry's exports ([`admin`], feature `js`) and the platform entry's ([`platform`],
//! feature `js-platform`), neither paying for the other's; both features together give both.
//! They read the caller's arguments (each once, safely: see [`host::wasm::read_argument`]) and
//! call the same request builders and call loop as the Rust API. What is shared is here: the
//! argument readers and the error every export throws. The JS shapes are in `pkg/src/`.

use crate::prelude::*;
use wasm_bindgen::prelude::*;

#[cfg(feature = "js")]
mod admin;
#[cfg(feature = "js-platform")]
mod platform;

use crate::host::wasm::{self as host, get, Argument};
use crate::parse::{parse, Node};
use crate::Error;

fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// An optional string option; present but not a string is an invalid argument.
fn string_option(object: &JsValue, key: &'static str) -> Result<Option<String>, Error> {
    let value = get(object, key)?;
    if is_absent(&value) {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| Error::invalid(key, "must be a string"))
}

fn text_arg(value: &JsValue, what: &'static str) -> Result<String, Error> {
    value.as_string().ok_or_else(|| Error::invalid(what, "must be a string"))
}

/// The JS error: an `Error` named `InstantAPIError` with `kind`, `status`, `body`, `hint`,
/// `traceId` and, when reading an argument threw, `cause` (the pkg layer gives it the
/// `InstantAPIError` prototype).
fn to_js_error(error: Error) -> JsValue {
    let (body, hint, trace_id) = match &error {
        Error::Api(api) => (host::text_of(&api.body), Some(host::text_of(&api.hint)), api.trace_id.as_deref()),
        #[cfg(feature = "webhooks")]
        Error::Webhook { hint, .. } => (webhook_body(&error), Some(host::text_of(hint)), None),
        other => {
            let mut body = String::from(r#"{"type":"#);
            crate::value::write_string(other.kind(), &mut body);
            body.push_str(r#","message":"#);
            crate::value::write_string(&other.message(), &mut body);
            body.push('}');
            (body, None, None)
        }
    };
    let cause = match &error {
        Error::InvalidArgument { cause: Some(cause), .. } => cause.get::<JsValue>().cloned(),
        _ => None,
    };
    make_error(
        &error.message(),
        error.kind(),
        error.status(),
        &body,
        hint.as_deref(),
        trace_id,
        cause.as_ref().unwrap_or(&JsValue::UNDEFINED),
        cause.is_some(),
    )
}

/// `{"type": "webhook", "message": …}`.
#[cfg(feature = "webhooks")]
fn webhook_body(error: &Error) -> String {
    let mut body = String::from(r#"{"type":"webhook","message":"#);
    crate::value::write_string(&error.message(), &mut body);
    body.push('}');
    body
}

/// A JSON argument (see [`read_argument`]) as a [`Node`]. `JSON.stringify` wrote its text, so it
/// is valid JSON: it is read lazily, with no syntax pass first.
pub(crate) fn argument_node(argument: &Argument) -> Node<'_> {
    let text = argument.text.strip_prefix('\u{80}').unwrap_or(&argument.text);
    Node { source: text.trim(), whole: argument.whole.as_ref() }
}

/// JSON text made here as a checked [`Node`].
pub(crate) fn parse_text<'a>(text: &'a str, what: &'static str) -> Result<Node<'a>, Error> {
    parse(text).map_err(|error| match error {
        Error::InvalidArgument { message, .. } => Error::invalid(what, message),
        other => other,
    })
}

#[wasm_bindgen(module = "/src/host/wasm/host.js")]
extern "C" {
    /// The `InstantAPIError` of `makeError` in `host.js` (JSON texts for `body` and `hint`).
    #[wasm_bindgen(js_name = makeError)]
    #[allow(clippy::too_many_arguments)]
    fn make_error(
        message: &str,
        kind: &str,
        status: u16,
        body: &str,
        hint: Option<&str>,
        trace_id: Option<&str>,
        cause: &JsValue,
        has_cause: bool,
    ) -> JsValue;
}

/// A new entity id (UUID v4).
#[wasm_bindgen]
pub fn id() -> String {
    crate::id()
}
