//! `debugQuery` and `debugTransact` in Rust: [`Instant::debug_query`] and
//! [`Instant::debug_transact`], over the request builders of [`crate::request::perms_check`].
//! They answer the permission checks a query or transaction runs as the handle's user; the
//! server refuses them (400) on a handle without [`Instant::as_user`].

use crate::prelude::*;
use serde::de::DeserializeOwned;

use super::{CallOptions, Instant};
use crate::error::Result;
use crate::host::{self, Json, Transport};
use crate::http::HttpRequest;
use crate::json::JsonView;
pub use crate::models::{CheckBindings, CheckProgram, QueryCheckResult, QueryPermsCheck, TransactCheckResult, TransactPermsCheck};
pub use crate::request::perms_check::CheckOptions;
use crate::request::perms_check::{query_perms_check, rules, transact_perms_check};
use crate::tx::{steps_of, TxChunk};
use crate::Value;

/// What a permission check runs with: the JS options `{ rules, ip, origin, cardinalityInference }`.
/// Rule params of a query go in [`CallOptions::rule_params`], as for [`Instant::query_with`].
///
/// ```
/// use instant_edge::{value, DebugOptions};
/// let opts = DebugOptions::default()
///     .rules(value!({ "goals": { "allow": { "view": "auth.id != null" } } }))
///     .ip("203.0.113.7")
///     .origin("https://example.com");
/// assert_eq!(opts.ip.as_deref(), Some("203.0.113.7"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct DebugOptions {
    /// A whole rules document used instead of the app's stored rules.
    pub rules: Option<Value>,
    /// `request.ip` as the rules see it.
    pub ip: Option<String>,
    /// `request.origin` as the rules see it.
    pub origin: Option<String>,
    /// `inference?` for [`Instant::debug_query`] (singular links as objects); default: the
    /// client's [`crate::InstantBuilder::schema`] flag.
    pub cardinality_inference: Option<bool>,
    /// [`Instant::debug_transact`] keeps the transaction when every check passes (the official
    /// client's private `__dangerouslyCommit`); by default it is always rolled back.
    pub dangerously_commit: Option<bool>,
}

impl DebugOptions {
    /// Checks against these rules instead of the app's.
    pub fn rules(mut self, rules: impl Into<Value>) -> DebugOptions {
        self.rules = Some(rules.into());
        self
    }

    /// Sets `request.ip`.
    pub fn ip(mut self, ip: impl Into<String>) -> DebugOptions {
        self.ip = Some(ip.into());
        self
    }

    /// Sets `request.origin`.
    pub fn origin(mut self, origin: impl Into<String>) -> DebugOptions {
        self.origin = Some(origin.into());
        self
    }

    /// Sets `inference?` for queries.
    pub fn cardinality_inference(mut self, inference: bool) -> DebugOptions {
        self.cardinality_inference = Some(inference);
        self
    }

    /// Commits a checked transaction whose checks all pass.
    pub fn dangerously_commit(mut self, commit: bool) -> DebugOptions {
        self.dangerously_commit = Some(commit);
        self
    }

    /// As the request builders take them; rules that are not an object are an invalid
    /// argument.
    pub fn checks(&self) -> Result<CheckOptions> {
        Ok(CheckOptions {
            rules: self.rules.as_ref().map(|value| rules(&value)).transpose()?,
            ip: self.ip.clone(),
            origin: self.origin.clone(),
            inference: self.cardinality_inference,
            commit: self.dangerously_commit,
        })
    }
}

impl<T: Transport> Instant<T> {
    /// Runs a query as this handle's user and answers every permission check with the result
    /// (`debugQuery`). Needs [`Instant::as_user`] and the admin token.
    ///
    /// ```no_run
    /// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
    /// use instant_edge::{value, DebugOptions, Impersonation, Value};
    /// let opts = DebugOptions::default().rules(value!({ "goals": { "allow": { "view": "auth.id != null" } } }));
    /// let checked = db.as_user(Impersonation::Guest).debug_query::<Value>(&value!({ "goals": {} }), &opts).await?;
    /// for check in &checked.check_results {
    ///     println!("{} {}: {:?}", check.entity, check.id, check.check);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn debug_query<R: DeserializeOwned>(&self, query: &Value, opts: &DebugOptions) -> Result<QueryPermsCheck<R>> {
        self.debug_query_with(query, opts, &CallOptions::default()).await
    }

    /// [`Instant::debug_query`] with call options (timeout, signal, rule params).
    pub async fn debug_query_with<R: DeserializeOwned>(
        &self,
        query: &Value,
        opts: &DebugOptions,
        call: &CallOptions,
    ) -> Result<QueryPermsCheck<R>> {
        let request = self.debug_query_request(&query, call.rule_params.as_ref().as_ref(), opts.checks()?)?;
        host::decode(self.call(request, call).await?)
    }

    /// The checked `POST /admin/query_perms_check` request for this handle.
    pub fn debug_query_request<J: JsonView>(&self, query: &J, rule_params: Option<&J>, checks: CheckOptions) -> Result<HttpRequest> {
        self.check_query(query)?;
        self.check_who()?;
        query_perms_check(&self.config, self.who.as_ref(), query, rule_params, checks)
    }

    /// Runs the steps of `chunks` as this handle's user, rolled back (unless
    /// [`DebugOptions::dangerously_commit`]), and answers every permission check
    /// (`debugTransact`). Needs [`Instant::as_user`] and the admin token.
    ///
    /// ```no_run
    /// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
    /// use instant_edge::{id, tx, value, DebugOptions, Impersonation};
    /// let opts = DebugOptions::default().rules(value!({ "goals": { "allow": { "create": "auth.id != null" } } }));
    /// let checked = db.as_user(Impersonation::Guest).debug_transact([tx("goals", id()).update(value!({ "title": "Get fit" }))], &opts).await?;
    /// assert!(!checked.committed);
    /// # Ok(()) }
    /// ```
    pub async fn debug_transact(&self, chunks: impl IntoIterator<Item = TxChunk>, opts: &DebugOptions) -> Result<TransactPermsCheck> {
        host::decode(self.debug_transact_steps(&steps_of(chunks), opts, &CallOptions::default()).await?)
    }

    /// [`Instant::debug_transact`] of raw steps, with call options; returns the host's JSON
    /// (what the JS `debugTransact` resolves).
    pub async fn debug_transact_steps(&self, steps: &Value, opts: &DebugOptions, call: &CallOptions) -> Result<Json> {
        self.call(self.debug_transact_request(&steps, opts.checks()?)?, call).await
    }

    /// The checked `POST /admin/transact_perms_check` request for this handle.
    pub fn debug_transact_request<J: JsonView>(&self, steps: &J, checks: CheckOptions) -> Result<HttpRequest> {
        self.check_steps(steps)?;
        self.check_who()?;
        transact_perms_check(&self.config, self.who.as_ref(), steps, checks)
    }
}
