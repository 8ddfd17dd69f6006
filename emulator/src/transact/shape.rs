//! The step spec (spec §6.1–§6.2): what `->tx-steps!` rejects before anything else, with the
//! server's two error forms — the friendly invalid-entity-id message, else spec-style entries.

use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};

const EID_ACTIONS: [&str; 7] = ["create", "update", "merge", "link", "unlink", "delete", "ruleParams"];

/// A canonical UUID string (what Clojure's `parse-uuid` accepts).
pub fn uuid_string(value: &Value) -> Option<uuid::Uuid> {
    let text = value.as_str()?;
    if text.len() != 36 {
        return None;
    }
    uuid::Uuid::parse_str(text).ok()
}

/// `lookup__<attr>__<json>`.
pub fn is_lookup_string(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.starts_with("lookup__"))
}

/// `::lookup`: a UUID, a lookup string, a `[attr, value]` pair or an object.
fn valid_lookup(value: &Value) -> bool {
    match value {
        Value::String(_) => uuid_string(value).is_some() || is_lookup_string(value),
        Value::Array(items) => items.len() == 2 && items[0].is_string(),
        Value::Object(_) => true,
        _ => false,
    }
}

/// The friendly check that runs when the spec fails (`check-for-invalid-entity-ids!`).
fn invalid_eid(value: &Value) -> bool {
    !(uuid_string(value).is_some() || is_lookup_string(value) || value.is_array() || value.is_object())
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn problem(expected: &str, path: &[usize]) -> Value {
    json!({"expected": expected, "in": path})
}

/// The first spec problem of step `index`, if any.
fn step_problem(index: usize, step: &Value) -> Option<Value> {
    let Some(items) = step.as_array() else {
        return Some(problem("sequential?", &[index]));
    };
    let Some(action) = items.first().and_then(Value::as_str) else {
        return Some(problem("supported-action?", &[index, 0]));
    };
    let at = |i: usize| items.get(i);
    let check = |i: usize, ok: bool, expected: &str| (!ok).then(|| problem(expected, &[index, i]));
    let etype_and_eid =
        || check(1, at(1).is_some_and(Value::is_string), "string?").or_else(|| check(2, at(2).is_some_and(valid_lookup), "lookup?"));
    let extra = |max: usize| (items.len() > max).then(|| problem("Extra input", &[index]));
    match action {
        "create" | "ruleParams" => etype_and_eid().or_else(|| check(3, at(3).is_some_and(Value::is_object), "map?")).or_else(|| extra(4)),
        "update" | "merge" => etype_and_eid()
            .or_else(|| check(3, at(3).is_some_and(Value::is_object), "map?"))
            .or_else(|| {
                let opts_ok = match at(4) {
                    None | Some(Value::Null) => true,
                    Some(Value::Object(opts)) => opts.get("upsert").is_none_or(|u| u.is_null() || u.is_boolean()),
                    Some(_) => false,
                };
                check(4, opts_ok, "update-opts?")
            })
            .or_else(|| extra(5)),
        "link" | "unlink" => etype_and_eid()
            .or_else(|| {
                let Some(Value::Object(links)) = at(3) else {
                    return Some(problem("map?", &[index, 3]));
                };
                links.values().find_map(|target| {
                    let ok = valid_lookup(target) || target.as_array().is_some_and(|ts| ts.iter().all(valid_lookup));
                    check(3, ok, "link-value?")
                })
            })
            .or_else(|| extra(4)),
        "delete" => etype_and_eid(),
        "add-attr" | "update-attr" => check(1, at(1).is_some_and(Value::is_object), "map?").or_else(|| extra(2)),
        "delete-attr" => check(1, at(1).is_some_and(|v| uuid_string(v).is_some()), "coercible-uuid?").or_else(|| extra(2)),
        _ => Some(problem("supported-action?", &[index, 0])),
    }
}

/// Validates the shape of every step (`->tx-steps!`).
pub fn validate(steps: &Value) -> ApiResult<&Vec<Value>> {
    let Some(list) = steps.as_array() else {
        return Err(ApiError::validation("steps", steps.clone(), vec![problem("coll?", &[])]));
    };
    let problems: Vec<Value> = list.iter().enumerate().filter_map(|(i, step)| step_problem(i, step)).collect();
    if problems.is_empty() {
        return Ok(list);
    }
    for (index, step) in list.iter().enumerate() {
        let Some(items) = step.as_array() else { continue };
        let eid_action = items.first().and_then(Value::as_str).is_some_and(|a| EID_ACTIONS.contains(&a));
        if eid_action && items.len() >= 3 && invalid_eid(&items[2]) {
            return Err(ApiError::validation(
                "steps",
                steps.clone(),
                vec![json!({
                    "message": format!(
                        "Invalid entity ID '{}'. Entity IDs must be UUIDs or lookup references.",
                        shown(&items[2])
                    ),
                    "in": [index, 2],
                })],
            ));
        }
    }
    Err(ApiError::validation("steps", steps.clone(), problems))
}
