//! Permission rules (spec §9): the app's rules document, validated and compiled to CEL
//! programs once per document, evaluated for impersonated callers by the query engine, the
//! transaction engine, storage and live queries. Admins skip rules (spec §9.1).
//!
//! - [`crate::ruleset`] (a layer below the store): which rule governs an action (lookup order,
//!   binds, system fallbacks), compiled and cached per document; validation of documents.
//! - [`data`]: what rules see of the store (`data`, `x.ref(...)`).
//! - [`check`]: one evaluation: variables, truthiness, the errors a rule gives.

pub mod check;
pub mod data;

use std::sync::Arc;

use serde_json::Value;

pub use crate::ruleset::{RuleProgram, Rules};
pub use check::{denied, evaluation_failed, passes, Asker, Bindings};

use crate::caller::Caller;
use crate::error::ApiResult;
use crate::store::App;

/// Everything the permission checks of one request need: who asks, under which rules, and what
/// `auth` and `request` hold.
///
/// ```
/// use instant_emulator::{caller::Caller, rules::Access, store::App};
/// let app = App::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// let guest = Access::new(&app, &Caller::guest(app.id), 0);
/// assert!(!guest.is_admin());
/// ```
#[derive(Clone, Debug)]
pub struct Access {
    /// Who asks.
    pub caller: Caller,
    /// The rules in force: the app's, or a perms check's override.
    pub rules: Arc<Rules>,
    /// `auth`, `request` and how errors are shown.
    pub asker: Asker,
}

impl Access {
    /// `caller` under `app`'s rules at `now_ms` (`request.time`).
    pub fn new(app: &App, caller: &Caller, now_ms: i64) -> Access {
        Access { caller: caller.clone(), rules: app.rules.clone(), asker: Asker::new(app, caller, now_ms) }
    }

    /// The app's admin: no rule is evaluated.
    pub fn admin(app: &App) -> Access {
        Access::new(app, &Caller::admin(app.id), 0)
    }

    /// The same caller under other rules (the perms-check routes' `rules-override`).
    pub fn with_rules(mut self, rules: Arc<Rules>) -> Access {
        self.rules = rules;
        self
    }

    /// `request.ip` and `request.origin`.
    pub fn with_request(mut self, ip: Option<String>, origin: Option<String>) -> Access {
        self.asker.ip = ip.unwrap_or_default();
        self.asker.origin = origin.unwrap_or_default();
        self
    }

    /// Evaluation errors carry the CEL error text (the perms-check routes).
    pub fn showing_errors(mut self) -> Access {
        self.asker.show_cel_errors = true;
        self
    }

    /// Whether rules are skipped.
    pub fn is_admin(&self) -> bool {
        self.caller.admin
    }

    /// The raw result of `program` for `bindings` (links read from `state`); `true` when no
    /// program applies.
    pub fn evaluate(&self, state: &App, program: Option<&RuleProgram>, bindings: &Bindings) -> ApiResult<Value> {
        match program {
            Some(program) => check::evaluate(&self.asker, state, program, bindings),
            None => Ok(Value::Bool(true)),
        }
    }

    /// Whether `action` on `$files` is allowed for a file at `path` (`assert-storage-permission!`:
    /// the rule sees `data.path` only).
    pub fn storage_allows(&self, app: &App, action: &str, path: &str) -> ApiResult<bool> {
        if self.is_admin() {
            return Ok(true);
        }
        let program = self.rules.program("$files", action)?;
        let bindings = Bindings { data: Some(serde_json::json!({ "path": path })), ..Bindings::default() };
        Ok(program.is_some() && passes(&self.evaluate(app, program.as_deref(), &bindings)?))
    }
}
