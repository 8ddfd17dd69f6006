//! Instant as an OAuth provider (platform spec §2): OAuth apps and their clients, the consent
//! step done offline, authorization codes, refresh tokens, and the access tokens they mint
//! (kept with the other `pat_` tokens in [`Identity`], so the Platform routes accept them).
//!
//! - [`consent`]: `GET /platform/oauth/start` and the local consent (`/grant`, `/deny`), or
//!   auto-consent as a configured user;
//! - [`token`]: `POST /platform/oauth/token`, `GET /platform/oauth/token-info`,
//!   `POST /platform/oauth/revoke`;
//! - [`url`]: redirect URLs as the server parses, checks and extends them;
//! - [`pkce`]: code verifiers against challenges.
//!
//! Secrets are kept as the server keeps them, SHA-256 lookup keys only: client secrets, codes,
//! refresh tokens, and the redirect's grant token and cookie. Lifetimes come from the emulator
//! clock (`now` arguments are [`Store::now_ms`](crate::Store::now_ms)).
//!
//! What the emulator adds: an OAuth app may belong to an emulator app (its members may
//! authorise it, as on the server), to one Instant user (`owner`), or to nobody (anyone may
//! authorise it); there is no dashboard, so `/start` either consents at once as the configured
//! user ([`OAuth::consent_email`]) or hands the HTTP layer a [`consent::ConsentPage`] to show.

pub mod consent;
pub mod pkce;
pub mod token;
pub mod url;

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use self::pkce::PkceMethod;
use super::identity::{lookup_key, random_hex64, LookupKey, Scope};
use crate::error::{ApiError, ApiResult};
use crate::values::coerce_uuid;

/// How long a code, and a consent in progress, stay usable (`default-expires-at`).
pub const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// Refresh tokens kept per (client, user); older ones go on each code exchange
/// (`refresh-token-limit`).
pub const REFRESH_TOKEN_LIMIT: usize = 5;

/// An OAuth app: who it is shown as on the consent screen, and who may authorise it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthApp {
    /// Its id.
    pub id: Uuid,
    /// The emulator app it belongs to, whose members may authorise it when it is not public.
    pub app_id: Option<Uuid>,
    /// The Instant user it belongs to (an emulator addition), who may authorise it when it is not
    /// public.
    pub owner_id: Option<Uuid>,
    /// Name shown on the consent screen.
    pub app_name: String,
    /// Support address shown on the consent screen.
    pub support_email: Option<String>,
    /// Public apps may be authorised by anyone, for their granted scopes only, and never to a
    /// localhost redirect; others ("test mode") only by their members.
    pub is_public: bool,
    /// The scopes a public app may ask for.
    pub granted_scopes: Vec<Scope>,
}

/// A client of an OAuth app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthClient {
    /// `client_id`.
    pub client_id: Uuid,
    /// The app it belongs to.
    pub oauth_app_id: Uuid,
    /// Where codes may be sent, compared byte for byte.
    pub authorized_redirect_urls: Vec<String>,
}

/// A consent in progress (the server's redirect record, already claimed: there is no dashboard
/// to claim it).
#[derive(Clone, Debug)]
struct Redirect {
    request: AuthorizationRequest,
    grant_token: LookupKey,
    cookie: LookupKey,
    expires_at: i64,
}

/// What `/start` was asked for, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: Uuid,
    /// One of its authorized redirect URLs.
    pub redirect_uri: String,
    /// Echoed back to the redirect.
    pub state: String,
    /// As requested, in order, repeats kept (the server keeps them too).
    pub scopes: Vec<Scope>,
    /// `code_challenge` with its method, when PKCE was asked for.
    pub challenge: Option<(String, PkceMethod)>,
}

/// An authorization code: a user's consent to one request, exchanged once.
#[derive(Clone, Debug)]
struct Code {
    request: AuthorizationRequest,
    user_id: Uuid,
    expires_at: i64,
}

/// A refresh token's grant and the access tokens minted from it (deleted with it).
#[derive(Clone, Debug)]
struct RefreshToken {
    client_id: Uuid,
    user_id: Uuid,
    scopes: Vec<Scope>,
    /// Creation order, for the per-(client, user) limit.
    seq: u64,
    access_tokens: Vec<LookupKey>,
}

/// The OAuth provider's state.
#[derive(Clone, Debug, Default)]
pub struct OAuth {
    apps: HashMap<Uuid, OAuthApp>,
    clients: HashMap<Uuid, OAuthClient>,
    secrets: HashMap<LookupKey, Uuid>,
    redirects: HashMap<LookupKey, Redirect>,
    codes: HashMap<LookupKey, Code>,
    refresh_tokens: HashMap<LookupKey, RefreshToken>,
    consent_email: Option<String>,
    next_seq: u64,
}

/// What a new OAuth app with one client is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClient {
    /// Shown on the consent screen.
    pub app_name: String,
    /// Exact redirect URLs.
    pub redirect_urls: Vec<String>,
    /// Whether the app is public.
    pub is_public: bool,
    /// The scopes a public app may ask for.
    pub granted_scopes: Vec<Scope>,
    /// The emulator app it belongs to.
    pub app_id: Option<Uuid>,
    /// The Instant user it belongs to.
    pub owner_id: Option<Uuid>,
    /// Shown on the consent screen.
    pub support_email: Option<String>,
}

/// A client secret: 68 hex digits (`random-hex 34`), so the first four can be shown.
fn generate_client_secret() -> String {
    let mut secret = random_hex64();
    secret.push_str(&Uuid::new_v4().simple().to_string()[..4]);
    secret
}

impl OAuth {
    /// Registers an OAuth app with one client and one secret; `(client_id, client_secret)`.
    /// Every redirect URL must pass the rules of [`url::redirect_url_errors`] (localhost only
    /// for non-public apps); `Err` says which one fails and why.
    pub fn create_client(&mut self, new: NewClient) -> Result<(Uuid, String), String> {
        for redirect in &new.redirect_urls {
            if redirect.chars().any(char::is_control) {
                return Err(format!("redirect URL {redirect:?} holds a control character"));
            }
            let errors = url::redirect_url_errors(redirect, !new.is_public);
            if !errors.is_empty() {
                return Err(format!("redirect URL {redirect:?}: {}", errors.join(", ")));
            }
        }
        let app = OAuthApp {
            id: Uuid::new_v4(),
            app_id: new.app_id,
            owner_id: new.owner_id,
            app_name: new.app_name,
            support_email: new.support_email,
            is_public: new.is_public,
            granted_scopes: new.granted_scopes,
        };
        let client = OAuthClient { client_id: Uuid::new_v4(), oauth_app_id: app.id, authorized_redirect_urls: new.redirect_urls };
        let secret = generate_client_secret();
        self.secrets.insert(lookup_key(&secret), client.client_id);
        let client_id = client.client_id;
        self.clients.insert(client_id, client);
        self.apps.insert(app.id, app);
        Ok((client_id, secret))
    }

    /// A client with its app.
    pub fn client(&self, client_id: Uuid) -> Option<(&OAuthClient, &OAuthApp)> {
        let client = self.clients.get(&client_id)?;
        Some((client, self.apps.get(&client.oauth_app_id)?))
    }

    /// The client a secret belongs to, whatever `client_id` the caller named
    /// (`get-client-by-client-id-and-secret!` matches on the secret alone).
    pub fn client_by_secret(&self, secret: &str) -> Option<&OAuthClient> {
        self.secrets.get(&lookup_key(secret)).and_then(|id| self.clients.get(id))
    }

    /// Who `/start` consents as without asking (`--oauth-consent-email`), if anyone.
    pub fn consent_email(&self) -> Option<&str> {
        self.consent_email.as_deref()
    }

    /// Sets (or, with `None`, clears) the user `/start` consents as; the email is already
    /// normalised.
    pub fn set_consent_email(&mut self, email: Option<String>) {
        self.consent_email = email;
    }

    fn insert_redirect(&mut self, redirect_id: Uuid, redirect: Redirect) {
        self.redirects.insert(lookup_key(&redirect_id.to_string()), redirect);
    }

    /// Takes a consent in progress out (grant and deny both end it, whatever follows).
    fn take_redirect(&mut self, redirect_id: Uuid) -> Option<Redirect> {
        self.redirects.remove(&lookup_key(&redirect_id.to_string()))
    }

    fn insert_code(&mut self, code: Uuid, record: Code) {
        self.codes.insert(lookup_key(&code.to_string()), record);
    }

    /// Takes a code out, so it is spent even when what follows fails (`claim-code!`).
    fn take_code(&mut self, code: Uuid) -> Option<Code> {
        self.codes.remove(&lookup_key(&code.to_string()))
    }

    /// Stores a refresh token; the lookup key it is kept under.
    fn insert_refresh_token(&mut self, token: &str, client_id: Uuid, user_id: Uuid, scopes: Vec<Scope>) -> LookupKey {
        self.next_seq += 1;
        let key = lookup_key(token);
        let record = RefreshToken { client_id, user_id, scopes, seq: self.next_seq, access_tokens: Vec::new() };
        self.refresh_tokens.insert(key, record);
        key
    }

    /// The refresh tokens of (client, user) beyond the newest [`REFRESH_TOKEN_LIMIT`], removed
    /// (`remove-old-refresh-tokens`); their access tokens are returned to be revoked.
    fn trim_refresh_tokens(&mut self, client_id: Uuid, user_id: Uuid) -> Vec<LookupKey> {
        let mut theirs: Vec<(u64, LookupKey)> = self
            .refresh_tokens
            .iter()
            .filter(|(_, t)| t.client_id == client_id && t.user_id == user_id)
            .map(|(key, t)| (t.seq, *key))
            .collect();
        theirs.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        let mut orphaned = Vec::new();
        for (_, key) in theirs.into_iter().skip(REFRESH_TOKEN_LIMIT) {
            if let Some(old) = self.refresh_tokens.remove(&key) {
                orphaned.extend(old.access_tokens);
            }
        }
        orphaned
    }

    /// How many refresh tokens (client, user) holds.
    pub fn refresh_token_count(&self, client_id: Uuid, user_id: Uuid) -> usize {
        self.refresh_tokens.values().filter(|t| t.client_id == client_id && t.user_id == user_id).count()
    }
}

/// The parameters an OAuth route reads: a form's or query's pairs (a repeated name holding an
/// array, as ring collects it) or a JSON body's object.
pub type Params = Map<String, Value>;

/// Pairs as parameters: the first value of a name is a string, later ones turn it into an array.
pub fn params_from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Params {
    let mut params = Params::new();
    for (name, value) in pairs {
        match params.get_mut(&name) {
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(first) => *first = Value::Array(vec![first.take(), Value::String(value)]),
            None => {
                params.insert(name, Value::String(value));
            }
        }
    }
    params
}

/// A parameter as Clojure sees it: `null` and `false` are absent.
fn present<'a>(params: &'a Params, name: &str) -> Option<&'a Value> {
    params.get(name).filter(|v| !matches!(v, Value::Null | Value::Bool(false)))
}

/// `coerce-non-blank-str`: a string trimmed and non-blank, or a number printed.
fn non_blank(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// `uuid-util/coerce`: a string holding a UUID (trimmed).
fn uuid_value(value: &Value) -> Option<Uuid> {
    value.as_str().and_then(coerce_uuid)
}

/// Whether a parameter carries a credential, whose value a malformed-parameter error must not
/// echo unless it is a (blank) string: a repeated form field would echo every value sent.
fn is_secret(name: &str) -> bool {
    matches!(name, "client_secret" | "code_verifier" | "refresh_token" | "access_token" | "token" | "code")
}

fn malformed(path: &[&str], name: &str, value: &Value) -> ApiError {
    let original = if is_secret(name) && !value.is_string() { json!("[redacted]") } else { value.clone() };
    ApiError::param_malformed(path, original, None)
}

/// `get-param!`: `path` is how errors name it (`["params" "state"]` or `["grant_type"]`).
fn get_param<T>(params: &Params, path: &[&str], coerce: impl Fn(&Value) -> Option<T>) -> ApiResult<T> {
    let name = path.last().copied().unwrap_or("");
    let value = present(params, name).ok_or_else(|| ApiError::param_missing(path, None))?;
    coerce(value).ok_or_else(|| malformed(path, name, value))
}

/// `get-optional-param!`: absent is `None`, present but not coercible is malformed.
fn get_optional_param<T>(params: &Params, path: &[&str], coerce: impl Fn(&Value) -> Option<T>) -> ApiResult<Option<T>> {
    let name = path.last().copied().unwrap_or("");
    match present(params, name) {
        None => Ok(None),
        Some(value) => coerce(value).map(Some).ok_or_else(|| malformed(path, name, value)),
    }
}

/// Scopes as the wire joins them.
pub fn scope_text(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.name()).collect::<Vec<_>>().join(" ")
}

/// `Record expired: <type>` with the moment it expired.
fn expired(record_type: &str, expires_at: i64) -> ApiError {
    ApiError::bad_request(
        "record-expired",
        format!("Record expired: {record_type}"),
        json!({"expired_at": crate::values::iso_seconds(expires_at)}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_client(urls: &[&str], is_public: bool) -> NewClient {
        NewClient {
            app_name: "Test".into(),
            redirect_urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            is_public,
            granted_scopes: vec![Scope::AppsRead],
            app_id: None,
            owner_id: None,
            support_email: None,
        }
    }

    #[test]
    fn clients_are_found_by_id_and_by_secret_only() {
        let mut oauth = OAuth::default();
        let (client_id, secret) = oauth.create_client(new_client(&["https://x.example.com/cb"], true)).unwrap();
        assert_eq!(secret.len(), 68);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(oauth.client(client_id).map(|(c, a)| (c.client_id, a.app_name.as_str())), Some((client_id, "Test")));
        assert_eq!(oauth.client_by_secret(&secret).map(|c| c.client_id), Some(client_id));
        assert!(oauth.client_by_secret(&secret[1..]).is_none());
        assert!(!format!("{oauth:?}").contains(&secret), "only the hash is kept");
    }

    #[test]
    fn redirect_urls_are_checked_at_registration() {
        let mut oauth = OAuth::default();
        let local = oauth.create_client(new_client(&["http://localhost:3000/cb"], true)).unwrap_err();
        assert!(local.contains("redirect uri may not be localhost"), "{local}");
        assert!(oauth.create_client(new_client(&["http://localhost:3000/cb"], false)).is_ok(), "test-mode apps may");
        let plain = oauth.create_client(new_client(&["http://x.example.com/cb"], false)).unwrap_err();
        assert!(plain.contains("must use the HTTPS scheme"), "{plain}");
        assert!(oauth.create_client(new_client(&["https://x.example.com/a\nb"], false)).is_err());
    }

    #[test]
    fn refresh_tokens_beyond_the_limit_go_oldest_first() {
        let mut oauth = OAuth::default();
        let (client, user, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut keys = Vec::new();
        for n in 0..7 {
            let key = oauth.insert_refresh_token(&format!("prt_{n}"), client, user, vec![Scope::AppsRead]);
            if let Some(record) = oauth.refresh_tokens.get_mut(&key) {
                record.access_tokens.push(lookup_key(&format!("pat_{n}")));
            }
            keys.push(key);
        }
        oauth.insert_refresh_token("prt_other", client, other, vec![]);
        let orphaned = oauth.trim_refresh_tokens(client, user);
        assert_eq!(orphaned, [lookup_key("pat_1"), lookup_key("pat_0")]);
        assert_eq!(oauth.refresh_token_count(client, user), REFRESH_TOKEN_LIMIT);
        assert!(!oauth.refresh_tokens.contains_key(&keys[0]) && oauth.refresh_tokens.contains_key(&keys[2]));
        assert_eq!(oauth.refresh_token_count(client, other), 1, "another user's tokens are theirs");
    }

    #[test]
    fn params_collect_repeats_and_secrets_are_not_echoed() {
        let params = params_from_pairs([("a".into(), "1".into()), ("a".into(), "2".into()), ("a".into(), "3".into())]);
        assert_eq!(params["a"], json!(["1", "2", "3"]));
        let secret = params_from_pairs([("client_secret".into(), "s1".into()), ("client_secret".into(), "s2".into())]);
        let error = get_param(&secret, &["client_secret"], non_blank).unwrap_err();
        let ApiError::Instant { hint, .. } = error else { panic!() };
        assert_eq!(hint["original-input"], "[redacted]");
        let blank = params_from_pairs([("state".into(), "  ".into())]);
        assert_eq!(get_param(&blank, &["params", "state"], non_blank).unwrap_err().error_type(), Some("param-malformed"));
        assert_eq!(get_optional_param(&blank, &["params", "nope"], non_blank), Ok(None));
    }
}
