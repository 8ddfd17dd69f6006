//! Validating a rules document before it is stored or used as an override (`validation-errors`
//! in the real server's `rule.clj`): binds, reserved namespaces, `$users.allow.delete`, every
//! `allow` rule and `fields` rule compiled with its action's variables.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{declared_vars, id_field_message, normalize_bind, patch_code, with_binds};
use crate::cel;
use crate::error::ApiError;

/// Namespaces starting with `$` that accept rules.
const RULED_SYSTEM_NAMESPACES: [&str; 5] = ["$users", "$files", "$default", "$streams", "$rateLimits"];

/// Every problem with `document`, each `{"message", "in"}` as the server reports them; empty
/// when the document is valid.
pub fn validation_errors(document: &Value) -> Vec<Value> {
    let Some(namespaces) = document.as_object() else {
        return vec![json!({"message": "The rules must be a JSON object", "in": []})];
    };
    let mut errors = Vec::new();
    for (etype, rules) in namespaces {
        bind_errors(etype, rules, &mut errors);
    }
    for etype in namespaces.keys().filter(|k| *k != "$rateLimits") {
        for action in ["view", "create", "update", "delete"] {
            if etype == "$users" {
                users_errors(document, action, &mut errors);
                continue;
            }
            if etype.starts_with('$') && !RULED_SYSTEM_NAMESPACES.contains(&etype.as_str()) {
                errors.push(json!({
                    "message": format!("The {etype} namespace is a reserved internal namespace that does not yet support rules."),
                    "in": [etype, "allow", action],
                }));
                continue;
            }
            expr_errors(document, etype, action, &[etype, "allow", action], &mut errors);
        }
    }
    for (etype, rules) in namespaces {
        let Some(fields) = rules.get("fields").and_then(Value::as_object) else { continue };
        for field in fields.keys() {
            if field == "id" {
                errors.push(json!({"in": [etype, "fields"], "message": id_field_message(etype)}));
                continue;
            }
            expr_errors(document, etype, "view", &[etype, "fields", field], &mut errors);
        }
    }
    if let Some(limits) = document.get("$rateLimits") {
        if !limits.is_null() && !limits.is_object() {
            errors.push(json!({"message": "$rateLimits must be an object", "in": ["$rateLimits"]}));
        }
    }
    errors
}

/// 400 `validation-failed` with data type `rule` (`assert-valid! :rule`), or `Ok` when valid.
pub fn validate(document: &Value) -> Result<(), ApiError> {
    let errors = validation_errors(document);
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation("rule", document.clone(), errors))
}

fn bind_errors(etype: &str, rules: &Value, errors: &mut Vec<Value>) {
    let bind = normalize_bind(rules.get("bind").unwrap_or(&Value::Null));
    if bind.len() % 2 != 0 {
        errors.push(json!({"message": "bind should have an even number of elements", "in": [etype, "bind"]}));
        return;
    }
    let mut seen = BTreeSet::new();
    for pair in bind.chunks(2) {
        let name = pair[0].as_str().map(str::to_owned).unwrap_or_else(|| pair[0].to_string());
        if !seen.insert(name.clone()) {
            errors.push(json!({"message": "bind should only contain a given variable name once", "in": [etype, "bind", name]}));
            return;
        }
    }
}

fn users_errors(document: &Value, action: &str, errors: &mut Vec<Value>) {
    if action != "delete" {
        return;
    }
    let rule = document.get("$users").and_then(|u| u.get("allow")).and_then(|a| a.get("delete"));
    if rule.is_some_and(|r| !r.is_null() && r != "false") {
        errors.push(json!({
            "message": "The $users namespace doesn't support permissions for delete. Set `$users.allow.delete` to `\"false\"`.",
            "in": ["$users", "allow", "delete"],
        }));
    }
}

fn expr_errors(document: &Value, etype: &str, action: &str, path: &[&str], errors: &mut Vec<Value>) {
    let Some(rule) = path.iter().try_fold(document, |value, key| value.get(key)).filter(|v| !v.is_null()) else {
        return;
    };
    let Some(expr) = patch_code(rule) else {
        errors.push(json!({"message": "There was an unexpected error evaluating the rules", "in": path}));
        return;
    };
    let compiled = with_binds(document, etype, &expr).and_then(|code| cel::compile(&code, declared_vars(action)).map_err(|e| e.messages()));
    if let Err(messages) = compiled {
        errors.extend(messages.into_iter().map(|message| json!({"message": message, "in": path})));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(document: Value) -> Vec<String> {
        validation_errors(&document).iter().map(|e| format!("{} @ {}", e["message"].as_str().unwrap(), e["in"])).collect()
    }

    #[test]
    fn valid_documents_have_no_errors() {
        let document = json!({
            "$default": {"bind": ["signedIn", "auth.id != null"]},
            "todos": {"allow": {"view": "signedIn", "create": true, "update": "auth.id in data.ref('owner.id')", "delete": false},
                      "fields": {"secret": "auth.id == data.ownerId"}},
            "$users": {"allow": {"delete": "false", "view": "auth.id == data.id"}},
            "$files": {"allow": {"view": "true"}},
            "attrs": {"allow": {"create": "false"}},
            "$rateLimits": {}
        });
        assert_eq!(messages(document), Vec::<String>::new());
    }

    #[test]
    fn each_problem_is_reported_where_it_is() {
        let found = messages(json!({
            "$users": {"allow": {"delete": "true"}},
            "$magicCodes": {"allow": {"view": "true"}},
            "todos": {"allow": {"view": "newData.x == 1", "update": 7}, "fields": {"id": "false"}, "bind": ["a", "1", "a", "2"]},
            "$rateLimits": []
        }));
        let has = |needle: &str| found.iter().any(|m| m.contains(needle));
        assert!(has("doesn't support permissions for delete"), "{found:?}");
        assert!(has("reserved internal namespace that does not yet support rules. @ [\"$magicCodes\",\"allow\",\"view\"]"), "{found:?}");
        assert!(has("newData") && has("[\"todos\",\"allow\",\"view\"]"), "{found:?}");
        assert!(has("There was an unexpected error evaluating the rules @ [\"todos\",\"allow\",\"update\"]"), "{found:?}");
        assert!(has("You cannot set field rules for `id`"), "{found:?}");
        assert!(has("bind should only contain a given variable name once @ [\"todos\",\"bind\",\"a\"]"), "{found:?}");
        assert!(has("$rateLimits must be an object"), "{found:?}");
        assert_eq!(found.iter().filter(|m| m.contains("$magicCodes")).count(), 4, "one per action, as the server does");
    }
}
