//! Who is calling, read from the request: app id, admin token (or an Instant user's personal
//! or OAuth token, platform spec §1.2–§1.3) and impersonation headers (spec §1.4–§1.6), turned
//! into a [`Caller`].

use axum::http::HeaderMap;
use serde_json::{json, Value};
use uuid::Uuid;

use super::Params;
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::platform::auth as platform_auth;
use crate::platform::identity::{ACCESS_TOKEN_PREFIX, PERSONAL_TOKEN_PREFIX};
use crate::platform::{Bearer, Scope};
use crate::values::coerce_uuid;
use crate::Store;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or(""))
}

/// `app-id` header first, `app_id` query parameter second; the first present one must parse.
pub fn app_id_untrusted(headers: &HeaderMap, params: &Params) -> ApiResult<Uuid> {
    let possible = json!([["query-params", "app_id"]]);
    if let Some(raw) = header(headers, "app-id") {
        return coerce_uuid(raw)
            .ok_or_else(|| ApiError::param_malformed(&["headers", "app-id"], json!(raw), Some(json!({"possible-ins": possible}))));
    }
    if let Some(raw) = params.get("app_id") {
        return coerce_uuid(raw)
            .ok_or_else(|| ApiError::param_malformed(&["query-params", "app_id"], json!(raw), Some(json!({"possible-ins": possible}))));
    }
    Err(ApiError::param_missing(&["headers", "app-id"], Some(json!({"possible-ins": possible}))))
}

/// The token of an `Authorization` header as `req->app-id-authed!` reads it: the text after
/// the last `Bearer ` (or the whole value), trimmed, classified by prefix; `None` when it is
/// neither a known prefix nor a UUID.
fn admin_api_bearer(raw: &str) -> (&str, Option<Bearer>) {
    let text = raw.rsplit("Bearer ").next().unwrap_or("").trim();
    let bearer = if text.starts_with(ACCESS_TOKEN_PREFIX) {
        Some(Bearer::Access(text.to_owned()))
    } else if text.starts_with(PERSONAL_TOKEN_PREFIX) {
        Some(Bearer::Personal(text.to_owned()))
    } else if text.starts_with("eyJ") {
        Some(Bearer::Jwt)
    } else {
        coerce_uuid(text).map(Bearer::Uuid)
    };
    (text, bearer)
}

/// App id plus a caller allowed on it (`req->app-id-authed!`), for every `/admin/*` route; each
/// route names the OAuth scope its kind of access needs (platform spec §1.3): reads
/// `data-read`, writes `data-write`, storage `storage-write` (`storage-read` for the signed
/// download URL), the schema `apps-read`.
///
/// 1. The app's admin token: this app, whatever `scope` is.
/// 2. A user token (`pat_`, `per_`, or a UUID that is a legacy PAT): the user, scope checked
///    for `pat_` tokens only, who must be the app's creator
///    ([`platform_auth::resolve_admin_api_user`]; collaborators are refused).
/// 3. Anything else: `Record not found: app-admin-token` (spec §1.5).
pub fn app_id_authed(store: &Store, headers: &HeaderMap, params: &Params, scope: Scope) -> ApiResult<Uuid> {
    let app_id = app_id_untrusted(headers, params)?;
    let Some(raw) = header(headers, "authorization") else {
        return Err(ApiError::param_missing(&["headers", "authorization"], None));
    };
    let (token_text, bearer) = admin_api_bearer(raw);
    let Some(bearer) = bearer else {
        return Err(ApiError::param_malformed(&["headers", "authorization"], json!(raw), None));
    };
    if let Bearer::Uuid(token) = bearer {
        if store.apps.get(&app_id).is_some_and(|app| app.admin_token == token) {
            return Ok(app_id);
        }
    }
    if platform_auth::is_user_token(store, &bearer) {
        platform_auth::resolve_admin_api_user(store, &bearer, app_id, scope)?;
        return Ok(app_id);
    }
    Err(ApiError::record_not_found(
        "app-admin-token",
        json!({
            "args": [{"app-id": app_id.to_string(), "token": token_text}],
            "message": "This admin token may be expired or invalid. Or you may have provided an incorrect app ID.",
        }),
    ))
}

fn user_not_found(app_id: Uuid, key: &str, value: Value) -> ApiError {
    ApiError::record_not_found("app-user", json!({"args": [{"app-id": app_id.to_string(), key: value}]}))
}

/// Who is asking, from the headers (`get-perms!`): `as-token` > `as-email` > `as-guest` > admin.
/// `scope` is what the route needs when the `Authorization` header is read (`as-email` and
/// admin), see [`app_id_authed`].
pub fn caller(store: &Store, headers: &HeaderMap, params: &Params, scope: Scope) -> ApiResult<Caller> {
    if let Some(raw) = header(headers, "as-token") {
        let app_id = app_id_untrusted(headers, params)?;
        let Some(token) = coerce_uuid(raw) else {
            return Err(ApiError::param_malformed(&["asUser", "token"], json!(raw), None));
        };
        let user = store.apps.get(&app_id).and_then(|app| crate::users::by_refresh_token(app, token));
        return match user {
            Some(user) => Ok(Caller::user(app_id, user)),
            None => Err(user_not_found(app_id, "refresh-token", json!(token.to_string()))),
        };
    }
    if let Some(email) = header(headers, "as-email") {
        let app_id = app_id_authed(store, headers, params, scope)?;
        let user = store.apps.get(&app_id).and_then(|app| crate::users::by_email(app, email));
        return match user {
            Some(user) => Ok(Caller::user(app_id, user)),
            None => Err(user_not_found(app_id, "email", json!(email))),
        };
    }
    if header(headers, "as-guest").is_some() {
        let app_id = app_id_untrusted(headers, params)?;
        return Ok(Caller::guest(app_id));
    }
    let app_id = app_id_authed(store, headers, params, scope)?;
    Ok(Caller::admin(app_id))
}
