//! The test-only control surface under `/__emulator/`: not part of Instant's API, and never
//! named like it, so nothing can mistake one for the other.
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `GET /__emulator/health` | — | `{"ok": true, "app-id": <default app>}` |
//! | `POST /__emulator/apps` | `{"app-id"?, "admin-token"?, "schema"?}` | `{"app-id", "admin-token"}` |
//! | `POST /__emulator/apps/{app_id}/schema` | schema JSON (`i.schema(...)`) | `{"ok": true}` |
//! | `POST /__emulator/reset` | — | `{"ok": true}`: every app dropped, the default one recreated |
//! | `GET /__emulator/apps/{app_id}/outbox` | — | `{"messages": [{"email", "code", "sent-at"}]}`: what `send_magic_code` would have mailed |

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{not_found, ok_json};
use crate::error::ApiError;
use crate::store::App;
use crate::{schema, Emulator};

pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/__emulator/health", get(health).fallback(not_found))
        .route("/__emulator/apps", post(create_app).fallback(not_found))
        .route("/__emulator/apps/{app_id}/schema", post(set_schema).fallback(not_found))
        .route("/__emulator/reset", post(reset).fallback(not_found))
        .route("/__emulator/apps/{app_id}/outbox", get(outbox).fallback(not_found))
}

fn control_error(message: impl Into<String>) -> Response {
    ApiError::bad_request("validation-failed", message, Value::Null).into_response()
}

fn parse_body(body: &Bytes) -> Result<Value, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|_| ApiError::MalformedJson.into_response())
}

fn optional_uuid(body: &Value, key: &str) -> Result<Option<Uuid>, Response> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .map(Some)
            .ok_or_else(|| control_error(format!("`{key}` must be a UUID"))),
    }
}

async fn outbox(State(emulator): State<Emulator>, Path(app_id): Path<String>) -> Response {
    let Ok(app_id) = Uuid::parse_str(&app_id) else { return control_error("the app id must be a UUID") };
    let store = emulator.store();
    let Some(app) = store.apps.get(&app_id) else { return control_error("no such app") };
    let messages: Vec<Value> = app
        .outbox
        .iter()
        .map(|m| json!({"email": m.email, "code": m.code, "sent-at": m.sent_at}))
        .collect();
    ok_json(json!({ "messages": messages }))
}

async fn health(State(emulator): State<Emulator>) -> Response {
    ok_json(json!({"ok": true, "app-id": emulator.default_app_id().to_string()}))
}

async fn create_app(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let result = (|| {
        let body = parse_body(&body)?;
        let app_id = optional_uuid(&body, "app-id")?.unwrap_or_else(Uuid::new_v4);
        let admin_token = optional_uuid(&body, "admin-token")?.unwrap_or_else(Uuid::new_v4);
        let mut app = App::new(app_id, admin_token);
        let mut store = emulator.store();
        if store.apps.contains_key(&app_id) {
            return Err(control_error(format!("app {app_id} already exists")));
        }
        if let Some(schema_json) = body.get("schema").filter(|s| !s.is_null()) {
            let (_, now) = store.next_tx();
            schema::apply(&mut app, schema_json, now).map_err(control_error)?;
        }
        store.apps.insert(app_id, app);
        Ok(ok_json(json!({"app-id": app_id.to_string(), "admin-token": admin_token.to_string()})))
    })();
    result.unwrap_or_else(|response| response)
}

async fn set_schema(
    State(emulator): State<Emulator>,
    Path(app_id): Path<String>,
    body: Bytes,
) -> Response {
    let result = (|| {
        let schema_json = parse_body(&body)?;
        let app_id = Uuid::parse_str(&app_id).map_err(|_| control_error("app id must be a UUID"))?;
        let mut store = emulator.store();
        let (_, now) = store.next_tx();
        let Some(app) = store.apps.get_mut(&app_id) else {
            return Err(control_error(format!("no app {app_id}")));
        };
        let mut draft = app.clone();
        schema::apply(&mut draft, &schema_json, now).map_err(control_error)?;
        *app = draft;
        Ok(ok_json(json!({"ok": true})))
    })();
    result.unwrap_or_else(|response| response)
}

async fn reset(State(emulator): State<Emulator>) -> Response {
    match emulator.reset() {
        Ok(()) => ok_json(json!({"ok": true})),
        Err(message) => control_error(message),
    }
}
