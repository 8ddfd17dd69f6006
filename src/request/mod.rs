//! Pure request building: the exact method, URL, headers and body `@instantdb/admin` sends
//! (spec §1.3, §3.1, §3.2), so servers and proxies see the same requests. Per area: [`auth`],
//! [`storage`], [`rooms`], [`perms_check`] (`debugQuery`, `debugTransact`); queries,
//! transactions and live queries here.

use crate::prelude::*;
pub mod auth;
pub mod perms_check;
pub mod rooms;
pub mod storage;

use crate::config::Config;
use crate::error::{Error, Result};
pub use crate::http::HttpRequest;
use crate::http::Payload;
use crate::json::{JsonView, Kind};
use crate::Value;

/// Sent as `Instant-Admin-Version` / `Instant-Core-Version` (the server only traces them).
pub const CLIENT_VERSION: &str = concat!("instant-edge-v", env!("CARGO_PKG_VERSION"));

/// Whom a request acts as (spec §1.6).
///
/// ```
/// use instant_edge::Impersonation;
/// let who = Impersonation::Email("alyssa@example.com".into());
/// assert_eq!(who, Impersonation::Email("alyssa@example.com".into()));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum Impersonation {
    /// A user by email (needs the admin token).
    Email(String),
    /// A user by refresh token (no admin token needed).
    Token(String),
    /// An unauthenticated guest (no admin token needed).
    Guest,
}

impl core::fmt::Debug for Impersonation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Impersonation::Email(email) => f.debug_tuple("Email").field(email).finish(),
            // A refresh token is a credential too.
            Impersonation::Token(_) => f.write_str("Token(***)"),
            Impersonation::Guest => f.write_str("Guest"),
        }
    }
}

/// `authorizedHeaders` + `withImpersonation` + the version headers; also the official client's
/// rule that only token and guest impersonation work without an admin token.
pub(crate) fn headers(config: &Config, who: Option<&Impersonation>) -> Result<Vec<(&'static str, String)>> {
    let token_free = matches!(who, Some(Impersonation::Token(_) | Impersonation::Guest));
    if config.admin_token.is_none() && !token_free {
        let message = if matches!(who, Some(Impersonation::Email(_))) {
            "is required to impersonate a user by email: pass adminToken to init"
        } else {
            "is required: pass adminToken to init, or use asUser({ token }) / asUser({ guest: true })"
        };
        return Err(Error::invalid("adminToken", message));
    }
    let mut headers = vec![("content-type", "application/json".to_owned()), ("app-id", config.app_id().to_owned())];
    if let Some(token) = &config.admin_token {
        let mut value = String::from("Bearer ");
        value.push_str(token.expose());
        headers.push(("authorization", value));
    }
    match who {
        Some(Impersonation::Email(email)) => headers.push(("as-email", email.clone())),
        Some(Impersonation::Token(token)) => headers.push(("as-token", token.clone())),
        Some(Impersonation::Guest) => headers.push(("as-guest", "true".to_owned())),
        None => {}
    }
    headers.push(("Instant-Admin-Version", CLIENT_VERSION.to_owned()));
    headers.push(("Instant-Core-Version", CLIENT_VERSION.to_owned()));
    Ok(headers)
}

pub(crate) fn admin_url(config: &Config, route: &str) -> String {
    let mut url = String::from(config.api_uri());
    url.push_str("/admin/");
    url.push_str(route);
    url.push_str("?app_id=");
    url.push_str(config.app_id());
    url
}

/// Headers no call may add even when the request has none of them: who the call acts as (an
/// `as-email` added to an admin call would impersonate without `asUser`) and what the
/// transport owns (a browser's `fetch` drops those silently).
const OWN_HEADERS: [&str; 9] =
    ["authorization", "app-id", "as-email", "as-token", "as-guest", "host", "content-length", "transfer-encoding", "connection"];

/// Adds the caller's headers for one call (`fetchOpts.headers` in JS, [`crate::CallOptions::header`]
/// in Rust), e.g. a key for a proxy in front of a self-hosted server. A header the request
/// already sets (the admin token, impersonation, app id, content type, versions) is refused,
/// never replaced: `@instantdb/admin` lets its own win without a word, and a per-call header
/// that silently changed whom a call acts as would be worse. Names and values must be valid
/// (the JS host's `Headers` has checked them already; [`check_header`] checks them for Rust).
///
/// ```
/// use instant_edge::{request, value, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let mut req = request::query(&config, None, &&value!({ "goals": {} }), None).unwrap();
/// request::add_headers(&mut req, &[("x-proxy-key".into(), "k1".into())]).unwrap();
/// assert_eq!(req.extra_headers, [("x-proxy-key".to_owned(), "k1".to_owned())]);
/// assert!(request::add_headers(&mut req, &[("Authorization".into(), "Bearer x".into())]).is_err());
/// ```
pub fn add_headers(request: &mut HttpRequest, headers: &[(String, String)]) -> Result<()> {
    for (name, value) in headers {
        if request.header(name).is_some() || OWN_HEADERS.iter().any(|own| own.eq_ignore_ascii_case(name)) {
            return Err(header_error(name, "` is set by the client and cannot be replaced per call"));
        }
        request.extra_headers.push((name.clone(), value.clone()));
    }
    Ok(())
}

/// Checks a header's name (RFC 9110 token characters) and value (no line break or NUL), as
/// the JS host's `Headers` does: a bad one fails here, typed, before anything is sent.
///
/// ```
/// use instant_edge::request::check_header;
/// assert!(check_header("x-proxy-key", "k1").is_ok());
/// assert!(check_header("x proxy", "k1").is_err());
/// assert!(check_header("x-proxy-key", "k1\r\nx-evil: 1").is_err());
/// ```
pub fn check_header(name: &str, value: &str) -> Result<()> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
        return Err(header_error(name, "` is not a header name"));
    }
    if value.bytes().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
        return Err(header_error(name, "` has a line break or NUL in its value"));
    }
    Ok(())
}

fn header_error(name: &str, why: &str) -> Error {
    let mut message = String::from("`");
    message.push_str(name);
    message.push_str(why);
    Error::invalid("headers", message)
}

/// Checks an impersonation's own argument before anything is sent.
pub fn check_impersonation(who: &Impersonation) -> Result<()> {
    match who {
        Impersonation::Email(email) if email.trim().is_empty() || email.chars().any(|c| c.is_control() || u32::from(c) > 0xFF) => {
            Err(Error::invalid("asUser.email", "must be a non-empty email address"))
        }
        Impersonation::Token(token) if !crate::uuid::is_uuid(token.trim()) => {
            Err(Error::invalid("asUser.token", "must be a refresh token (a UUID)"))
        }
        _ => Ok(()),
    }
}

/// `{ $$ruleParams: ruleParams, ...query }`: first key, and a `$$ruleParams` already in the query
/// wins, as with the object spread.
fn query_with_params<J: JsonView>(query: &J, rule_params: Option<&J>) -> Payload {
    match rule_params {
        Some(params) => Payload::Prepend("$$ruleParams", Box::new(params.payload()), Box::new(query.payload())),
        None => query.payload(),
    }
}

/// `POST /admin/query`: `{"query": {"$$ruleParams": …, …query}, "inference?": <has schema>}`.
///
/// ```
/// use instant_edge::{request, Config, Value};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = request::query(&config, None, &&Value::object([("goals", Value::empty_object())]), None).unwrap();
/// assert_eq!(req.url, "http://127.0.0.1:8888/admin/query?app_id=8aa64e4c-64f9-472e-8a61-3fa28870e6cb");
/// assert_eq!(req.method, "POST");
/// ```
pub fn query<J: JsonView>(config: &Config, who: Option<&Impersonation>, query: &J, rule_params: Option<&J>) -> Result<HttpRequest> {
    let (headers, body) = query_parts(config, who, query, rule_params)?;
    let mut request = HttpRequest::new("POST", admin_url(config, "query"), headers);
    request.body = Some(Payload::Object(body));
    request.idempotent = true;
    Ok(request)
}

/// The checked headers and `{"query", "inference?"}` body of a query, live or not.
#[allow(clippy::type_complexity)]
fn query_parts<J: JsonView>(
    config: &Config,
    who: Option<&Impersonation>,
    query: &J,
    rule_params: Option<&J>,
) -> Result<(Vec<(&'static str, String)>, Vec<(&'static str, Payload)>)> {
    crate::validate::query(query)?;
    if rule_params.is_some_and(|params| params.kind() != Kind::Object) {
        return Err(Error::invalid("ruleParams", "expected an object"));
    }
    let headers = headers(config, who)?;
    let body = vec![("query", query_with_params(query, rule_params)), ("inference?", Payload::Value(Value::Bool(config.has_schema)))];
    Ok((headers, body))
}

/// `POST /admin/subscribe-query?local_connection_id=<uuid>` (no `app_id`: the header names the
/// app) with `{"query", "inference?", "versions"}`, as the official client's event source sends
/// it (spec §4.2); the same query checks and rule-params merge as [`query`].
///
/// ```
/// use instant_edge::{request, Config, Value};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = request::subscribe(&config, None, &&Value::object([("goals", Value::empty_object())]), None, "c1").unwrap();
/// assert!(req.url.starts_with("http://127.0.0.1:8888/admin/subscribe-query?local_connection_id=c1"));
/// ```
pub fn subscribe<J: JsonView>(
    config: &Config,
    who: Option<&Impersonation>,
    query: &J,
    rule_params: Option<&J>,
    connection_id: &str,
) -> Result<HttpRequest> {
    let (headers, mut body) = query_parts(config, who, query, rule_params)?;
    let mut url = String::from(config.api_uri());
    url.push_str("/admin/subscribe-query?local_connection_id=");
    url.push_str(connection_id);
    // The query's body, plus the versions the official client reports.
    let versions = Value::object([("@instantdb/admin", Value::from(CLIENT_VERSION)), ("@instantdb/core", Value::from(CLIENT_VERSION))]);
    body.push(("versions", Payload::Value(versions)));
    let mut request = HttpRequest::new("POST", url, headers);
    request.body = Some(Payload::Object(body));
    request.idempotent = true;
    Ok(request)
}

/// `POST /admin/transact`: `{"steps": [...], "throw-on-missing-attrs?": <has schema>}`.
pub fn transact<J: JsonView>(config: &Config, who: Option<&Impersonation>, steps: &J) -> Result<HttpRequest> {
    crate::validate::steps(steps)?;
    let headers = headers(config, who)?;
    let body = vec![("steps", steps.payload()), ("throw-on-missing-attrs?", Payload::Value(Value::Bool(config.has_schema)))];
    let mut request = HttpRequest::new("POST", admin_url(config, "transact"), headers);
    request.body = Some(Payload::Object(body));
    Ok(request)
}

/// A POST of `body` to `/admin/<route>` with the admin headers.
pub(crate) fn post(config: &Config, route: &str, body: Value) -> Result<HttpRequest> {
    let mut request = HttpRequest::new("POST", admin_url(config, route), headers(config, None)?);
    request.body = Some(Payload::Value(body));
    Ok(request)
}
