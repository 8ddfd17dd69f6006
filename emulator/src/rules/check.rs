//! Evaluating one rule program against one entity (`eval-program!` in the real server): the
//! variables a rule sees, `x.ref(...)` through the store, and the errors a failing rule gives.

use std::cell::RefCell;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::data;
use crate::caller::Caller;
use crate::cel;
use crate::error::{ApiError, ApiResult};
use crate::ruleset::RuleProgram;
use crate::store::App;

/// Who asks and from where: what `auth` and `request` hold for every rule of one request.
#[derive(Clone, Debug)]
pub struct Asker {
    /// The user's id, for `auth.ref(...)`.
    pub user: Option<Uuid>,
    /// `request.time`, ms since the epoch (the emulator's clock).
    pub time_ms: i64,
    /// `request.ip`.
    pub ip: String,
    /// `request.origin`.
    pub origin: String,
    /// The perms-check routes show the real evaluation error instead of "You may have a typo".
    pub show_cel_errors: bool,
    /// `auth`: the impersonated user's `$users` entity (`{}` for guests), converted once per
    /// request.
    auth: cel::Value,
}

impl Asker {
    /// The asker for `caller` of `app` at `time_ms`.
    pub fn new(app: &App, caller: &Caller, time_ms: i64) -> Asker {
        let auth = caller.user.and_then(|user| data::entity_map(app, "$users", user)).map(Value::Object).unwrap_or_else(|| json!({}));
        Asker {
            auth: cel::Value::from_json(&auth),
            user: caller.user,
            time_ms,
            ip: String::new(),
            origin: String::new(),
            show_cel_errors: false,
        }
    }
}

/// The entity-specific variables of one check.
#[derive(Clone, Debug, Default)]
pub struct Bindings {
    /// `data`: the entity as stored (view/update/delete) or as created (create).
    pub data: Option<Value>,
    /// `newData`: the entity after the change (create/update/link/unlink).
    pub new_data: Option<Value>,
    /// `linkedData`: the other side of a link/unlink.
    pub linked_data: Option<Value>,
    /// The namespace of `linkedData`, for `linkedData.ref(...)`.
    pub linked_etype: Option<String>,
    /// `actions` (link rules): what happens to each side.
    pub actions: Option<Value>,
    /// `ruleParams`.
    pub rule_params: Option<Value>,
    /// `request.modifiedFields` (create/update).
    pub modified_fields: Option<Vec<String>>,
}

impl Bindings {
    /// The bindings as the transact perms check reports them (kebab-case, as the server).
    pub fn to_wire(&self) -> Value {
        let mut out = Map::new();
        out.insert("data".into(), self.data.clone().unwrap_or(Value::Null));
        if let Some(new_data) = &self.new_data {
            out.insert("new-data".into(), new_data.clone());
        }
        if let Some(linked) = &self.linked_data {
            out.insert("linked-data".into(), linked.clone());
        }
        if let Some(etype) = &self.linked_etype {
            out.insert("linked-etype".into(), json!(etype));
        }
        if let Some(actions) = &self.actions {
            out.insert("actions".into(), actions.clone());
        }
        out.insert("rule-params".into(), self.rule_params.clone().unwrap_or(Value::Null));
        if let Some(fields) = &self.modified_fields {
            out.insert("modified-fields".into(), json!(fields));
        }
        Value::Object(out)
    }
}

/// Whether a rule's result lets the action through: anything but `null` and `false`, as the
/// server's truthiness check.
pub fn passes(result: &Value) -> bool {
    !matches!(result, Value::Null | Value::Bool(false))
}

/// Runs `program` for `bindings`, reading links (`ref`) from `state`: the store before the
/// write for view/update/delete/link checks, after it for create checks.
pub fn evaluate(asker: &Asker, state: &App, program: &RuleProgram, bindings: &Bindings) -> ApiResult<Value> {
    let env = Env { asker, state, program, bindings, converted: RefCell::default() };
    match program.program().eval(&env) {
        Ok(value) => Ok(value.to_json()),
        Err(error) => Err(evaluation_failed(&program.etype, &program.action, &error.to_string(), asker.show_cel_errors)),
    }
}

struct Env<'a> {
    asker: &'a Asker,
    state: &'a App,
    program: &'a RuleProgram,
    bindings: &'a Bindings,
    /// Variables already converted: a rule may name `data` many times.
    converted: RefCell<Vec<(String, cel::Value)>>,
}

impl Env<'_> {
    fn request(&self) -> cel::Value {
        let mut request = Map::new();
        request.insert("ip".into(), json!(self.asker.ip));
        request.insert("origin".into(), json!(self.asker.origin));
        request.insert("modifiedFields".into(), json!(self.bindings.modified_fields.clone().unwrap_or_default()));
        let mut value = cel::Value::from_json(&Value::Object(request));
        value.insert("time", cel::Value::timestamp_ms(self.asker.time_ms));
        value
    }
}

impl Env<'_> {
    fn convert(&self, name: &str) -> Option<cel::Value> {
        let object = |value: &Option<Value>| cel::Value::from_json(value.as_ref().unwrap_or(&json!({})));
        match name {
            "auth" => Some(self.asker.auth.clone()),
            "data" => Some(object(&self.bindings.data)),
            "ruleParams" => Some(object(&self.bindings.rule_params)),
            "request" => Some(self.request()),
            "rateLimit" => Some(cel::Value::from_json(&json!({}))),
            "newData" => self.bindings.new_data.as_ref().map(cel::Value::from_json),
            "linkedData" => self.bindings.linked_data.as_ref().map(cel::Value::from_json),
            "actions" => self.bindings.actions.as_ref().map(cel::Value::from_json),
            _ => None,
        }
    }
}

impl cel::Env for Env<'_> {
    fn var(&self, name: &str) -> Option<cel::Value> {
        if let Some((_, value)) = self.converted.borrow().iter().find(|(known, _)| known == name) {
            return Some(value.clone());
        }
        let value = self.convert(name)?;
        self.converted.borrow_mut().push((name.to_owned(), value.clone()));
        Some(value)
    }

    fn reference(&self, receiver: &str, path: &str) -> Result<Vec<cel::Value>, cel::EvalError> {
        let id_of =
            |value: &Option<Value>| value.as_ref().and_then(|v| v.get("id")).and_then(Value::as_str).and_then(crate::values::coerce_uuid);
        let (etype, entity, path) = match receiver {
            "data" => (self.program.etype.clone(), id_of(&self.bindings.data), path),
            "linkedData" => (self.bindings.linked_etype.clone().unwrap_or_default(), id_of(&self.bindings.linked_data), path),
            "auth" => ("$users".to_owned(), self.asker.user, path.strip_prefix("$user.").unwrap_or(path)),
            other => return Err(cel::EvalError::new(format!("found no matching overload for 'ref' applied to '{other}'"))),
        };
        let Some(entity) = entity else { return Ok(Vec::new()) };
        let values = data::reference(self.state, &etype, entity, path).map_err(cel::EvalError::new)?;
        Ok(values.iter().map(cel::Value::from_json).collect())
    }
}

/// 400 `permission-evaluation-failed` (`throw-permission-evaluation-failed!`): the admin routes
/// say "You may have a typo"; the perms-check routes show the evaluation error itself.
pub fn evaluation_failed(etype: &str, action: &str, cause: &str, show_cause: bool) -> ApiError {
    let cause = if show_cause && !cause.is_empty() { cause } else { "You may have a typo" };
    let message = format!(
        "Could not evaluate permission rule for `{etype}.{action}`. {cause}. Debug this in the sandbox and then update your permission rules."
    );
    ApiError::bad_request(
        "permission-evaluation-failed",
        message.clone(),
        json!({"rule": [etype, action], "error": {"type": "INTERNAL_ERROR", "message": message, "hint": cause}}),
    )
}

/// 400 `permission-denied` for a failed check (`assert-permitted! :perms-pass?`).
pub fn denied(etype: &str, scope: &str) -> ApiError {
    ApiError::bad_request(
        "permission-denied",
        "Permission denied: not perms-pass?",
        json!({"input": [etype, scope], "expected": "perms-pass?"}),
    )
}
