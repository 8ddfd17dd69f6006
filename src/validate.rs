//! Checks made before a request is sent, so bad input fails fast with a typed
//! [`Error::InvalidArgument`] naming the bad part, and nothing reaches the server.

use crate::error::{Error, Result};
use crate::uuid::is_uuid;
use crate::Value;

/// Deeper than this is refused (and a cycle in JS input ends here rather than in a stack overflow).
pub const MAX_DEPTH: usize = 128;

/// An InstaQL query: an object whose every namespace maps to an object; `$` holds options.
///
/// ```
/// use instant_edge::{validate, Value};
/// assert!(validate::query(&Value::object([("goals", Value::empty_object())])).is_ok());
/// assert!(validate::query(&Value::Array(vec![])).is_err());
/// ```
pub fn query(query: &Value) -> Result<()> {
    let Value::Object(entries) = query else {
        return Err(Error::invalid("query", expected("an object like { goals: {} }", query)));
    };
    for (name, form) in entries {
        if name == "$$ruleParams" {
            continue;
        }
        form_at(form, &mut vec![name.as_str()], 1)?;
    }
    Ok(())
}

fn form_at<'a>(form: &'a Value, path: &mut Vec<&'a str>, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid("query", "is nested too deeply"));
    }
    let Value::Object(entries) = form else {
        return Err(Error::invalid(dotted("query", path), expected("an object", form)));
    };
    for (key, value) in entries {
        path.push(key);
        if key == "$" {
            if !value.is_object() {
                return Err(Error::invalid(dotted("query", path), expected("an object of options", value)));
            }
        } else {
            form_at(value, path, depth + 1)?;
        }
        path.pop();
    }
    Ok(())
}

const ACTIONS: [&str; 7] = ["create", "update", "merge", "link", "unlink", "delete", "ruleParams"];

/// Transaction steps as `@instantdb/admin` sends them: `[[action, namespace, id, args, opts?], ...]`.
///
/// ```
/// use instant_edge::{tx, validate, Value, steps_of};
/// let ok = steps_of([tx("goals", "8aa64e4c-64f9-472e-8a61-3fa28870e6cb").update(Value::empty_object())]);
/// assert!(validate::steps(&ok).is_ok());
/// let bad = steps_of([tx("goals", "goal-1").update(Value::empty_object())]);
/// assert!(validate::steps(&bad).unwrap_err().to_string().contains("steps[0][2]"));
/// ```
pub fn steps(steps: &Value) -> Result<()> {
    let Value::Array(list) = steps else {
        return Err(Error::invalid("steps", expected("an array of transaction steps", steps)));
    };
    for (index, step) in list.iter().enumerate() {
        self::step(index, step)?;
    }
    Ok(())
}

fn step(index: usize, step: &Value) -> Result<()> {
    let at = |position: usize| {
        let mut what = String::from("steps[");
        what.push_str(&index.to_string());
        what.push(']');
        if position != usize::MAX {
            what.push('[');
            what.push_str(&position.to_string());
            what.push(']');
        }
        what
    };
    let Value::Array(items) = step else {
        return Err(Error::invalid(at(usize::MAX), expected("an array [action, namespace, id, args]", step)));
    };
    let action = match items.first() {
        Some(Value::String(action)) if ACTIONS.contains(&action.as_str()) => action.as_str(),
        Some(Value::String(action)) => {
            let mut message = String::from("unknown action `");
            message.push_str(action);
            message.push_str("`; expected one of create, update, merge, link, unlink, delete, ruleParams");
            return Err(Error::invalid(at(0), message));
        }
        other => return Err(Error::invalid(at(0), expected("an action name", other.unwrap_or(&Value::Null)))),
    };
    match items.get(1) {
        Some(Value::String(etype)) if !etype.is_empty() => {}
        other => return Err(Error::invalid(at(1), expected("a namespace name", other.unwrap_or(&Value::Null)))),
    }
    entity(items.get(2).unwrap_or(&Value::Null)).map_err(|message| Error::invalid(at(2), message))?;
    let args = items.get(3).unwrap_or(&Value::Null);
    match action {
        "delete" => {}
        _ if !args.is_object() => return Err(Error::invalid(at(3), expected("an object", args))),
        "link" | "unlink" => {
            for (label, targets) in args.as_object().unwrap_or_default() {
                link_targets(targets).map_err(|message| {
                    let mut what = at(3);
                    what.push('.');
                    what.push_str(label);
                    Error::invalid(what, message)
                })?;
            }
        }
        _ => {}
    }
    if let Some(opts) = items.get(4) {
        if !(opts.is_null() || opts.is_object()) || !matches!(action, "update" | "merge") {
            return Err(Error::invalid(at(4), expected("update options like { upsert: false }", opts)));
        }
        if opts.get("upsert").is_some_and(|u| !matches!(u, Value::Bool(_) | Value::Null)) {
            return Err(Error::invalid(at(4), "upsert must be true or false"));
        }
    }
    if items.len() > 5 {
        return Err(Error::invalid(at(usize::MAX), "has more than 5 elements"));
    }
    Ok(())
}

/// A step's entity: a UUID, an `[attribute, value]` lookup pair, or a `lookup__…` string.
fn entity(eid: &Value) -> std::result::Result<(), String> {
    match eid {
        Value::String(id) if is_uuid(id) || id.starts_with("lookup__") => Ok(()),
        Value::Array(pair) if pair.len() == 2 && matches!(pair[0], Value::String(_)) => Ok(()),
        Value::String(id) => {
            let mut message = String::from("`");
            message.push_str(id);
            message.push_str("` is not a UUID; use id() for new entities or lookup() for unique attributes");
            Err(message)
        }
        other => Err(expected("a UUID or lookup(attribute, value)", other)),
    }
}

/// Link targets: a UUID or lookup string, an array of them, or a `{attribute: value}` lookup.
fn link_targets(targets: &Value) -> std::result::Result<(), String> {
    let one = |target: &Value| match target {
        Value::String(id) if is_uuid(id) || id.starts_with("lookup__") => Ok(()),
        Value::String(id) => {
            let mut message = String::from("links to `");
            message.push_str(id);
            message.push_str("`, which is not an entity id (a UUID or lookup)");
            Err(message)
        }
        other => Err(expected("a UUID or lookup", other)),
    };
    match targets {
        Value::Array(items) => items.iter().try_for_each(one),
        Value::Object(_) => Ok(()),
        other => one(other),
    }
}

fn expected(what: &str, got: &Value) -> String {
    let mut message = String::from("expected ");
    message.push_str(what);
    message.push_str(", got ");
    message.push_str(got.kind());
    message
}

fn dotted(root: &str, path: &[&str]) -> String {
    let mut what = String::from(root);
    for part in path {
        what.push('.');
        what.push_str(part);
    }
    what
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(json: serde_json::Value) -> Value {
        serde_json::from_value(json).unwrap()
    }
    const ID: &str = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";

    #[test]
    fn queries() {
        assert!(query(&v(json!({"goals": {"$": {"where": {"a": 1}}, "todos": {}}, "$$ruleParams": {"k": 1}}))).is_ok());
        let cases = [
            (json!([]), "invalid query: expected an object"),
            (json!("goals"), "invalid query: expected an object"),
            (json!({"goals": 1}), "invalid query.goals: expected an object, got a number"),
            (json!({"goals": {"todos": []}}), "invalid query.goals.todos: expected an object, got an array"),
            (json!({"goals": {"$": 5}}), "invalid query.goals.$: expected an object of options"),
        ];
        for (q, want) in cases {
            let err = query(&v(q)).unwrap_err();
            assert!(err.to_string().starts_with(want), "{err}");
        }
    }

    #[test]
    fn steps_accepted() {
        let ok = json!([
            ["update", "goals", ID, {"title": "x"}],
            ["update", "goals", ID, {"title": "x"}, {"upsert": false}],
            ["link", "goals", ["slug", "a"], {"todos": [ID, "lookup__slug__\"a\""], "owner": {"email": "a@b.c"}}],
            ["delete", "goals", ID],
            ["delete", "goals", ID, null],
            ["ruleParams", "goals", ID, {"k": 1}],
        ]);
        steps(&v(ok)).unwrap();
    }

    #[test]
    fn steps_rejected_naming_the_part() {
        let cases = [
            (json!({}), "invalid steps: expected an array"),
            (json!([5]), "invalid steps[0]: expected an array"),
            (json!([["upsert", "goals", ID, {}]]), "invalid steps[0][0]: unknown action `upsert`"),
            (json!([["update", "", ID, {}]]), "invalid steps[0][1]"),
            (json!([["update", "goals", "goal-1", {}]]), "invalid steps[0][2]: `goal-1` is not a UUID"),
            (json!([["update", "goals", 5, {}]]), "invalid steps[0][2]: expected a UUID"),
            (json!([["update", "goals", ID, "x"]]), "invalid steps[0][3]: expected an object, got a string"),
            (json!([["link", "goals", ID, {"todos": "todo-1"}]]), "invalid steps[0][3].todos: links to `todo-1`"),
            (json!([["link", "goals", ID, {"todos": [ID, 7]}]]), "invalid steps[0][3].todos: expected a UUID or lookup"),
            (json!([["update", "goals", ID, {}, {"upsert": "no"}]]), "invalid steps[0][4]: upsert must be"),
            (json!([["link", "goals", ID, {}, {}]]), "invalid steps[0][4]"),
        ];
        for (s, want) in cases {
            let err = steps(&v(s)).unwrap_err();
            assert!(err.to_string().starts_with(want), "{err} / {want}");
        }
    }
}
