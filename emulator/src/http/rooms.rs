//! `GET /admin/rooms/presence` (spec §3.7) and the control route that seeds its rooms.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::admin::respond;
use super::control::{answer, control_error, no_app, parse_app_id, parse_body};
use super::{auth, required_text, Params};
use crate::error::ApiError;
use crate::platform::Scope;
use crate::{presence, Emulator};

/// `GET /admin/rooms/presence?room-type=&room-id=` (`presence-get`). Order: app id and admin
/// token → `room-type` (validated, unused) → `room-id`.
pub async fn presence(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>, headers: HeaderMap) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let app_id = auth::app_id_authed(&store, &headers, &params, Scope::DataRead)?;
        required_text(params.get("room-type").cloned(), &["params", "room-type"])?;
        let room_id = required_text(params.get("room-id").cloned(), &["params", "room-id"])?;
        let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
        Ok(presence::sessions(app, &room_id))
    })
}

/// `POST /__emulator/apps/{app_id}/presence` `{"room-type", "room-id", "peers": [{"peer-id"?,
/// "user-id"?, "data"?}]}`: replaces the room's peers (an empty list empties it) and answers
/// the room as stored, generated peer ids included.
pub async fn seed(State(emulator): State<Emulator>, Path(app_id): Path<String>, body: Bytes) -> Response {
    answer((|| {
        let body = parse_body(&body)?;
        let app_id = parse_app_id(&app_id)?;
        let text = |key: &str| {
            body.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| control_error(format!("`{key}` must be a non-blank string")))
        };
        let (room_type, room_id) = (text("room-type")?, text("room-id")?);
        let peers = presence::parse_peers(body.get("peers").unwrap_or(&Value::Null)).map_err(control_error)?;
        let wire: Vec<Value> = peers.iter().map(presence::peer_to_wire).collect();
        let mut store = emulator.store();
        let app = store.apps.get_mut(&app_id).ok_or_else(|| no_app(app_id))?;
        app.rooms.insert(room_id.clone(), peers);
        Ok(json!({"room-type": room_type, "room-id": room_id, "peers": wire}))
    })())
}
