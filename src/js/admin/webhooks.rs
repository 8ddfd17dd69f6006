//! `db.webhooks`: the manager's calls and the receiver's fetches go through the one call
//! export (area 5, [`request`]); `validate`'s pure steps are [`webhook`], driven by JS (its
//! fetch of the key set and Web Crypto's verify are host work; a Rust future over the Rust
//! receiver cost the admin wasm ~18 KB gzip). The official shapes (camelCase, `Date`s, `processPayload`'s
//! dispatch over JS handlers, `helpers()`) are in `pkg/src/api.js`.

use crate::prelude::*;
use wasm_bindgen::prelude::*;

use super::answer::Answer;
use super::{is_absent, string_option, text_arg};
use crate::client::webhooks::body_of;
use crate::host::wasm::{self as host, read_argument};
use crate::http::HttpRequest;
use crate::webhooks::{self, body, jwks, manager as requests, signature};
use crate::{Error, Instant, Value};

/// The request of a manager method, `fetchJwks` or `fetchPayloads`, and what it answers.
// Never inlined: inlined into `prepare`, its twelve requests doubled the admin wasm's growth.
#[inline(never)]
pub(super) fn request(db: &Instant, method: &str, arg: &dyn Fn(usize) -> JsValue) -> Result<(HttpRequest, Answer), Error> {
    let config = db.config();
    let id = || text_arg(&arg(0), "webhookId");
    let isn = || text_arg(&arg(1), "isn");
    Ok(match method {
        "list" => (requests::list_request(config)?, Answer::Field("webhooks")),
        "create" => {
            (requests::create_request(config, &super::argument_node(&read_argument(&arg(0), "params")?))?, Answer::Field("webhook"))
        }
        "update" => {
            let params = read_argument(&arg(1), "params")?;
            (requests::update_request(config, &id()?, &super::argument_node(&params))?, Answer::Field("webhook"))
        }
        "delete" => (requests::delete_request(config, &id()?)?, Answer::Field("webhook")),
        "enable" => (requests::enable_request(config, &id()?)?, Answer::Field("webhook")),
        "disable" => {
            // `{reason}` when truthy, as `reason ? {reason} : {}`.
            let reason = super::get(&arg(1), "reason")?;
            let reason = if reason.is_truthy() { Some(read_argument(&reason, "reason")?) } else { None };
            let reason = reason.as_ref().map(super::argument_node);
            (requests::disable_request(config, &id()?, reason.as_ref())?, Answer::Field("webhook"))
        }
        "listEvents" => {
            let after = string_option(&arg(1), "after")?;
            (requests::list_events_request(config, &id()?, after.as_deref())?, Answer::Whole)
        }
        "getEvent" => (requests::get_event_request(config, &id()?, &isn()?)?, Answer::Field("event")),
        "resendEvent" => (requests::resend_event_request(config, &id()?, &isn()?)?, Answer::Field("event")),
        "getPayload" => (requests::get_payload_request(config, &id()?, &isn()?)?, Answer::Whole),
        "fetchJwks" => (requests::jwks_request(config), Answer::Whole),
        "fetchPayloads" => (requests::payload_request(&body_of(&arg(0))?)?, Answer::Whole),
        _ => return Err(Error::invalid("webhooks", "unknown webhooks method")),
    })
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
