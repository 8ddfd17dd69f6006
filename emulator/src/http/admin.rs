//! Handlers for `/admin/*` data routes (spec §3).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{auth, decode_json_body, ok_json, origin, truthy, Params};
use crate::error::{ApiError, ApiResult};
use crate::platform::Scope;
use crate::store::App;
use crate::{query as instaql, transact as instaml, Emulator, Store};

/// The pieces every JSON admin handler starts from.
pub(super) struct JsonRequest {
    pub(super) headers: HeaderMap,
    pub(super) params: Params,
    pub(super) body: Option<Value>,
}

impl JsonRequest {
    pub(super) fn new(
        emulator: &Emulator,
        headers: HeaderMap,
        params: Result<Query<Params>, QueryRejection>,
        body: Result<Bytes, BytesRejection>,
    ) -> ApiResult<JsonRequest> {
        let body = body.map_err(|_| ApiError::PayloadTooLarge { limit: emulator.config().max_body_bytes })?;
        let body = decode_json_body(&headers, &body)?;
        let params = params.map(|Query(p)| p).unwrap_or_default();
        Ok(JsonRequest { headers, params, body })
    }

    pub(super) fn field(&self, name: &str) -> Option<&Value> {
        self.body.as_ref().and_then(|b| b.get(name)).filter(|v| !v.is_null())
    }

    /// A required body field, checked with `accept` (`get-param!`).
    pub(super) fn required(&self, name: &str, accept: impl Fn(&Value) -> bool) -> ApiResult<&Value> {
        let Some(value) = self.field(name) else {
            return Err(ApiError::param_missing(&["body", name], None));
        };
        if accept(value) {
            Ok(value)
        } else {
            Err(ApiError::param_malformed(&["body", name], value.clone(), None))
        }
    }
}

/// Runs a handler body. A bug that panics answers the server's untyped 500 instead of
/// dropping the connection; the store stays consistent because writes go to a copy first.
pub(super) fn respond(handler: impl FnOnce() -> ApiResult<Value>) -> Response {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(handler)) {
        Ok(Ok(value)) => ok_json(value),
        Ok(Err(error)) => error.into_response(),
        Err(_) => ApiError::unknown().into_response(),
    }
}

/// An app to read from: unknown apps (reachable only through `as-guest`) read as empty.
pub(super) fn app_or_empty(store: &crate::Store, app_id: Uuid) -> std::borrow::Cow<'_, App> {
    match store.apps.get(&app_id) {
        Some(app) => std::borrow::Cow::Borrowed(app),
        None => std::borrow::Cow::Owned(App::new(app_id, Uuid::nil())),
    }
}

/// Runs `change` on a copy of the app, given the write's transaction id and time, and keeps the
/// copy only if it succeeded: every write is all or nothing. An unknown app is
/// `record-not-found` `app`.
pub(super) fn write_tx<T>(store: &mut Store, app_id: Uuid, change: impl FnOnce(&mut App, u64, i64) -> ApiResult<T>) -> ApiResult<T> {
    if !store.apps.contains_key(&app_id) {
        return Err(ApiError::record_not_found("app", json!({"args": [{"id": app_id.to_string()}]})));
    }
    let (tx_id, now) = store.next_tx();
    let app = store.apps.get_mut(&app_id).ok_or_else(ApiError::unknown)?;
    let mut draft = app.clone();
    let out = change(&mut draft, tx_id, now)?;
    *app = draft;
    Ok(out)
}

/// [`write_tx`] for writes that need only the time. The copy carries the app's auth settings
/// and rate-limit buckets along unchanged.
pub(super) fn write<T>(store: &mut Store, app_id: Uuid, change: impl FnOnce(&mut App, i64) -> ApiResult<T>) -> ApiResult<T> {
    write_tx(store, app_id, |app, _, now| change(app, now))
}

/// `POST /admin/query` (§3.1). Order: app id → `query` → auth → validation → execution.
pub async fn query(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        auth::app_id_untrusted(&request.headers, &request.params)?;
        let query = request.required("query", Value::is_object)?.clone();
        let inference = truthy(request.field("inference?"));
        let store = emulator.store();
        let caller = auth::caller(&store, &request.headers, &request.params, Scope::DataRead)?;
        let app = app_or_empty(&store, caller.app_id);
        let access = super::access(&app, &caller, store.now_ms(), &request.headers);
        instaql::run(&app, &query, inference, &access, &origin(&request.headers))
    })
}

/// `POST /admin/transact` (§3.2). Order: app id → `steps` → auth → validation → execution.
pub async fn transact(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        auth::app_id_untrusted(&request.headers, &request.params)?;
        let steps = request.required("steps", |v| v.is_array() || v.is_object())?.clone();
        let throw_on_missing_attrs = truthy(request.field("throw-on-missing-attrs?"));
        let mut store = emulator.store();
        let caller = auth::caller(&store, &request.headers, &request.params, Scope::DataWrite)?;
        let tx_id = write_tx(&mut store, caller.app_id, |app, tx_id, now| {
            let access = super::access(app, &caller, now, &request.headers);
            instaml::apply(app, &steps, throw_on_missing_attrs, &access, now).map(|_| tx_id)
        })?;
        Ok(serde_json::to_value(instant_edge::models::TransactResponse { tx_id }).unwrap_or_else(|_| json!({"tx-id": tx_id})))
    })
}
