//! The Platform API's schema pushes over HTTP (platform spec §3.10, §4.5–§4.8): plan, apply,
//! the client-built steps of an overwrite push, and the background jobs' polls. Auth is the
//! platform routes' ([`crate::platform::resolve_app`]); the work is
//! [`crate::platform_schema`]'s.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use super::admin::{respond, JsonRequest};
use super::platform::authorization;
use super::{not_found, Params};
use crate::error::ApiResult;
use crate::platform::auth::{app_not_found, uuid_param};
use crate::platform::{resolve_app, Role, Scope};
use crate::platform_schema::{self as schema, PlanOptions};
use crate::Emulator;

/// The schema routes, under both prefixes the server serves them on.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/superadmin/apps/{app_id}/schema/push/plan", post(plan).fallback(not_found))
        .route("/superadmin/apps/{app_id}/schema/push/apply", post(apply).fallback(not_found))
        .route("/dash/apps/{app_id}/schema/push/plan", post(plan).fallback(not_found))
        .route("/dash/apps/{app_id}/schema/push/apply", post(apply).fallback(not_found))
        .route("/dash/apps/{app_id}/schema/steps/apply", post(apply_steps).fallback(not_found))
        .route("/dash/apps/{app_id}/indexing-jobs/group/{group_id}", get(poll_group).fallback(not_found))
        .route("/dash/apps/{app_id}/indexing-jobs/{job_id}", get(poll_job).fallback(not_found))
}

/// The JSON body of a push, and the app it is for once the caller may push to it.
fn push_request(
    emulator: &Emulator,
    app_id: &str,
    scope: Scope,
    headers: HeaderMap,
    params: Result<Query<Params>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(JsonRequest, uuid::Uuid)> {
    let request = JsonRequest::new(emulator, headers, params, body)?;
    let store = emulator.store();
    let access = resolve_app(&store, authorization(&request.headers), app_id, scope, Role::Collaborator)?;
    Ok((request, access.app_id))
}

/// `POST …/schema/push/plan` `{schema, check_types, supports_background_updates}`: what the
/// push would do (`apps-read`).
async fn plan(
    State(emulator): State<Emulator>,
    Path(app_id): Path<String>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let (request, app_id) = push_request(&emulator, &app_id, Scope::AppsRead, headers, params, body)?;
        let pushed = request.required("schema", |_| true)?;
        let store = emulator.store();
        let app = store.apps.get(&app_id).ok_or_else(|| app_not_found(app_id))?;
        let body = request.body.clone().unwrap_or(Value::Null);
        Ok(schema::plan_with(app, pushed, PlanOptions::from_body(&body))?.to_wire())
    })
}

/// `POST …/schema/push/apply`: plans and applies; constraint changes become background jobs
/// (`apps-write`).
async fn apply(
    State(emulator): State<Emulator>,
    Path(app_id): Path<String>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let (request, app_id) = push_request(&emulator, &app_id, Scope::AppsWrite, headers, params, body)?;
        let pushed = request.required("schema", |_| true)?;
        let body = request.body.clone().unwrap_or(Value::Null);
        let mut store = emulator.store();
        let (tx, now) = store.next_tx();
        let app = store.apps.get_mut(&app_id).ok_or_else(|| app_not_found(app_id))?;
        let answer = schema::push_apply(app, pushed, PlanOptions::from_body(&body), tx, now)?;
        drop(store);
        emulator.live().changed_app(app_id);
        Ok(answer)
    })
}

/// `POST /dash/apps/{app_id}/schema/steps/apply` `{steps}`: the steps an overwrite push built
/// on the client (`apps-write`).
async fn apply_steps(
    State(emulator): State<Emulator>,
    Path(app_id): Path<String>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let (request, app_id) = push_request(&emulator, &app_id, Scope::AppsWrite, headers, params, body)?;
        let steps = request.required("steps", |_| true)?;
        let mut store = emulator.store();
        let (tx, now) = store.next_tx();
        let app = store.apps.get_mut(&app_id).ok_or_else(|| app_not_found(app_id))?;
        let answer = schema::apply_steps(app, steps, tx, now)?.to_wire();
        drop(store);
        emulator.live().changed_app(app_id);
        Ok(answer)
    })
}

/// `GET /dash/apps/{app_id}/indexing-jobs/group/{group_id}`: the push's jobs, each moved on by
/// the poll (`apps-write`, as the server asks).
async fn poll_group(State(emulator): State<Emulator>, Path((app_id, group_id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    respond(|| {
        let mut store = emulator.store();
        let access = resolve_app(&store, authorization(&headers), &app_id, Scope::AppsWrite, Role::Collaborator)?;
        let group_id = uuid_param("group_id", &group_id)?;
        let now = store.now_ms();
        let app = store.apps.get_mut(&access.app_id).ok_or_else(|| app_not_found(access.app_id))?;
        Ok(schema::poll_group(app, group_id, now))
    })
}

/// `GET /dash/apps/{app_id}/indexing-jobs/{job_id}`: one job (`apps-read`).
async fn poll_job(State(emulator): State<Emulator>, Path((app_id, job_id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    respond(|| {
        let mut store = emulator.store();
        let access = resolve_app(&store, authorization(&headers), &app_id, Scope::AppsRead, Role::Collaborator)?;
        let job_id = uuid_param("job_id", &job_id)?;
        let now = store.now_ms();
        let app = store.apps.get_mut(&access.app_id).ok_or_else(|| app_not_found(access.app_id))?;
        Ok(schema::job(app, job_id, now))
    })
}
