//! The Platform API (spec platform §1–§4), pure: its configuration and credentials, the
//! requests `@instantdb/platform` 1.0.67 sends (paths, headers, bodies), in [`jobs`] the
//! background-job summaries of a schema push, and in [`migrate`] the client-side plan of an
//! overwrite push. [`crate::client::platform`] sends them.
//!
//! Departures from the official client, each a defect listed in spec platform §7: ids are
//! checked (a UUID) before they are pasted into a path, and the `token-info` request marks its
//! token as a secret so errors and `Debug` never show it.

use crate::prelude::*;
use core::fmt;

pub mod collate;
pub mod jobs;
pub mod migrate;
pub mod oauth;
pub mod schema_def;

use crate::error::{Error, Result};
use crate::http::{encode_uri_component, HttpRequest, Payload};
use crate::request::CLIENT_VERSION;
use crate::uuid::is_uuid;
use crate::Value;

/// The credentials of a Platform client (spec platform §1.1). Never shown by `Debug`.
///
/// ```
/// use instant_edge::platform::PlatformAuth;
/// let auth = PlatformAuth::Token("per_0123".into());
/// assert_eq!(format!("{auth:?}"), "Token(***)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum PlatformAuth {
    /// A personal access token (`per_…`), an OAuth access token (`pat_…`) or an app's admin
    /// token.
    Token(String),
    /// An OAuth access token with what refreshes it (the token endpoint's `refresh_token`
    /// grant).
    OAuth {
        /// The current access token (`pat_…`).
        access_token: String,
        /// The refresh token (`prt_…`).
        refresh_token: String,
        /// The OAuth client's id.
        client_id: String,
        /// The OAuth client's secret.
        client_secret: String,
    },
}

impl PlatformAuth {
    /// The bearer token sent now.
    pub(crate) fn bearer(&self) -> &str {
        match self {
            PlatformAuth::Token(token) => token,
            PlatformAuth::OAuth { access_token, .. } => access_token,
        }
    }

    /// Every secret it holds, for scrubbing what a server echoes.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            PlatformAuth::Token(token) => vec![token],
            PlatformAuth::OAuth { access_token, refresh_token, client_secret, .. } => vec![access_token, refresh_token, client_secret],
        }
    }
}

impl fmt::Debug for PlatformAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlatformAuth::Token(_) => f.write_str("Token(***)"),
            PlatformAuth::OAuth { client_id, .. } => f.debug_struct("OAuth").field("client_id", client_id).finish_non_exhaustive(),
        }
    }
}

/// Where a Platform client talks and as whom, checked before anything is sent.
///
/// ```
/// use instant_edge::platform::{PlatformAuth, PlatformConfig};
/// let config = PlatformConfig::new("http://127.0.0.1:8888/").unwrap().with_auth(PlatformAuth::Token("per_1".into())).unwrap();
/// assert_eq!(config.api_uri(), "http://127.0.0.1:8888");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformConfig {
    api_uri: String,
    pub(crate) auth: Option<PlatformAuth>,
    pub(crate) timeout_ms: u32,
    pub(crate) retries: u32,
}

impl PlatformConfig {
    /// A client of the server at `api_uri` (trailing slashes are dropped), with no credentials.
    pub fn new(api_uri: &str) -> Result<PlatformConfig> {
        Ok(PlatformConfig { api_uri: crate::config::normalise_api_uri(api_uri)?, auth: None, timeout_ms: 30_000, retries: 3 })
    }

    /// With credentials. Each token must fit in a header (printable Latin-1, not empty).
    pub fn with_auth(mut self, auth: PlatformAuth) -> Result<PlatformConfig> {
        let headers_safe = |token: &str| !token.trim().is_empty() && token.chars().all(|c| !c.is_control() && u32::from(c) <= 0xFF);
        let ok = match &auth {
            PlatformAuth::Token(token) => headers_safe(token),
            PlatformAuth::OAuth { access_token, refresh_token, client_id, client_secret } => {
                headers_safe(access_token) && headers_safe(refresh_token) && headers_safe(client_id) && headers_safe(client_secret)
            }
        };
        if !ok {
            return Err(Error::invalid("auth", "every token must be a non-empty string of printable Latin-1 characters"));
        }
        self.auth = Some(auth);
        Ok(self)
    }

    /// The default timeout of each call (ms; 0 = none).
    pub fn with_timeout_ms(mut self, timeout_ms: u32) -> PlatformConfig {
        self.timeout_ms = timeout_ms;
        self
    }

    /// Retries of reads on network errors, 408, 429 and 5xx.
    pub fn with_retries(mut self, retries: u32) -> PlatformConfig {
        self.retries = retries;
        self
    }

    /// The API base.
    pub fn api_uri(&self) -> &str {
        &self.api_uri
    }

    /// The bearer token, or the error the official client throws without one.
    fn bearer(&self) -> Result<&str> {
        self.auth.as_ref().map(PlatformAuth::bearer).ok_or_else(|| Error::invalid("auth", "PlatformApi was not provided auth."))
    }
}

/// What `getApps`, `getAppsForOrg` and `getApp` add to each app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Include {
    /// The app's rules (`perms`).
    pub perms: bool,
    /// The app's schema (`schema`, the server's API form).
    pub schema: bool,
}

/// How a schema push treats what the app has and the pushed schema lacks.
///
/// ```
/// use instant_edge::platform::PushMode;
/// let mode = PushMode::Overwrite { renames: vec!["posts.name:posts.title".into()] };
/// assert_ne!(mode, PushMode::default());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PushMode {
    /// Add and change only (the server plans it): nothing is deleted or renamed.
    #[default]
    Additive,
    /// Make the app's schema the pushed one: what it lacks is deleted, and each rename command
    /// (`"posts.name:posts.title"`, `from:to`) renames instead of deleting and adding. Planned
    /// on the client from the app's current schema ([`migrate`]), as the official client plans
    /// `overwrite: true`.
    Overwrite {
        /// `from:to` commands, each side `entity.label` (a link by either of its sides).
        renames: Vec<String>,
    },
}

/// How many times a call refreshes an expired OAuth access token and tries again (the official
/// `withRetry`).
pub const MAX_REFRESHES: u32 = 2;

/// Whether an API error says the access token is expired or unknown, so a refresh may help:
/// 401, `record-expired`, or `record-not-found` whose hint's `record-type` names a token (the
/// official `withRetry` test; a hint without `record-type` is not a token error, where the
/// official client crashes).
///
/// ```
/// use instant_edge::platform::token_failure;
/// assert!(token_failure(400, Some("record-expired"), None));
/// assert!(token_failure(400, Some("record-not-found"), Some("oauth-access-Token")));
/// assert!(!token_failure(400, Some("record-not-found"), None));
/// ```
pub fn token_failure(status: u16, error_type: Option<&str>, record_type: Option<&str>) -> bool {
    status == 401
        || error_type == Some("record-expired")
        || (error_type == Some("record-not-found") && record_type.unwrap_or("").to_ascii_lowercase().contains("token"))
}

/// A checked id for a path segment (the official client pastes whatever it is given).
fn id_segment<'a>(what: &'static str, id: &'a str) -> Result<&'a str> {
    if is_uuid(id) {
        Ok(id)
    } else {
        Err(Error::invalid(what, "must be a UUID"))
    }
}

/// A request as `@instantdb/platform` sends it: `Content-Type` first for a body (and for
/// DELETE), then `Authorization` when `bearer` is given, then the version headers.
fn request(config: &PlatformConfig, method: &'static str, path: &str, bearer: Option<&str>, body: Option<Payload>) -> HttpRequest {
    let mut url = String::from(config.api_uri());
    url.push_str(path);
    let mut headers = Vec::new();
    if body.is_some() || method == "DELETE" {
        headers.push(("Content-Type", "application/json".to_owned()));
    }
    if let Some(token) = bearer {
        let mut value = String::from("Bearer ");
        value.push_str(token);
        headers.push(("Authorization", value));
    }
    for name in ["Instant-Platform-Version", "Instant-Core-Version"] {
        headers.push((name, CLIENT_VERSION.to_owned()));
    }
    headers.push(("X-Instant-Source", "platform-sdk".to_owned()));
    headers.push(("X-Instant-Version", CLIENT_VERSION.to_owned()));
    let mut request = HttpRequest::new(method, url, headers);
    request.body = body;
    request
}

/// An authorised request.
fn authed(config: &PlatformConfig, method: &'static str, path: &str, body: Option<Payload>) -> Result<HttpRequest> {
    Ok(request(config, method, path, Some(config.bearer()?), body))
}

/// `/superadmin/apps/<id><rest>`.
fn app_path(app_id: &str, rest: &str) -> Result<String> {
    let mut path = String::from("/superadmin/apps/");
    path.push_str(id_segment("appId", app_id)?);
    path.push_str(rest);
    Ok(path)
}

/// `?include=perms%2Cschema` (`perms` first), as `URLSearchParams` writes it.
fn with_include(mut path: String, include: Include) -> String {
    match (include.perms, include.schema) {
        (true, true) => path.push_str("?include=perms%2Cschema"),
        (true, false) => path.push_str("?include=perms"),
        (false, true) => path.push_str("?include=schema"),
        (false, false) => {}
    }
    path
}

/// `GET /superadmin/apps`: the caller's personal apps.
///
/// ```
/// use instant_edge::platform::{self, Include, PlatformAuth, PlatformConfig};
/// let config = PlatformConfig::new("http://127.0.0.1:8888").unwrap().with_auth(PlatformAuth::Token("per_1".into())).unwrap();
/// let req = platform::get_apps(&config, Include { perms: true, schema: true }).unwrap();
/// assert_eq!(req.url, "http://127.0.0.1:8888/superadmin/apps?include=perms%2Cschema");
/// assert_eq!(req.header("authorization"), Some("Bearer per_1"));
/// ```
pub fn get_apps(config: &PlatformConfig, include: Include) -> Result<HttpRequest> {
    authed(config, "GET", &with_include("/superadmin/apps".into(), include), None)
}

/// `GET /superadmin/orgs`.
pub fn get_orgs(config: &PlatformConfig) -> Result<HttpRequest> {
    authed(config, "GET", "/superadmin/orgs", None)
}

/// `GET /superadmin/orgs/<id>/apps`.
pub fn get_apps_for_org(config: &PlatformConfig, org_id: &str, include: Include) -> Result<HttpRequest> {
    let mut path = String::from("/superadmin/orgs/");
    path.push_str(id_segment("orgId", org_id)?);
    path.push_str("/apps");
    authed(config, "GET", &with_include(path, include), None)
}

/// `GET /superadmin/apps/<id>` (`getApp` adds the perms and schema requests it includes).
pub fn get_app(config: &PlatformConfig, app_id: &str) -> Result<HttpRequest> {
    authed(config, "GET", &app_path(app_id, "")?, None)
}

/// `GET /superadmin/apps/<id>/schema`: the API schema (spec platform §4.2).
pub fn get_schema(config: &PlatformConfig, app_id: &str) -> Result<HttpRequest> {
    authed(config, "GET", &app_path(app_id, "/schema")?, None)
}

/// `GET /superadmin/apps/<id>/perms`.
pub fn get_perms(config: &PlatformConfig, app_id: &str) -> Result<HttpRequest> {
    authed(config, "GET", &app_path(app_id, "/perms")?, None)
}

/// What `createApp` takes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewApp {
    /// The title (required, not blank).
    pub title: String,
    /// The schema, as `i.schema(...)` serialises it.
    pub schema: Option<Value>,
    /// The rules.
    pub perms: Option<Value>,
    /// The org to create it in (the caller must be an org admin).
    pub org_id: Option<String>,
}

/// `POST /superadmin/apps` with `{title, schema?, perms?, orgId?, org_id?}`: the body the
/// official client sends for the same fields (it adds `org_id` beside `orgId`).
pub fn create_app(config: &PlatformConfig, app: &NewApp) -> Result<HttpRequest> {
    if app.title.trim().is_empty() {
        return Err(Error::invalid("title", "must not be blank"));
    }
    let mut body: Vec<(&'static str, Payload)> = vec![("title", Payload::Value(Value::from(app.title.as_str())))];
    if let Some(schema) = &app.schema {
        body.push(("schema", Payload::Value(schema.clone())));
    }
    if let Some(perms) = &app.perms {
        body.push(("perms", Payload::Value(perms.clone())));
    }
    if let Some(org) = &app.org_id {
        let org = id_segment("orgId", org)?;
        body.push(("orgId", Payload::Value(Value::from(org))));
        body.push(("org_id", Payload::Value(Value::from(org))));
    }
    authed(config, "POST", "/superadmin/apps", Some(Payload::Object(body)))
}

/// `POST /dash/apps/ephemeral` with `{title, schema?, rules?: {code}}`, without credentials:
/// an app the server deletes after two weeks.
pub fn create_temporary_app(config: &PlatformConfig, title: &str, schema: Option<&Value>, perms: Option<&Value>) -> Result<HttpRequest> {
    if title.trim().is_empty() {
        return Err(Error::invalid("title", "must not be blank"));
    }
    let mut body: Vec<(&'static str, Payload)> = vec![("title", Payload::Value(Value::from(title)))];
    if let Some(schema) = schema {
        body.push(("schema", Payload::Value(schema.clone())));
    }
    if let Some(perms) = perms {
        body.push(("rules", Payload::Object(vec![("code", Payload::Value(perms.clone()))])));
    }
    Ok(request(config, "POST", "/dash/apps/ephemeral", None, Some(Payload::Object(body))))
}

/// `POST /superadmin/apps/<id>` with `{title}`.
pub fn update_app(config: &PlatformConfig, app_id: &str, title: &str) -> Result<HttpRequest> {
    if title.trim().is_empty() {
        return Err(Error::invalid("title", "must not be blank"));
    }
    let body = Payload::Object(vec![("title", Payload::Value(Value::from(title)))]);
    authed(config, "POST", &app_path(app_id, "")?, Some(body))
}

/// `DELETE /superadmin/apps/<id>` (with `Content-Type` and no body, as the official client).
pub fn delete_app(config: &PlatformConfig, app_id: &str) -> Result<HttpRequest> {
    authed(config, "DELETE", &app_path(app_id, "")?, None)
}

/// `POST /superadmin/apps/<id>/perms` with `{code: perms}`.
pub fn push_perms(config: &PlatformConfig, app_id: &str, perms: &Value) -> Result<HttpRequest> {
    let body = Payload::Object(vec![("code", Payload::Value(perms.clone()))]);
    authed(config, "POST", &app_path(app_id, "/perms")?, Some(body))
}

/// `POST /superadmin/apps/<id>/schema/push/plan` (`apply: false`) or `…/push/apply`: `{schema,
/// check_types: true, supports_background_updates: true}`, as the official non-overwrite push.
pub fn schema_push(config: &PlatformConfig, app_id: &str, schema: &Value, apply: bool) -> Result<HttpRequest> {
    if schema.get("entities").is_none() {
        return Err(Error::invalid("schema", "must be schema JSON: { entities, links }"));
    }
    let body = Payload::Object(vec![
        ("schema", Payload::Value(schema.clone())),
        ("check_types", Payload::Value(Value::Bool(true))),
        ("supports_background_updates", Payload::Value(Value::Bool(true))),
    ]);
    let path = app_path(app_id, if apply { "/schema/push/apply" } else { "/schema/push/plan" })?;
    authed(config, "POST", &path, Some(body))
}

/// `POST /dash/apps/<id>/schema/steps/apply` with `{steps}`: the steps of an overwrite push,
/// planned on the client ([`migrate::overwrite_steps`]).
pub fn apply_steps(config: &PlatformConfig, app_id: &str, steps: &[Value]) -> Result<HttpRequest> {
    let mut path = String::from("/dash/apps/");
    path.push_str(id_segment("appId", app_id)?);
    path.push_str("/schema/steps/apply");
    let body = Payload::Object(vec![("steps", Payload::Value(Value::Array(steps.to_vec())))]);
    authed(config, "POST", &path, Some(body))
}

/// `GET /dash/apps/<id>/indexing-jobs/group/<group>`: the jobs of a push.
pub fn indexing_jobs(config: &PlatformConfig, app_id: &str, group_id: &str) -> Result<HttpRequest> {
    let mut path = String::from("/dash/apps/");
    path.push_str(id_segment("appId", app_id)?);
    path.push_str("/indexing-jobs/group/");
    path.push_str(id_segment("groupId", group_id)?);
    let mut request = authed(config, "GET", &path, None)?;
    request.idempotent = true;
    Ok(request)
}

/// `GET /platform/oauth/token-info?access_token=…`. The server reads the token from the URL
/// only; it is marked as the request's secret, so errors and `Debug` never show it.
pub fn token_info(config: &PlatformConfig) -> Result<HttpRequest> {
    let token = config.bearer()?;
    let mut path = String::from("/platform/oauth/token-info?access_token=");
    encode_uri_component(token, &mut path);
    let mut request = request(config, "GET", &path, None, None);
    request.secret = Some(token.to_owned());
    Ok(request)
}

/// `POST /platform/oauth/token` with the `refresh_token` grant for the credentials' refresh
/// token ([`refresh_grant_request`]).
pub fn refresh_token_request(config: &PlatformConfig) -> Result<HttpRequest> {
    let Some(PlatformAuth::OAuth { refresh_token, client_id, client_secret, .. }) = &config.auth else {
        return Err(Error::invalid("auth", "refreshing needs { accessToken, refreshToken, clientId, clientSecret }"));
    };
    Ok(refresh_grant_request(config, refresh_token, client_id, client_secret))
}

/// `POST /platform/oauth/token` with the `refresh_token` grant (JSON, as the official helper).
/// The refresh token is the request's secret.
pub fn refresh_grant_request(config: &PlatformConfig, refresh_token: &str, client_id: &str, client_secret: &str) -> HttpRequest {
    let body = Payload::Object(vec![
        ("grant_type", Payload::Value(Value::from("refresh_token"))),
        ("refresh_token", Payload::Value(Value::from(refresh_token))),
        ("client_id", Payload::Value(Value::from(client_id))),
        ("client_secret", Payload::Value(Value::from(client_secret))),
    ]);
    let mut request = request(config, "POST", "/platform/oauth/token", None, Some(body));
    request.secret = Some(refresh_token.to_owned());
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";

    fn config() -> PlatformConfig {
        PlatformConfig::new("http://h:1").unwrap().with_auth(PlatformAuth::Token("per_abc".into())).unwrap()
    }

    #[test]
    fn requests_match_the_official_client() {
        let req = delete_app(&config(), APP).unwrap();
        assert_eq!(req.method, "DELETE");
        let names: Vec<&str> = req.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["Content-Type", "Authorization", "Instant-Platform-Version", "Instant-Core-Version", "X-Instant-Source", "X-Instant-Version"]
        );
        assert!(req.body.is_none());
        let req = create_app(&config(), &NewApp { title: "A".into(), org_id: Some(APP.into()), ..NewApp::default() }).unwrap();
        assert_eq!(req.body.unwrap().to_json(), format!(r#"{{"title":"A","orgId":"{APP}","org_id":"{APP}"}}"#));
        let req = create_temporary_app(&config(), "T", None, Some(&Value::empty_object())).unwrap();
        assert!(req.header("authorization").is_none());
        assert_eq!(req.body.unwrap().to_json(), r#"{"title":"T","rules":{"code":{}}}"#);
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        assert!(get_app(&config(), "../admin").is_err());
        assert!(create_app(&config(), &NewApp { title: "  ".into(), ..NewApp::default() }).is_err());
        assert!(get_apps(&PlatformConfig::new("http://h:1").unwrap(), Include::default()).is_err(), "no auth");
        assert!(PlatformConfig::new("http://h:1").unwrap().with_auth(PlatformAuth::Token("a\nb".into())).is_err());
    }

    #[test]
    fn the_token_info_token_is_a_secret() {
        let req = token_info(&config()).unwrap();
        assert_eq!(req.url, "http://h:1/platform/oauth/token-info?access_token=per_abc");
        assert!(!format!("{req:?}").contains("per_abc"));
    }
}
