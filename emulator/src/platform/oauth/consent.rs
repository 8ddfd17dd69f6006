//! The authorization step (platform spec §2.2–§2.3), offline: `GET /platform/oauth/start`
//! validates the request as the server does; then either the configured consent user consents
//! at once (a code straight to the redirect URL), or a consent in progress is recorded for the
//! local consent page, which posts to `/grant` or `/deny` with the redirect id, the grant token,
//! the `__session` cookie and (an emulator addition standing for the dashboard login) the email
//! of the user who consents.
//!
//! The server shows failures before it has a trustworthy redirect URL as an HTML error page
//! (here [`ErrorPage`]); failures after it redirect with `error=…` instead.

use serde_json::{json, Value};
use uuid::Uuid;

use super::pkce::PkceMethod;
use super::url::{add_query_params, redirect_url_errors, Uri};
use super::{
    expired, get_optional_param, get_param, non_blank, scope_text, uuid_value, AuthorizationRequest, Code, OAuth, Params, Redirect,
    CODE_LIFETIME_MS,
};
use crate::error::{ApiError, ApiResult};
use crate::platform::auth::role_on_app;
use crate::platform::identity::{lookup_key, Scope, User};
use crate::platform::EPHEMERAL_CREATOR_EMAIL;
use crate::Store;

/// The cookie a consent in progress is bound to.
pub const SESSION_COOKIE: &str = "__session";

/// How long the session cookie lives, in seconds (an hour, as on the server).
pub const SESSION_COOKIE_MAX_AGE_S: u32 = 60 * 60;

/// The session cookie's value for `cookie` (`format-cookie`).
pub fn session_cookie_value(cookie: Uuid) -> String {
    format!("instantdb_{cookie}")
}

/// The UUID in a session cookie's value (`parse-cookie`); anything else reads as no cookie.
pub fn parse_session_cookie(value: &str) -> Option<Uuid> {
    value.strip_prefix("instantdb_").and_then(crate::values::coerce_uuid)
}

/// An HTML error page's content: the server's message, plus what its validation hint lists
/// (the server's own page shows the message alone, which for validations is only "Validation
/// failed for redirect_uri").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorPage {
    /// The message the server's page shows.
    pub message: String,
    /// The validation errors behind it, if any.
    pub details: Vec<String>,
}

impl From<ApiError> for ErrorPage {
    fn from(error: ApiError) -> ErrorPage {
        match error {
            ApiError::Instant { message, hint, .. } => {
                let details = hint
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|errors| {
                        errors
                            .iter()
                            .filter_map(|e| e.as_str().or_else(|| e.get("message").and_then(Value::as_str)))
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                ErrorPage { message, details }
            }
            ApiError::MalformedJson => ErrorPage { message: "Malformed JSON in request body.".into(), details: Vec::new() },
            ApiError::PayloadTooLarge { .. } => ErrorPage { message: "The request body is too large.".into(), details: Vec::new() },
            ApiError::RouteNotFound => ErrorPage { message: "Oops! We couldn't match this route.".into(), details: Vec::new() },
        }
    }
}

/// What the local consent page shows and posts back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentPage {
    /// `redirect_id` form field.
    pub redirect_id: Uuid,
    /// `grant_token` form field.
    pub grant_token: Uuid,
    /// The session cookie to set (see [`session_cookie_value`]).
    pub cookie: Uuid,
    /// The OAuth app's name.
    pub app_name: String,
    /// Its support address.
    pub support_email: Option<String>,
    /// The host the code will be sent to.
    pub redirect_host: Option<String>,
    /// What is asked for.
    pub scopes: Vec<Scope>,
    /// Instant users to pick from (the ephemeral-apps service user left out), by email.
    pub known_emails: Vec<String>,
}

/// What `/start` answers when the request is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartAnswer {
    /// Consented at once: 302 to this URL (`redirect_uri?code=…&state=…&scope=…`).
    Redirect(String),
    /// Show this consent page.
    Consent(ConsentPage),
}

/// `GET /platform/oauth/start` with its query parameters.
pub fn start(store: &mut Store, params: &Params) -> Result<StartAnswer, ErrorPage> {
    let request = validate_start(&store.platform.oauth, params)?;
    let now = store.now_ms();
    if let Some(email) = store.platform.oauth.consent_email().map(str::to_owned) {
        let user = store.platform.identity.ensure_user(&email, None);
        may_authorize(store, &request, &user)?;
        return Ok(StartAnswer::Redirect(issue_code(&mut store.platform.oauth, request, user.id, now)));
    }
    let Some((_, app)) = store.platform.oauth.client(request.client_id) else {
        return Err(unknown_client(request.client_id).into());
    };
    let mut known_emails: Vec<String> =
        store.platform.identity.users().map(|u| u.email.clone()).filter(|e| e != EPHEMERAL_CREATOR_EMAIL).collect();
    known_emails.sort();
    let page = ConsentPage {
        redirect_id: Uuid::new_v4(),
        grant_token: Uuid::new_v4(),
        cookie: Uuid::new_v4(),
        app_name: app.app_name.clone(),
        support_email: app.support_email.clone(),
        redirect_host: Uri::parse(&request.redirect_uri).host,
        scopes: request.scopes.clone(),
        known_emails,
    };
    let redirect = Redirect {
        request,
        grant_token: lookup_key(&page.grant_token.to_string()),
        cookie: lookup_key(&page.cookie.to_string()),
        expires_at: now.saturating_add(CODE_LIFETIME_MS),
    };
    store.platform.oauth.insert_redirect(page.redirect_id, redirect);
    Ok(StartAnswer::Consent(page))
}

fn custom(error_type: &'static str, message: &str, hint: Value) -> ApiError {
    ApiError::bad_request(error_type, message, hint)
}

fn unknown_client(client_id: Uuid) -> ApiError {
    ApiError::record_not_found("oauth-app-client", json!({"args": [{"client-id": client_id.to_string()}]}))
}

/// `a`, `a and b`, `a, b, and c` (`join-in-sentence`).
fn join_in_sentence(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// `oauth-start`'s checks, in its order. Unknown scopes are found only when the scope list is
/// first used, as the server's lazy sequence is: at the granted-scope check of a public app,
/// else after the redirect URL checks.
fn validate_start(oauth: &OAuth, params: &Params) -> ApiResult<AuthorizationRequest> {
    let client_id = get_param(params, &["params", "client_id"], uuid_value)?;
    let redirect_uri = get_param(params, &["params", "redirect_uri"], non_blank)?;
    let response_type = get_param(params, &["params", "response_type"], non_blank)?;
    if response_type != "code" {
        return Err(custom("param-malformed", "`response_type` parameter must have value `code`", Value::Null));
    }
    let scope_input = get_param(params, &["params", "scope"], non_blank)?;
    let scopes = || -> ApiResult<Vec<Scope>> {
        scope_input
            .split(' ')
            .map(|name| {
                Scope::parse(name).ok_or_else(|| {
                    custom("param-malformed", &format!("Invalid scope {name}"), json!({"scope-input": scope_input, "invalid-scope": name}))
                })
            })
            .collect()
    };
    let state = get_param(params, &["params", "state"], non_blank)?;
    let challenge = get_optional_param(params, &["params", "code_challenge"], non_blank)?;
    let method = get_optional_param(params, &["params", "code_challenge_method"], |v| v.as_str().and_then(PkceMethod::parse))?;
    if method.is_some() && challenge.is_none() {
        let reason = "The code_challenge param must be provided when code_challenge_method is provided";
        return Err(ApiError::validation("code-challenge", Value::Null, vec![json!(reason)]));
    }
    if challenge.is_some() && method.is_none() {
        let reason = "The code_challenge_method param must be provided when code_challenge is provided";
        return Err(ApiError::validation("code-challenge-method", Value::Null, vec![json!(reason)]));
    }
    let (client, app) = oauth.client(client_id).ok_or_else(|| unknown_client(client_id))?;
    if app.is_public {
        let requested = scopes()?;
        let missing: Vec<&str> = requested.iter().filter(|s| !app.granted_scopes.contains(s)).map(|s| s.name()).collect();
        if !missing.is_empty() {
            let reason = format!("this OAuth app has not been granted the {} scopes", join_in_sentence(&missing));
            return Err(ApiError::validation("scope", json!(scope_input), vec![json!(reason)]));
        }
    }
    // The server's checks list bare strings, so its message is only "Validation failed for
    // redirect_uri"; the strings stay in the hint.
    if !client.authorized_redirect_urls.contains(&redirect_uri) {
        let reason = "The redirect_uri does not appear in the set of authorized redirect uri for the OAuth client.";
        return Err(ApiError::validation("redirect_uri", json!(redirect_uri), vec![json!(reason)]));
    }
    let errors = redirect_url_errors(&redirect_uri, !app.is_public);
    if !errors.is_empty() {
        return Err(ApiError::validation("redirect_uri", json!(redirect_uri), errors.into_iter().map(|e| json!(e)).collect()));
    }
    let scopes = scopes()?;
    Ok(AuthorizationRequest { client_id, redirect_uri, state, scopes, challenge: challenge.zip(method) })
}

/// Whether `user` may authorise the request (the dashboard's `claim-oauth-redirect`): anyone
/// for a public app redirecting elsewhere than `localhost`; else a member of the app's
/// emulator app (creator, collaborator or org member) or its owner. An app with neither is
/// open to all.
fn may_authorize(store: &Store, request: &AuthorizationRequest, user: &User) -> ApiResult<()> {
    let (_, app) = store.platform.oauth.client(request.client_id).ok_or_else(|| unknown_client(request.client_id))?;
    let localhost = Uri::parse(&request.redirect_uri).host.as_deref() == Some("localhost");
    if app.is_public && !localhost {
        return Ok(());
    }
    let member = match (app.app_id, app.owner_id) {
        (None, None) => true,
        (app_id, owner) => {
            owner == Some(user.id)
                || match app_id {
                    Some(app_id) => role_on_app(store, user.id, app_id)?.is_some(),
                    None => false,
                }
        }
    };
    if member {
        return Ok(());
    }
    let message = if !app.is_public {
        "This OAuth app is not public, only members of the app may use it."
    } else {
        "Redirects to localhost can only be used by members of the app."
    };
    Err(custom("permission-denied", message, Value::Null))
}

/// A fresh code for `user_id`'s consent to `request`; the URL to send the browser to.
fn issue_code(oauth: &mut OAuth, request: AuthorizationRequest, user_id: Uuid, now: i64) -> String {
    let code = Uuid::new_v4();
    let location = add_query_params(
        &request.redirect_uri,
        &[("code", &code.to_string()), ("state", &request.state), ("scope", &scope_text(&request.scopes))],
    );
    oauth.insert_code(code, Code { request, user_id, expires_at: now.saturating_add(CODE_LIFETIME_MS) });
    location
}

/// The user who consents: the form's `email`, else the configured consent user.
fn consenting_email(oauth: &OAuth, params: &Params) -> ApiResult<String> {
    let typed = get_optional_param(params, &["params", "email"], |v| v.as_str().and_then(crate::users::coerce_email))?;
    typed.or_else(|| oauth.consent_email().map(str::to_owned)).ok_or_else(|| ApiError::param_missing(&["params", "email"], None))
}

/// The cookie check both `/grant` and `/deny` make; `param-missing` either way, as on the server.
fn check_cookie(redirect: &Redirect, cookie: Option<&str>) -> ApiResult<()> {
    let Some(cookie) = cookie.and_then(parse_session_cookie) else {
        return Err(custom("param-missing", "Missing cookie.", Value::Null));
    };
    if lookup_key(&cookie.to_string()) != redirect.cookie {
        return Err(custom("param-missing", "Invalid cookie.", Value::Null));
    }
    Ok(())
}

/// `POST /platform/oauth/grant` (form `redirect_id`, `grant_token`, `email`; `cookie` is the
/// `__session` cookie's value). `Ok` is where to send the browser: the redirect URL with a code,
/// or with `error=invalid_request|server_error` once the consent was found; `Err` is a page.
pub fn grant(store: &mut Store, params: &Params, cookie: Option<&str>) -> Result<String, ErrorPage> {
    let redirect_id = get_param(params, &["params", "redirect_id"], uuid_value)?;
    let grant_token = get_param(params, &["params", "grant_token"], uuid_value)?;
    // Checked before the consent is used up, so a mistyped email can be corrected.
    let email = consenting_email(&store.platform.oauth, params)?;
    let now = store.now_ms();
    let redirect = store
        .platform
        .oauth
        .take_redirect(redirect_id)
        .filter(|r| r.grant_token == lookup_key(&grant_token.to_string()))
        .ok_or_else(|| ApiError::record_not_found("oauth-app-redirect", json!({"args": [{"redirect-id": redirect_id.to_string()}]})))?;
    if redirect.expires_at <= now {
        return Err(expired("oauth-app-redirect", redirect.expires_at).into());
    }
    let checked = store.platform.oauth.client(redirect.request.client_id).ok_or_else(|| unknown_client(redirect.request.client_id));
    if let Err(error) = checked.map(|_| ()).and_then(|()| check_cookie(&redirect, cookie)) {
        let kind = match error.error_type() {
            Some("param-missing" | "param-malformed") => "invalid_request",
            _ => "server_error",
        };
        let message = ErrorPage::from(error).message;
        let params = [("error", kind), ("error_description", message.as_str()), ("state", redirect.request.state.as_str())];
        return Ok(add_query_params(&redirect.request.redirect_uri, &params));
    }
    let user = store.platform.identity.ensure_user(&email, None);
    may_authorize(store, &redirect.request, &user)?;
    Ok(issue_code(&mut store.platform.oauth, redirect.request, user.id, now))
}

/// `POST /platform/oauth/deny` (form `redirect_id`, `grant_token`): the consent ends and the
/// browser goes to `redirect_uri?error=access_denied&state=…`. Errors are ordinary JSON ones;
/// the grant token must be a UUID but is not compared, as on the server.
pub fn deny(store: &mut Store, params: &Params, cookie: Option<&str>) -> ApiResult<String> {
    let redirect_id = get_param(params, &["params", "redirect_id"], uuid_value)?;
    get_param(params, &["params", "grant_token"], uuid_value)?;
    let redirect = store
        .platform
        .oauth
        .take_redirect(redirect_id)
        .ok_or_else(|| ApiError::record_not_found("oauth-app-redirect", json!({"args": [{"redirect-id": redirect_id.to_string()}]})))?;
    check_cookie(&redirect, cookie)?;
    Ok(add_query_params(&redirect.request.redirect_uri, &[("error", "access_denied"), ("state", &redirect.request.state)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(join_in_sentence(&["a"]), "a");
        assert_eq!(join_in_sentence(&["a", "b"]), "a and b");
        assert_eq!(join_in_sentence(&["a", "b", "c"]), "a, b, and c");
    }

    #[test]
    fn session_cookies_carry_a_prefixed_uuid() {
        let id = Uuid::new_v4();
        assert_eq!(parse_session_cookie(&session_cookie_value(id)), Some(id));
        assert_eq!(parse_session_cookie(&id.to_string()), None);
    }

    #[test]
    fn validation_pages_show_the_servers_message_and_the_reasons() {
        let error = ApiError::validation("redirect_uri", json!("x"), vec![json!("one"), json!("two")]);
        let page = ErrorPage::from(error);
        assert_eq!(page.message, "Validation failed for redirect_uri");
        assert_eq!(page.details, ["one", "two"]);
    }
}
