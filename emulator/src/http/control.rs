//! The test-only control surface under `/__emulator/`: not part of Instant's API, and never
//! named like it, so nothing can mistake one for the other.
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `GET /__emulator/health` | — | `{"ok": true, "app-id": <default app>}` |
//! | `POST /__emulator/apps` | `{"app-id"?, "admin-token"?, "schema"?, "title"?}` | `{"app-id", "admin-token"}` (the title is what the Platform API shows; no owner) |
//! | `POST /__emulator/apps/{app_id}/schema` | schema JSON (`i.schema(...)`) | `{"ok": true}` |
//! | `POST /__emulator/reset` | — | `{"ok": true}`: every app dropped, the default one recreated |
//! | `GET /__emulator/apps/{app_id}/outbox` | — | `{"messages": [{"email", "code", "sent-at"}]}`: what `send_magic_code` would have mailed |
//! | `GET /__emulator/apps/{app_id}/auth-settings` | — | the app's auth settings (below) |
//! | `POST /__emulator/apps/{app_id}/auth-settings` | any of the settings' keys | the settings after the change |
//! | `POST /__emulator/clock` | `{"advance-ms": n}` | `{"now-ms": <the emulator's now>}`: the clock moves forward `n` ms |
//! | `GET /__emulator/fidelity` | — | `{"identical-perms-null": bool}`: the fidelity switches in force (below) |
//! | `POST /__emulator/fidelity` | `{"identical-perms-null"?: bool}` | the switches after the change |
//! | `GET /__emulator/apps/{app_id}/rules` | — | the app's permission rules document (`{}` when none) |
//! | `POST /__emulator/apps/{app_id}/rules` | the rules document (spec §9.2), e.g. `{"$files": {"allow": {"view": "true"}}}` | the document as stored; it replaces the previous one |
//! | `GET /__emulator/files/{app_id}/{location_id}` | — | an uploaded file's bytes (the `$files.url` target, `http/storage.rs`) |
//! | `GET /__emulator/sse` | — | `{"connections": n, "subscriptions": m}`: open `subscribe-query` streams, and those whose query is live |
//! | `POST /__emulator/sse/drop` | `{"app-id"?}` | `{"dropped": n}`: every open stream (of that app) is cut off abruptly |
//! | `GET /__emulator/streams?app-id=` | — | `{"sessions": n, "streams": [...]}`: `/admin/sse` sessions and streams (`http/streams.rs`) |
//! | `POST /__emulator/faults` | `{"path-prefix", "status", "for-ms"?, "count"?, "method"?, "app-id"?, "type"?, "message"?}` | the fault as armed (below) |
//! | `GET /__emulator/faults` | — | `{"faults": [...]}`: the faults still armed, `for-ms`/`count` being what is left |
//! | `DELETE /__emulator/faults` | — | `{"cleared": n}` |
//! | `GET /__emulator/requests?app-id=&path-prefix=` | — | `{"requests": [{"seq", "method", "path", "query", "app-id", "headers": {name: value}, "status"}]}`: the newest 256 requests (of that app, under that path), oldest first (below) |
//! | `DELETE /__emulator/requests` | — | `{"cleared": n}` |
//! | `PUT /__emulator/bench/static` | any bytes | `{"bytes": n}`: what `POST /__emulator/bench/static` answers from now on |
//! | `POST /__emulator/bench/static` | — | those bytes as `application/json`: a bare handler on the same server stack, the baseline of `cargo xtask bench`'s throughput |
//! | `POST /__emulator/apps/{app_id}/presence` | `{"room-type", "room-id", "peers": [{"peer-id"?, "user-id"?, "data"?}]}` | the room as stored, `{"room-type", "room-id", "peers": [{"peer-id", "user-id", "data"}]}` (`http/rooms.rs`) |
//! | `POST /__emulator/platform/...` | | Instant users, orgs, app collaborators, OAuth tokens and clients, the OAuth consent user (`http/platform_control.rs`) |
//!
//! Auth settings: `{"magic-code-expiry-minutes": 1440, "magic-code-rate-limit-per-hour": 20,
//! "test-users": [{"email", "code"}]}` (defaults shown; a rate limit of 0 turns it off; posted
//! `test-users` replace the list). They reset with `/__emulator/reset`; the clock does not.
//!
//! Rules: any JSON object is accepted and stored as given. The emulator evaluates only JSON
//! booleans, `"true"`, `"false"`, `"auth.id != null"` and `"auth.id == null"`, and only for
//! `$files` (`rules.rs`); other rules fail when evaluated with `permission-evaluation-failed`.
//! They reset with `/__emulator/reset` too.
//!
//! Faults (`crate::faults`, `http/faults.rs`): requests whose path starts with `path-prefix`
//! (and, when given, use `method`) answer `status` with `{"type", "message", "hint": null,
//! "trace-id"}` for `for-ms` milliseconds and/or `count` requests (whichever ends first; with
//! neither, until cleared). Default types: 401 `unauthorized`, 403 `forbidden`, 404
//! `not-found`, 429 `rate-limited` (the server's message), 500 `unknown`, 502 `bad-gateway`,
//! 503 `service-unavailable`, 504 `gateway-timeout`, else `injected-fault`; `type` and
//! `message` override them. `/__emulator/` itself is never faulted.
//!
//! Requests (`crate::request_log`, `http/request_log.rs`): every request outside `/__emulator/`
//! is recorded once answered, faulted ones too, bodies never. `app-id` is the `app-id` header or
//! else the `app_id`/`app-id` query parameter (null when none); header names are lower case, a
//! repeated one's values joined with `", "`; `authorization`, `as-token`, `cookie` and
//! `proxy-authorization` read `"[redacted]"`. Both query parameters are optional; any other is
//! refused.
//!
//! Fidelity (`crate::Fidelity`): real-server behaviours imitated only when switched on, at
//! start (`--fidelity-identical-perms-null`) or here. `identical-perms-null`: an identical
//! `POST /superadmin/apps/{id}/perms` answers `{"rules": null}` (platform spec §3.8). Unknown
//! keys and non-booleans are refused; `/__emulator/reset` restores the switches as started.
//!
//! Presence (`crate::presence`): a room's peers replace the previous ones; a missing `peer-id`
//! is generated, `data` defaults to `{}`, `user-id` may be null. `GET /admin/rooms/presence`
//! looks the users up when it is asked. Rooms are keyed by `room-id` alone, as on the server.
//!
//! `/__emulator/reset` also drops every presence room, disarms every fault and clears the
//! request log. Open subscriptions stay open and are refreshed with what they see after the
//! reset.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{faults, not_found, ok_json, request_log, rooms};
use crate::error::{ApiError, ApiResult};
use crate::store::{App, AuthSettings, TestUser};
use crate::{schema, users, Emulator};

pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/__emulator/health", get(health).fallback(not_found))
        .route("/__emulator/apps", post(create_app).fallback(not_found))
        .route("/__emulator/apps/{app_id}/schema", post(set_schema).fallback(not_found))
        .route("/__emulator/reset", post(reset).fallback(not_found))
        .route("/__emulator/apps/{app_id}/outbox", get(outbox).fallback(not_found))
        .route("/__emulator/apps/{app_id}/auth-settings", get(get_auth_settings).post(set_auth_settings).fallback(not_found))
        .route("/__emulator/clock", post(advance_clock).fallback(not_found))
        .route("/__emulator/fidelity", get(get_fidelity).post(set_fidelity).fallback(not_found))
        .route("/__emulator/apps/{app_id}/rules", get(get_rules).post(set_rules).fallback(not_found))
        .route("/__emulator/apps/{app_id}/presence", post(rooms::seed).fallback(not_found))
        .route("/__emulator/sse", get(stream_counts).fallback(not_found))
        .route("/__emulator/sse/drop", post(drop_streams).fallback(not_found))
        .route("/__emulator/faults", get(faults::list).post(faults::arm).delete(faults::clear).fallback(not_found))
        .route("/__emulator/requests", get(request_log::list).delete(request_log::clear).fallback(not_found))
        .route("/__emulator/bench/static", post(bench_static).put(set_bench_static).fallback(not_found))
}

/// The bytes of the bare benchmark handler.
static BENCH_BYTES: std::sync::Mutex<Bytes> = std::sync::Mutex::new(Bytes::new());

async fn set_bench_static(body: Bytes) -> Response {
    let length = body.len();
    *BENCH_BYTES.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = body;
    ok_json(json!({ "bytes": length }))
}

/// Answers the stored bytes and nothing else: no app lookup, no auth, no query.
async fn bench_static() -> Response {
    let bytes = BENCH_BYTES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    ([(axum::http::header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// A control-route failure: 400 `validation-failed` with the reason as message.
pub(super) fn control_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("validation-failed", message, Value::Null)
}

/// The response of a control route: 200 with the JSON, or the error.
pub(super) fn answer(result: ApiResult<Value>) -> Response {
    match result {
        Ok(value) => ok_json(value),
        Err(error) => error.into_response(),
    }
}

pub(super) fn parse_body(body: &Bytes) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|_| ApiError::MalformedJson)
}

fn optional_uuid(body: &Value, key: &str) -> ApiResult<Option<Uuid>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            v.as_str().and_then(|s| Uuid::parse_str(s).ok()).map(Some).ok_or_else(|| control_error(format!("`{key}` must be a UUID")))
        }
    }
}

pub(super) fn parse_app_id(app_id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(app_id).map_err(|_| control_error("app id must be a UUID"))
}

pub(super) fn no_app(app_id: Uuid) -> ApiError {
    control_error(format!("no app {app_id}"))
}

async fn outbox(State(emulator): State<Emulator>, Path(app_id): Path<String>) -> Response {
    answer((|| {
        let app_id = parse_app_id(&app_id)?;
        let store = emulator.store();
        let app = store.apps.get(&app_id).ok_or_else(|| no_app(app_id))?;
        let messages: Vec<Value> = app.outbox.iter().map(|m| json!({"email": m.email, "code": m.code, "sent-at": m.sent_at})).collect();
        Ok(json!({ "messages": messages }))
    })())
}

async fn health(State(emulator): State<Emulator>) -> Response {
    ok_json(json!({"ok": true, "app-id": emulator.default_app_id().to_string()}))
}

async fn create_app(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let app_id = optional_uuid(&body, "app-id")?.unwrap_or_else(Uuid::new_v4);
        let admin_token = optional_uuid(&body, "admin-token")?.unwrap_or_else(Uuid::new_v4);
        let mut app = App::new(app_id, admin_token);
        let mut store = emulator.store();
        if store.apps.contains_key(&app_id) {
            return Err(control_error(format!("app {app_id} already exists")));
        }
        let title = match body.get("title") {
            None | Some(Value::Null) => "Untitled app".to_owned(),
            Some(title) => title
                .as_str()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| control_error("`title` must be a non-blank string"))?
                .to_owned(),
        };
        if let Some(schema_json) = body.get("schema").filter(|s| !s.is_null()) {
            let (_, now) = store.next_tx();
            schema::apply(&mut app, schema_json, now).map_err(control_error)?;
        }
        store.apps.insert(app_id, app);
        let now = store.now_ms();
        store.platform.register_app(app_id, crate::platform::AppMeta::unowned(&title, now));
        drop(store);
        // Guests may have subscribed to this app id before it existed (it read as empty).
        emulator.live().changed_app(app_id);
        Ok(json!({"app-id": app_id.to_string(), "admin-token": admin_token.to_string()}))
    })())
}

async fn set_schema(State(emulator): State<Emulator>, Path(app_id): Path<String>, body: Bytes) -> Response {
    answer((|| {
        let schema_json = parse_body(&body)?;
        let app_id = parse_app_id(&app_id)?;
        let mut store = emulator.store();
        let (_, now) = store.next_tx();
        let app = store.apps.get_mut(&app_id).ok_or_else(|| no_app(app_id))?;
        let mut draft = app.clone();
        schema::apply(&mut draft, &schema_json, now).map_err(control_error)?;
        *app = draft;
        Ok(json!({"ok": true}))
    })())
}

async fn reset(State(emulator): State<Emulator>) -> Response {
    answer(emulator.reset().map(|()| json!({"ok": true})).map_err(control_error))
}

/// `GET /__emulator/fidelity`: the fidelity switches in force.
async fn get_fidelity(State(emulator): State<Emulator>) -> Response {
    ok_json(emulator.fidelity().to_wire())
}

/// `POST /__emulator/fidelity` `{"identical-perms-null"?: bool}`: changes the given switches
/// (until the next reset) and answers them all.
async fn set_fidelity(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let fidelity = emulator.fidelity().updated(&body).map_err(control_error)?;
        emulator.set_fidelity(fidelity);
        Ok(fidelity.to_wire())
    })())
}

/// `POST /__emulator/clock`: moves the emulator's clock forward so tests can expire magic codes
/// and refill rate limits without waiting.
async fn advance_clock(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let ms =
            body.get("advance-ms").and_then(Value::as_u64).ok_or_else(|| control_error("`advance-ms` must be a non-negative integer"))?;
        let now = emulator.store().advance_clock(ms).ok_or_else(|| control_error("`advance-ms` is too large"))?;
        Ok(json!({"now-ms": now}))
    })())
}

async fn get_auth_settings(State(emulator): State<Emulator>, Path(app_id): Path<String>) -> Response {
    answer((|| {
        let app_id = parse_app_id(&app_id)?;
        let store = emulator.store();
        let app = store.apps.get(&app_id).ok_or_else(|| no_app(app_id))?;
        Ok(app.auth_settings.to_wire())
    })())
}

/// `POST /__emulator/apps/{app_id}/auth-settings`: every given key is checked before any is
/// applied, so a bad body changes nothing.
async fn set_auth_settings(State(emulator): State<Emulator>, Path(app_id): Path<String>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let app_id = parse_app_id(&app_id)?;
        let mut store = emulator.store();
        let app = store.apps.get_mut(&app_id).ok_or_else(|| no_app(app_id))?;
        app.auth_settings = updated_settings(&app.auth_settings, &body).map_err(control_error)?;
        Ok(app.auth_settings.to_wire())
    })())
}

/// `current` with the keys of `body` applied; unknown keys are refused so a misspelt setting
/// cannot silently do nothing.
fn updated_settings(current: &AuthSettings, body: &Value) -> Result<AuthSettings, String> {
    let Some(fields) = body.as_object() else { return Err("the body must be a JSON object".into()) };
    let mut settings = current.clone();
    for (key, value) in fields {
        match key.as_str() {
            "magic-code-expiry-minutes" => {
                settings.magic_code_expiry_minutes =
                    value.as_u64().filter(|minutes| *minutes > 0).ok_or("`magic-code-expiry-minutes` must be a positive integer")?;
            }
            "magic-code-rate-limit-per-hour" => {
                settings.magic_code_rate_limit_per_hour =
                    value.as_u64().ok_or("`magic-code-rate-limit-per-hour` must be a non-negative integer")?;
            }
            "test-users" => settings.test_users = test_users(value)?,
            other => return Err(format!("unknown auth setting `{other}`")),
        }
    }
    Ok(settings)
}

/// The `test-users` list: emails coerced as the auth routes do, codes 6 digits (as the
/// dashboard's test-user form requires), one entry per email.
fn test_users(value: &Value) -> Result<Vec<TestUser>, String> {
    let Some(entries) = value.as_array() else { return Err("`test-users` must be an array".into()) };
    let mut list: Vec<TestUser> = Vec::new();
    for entry in entries {
        let email =
            entry.get("email").and_then(Value::as_str).and_then(users::coerce_email).ok_or("each test user needs an `email` address")?;
        let code = entry
            .get("code")
            .and_then(Value::as_str)
            .filter(|code| code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
            .ok_or("each test user needs a `code` of 6 digits")?;
        if list.iter().any(|user| user.email == email) {
            return Err(format!("test user {email} is listed twice"));
        }
        list.push(TestUser { email, code: code.to_owned() });
    }
    Ok(list)
}

async fn get_rules(State(emulator): State<Emulator>, Path(app_id): Path<String>) -> Response {
    answer((|| {
        let app_id = parse_app_id(&app_id)?;
        let store = emulator.store();
        let app = store.apps.get(&app_id).ok_or_else(|| no_app(app_id))?;
        Ok(app.rules.document().clone())
    })())
}

/// `POST /__emulator/apps/{app_id}/rules`: replaces the app's rules document. An empty body
/// clears it. The document is validated as the server validates pushed rules (spec §9.2): an
/// invalid one answers 400 `validation-failed` with one error per problem, and the old rules
/// stay.
async fn set_rules(State(emulator): State<Emulator>, Path(app_id): Path<String>, body: Bytes) -> Response {
    answer((|| {
        let rules = parse_body(&body)?;
        let app_id = parse_app_id(&app_id)?;
        if !rules.is_object() {
            return Err(control_error("the rules must be a JSON object"));
        }
        crate::ruleset::document::validate(&rules)?;
        let mut store = emulator.store();
        let app = store.apps.get_mut(&app_id).ok_or_else(|| no_app(app_id))?;
        app.rules = std::sync::Arc::new(crate::ruleset::Rules::new(rules));
        let stored = app.rules.document().clone();
        drop(store);
        // Rules decide what impersonated subscriptions see, though no data changed.
        emulator.live().changed_app(app_id);
        Ok(stored)
    })())
}

/// `GET /__emulator/sse`.
async fn stream_counts(State(emulator): State<Emulator>) -> Response {
    let counts = emulator.live().counts();
    ok_json(json!({"connections": counts.connections, "subscriptions": counts.subscriptions}))
}

/// `POST /__emulator/sse/drop` `{"app-id"?}`: cuts every open `subscribe-query` stream (of that
/// app) off, as a server going away would; clients reconnect to a new session.
async fn drop_streams(State(emulator): State<Emulator>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let app_id = optional_uuid(&body, "app-id")?;
        Ok(json!({"dropped": emulator.live().drop_streams(app_id)}))
    })())
}
