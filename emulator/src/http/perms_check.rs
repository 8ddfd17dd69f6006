//! `POST /admin/query_perms_check` and `POST /admin/transact_perms_check` (spec §3.4, §3.5):
//! run a query or a transaction as an impersonated user and report every rule evaluated, with
//! optional rules, `request.ip` and `request.origin` overrides. The transaction is a dry run
//! unless `dangerously-commit-tx` is truthy and every check passed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::admin::{app_or_empty, respond, JsonRequest};
use super::{auth, origin, truthy, Params};
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::platform::Scope;
use crate::rules::Access;
use crate::ruleset::{document, Rules};
use crate::{query as instaql, transact as instaml, Emulator};

/// Both routes need the admin token *and* impersonation (`Cannot test perms as admin`).
fn impersonated(emulator: &Emulator, request: &JsonRequest) -> ApiResult<Caller> {
    let store = emulator.store();
    auth::app_id_authed(&store, &request.headers, &request.params, Scope::DataRead)?;
    let caller = auth::caller(&store, &request.headers, &request.params, Scope::DataRead)?;
    if caller.admin {
        return Err(ApiError::validation_msg("non-admin", json!("non-admin"), "Cannot test perms as admin"));
    }
    Ok(caller)
}

/// `ip-override` / `origin-override`: absent or a non-blank string (`coerce-non-blank-str`).
fn override_text(request: &JsonRequest, name: &str) -> ApiResult<Option<String>> {
    match request.field(name) {
        None => Ok(None),
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.clone())),
        Some(other) => Err(ApiError::param_malformed(&["body", name], other.clone(), None)),
    }
}

/// `rules-override`, validated like a pushed rules document; `None` keeps the app's rules.
fn rules_override(request: &JsonRequest) -> ApiResult<Option<Arc<Rules>>> {
    let Some(document) = request.field("rules-override") else { return Ok(None) };
    document::validate(document)?;
    Ok(Some(Arc::new(Rules::new(document.clone()))))
}

/// `request.ip` / `request.origin` as the body overrides them, read once where the server
/// reads them.
struct Overrides {
    ip: Option<String>,
    origin: Option<String>,
}

impl Overrides {
    fn read(request: &JsonRequest) -> ApiResult<Overrides> {
        Ok(Overrides { ip: override_text(request, "ip-override")?, origin: override_text(request, "origin-override")? })
    }

    /// `access` under the overrides and `rules`, showing CEL errors as the perms-check routes do.
    fn apply(self, access: Access, rules: Option<Arc<Rules>>) -> Access {
        let ip = self.ip.unwrap_or_else(|| access.asker.ip.clone());
        let origin = self.origin.unwrap_or_else(|| access.asker.origin.clone());
        let access = access.with_request(Some(ip), Some(origin)).showing_errors();
        match rules {
            Some(rules) => access.with_rules(rules),
            None => access,
        }
    }
}

/// `POST /admin/query_perms_check` → `{"check-results", "result", "rule-wheres": null}`.
pub async fn query_perms_check(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let caller = impersonated(&emulator, &request)?;
        let inference = truthy(request.field("inference?"));
        let rules = rules_override(&request)?;
        let overrides = Overrides::read(&request)?;
        let query = request.required("query", Value::is_object)?.clone();
        let store = emulator.store();
        let app = app_or_empty(&store, caller.app_id);
        let access = overrides.apply(super::access(&app, &caller, store.now_ms(), &request.headers), rules);
        let (result, checks) = instaql::run_checked(&app, &query, inference, &access, &origin(&request.headers))?;
        Ok(json!({"check-results": checks, "result": result, "rule-wheres": null}))
    })
}

/// `POST /admin/transact_perms_check` → `{"tx-id", "all-checks-ok?", "committed?", "check-results"}`.
pub async fn transact_perms_check(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let caller = impersonated(&emulator, &request)?;
        let commit = truthy(request.field("dangerously-commit-tx"));
        let overrides = Overrides::read(&request)?;
        let steps = request.required("steps", |v| v.is_array() || v.is_object())?.clone();
        let throw_on_missing_attrs = truthy(request.field("throw-on-missing-attrs?"));
        let rules = rules_override(&request)?;
        let mut store = emulator.store();
        if !store.apps.contains_key(&caller.app_id) {
            return Err(ApiError::record_not_found("app", json!({"args": [{"id": caller.app_id.to_string()}]})));
        }
        let (tx_id, now) = store.next_tx();
        let app = store.apps.get_mut(&caller.app_id).ok_or_else(ApiError::unknown)?;
        let mut draft = app.clone();
        let access = overrides.apply(super::access(&draft, &caller, now, &request.headers), rules);
        let report = instaml::apply_checked(&mut draft, &steps, throw_on_missing_attrs, &access, now)?;
        let committed = commit && report.all_ok;
        if committed {
            *app = draft;
        }
        Ok(json!({"tx-id": tx_id, "all-checks-ok?": report.all_ok, "committed?": committed, "check-results": report.results}))
    })
}
