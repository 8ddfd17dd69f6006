//! The manager's requests (`db.webhooks.manager`, docs/webhooks.md §a), exactly as the official
//! client sends them: `authorization: Bearer <token>` and `content-type: application/json` on
//! every one (GET and DELETE too), the version headers its `jsonFetch` adds, no `app-id`
//! header (the app is in the path), and a body only where the table has one. Also the
//! receiver's two GETs: the key set and the payload.

use super::{error, jwks::JWKS_PATH, messages, WebhookBody};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{encode_uri_component, HttpRequest, Payload};
use crate::json::{JsonView, Kind};
use crate::prelude::*;
use crate::request::CLIENT_VERSION;
use crate::Value;

fn versions(headers: &mut Vec<(&'static str, String)>) {
    headers.push(("Instant-Admin-Version", CLIENT_VERSION.to_owned()));
    headers.push(("Instant-Core-Version", CLIENT_VERSION.to_owned()));
}

/// Any manager request of the table (docs/webhooks.md §a), the one path the npm admin wasm
/// takes for all of them (`pkg/src/api.js` holds the table): `method` on
/// `{base}/dash/apps/{appId}/webhooks{rest}`, or with `payload_route` on
/// `{base}/webhooks/payload/{appId}{rest}`; `rest[0]`, when there is one, is the webhook id
/// (must not be empty); `?after=<encoded>` when `after` is not empty; `body` as given.
///
/// `rest`'s segments are encoded one by one, their `/` kept (an ISN is `0/328/5307A1A0`: the
/// official client pastes it as is, which is the same for every ISN and a broken URL for
/// anything with `?` or `#`).
///
/// ```
/// use instant_edge::{webhooks::manager, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = manager::manager_request(&config, "GET", false, &["w1", "events", "0/1/2"], None, None).unwrap();
/// assert!(req.url.ends_with("/dash/apps/8aa64e4c-64f9-472e-8a61-3fa28870e6cb/webhooks/w1/events/0/1/2"));
/// assert!(manager::manager_request(&config, "DELETE", false, &[""], None, None).is_err());
/// ```
pub fn manager_request<S: AsRef<str>>(
    config: &Config,
    method: &'static str,
    payload_route: bool,
    rest: &[S],
    after: Option<&str>,
    body: Option<Payload>,
) -> Result<HttpRequest> {
    if rest.first().is_some_and(|id| id.as_ref().is_empty()) {
        return Err(Error::invalid("webhookId", "must not be empty"));
    }
    let mut url = String::from(config.api_uri());
    if payload_route {
        url.push_str("/webhooks/payload/");
        url.push_str(config.app_id());
    } else {
        url.push_str("/dash/apps/");
        url.push_str(config.app_id());
        url.push_str("/webhooks");
    }
    for part in rest {
        for segment in part.as_ref().split('/') {
            url.push('/');
            encode_uri_component(segment, &mut url);
        }
    }
    if let Some(after) = after.filter(|after| !after.is_empty()) {
        url.push_str("?after=");
        encode_uri_component(after, &mut url);
    }
    let token = config.admin_token.as_ref().ok_or_else(|| error(messages::TOKEN_REQUIRED, []))?;
    let mut authorization = String::from("Bearer ");
    authorization.push_str(token.expose());
    let mut headers = vec![("authorization", authorization), ("content-type", "application/json".to_owned())];
    versions(&mut headers);
    let mut request = HttpRequest::new(method, url, headers);
    request.idempotent = method == "GET";
    request.body = body;
    Ok(request)
}

/// A `/dash/apps/{appId}/webhooks` request of the table, without `?after`.
fn dash(config: &Config, method: &'static str, rest: &[&str], body: Option<Payload>) -> Result<HttpRequest> {
    manager_request(config, method, false, rest, None, body)
}

fn empty_object() -> Option<Payload> {
    Some(Payload::Value(Value::empty_object()))
}

/// The params of `create` / `update` (and the npm wasm's bodies): a JSON object.
pub(crate) fn object_arg<J: JsonView>(params: &J, what: &'static str) -> Result<Payload> {
    if params.kind() != Kind::Object {
        return Err(Error::invalid(what, "must be an object"));
    }
    Ok(params.payload())
}

/// `list()`: `GET /dash/apps/{appId}/webhooks` → `{"webhooks": [row…]}`.
///
/// ```
/// use instant_edge::{webhooks::manager, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = manager::list_request(&config).unwrap();
/// assert_eq!((req.method, req.url.as_str()), ("GET", "http://127.0.0.1:8888/dash/apps/8aa64e4c-64f9-472e-8a61-3fa28870e6cb/webhooks"));
/// assert_eq!(req.header("content-type"), Some("application/json"));
/// assert!(req.body.is_none());
/// ```
pub fn list_request(config: &Config) -> Result<HttpRequest> {
    dash(config, "GET", &[], None)
}

/// `create({url, namespaces, actions})`: `POST …/webhooks` with the params as given → `{"webhook": row}`.
pub fn create_request<J: JsonView>(config: &Config, params: &J) -> Result<HttpRequest> {
    dash(config, "POST", &[], Some(object_arg(params, "params")?))
}

/// `update(id, {url?, namespaces?, actions?})`: `POST …/webhooks/{id}` with the params as given.
pub fn update_request<J: JsonView>(config: &Config, id: &str, params: &J) -> Result<HttpRequest> {
    dash(config, "POST", &[id], Some(object_arg(params, "params")?))
}

/// `delete(id)`: `DELETE …/webhooks/{id}` → `{"webhook": row}` (as it was).
pub fn delete_request(config: &Config, id: &str) -> Result<HttpRequest> {
    dash(config, "DELETE", &[id], None)
}

/// `enable(id)`: `POST …/webhooks/{id}/enable` with `{}`.
pub fn enable_request(config: &Config, id: &str) -> Result<HttpRequest> {
    dash(config, "POST", &[id, "enable"], empty_object())
}

/// `disable(id, {reason})`: `POST …/webhooks/{id}/disable` with `{"reason": r}` when `reason`
/// is given (JS: truthy), else `{}`.
///
/// ```
/// use instant_edge::{value, webhooks::manager, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = manager::disable_request(&config, "w1", Some(&&value!("maintenance"))).unwrap();
/// assert!(req.url.ends_with("/webhooks/w1/disable"));
/// assert_eq!(req.body.unwrap().to_json(), r#"{"reason":"maintenance"}"#);
/// ```
pub fn disable_request<J: JsonView>(config: &Config, id: &str, reason: Option<&J>) -> Result<HttpRequest> {
    let body = match reason {
        Some(reason) => Payload::Object(vec![("reason", reason.payload())]),
        None => Payload::Value(Value::empty_object()),
    };
    dash(config, "POST", &[id, "disable"], Some(body))
}

/// `listEvents(id, {after})`: `GET …/webhooks/{id}/events`, `?after=<encoded>` when `after` is
/// not empty → `{"events", "pageInfo"}`.
///
/// ```
/// use instant_edge::{webhooks::manager, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = manager::list_events_request(&config, "w1", Some("a+b/c")).unwrap();
/// assert!(req.url.ends_with("/webhooks/w1/events?after=a%2Bb%2Fc"));
/// ```
pub fn list_events_request(config: &Config, id: &str, after: Option<&str>) -> Result<HttpRequest> {
    manager_request(config, "GET", false, &[id, "events"], after, None)
}

/// `getEvent(id, isn)`: `GET …/webhooks/{id}/events/{isn}` → `{"event": ev}`.
///
/// ```
/// use instant_edge::{webhooks::manager, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = manager::get_event_request(&config, "w1", "0/328/5307A1A0").unwrap();
/// assert!(req.url.ends_with("/webhooks/w1/events/0/328/5307A1A0"));
/// ```
pub fn get_event_request(config: &Config, id: &str, isn: &str) -> Result<HttpRequest> {
    dash(config, "GET", &[id, "events", isn], None)
}

/// `resendEvent(id, isn)`: `POST …/webhooks/{id}/events/{isn}` with `{}` → `{"event": ev}`.
pub fn resend_event_request(config: &Config, id: &str, isn: &str) -> Result<HttpRequest> {
    dash(config, "POST", &[id, "events", isn], empty_object())
}

/// `getPayload(id, isn)`: `GET /webhooks/payload/{appId}/{id}/{isn}` (not under `/dash`), with
/// the admin token → `{"data", "idempotencyKey"}`.
///
/// ```
/// use instant_edge::{webhooks::manager, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = manager::get_payload_request(&config, "w1", "0/1/2").unwrap();
/// assert_eq!(req.url, "http://127.0.0.1:8888/webhooks/payload/8aa64e4c-64f9-472e-8a61-3fa28870e6cb/w1/0/1/2");
/// ```
pub fn get_payload_request(config: &Config, id: &str, isn: &str) -> Result<HttpRequest> {
    manager_request(config, "GET", true, &[id, isn], None, None)
}

/// The receiver's `fetchJwks()`: `GET <apiURI>/.well-known/webhooks/jwks.json`, no auth.
pub fn jwks_request(config: &Config) -> HttpRequest {
    let mut url = String::from(config.api_uri());
    url.push_str(JWKS_PATH);
    let mut headers = Vec::new();
    versions(&mut headers);
    let mut request = HttpRequest::new("GET", url, headers);
    request.idempotent = true;
    request
}

/// `fetchPayloads({payloadUrl, token})`: `GET payloadUrl` (as given, as there) with
/// `Authorization: Bearer <token>` (the delivery's JWT, never the admin token) and
/// `accept: application/json` → `{"data": [record…], "idempotencyKey"}`.
///
/// ```
/// use instant_edge::webhooks::{manager, WebhookBody};
/// let body = WebhookBody { payload_url: "http://127.0.0.1:8888/webhooks/payload/a/w/0/1/2".into(), token: "eyJ.x.y".into() };
/// let req = manager::payload_request(&body).unwrap();
/// assert_eq!(req.header("Authorization"), Some("Bearer eyJ.x.y"));
/// assert_eq!(req.url, body.payload_url);
/// ```
pub fn payload_request(body: &WebhookBody) -> Result<HttpRequest> {
    if body.payload_url.is_empty() {
        return Err(Error::invalid("payloadUrl", "must not be empty"));
    }
    let mut authorization = String::from("Bearer ");
    authorization.push_str(&body.token);
    let mut headers = vec![("Authorization", authorization), ("accept", "application/json".to_owned())];
    versions(&mut headers);
    let mut request = HttpRequest::new("GET", body.payload_url.clone(), headers);
    request.idempotent = true;
    // The JWT is a credential: scrubbed from errors as the admin token is.
    request.secret = Some(body.token.clone());
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value;

    fn config() -> Config {
        Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888")
            .unwrap()
            .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0")
            .unwrap()
    }

    const BASE: &str = "http://127.0.0.1:8888/dash/apps/8aa64e4c-64f9-472e-8a61-3fa28870e6cb/webhooks";

    fn check(req: HttpRequest, method: &str, path: &str, body: Option<&str>) {
        assert_eq!(req.method, method);
        assert_eq!(req.url, [BASE, path].concat());
        assert_eq!(req.header("authorization"), Some("Bearer 0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0"));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.header("Instant-Admin-Version"), Some(CLIENT_VERSION));
        assert_eq!(req.header("Instant-Core-Version"), Some(CLIENT_VERSION));
        assert_eq!(req.header("app-id"), None);
        assert_eq!(req.body.as_ref().map(Payload::to_json).as_deref(), body);
        assert_eq!(req.idempotent, method == "GET");
    }

    #[test]
    fn the_table_of_docs_webhooks_md() {
        let c = config();
        let params = value!({ "url": "https://example.com/h", "namespaces": ["posts"], "actions": ["create"] });
        check(list_request(&c).unwrap(), "GET", "", None);
        check(
            create_request(&c, &&params).unwrap(),
            "POST",
            "",
            Some(r#"{"url":"https://example.com/h","namespaces":["posts"],"actions":["create"]}"#),
        );
        check(update_request(&c, "w1", &&value!({ "actions": ["delete"] })).unwrap(), "POST", "/w1", Some(r#"{"actions":["delete"]}"#));
        check(delete_request(&c, "w1").unwrap(), "DELETE", "/w1", None);
        check(enable_request(&c, "w1").unwrap(), "POST", "/w1/enable", Some("{}"));
        check(disable_request::<&Value>(&c, "w1", None).unwrap(), "POST", "/w1/disable", Some("{}"));
        check(disable_request(&c, "w1", Some(&&value!("why"))).unwrap(), "POST", "/w1/disable", Some(r#"{"reason":"why"}"#));
        check(list_events_request(&c, "w1", None).unwrap(), "GET", "/w1/events", None);
        check(list_events_request(&c, "w1", Some("")).unwrap(), "GET", "/w1/events", None);
        check(list_events_request(&c, "w1", Some("AAA_b-c")).unwrap(), "GET", "/w1/events?after=AAA_b-c", None);
        check(get_event_request(&c, "w1", "0/328/5307A1A0").unwrap(), "GET", "/w1/events/0/328/5307A1A0", None);
        check(resend_event_request(&c, "w1", "0/328/5307A1A0").unwrap(), "POST", "/w1/events/0/328/5307A1A0", Some("{}"));
        let payload = get_payload_request(&c, "w1", "0/328/5307A1A0").unwrap();
        assert_eq!(payload.url, "http://127.0.0.1:8888/webhooks/payload/8aa64e4c-64f9-472e-8a61-3fa28870e6cb/w1/0/328/5307A1A0");
        assert_eq!(payload.method, "GET");
    }

    #[test]
    fn refusals() {
        let c = config();
        assert!(create_request(&c, &&value!([1])).is_err());
        assert!(delete_request(&c, "").is_err());
        let anonymous = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap();
        let err = list_request(&anonymous).unwrap_err();
        assert_eq!(err.message(), messages::TOKEN_REQUIRED);
        assert_eq!(err.kind(), "webhook");
        let jwks = jwks_request(&c);
        assert_eq!(jwks.url, "http://127.0.0.1:8888/.well-known/webhooks/jwks.json");
        assert_eq!(jwks.header("authorization"), None);
    }
}
