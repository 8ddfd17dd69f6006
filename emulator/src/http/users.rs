//! Auth routes (spec §3.8–§3.16, semantics §7): users, sign-out, magic codes, guests and the
//! runtime token check. Every write goes to a copy of the app that replaces it on success.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::admin::{respond, write, JsonRequest};
use super::{auth, Params};
use crate::error::{ApiError, ApiResult};
use crate::platform::Scope;
use crate::store::{App, OutboxMessage, RateLimitKind};
use crate::{users, Emulator, Store};

/// A user record with its new refresh token (`{..., "refresh_token": ...}`).
fn with_token(app: &App, user: Uuid, token: Uuid) -> Value {
    let mut record = users::record(app, user);
    if let Value::Object(map) = &mut record {
        map.insert("refresh_token".into(), json!(token.to_string()));
    }
    record
}

/// Spends a magic-code rate-limit token on the app itself, not on a `write()` copy: the token
/// stays spent whatever happens to the rest of the request (§3.13, §3.14).
fn spend_token(store: &mut Store, app_id: Uuid, kind: RateLimitKind, email: &str) -> ApiResult<()> {
    let now = store.now_ms();
    let app = store.apps.get_mut(&app_id).ok_or_else(ApiError::unknown)?;
    users::spend_magic_code_token(app, kind, email, now)
}

fn email_in(value: &Value, path: &[&str]) -> ApiResult<String> {
    value.as_str().and_then(users::coerce_email).ok_or_else(|| ApiError::param_malformed(path, value.clone(), None))
}

fn uuid_in(value: &Value, path: &[&str]) -> ApiResult<Uuid> {
    value.as_str().and_then(crate::values::coerce_uuid).ok_or_else(|| ApiError::param_malformed(path, value.clone(), None))
}

fn extra_fields(request: &JsonRequest) -> ApiResult<Map<String, Value>> {
    match request.field("extra-fields") {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(other) => Err(ApiError::param_malformed(&["body", "extra-fields"], other.clone(), None)),
    }
}

/// `POST /admin/refresh_tokens` (§3.11): find (by email, else id) or create the user, issue a
/// new refresh token.
pub async fn refresh_tokens(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = auth::app_id_authed(&store, &request.headers, &request.params, Scope::DataWrite)?;
        let email = request.field("email").map(|raw| email_in(raw, &["body", "email"])).transpose()?;
        let id = request.field("id").map(|raw| uuid_in(raw, &["body", "id"])).transpose()?;
        if email.is_none() && id.is_none() {
            return Err(ApiError::validation_msg("body", request.body.clone().unwrap_or(Value::Null), "Please provide an `email` or `id`"));
        }
        let extra = extra_fields(&request)?;
        write(&mut store, app_id, |app, now| {
            let (user, created) = users::find_or_create(app, email.as_deref(), id, &extra, now)?;
            let token = users::issue_refresh_token(app, user, now);
            Ok(json!({"user": with_token(app, user, token), "created": created}))
        })
    })
}

/// `email`, then `refresh_token`, then `id` from the query string (§3.8); `None` when absent.
fn user_from_params(app: &App, params: &Params) -> ApiResult<Option<Uuid>> {
    if let Some(raw) = params.get("email") {
        let email = email_in(&json!(raw), &["params", "email"])?;
        return Ok(users::by_email(app, &email));
    }
    if let Some(raw) = params.get("refresh_token") {
        let token = uuid_in(&json!(raw), &["params", "refresh_token"])?;
        return Ok(users::by_refresh_token(app, token));
    }
    if let Some(raw) = params.get("id") {
        let id = uuid_in(&json!(raw), &["params", "id"])?;
        return Ok(app.exists("$users", id).then_some(id));
    }
    Err(ApiError::validation_msg("params", json!(params), "Please provide a user id, email, or refresh_token"))
}

/// `GET /admin/users` (§3.8): `{"user": record | null}`.
pub async fn get_user(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>, headers: HeaderMap) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let app_id = auth::app_id_authed(&store, &headers, &params, Scope::DataRead)?;
        let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
        let user = user_from_params(app, &params)?;
        Ok(json!({"user": user.map(|u| users::record(app, u))}))
    })
}

/// `DELETE /admin/users` (§3.9): `{"deleted": record as it was | null}`.
pub async fn delete_user(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>, headers: HeaderMap) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let mut store = emulator.store();
        let app_id = auth::app_id_authed(&store, &headers, &params, Scope::DataWrite)?;
        write(&mut store, app_id, |app, now| {
            let Some(user) = user_from_params(app, &params)? else { return Ok(json!({"deleted": null})) };
            let record = users::record(app, user);
            users::delete_user(app, user, now)?;
            Ok(json!({"deleted": record}))
        })
    })
}

/// `POST /admin/sign_out` (§3.10): by `id` (all sessions), `email` (must exist), or one
/// `refresh_token`; `{"ok": true}`.
pub async fn sign_out(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = auth::app_id_authed(&store, &request.headers, &request.params, Scope::DataWrite)?;
        if let Some(raw) = request.field("id") {
            let id = uuid_in(raw, &["body", "id"])?;
            return write(&mut store, app_id, |app, now| users::sign_out_user(app, id, now)).map(|()| json!({"ok": true}));
        }
        if let Some(raw) = request.field("email") {
            let email = email_in(raw, &["body", "email"])?;
            return write(&mut store, app_id, |app, now| {
                let user = users::by_email(app, &email).ok_or_else(|| {
                    ApiError::record_not_found("app-user", json!({"args": [{"app-id": app_id.to_string(), "email": email}]}))
                })?;
                users::sign_out_user(app, user, now)
            })
            .map(|()| json!({"ok": true}));
        }
        if let Some(raw) = request.field("refresh_token") {
            let token = uuid_in(raw, &["body", "refresh_token"])?;
            return write(&mut store, app_id, |app, now| users::sign_out_token(app, token, now)).map(|()| json!({"ok": true}));
        }
        Err(ApiError::validation_msg(
            "body",
            request.body.clone().unwrap_or(Value::Null),
            "Please provide an `id`, `email`, or `refresh_token`",
        ))
    })
}

/// `POST /admin/magic_code` (§3.12) and, with `send`, `POST /admin/send_magic_code` (§3.13),
/// which first spends a "create" rate-limit token and puts the email in the app's outbox instead
/// of sending it. `magic_code` is not rate limited.
fn magic_code(
    emulator: &Emulator,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    send: bool,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = auth::app_id_authed(&store, &request.headers, &request.params, Scope::DataWrite)?;
        let email = email_in(request.required("email", |_| true)?, &["body", "email"])?;
        if send {
            spend_token(&mut store, app_id, RateLimitKind::Create, &email)?;
        }
        let code = write(&mut store, app_id, |app, now| {
            let code = users::create_magic_code(app, &email, now);
            if send {
                app.outbox.push(OutboxMessage { email: email.clone(), code: code.clone(), sent_at: now });
            }
            Ok(code)
        })?;
        Ok(json!({"code": code}))
    })
}

/// `POST /admin/magic_code`.
pub async fn generate_magic_code(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    magic_code(&emulator, params, headers, body, false)
}

/// `POST /admin/send_magic_code`.
pub async fn send_magic_code(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    magic_code(&emulator, params, headers, body, true)
}

/// `POST /admin/verify_magic_code` (§3.14, §7.3): `{"user": {..., refresh_token}, "created"}`.
/// Order as `verify!`: guest token → "consume" rate-limit token (every attempt) → user lookup
/// and, for a new user, extra fields → the code (or a test user's static code) → sign-in.
pub async fn verify_magic_code(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = auth::app_id_authed(&store, &request.headers, &request.params, Scope::DataWrite)?;
        let email = email_in(request.required("email", |_| true)?, &["body", "email"])?;
        let code = request.required("code", Value::is_string)?.as_str().unwrap_or_default().trim().to_owned();
        let extra = extra_fields(&request)?;
        let guest_token = match request.field("refresh-token") {
            None => None,
            Some(raw) => Some(uuid_in(raw, &["body", "refresh-token"])?),
        };
        let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
        let guest = guest_token.map(|token| guest_of(app, token)).transpose()?.flatten();
        spend_token(&mut store, app_id, RateLimitKind::Consume, &email)?;
        let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
        if users::by_email(app, &email).is_none() && guest.is_none() {
            // Extra fields are checked (on a throw-away copy) before the code is spent.
            users::find_or_create(&mut app.clone(), Some(&email), None, &extra, store.now_ms())?;
        }
        // A failed check after the code is consumed must still consume it (the server deletes
        // the code, then reports it expired): so the code's deletion is its own write.
        let failed = write(&mut store, app_id, |app, now| Ok(users::consume_magic_code(app, &email, &code, now).err()))?;
        if let Some(error) = failed {
            // `consume-code!`: any failure is forgiven when the code is the test user's.
            let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
            if !users::matches_test_user(app, &email, &code) {
                return Err(error);
            }
        }
        write(&mut store, app_id, |app, now| {
            let (user, created) = users::sign_in_by_email(app, &email, guest, &extra, now)?;
            let token = users::issue_refresh_token(app, user, now);
            Ok(json!({"user": with_token(app, user, token), "created": created}))
        })
    })
}

/// The user behind a `refresh-token` given to `verify_magic_code`: unknown → `record-not-found`
/// `app-user`; a user that is not a guest is ignored, as the server does.
fn guest_of(app: &App, token: Uuid) -> ApiResult<Option<Uuid>> {
    let user = users::by_refresh_token(app, token).ok_or_else(|| {
        ApiError::record_not_found("app-user", json!({"args": [{"app-id": app.id.to_string(), "refresh-token": token.to_string()}]}))
    })?;
    Ok(users::is_guest(app, user).then_some(user))
}

/// `POST /admin/sign_in_guest` (§3.15): `{"user": {..., "type": "guest", "isGuest": true, refresh_token}}`.
pub async fn sign_in_guest(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = auth::app_id_authed(&store, &request.headers, &request.params, Scope::DataWrite)?;
        let extra = extra_fields(&request)?;
        write(&mut store, app_id, |app, now| {
            let user = users::create_guest(app, &extra, now)?;
            let token = users::issue_refresh_token(app, user, now);
            Ok(json!({"user": with_token(app, user, token)}))
        })
    })
}

/// `POST /runtime/auth/verify_refresh_token` (§3.16): no admin auth; the app id comes from the
/// body.
pub async fn verify_refresh_token(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let app_id = uuid_in(request.required("app-id", |_| true)?, &["body", "app-id"])?;
        let token = uuid_in(request.required("refresh-token", |_| true)?, &["body", "refresh-token"])?;
        let store = emulator.store();
        let user = store.apps.get(&app_id).and_then(|app| Some((app, users::by_refresh_token(app, token)?)));
        match user {
            Some((app, user)) => Ok(json!({"user": with_token(app, user, token)})),
            None => Err(ApiError::record_not_found("app-user", json!({"args": [{"app-id": app_id.to_string(), "refresh-token": "***"}]}))),
        }
    })
}
