//! `db.webhooks`: the manager's calls and the receiver's fetches go through the one call
//! export (area 5, [`request`]); `validate` is a Rust future ([`validate`]) over the same
//! receiver as the Rust API. The official shapes (camelCase, `Date`s, `processPayload`'s
//! dispatch over JS handlers, `helpers()`) are in `pkg/src/api.js`.

use crate::prelude::*;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::answer::Answer;
use super::{is_absent, string_option, text_arg};
use crate::client::webhooks::body_of;
use crate::host::wasm::{self as host, read_argument};
use crate::http::HttpRequest;
use crate::webhooks::{manager as requests, VerifyOptions};
use crate::{Error, Instant};

/// The request of a manager method, `fetchJwks` or `fetchPayloads`, and what it answers.
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

/// `validate(header, body, opts)` (`request`: from `validateRequest`, whose missing header is
/// its own error): `body` is a string or a function returning one or a promise of one,
/// called once the header and the key passed; `received_at` in ms (`undefined`: now).
pub(super) fn validate(db: Instant, header: JsValue, body: JsValue, received_at: JsValue, tolerance: JsValue, request: bool) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let opts = VerifyOptions { received_at_ms: received_at.as_f64(), tolerance: tolerance.as_f64() };
        let header = header.as_string();
        let text = async {
            let value = match body.dyn_ref::<Function>() {
                Some(read) => {
                    let promise = read.call0(&JsValue::UNDEFINED).map_err(|thrown| thrown_error(thrown, "body"))?;
                    wasm_bindgen_futures::JsFuture::from(Promise::resolve(&promise)).await.map_err(|thrown| thrown_error(thrown, "body"))?
                }
                None => body,
            };
            value.as_string().ok_or_else(|| Error::invalid("body", "must be a string, or a function that returns one"))
        };
        let hooks = db.webhooks();
        let checked = match (request, header) {
            (true, header) => hooks.verify_request(header.as_deref(), text, &opts).await,
            (false, Some(header)) => hooks.verify_with(&header, text, &opts).await,
            (false, None) => Err(Error::invalid("signatureHeader", "must be a string")),
        };
        let body = checked.map_err(super::to_js_error)?;
        let mut json = String::from(r#"{"payloadUrl":"#);
        crate::value::write_string(&body.payload_url, &mut json);
        json.push_str(r#","token":"#);
        crate::value::write_string(&body.token, &mut json);
        json.push('}');
        Ok(host::parse(&json).unwrap_or(JsValue::NULL))
    })
}

/// What reading the body threw, as an invalid-argument error carrying it.
fn thrown_error(thrown: JsValue, what: &'static str) -> Error {
    let mut message = String::from("could not be read: ");
    message.push_str(&host::message_of(&thrown));
    Error::InvalidArgument { what: what.into(), message, cause: (!is_absent(&thrown)).then(|| crate::http::HostValue::new(thrown)) }
}
