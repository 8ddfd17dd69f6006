//! Control routes for the Platform side (never Instant's API): make Instant users with personal
//! access tokens, orgs, app collaborators, and OAuth access tokens without the OAuth dance.
//! Everything here is forgotten on `/__emulator/reset`, except the `--platform-token` tokens and
//! their user.
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `POST /__emulator/platform/users` | `{"email"}` | `{"id", "email", "personal-access-token"}`: the user (created if new) and a fresh PAT |
//! | `POST /__emulator/platform/orgs` | `{"title", "members": [{"email", "role"}]}` | `{"id", "title", "created_at", "updated_at", "members": [{"user-id", "email", "role"}]}` (unknown emails become users) |
//! | `POST /__emulator/platform/apps/{app_id}/members` | `{"email", "role"}` | `{"app-id", "user-id", "email", "role"}`: a collaborator of one app |
//! | `POST /__emulator/platform/oauth-tokens` | `{"email", "scopes": "apps-read apps-write", "expires-in-s"?}` | `{"access-token", "user-id", "scopes", "expires-at"}`: a `pat_` token (two weeks unless told) |
//! | `POST /__emulator/platform/oauth-clients` | `{"app-name", "redirect-urls": [...], "public"?, "granted-scopes"?, "owner-email"?, "app-id"?, "support-email"?}` | `{"client-id", "client-secret", "oauth-app-id"}`: an OAuth app with one client |
//! | `POST /__emulator/platform/oauth-consent` | `{"email": "…" or null}` | `{"email"}`: who `/platform/oauth/start` consents as without a consent page (`null`: show the page) |
//!
//! Roles are `owner`, `admin` or `collaborator`; scopes the six of platform spec §1.3.
//!
//! OAuth clients: `public` defaults to false (a "test mode" app: localhost redirects allowed,
//! only its members may consent); `granted-scopes` (what a public app may ask for) to all six.
//! Members are those of the emulator app `app-id` and the user `owner-email`; with neither,
//! anyone may consent. Redirect URLs follow platform spec §2.1 and are matched exactly.
//! `/__emulator/reset` forgets every OAuth client, code and token; the consent user goes back
//! to `--oauth-consent-email`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::control::{answer, control_error, no_app, parse_app_id, parse_body};
use super::not_found;
use crate::error::ApiResult;
use crate::platform::identity::{generate_access_token, ACCESS_TOKEN_LIFETIME_MS};
use crate::platform::oauth::NewClient;
use crate::platform::{AccessToken, Role, Scope, User};
use crate::values::iso_seconds;
use crate::{Emulator, Store};

/// The platform control routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/__emulator/platform/users", post(create_user).fallback(not_found))
        .route("/__emulator/platform/orgs", post(create_org).fallback(not_found))
        .route("/__emulator/platform/apps/{app_id}/members", post(add_app_member).fallback(not_found))
        .route("/__emulator/platform/oauth-tokens", post(create_oauth_token).fallback(not_found))
        .route("/__emulator/platform/oauth-clients", post(create_oauth_client).fallback(not_found))
        .route("/__emulator/platform/oauth-consent", post(set_oauth_consent).fallback(not_found))
}

/// The `email` of `body`, normalised as the server normalises emails.
fn email(body: &Value) -> ApiResult<String> {
    body.get("email")
        .and_then(Value::as_str)
        .and_then(crate::users::coerce_email)
        .ok_or_else(|| control_error("`email` must be an email address"))
}

fn role(value: Option<&Value>) -> ApiResult<Role> {
    value
        .and_then(Value::as_str)
        .and_then(Role::parse)
        .ok_or_else(|| control_error("`role` must be \"owner\", \"admin\" or \"collaborator\""))
}

fn user_for(store: &mut Store, email: &str) -> User {
    store.platform.identity.ensure_user(email, None)
}

/// `POST /__emulator/platform/users`: a second call with the same email keeps the user and
/// adds another token.
async fn create_user(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let email = email(&body)?;
        let mut store = emulator.store();
        let user = user_for(&mut store, &email);
        let token = store.platform.identity.create_personal_token(user.id);
        Ok(json!({"id": user.id.to_string(), "email": user.email, "personal-access-token": token}))
    })())
}

/// `POST /__emulator/platform/orgs`.
async fn create_org(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let title = body
            .get("title")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| control_error("`title` must be a non-blank string"))?
            .to_owned();
        let entries = match body.get("members") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(entries)) => entries.clone(),
            Some(_) => return Err(control_error("`members` must be an array of {\"email\", \"role\"}")),
        };
        let mut wanted: Vec<(String, Role)> = Vec::new();
        for entry in &entries {
            let email = email(entry)?;
            if wanted.iter().any(|(e, _)| *e == email) {
                return Err(control_error(format!("{email} is listed twice")));
            }
            wanted.push((email, role(entry.get("role"))?));
        }
        let mut store = emulator.store();
        let members: Vec<(User, Role)> = wanted.iter().map(|(email, role)| (user_for(&mut store, email), *role)).collect();
        let now = store.now_ms();
        let org = store.platform.identity.create_org(&title, members.iter().map(|(u, r)| (u.id, *r)).collect(), now);
        let listed: Vec<Value> =
            members.iter().map(|(u, r)| json!({"user-id": u.id.to_string(), "email": u.email, "role": r.name()})).collect();
        Ok(json!({
            "id": org.id.to_string(),
            "title": org.title,
            "created_at": iso_seconds(org.created_at),
            "updated_at": iso_seconds(org.updated_at),
            "members": listed,
        }))
    })())
}

/// `POST /__emulator/platform/apps/{app_id}/members`: sets (or replaces) one collaborator's role.
async fn add_app_member(State(emulator): State<Emulator>, Path(app_id): Path<String>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let app_id = parse_app_id(&app_id)?;
        let email = email(&body)?;
        let role = role(body.get("role"))?;
        let mut store = emulator.store();
        if !store.apps.contains_key(&app_id) {
            return Err(no_app(app_id));
        }
        let user = user_for(&mut store, &email);
        store.platform.identity.set_app_member(app_id, user.id, role);
        Ok(json!({"app-id": app_id.to_string(), "user-id": user.id.to_string(), "email": user.email, "role": role.name()}))
    })())
}

/// `POST /__emulator/platform/oauth-tokens`: what `/platform/oauth/token` would issue, minus the
/// consent. `expires-in-s` of 0 makes a token that is already expired.
async fn create_oauth_token(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let email = email(&body)?;
        let scopes_text =
            body.get("scopes").and_then(Value::as_str).ok_or_else(|| control_error("`scopes` must be a space-separated string"))?;
        let scopes = Scope::parse_list(scopes_text).map_err(|unknown| control_error(format!("unknown scope `{unknown}`")))?;
        let lifetime_ms = match body.get("expires-in-s") {
            None | Some(Value::Null) => ACCESS_TOKEN_LIFETIME_MS,
            Some(value) => value
                .as_u64()
                .and_then(|s| i64::try_from(s).ok())
                .and_then(|s| s.checked_mul(1000))
                .ok_or_else(|| control_error("`expires-in-s` must be a non-negative integer"))?,
        };
        let mut store = emulator.store();
        let expires_at = store.now_ms().saturating_add(lifetime_ms);
        let user = user_for(&mut store, &email);
        let token = generate_access_token();
        let grant = AccessToken { user_id: user.id, scopes: scopes.clone(), expires_at };
        store.platform.identity.insert_access_token(&token, grant);
        let names: Vec<&str> = scopes.iter().map(|s| s.name()).collect();
        Ok(json!({
            "access-token": token,
            "user-id": user.id.to_string(),
            "scopes": names.join(" "),
            "expires-at": iso_seconds(expires_at),
        }))
    })())
}

/// An optional email field, normalised.
fn optional_email(body: &Value, key: &str) -> ApiResult<Option<String>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(crate::users::coerce_email)
            .map(Some)
            .ok_or_else(|| control_error(format!("`{key}` must be an email address"))),
    }
}

/// `POST /__emulator/platform/oauth-clients`: an OAuth app and its client, with the one secret
/// this answer shows (only its hash is kept).
async fn create_oauth_client(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let app_name = body
            .get("app-name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| control_error("`app-name` must be a non-blank string"))?
            .to_owned();
        let redirect_urls: Vec<String> = body
            .get("redirect-urls")
            .and_then(Value::as_array)
            .and_then(|urls| urls.iter().map(|u| u.as_str().map(str::to_owned)).collect())
            .ok_or_else(|| control_error("`redirect-urls` must be an array of URLs"))?;
        let is_public = match body.get("public") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => return Err(control_error("`public` must be a boolean")),
        };
        let granted_scopes = match body.get("granted-scopes") {
            None | Some(Value::Null) => Scope::ALL.to_vec(),
            Some(value) => {
                let text = value.as_str().ok_or_else(|| control_error("`granted-scopes` must be a space-separated string"))?;
                Scope::parse_list(text).map_err(|unknown| control_error(format!("unknown scope `{unknown}`")))?
            }
        };
        let owner_email = optional_email(&body, "owner-email")?;
        let support_email = optional_email(&body, "support-email")?;
        let app_id = match body.get("app-id") {
            None | Some(Value::Null) => None,
            Some(value) => Some(value.as_str().map(parse_app_id).unwrap_or_else(|| Err(control_error("app id must be a UUID")))?),
        };
        let mut store = emulator.store();
        if let Some(app_id) = app_id {
            if !store.apps.contains_key(&app_id) {
                return Err(no_app(app_id));
            }
        }
        let owner_id = owner_email.map(|email| user_for(&mut store, &email).id);
        let new = NewClient { app_name, redirect_urls, is_public, granted_scopes, app_id, owner_id, support_email };
        let (client_id, secret) = store.platform.oauth.create_client(new).map_err(control_error)?;
        let oauth_app_id = store.platform.oauth.client(client_id).map(|(c, _)| c.oauth_app_id.to_string());
        Ok(json!({"client-id": client_id.to_string(), "client-secret": secret, "oauth-app-id": oauth_app_id}))
    })())
}

/// `POST /__emulator/platform/oauth-consent`: who consents at `/platform/oauth/start` from now
/// on (`null`: nobody, show the consent page). The user is made when first used.
async fn set_oauth_consent(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        if body.get("email").is_none() {
            return Err(control_error("`email` must be an email address or null"));
        }
        let email = optional_email(&body, "email")?;
        emulator.store().platform.oauth.set_consent_email(email.clone());
        Ok(json!({ "email": email }))
    })())
}
