//! Auth requests: refresh tokens, users, sign-out, magic codes, guests, and the user behind a
//! request's cookie (spec §3.8–§3.16, §7).

use super::{admin_url, headers, post, HttpRequest, CLIENT_VERSION};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{form_encode, Payload};
use crate::json::{JsonView, Kind};
use crate::prelude::*;
use crate::uuid::is_uuid;
use crate::Value;

/// Which user: by email, id or refresh token.
///
/// ```
/// use instant_edge::request::auth::UserRef;
/// assert_eq!(UserRef::Email("a@b.co".into()).param(), ("email", "a@b.co"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum UserRef {
    /// By email.
    Email(String),
    /// By user id (a UUID).
    Id(String),
    /// By one of the user's refresh tokens.
    RefreshToken(String),
}

impl core::fmt::Debug for UserRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            UserRef::Email(email) => f.debug_tuple("Email").field(email).finish(),
            UserRef::Id(id) => f.debug_tuple("Id").field(id).finish(),
            UserRef::RefreshToken(_) => f.write_str("RefreshToken(***)"),
        }
    }
}

impl UserRef {
    /// The wire name and value (`email`, `id` or `refresh_token`).
    pub fn param(&self) -> (&'static str, &str) {
        match self {
            UserRef::Email(email) => ("email", email),
            UserRef::Id(id) => ("id", id),
            UserRef::RefreshToken(token) => ("refresh_token", token),
        }
    }

    /// Checks the value's shape before anything is sent (the token never appears in the error).
    pub fn check(&self) -> Result<()> {
        match self {
            UserRef::Email(email) => check_email(email),
            UserRef::Id(id) if !is_uuid(id) => Err(Error::invalid("id", "must be a UUID")),
            UserRef::RefreshToken(token) if !is_uuid(token) => Err(Error::invalid("refresh_token", "must be a refresh token (a UUID)")),
            _ => Ok(()),
        }
    }

    fn secret(&self) -> Option<String> {
        match self {
            UserRef::RefreshToken(token) => Some(token.clone()),
            _ => None,
        }
    }

    fn to_body(&self) -> Value {
        let (name, value) = self.param();
        Value::object([(name, Value::from(value))])
    }
}

fn check_email(email: &str) -> Result<()> {
    let trimmed = email.trim();
    let well_formed =
        trimmed.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(())
    } else {
        Err(Error::invalid("email", "must be an email address like alyssa@example.com"))
    }
}

/// `POST /admin/refresh_tokens` with `{"email"}` or `{"id"}` (`createToken`).
pub fn create_token_request(config: &Config, who: &UserRef) -> Result<HttpRequest> {
    if matches!(who, UserRef::RefreshToken(_)) {
        return Err(Error::invalid("createToken", "takes an email or an id"));
    }
    who.check()?;
    post(config, "refresh_tokens", who.to_body())
}

/// `POST /runtime/auth/verify_refresh_token`: no admin token is sent, as by the official client.
pub fn verify_token_request(config: &Config, token: &str) -> Result<HttpRequest> {
    UserRef::RefreshToken(token.to_owned()).check()?;
    let mut url = String::from(config.api_uri());
    url.push_str("/runtime/auth/verify_refresh_token?app_id=");
    url.push_str(config.app_id());
    let body = Value::object([("app-id", Value::from(config.app_id())), ("refresh-token", Value::from(token))]);
    let headers = vec![
        ("content-type", "application/json".to_owned()),
        ("Instant-Admin-Version", CLIENT_VERSION.to_owned()),
        ("Instant-Core-Version", CLIENT_VERSION.to_owned()),
    ];
    let mut request = HttpRequest::new("POST", url, headers);
    request.body = Some(Payload::Value(body));
    request.idempotent = true;
    request.secret = Some(token.to_owned());
    Ok(request)
}

/// `GET` or `DELETE /admin/users?app_id=…&<email|id|refresh_token>=…`.
pub fn users_request(config: &Config, who: &UserRef, delete: bool) -> Result<HttpRequest> {
    who.check()?;
    let (name, value) = who.param();
    let mut url = admin_url(config, "users");
    url.push('&');
    form_encode(name, &mut url);
    url.push('=');
    form_encode(value, &mut url);
    let mut request = HttpRequest::new(if delete { "DELETE" } else { "GET" }, url, headers(config, None)?);
    request.idempotent = !delete;
    request.secret = who.secret();
    Ok(request)
}

/// `POST /admin/sign_out` with `{"email"}`, `{"id"}` or `{"refresh_token"}`.
pub fn sign_out_request(config: &Config, who: &UserRef) -> Result<HttpRequest> {
    who.check()?;
    let mut request = post(config, "sign_out", who.to_body())?;
    request.secret = who.secret();
    Ok(request)
}

/// `POST /admin/magic_code` (or `send_magic_code` when `send`).
pub fn magic_code_request(config: &Config, email: &str, send: bool) -> Result<HttpRequest> {
    check_email(email)?;
    post(config, if send { "send_magic_code" } else { "magic_code" }, Value::object([("email", Value::from(email))]))
}

/// `POST /admin/verify_magic_code` with `{"email", "code", "extra-fields"?}`.
pub fn verify_magic_code_request<J: JsonView>(config: &Config, email: &str, code: &str, extra_fields: Option<&J>) -> Result<HttpRequest> {
    check_email(email)?;
    if code.trim().is_empty() {
        return Err(Error::invalid("code", "must be the code from the email"));
    }
    let mut body = vec![("email", Payload::Value(Value::from(email))), ("code", Payload::Value(Value::from(code)))];
    if let Some(extra) = extra_fields {
        if extra.kind() != Kind::Object {
            return Err(Error::invalid("extraFields", "must be an object"));
        }
        body.push(("extra-fields", extra.payload()));
    }
    let mut request = post(config, "verify_magic_code", Value::Null)?;
    request.body = Some(Payload::Object(body));
    // The server echoes a wrong code in its hint; a code is a credential like a token.
    request.secret = Some(code.to_owned());
    Ok(request)
}

/// `POST /admin/sign_in_guest` (the official client has no such call).
pub fn sign_in_guest_request(config: &Config) -> Result<HttpRequest> {
    post(config, "sign_in_guest", Value::empty_object())
}

/// The JSON text in a request's `instant_user_<appId>` cookie, decoded. Never fails: a missing
/// or malformed cookie is `None` (the caller parses the text and looks for a `refresh_token`).
///
/// ```
/// use instant_edge::request::auth::cookie_text;
/// let app = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
/// let header = format!("theme=dark; instant_user_{app}=%7B%22refresh_token%22%3A%22t%22%7D");
/// assert_eq!(cookie_text(&header, app).as_deref(), Some(r#"{"refresh_token":"t"}"#));
/// assert!(cookie_text("instant_user_x=%7Bbroken", app).is_none());
/// ```
pub fn cookie_text(cookie_header: &str, app_id: &str) -> Option<String> {
    let mut name = String::from("instant_user_");
    name.push_str(app_id);
    // As the `cookie` package: pairs split on `;`, the first value of a name wins, values are
    // trimmed, unquoted and percent-decoded.
    let raw = cookie_header.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })?;
    let raw = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    percent_decode(raw)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            }
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `$users.email`'s attribute id. System attribute ids are derived from their names and are the
/// same on every Instant server (platform spec §4.4), so a page cursor can be built here: the
/// admin query route returns no page info.
const USERS_EMAIL_ATTR: &str = "96653230-13ff-ffff-a4b4-46010bffffff";
const CURSOR_PREFIX: &str = "u1.";
/// Users per page when no limit is given.
pub const DEFAULT_USERS_PAGE: u32 = 100;
/// The largest page `list_users` asks for.
pub const MAX_USERS_PAGE: u32 = 1000;

/// The opaque cursor after a user: `u1.<id>.<email>` (the email empty for guests).
///
/// ```
/// use instant_edge::request::auth::users_cursor;
/// assert_eq!(users_cursor("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", Some("a@b.co")), "u1.8aa64e4c-64f9-472e-8a61-3fa28870e6cb.a@b.co");
/// ```
pub fn users_cursor(id: &str, email: Option<&str>) -> String {
    let mut cursor = String::from(CURSOR_PREFIX);
    cursor.push_str(id);
    cursor.push('.');
    cursor.push_str(email.unwrap_or_default());
    cursor
}

fn parse_users_cursor(cursor: &str) -> Result<(&str, Option<&str>)> {
    let bad = || Error::invalid("after", "must be an endCursor from a listUsers page");
    let rest = cursor.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
    let id = rest.get(..36).filter(|id| is_uuid(id)).ok_or_else(bad)?;
    let email = rest.get(36..).and_then(|tail| tail.strip_prefix('.')).ok_or_else(bad)?;
    Ok((id, Some(email).filter(|email| !email.is_empty())))
}

/// The InstaQL query of a `listUsers` page: `limit + 1` users ordered by email, after the
/// cursor (the extra user tells whether a next page exists).
///
/// ```
/// use instant_edge::request::auth::list_users_query;
/// assert!(list_users_query(0, None).is_err());
/// assert!(list_users_query(10, Some("not a cursor")).is_err());
/// assert!(list_users_query(10, None).is_ok());
/// ```
pub fn list_users_query(limit: u32, after: Option<&str>) -> Result<Value> {
    if limit == 0 || limit > MAX_USERS_PAGE {
        return Err(Error::invalid("limit", "must be an integer from 1 to 1000"));
    }
    let mut options = Value::object([("order", Value::object([("email", Value::from("asc"))])), ("limit", Value::from(limit + 1))]);
    if let Some(cursor) = after {
        let (id, email) = parse_users_cursor(cursor)?;
        let email = email.map_or(Value::Null, Value::from);
        options.insert("after", Value::Array(vec![Value::from(id), Value::from(USERS_EMAIL_ATTR), email]));
    }
    Ok(Value::object([("$users", Value::object([("$", options)]))]))
}
