//! The Platform side of Instant (platform spec §1, §3): who manages apps and what the Platform
//! API knows about each app, with the auth rules its routes share.
//!
//! - [`identity`]: Instant users, personal access tokens, OAuth access tokens, orgs, roles,
//!   scopes and app collaborators;
//! - [`apps`]: the `apps` row beside each [`crate::store::App`] ([`AppMeta`]), perms as
//!   answered, and the API schema view;
//! - [`auth`]: the `Authorization` header and who may do what;
//! - [`oauth`]: Instant as an OAuth provider: OAuth apps and clients, consent, codes, refresh
//!   tokens, and the `pat_` access tokens they mint into [`identity`].
//!
//! The whole [`Platform`] lives in the [`Store`](crate::Store), under the same lock as the apps,
//! so resolving a caller and changing an app see one state.
//!
//! ## Resolving a caller (for every Platform route)
//!
//! Routes pass the raw `Authorization` header value (`None` when absent) and, for app routes,
//! the raw `:app_id` path segment; errors are the server's exact 400s (401 only for the
//! dashboard-token fallback), ready to render:
//!
//! - [`resolve_user`]`(store, authorization, scope) -> ApiResult<User>`: user-level routes
//!   (list apps, orgs, create). Only PATs and `pat_` OAuth tokens; admin tokens are
//!   `Record not found: instant-user`.
//! - [`resolve_app`]`(store, authorization, app_id, scope, min_role) -> ApiResult<AppAccess>`:
//!   app-level routes (`/superadmin/apps/:id/...`, `/dash/apps/:id/...`). PAT/OAuth users need
//!   `min_role` on the app; an admin token opens its own app only. [`AppAccess::app_id`] is a
//!   live app in `store.apps`.
//! - [`resolve_user_and_app`]`(store, authorization, app_id, scope, min_role) ->
//!   ApiResult<(User, AppAccess)>`: app routes that refuse admin tokens (delete).
//!
//! Scope and role per route are in spec §1.3, e.g. `GET …/schema` is `(Scope::AppsRead,
//! Role::Collaborator)`, `POST …/schema/push/apply` `(Scope::AppsWrite, Role::Collaborator)`.

pub mod apps;
pub mod auth;
pub mod identity;
pub mod oauth;

use std::borrow::Cow;
use std::collections::HashMap;

use uuid::Uuid;

pub use self::apps::AppMeta;
pub use self::auth::{parse_bearer, resolve_app, resolve_user, resolve_user_and_app, AppAccess, Bearer, Grant};
pub use self::identity::{AccessToken, Identity, Org, Role, Scope, User};
/// The API schema view (spec §4.2), one function for every route that shows it.
pub use crate::schema::api_schema;

/// The email of the user `--platform-token` tokens belong to.
pub const DEFAULT_USER_EMAIL: &str = "dev@example.com";

/// The service user ephemeral apps are created under (`ephemeral-creator-email`).
pub const EPHEMERAL_CREATOR_EMAIL: &str = "hello+ephemeralapps@instantdb.com";

/// What the platform state starts with, again after each reset: fixed user ids (so they survive
/// resets) and the personal access tokens given on the command line.
#[derive(Clone, Debug)]
pub struct Seed {
    /// Id of [`DEFAULT_USER_EMAIL`].
    pub default_user: Uuid,
    /// Id of [`EPHEMERAL_CREATOR_EMAIL`].
    pub ephemeral_creator: Uuid,
    /// Personal access tokens of the default user (`per_…` or legacy UUIDs).
    pub tokens: Vec<String>,
    /// The (normalised) email of the user OAuth consents are given as without asking.
    pub oauth_consent_email: Option<String>,
}

impl Default for Seed {
    fn default() -> Self {
        Seed { default_user: Uuid::new_v4(), ephemeral_creator: Uuid::new_v4(), tokens: Vec::new(), oauth_consent_email: None }
    }
}

/// Users, orgs and tokens, plus the `apps` row data of every app.
#[derive(Clone, Debug)]
pub struct Platform {
    /// Users, tokens, orgs and memberships.
    pub identity: Identity,
    /// OAuth apps, clients, consents, codes and refresh tokens.
    pub oauth: oauth::OAuth,
    apps: HashMap<Uuid, AppMeta>,
    /// Admin tokens of deleted apps, which still name their (now missing) app.
    deleted_admin_tokens: HashMap<Uuid, Uuid>,
    ephemeral_creator: Uuid,
    seeded_at: i64,
}

impl Platform {
    /// The state a seed describes, at `now`.
    pub fn new(seed: &Seed, now: i64) -> Platform {
        let mut identity = Identity::default();
        let default_user = identity.ensure_user(DEFAULT_USER_EMAIL, Some(seed.default_user));
        for token in &seed.tokens {
            // A legacy token is looked up by its canonical UUID text, whatever case it was given in.
            let canonical = crate::values::coerce_uuid(token).map_or_else(|| token.clone(), |id| id.to_string());
            identity.insert_personal_token(&canonical, default_user.id);
        }
        identity.ensure_user(EPHEMERAL_CREATOR_EMAIL, Some(seed.ephemeral_creator));
        let mut oauth = oauth::OAuth::default();
        oauth.set_consent_email(seed.oauth_consent_email.clone());
        Platform {
            identity,
            oauth,
            apps: HashMap::new(),
            deleted_admin_tokens: HashMap::new(),
            ephemeral_creator: seed.ephemeral_creator,
            seeded_at: now,
        }
    }

    /// The user ephemeral apps are created by.
    pub fn ephemeral_creator(&self) -> Uuid {
        self.ephemeral_creator
    }

    /// Records the `apps` row data of a new app.
    pub fn register_app(&mut self, app_id: Uuid, mut meta: AppMeta) {
        // Creation times never repeat, so "oldest first" lists are in creation order even for
        // apps made within one millisecond (the ids that break ties are random).
        if let Some(latest) = self.apps.values().map(|other| other.created_at).max() {
            meta.created_at = meta.created_at.max(latest + 1);
        }
        self.apps.insert(app_id, meta);
    }

    /// The row data of an app. Apps made before the platform knew them (none today, but the
    /// store is public) read as an untitled, unowned app created at start.
    pub fn meta_or_default(&self, app_id: Uuid) -> Cow<'_, AppMeta> {
        match self.apps.get(&app_id) {
            Some(meta) => Cow::Borrowed(meta),
            None => Cow::Owned(AppMeta::unowned("Untitled app", self.seeded_at)),
        }
    }

    /// The row data of an app to change, recorded first if it was not yet.
    pub fn meta_mut(&mut self, app_id: Uuid) -> &mut AppMeta {
        let seeded_at = self.seeded_at;
        self.apps.entry(app_id).or_insert_with(|| AppMeta::unowned("Untitled app", seeded_at))
    }

    /// Marks an app deleted at `now`, remembering its admin token so that token still names it.
    pub fn mark_deleted(&mut self, app_id: Uuid, admin_token: Uuid, now: i64) {
        self.meta_mut(app_id).deletion_marked_at = Some(now);
        self.deleted_admin_tokens.insert(admin_token, app_id);
    }

    /// The deleted app an admin token belonged to.
    pub fn deleted_app_by_admin_token(&self, token: Uuid) -> Option<Uuid> {
        self.deleted_admin_tokens.get(&token).copied()
    }

    /// Ids of the apps whose row data matches `keep` and that are not deleted, oldest first.
    pub fn apps_where(&self, keep: impl Fn(&AppMeta) -> bool) -> Vec<Uuid> {
        let mut found: Vec<(&Uuid, &AppMeta)> =
            self.apps.iter().filter(|(_, meta)| meta.deletion_marked_at.is_none() && keep(meta)).collect();
        found.sort_by_key(|(id, meta)| (meta.created_at, **id));
        found.into_iter().map(|(id, _)| *id).collect()
    }
}
