//! `db.webhooks`: the manager's calls and the receiver's fetches go through the one call
//! export (area 5, [`request`]); `validate`'s pure steps are [`webhook`], driven by JS (its
//! fetch of the key set and Web Crypto's verify are host work; a Rust future over the Rust
//! receiver cost the admin wasm ~18 KB gzip). The official shapes (camelCase, `Date`s, `processPayload`'s
//! dispatch over JS handlers, `helpers()`) are in `pkg/src/api.js`.

use crate::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::answer::Answer;
use super::{is_absent, string_option, text_arg};
use crate::client::webhooks::body_of;
use crate::host::wasm::{self as host, read_argument};
use crate::http::HttpRequest;
use crate::webhooks::{self, body, jwks, manager as requests, signature};
use crate::{Error, Instant, Value};

/// The answers' fields the manager's table names (docs/webhooks.md §a); any other: the whole JSON.
const FIELDS: [&str; 3] = ["webhooks", "webhook", "event"];

/// The request of a manager method, `fetchJwks` or `fetchPayloads`, and what it answers.
///
/// The manager's methods are one generic request ([`requests::manager_request`]): `pkg/src/api.js`
/// holds the table and passes `method` (`GET`, `POST` or `DELETE`) and `[segments, field, body,
/// opts, payloadRoute]`: the path's segments after `…/webhooks` (the webhook id first, a string
/// not empty; the ISN last, a string), the answer's field (else the whole JSON), the body of a
/// `POST` (a JSON object, read here), `opts.after` (the `?after` of `listEvents`) and whether
/// the path is the payload route. The admin token never leaves the wasm.
pub(super) fn request(db: &Instant, method: &str, arg: &dyn Fn(usize) -> JsValue) -> Result<(HttpRequest, Answer), Error> {
    let config = db.config();
    let method = match method {
        "GET" => "GET",
        "POST" => "POST",
        "DELETE" => "DELETE",
        "fetchJwks" => return Ok((requests::jwks_request(config), Answer::Whole)),
        "fetchPayloads" => return Ok((requests::payload_request(&body_of(&arg(0))?)?, Answer::Whole)),
        _ => return Err(Error::invalid("webhooks", "unknown webhooks method")),
    };
    // The params first, then `after`, then the segments: the order in which the per-method
    // dispatch read them.
    let body = match method {
        "POST" => Some(requests::object_arg(&super::argument_node(&read_argument(&arg(2), "params")?), "params")?),
        _ => None,
    };
    let after = string_option(&arg(3), "after")?;
    let segments: js_sys::Array = arg(0).unchecked_into();
    let mut rest = Vec::new();
    for i in 0..segments.length() {
        rest.push(text_arg(&segments.get(i), if i == 0 { "webhookId" } else { "isn" })?);
    }
    let field = arg(1).as_string();
    let answer = FIELDS.into_iter().find(|name| Some(*name) == field.as_deref()).map_or(Answer::Whole, Answer::Field);
    Ok((requests::manager_request(config, method, arg(4).is_truthy(), &rest, after.as_deref(), body)?, answer))
}

/// The pure steps of `validate` (spec: docs/webhooks.md §b), one export for all: the JS side
/// (`pkg/src/api.js`) fetches the key set, imports the key and verifies with Web Crypto, so the
/// admin wasm carries no future or transport for it.
///
/// - 0: `a` the header (a string, or absent: with `c` true, `validateRequest`'s missing
///   header), `b` `[receivedAtMs (NaN: now), tolerance (undefined: 300)]` → `[t, kid, v1]`
///   after the header and age checks;
/// - 1: `a` the apiURI, `b` the kid, `c` the key set (absent: only a pinned key) → the key's
///   `x`, `undefined` when nothing is pinned, or the official error when the set lacks it;
/// - 2: the "did not validate" error for header `a`; 3: the "invalid key" error for kid `a`
///   (both returned, to be thrown by JS);
/// - 4: `a` the verified body's text → `{ payloadUrl, token }`.
#[wasm_bindgen]
pub fn webhook(step: u8, a: JsValue, b: JsValue, c: JsValue) -> Result<JsValue, JsValue> {
    webhook_step(step, &a, &b, &c).map_err(super::to_js_error)
}

fn webhook_step(step: u8, a: &JsValue, b: &JsValue, c: &JsValue) -> Result<JsValue, Error> {
    let text = |value: &JsValue| value.as_string().unwrap_or_default();
    match step {
        0 => {
            // `validateRequest`: a missing or empty header is its own error; `validate` reads
            // an empty one as a header without keys.
            let header = match a.as_string() {
                Some(header) if !(header.is_empty() && c.is_truthy()) => header,
                _ if c.is_truthy() => return Err(webhooks::error(webhooks::messages::MISSING_HEADER, [])),
                _ => return Err(Error::invalid("signatureHeader", "must be a string")),
            };
            let parsed = signature::parse_header(&header)?;
            let at = |i: u32| js_sys::Reflect::get_u32(b, i).ok().and_then(|v| v.as_f64()).filter(|n| !n.is_nan());
            let received_at = at(0).unwrap_or_else(host::epoch_ms);
            signature::check_age(parsed.seconds, received_at, at(1).unwrap_or(webhooks::DEFAULT_TOLERANCE))?;
            let parts = [parsed.t, parsed.kid, parsed.v1].map(|part| JsValue::from_str(&part));
            Ok(js_sys::Array::of3(&parts[0], &parts[1], &parts[2]).into())
        }
        1 => {
            let (api_uri, kid) = (text(a), text(b));
            let key = match jwks::pinned_key(&api_uri, &kid) {
                Some(key) => key,
                None if is_absent(c) => return Ok(JsValue::UNDEFINED),
                None => jwks::select_key(&super::argument_node(&read_argument(c, "jwks")?), &kid)?,
            };
            Ok(JsValue::from_str(&key.x))
        }
        2 => Ok(super::to_js_error(signature::not_valid(&text(a)))),
        3 => Ok(super::to_js_error(webhooks::error(webhooks::messages::INVALID_KEY, [("kid", Value::from(text(a)))]))),
        _ => {
            let body = body::check_body(&text(a))?;
            let mut json = String::from(r#"{"payloadUrl":"#);
            crate::value::write_string(&body.payload_url, &mut json);
            json.push_str(r#","token":"#);
            crate::value::write_string(&body.token, &mut json);
            json.push('}');
            Ok(host::parse(&json).unwrap_or(JsValue::NULL))
        }
    }
}
