//! Who manages apps: Instant users (not an app's end users), their personal access tokens,
//! OAuth access tokens, orgs with their members, and collaborators of single apps (platform
//! spec §1.1, §1.3, §3.3).
//!
//! Tokens are kept only as SHA-256 lookup keys, as the real server keeps them, so a dump of the
//! store (a `Debug` print in a failing test, say) never shows one.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `pat_`: an OAuth access token.
pub const ACCESS_TOKEN_PREFIX: &str = "pat_";
/// `per_`: a personal access token.
pub const PERSONAL_TOKEN_PREFIX: &str = "per_";
/// `prt_`: an OAuth refresh token (never a Bearer token).
pub const REFRESH_TOKEN_PREFIX: &str = "prt_";

/// How long an OAuth access token lives (`create-access-token`: two weeks).
pub const ACCESS_TOKEN_LIFETIME_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// A member's role, least privileged first, so `>=` reads "at least" (`member-role-hierarchy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// May read and push schema and perms.
    Collaborator,
    /// May also rename apps and create apps in an org.
    Admin,
    /// May also delete a personal app; the creator of a personal app is its owner.
    Owner,
}

impl Role {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Collaborator => "collaborator",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// The role a wire name denotes.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "collaborator" => Some(Role::Collaborator),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// An OAuth scope (spec §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `apps-read`.
    AppsRead,
    /// `apps-write`, which satisfies `apps-read` too.
    AppsWrite,
    /// `data-read`.
    DataRead,
    /// `data-write`, which satisfies `data-read` too.
    DataWrite,
    /// `storage-read`.
    StorageRead,
    /// `storage-write`, which satisfies `storage-read` too.
    StorageWrite,
}

impl Scope {
    /// Every scope, in the order the server lists them.
    pub const ALL: [Scope; 6] =
        [Scope::AppsRead, Scope::AppsWrite, Scope::DataRead, Scope::DataWrite, Scope::StorageRead, Scope::StorageWrite];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Scope::AppsRead => "apps-read",
            Scope::AppsWrite => "apps-write",
            Scope::DataRead => "data-read",
            Scope::DataWrite => "data-write",
            Scope::StorageRead => "storage-read",
            Scope::StorageWrite => "storage-write",
        }
    }

    /// The scope a wire name denotes.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Parses a space-separated scope list (`"apps-read apps-write"`); `Err` names the first
    /// unknown scope.
    pub fn parse_list(text: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = Vec::new();
        for name in text.split(' ').filter(|s| !s.is_empty()) {
            let scope = Scope::parse(name).ok_or_else(|| name.to_owned())?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(scopes)
    }

    /// Whether a token granted `granted` may act with this scope (`satisfies-scope?`): a write
    /// scope implies the read scope of the same area, nothing else implies anything.
    pub fn satisfied_by(self, granted: &[Scope]) -> bool {
        let implied_by = match self {
            Scope::AppsRead => Some(Scope::AppsWrite),
            Scope::DataRead => Some(Scope::DataWrite),
            Scope::StorageRead => Some(Scope::StorageWrite),
            _ => None,
        };
        granted.iter().any(|g| *g == self || Some(*g) == implied_by)
    }
}

/// An Instant user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// User id.
    pub id: Uuid,
    /// Lower-cased email.
    pub email: String,
}

/// An OAuth access token's grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessToken {
    /// Whose token it is.
    pub user_id: Uuid,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// When it stops working, ms since the epoch (emulator clock).
    pub expires_at: i64,
}

/// An org and its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    /// Org id.
    pub id: Uuid,
    /// Display title.
    pub title: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last change, ms since the epoch.
    pub updated_at: i64,
    /// Members with their roles, in the order they were added.
    pub members: Vec<(Uuid, Role)>,
}

impl Org {
    /// `user`'s role in this org, if a member.
    pub fn role_of(&self, user: Uuid) -> Option<Role> {
        self.members.iter().find(|(id, _)| *id == user).map(|(_, role)| *role)
    }
}

/// The SHA-256 of a token: what the store keeps instead of the token.
pub(crate) type LookupKey = [u8; 32];

/// The SHA-256 lookup key a token is stored under.
pub(crate) fn lookup_key(token: &str) -> LookupKey {
    Sha256::digest(token.as_bytes()).into()
}

/// 64 random lowercase hex digits (the server's `random-hex 32`).
pub(crate) fn random_hex64() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// A fresh personal access token, `per_` + 64 hex digits.
pub fn generate_personal_token() -> String {
    format!("{PERSONAL_TOKEN_PREFIX}{}", random_hex64())
}

/// A fresh OAuth access token, `pat_` + 64 hex digits.
pub fn generate_access_token() -> String {
    format!("{ACCESS_TOKEN_PREFIX}{}", random_hex64())
}

/// A fresh OAuth refresh token, `prt_` + 64 hex digits.
pub fn generate_refresh_token() -> String {
    format!("{REFRESH_TOKEN_PREFIX}{}", random_hex64())
}

/// Whether `token` has a shape a personal access token may have: `per_` + 64 lowercase hex
/// digits, or (legacy, before 2025-05-16) a bare UUID.
pub fn is_personal_token_shape(token: &str) -> bool {
    match token.strip_prefix(PERSONAL_TOKEN_PREFIX) {
        Some(hex) => hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        None => crate::values::coerce_uuid(token).is_some(),
    }
}

/// Users, their tokens, orgs and app collaborators.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    users: BTreeMap<Uuid, User>,
    personal_tokens: HashMap<LookupKey, Uuid>,
    access_tokens: HashMap<LookupKey, AccessToken>,
    orgs: BTreeMap<Uuid, Org>,
    app_members: HashMap<(Uuid, Uuid), Role>,
}

impl Identity {
    /// The user with this id.
    pub fn user(&self, id: Uuid) -> Option<&User> {
        self.users.get(&id)
    }

    /// The user with this (already lower-cased) email.
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users.values().find(|u| u.email == email)
    }

    /// The user with `email`, created (with `id`, or a random one) when there is none.
    pub fn ensure_user(&mut self, email: &str, id: Option<Uuid>) -> User {
        if let Some(user) = self.user_by_email(email) {
            return user.clone();
        }
        let user = User { id: id.unwrap_or_else(Uuid::new_v4), email: email.to_owned() };
        self.users.insert(user.id, user.clone());
        user
    }

    /// Makes `token` a personal access token of `user`.
    pub fn insert_personal_token(&mut self, token: &str, user: Uuid) {
        self.personal_tokens.insert(lookup_key(token), user);
    }

    /// A fresh personal access token for `user`.
    pub fn create_personal_token(&mut self, user: Uuid) -> String {
        let token = generate_personal_token();
        self.insert_personal_token(&token, user);
        token
    }

    /// Whose personal access token (`per_…` or a legacy UUID) `token` is.
    pub fn user_by_personal_token(&self, token: &str) -> Option<&User> {
        self.personal_tokens.get(&lookup_key(token)).and_then(|id| self.users.get(id))
    }

    /// Stores an OAuth access token (`pat_…`), as the OAuth token endpoint issues them.
    pub fn insert_access_token(&mut self, token: &str, grant: AccessToken) {
        self.access_tokens.insert(lookup_key(token), grant);
    }

    /// The grant of an OAuth access token, expired or not.
    pub fn access_token(&self, token: &str) -> Option<&AccessToken> {
        self.access_tokens.get(&lookup_key(token))
    }

    /// Forgets an OAuth access token; whether it existed.
    pub fn revoke_access_token(&mut self, token: &str) -> bool {
        self.access_tokens.remove(&lookup_key(token)).is_some()
    }

    /// Forgets the OAuth access token stored under `key` (one minted from a refresh token that
    /// is going away); whether it existed.
    pub(crate) fn revoke_access_token_key(&mut self, key: &LookupKey) -> bool {
        self.access_tokens.remove(key).is_some()
    }

    /// Every user, by id.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// Creates an org with these members.
    pub fn create_org(&mut self, title: &str, members: Vec<(Uuid, Role)>, now: i64) -> Org {
        let org = Org { id: Uuid::new_v4(), title: title.to_owned(), created_at: now, updated_at: now, members };
        self.orgs.insert(org.id, org.clone());
        org
    }

    /// The org with this id.
    pub fn org(&self, id: Uuid) -> Option<&Org> {
        self.orgs.get(&id)
    }

    /// Every org, by id.
    pub fn orgs(&self) -> impl Iterator<Item = &Org> {
        self.orgs.values()
    }

    /// Makes `user` a member of app `app` with `role` (replacing an earlier role).
    pub fn set_app_member(&mut self, app: Uuid, user: Uuid, role: Role) {
        self.app_members.insert((app, user), role);
    }

    /// `user`'s membership role on app `app` (not counting creatorship or org membership).
    pub fn app_member_role(&self, app: Uuid, user: Uuid) -> Option<Role> {
        self.app_members.get(&(app, user)).copied()
    }

    /// The apps `user` is a member of, with the role.
    pub fn app_memberships(&self, user: Uuid) -> impl Iterator<Item = (Uuid, Role)> + '_ {
        self.app_members.iter().filter(move |((_, u), _)| *u == user).map(|((app, _), role)| (*app, *role))
    }

    /// The members of app `app`, with their roles, by user id.
    pub fn app_members(&self, app: Uuid) -> Vec<(Uuid, Role)> {
        let mut members: Vec<(Uuid, Role)> =
            self.app_members.iter().filter(|((a, _), _)| *a == app).map(|((_, user), role)| (*user, *role)).collect();
        members.sort();
        members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_scopes_imply_their_read_scope_only() {
        assert!(Scope::AppsRead.satisfied_by(&[Scope::AppsWrite]));
        assert!(!Scope::AppsWrite.satisfied_by(&[Scope::AppsRead]));
        assert!(Scope::DataRead.satisfied_by(&[Scope::DataWrite]));
        assert!(Scope::StorageRead.satisfied_by(&[Scope::StorageWrite]));
        assert!(!Scope::AppsRead.satisfied_by(&[Scope::DataWrite, Scope::StorageWrite]));
        assert!(!Scope::DataRead.satisfied_by(&[]));
        assert_eq!(Scope::parse_list("apps-read  apps-write apps-read"), Ok(vec![Scope::AppsRead, Scope::AppsWrite]));
        assert_eq!(Scope::parse_list("apps-read apps-transfer"), Err("apps-transfer".into()));
    }

    #[test]
    fn roles_order_least_privileged_first() {
        assert!(Role::Collaborator < Role::Admin && Role::Admin < Role::Owner);
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("app-member"), None);
    }

    #[test]
    fn tokens_are_found_by_value_and_stored_hashed() {
        let mut identity = Identity::default();
        let user = identity.ensure_user("a@b.co", None);
        let token = identity.create_personal_token(user.id);
        assert!(token.starts_with("per_") && token.len() == 68 && is_personal_token_shape(&token));
        assert_eq!(identity.user_by_personal_token(&token), Some(&user));
        assert_eq!(identity.user_by_personal_token(&token.replace("per_", "pat_")), None);
        assert!(!format!("{identity:?}").contains(&token[4..]), "only lookup keys are kept");
        assert_eq!(identity.ensure_user("a@b.co", None).id, user.id, "one user per email");
        assert!(is_personal_token_shape("0b4c1a52-6f0e-4c4a-9a31-4a8a1d2e3f40"));
        assert!(!is_personal_token_shape("per_ABC"));
    }
}
