//! Who is calling, read from the request: app id, admin token and impersonation headers
//! (spec §1.4–§1.6), turned into a [`Caller`].

use axum::http::HeaderMap;
use serde_json::{json, Value};
use uuid::Uuid;

use super::Params;
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
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

/// App id plus a valid admin token for it (`req->app-id-authed!`).
pub fn app_id_authed(store: &Store, headers: &HeaderMap, params: &Params) -> ApiResult<Uuid> {
    let app_id = app_id_untrusted(headers, params)?;
    let Some(raw) = header(headers, "authorization") else {
        return Err(ApiError::param_missing(&["headers", "authorization"], None));
    };
    let token_text = raw.rsplit("Bearer ").next().unwrap_or("").trim();
    let known_prefix = ["pat_", "per_", "eyJ"].iter().any(|p| token_text.starts_with(p));
    let token = coerce_uuid(token_text);
    if token.is_none() && !known_prefix {
        return Err(ApiError::param_malformed(&["headers", "authorization"], json!(raw), None));
    }
    let valid = match (token, store.apps.get(&app_id)) {
        (Some(token), Some(app)) => app.admin_token == token,
        _ => false,
    };
    if valid {
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
pub fn caller(store: &Store, headers: &HeaderMap, params: &Params) -> ApiResult<Caller> {
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
        let app_id = app_id_authed(store, headers, params)?;
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
    let app_id = app_id_authed(store, headers, params)?;
    Ok(Caller::admin(app_id))
}
