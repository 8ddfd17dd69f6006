//! Who is calling a Platform route, and may they (platform spec §1.1–§1.3): the `Authorization`
//! header parsed and classified by prefix, user-level and app-level resolution, OAuth scopes
//! with their implication, member roles, and the server's exact 400s.
//!
//! Pure over the store: nothing here writes, so a route can resolve first and then take what it
//! needs to change.

use std::borrow::Cow;

use serde_json::{json, Value};
use uuid::Uuid;

use super::identity::{Role, Scope, User, ACCESS_TOKEN_PREFIX, PERSONAL_TOKEN_PREFIX};
use super::AppMeta;
use crate::error::{ApiError, ApiResult};
use crate::values::{coerce_uuid, iso_seconds};
use crate::Store;

/// A Bearer token, classified by its prefix (`coerce-token-from-string`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bearer {
    /// `pat_…`: an OAuth access token.
    Access(String),
    /// `per_…`: a personal access token.
    Personal(String),
    /// `eyJ…`: a JWT, which no Platform route accepts.
    Jwt,
    /// Any UUID: a legacy personal access token, an app admin token or a dashboard refresh
    /// token, tried in that order.
    Uuid(Uuid),
}

/// Parses an `Authorization` header value (`None` when the header is absent) the way
/// `coerce-bearer-token` does: split on the literal, case-sensitive `"Bearer "` (trailing empty
/// pieces dropped, as Java's `split` drops them), take the last piece, trim, classify. A missing
/// header is `param-missing`; anything unclassifiable (`prt_…`, garbage, an empty token) is
/// `param-malformed`, both on `["headers" "authorization"]`.
pub fn parse_bearer(header: Option<&str>) -> ApiResult<Bearer> {
    let path = ["headers", "authorization"];
    let Some(raw) = header else { return Err(ApiError::param_missing(&path, None)) };
    let mut pieces: Vec<&str> = raw.split("Bearer ").collect();
    while pieces.last() == Some(&"") {
        pieces.pop();
    }
    let token = pieces.last().map(|p| p.trim()).unwrap_or("");
    let bearer = if token.starts_with(ACCESS_TOKEN_PREFIX) {
        Some(Bearer::Access(token.to_owned()))
    } else if token.starts_with(PERSONAL_TOKEN_PREFIX) {
        Some(Bearer::Personal(token.to_owned()))
    } else if token.starts_with("eyJ") {
        Some(Bearer::Jwt)
    } else if token.len() == 36 {
        coerce_uuid(token).map(Bearer::Uuid)
    } else {
        None
    };
    bearer.filter(|_| !token.is_empty()).ok_or_else(|| ApiError::param_malformed(&path, json!(raw), None))
}

/// How an app-level call was authorised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grant {
    /// The app's own admin token: every scope, but this app only.
    AdminToken,
    /// An Instant user (by PAT or OAuth token) with this role on the app, the higher of their
    /// app role (the creator is `owner`) and their org role.
    Member {
        /// The user.
        user: User,
        /// Their effective role.
        role: Role,
    },
}

/// A live app a call may act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppAccess {
    /// The app.
    pub app_id: Uuid,
    /// How the caller got in.
    pub grant: Grant,
}

/// `Record not found: instant-user` (an unknown PAT, or any other token on a user-level route).
fn unknown_user() -> ApiError {
    ApiError::record_not_found("instant-user", json!({}))
}

/// `Record not found: app` for a missing or deleted app (`get-by-id!`).
pub fn app_not_found(app_id: Uuid) -> ApiError {
    ApiError::record_not_found("app", json!({"args": [{"id": app_id.to_string()}]}))
}

/// `You are missing the <scope> scope` (`throw-missing-scope!`).
pub fn missing_scope(scope: Scope) -> ApiError {
    ApiError::bad_request(
        "permission-denied",
        format!("You are missing the {} scope", scope.name()),
        json!({"required-scope": scope.name()}),
    )
}

/// `Permission denied: not allowed-member-role?` with the role the caller has.
pub fn role_too_low(role: &str) -> ApiError {
    ApiError::bad_request(
        "permission-denied",
        "Permission denied: not allowed-member-role?",
        json!({"input": role, "expected": "allowed-member-role?"}),
    )
}

/// `Validation failed for user-role: User is missing role <role>.` (no role at all).
pub fn missing_role(role: Role) -> ApiError {
    ApiError::validation("user-role", Value::Null, vec![json!({"message": format!("User is missing role {}.", role.name())})])
}

/// A path parameter that must be a UUID (`get-param! [:params name] uuid-util/coerce`).
pub fn uuid_param(name: &str, raw: &str) -> ApiResult<Uuid> {
    coerce_uuid(raw).ok_or_else(|| ApiError::param_malformed(&["params", name], json!(raw), None))
}

/// The user behind a `pat_` or `per_` token, scope checked (`req->superadmin-user!` once the
/// header is parsed). A UUID is tried as a legacy PAT only; JWTs can never match.
pub fn user_for_bearer(store: &Store, bearer: &Bearer, scope: Scope) -> ApiResult<User> {
    let identity = &store.platform.identity;
    let user = match bearer {
        Bearer::Access(token) => {
            let grant = identity.access_token(token).ok_or_else(|| ApiError::record_not_found("oauth-access-token", Value::Null))?;
            if grant.expires_at <= store.now_ms() {
                return Err(ApiError::bad_request(
                    "record-expired",
                    "Record expired: oauth-access-token",
                    json!({"expired_at": iso_seconds(grant.expires_at)}),
                ));
            }
            if !scope.satisfied_by(&grant.scopes) {
                return Err(missing_scope(scope));
            }
            identity.user(grant.user_id)
        }
        Bearer::Personal(token) => identity.user_by_personal_token(token),
        Bearer::Uuid(token) => identity.user_by_personal_token(&token.to_string()),
        Bearer::Jwt => None,
    };
    user.cloned().ok_or_else(unknown_user)
}

/// For user-level routes (list apps and orgs, create and delete apps): the Instant user the
/// `Authorization` header names, holding `scope` if it is an OAuth token. Admin tokens are
/// refused as `Record not found: instant-user`.
pub fn resolve_user(store: &Store, authorization: Option<&str>, scope: Scope) -> ApiResult<User> {
    let bearer = parse_bearer(authorization)?;
    user_for_bearer(store, &bearer, scope)
}

/// The `apps` row data of a live (not deleted) app.
pub fn live_app(store: &Store, app_id: Uuid) -> Option<Cow<'_, AppMeta>> {
    if !store.apps.contains_key(&app_id) {
        return None;
    }
    let meta = store.platform.meta_or_default(app_id);
    meta.deletion_marked_at.is_none().then_some(meta)
}

/// `user`'s effective role on a live app: owner if they created it, else the higher of their
/// app membership and their org membership (`get-app-with-role!`; plans are not modelled, so
/// every membership counts).
pub fn role_on_app(store: &Store, user: Uuid, app_id: Uuid) -> ApiResult<Option<Role>> {
    let meta = live_app(store, app_id).ok_or_else(|| app_not_found(app_id))?;
    let identity = &store.platform.identity;
    let app_role = if meta.creator_id == Some(user) { Some(Role::Owner) } else { identity.app_member_role(app_id, user) };
    let org_role = meta.org_id.and_then(|org| identity.org(org)).and_then(|org| org.role_of(user));
    Ok(app_role.max(org_role))
}

/// `get-app-with-role!`: `user` must hold at least `min_role` on the live app `app_id`.
pub fn app_with_role(store: &Store, user: &User, app_id: Uuid, min_role: Role) -> ApiResult<AppAccess> {
    match role_on_app(store, user.id, app_id)? {
        None => Err(missing_role(min_role)),
        Some(role) if role < min_role => Err(role_too_low(role.name())),
        Some(role) => Ok(AppAccess { app_id, grant: Grant::Member { user: user.clone(), role } }),
    }
}

/// For user-level routes on one app (`DELETE /superadmin/apps/:id`, `req->superadmin-user-and-app!`):
/// a user by PAT or OAuth token (admin tokens refused), then their role on the app.
pub fn resolve_user_and_app(
    store: &Store,
    authorization: Option<&str>,
    app_id: &str,
    scope: Scope,
    min_role: Role,
) -> ApiResult<(User, AppAccess)> {
    let user = resolve_user(store, authorization, scope)?;
    let app_id = uuid_param("app_id", app_id)?;
    let access = app_with_role(store, &user, app_id, min_role)?;
    Ok((user, access))
}

/// For app-level routes (`req->superadmin-app!`): `app_id` is the raw path parameter.
///
/// 1. A `pat_`/`per_` token, or a UUID that is a legacy PAT: the user (scope checked), then
///    their role on the app (`min_role`).
/// 2. Else a UUID that is an app's admin token: that app, unrestricted; a different `app_id`
///    in the path is `validation-failed` with hint `{"reason": "admin-token-mismatch"}`.
/// 3. Else the real server tries a dashboard refresh token; the emulator has none, so this is
///    its failure: 401 `Record not found: instant-user`.
pub fn resolve_app(store: &Store, authorization: Option<&str>, app_id: &str, scope: Scope, min_role: Role) -> ApiResult<AppAccess> {
    let bearer = parse_bearer(authorization)?;
    if is_user_token(store, &bearer) {
        let user = user_for_bearer(store, &bearer, scope)?;
        let app_id = uuid_param("app_id", app_id)?;
        return app_with_role(store, &user, app_id, min_role);
    }
    if let Bearer::Uuid(token) = bearer {
        if let Some((owner, live)) = app_by_admin_token(store, token) {
            let requested = uuid_param("app_id", app_id)?;
            if requested != owner {
                return Err(admin_token_mismatch(requested));
            }
            if !live || live_app(store, owner).is_none() {
                return Err(app_not_found(owner));
            }
            return Ok(AppAccess { app_id: owner, grant: Grant::AdminToken });
        }
    }
    uuid_param("app_id", app_id)?;
    Err(ApiError::Instant {
        status: 401,
        error_type: "record-not-found",
        message: "Record not found: instant-user".into(),
        hint: json!({"args": [{"auth?": true}], "record-type": "instant-user"}),
    })
}

/// Whether a token names an Instant user rather than an app: `pat_` and `per_` always (they
/// fail as unknown users when they match nothing), a UUID only when it is a legacy PAT.
pub fn is_user_token(store: &Store, bearer: &Bearer) -> bool {
    match bearer {
        Bearer::Access(_) | Bearer::Personal(_) => true,
        Bearer::Uuid(token) => store.platform.identity.user_by_personal_token(&token.to_string()).is_some(),
        Bearer::Jwt => false,
    }
}

/// `Record not found: app` for a user token on `/admin/*` whose user did not create the app
/// (`get-by-id-and-creator!`, an `assert-record!` with the lookup's params as `args`):
/// collaborators, org members and strangers alike, and a missing or deleted app.
pub fn not_creator(app_id: Uuid, user_id: Uuid) -> ApiError {
    ApiError::record_not_found("app", json!({"args": [{"app-id": app_id.to_string(), "user-id": user_id.to_string()}]}))
}

/// For the Admin data API (`/admin/*`, `req->app-id-authed!` given a user token): the user
/// behind a `pat_` token (unexpired, holding `scope`), a `per_` token or a legacy UUID PAT,
/// who must be the **creator** of the live app `app_id` (platform spec §1.2, §1.3). Roles do
/// not count: a collaborator, even an admin, is refused with [`not_creator`]. Admin tokens are
/// the caller's business (they are checked against the app before this is tried).
pub fn resolve_admin_api_user(store: &Store, bearer: &Bearer, app_id: Uuid, scope: Scope) -> ApiResult<User> {
    let user = user_for_bearer(store, bearer, scope)?;
    let created = live_app(store, app_id).is_some_and(|meta| meta.creator_id == Some(user.id));
    if created {
        Ok(user)
    } else {
        Err(not_creator(app_id, user.id))
    }
}

/// The app whose admin token `token` is, and whether it is live: a deleted app's token still
/// names it, so using it says `Record not found: app` rather than "unknown token".
fn app_by_admin_token(store: &Store, token: Uuid) -> Option<(Uuid, bool)> {
    if let Some(app) = store.apps.values().find(|a| a.admin_token == token) {
        return Some((app.id, true));
    }
    store.platform.deleted_app_by_admin_token(token).map(|id| (id, false))
}

fn admin_token_mismatch(requested: Uuid) -> ApiError {
    ApiError::bad_request(
        "validation-failed",
        format!(
            "This admin token does not belong to app {requested}. Admin tokens are bound to a single app. \
             Use a personal access token to manage other apps."
        ),
        json!({"reason": "admin-token-mismatch"}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::identity::AccessToken;
    use crate::platform::{Platform, Seed};
    use crate::store::App;

    fn bearer(text: &str) -> ApiResult<Bearer> {
        parse_bearer(Some(text))
    }

    #[test]
    fn bearer_tokens_are_classified_by_prefix() {
        let id = Uuid::new_v4();
        assert_eq!(bearer(&format!("Bearer {id}")), Ok(Bearer::Uuid(id)));
        assert_eq!(bearer(&format!("Bearer  {id} ")), Ok(Bearer::Uuid(id)), "trimmed");
        assert_eq!(bearer(&id.to_string()), Ok(Bearer::Uuid(id)), "no `Bearer ` at all: the whole value");
        assert_eq!(bearer("Bearer pat_x"), Ok(Bearer::Access("pat_x".into())));
        assert_eq!(bearer("Bearer per_x"), Ok(Bearer::Personal("per_x".into())));
        assert_eq!(bearer("Bearer eyJhbGciOi"), Ok(Bearer::Jwt));
        for malformed in ["Bearer prt_x", "Bearer nope", &format!("bearer {id}"), "Bearer ", ""] {
            let error = bearer(malformed).unwrap_err();
            assert_eq!(error.error_type(), Some("param-malformed"), "{malformed:?}");
        }
        let missing = parse_bearer(None).unwrap_err();
        assert_eq!(
            missing,
            ApiError::param_missing(&["headers", "authorization"], None),
            "Missing parameter: [\"headers\" \"authorization\"]"
        );
    }

    struct World {
        store: Store,
        owner_pat: String,
        app: Uuid,
        admin_token: Uuid,
    }

    fn world() -> World {
        let mut store = Store::new();
        store.platform = Platform::new(&Seed::default(), 0);
        let owner = store.platform.identity.ensure_user("owner@x.co", None);
        let owner_pat = store.platform.identity.create_personal_token(owner.id);
        let (app, admin_token) = (Uuid::new_v4(), Uuid::new_v4());
        store.apps.insert(app, App::new(app, admin_token));
        store.platform.register_app(app, AppMeta { creator_id: Some(owner.id), ..AppMeta::unowned("mine", 0) });
        World { store, owner_pat, app, admin_token }
    }

    fn auth(token: &str) -> String {
        format!("Bearer {token}")
    }

    #[test]
    fn admin_tokens_are_bound_to_their_app_and_refused_for_users() {
        let w = world();
        let admin = auth(&w.admin_token.to_string());
        let ok = resolve_app(&w.store, Some(&admin), &w.app.to_string(), Scope::AppsWrite, Role::Admin).unwrap();
        assert_eq!(ok.grant, Grant::AdminToken);
        let other = Uuid::new_v4();
        let mismatch = resolve_app(&w.store, Some(&admin), &other.to_string(), Scope::AppsRead, Role::Collaborator).unwrap_err();
        let ApiError::Instant { error_type, message, hint, .. } = mismatch else { panic!() };
        assert_eq!(error_type, "validation-failed");
        assert!(message.starts_with(&format!("This admin token does not belong to app {other}.")));
        assert_eq!(hint, json!({"reason": "admin-token-mismatch"}));
        let refused = resolve_user(&w.store, Some(&admin), Scope::AppsRead).unwrap_err();
        assert_eq!(refused, ApiError::record_not_found("instant-user", json!({})));
        let unknown =
            resolve_app(&w.store, Some(&auth(&Uuid::new_v4().to_string())), &w.app.to_string(), Scope::AppsRead, Role::Collaborator);
        assert_eq!(unknown.unwrap_err().status(), 401, "the dashboard refresh-token fallback's failure");
    }

    #[test]
    fn users_need_a_role_on_the_app() {
        let mut w = world();
        let pat = auth(&w.owner_pat);
        let access = resolve_app(&w.store, Some(&pat), &w.app.to_string(), Scope::AppsWrite, Role::Owner).unwrap();
        assert!(matches!(access.grant, Grant::Member { role: Role::Owner, .. }));
        let stranger = w.store.platform.identity.ensure_user("s@x.co", None);
        let stranger_pat = auth(&w.store.platform.identity.create_personal_token(stranger.id));
        let none = resolve_app(&w.store, Some(&stranger_pat), &w.app.to_string(), Scope::AppsRead, Role::Collaborator).unwrap_err();
        assert_eq!(none, missing_role(Role::Collaborator));
        w.store.platform.identity.set_app_member(w.app, stranger.id, Role::Collaborator);
        assert!(resolve_app(&w.store, Some(&stranger_pat), &w.app.to_string(), Scope::AppsRead, Role::Collaborator).is_ok());
        let low = resolve_app(&w.store, Some(&stranger_pat), &w.app.to_string(), Scope::AppsWrite, Role::Admin).unwrap_err();
        assert_eq!(low, role_too_low("collaborator"));
        let missing = resolve_app(&w.store, Some(&pat), &Uuid::nil().to_string(), Scope::AppsRead, Role::Collaborator).unwrap_err();
        assert_eq!(missing, app_not_found(Uuid::nil()));
        let malformed = resolve_app(&w.store, Some(&pat), "nope", Scope::AppsRead, Role::Collaborator).unwrap_err();
        assert_eq!(malformed.error_type(), Some("param-malformed"));
    }

    #[test]
    fn oauth_tokens_are_scoped_and_expire() {
        let mut w = world();
        let owner = w.store.platform.identity.user_by_personal_token(&w.owner_pat).unwrap().id;
        let grant = AccessToken { user_id: owner, scopes: vec![Scope::AppsRead], expires_at: 1_000 };
        w.store.platform.identity.insert_access_token("pat_abc", grant);
        let now = w.store.now_ms();
        let live = AccessToken { user_id: owner, scopes: vec![Scope::AppsRead], expires_at: now + 60_000 };
        w.store.platform.identity.insert_access_token("pat_live", live);
        let read = resolve_app(&w.store, Some("Bearer pat_live"), &w.app.to_string(), Scope::AppsRead, Role::Collaborator);
        assert!(read.is_ok());
        let write = resolve_user(&w.store, Some("Bearer pat_live"), Scope::AppsWrite).unwrap_err();
        assert_eq!(write, missing_scope(Scope::AppsWrite));
        let expired = resolve_user(&w.store, Some("Bearer pat_abc"), Scope::AppsRead).unwrap_err();
        assert_eq!(expired.error_type(), Some("record-expired"));
        let unknown = resolve_user(&w.store, Some("Bearer pat_zzz"), Scope::AppsRead).unwrap_err();
        assert_eq!(unknown, ApiError::record_not_found("oauth-access-token", Value::Null));
    }

    #[test]
    fn the_admin_data_api_takes_the_creators_tokens_only() {
        let mut w = world();
        let owner = w.store.platform.identity.user_by_personal_token(&w.owner_pat).unwrap().id;
        let pat = Bearer::Personal(w.owner_pat.clone());
        assert_eq!(resolve_admin_api_user(&w.store, &pat, w.app, Scope::StorageWrite).unwrap().id, owner, "PATs hold every scope");
        let collaborator = w.store.platform.identity.ensure_user("c@x.co", None);
        w.store.platform.identity.set_app_member(w.app, collaborator.id, Role::Admin);
        let collaborator_pat = Bearer::Personal(w.store.platform.identity.create_personal_token(collaborator.id));
        let refused = resolve_admin_api_user(&w.store, &collaborator_pat, w.app, Scope::DataRead).unwrap_err();
        assert_eq!(refused, not_creator(w.app, collaborator.id));
        assert_eq!(refused.error_type(), Some("record-not-found"));
        let missing = resolve_admin_api_user(&w.store, &pat, Uuid::nil(), Scope::DataRead).unwrap_err();
        assert_eq!(missing, not_creator(Uuid::nil(), owner));

        let now = w.store.now_ms();
        let read = AccessToken { user_id: owner, scopes: vec![Scope::DataRead], expires_at: now + 60_000 };
        w.store.platform.identity.insert_access_token("pat_read", read);
        let read = Bearer::Access("pat_read".into());
        assert!(resolve_admin_api_user(&w.store, &read, w.app, Scope::DataRead).is_ok());
        let write = resolve_admin_api_user(&w.store, &read, w.app, Scope::DataWrite).unwrap_err();
        assert_eq!(write, missing_scope(Scope::DataWrite), "the scope is checked before the creator");
        let write = AccessToken { user_id: owner, scopes: vec![Scope::DataWrite], expires_at: now + 60_000 };
        w.store.platform.identity.insert_access_token("pat_write", write);
        let write = Bearer::Access("pat_write".into());
        assert!(resolve_admin_api_user(&w.store, &write, w.app, Scope::DataRead).is_ok(), "data-write satisfies data-read");
        let stranger = resolve_admin_api_user(&w.store, &write, Uuid::nil(), Scope::DataRead).unwrap_err();
        assert_eq!(stranger, not_creator(Uuid::nil(), owner));

        assert!(!is_user_token(&w.store, &Bearer::Uuid(Uuid::new_v4())), "unknown UUIDs are left to the admin-token check");
        assert!(!is_user_token(&w.store, &Bearer::Uuid(w.admin_token)));
        assert!(is_user_token(&w.store, &Bearer::Access("pat_unknown".into())));
    }
}
