//! [`Platform`]: the Platform API from Rust (spec platform §3): apps, orgs, perms, schema
//! pushes with their background jobs as a [`Stream`] of summaries, token info and OAuth
//! refresh. Requests are built by [`crate::platform`]; the call loop (timeout, retries) is the
//! admin client's.
//!
//! Unlike `@instantdb/platform` 1.0.67 (spec platform §1.4, §3.8): a refreshed token's expiry is
//! now-relative, a failed refresh is an error, a call whose retries all failed returns the last
//! error (never nothing), the refresh answer's `scope` is read, and `{"rules": null}` from a
//! perms push of unchanged rules is the pushed rules.

use crate::prelude::*;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use core::cell::RefCell;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_core::Stream;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::attempts::{Attempts, Failures};
use super::CallOptions;
use crate::config::AdminToken;
use crate::error::{Error, Result};
use crate::host::{self, DefaultTransport, Json, Task, Transport};
use crate::http::{HttpRequest, HttpResponse};
use crate::platform::jobs::{self, Job, JobPolling, PushStep, PushSummary};
use crate::platform::migrate::{self, Renames};
use crate::platform::oauth::{self, CodeProof, TokenGrant};
use crate::platform::{self as request, Include, NewApp, PlatformAuth, PlatformConfig, PushMode};
use crate::response;
use crate::Value;

/// An app as the Platform API answers it (the row's fields the official client keeps, and
/// `perms`/`schema` when asked for).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PlatformApp {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// When it was made (`yyyy-MM-ddTHH:mm:ssZ`).
    pub created_at: String,
    /// Its org, for an org app.
    #[serde(default)]
    pub org_id: Option<String>,
    /// Who made it, for a personal app.
    #[serde(default)]
    pub creator_id: Option<String>,
    /// Its admin token: in the answers of `create_app` and `create_temporary_app` only.
    #[serde(default, rename = "admin-token", deserialize_with = "admin_token")]
    pub admin_token: Option<AdminToken>,
    /// Its rules, when included (`Some(Value::Null)`: it has none).
    #[serde(default, deserialize_with = "present")]
    pub perms: Option<Value>,
    /// Its schema in the server's API form (spec platform §4.2), when included.
    #[serde(default, deserialize_with = "present")]
    pub schema: Option<Value>,
}

/// A field that is there, `null` included (absent is `None` by `default`).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> core::result::Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

fn admin_token<'de, D: serde::Deserializer<'de>>(deserializer: D) -> core::result::Result<Option<AdminToken>, D::Error> {
    let token: Option<String> = Option::deserialize(deserializer)?;
    Ok(token.and_then(|token| AdminToken::new(token).ok()))
}

/// An org the caller belongs to.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Org {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// When it was made.
    pub created_at: String,
    /// The caller's role: `owner`, `admin`, `collaborator` or `app-member`.
    #[serde(default)]
    pub role: Option<String>,
}

/// What a token can do and until when.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenInfo {
    /// `Bearer`.
    pub token_type: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// When it expires (ms since the epoch, a minute early as the official client reckons).
    pub expires_at_ms: f64,
}

/// An OAuth access token just minted by a refresh.
#[derive(Clone, Debug, PartialEq)]
pub struct Refreshed {
    /// When it expires (ms since the epoch; 30 s early, as the official code exchange reckons).
    pub expires_at_ms: f64,
    /// Its scopes (the refresh answer says `scope`, the code exchange `scopes`: both are read).
    pub scopes: Option<String>,
}

/// A planned or applied schema push.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaPlan {
    /// The steps, each with what it says (and its job, once applied).
    pub steps: Vec<PushStep>,
    /// The pushed schema as the server read it (API form); for an overwrite plan, which the
    /// server never sees, the pushed schema as given (`i.schema` JSON).
    pub new_schema: Value,
    /// The app's schema before the push (API form).
    pub current_schema: Value,
}

/// What a [`SchemaPush`] yields: summaries while jobs run, then the end.
#[derive(Debug)]
pub enum PushEvent {
    /// Where the push stands after a poll of its jobs.
    Progress(PushSummary),
    /// The push ended: the final summary and the app's schema after it (API form), or why it
    /// failed. A job that errored does not fail the push: it is counted in the summary.
    Done(Result<(PushSummary, Value)>),
}

/// A Platform API client.
///
/// ```no_run
/// # async fn run() -> instant_edge::Result<()> {
/// use instant_edge::client::platform::Platform;
/// use instant_edge::platform::{Include, NewApp, PlatformAuth};
/// use instant_edge::value;
/// let platform = Platform::new("http://127.0.0.1:8888", PlatformAuth::Token("per_…".into()))?;
/// let app = platform.create_app(&NewApp { title: "Demo".into(), schema: Some(value!({ "entities": {}, "links": {} })), ..NewApp::default() }).await?;
/// let apps = platform.get_apps(Include { perms: true, schema: false }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Platform<T: Transport = DefaultTransport> {
    // Shared by clones: a refresh swaps the access token for all of them.
    config: Rc<RefCell<PlatformConfig>>,
    transport: T,
    on_refresh: Option<OnRefresh>,
}

/// What [`Platform::on_refresh`] calls: the new access token and when it expires (ms since the
/// epoch); the task it returns is awaited before the refreshed call goes on.
type RefreshHook = dyn Fn(&str, f64) -> Task;

#[derive(Clone)]
struct OnRefresh(Rc<RefreshHook>);

impl core::fmt::Debug for OnRefresh {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("OnRefresh")
    }
}

impl Platform {
    /// A client of the server at `api_uri` acting with `auth`.
    pub fn new(api_uri: &str, auth: PlatformAuth) -> Result<Platform> {
        Ok(Platform::with_config(PlatformConfig::new(api_uri)?.with_auth(auth)?))
    }

    /// A client for `config` (e.g. without credentials, for `create_temporary_app`).
    pub fn with_config(config: PlatformConfig) -> Platform {
        Platform::with_transport(config, DefaultTransport::new())
    }
}

impl<T: Transport> Platform<T> {
    /// A client sending through `transport` (tests use the mock).
    pub fn with_transport(config: PlatformConfig, transport: T) -> Platform<T> {
        Platform { config: Rc::new(RefCell::new(config)), transport, on_refresh: None }
    }

    /// Calls `hook` after every refresh of the access token (by [`Platform::refresh_token`] or
    /// a call whose token had expired) with the new token and when it expires (ms since the
    /// epoch), to store them; the returned task is awaited before the refreshed call goes on.
    ///
    /// ```no_run
    /// # fn run(platform: instant_edge::client::platform::Platform) {
    /// let platform = platform.on_refresh(|token, expires_at_ms| {
    ///     let token = token.to_owned();
    ///     Box::pin(async move { /* save `token` until `expires_at_ms` */ })
    /// });
    /// # }
    /// ```
    pub fn on_refresh(mut self, hook: impl Fn(&str, f64) -> Task + 'static) -> Platform<T> {
        self.on_refresh = Some(OnRefresh(Rc::new(hook)));
        self
    }

    /// The credentials now (after any refresh).
    pub fn auth(&self) -> Option<PlatformAuth> {
        self.config.borrow().auth.clone()
    }

    /// The caller's personal apps.
    pub async fn get_apps(&self, include: Include) -> Result<Vec<PlatformApp>> {
        self.field(|c| request::get_apps(c, include), "apps").await
    }

    /// The apps of an org.
    pub async fn get_apps_for_org(&self, org_id: &str, include: Include) -> Result<Vec<PlatformApp>> {
        self.field(|c| request::get_apps_for_org(c, org_id, include), "apps").await
    }

    /// The orgs the caller belongs to.
    pub async fn get_orgs(&self) -> Result<Vec<Org>> {
        self.field(request::get_orgs, "orgs").await
    }

    /// One app, with its perms and schema when included (separate requests, as the official
    /// client makes them).
    pub async fn get_app(&self, app_id: &str, include: Include) -> Result<PlatformApp> {
        let mut app: PlatformApp = self.field(|c| request::get_app(c, app_id), "app").await?;
        if include.perms {
            app.perms = Some(self.get_perms(app_id).await?);
        }
        if include.schema {
            app.schema = Some(self.get_schema(app_id).await?);
        }
        Ok(app)
    }

    /// An app's schema, in the server's API form (spec platform §4.2).
    pub async fn get_schema(&self, app_id: &str) -> Result<Value> {
        self.field_value(|c| request::get_schema(c, app_id), "schema").await
    }

    /// An app's rules (`Value::Null` when it has none).
    pub async fn get_perms(&self, app_id: &str) -> Result<Value> {
        self.field_value(|c| request::get_perms(c, app_id), "perms").await
    }

    /// Makes an app; its admin token is in the answer.
    pub async fn create_app(&self, app: &NewApp) -> Result<PlatformApp> {
        self.field(|c| request::create_app(c, app), "app").await
    }

    /// Makes an app without credentials, deleted by the server after two weeks; with when
    /// (`expires_ms`, ms since the epoch).
    pub async fn create_temporary_app(&self, title: &str, schema: Option<&Value>, perms: Option<&Value>) -> Result<(PlatformApp, f64)> {
        let answer = host::to_value(&self.call(&|c| request::create_temporary_app(c, title, schema, perms)).await?);
        let app = decode_value(answer.get("app").cloned().unwrap_or(Value::Null))?;
        Ok((app, answer.get("expires_ms").and_then(Value::as_f64).unwrap_or(f64::NAN)))
    }

    /// Renames an app.
    pub async fn update_app(&self, app_id: &str, title: &str) -> Result<PlatformApp> {
        self.field(|c| request::update_app(c, app_id, title), "app").await
    }

    /// Deletes an app (the server marks it deleted; every route answers "not found" after).
    pub async fn delete_app(&self, app_id: &str) -> Result<PlatformApp> {
        self.field(|c| request::delete_app(c, app_id), "app").await
    }

    /// Replaces an app's rules; answers them as stored. The server answers `{"rules": null}`
    /// when they did not change: that is the pushed rules too.
    pub async fn push_perms(&self, app_id: &str, perms: &Value) -> Result<Value> {
        let answer = host::to_value(&self.call(&|c| request::push_perms(c, app_id, perms)).await?);
        Ok(answer.get("rules").and_then(|rules| rules.get("code")).cloned().unwrap_or_else(|| perms.clone()))
    }

    /// What pushing `schema` (an `i.schema` JSON) additively would do, without doing it.
    pub async fn plan_schema_push(&self, app_id: &str, schema: &Value) -> Result<SchemaPlan> {
        self.plan_schema_push_with(app_id, schema, &PushMode::Additive).await
    }

    /// What pushing `schema` in `mode` would do, without doing it. The server plans an additive
    /// push; an overwrite push is planned here, from the app's current schema (its
    /// `new_schema` is then `schema` as given).
    ///
    /// ```no_run
    /// # async fn run(platform: instant_edge::client::platform::Platform, app_id: &str) -> instant_edge::Result<()> {
    /// use instant_edge::{platform::PushMode, value};
    /// let schema = value!({ "entities": { "posts": { "attrs": { "title": { "valueType": "string", "required": true,
    ///     "isIndexed": false, "config": { "indexed": false, "unique": false } } } } }, "links": {} });
    /// let mode = PushMode::Overwrite { renames: vec!["posts.name:posts.title".into()] };
    /// for step in platform.plan_schema_push_with(app_id, &schema, &mode).await?.steps {
    ///     println!("{}", step.description); // "Update attribute posts.title.", "Delete attribute posts.body.", …
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn plan_schema_push_with(&self, app_id: &str, schema: &Value, mode: &PushMode) -> Result<SchemaPlan> {
        let PushMode::Overwrite { renames } = mode else {
            let answer = host::to_value(&self.call(&|c| request::schema_push(c, app_id, schema, false)).await?);
            return Ok(plan_of(&answer, &[]));
        };
        let (current, steps, attrs) = self.overwrite_plan(app_id, schema, renames).await?;
        let names = attr_names(&attrs);
        Ok(SchemaPlan { steps: jobs::push_steps(&steps, &[], &names), new_schema: schema.clone(), current_schema: current })
    }

    /// The app's API schema, the steps of an overwrite push of `schema` onto it, and its
    /// attributes. The renames and the schema's shape are checked before anything is sent.
    async fn overwrite_plan(&self, app_id: &str, schema: &Value, renames: &[String]) -> Result<(Value, Vec<Value>, Vec<Value>)> {
        let renames = Renames::parse(&renames.iter().map(String::as_str).collect::<Vec<_>>())?;
        crate::Schema::from_json(&schema)?;
        let current = self.get_schema(app_id).await?;
        let (steps, attrs) = migrate::overwrite_steps(&current, schema, &renames, &mut crate::id)?;
        Ok((current, steps, attrs))
    }

    /// Pushes `schema` additively: nothing is deleted or renamed. The returned stream yields a
    /// summary after each poll of the push's background jobs, then [`PushEvent::Done`].
    pub fn schema_push(&self, app_id: &str, schema: &Value) -> SchemaPush {
        self.schema_push_with(app_id, schema, PushMode::Additive)
    }

    /// Pushes `schema` in `mode` ([`PushMode::Overwrite`] deletes what `schema` lacks and
    /// renames as told), as [`Platform::schema_push`].
    pub fn schema_push_with(&self, app_id: &str, schema: &Value, mode: PushMode) -> SchemaPush {
        let slot = Rc::new(RefCell::new(PushSlot::default()));
        let shared = slot.clone();
        let (platform, app_id, schema) = (self.clone(), app_id.to_owned(), schema.clone());
        self.transport.spawn(Box::pin(async move {
            let sink = shared.clone();
            let progress = &mut |summary| sink.borrow_mut().push(PushEvent::Progress(summary));
            let result = platform.push(&app_id, &schema, &mode, progress).await;
            shared.borrow_mut().push(PushEvent::Done(result));
        }));
        SchemaPush { slot }
    }

    async fn push(
        &self,
        app_id: &str,
        schema: &Value,
        mode: &PushMode,
        progress: &mut dyn FnMut(PushSummary),
    ) -> Result<(PushSummary, Value)> {
        let summary = self.push_until_done(app_id, schema, mode, progress).await?;
        Ok((summary, self.get_schema(app_id).await?))
    }

    /// A push up to its last job, without reading the schema after it (the JS export reads that
    /// as host JSON).
    pub(crate) async fn push_until_done(
        &self,
        app_id: &str,
        schema: &Value,
        mode: &PushMode,
        progress: &mut dyn FnMut(PushSummary),
    ) -> Result<PushSummary> {
        let (answer, attrs) = match mode {
            PushMode::Additive => (self.call(&|c| request::schema_push(c, app_id, schema, true)).await?, Vec::new()),
            PushMode::Overwrite { renames } => {
                let (_, steps, attrs) = self.overwrite_plan(app_id, schema, renames).await?;
                (self.call(&|c| request::apply_steps(c, app_id, &steps)).await?, attrs)
            }
        };
        let answer = host::to_value(&answer);
        let steps = answer.get("steps").and_then(Value::as_array).map(<[Value]>::to_vec).unwrap_or_default();
        let group = answer.get("indexing-jobs").filter(|jobs| !jobs.is_null());
        let mut jobs = group.and_then(|g| g.get("jobs")).map_or_else(Vec::new, Job::list);
        let names = attr_names(&attrs);
        if let Some(group_id) = group.and_then(|g| g.get("group-id")).and_then(Value::as_str) {
            let mut polling = JobPolling::default();
            while !jobs.iter().all(Job::is_done) {
                self.transport.sleep(polling.interval_ms()).await;
                match self.field_value(|c| request::indexing_jobs(c, app_id, group_id), "jobs").await {
                    Ok(next) => {
                        let next = Job::list(&next);
                        let moved = jobs::latest_update(&next) > jobs::latest_update(&jobs);
                        polling.polled(moved);
                        jobs = next;
                        progress(jobs::summary(jobs::push_steps(&steps, &jobs, &names)));
                    }
                    Err(error) if !polling.failed() => return Err(error),
                    Err(_) => {}
                }
            }
        }
        Ok(jobs::summary(jobs::push_steps(&steps, &jobs, &names)))
    }

    /// What the token can do and until when (OAuth access tokens only).
    pub async fn token_info(&self) -> Result<TokenInfo> {
        let answer = host::to_value(&self.call(&request::token_info).await?);
        let text = |key: &str| answer.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        let expires_in = answer.get("expires_in").and_then(Value::as_f64).unwrap_or(0.0);
        Ok(TokenInfo {
            token_type: text("token_type"),
            scopes: text("scopes"),
            expires_at_ms: self.now_epoch_ms() + (expires_in - 60.0) * 1000.0,
        })
    }

    /// Whether the credentials can be refreshed.
    pub fn can_refresh_token(&self) -> bool {
        matches!(self.config.borrow().auth, Some(PlatformAuth::OAuth { .. }))
    }

    /// Mints a new access token with the refresh token and uses it from now on.
    pub async fn refresh_token(&self) -> Result<Refreshed> {
        let request = request::refresh_token_request(&self.config.borrow())?;
        let grant = self.grant(request, "").await?;
        if let Some(PlatformAuth::OAuth { access_token, .. }) = &mut self.config.borrow_mut().auth {
            grant.access_token.clone_into(access_token);
        }
        if let Some(OnRefresh(hook)) = &self.on_refresh {
            hook(&grant.access_token, grant.expires_at_ms).await;
        }
        Ok(Refreshed { expires_at_ms: grant.expires_at_ms, scopes: grant.scopes })
    }

    /// Exchanges the code the redirect brought for a token: with the client secret (a refresh
    /// token comes back) or with the PKCE verifier. Errors are the server's, typed and whole
    /// (the official helper reports `server_error` and loses the message).
    pub async fn exchange_code(&self, code: &str, client_id: &str, redirect_uri: &str, proof: &CodeProof) -> Result<TokenGrant> {
        let request = oauth::code_exchange_request(self.config.borrow().api_uri(), code, client_id, redirect_uri, proof);
        self.grant(request, code).await
    }

    /// Mints an access token with a refresh token (the `refresh_token` grant), whatever the
    /// credentials: for a server that keeps its refresh tokens itself. No new refresh token
    /// comes back (refresh tokens are not rotated); the credentials are left as they are.
    pub async fn exchange_refresh_token(&self, refresh_token: &str, client_id: &str, client_secret: &str) -> Result<TokenGrant> {
        let request = request::refresh_grant_request(&self.config.borrow(), refresh_token, client_id, client_secret);
        self.grant(request, client_secret).await
    }

    /// A token endpoint's answer to `request`, read at the wall clock's now.
    async fn grant(&self, request: HttpRequest, also_secret: &str) -> Result<TokenGrant> {
        let answer = self.send_oauth(request, also_secret).await?;
        oauth::token_grant(&host::to_value(&answer), self.now_epoch_ms())
    }

    /// Sends an OAuth request ([`oauth`]'s or [`request::refresh_grant_request`]'s) without
    /// credentials of the client; `also_secret` (the one the request does not carry as its own)
    /// is scrubbed from the error too. The npm exports share this one path.
    pub(crate) async fn send_oauth(&self, request: HttpRequest, also_secret: &str) -> Result<Json> {
        self.send(request).await.map_err(|mut error| {
            response::redact(&mut error, also_secret);
            error
        })
    }

    /// Revokes a token (`POST /platform/oauth/revoke`): a refresh token with every access token
    /// it minted, or one access token. An unknown token is not an error (the server's answer).
    pub async fn revoke_token(&self, token: &str) -> Result<()> {
        let request = oauth::revoke_request(self.config.borrow().api_uri(), token);
        self.send(request).await.map(|_| ())
    }

    /// The wall clock, for expiries (the transport's clock is only monotonic).
    fn now_epoch_ms(&self) -> f64 {
        host::epoch_ms()
    }

    /// One field of a call's answer, decoded.
    async fn field<R: DeserializeOwned>(&self, make: impl Fn(&PlatformConfig) -> Result<HttpRequest>, key: &str) -> Result<R> {
        decode_value(self.field_value(make, key).await?)
    }

    /// One field of a call's answer (`null` when absent), as it is: no decoding (no serde in
    /// the npm wasm for these).
    async fn field_value(&self, make: impl Fn(&PlatformConfig) -> Result<HttpRequest>, key: &str) -> Result<Value> {
        let answer = host::to_value(&self.call(&make).await?);
        Ok(answer.get(key).cloned().unwrap_or(Value::Null))
    }

    /// Sends the request `make` builds from the current credentials; an expired or unknown
    /// OAuth access token is refreshed and the call made again, at most twice (the official
    /// `withRetry`), and the last error is returned when that fails too. The answer is the
    /// host's JSON, whole: the npm package shapes it in JS.
    pub(crate) async fn call(&self, make: &dyn Fn(&PlatformConfig) -> Result<HttpRequest>) -> Result<Json> {
        let mut refreshes = 0;
        loop {
            let request = make(&self.config.borrow())?;
            match self.send(request).await {
                Err(error) if refreshes < request::MAX_REFRESHES && self.can_refresh_token() && token_failed(&error) => {
                    refreshes += 1;
                    self.refresh_token().await?;
                }
                result => return result,
            }
        }
    }

    /// Sends with the admin client's timeout and retry rules.
    async fn send(&self, request: HttpRequest) -> Result<Json> {
        let (timeout, retries) = {
            let config = self.config.borrow();
            (config.timeout_ms, config.retries)
        };
        let opts = CallOptions::default();
        let attempts = Attempts::with_limits(timeout, retries, &opts, self.transport.now_ms());
        attempts.run(self, &self.transport, &request, None).await
    }
}

impl<T: Transport> Failures for Platform<T> {
    /// A non-200 answer's error, with every credential scrubbed from what the server echoed.
    fn failure(&self, answer: &HttpResponse, request: &HttpRequest) -> Error {
        let text = answer.body_text();
        let parsed = crate::parse::parse(text).ok().map(|node| crate::json::to_value(&node));
        let mut error = response::failure(answer.status, parsed, text);
        if let Some(secret) = &request.secret {
            response::redact(&mut error, secret);
        }
        if let Some(auth) = &self.config.borrow().auth {
            for secret in auth.secrets() {
                response::redact(&mut error, secret);
            }
        }
        error
    }
}

/// A fresh PKCE pair for [`oauth::authorize_url`]: `(verifier, challenge)`; keep the verifier
/// for [`Platform::exchange_code`]. The digest is the host's (Web Crypto on wasm).
///
/// ```
/// # async fn run() -> instant_edge::Result<()> {
/// let (verifier, challenge) = instant_edge::client::platform::pkce().await?;
/// assert_eq!((verifier.len(), challenge.len()), (64, 43));
/// # Ok(()) }
/// ```
pub async fn pkce() -> Result<(String, String)> {
    let verifier = oauth::pkce_verifier(&host::random_bytes(64));
    let challenge = oauth::pkce_challenge(&host::sha256(verifier.as_bytes()).await?);
    Ok((verifier, challenge))
}

/// Whether `error` says the access token is expired or unknown ([`request::token_failure`]).
fn token_failed(error: &Error) -> bool {
    let Error::Api(api) = error else { return false };
    request::token_failure(api.status, api.error_type.as_deref(), api.hint.get("record-type").and_then(Value::as_str))
}

fn decode_value<R: DeserializeOwned>(value: Value) -> Result<R> {
    host::decode(host::from_value(&value))
}

/// `etype.label` of a current attribute by its id (what a `delete-attr` step names).
pub(crate) fn attr_names(attrs: &[Value]) -> impl Fn(&str) -> Option<String> + '_ {
    |id: &str| {
        let attr = attrs.iter().find(|attr| attr.get("id").and_then(Value::as_str) == Some(id))?;
        let ident = attr.get("forward-identity")?.as_array()?;
        let mut name = String::from(ident.get(1)?.as_str()?);
        name.push('.');
        name.push_str(ident.get(2)?.as_str()?);
        Some(name)
    }
}

/// A plan answer as a [`SchemaPlan`].
fn plan_of(answer: &Value, jobs: &[Job]) -> SchemaPlan {
    let steps = answer.get("steps").and_then(Value::as_array).unwrap_or_default();
    let names = attr_names(answer.get("current-attrs").and_then(Value::as_array).unwrap_or_default());
    SchemaPlan {
        steps: jobs::push_steps(steps, jobs, &names),
        new_schema: answer.get("new-schema").cloned().unwrap_or(Value::Null),
        current_schema: answer.get("current-schema").cloned().unwrap_or(Value::Null),
    }
}

#[derive(Default)]
struct PushSlot {
    events: VecDeque<PushEvent>,
    ended: bool,
    waker: Option<Waker>,
}

impl PushSlot {
    fn push(&mut self, event: PushEvent) {
        self.ended |= matches!(event, PushEvent::Done(_));
        self.events.push_back(event);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// A schema push in flight: a [`Stream`] of [`PushEvent`]s, ending after `Done`. Every
/// progress summary is kept until read.
pub struct SchemaPush {
    slot: Rc<RefCell<PushSlot>>,
}

impl SchemaPush {
    /// The next event (`None` after `Done`).
    pub async fn next(&mut self) -> Option<PushEvent> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Waits for the end, skipping the progress.
    pub async fn finish(mut self) -> Result<(PushSummary, Value)> {
        while let Some(event) = self.next().await {
            if let PushEvent::Done(result) = event {
                return result;
            }
        }
        Err(Error::Aborted)
    }
}

impl Stream for SchemaPush {
    type Item = PushEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<PushEvent>> {
        let mut slot = self.slot.borrow_mut();
        match slot.events.pop_front() {
            Some(event) => Poll::Ready(Some(event)),
            None if slot.ended => Poll::Ready(None),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
