use crate::prelude::*;
use crate::Value;
use serde::{Deserialize, Serialize};

/// The rule a check ran (spec §3.4, §3.5): the server's `program` without its compiled parts.
/// Every field is absent (`{}`) when no rule applies and the check passed by default.
///
/// ```
/// use instant_edge::models::CheckProgram;
/// let program: CheckProgram = serde_json::from_str(r#"{"etype":"goals","action":"view","code":"true","display-code":"true"}"#).unwrap();
/// assert_eq!(program.display_code.as_deref(), Some("true"));
/// assert_eq!(serde_json::from_str::<CheckProgram>("{}").unwrap(), CheckProgram::default());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckProgram {
    /// The namespace whose rule it is (`"attrs"` for attribute checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etype: Option<String>,
    /// `view`, `create`, `update`, `delete`, `link`, `unlink`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The CEL expression evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The expression as written in the rules (before `bind`s are expanded).
    #[serde(rename = "display-code", default, skip_serializing_if = "Option::is_none")]
    pub display_code: Option<String>,
}

/// One check of a `POST /admin/query_perms_check` (spec §3.4): per entity the query touched,
/// and per field for `fields` rules.
///
/// ```
/// use instant_edge::models::QueryCheckResult;
/// let check: QueryCheckResult = serde_json::from_str(
///     r#"{"id":"e1","entity":"goals","label":null,"record":{"id":"e1"},"program":{},"check":true}"#,
/// ).unwrap();
/// assert_eq!((check.entity.as_str(), check.check.clone()), ("goals", true.into()));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryCheckResult {
    /// The entity's id.
    pub id: String,
    /// Its namespace.
    pub entity: String,
    /// The field a `fields` rule checked; `None` for the entity's `view` rule.
    #[serde(default)]
    pub label: Option<String>,
    /// The entity as the rule saw it.
    #[serde(default)]
    pub record: Value,
    /// The rule that ran (empty when none applies).
    #[serde(default)]
    pub program: CheckProgram,
    /// The rule's raw result (usually a boolean; `true` when no rule applies).
    #[serde(default)]
    pub check: Value,
}

/// The answer to `POST /admin/query_perms_check` (spec §3.4): the result as the impersonated
/// user sees it (decoded into `R`), and every check that decided it. `rule-wheres` (internal)
/// and other unknown fields are ignored.
///
/// ```
/// use instant_edge::{models::QueryPermsCheck, Value};
/// let answer: QueryPermsCheck = serde_json::from_str(r#"{"result":{"goals":[]},"check-results":[],"rule-wheres":null}"#).unwrap();
/// assert!(answer.check_results.is_empty());
/// assert_eq!(answer.result.get("goals"), Some(&Value::Array(vec![])));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryPermsCheck<R = Value> {
    /// The query's result, filtered by the rules as for the impersonated user.
    pub result: R,
    /// One entry per (namespace, entity) the query touched, plus one per checked field.
    #[serde(rename = "check-results", default = "Vec::new")]
    pub check_results: Vec<QueryCheckResult>,
}

/// What a transaction check's rule was given (spec §3.5): `data`, `newData`, `ruleParams` and
/// `request.modifiedFields` in CEL.
///
/// ```
/// use instant_edge::models::CheckBindings;
/// let bindings: CheckBindings = serde_json::from_str(r#"{"data":{"title":"old"},"modified-fields":["title"]}"#).unwrap();
/// assert_eq!(bindings.modified_fields, Some(vec!["title".to_owned()]));
/// assert!(bindings.new_data.is_null());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckBindings {
    /// The entity before the transaction (`null` when created).
    #[serde(default)]
    pub data: Value,
    /// The entity after it (absent for deletes and attribute checks: `null`).
    #[serde(rename = "new-data", default)]
    pub new_data: Value,
    /// The transaction's rule params.
    #[serde(rename = "rule-params", default)]
    pub rule_params: Value,
    /// The fields an update changes.
    #[serde(rename = "modified-fields", default)]
    pub modified_fields: Option<Vec<String>>,
}

/// One check of a `POST /admin/transact_perms_check` (spec §3.5).
///
/// ```
/// use instant_edge::models::TransactCheckResult;
/// let check: TransactCheckResult = serde_json::from_str(
///     r#"{"scope":"attr","action":"create","etype":"attrs","program":{},"check-result":true,"check-pass?":true}"#,
/// ).unwrap();
/// assert!(check.check_pass && check.eid.is_none() && check.bindings.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactCheckResult {
    /// `object` (an entity's rule) or `attr` (an attribute's: `etype` is `"attrs"`).
    pub scope: String,
    /// `create`, `update`, `delete`, `view`, `link`, `unlink` (objects) or `create`, `update`,
    /// `delete`, `restore` (attributes).
    pub action: String,
    /// The namespace checked.
    pub etype: String,
    /// The entity's id; `None` for attribute checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    /// The rule that ran (empty when none applies).
    #[serde(default)]
    pub program: CheckProgram,
    /// What the rule was given; `None` when nothing was (some attribute checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<CheckBindings>,
    /// The rule's raw result.
    #[serde(rename = "check-result", default)]
    pub check_result: Value,
    /// Whether the check passed (the raw result's truthiness).
    #[serde(rename = "check-pass?", default)]
    pub check_pass: bool,
}

/// The answer to `POST /admin/transact_perms_check` (spec §3.5). The JS `debugTransact`
/// resolves the server's object as is (kebab-case keys), as `@instantdb/admin` does.
///
/// ```
/// use instant_edge::models::TransactPermsCheck;
/// let answer: TransactPermsCheck =
///     serde_json::from_str(r#"{"tx-id":987,"all-checks-ok?":false,"committed?":false,"check-results":[]}"#).unwrap();
/// assert_eq!((answer.tx_id, answer.all_checks_ok, answer.committed), (987, false, false));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactPermsCheck {
    /// The transaction's id, also for a dry run (whose transaction was rolled back).
    #[serde(rename = "tx-id")]
    pub tx_id: u64,
    /// Whether every check passed.
    #[serde(rename = "all-checks-ok?", default)]
    pub all_checks_ok: bool,
    /// Whether the transaction was kept (only when asked to commit and every check passed).
    #[serde(rename = "committed?", default)]
    pub committed: bool,
    /// Every check the transaction ran, before and after its writes.
    #[serde(rename = "check-results", default)]
    pub check_results: Vec<TransactCheckResult>,
}
