//! `GET /admin/schema` and `GET /admin/soft_deleted_attrs` (spec §3.17, §3.18): the app's
//! attributes, for an admin (`req->app-id-authed!`; no rate-limit wrapper, no impersonation).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::admin::respond;
use super::{auth, Params};
use crate::error::ApiError;
use crate::platform::Scope;
use crate::Emulator;

/// `GET /admin/schema` (`schema-get`): `{"schema": {"blobs", "refs"}}`.
pub async fn schema(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>, headers: HeaderMap) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let app_id = auth::app_id_authed(&store, &headers, &params, Scope::AppsRead)?;
        let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
        Ok(json!({"schema": crate::schema::admin_schema(app)}))
    })
}

/// `GET /admin/soft_deleted_attrs` (`soft-deleted-attrs-get`): `{"attrs", "grace-period-days"}`.
pub async fn soft_deleted_attrs(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let app_id = auth::app_id_authed(&store, &headers, &params, Scope::AppsRead)?;
        let app = store.apps.get(&app_id).ok_or_else(ApiError::unknown)?;
        Ok(crate::schema::soft_deleted_attrs(app, store.now_ms()))
    })
}
