//! The Platform API's app routes (platform spec §3): `/superadmin/apps…`, `/superadmin/orgs…`
//! and the unauthenticated ephemeral apps under `/dash/apps/ephemeral`. Who may call what is
//! [`crate::platform::auth`]'s business; this module reads the request and renders rows.
//!
//! | Route | Auth (scope, role) | Answer |
//! |---|---|---|
//! | `GET /superadmin/apps[?include=perms,schema]` | user, apps-read | `{"apps": [row…]}`: personal apps the caller created |
//! | `POST /superadmin/apps` `{title, org_id?, perms?, schema?}` | user, apps-write (org admin) | `{"app": row + "admin-token", "perms", "schema"}` |
//! | `GET /superadmin/orgs` | user, apps-read | `{"orgs": [{id, title, created_at, updated_at, role, paid}]}` |
//! | `GET /superadmin/orgs/{org_id}/apps[?include=…]` | user, apps-read, org member | `{"apps": [row + admin_token, rules, org, members…]}` |
//! | `GET /superadmin/apps/{app_id}` | app, apps-read, collaborator | `{"app": row}` |
//! | `POST /superadmin/apps/{app_id}` `{title}` | app, apps-write, admin | `{"app": row}` |
//! | `DELETE /superadmin/apps/{app_id}` | user, apps-write, admin (owner of a personal app) | `{"app": row}` with `deletion_marked_at` |
//! | `GET /superadmin/apps/{app_id}/schema` | app, apps-read, collaborator | `{"schema": {"refs", "blobs"}}` |
//! | `GET /superadmin/apps/{app_id}/perms` | app, apps-read, collaborator | `{"perms": code or null}` |
//! | `POST /superadmin/apps/{app_id}/perms` `{code}` | app, apps-write, collaborator | `{"rules": {"app_id", "code", "version"}}` |
//! | `POST /dash/apps/ephemeral` `{title, schema?, rules?: {code}}` | none | `{"app": row + "admin-token", "expires_ms"}` |
//! | `GET /dash/apps/ephemeral/{app_id}` | none | `{"app": row, "expires_ms"}` |

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use uuid::Uuid;

use super::admin::{respond, JsonRequest};
use super::{not_found, Params};
use crate::error::{ApiError, ApiResult};
use crate::platform::apps::{jsonb_order, perms, EPHEMERAL_LIFETIME_MS};
use crate::platform::auth::{app_not_found, live_app, role_too_low, uuid_param};
use crate::platform::{api_schema, resolve_app, resolve_user, resolve_user_and_app, AppMeta, Role, Scope, User};
use crate::platform_schema::PlanOptions;
use crate::ruleset::document::validation_errors;
use crate::ruleset::Rules;
use crate::store::App;
use crate::values::{coerce_uuid, iso_seconds, json_eq};
use crate::{Emulator, Store};

/// The Platform app routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/superadmin/apps", get(list_apps).post(create_app).fallback(not_found))
        .route("/superadmin/orgs", get(list_orgs).fallback(not_found))
        .route("/superadmin/orgs/{org_id}/apps", get(org_apps).fallback(not_found))
        .route("/superadmin/apps/{app_id}", get(get_app).post(rename_app).delete(delete_app).fallback(not_found))
        .route("/superadmin/apps/{app_id}/schema", get(get_schema).fallback(not_found))
        .route("/superadmin/apps/{app_id}/perms", get(get_perms).post(push_perms).fallback(not_found))
        .route("/dash/apps/ephemeral", post(create_ephemeral).fallback(not_found))
        .route("/dash/apps/ephemeral/{app_id}", get(get_ephemeral).fallback(not_found))
}

/// The `Authorization` header as text; one that is not text classifies as malformed.
pub(super) fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or(""))
}

/// The `apps` row of a live app.
fn row(store: &Store, app_id: Uuid) -> Value {
    store.platform.meta_or_default(app_id).row(store.apps.get(&app_id), app_id)
}

/// The app itself; the resolvers only hand out live apps, so a miss is a bug.
fn app(store: &Store, app_id: Uuid) -> ApiResult<&App> {
    store.apps.get(&app_id).ok_or_else(|| app_not_found(app_id))
}

/// `enhance-apps`: `?include=` is a comma list; `schema` and `perms` add those keys per app.
fn enhance(store: &Store, params: &Params, rows: Vec<(Uuid, Value)>) -> Vec<Value> {
    let includes: BTreeSet<&str> =
        params.get("include").map(|i| i.trim()).filter(|i| !i.is_empty()).map(|i| i.split(',').collect()).unwrap_or_default();
    rows.into_iter()
        .map(|(app_id, mut row)| {
            if let Some(app) = store.apps.get(&app_id) {
                if includes.contains("schema") {
                    row["schema"] = api_schema(app);
                }
                if includes.contains("perms") {
                    row["perms"] = perms(app, &store.platform.meta_or_default(app_id));
                }
            }
            row
        })
        .collect()
}

/// A title (`coerce-non-blank-str`): strings trimmed and non-blank, numbers printed; absent or
/// `null` is `param-missing`, anything else `param-malformed`.
fn title(request: &JsonRequest) -> ApiResult<String> {
    let path = ["body", "title"];
    let Some(value) = request.field("title").filter(|v| **v != Value::Bool(false)) else {
        return Err(ApiError::param_missing(&path, None));
    };
    let title = match value {
        Value::String(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    title.ok_or_else(|| ApiError::param_malformed(&path, value.clone(), None))
}

/// Rules code checked as the server checks it before storing (`assert-valid!` with
/// `data_type` `perms` on create, `rule` elsewhere).
fn validated_rules(data_type: &str, code: &Value) -> ApiResult<()> {
    let errors = validation_errors(code);
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(data_type, code.clone(), errors))
}

/// A new app in the store with its row, rules and schema. The schema goes last, as on the
/// server: when it fails the app stays, with its rules, and the error is returned.
fn insert_app(store: &mut Store, meta: AppMeta, rules: Option<Value>, schema: Option<&Value>) -> (Uuid, Uuid, Option<ApiError>) {
    let (app_id, admin_token) = (Uuid::new_v4(), Uuid::new_v4());
    let mut app = App::new(app_id, admin_token);
    let has_rules = rules.is_some();
    if let Some(code) = rules {
        app.rules = Arc::new(Rules::new(code));
    }
    let mut failure = None;
    if let Some(schema) = schema {
        // Planned without background updates and applied at once (`apps-create-post`); a plan
        // that fails changes nothing.
        let (tx, now) = store.next_tx();
        let options = PlanOptions { check_types: true, background_updates: false };
        failure = crate::platform_schema::push_apply(&mut app, schema, options, tx, now).err();
    }
    store.apps.insert(app_id, app);
    store.platform.register_app(app_id, AppMeta { rules_version: has_rules.then_some(0), ..meta });
    (app_id, admin_token, failure)
}

/// A `schema` body value worth planning (`(when schema …)`: `null` and `false` are none).
fn schema_param(request: &JsonRequest) -> Option<Value> {
    request.field("schema").filter(|s| **s != Value::Bool(false)).cloned()
}

/// `GET /superadmin/apps`: the caller's personal apps only, never org apps or apps shared with
/// them (`list-by-creator-id`).
async fn list_apps(State(emulator): State<Emulator>, params: Result<Query<Params>, QueryRejection>, headers: HeaderMap) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let user = resolve_user(&store, authorization(&headers), Scope::AppsRead)?;
        let ids = store.platform.apps_where(|meta| meta.creator_id == Some(user.id));
        let rows = ids.into_iter().filter(|id| store.apps.contains_key(id)).map(|id| (id, row(&store, id))).collect();
        Ok(json!({"apps": enhance(&store, &params, rows)}))
    })
}

/// `POST /superadmin/apps` (`apps-create-post`).
async fn create_app(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let user = resolve_user(&store, authorization(&request.headers), Scope::AppsWrite)?;
        let title = title(&request)?;
        let org_id = match request.field("org_id").filter(|v| **v != Value::Bool(false)) {
            None => None,
            Some(raw) => {
                Some(raw.as_str().and_then(coerce_uuid).ok_or_else(|| ApiError::param_malformed(&["body", "org_id"], raw.clone(), None))?)
            }
        };
        if let Some(org_id) = org_id {
            match org_role(&store, &user, org_id)? {
                OrgRole::Member(role) if role >= Role::Admin => {}
                OrgRole::Member(role) => return Err(role_too_low(role.name())),
                OrgRole::AppMember => {
                    return Err(ApiError::validation(
                        "user-role",
                        json!("app-member"),
                        vec![json!({"message": "This is not a valid role", "expected": ["collaborator", "admin", "owner"]})],
                    ))
                }
            }
        }
        let schema = schema_param(&request);
        let rules = request.field("perms").filter(|v| **v != Value::Bool(false)).cloned();
        if let Some(code) = &rules {
            validated_rules("perms", code)?;
        }
        let meta =
            AppMeta { creator_id: if org_id.is_some() { None } else { Some(user.id) }, org_id, ..AppMeta::unowned(&title, store.now_ms()) };
        let (app_id, admin_token, failure) = insert_app(&mut store, meta, rules, schema.as_ref());
        let mut answer = row(&store, app_id);
        let app = app(&store, app_id)?;
        answer["admin-token"] = json!(admin_token.to_string());
        answer["perms"] = perms(app, &store.platform.meta_or_default(app_id));
        answer["schema"] = api_schema(app);
        drop(store);
        // Guests may have subscribed to this app id before it existed (it read as empty).
        emulator.live().changed_app(app_id);
        match failure {
            Some(error) => Err(error),
            None => Ok(json!({ "app": answer })),
        }
    })
}

/// A user's standing in an org (`org-for-user-q`): a member role, or `app-member` when they
/// only collaborate on one of its apps.
enum OrgRole {
    Member(Role),
    AppMember,
}

/// `get-org-for-user!`: not a member at all is `Record not found: org`.
fn org_role(store: &Store, user: &User, org_id: Uuid) -> ApiResult<OrgRole> {
    let identity = &store.platform.identity;
    if let Some(role) = identity.org(org_id).and_then(|org| org.role_of(user.id)) {
        return Ok(OrgRole::Member(role));
    }
    let in_org_app =
        identity.app_memberships(user.id).any(|(app_id, _)| live_app(store, app_id).is_some_and(|meta| meta.org_id == Some(org_id)));
    if identity.org(org_id).is_some() && in_org_app {
        return Ok(OrgRole::AppMember);
    }
    Err(ApiError::record_not_found("org", json!({"args": [{"user-id": user.id.to_string(), "org-id": org_id.to_string()}]})))
}

/// `GET /superadmin/orgs`: orgs the caller is a member of, then orgs where they only
/// collaborate on an app (role `app-member`).
async fn list_orgs(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    respond(|| {
        let store = emulator.store();
        let user = resolve_user(&store, authorization(&headers), Scope::AppsRead)?;
        let mut orgs = Vec::new();
        for org in store.platform.identity.orgs() {
            let role = match org_role(&store, &user, org.id) {
                Ok(OrgRole::Member(role)) => role.name(),
                Ok(OrgRole::AppMember) => "app-member",
                Err(_) => continue,
            };
            orgs.push((
                org.created_at,
                json!({
                    "id": org.id.to_string(),
                    "title": org.title,
                    "created_at": iso_seconds(org.created_at),
                    "updated_at": iso_seconds(org.updated_at),
                    "role": role,
                    "paid": false,
                }),
            ));
        }
        orgs.sort_by_key(|(created_at, org)| (*created_at, org["role"] == "app-member"));
        Ok(json!({"orgs": orgs.into_iter().map(|(_, org)| org).collect::<Vec<_>>()}))
    })
}

/// `GET /superadmin/orgs/{org_id}/apps` (`apps-for-org`): every app of the org for a member,
/// only the apps they collaborate on for an app member; rows carry the dashboard's extras.
async fn org_apps(
    State(emulator): State<Emulator>,
    Path(org_id): Path<String>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    respond(|| {
        let params = params.map(|Query(p)| p).unwrap_or_default();
        let store = emulator.store();
        let user = resolve_user(&store, authorization(&headers), Scope::AppsRead)?;
        let org_id = uuid_param("org_id", &org_id)?;
        let member = matches!(org_role(&store, &user, org_id)?, OrgRole::Member(_));
        let identity = &store.platform.identity;
        let ids = store.platform.apps_where(|meta| meta.org_id == Some(org_id));
        let rows = ids
            .into_iter()
            .filter(|id| store.apps.contains_key(id) && (member || identity.app_member_role(*id, user.id).is_some()))
            .map(|id| (id, org_app_row(&store, &user, id)))
            .collect();
        Ok(json!({"apps": enhance(&store, &params, rows)}))
    })
}

/// A row of `make-apps-q`: the `apps` row plus the admin token, rules, org, members and the
/// caller's own role on the app.
fn org_app_row(store: &Store, user: &User, app_id: Uuid) -> Value {
    let mut row = row(store, app_id);
    let meta = store.platform.meta_or_default(app_id);
    let identity = &store.platform.identity;
    let app = store.apps.get(&app_id);
    let org = meta.org_id.and_then(|id| identity.org(id)).map(|org| json!({"id": org.id.to_string(), "title": org.title}));
    let members: Vec<Value> = identity
        .app_members(app_id)
        .into_iter()
        .filter_map(|(member, role)| identity.user(member).map(|u| json!({"id": u.id.to_string(), "email": u.email, "role": role.name()})))
        .collect();
    let user_role = if meta.creator_id == Some(user.id) { Some(Role::Owner) } else { identity.app_member_role(app_id, user.id) };
    let extras = json!({
        "admin_token": app.map(|a| a.admin_token.to_string()),
        "rules": app.map(|a| perms(a, &meta)).unwrap_or(Value::Null),
        "rules_version": app.and_then(|a| meta.effective_rules_version(a)),
        "org": org,
        "pro": false,
        "user_app_role": user_role.map(Role::name),
        "members": members,
        "invites": [],
        "webhooks": [],
        "magic_code_email_template": null,
    });
    if let (Some(row), Value::Object(extras)) = (row.as_object_mut(), extras) {
        row.extend(extras);
    }
    row
}

/// `GET /superadmin/apps/{app_id}`: `include` is ignored here.
async fn get_app(State(emulator): State<Emulator>, Path(app_id): Path<String>, headers: HeaderMap) -> Response {
    respond(|| {
        let store = emulator.store();
        let access = resolve_app(&store, authorization(&headers), &app_id, Scope::AppsRead, Role::Collaborator)?;
        Ok(json!({"app": row(&store, access.app_id)}))
    })
}

/// `POST /superadmin/apps/{app_id}` `{title}`: rename.
async fn rename_app(
    State(emulator): State<Emulator>,
    Path(app_id): Path<String>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let access = resolve_app(&store, authorization(&request.headers), &app_id, Scope::AppsWrite, Role::Admin)?;
        let title = title(&request)?;
        store.platform.meta_mut(access.app_id).title = title;
        Ok(json!({"app": row(&store, access.app_id)}))
    })
}

/// `DELETE /superadmin/apps/{app_id}`: a soft delete. The app leaves the store (its data and
/// admin token stop working everywhere); its row stays, so the answer and later lookups of its
/// admin token can name it.
async fn delete_app(State(emulator): State<Emulator>, Path(app_id): Path<String>, headers: HeaderMap) -> Response {
    respond(|| {
        let mut store = emulator.store();
        let (user, access) = resolve_user_and_app(&store, authorization(&headers), &app_id, Scope::AppsWrite, Role::Admin)?;
        let creator = store.platform.meta_or_default(access.app_id).creator_id;
        if creator.is_some_and(|creator| creator != user.id) {
            // A personal app needs its owner; an org app only an admin.
            return Err(role_too_low("owner"));
        }
        let now = store.now_ms();
        let removed = store.apps.remove(&access.app_id).ok_or_else(|| app_not_found(access.app_id))?;
        store.platform.mark_deleted(access.app_id, removed.admin_token, now);
        let answer = store.platform.meta_or_default(access.app_id).row(Some(&removed), access.app_id);
        drop(store);
        emulator.live().changed_app(access.app_id);
        Ok(json!({ "app": answer }))
    })
}

/// `GET /superadmin/apps/{app_id}/schema`.
async fn get_schema(State(emulator): State<Emulator>, Path(app_id): Path<String>, headers: HeaderMap) -> Response {
    respond(|| {
        let store = emulator.store();
        let access = resolve_app(&store, authorization(&headers), &app_id, Scope::AppsRead, Role::Collaborator)?;
        Ok(json!({"schema": api_schema(app(&store, access.app_id)?)}))
    })
}

/// `GET /superadmin/apps/{app_id}/perms`.
async fn get_perms(State(emulator): State<Emulator>, Path(app_id): Path<String>, headers: HeaderMap) -> Response {
    respond(|| {
        let store = emulator.store();
        let access = resolve_app(&store, authorization(&headers), &app_id, Scope::AppsRead, Role::Collaborator)?;
        let app = app(&store, access.app_id)?;
        Ok(json!({"perms": perms(app, &store.platform.meta_or_default(access.app_id))}))
    })
}

/// `POST /superadmin/apps/{app_id}/perms` `{code}`: validated, stored, and the version bumped
/// only when the code changed (`rule-model/put!`). An identical push answers the unchanged row,
/// or, with the `identical_perms_null` fidelity switch on, the server's `{"rules": null}`
/// (its upsert returns no row then, spec §3.8, §7 item 7).
async fn push_perms(
    State(emulator): State<Emulator>,
    Path(app_id): Path<String>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let mut store = emulator.store();
        let access = resolve_app(&store, authorization(&request.headers), &app_id, Scope::AppsWrite, Role::Collaborator)?;
        let code = request.required("code", |v| *v != Value::Bool(false))?.clone();
        validated_rules("rule", &code)?;
        let app_id = access.app_id;
        let current = store.platform.meta_or_default(app_id).effective_rules_version(app(&store, app_id)?);
        let app = store.apps.get_mut(&app_id).ok_or_else(|| app_not_found(app_id))?;
        let identical = current.is_some() && json_eq(app.rules.document(), &code);
        let version = match current {
            None => 0,
            Some(version) if identical => version,
            Some(version) => version + 1,
        };
        if current != Some(version) {
            app.rules = Arc::new(Rules::new(code));
        }
        let stored = jsonb_order(app.rules.document());
        store.platform.meta_mut(app_id).rules_version = Some(version);
        drop(store);
        // Rules decide what impersonated subscriptions see, though no data changed.
        emulator.live().changed_app(app_id);
        if identical && emulator.fidelity().identical_perms_null {
            return Ok(json!({"rules": null}));
        }
        Ok(json!({"rules": {"app_id": app_id.to_string(), "code": stored, "version": version}}))
    })
}

/// `POST /dash/apps/ephemeral` `{title, schema?, rules?: {code}}`: no auth; the app belongs to
/// the ephemeral service user and is promised 14 days.
async fn create_ephemeral(
    State(emulator): State<Emulator>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(|| {
        let request = JsonRequest::new(&emulator, headers, params, body)?;
        let title = title(&request)?;
        let schema = schema_param(&request);
        let rules = request.field("rules").and_then(|r| r.get("code")).filter(|c| !c.is_null() && **c != Value::Bool(false)).cloned();
        if let Some(code) = &rules {
            validated_rules("rule", code)?;
        }
        let mut store = emulator.store();
        let meta = AppMeta { creator_id: Some(store.platform.ephemeral_creator()), ..AppMeta::unowned(&title, store.now_ms()) };
        let created_at = meta.created_at;
        let (app_id, admin_token, failure) = insert_app(&mut store, meta, rules, schema.as_ref());
        let mut answer = row(&store, app_id);
        answer["admin-token"] = json!(admin_token.to_string());
        drop(store);
        emulator.live().changed_app(app_id);
        match failure {
            Some(error) => Err(error),
            None => Ok(json!({"app": answer, "expires_ms": created_at + EPHEMERAL_LIFETIME_MS})),
        }
    })
}

/// `GET /dash/apps/ephemeral/{app_id}`: no auth, ephemeral apps only.
async fn get_ephemeral(State(emulator): State<Emulator>, Path(app_id): Path<String>) -> Response {
    respond(|| {
        let store = emulator.store();
        let app_id = uuid_param("app_id", &app_id)?;
        let meta = live_app(&store, app_id).ok_or_else(|| app_not_found(app_id))?;
        if meta.creator_id != Some(store.platform.ephemeral_creator()) {
            return Err(ApiError::bad_request(
                "permission-denied",
                "Permission denied: not ephemeral-app?",
                json!({"input": app_id.to_string(), "expected": "ephemeral-app?"}),
            ));
        }
        let expires_ms = meta.created_at + EPHEMERAL_LIFETIME_MS;
        Ok(json!({"app": row(&store, app_id), "expires_ms": expires_ms}))
    })
}
