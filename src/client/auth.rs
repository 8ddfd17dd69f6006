//! `db.auth()`: the auth calls (spec §3.8–§3.16, §7) over the request builders of
//! [`crate::request::auth`].

use crate::prelude::*;
use serde::de::DeserializeOwned;

use super::{CallOptions, Instant};
use crate::answer;
use crate::error::{Error, Result};
use crate::host::{self, Json, Transport};
use crate::http::HttpRequest;
use crate::json::JsonView;
pub use crate::models::{User, UsersPage};
pub use crate::request::auth::*;
use crate::Value;

/// The page from a `list_users_query` result (picked by [`answer::users_page`]).
pub fn users_page(result: &Json, limit: u32) -> Result<UsersPage> {
    let page = answer::users_page(result, limit);
    let mut users = Vec::with_capacity(page.users.len());
    for row in page.users {
        let mut user: User = host::decode(row)?;
        user.is_guest = user.user_type.as_deref() == Some("guest");
        users.push(user);
    }
    Ok(UsersPage { users, end_cursor: page.end_cursor, has_next_page: page.has_next_page })
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
    host::decode(json.field(name).unwrap_or_else(|| host::from_value(&Value::Null)))
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
    let user = host::to_value(&host::parse(&cookie_text(cookie_header, app_id)?)?);
    user.get("refresh_token").and_then(Value::as_str).filter(|t| !t.is_empty())?;
    Some(user)
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
        let json = self.send(verify_magic_code_request(self.db.config(), email, code, extra_fields.as_ref())?).await?;
        let (user, created) = answer::user_created(&json);
        Ok((host::decode(user.unwrap_or_else(|| host::from_value(&Value::Null)))?, created))
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
        let request = self.db.query_request(&&list_users_query(limit, after)?, None)?;
        users_page(&self.send(request).await?, limit)
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
        Ok(host::to_value(&json).get("user").cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_matches_url_search_params() {
        let mut out = String::new();
        crate::http::form_encode("a b+c@d.e/f~g*h", &mut out);
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
