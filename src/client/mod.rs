//! [`Instant`]: the Rust API, and the one call loop every request goes through (timeout,
//! cancellation, retries). Cheap to clone; [`Instant::as_user`] returns a new handle. Per area:
//! [`auth`], [`storage`], [`rooms`], [`live`], `webhooks`; [`perms_check`] (`debug_query`, `debug_transact`).

use crate::prelude::*;
pub mod attempts;
pub mod auth;
pub mod live;
pub mod perms_check;
#[cfg(feature = "platform")]
pub mod platform;
pub mod rooms;
pub mod storage;
pub mod streams;
#[cfg(feature = "webhooks")]
pub mod webhooks;

use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::host::{self, DefaultTransport, Json, Signal, Transport};
use crate::http::{HttpRequest, HttpResponse};
use crate::json::JsonView;
use crate::models::TransactResponse;
use crate::request::{self, Impersonation};
use crate::response;
use crate::schema::Schema;
use crate::tx::{steps_of, TxChunk};
use crate::Value;
use attempts::Attempts;
pub use perms_check::DebugOptions;

/// Per-call options: all optional.
///
/// ```
/// use instant_edge::{value, CallOptions};
/// let opts = CallOptions::default().timeout_ms(5_000).rule_params(value!({ "k": "v" })).header("x-proxy-key", "k1");
/// assert_eq!(opts.timeout_ms, Some(5_000));
/// assert!(!format!("{opts:?}").contains("k1"));
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct CallOptions {
    /// Overrides the client's timeout for this call (0 = none).
    pub timeout_ms: Option<u32>,
    /// Cancels the call when it fires (an `AbortSignal` in the wasm build). Dropping the
    /// call's future cancels it too.
    pub signal: Option<Signal>,
    /// Rule params for the permission rules of impersonated queries.
    pub rule_params: Option<Value>,
    /// Headers added to this call's request (a proxy's key, a trace id): checked and added by
    /// [`crate::request::add_headers`], which refuses any header the client sets itself.
    pub headers: Vec<(String, String)>,
}

impl core::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Header values may be credentials (a proxy's key): names only.
        let headers: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("CallOptions")
            .field("timeout_ms", &self.timeout_ms)
            .field("signal", &self.signal.as_ref().map(|_| "signal"))
            .field("rule_params", &self.rule_params)
            .field("headers", &headers)
            .finish()
    }
}

impl CallOptions {
    /// Sets the timeout.
    pub fn timeout_ms(mut self, ms: u32) -> CallOptions {
        self.timeout_ms = Some(ms);
        self
    }

    /// Sets the cancellation signal.
    pub fn signal(mut self, signal: Signal) -> CallOptions {
        self.signal = Some(signal);
        self
    }

    /// Sets rule params.
    pub fn rule_params(mut self, params: Value) -> CallOptions {
        self.rule_params = Some(params);
        self
    }

    /// Adds a header to the call's request (see [`CallOptions::headers`]).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> CallOptions {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A client for one app.
///
/// ```no_run
/// # async fn run() -> instant_edge::Result<()> {
/// use instant_edge::{id, tx, Instant, Value};
/// let db = Instant::builder("8aa64e4c-64f9-472e-8a61-3fa28870e6cb")
///     .api_uri("http://127.0.0.1:8888")
///     .admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0")
///     .build()?;
/// let goal = id();
/// db.transact([tx("goals", &goal).update(Value::object([("title", "Get fit".into())]))]).await?;
/// let result: Value = db.query(&Value::object([("goals", Value::empty_object())])).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Instant<T: Transport = DefaultTransport> {
    // Shared: every JS call clones the handle into its future, and a copy of the strings each
    // time measurably slowed a small query.
    config: alloc::rc::Rc<Config>,
    who: Option<Impersonation>,
    transport: T,
}

/// Builds an [`Instant`]; `api_uri` is required so nothing talks to Instant Cloud by accident.
#[derive(Clone, Debug)]
#[must_use]
pub struct InstantBuilder {
    app_id: String,
    api_uri: Option<String>,
    admin_token: Option<String>,
    timeout_ms: Option<u32>,
    retries: Option<u32>,
    schema: SchemaSetting,
    disable_validation: bool,
}

/// What [`InstantBuilder::schema`] takes: a [`Schema`] (calls are checked against it, and the
/// server infers cardinality and refuses unknown attributes), or, as before, `true` for the
/// server-side flags only.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SchemaSetting {
    /// No schema.
    #[default]
    None,
    /// `inference?` and `throw-on-missing-attrs?` only, nothing checked here.
    Flags,
    /// Checked against this schema, and the flags.
    Schema(Schema),
}

impl From<bool> for SchemaSetting {
    fn from(flags: bool) -> SchemaSetting {
        if flags {
            SchemaSetting::Flags
        } else {
            SchemaSetting::None
        }
    }
}

impl From<Schema> for SchemaSetting {
    fn from(schema: Schema) -> SchemaSetting {
        SchemaSetting::Schema(schema)
    }
}

impl InstantBuilder {
    /// The API base: the emulator, a self-hosted server, or [`crate::CLOUD_API_URI`].
    pub fn api_uri(mut self, uri: impl Into<String>) -> Self {
        self.api_uri = Some(uri.into());
        self
    }

    /// The app's admin token.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Default per-call timeout (0 = none).
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.timeout_ms = Some(ms);
        self
    }

    /// Retries of idempotent calls.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Behave as `@instantdb/admin` with a schema: queries and transactions are checked
    /// against it before they are sent ([`Error::Validation`] with the official message), and
    /// `inference?` / `throw-on-missing-attrs?` are sent as `true`. `true` sets only the flags.
    ///
    /// ```
    /// use instant_edge::{value, Instant, Schema};
    /// let schema = Schema::parse(r#"{"entities": {"goals": {"attrs": {}, "links": {}}}}"#).unwrap();
    /// let db = Instant::builder("8aa64e4c-64f9-472e-8a61-3fa28870e6cb").api_uri("http://127.0.0.1:8888").schema(schema).build().unwrap();
    /// assert!(db.check_query(&&value!({ "todos": {} })).is_err());
    /// ```
    pub fn schema(mut self, schema: impl Into<SchemaSetting>) -> Self {
        self.schema = schema.into();
        self
    }

    /// `disableValidation`: with a schema, nothing is checked against it here (the flags are
    /// still sent).
    pub fn disable_validation(mut self, disable: bool) -> Self {
        self.disable_validation = disable;
        self
    }

    /// Checks everything and makes the client.
    pub fn build(self) -> Result<Instant> {
        Ok(Instant::with_transport(self.config()?, DefaultTransport::new()))
    }

    /// The checked configuration.
    pub fn config(self) -> Result<Config> {
        let Some(api_uri) = self.api_uri else {
            return Err(Error::invalid("apiURI", "is required (the emulator, your server, or CLOUD_API_URI)"));
        };
        let mut config = Config::new(&self.app_id, &api_uri)?;
        config = match self.schema {
            SchemaSetting::None => config,
            SchemaSetting::Flags => config.with_schema(true),
            SchemaSetting::Schema(schema) => config.with_schema_def(schema, !self.disable_validation),
        };
        if let Some(token) = self.admin_token {
            config = config.with_admin_token(token)?;
        }
        if let Some(ms) = self.timeout_ms {
            config = config.with_timeout_ms(ms);
        }
        if let Some(retries) = self.retries {
            config = config.with_retries(retries);
        }
        Ok(config)
    }
}

impl Instant {
    /// A client over the host's `fetch`.
    pub fn new(config: Config) -> Instant {
        Instant::with_transport(config, DefaultTransport::new())
    }

    /// Starts a builder for app `app_id`.
    pub fn builder(app_id: impl Into<String>) -> InstantBuilder {
        InstantBuilder {
            app_id: app_id.into(),
            api_uri: None,
            admin_token: None,
            timeout_ms: None,
            retries: None,
            schema: SchemaSetting::None,
            disable_validation: false,
        }
    }
}

impl<T: Transport> Instant<T> {
    /// A client over any transport (tests use [`host::mock::MockTransport`] natively).
    pub fn with_transport(config: Config, transport: T) -> Instant<T> {
        Instant { config: alloc::rc::Rc::new(config), who: None, transport }
    }

    /// The transport.
    pub(crate) fn transport(&self) -> &T {
        &self.transport
    }

    /// Whom this handle acts as.
    pub(crate) fn who(&self) -> Option<&Impersonation> {
        self.who.as_ref()
    }

    /// This handle's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A new handle whose calls act as `who` (permission rules apply). The argument is checked
    /// when a call is made, so this never fails.
    pub fn as_user(&self, who: Impersonation) -> Instant<T> {
        Instant { config: self.config.clone(), who: Some(who), transport: self.transport.clone() }
    }

    /// Runs an InstaQL query and decodes the result into `R`.
    pub async fn query<R: DeserializeOwned>(&self, query: &Value) -> Result<R> {
        self.query_with(query, &CallOptions::default()).await
    }

    /// [`Instant::query`] with options.
    pub async fn query_with<R: DeserializeOwned>(&self, query: &Value, opts: &CallOptions) -> Result<R> {
        host::decode(self.query_json(query, opts).await?)
    }

    /// Runs a query and returns the host's parsed JSON as is.
    pub async fn query_json(&self, query: &Value, opts: &CallOptions) -> Result<Json> {
        self.check_query(&query)?;
        self.call(self.query_request(&query, opts.rule_params.as_ref().as_ref())?, opts).await
    }

    /// Checks a query against the client's schema, as `@instantdb/admin` does before it
    /// sends one (nothing without a schema, or with validation disabled).
    pub fn check_query<J: JsonView>(&self, query: &J) -> Result<()> {
        self.config.schema().map_or(Ok(()), |schema| crate::schema::check_query(query, schema))
    }

    /// Checks transaction steps against the client's schema, as [`Instant::check_query`].
    pub fn check_steps<J: JsonView>(&self, steps: &J) -> Result<()> {
        self.config.schema().map_or(Ok(()), |schema| crate::schema::check_steps(steps, schema))
    }

    /// The checked `POST /admin/query` request for this handle (not checked against the
    /// schema: the storage and auth calls query system namespaces with it).
    pub fn query_request<J: JsonView>(&self, query: &J, rule_params: Option<&J>) -> Result<HttpRequest> {
        self.check_who()?;
        request::query(&self.config, self.who.as_ref(), query, rule_params)
    }

    /// The checked `POST /admin/transact` request for this handle.
    pub fn transact_request<J: JsonView>(&self, steps: &J) -> Result<HttpRequest> {
        self.check_who()?;
        request::transact(&self.config, self.who.as_ref(), steps)
    }

    /// Applies the steps of `chunks` as one transaction.
    pub async fn transact(&self, chunks: impl IntoIterator<Item = TxChunk>) -> Result<TransactResponse> {
        let json = self.transact_steps(&steps_of(chunks), &CallOptions::default()).await?;
        host::decode(json)
    }

    /// Applies raw steps (`[[action, namespace, id, args, opts?], ...]`); returns the host's JSON.
    pub async fn transact_steps(&self, steps: &Value, opts: &CallOptions) -> Result<Json> {
        self.check_steps(&steps)?;
        self.call(self.transact_request(&steps)?, opts).await
    }

    /// The error for a non-200 answer, with our credentials scrubbed from what the server echoed.
    pub(crate) fn failure(&self, answer: &HttpResponse, request: &HttpRequest) -> Error {
        let text = answer.body_text();
        let parsed = crate::parse::parse(text).ok().map(|node| crate::json::to_value(&node));
        self.scrub(response::failure(answer.status, parsed, text), request)
    }

    /// `error` with our credentials and the request's secret scrubbed from what the server echoed.
    pub(crate) fn scrub(&self, mut error: Error, request: &HttpRequest) -> Error {
        if let Some(secret) = &request.secret {
            response::redact(&mut error, secret);
        }
        if let Some(token) = &self.config.admin_token {
            response::redact(&mut error, token.expose());
        }
        if let Some(Impersonation::Token(token)) = &self.who {
            response::redact(&mut error, token);
        }
        error
    }

    fn check_who(&self) -> Result<()> {
        self.who.as_ref().map_or(Ok(()), request::check_impersonation)
    }

    /// Sends with the timeout, cancellation and retry rules (see [`attempts`]).
    pub(crate) async fn call(&self, mut request: HttpRequest, opts: &CallOptions) -> Result<Json> {
        opts.headers.iter().try_for_each(|(name, value)| request::check_header(name, value))?;
        request::add_headers(&mut request, &opts.headers)?;
        let attempts = Attempts::new(&self.config, opts, self.transport.now_ms());
        attempts.run(self, &self.transport, &request, opts.signal.as_ref()).await
    }
}
