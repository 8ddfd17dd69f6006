//! Webhook routes (docs/webhooks.md): the manager under `/dash/apps/{app_id}/webhooks`, the
//! payload route, the JWKS, and the control routes tests use to see and wait for deliveries.
//!
//! | Route | Auth (scope) | Answer |
//! |---|---|---|
//! | `GET /dash/apps/{app_id}/webhooks` | data-read | `{"webhooks": [row…]}`, newest first |
//! | `POST /dash/apps/{app_id}/webhooks` `{url, namespaces, actions}` | data-write | `{"webhook": row}` |
//! | `POST /dash/apps/{app_id}/webhooks/{id}` `{url?, namespaces?, actions?}` | data-write | `{"webhook": row}` |
//! | `DELETE /dash/apps/{app_id}/webhooks/{id}` | data-write | `{"webhook": row}` as it was |
//! | `POST …/webhooks/{id}/enable` | data-write | `{"webhook": row}` |
//! | `POST …/webhooks/{id}/disable` `{reason?}` | data-write | `{"webhook": row}` |
//! | `GET …/webhooks/{id}/events[?after=cursor]` | data-read | `{"events": [ev…], "pageInfo": {startCursor, endCursor, hasNextPage}}` |
//! | `GET …/webhooks/{id}/events/{isn}` | data-read | `{"event": ev}` |
//! | `POST …/webhooks/{id}/events/{isn}` | data-write | `{"event": ev}`: resent |
//! | `GET /webhooks/payload/{app_id}/{id}/{isn}` | the delivery's JWT, or data-read | `{"data": [record…], "idempotencyKey"}` |
//! | `GET /.well-known/webhooks/jwks.json` | none | `{"keys": [jwk]}` |
//! | `GET /__emulator/webhooks/deliveries[?app-id=]` | none | `{"deliveries": [attempt…]}`, oldest first |
//! | `DELETE /__emulator/webhooks/deliveries` | none | `{"cleared": n}` |
//! | `POST /__emulator/webhooks/flush[?timeout-ms=]` | none | `{"idle": bool, "in-flight": n}` once nothing is in flight (or the timeout, default 30 000 ms, passed) |
//!
//! Manager auth is the Platform app-level resolution (`req->app-accepting-superadmin-or-ref-token!`):
//! the app's admin token, or a user token (PAT, `pat_` with the scope) of a collaborator.
//!
//! URL rules differ from the server's on purpose: `http://` is accepted for loopback sinks
//! (`localhost`, `127.0.0.1`, `[::1]`), where tests and local receivers listen; `https://`
//! follows the server's rules except that host names are not resolved (a literal IP in a
//! blocked range is still refused). The emulator is built without TLS, so a delivery to an
//! `https://` sink fails with error type `tls`.

use std::net::IpAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::{HeaderValue, AUTHORIZATION};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use uuid::Uuid;

use super::admin::{respond, JsonRequest};
use super::platform::authorization;
use super::{not_found, ok_json, Params};
use crate::error::{ApiError, ApiResult};
use crate::platform::auth::{app_not_found, resolve_app, uuid_param};
use crate::platform::{Role, Scope};
use crate::store::App;
use crate::webhooks::{self, deliver, EventStatus, Isn, NewEvent, Status, Webhook, ACTIONS, MAX_ACTIVE};
use crate::{Emulator, Store};

/// The webhook routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/dash/apps/{app_id}/webhooks", get(list).post(create).fallback(not_found))
        .route("/dash/apps/{app_id}/webhooks/{id}", post(update).delete(delete).fallback(not_found))
        .route("/dash/apps/{app_id}/webhooks/{id}/enable", post(enable).fallback(not_found))
        .route("/dash/apps/{app_id}/webhooks/{id}/disable", post(disable).fallback(not_found))
        .route("/dash/apps/{app_id}/webhooks/{id}/events", get(events).fallback(not_found))
        .route("/dash/apps/{app_id}/webhooks/{id}/events/{*isn}", get(event).post(resend).fallback(not_found))
        .route("/webhooks/payload/{app_id}/{id}/{*isn}", get(payload).fallback(not_found))
        .route("/.well-known/webhooks/jwks.json", get(jwks).fallback(not_found))
        .route("/__emulator/webhooks/deliveries", get(deliveries).delete(clear_deliveries).fallback(not_found))
        .route("/__emulator/webhooks/flush", post(flush).fallback(not_found))
}

type QueryParams = Result<Query<Params>, QueryRejection>;
type Body = Result<Bytes, BytesRejection>;

/// The app a manager call is for, after auth; the origin is learnt from `Host` when the
/// emulator was not started through [`Emulator::serve`].
fn authed(emulator: &Emulator, store: &Store, headers: &HeaderMap, app_id: &str, scope: Scope) -> ApiResult<Uuid> {
    emulator.webhook_sender().set_origin(&super::origin(headers), false);
    let access = resolve_app(store, authorization(headers), app_id, scope, Role::Collaborator)?;
    if !store.apps.contains_key(&access.app_id) {
        return Err(app_not_found(access.app_id));
    }
    Ok(access.app_id)
}

fn webhook_not_found() -> ApiError {
    ApiError::record_not_found("webhook", json!({}))
}

fn webhook_id(raw: &str) -> ApiResult<Uuid> {
    uuid_param("id", raw)
}

fn isn_param(raw: &str) -> ApiResult<Isn> {
    Isn::parse(raw).ok_or_else(|| ApiError::param_malformed(&["params", "*"], json!(raw), None))
}

fn invalid(data_type: &str, input: Value, message: impl Into<String>) -> ApiError {
    ApiError::validation_msg(data_type, input, message)
}

/// `url`: a non-blank string (trimmed).
fn url_param(request: &JsonRequest) -> ApiResult<String> {
    let raw = request.required("url", Value::is_string)?;
    let text = raw.as_str().unwrap_or_default().trim();
    if text.is_empty() {
        return Err(ApiError::param_malformed(&["body", "url"], raw.clone(), None));
    }
    Ok(text.to_owned())
}

/// `namespaces` / `actions`: an array of strings.
fn strings_param(request: &JsonRequest, name: &str) -> ApiResult<Vec<String>> {
    let raw = request.required(name, |v| v.as_array().is_some_and(|items| items.iter().all(Value::is_string)))?;
    Ok(raw.as_array().map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect()).unwrap_or_default())
}

/// Whether `ip` is in a range `smokescreen.clj` `bad-ip?` blocks.
fn blocked_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_multicast()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (segments[0] & 0xffc0) == 0xfe80
                || (segments[0] & 0xfe00) == 0xfc00
                || (segments[0] == 0x64 && segments[1] == 0xff9b && segments[2..6] == [0, 0, 0, 0])
                || segments[0] == 0x2002
                || (segments[0] == 0x2001 && segments[1] == 0)
                || v6.to_ipv4_mapped().is_some()
        }
    }
}

/// `assert-valid-url!`, with the emulator's loopback exception (module docs).
fn check_url(url: &str) -> ApiResult<()> {
    let fail = |message: &str| Err(invalid("webhook", json!(url), message));
    let Ok(parsed) = reqwest::Url::parse(url) else { return fail("Invalid URL.") };
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
    match parsed.scheme() {
        "http" if loopback => Ok(()),
        "https" if host.is_empty() => fail("Invalid URL."),
        "https" if host == "localhost" || host == "127.0.0.1" => fail("The Webhook url must be a public url, localhost is not allowed."),
        "https" => match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) if blocked_ip(ip) => fail("Could not resolve URL."),
            _ => Ok(()),
        },
        _ => fail("The Webhook url must be https"),
    }
}

fn check_namespaces(app: &App, namespaces: &[String]) -> ApiResult<()> {
    if namespaces.is_empty() {
        return Err(invalid("webhook", json!(namespaces), "Webhook must have at least one table."));
    }
    for namespace in namespaces {
        if app.attrs.fwd(namespace, "id").is_none() {
            return Err(invalid("webhook", json!(namespaces), format!("Could not find matching table for {namespace}")));
        }
    }
    Ok(())
}

fn check_actions(actions: &[String]) -> ApiResult<()> {
    if actions.is_empty() {
        return Err(invalid("webhook", json!(actions), "Webhook must have at least one action."));
    }
    if let Some(bad) = actions.iter().find(|a| !ACTIONS.contains(&a.as_str())) {
        return Err(invalid("webhook", json!(actions), format!("Invalid action {bad}. Expected one of create, update, delete.")));
    }
    Ok(())
}

/// Duplicates drop out (the server keeps sets of id-attrs and actions).
fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Another active webhook with the same URL, namespaces and actions.
fn check_duplicate(others: &[Webhook], except: Option<Uuid>, url: &str, namespaces: &[String], actions: &[String]) -> ApiResult<()> {
    match others.iter().find(|w| Some(w.id) != except && w.status == Status::Active && w.same_as(url, namespaces, actions)) {
        Some(existing) => Err(ApiError::validation(
            "webhook",
            json!({"url": url, "namespaces": namespaces, "actions": actions}),
            vec![
                json!({"message": "A webhook already exists with all of the same properties", "hint": {"webhook-id": existing.id.to_string()}}),
            ],
        )),
        None => Ok(()),
    }
}

fn check_limit(active: usize) -> ApiResult<()> {
    if active > MAX_ACTIVE {
        return Err(invalid("webhooks", json!(active), format!("An app may not have more than {MAX_ACTIVE} active webhooks.")));
    }
    Ok(())
}

async fn list(State(emulator): State<Emulator>, Path(app_id): Path<String>, headers: HeaderMap) -> Response {
    respond(|| {
        let store = emulator.store();
        let app_id = authed(&emulator, &store, &headers, &app_id, Scope::DataRead)?;
        let mut rows: Vec<&Webhook> = store.webhooks.get(app_id).map(|h| h.webhooks.iter().collect()).unwrap_or_default();
        rows.sort_by_key(|w| std::cmp::Reverse(w.created_at));
        Ok(json!({"webhooks": rows.iter().map(|w| w.to_wire()).collect::<Vec<_>>()}))
    })
}

async fn create(
    State(emulator): State<Emulator>,
    Path(app_id): Path<String>,
    params: QueryParams,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = authed(&emulator, &store, &request.headers, &app_id, Scope::DataWrite)?;
        let url = url_param(&request)?;
        let namespaces = dedup(strings_param(&request, "namespaces")?);
        let actions = dedup(strings_param(&request, "actions")?);
        check_url(&url)?;
        let store = &mut *store;
        let app = store.apps.get(&app_id).ok_or_else(|| app_not_found(app_id))?;
        check_namespaces(app, &namespaces)?;
        check_actions(&actions)?;
        let now = store.now_ms();
        let hooks = store.webhooks.app_mut(app_id);
        check_limit(hooks.webhooks.iter().filter(|w| w.status == Status::Active).count() + 1)?;
        check_duplicate(&hooks.webhooks, None, &url, &namespaces, &actions)?;
        // Creation times never repeat, so "newest first" is always well defined.
        let created_at = hooks.webhooks.iter().map(|w| w.created_at + 1).max().unwrap_or(now).max(now);
        let webhook = Webhook {
            id: Uuid::new_v4(),
            url,
            namespaces,
            actions,
            status: Status::Active,
            disabled_reason: None,
            created_at,
            updated_at: created_at,
            failed_in_a_row: 0,
        };
        hooks.track(app, &webhook.namespaces);
        let row = webhook.to_wire();
        hooks.webhooks.push(webhook);
        Ok(json!({"webhook": row}))
    })
}

async fn update(
    State(emulator): State<Emulator>,
    Path((app_id, id)): Path<(String, String)>,
    params: QueryParams,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = authed(&emulator, &store, &request.headers, &app_id, Scope::DataWrite)?;
        let id = webhook_id(&id)?;
        let url = request.field("url").map(|_| url_param(&request)).transpose()?;
        let namespaces = request.field("namespaces").map(|_| strings_param(&request, "namespaces").map(dedup)).transpose()?;
        let actions = request.field("actions").map(|_| strings_param(&request, "actions").map(dedup)).transpose()?;
        let store = &mut *store;
        let app = store.apps.get(&app_id).ok_or_else(|| app_not_found(app_id))?;
        let now = store.now_ms();
        let hooks = store.webhooks.app_mut(app_id);
        let current = hooks.webhook(id).ok_or_else(webhook_not_found)?.clone();
        if let Some(url) = &url {
            check_url(url)?;
        }
        if let Some(namespaces) = &namespaces {
            check_namespaces(app, namespaces)?;
        }
        if let Some(actions) = &actions {
            check_actions(actions)?;
        }
        let next = Webhook {
            url: url.unwrap_or(current.url),
            namespaces: namespaces.unwrap_or(current.namespaces),
            actions: actions.unwrap_or(current.actions),
            updated_at: now,
            ..current
        };
        check_duplicate(&hooks.webhooks, Some(id), &next.url, &next.namespaces, &next.actions)?;
        hooks.track(app, &next.namespaces);
        let row = next.to_wire();
        if let Some(slot) = hooks.webhook_mut(id) {
            *slot = next;
        }
        Ok(json!({"webhook": row}))
    })
}

async fn delete(State(emulator): State<Emulator>, Path((app_id, id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    respond(|| {
        let mut store = emulator.store();
        let app_id = authed(&emulator, &store, &headers, &app_id, Scope::DataWrite)?;
        let id = webhook_id(&id)?;
        let hooks = store.webhooks.app_mut(app_id);
        let position = hooks.webhooks.iter().position(|w| w.id == id).ok_or_else(webhook_not_found)?;
        Ok(json!({"webhook": hooks.webhooks.remove(position).to_wire()}))
    })
}

async fn enable(
    State(emulator): State<Emulator>,
    Path((app_id, id)): Path<(String, String)>,
    params: QueryParams,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = authed(&emulator, &store, &request.headers, &app_id, Scope::DataWrite)?;
        let id = webhook_id(&id)?;
        let now = store.now_ms();
        let hooks = store.webhooks.app_mut(app_id);
        let current = hooks.webhook(id).ok_or_else(webhook_not_found)?.clone();
        let others = hooks.webhooks.iter().filter(|w| w.id != id && w.status == Status::Active).count();
        check_limit(others + 1)?;
        check_duplicate(&hooks.webhooks, Some(id), &current.url, &current.namespaces, &current.actions)?;
        let webhook = hooks.webhook_mut(id).ok_or_else(webhook_not_found)?;
        webhook.status = Status::Active;
        webhook.disabled_reason = None;
        webhook.failed_in_a_row = 0;
        webhook.updated_at = now;
        Ok(json!({"webhook": webhook.to_wire()}))
    })
}

async fn disable(
    State(emulator): State<Emulator>,
    Path((app_id, id)): Path<(String, String)>,
    params: QueryParams,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = authed(&emulator, &store, &request.headers, &app_id, Scope::DataWrite)?;
        let id = webhook_id(&id)?;
        let reason = match request.field("reason") {
            None => None,
            Some(raw) => {
                let text = raw.as_str().map(str::trim).filter(|t| !t.is_empty());
                Some(text.ok_or_else(|| ApiError::param_malformed(&["body", "reason"], raw.clone(), None))?.to_owned())
            }
        };
        let now = store.now_ms();
        let webhook = store.webhooks.app_mut(app_id).webhook_mut(id).ok_or_else(webhook_not_found)?;
        webhook.status = Status::Disabled;
        webhook.disabled_reason = reason;
        webhook.updated_at = now;
        Ok(json!({"webhook": webhook.to_wire()}))
    })
}

async fn events(
    State(emulator): State<Emulator>,
    Path((app_id, id)): Path<(String, String)>,
    params: QueryParams,
    headers: HeaderMap,
) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let app_id = authed(&emulator, &store, &headers, &app_id, Scope::DataRead)?;
        let id = webhook_id(&id)?;
        let hooks = store.webhooks.get(app_id).ok_or_else(webhook_not_found)?;
        hooks.webhook(id).ok_or_else(webhook_not_found)?;
        let cursor = params.get("after").and_then(|c| webhooks::decode_cursor(c));
        let (page, more) = hooks.events_page(id, cursor, store.now_ms());
        Ok(json!({
            "events": page.iter().map(|e| e.to_wire()).collect::<Vec<_>>(),
            "pageInfo": {
                "startCursor": page.first().map(|e| e.cursor()),
                "endCursor": page.last().map(|e| e.cursor()),
                "hasNextPage": more,
            },
        }))
    })
}

async fn event(State(emulator): State<Emulator>, Path((app_id, id, isn)): Path<(String, String, String)>, headers: HeaderMap) -> Response {
    respond(|| {
        let store = emulator.store();
        let app_id = authed(&emulator, &store, &headers, &app_id, Scope::DataRead)?;
        let id = webhook_id(&id)?;
        let isn = isn_param(&isn)?;
        let hooks = store.webhooks.get(app_id).ok_or_else(webhook_not_found)?;
        hooks.webhook(id).ok_or_else(webhook_not_found)?;
        let event = hooks.event(id, isn).ok_or_else(|| ApiError::record_not_found("webhook-event", json!({})))?;
        Ok(json!({"event": event.to_wire()}))
    })
}

/// `requeue!`: back to `pending` unless a sender holds it; attempts are kept.
async fn resend(
    State(emulator): State<Emulator>,
    Path((app_id, id, isn)): Path<(String, String, String)>,
    params: QueryParams,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let app_id = authed(&emulator, &store, &request.headers, &app_id, Scope::DataWrite)?;
        let id = webhook_id(&id)?;
        let isn = isn_param(&isn)?;
        let now = store.now_ms();
        let refused = || {
            invalid(
                "webhook-events",
                json!({"webhook-id": id.to_string(), "isn": isn.to_wire()}),
                "Could not resend event. Try again in one minute.",
            )
        };
        let event = store.webhooks.app_mut(app_id).event_mut(id, isn).ok_or_else(refused)?;
        if event.held {
            return Err(refused());
        }
        event.status = EventStatus::Pending;
        event.round += 1;
        event.updated_at = now;
        let (row, round) = (event.to_wire(), event.round);
        drop(store);
        deliver::spawn(&emulator, NewEvent { app_id, webhook_id: id, isn }, round);
        Ok(json!({"event": row}))
    })
}

/// `GET /webhooks/payload/{app_id}/{id}/{isn}`: the delivery's JWT, or a dashboard token.
async fn payload(
    State(emulator): State<Emulator>,
    Path((app_id, id, isn)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut response = respond(|| {
        let store = emulator.store();
        let token = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("Bearer ").filter(|p| !p.is_empty()).last())
            .map(str::trim)
            .unwrap_or_default();
        let app = if token.starts_with("eyJ") {
            let app = uuid_param("app_id", &app_id)?;
            check_jwt(&emulator, &store, token, app, &id, &isn)?;
            app
        } else {
            authed(&emulator, &store, &headers, &app_id, Scope::DataRead)?
        };
        let id = webhook_id(&id)?;
        let isn = isn_param(&isn)?;
        let hooks = store.webhooks.get(app).ok_or_else(webhook_not_found)?;
        let webhook = hooks.webhook(id).ok_or_else(webhook_not_found)?;
        Ok(json!({
            "data": hooks.payload(webhook, isn),
            "idempotencyKey": webhooks::payload_key(id, isn).to_string(),
        }))
    });
    let headers = response.headers_mut();
    headers.insert("cache-control", HeaderValue::from_static("no-store, private"));
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
    headers.insert("expires", HeaderValue::from_static("0"));
    headers.insert("vary", HeaderValue::from_static("Authorization"));
    response
}

/// `webhook_jwt.clj`: signed by the webhook key, claims exactly the route's, unexpired (60 s
/// of skew, as Nimbus allows).
fn check_jwt(emulator: &Emulator, store: &Store, token: &str, app: Uuid, id: &str, isn: &str) -> ApiResult<()> {
    let sender = emulator.webhook_sender();
    let fail = |message: String| invalid("jwt", json!(token), message);
    let claims = sender.signer().verify_jwt(token).map_err(fail)?;
    let text = |key: &str| claims.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let app = app.to_string();
    let exact = text("iss") == sender.origin()
        && text("sub") == app
        && text("app-id") == app
        && text("webhook-id") == id.to_ascii_lowercase()
        && text("isn") == isn;
    if !exact {
        return Err(fail("Invalid JWT.".into()));
    }
    let Some(exp) = claims.get("exp").and_then(Value::as_i64) else { return Err(fail("Invalid JWT.".into())) };
    if exp + 60 <= store.now_ms().div_euclid(1000) {
        return Err(fail("Expired JWT".into()));
    }
    Ok(())
}

async fn jwks(State(emulator): State<Emulator>) -> Response {
    ok_json(emulator.webhook_sender().signer().jwks())
}

async fn deliveries(State(emulator): State<Emulator>, params: QueryParams) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let app = match params.get("app-id").map(|a| Uuid::parse_str(a.trim())) {
        None => None,
        Some(Ok(app)) => Some(app),
        Some(Err(_)) => return ApiError::param_malformed(&["params", "app-id"], json!(params["app-id"]), None).into_response(),
    };
    ok_json(json!({"deliveries": emulator.webhook_sender().deliveries(app)}))
}

async fn clear_deliveries(State(emulator): State<Emulator>) -> Response {
    let sender = emulator.webhook_sender();
    let cleared = sender.deliveries(None).len();
    sender.clear_log();
    ok_json(json!({"cleared": cleared}))
}

async fn flush(State(emulator): State<Emulator>, params: QueryParams) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let timeout = params.get("timeout-ms").and_then(|t| t.parse().ok()).unwrap_or(30_000);
    let sender = emulator.webhook_sender();
    let idle = sender.flush(Duration::from_millis(timeout)).await;
    ok_json(json!({"idle": idle, "in-flight": sender.in_flight()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rules() {
        assert!(check_url("http://127.0.0.1:9/hook").is_ok());
        assert!(check_url("http://localhost:9/hook").is_ok());
        assert!(check_url("https://example.com/hook").is_ok());
        let message = |url: &str| match check_url(url) {
            Err(ApiError::Instant { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert!(message("http://example.com/hook").ends_with("The Webhook url must be https"));
        assert!(message("https://localhost/hook").ends_with("localhost is not allowed."));
        assert!(message("https://10.0.0.1/hook").ends_with("Could not resolve URL."));
        assert!(message("https://100.64.0.1/hook").ends_with("Could not resolve URL."));
        assert!(message("not a url").ends_with("Invalid URL."));
    }
}
