//! Auth: refresh tokens, users, sign-out, magic codes, guests and the user behind a request's
//! cookie (spec §3.8–§3.16, §7). Request building is pure; [`Auth`] sends through the client.

use serde::de::DeserializeOwned;

use crate::client::{CallOptions, Instant};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::models::User;
use crate::request::{admin_url, headers, HttpRequest, CLIENT_VERSION};
use crate::transport::{self, Json, Transport};
use crate::{is_uuid, Value};

/// Which user: by email, id or refresh token.
///
/// ```
/// use instant_edge::auth::UserRef;
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

impl std::fmt::Debug for UserRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// `application/x-www-form-urlencoded`, as `URLSearchParams` writes it.
fn form_encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(byte >> 4) as usize] as char);
                out.push(HEX[(byte & 15) as usize] as char);
            }
        }
    }
}

fn post(config: &Config, route: &str, body: &Value) -> Result<HttpRequest> {
    Ok(HttpRequest {
        method: "POST",
        url: admin_url(config, route),
        headers: headers(config, None)?,
        body: Some(transport::stringify(body)),
        idempotent: false,
        secret: None,
        upload: None,
    })
}

/// `POST /admin/refresh_tokens` with `{"email"}` or `{"id"}` (`createToken`).
pub fn create_token_request(config: &Config, who: &UserRef) -> Result<HttpRequest> {
    if matches!(who, UserRef::RefreshToken(_)) {
        return Err(Error::invalid("createToken", "takes an email or an id"));
    }
    who.check()?;
    post(config, "refresh_tokens", &who.to_body())
}

/// `POST /runtime/auth/verify_refresh_token`: no admin token is sent, as by the official client.
pub fn verify_token_request(config: &Config, token: &str) -> Result<HttpRequest> {
    UserRef::RefreshToken(token.to_owned()).check()?;
    let mut url = String::from(config.api_uri());
    url.push_str("/runtime/auth/verify_refresh_token?app_id=");
    url.push_str(config.app_id());
    let body = Value::object([("app-id", Value::from(config.app_id())), ("refresh-token", Value::from(token))]);
    Ok(HttpRequest {
        method: "POST",
        url,
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("Instant-Admin-Version", CLIENT_VERSION.to_owned()),
            ("Instant-Core-Version", CLIENT_VERSION.to_owned()),
        ],
        body: Some(transport::stringify(&body)),
        idempotent: true,
        secret: Some(token.to_owned()),
        upload: None,
    })
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
    Ok(HttpRequest {
        method: if delete { "DELETE" } else { "GET" },
        url,
        headers: headers(config, None)?,
        body: None,
        idempotent: !delete,
        secret: who.secret(),
        upload: None,
    })
}

/// `POST /admin/sign_out` with `{"email"}`, `{"id"}` or `{"refresh_token"}`.
pub fn sign_out_request(config: &Config, who: &UserRef) -> Result<HttpRequest> {
    who.check()?;
    let mut request = post(config, "sign_out", &who.to_body())?;
    request.secret = who.secret();
    Ok(request)
}

/// `POST /admin/magic_code` (or `send_magic_code` when `send`).
pub fn magic_code_request(config: &Config, email: &str, send: bool) -> Result<HttpRequest> {
    check_email(email)?;
    post(config, if send { "send_magic_code" } else { "magic_code" }, &Value::object([("email", Value::from(email))]))
}

/// `POST /admin/verify_magic_code` with `{"email", "code", "extra-fields"?}`.
pub fn verify_magic_code_request(config: &Config, email: &str, code: &str, extra_fields: Option<&Value>) -> Result<HttpRequest> {
    check_email(email)?;
    if code.trim().is_empty() {
        return Err(Error::invalid("code", "must be the code from the email"));
    }
    let mut body = Value::object([("email", Value::from(email)), ("code", Value::from(code))]);
    if let Some(extra) = extra_fields {
        if !extra.is_object() {
            return Err(Error::invalid("extraFields", "must be an object"));
        }
        body.insert("extra-fields", extra.clone());
    }
    let mut request = post(config, "verify_magic_code", &body)?;
    // The server echoes a wrong code in its hint; a code is a credential like a token.
    request.secret = Some(code.to_owned());
    Ok(request)
}

/// `POST /admin/sign_in_guest` (the official client has no such call).
pub fn sign_in_guest_request(config: &Config) -> Result<HttpRequest> {
    post(config, "sign_in_guest", &Value::empty_object())
}

/// The user in a request's `instant_user_<appId>` cookie, if it holds one with a
/// `refresh_token`. Never fails: anything malformed is `None`.
///
/// ```
/// use instant_edge::auth::cookie_user;
/// let app = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
/// let header = format!("theme=dark; instant_user_{app}=%7B%22refresh_token%22%3A%22t%22%7D");
/// assert!(cookie_user(&header, app).is_some());
/// assert!(cookie_user("instant_user_x=%7Bbroken", app).is_none());
/// ```
pub fn cookie_user(cookie_header: &str, app_id: &str) -> Option<Value> {
    let mut name = String::from("instant_user_");
    name.push_str(app_id);
    // As the `cookie` package: pairs split on `;`, the first value of a name wins, values are
    // trimmed, unquoted and percent-decoded.
    let raw = cookie_header.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })?;
    let raw = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    let text = percent_decode(raw)?;
    let user = transport::to_value(&transport::parse(&text)?).ok()?;
    user.get("refresh_token").and_then(Value::as_str).filter(|t| !t.is_empty())?;
    Some(user)
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

/// One page of `$users`, in email order (guests, who have no email, first).
#[derive(Clone, Debug, PartialEq)]
pub struct UsersPage {
    /// The users of this page.
    pub users: Vec<User>,
    /// Pass as `after` for the next page; `None` when the page is empty.
    pub end_cursor: Option<String>,
    /// Whether more users follow.
    pub has_next_page: bool,
}

/// The opaque cursor after a user: `u1.<id>.<email>` (the email empty for guests).
///
/// ```
/// use instant_edge::auth::users_cursor;
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
/// use instant_edge::auth::list_users_query;
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

/// The page from a `list_users_query` result.
pub fn users_page(result: &Value, limit: u32) -> Result<UsersPage> {
    let rows = result.get("$users").and_then(Value::as_array).unwrap_or_default();
    let has_next_page = rows.len() > limit as usize;
    let rows = rows.get(..limit as usize).unwrap_or(rows);
    let mut users = Vec::with_capacity(rows.len());
    for row in rows {
        let mut user: User = transport::decode(transport::from_value(row))?;
        user.is_guest = user.user_type.as_deref() == Some("guest");
        users.push(user);
    }
    let end_cursor = users.last().map(|user| users_cursor(&user.id, user.email.as_deref()));
    Ok(UsersPage { users, end_cursor, has_next_page })
}

/// `db.auth()`: auth calls with the client's configuration and transport.
///
/// ```no_run
/// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
/// use instant_edge::auth::UserRef;
/// let token = db.auth().create_token(&UserRef::Email("alyssa@example.com".into())).await?;
/// let user = db.auth().verify_token(&token).await?;
/// db.auth().sign_out(&UserRef::RefreshToken(token)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Auth<'a, T: Transport> {
    db: &'a Instant<T>,
}

impl<T: Transport> Instant<T> {
    /// Auth calls.
    pub fn auth(&self) -> Auth<'_, T> {
        Auth { db: self }
    }
}

fn field<R: DeserializeOwned>(json: Json, name: &str) -> Result<R> {
    let value = transport::to_value(&json)?;
    let inner = value.get(name).cloned().unwrap_or(Value::Null);
    transport::decode(transport::from_value(&inner))
}

impl<T: Transport> Auth<'_, T> {
    async fn send(&self, request: HttpRequest) -> Result<Json> {
        self.db.call(request, &CallOptions::default()).await
    }

    /// A new refresh token for the user (created if needed): `createToken`.
    pub async fn create_token(&self, who: &UserRef) -> Result<String> {
        let json = self.send(create_token_request(self.db.config(), who)?).await?;
        let user: User = field(json, "user")?;
        user.refresh_token.ok_or_else(|| Error::Decode { message: "the answer has no refresh_token".into() })
    }

    /// The user a refresh token belongs to; an unknown token is an API error (400).
    pub async fn verify_token(&self, token: &str) -> Result<User> {
        field(self.send(verify_token_request(self.db.config(), token)?).await?, "user")
    }

    /// The user, or `None`.
    pub async fn get_user(&self, who: &UserRef) -> Result<Option<User>> {
        field(self.send(users_request(self.db.config(), who, false)?).await?, "user")
    }

    /// Deletes the user (and its sessions); the record as it was, or `None`.
    pub async fn delete_user(&self, who: &UserRef) -> Result<Option<User>> {
        field(self.send(users_request(self.db.config(), who, true)?).await?, "deleted")
    }

    /// Ends every session of the user (by email or id) or one session (by refresh token).
    pub async fn sign_out(&self, who: &UserRef) -> Result<()> {
        self.send(sign_out_request(self.db.config(), who)?).await.map(drop)
    }

    /// A magic code for `email`, without sending it.
    pub async fn generate_magic_code(&self, email: &str) -> Result<String> {
        field(self.send(magic_code_request(self.db.config(), email, false)?).await?, "code")
    }

    /// A magic code for `email`, mailed by the server (and returned).
    pub async fn send_magic_code(&self, email: &str) -> Result<String> {
        field(self.send(magic_code_request(self.db.config(), email, true)?).await?, "code")
    }

    /// Spends a magic code: the user (with a new refresh token) and whether it was created.
    pub async fn check_magic_code(&self, email: &str, code: &str, extra_fields: Option<&Value>) -> Result<(User, bool)> {
        let json = self.send(verify_magic_code_request(self.db.config(), email, code, extra_fields)?).await?;
        let value = transport::to_value(&json)?;
        let created = matches!(value.get("created"), Some(Value::Bool(true)));
        let user = transport::decode(transport::from_value(value.get("user").unwrap_or(&Value::Null)))?;
        Ok((user, created))
    }

    /// A page of users: `limit` (1–1000) after `after` (a page's `end_cursor`).
    ///
    /// ```no_run
    /// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
    /// let mut after = None;
    /// loop {
    ///     let page = db.auth().list_users(100, after.as_deref()).await?;
    ///     for user in &page.users { println!("{:?}", user.email); }
    ///     if !page.has_next_page { break; }
    ///     after = page.end_cursor;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_users(&self, limit: u32, after: Option<&str>) -> Result<UsersPage> {
        let query = list_users_query(limit, after)?;
        let request = self.db.query_request(&query, &CallOptions::default())?;
        users_page(&transport::to_value(&self.send(request).await?)?, limit)
    }

    /// A new guest user with a refresh token.
    pub async fn sign_in_guest(&self) -> Result<User> {
        field(self.send(sign_in_guest_request(self.db.config())?).await?, "user")
    }

    /// The user behind a request's `cookie` header (`instant_user_<appId>`), verified with the
    /// server unless `verify` is false; `None` when there is no usable cookie.
    pub async fn user_from_cookie(&self, cookie_header: &str, verify: bool) -> Result<Option<Value>> {
        let Some(user) = cookie_user(cookie_header, self.db.config().app_id()) else { return Ok(None) };
        if !verify {
            return Ok(Some(user));
        }
        let token = user.get("refresh_token").and_then(Value::as_str).unwrap_or_default();
        let json = self.send(verify_token_request(self.db.config(), token)?).await?;
        Ok(transport::to_value(&json)?.get("user").cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_matches_url_search_params() {
        let mut out = String::new();
        form_encode("a b+c@d.e/f~g*h", &mut out);
        assert_eq!(out, "a+b%2Bc%40d.e%2Ff%7Eg*h");
    }

    #[test]
    fn cookies_never_throw() {
        let app = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
        let good = format!("instant_user_{app}=%7B%22id%22%3A%22u%22%2C%22refresh_token%22%3A%22t%22%7D");
        assert_eq!(cookie_user(&good, app).and_then(|u| u.get("id").cloned()), Some(Value::from("u")));
        for bad in [
            String::new(),
            "garbage".into(),
            format!("instant_user_{app}="),
            format!("instant_user_{app}=%ZZ%7B"),
            format!("instant_user_{app}=%7B%22id%22%3A1%7D"),
            format!("instant_user_{app}=%7B%22refresh_token%22%3A%22%22%7D"),
            format!("instant_user_{app}=%FF%FE"),
            format!("instant_user_{app}=null"),
            format!("other_{app}=%7B%22refresh_token%22%3A%22t%22%7D"),
        ] {
            assert_eq!(cookie_user(&bad, app), None, "{bad}");
        }
    }
}
