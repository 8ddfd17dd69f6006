//! Permission rules, as much of them as the emulator needs (spec §9.2, §9.4).
//!
//! The real server compiles each rule to CEL. The emulator has no CEL engine, so it evaluates
//! only the forms that do not look at the data: JSON booleans, `"true"`, `"false"`,
//! `"auth.id != null"` and `"auth.id == null"`. Any other rule fails the way a rule that throws
//! does on the server (400 `permission-evaluation-failed`), so a test never passes by accident
//! on a rule the emulator did not understand.
//!
//! Only `$files` is routed through the rules document today (storage routes, `$files` queries,
//! `$files` deletes in transactions); every other namespace keeps the built-in defaults of §9.4.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::store::App;

/// The rule that governs `action` on `etype`: the first of `<etype>.allow.<action>`,
/// `<etype>.allow.$default`, `$default.allow.<action>`, `$default.allow.$default` that is set.
/// A JSON `null` counts as unset, as in `get-program!`.
pub fn find<'a>(rules: &'a Value, etype: &str, action: &str) -> Option<&'a Value> {
    [(etype, action), (etype, "$default"), ("$default", action), ("$default", "$default")]
        .into_iter()
        .find_map(|(ns, act)| rules.get(ns)?.get("allow")?.get(act).filter(|rule| !rule.is_null()))
}

/// What applies when no rule is set (`fallback-program`): app namespaces are open, `$files` and
/// the other system namespaces closed. (`$users` depends on the row; its default lives in the
/// query and transaction engines.)
fn fallback(etype: &str) -> bool {
    !etype.starts_with('$')
}

/// Whether `caller` may do `action` on `etype`. Admins skip rules (spec §9.1).
pub fn allows(app: &App, etype: &str, action: &str, caller: &Caller) -> ApiResult<bool> {
    if caller.admin {
        return Ok(true);
    }
    match find(&app.rules, etype, action) {
        Some(rule) => evaluate(rule, etype, action, caller.user),
        None => Ok(fallback(etype)),
    }
}

/// Evaluates one rule for the caller `auth` (the impersonated user; `None` for guests).
pub fn evaluate(rule: &Value, etype: &str, action: &str, auth: Option<Uuid>) -> ApiResult<bool> {
    let code = match rule {
        // `patch-code`: a JSON boolean is the rule of that name.
        Value::Bool(pass) => return Ok(*pass),
        Value::String(code) => code.trim(),
        _ => return Err(evaluation_failed(etype, action)),
    };
    match code {
        "true" => return Ok(true),
        "false" => return Ok(false),
        _ => {}
    }
    for (operator, signed_in) in [("!=", true), ("==", false)] {
        let Some((left, right)) = code.split_once(operator) else { continue };
        let sides = (left.trim(), right.trim());
        if sides == ("auth.id", "null") || sides == ("null", "auth.id") {
            return Ok(auth.is_some() == signed_in);
        }
    }
    Err(evaluation_failed(etype, action))
}

/// 400 `permission-evaluation-failed` in the shape `throw-permission-evaluation-failed!` gives
/// the admin routes (spec §9.1): the CEL error text is replaced by "You may have a typo". The
/// emulator has no CEL error code to report, so `error.type` is CEL's catch-all
/// `INTERNAL_ERROR`.
pub fn evaluation_failed(etype: &str, action: &str) -> ApiError {
    let cause = "You may have a typo";
    let message = format!(
        "Could not evaluate permission rule for `{etype}.{action}`. {cause}. Debug this in the sandbox and then update your permission rules."
    );
    ApiError::bad_request(
        "permission-evaluation-failed",
        message.clone(),
        json!({"rule": [etype, action], "error": {"type": "INTERNAL_ERROR", "message": message, "hint": cause}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order_follows_get_program() {
        // spec §9.2: <ns>.allow.<action> → <ns>.allow.$default → $default.allow.<action> → $default.allow.$default
        let rules = json!({
            "$files": {"allow": {"view": "a", "$default": "b", "create": null}},
            "$default": {"allow": {"delete": "c", "$default": "d"}}
        });
        assert_eq!(find(&rules, "$files", "view"), Some(&json!("a")));
        assert_eq!(find(&rules, "$files", "create"), Some(&json!("b")), "null is unset");
        assert_eq!(find(&rules, "goals", "delete"), Some(&json!("c")));
        assert_eq!(find(&rules, "goals", "update"), Some(&json!("d")));
        assert_eq!(find(&json!({}), "$files", "view"), None);
    }

    #[test]
    fn evaluates_the_supported_forms() {
        // spec §9.4
        let user = Some(Uuid::nil());
        let pass = |rule: Value, auth| evaluate(&rule, "$files", "view", auth).unwrap();
        assert!(pass(json!(true), None) && !pass(json!(false), user));
        assert!(pass(json!(" true "), None) && !pass(json!("false"), user));
        assert!(pass(json!("auth.id != null"), user) && !pass(json!("auth.id != null"), None));
        assert!(pass(json!("auth.id==null"), None) && !pass(json!("null == auth.id"), user));
        for unsupported in [json!("auth.email == 'a@b.c'"), json!("data.path.startsWith('a')"), json!(1), json!({})] {
            let error = evaluate(&unsupported, "$files", "view", user).unwrap_err();
            assert_eq!(error.error_type(), Some("permission-evaluation-failed"), "{unsupported}");
        }
    }
}
