//! Checks made before a request is sent, so bad input fails fast with a typed
//! [`Error::InvalidArgument`] naming the bad part, and nothing reaches the server.

use crate::error::{Error, Result};
use crate::json::{JsonView, Kind};
use crate::prelude::*;
use crate::uuid::is_uuid;

/// Query nesting deeper than this is refused: no real query comes near it.
pub const MAX_DEPTH: usize = 128;

/// An InstaQL query: an object whose every namespace maps to an object; `$` holds options.
///
/// ```
/// use instant_edge::{validate, value, Value};
/// assert!(validate::query(&&value!({ "goals": {} })).is_ok());
/// assert!(validate::query(&&Value::Array(vec![])).is_err());
/// ```
pub fn query<J: JsonView>(query: &J) -> Result<()> {
    if query.kind() != Kind::Object {
        return Err(Error::invalid("query", expected("an object like { goals: {} }", query)));
    }
    for (name, form) in query.entries() {
        if name == "$$ruleParams" {
            continue;
        }
        form_at(&form, &mut vec![name], 1)?;
    }
    Ok(())
}

fn form_at<J: JsonView>(form: &J, path: &mut Vec<String>, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid("query", "is nested too deeply (more than 128 levels)"));
    }
    if form.kind() != Kind::Object {
        return Err(Error::invalid(dotted("query", path), expected("an object", form)));
    }
    for (key, value) in form.entries() {
        let is_options = key == "$";
        path.push(key);
        if !is_options {
            form_at(&value, path, depth + 1)?;
        } else if value.kind() != Kind::Object {
            return Err(Error::invalid(dotted("query", path), expected("an object of options", &value)));
        }
        path.pop();
    }
    Ok(())
}

const ACTIONS: [&str; 7] = ["create", "update", "merge", "link", "unlink", "delete", "ruleParams"];

/// Transaction steps: `[[action, namespace, entity id, args, opts?], ...]`. The values inside
/// `args` are the caller's data and are not looked into, except link targets.
///
/// ```
/// use instant_edge::{validate, value};
/// let id = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
/// assert!(validate::steps(&&value!([["update", "goals", id, { "title": "Run" }]])).is_ok());
/// assert!(validate::steps(&&value!([["update", "goals", "goal-1", {}]])).is_err());
/// ```
pub fn steps<J: JsonView>(steps: &J) -> Result<()> {
    if steps.kind() != Kind::Array {
        return Err(Error::invalid("steps", expected("an array of transaction steps", steps)));
    }
    for (index, step) in steps.items().iter().enumerate() {
        self::step(index, step)?;
    }
    Ok(())
}

/// `steps[i]` or `steps[i][j]`.
fn at(index: usize, position: Option<usize>) -> String {
    let mut what = String::from("steps[");
    crate::value::push_number(&mut what, index as u64);
    what.push(']');
    if let Some(position) = position {
        what.push('[');
        crate::value::push_number(&mut what, position as u64);
        what.push(']');
    }
    what
}

fn step<J: JsonView>(index: usize, step: &J) -> Result<()> {
    if step.kind() != Kind::Array {
        return Err(Error::invalid(at(index, None), expected("an array [action, namespace, id, args]", step)));
    }
    let items = step.items();
    let part = |position: usize| items.get(position);
    let action = match part(0).map(|action| (action.text(), action)) {
        Some((Some(action), _)) if ACTIONS.contains(&&*action) => action,
        Some((Some(action), _)) => {
            let mut message = String::from("unknown action `");
            message.push_str(&action);
            message.push_str("`; expected one of create, update, merge, link, unlink, delete, ruleParams");
            return Err(Error::invalid(at(index, Some(0)), message));
        }
        other => return Err(Error::invalid(at(index, Some(0)), expected_part("an action name", other.map(|(_, j)| j)))),
    };
    if part(1).and_then(JsonView::text).is_none_or(|namespace| namespace.is_empty()) {
        return Err(Error::invalid(at(index, Some(1)), expected_part("a namespace name", part(1))));
    }
    entity(part(2)).map_err(|message| Error::invalid(at(index, Some(2)), message))?;
    let args_kind = part(3).map_or(Kind::Null, JsonView::kind);
    match &*action {
        "delete" => {}
        _ if args_kind != Kind::Object => return Err(Error::invalid(at(index, Some(3)), expected_part("an object", part(3)))),
        "link" | "unlink" => {
            for (label, targets) in part(3).map(JsonView::entries).unwrap_or_default() {
                link_targets(&targets).map_err(|message| {
                    let mut what = at(index, Some(3));
                    what.push('.');
                    what.push_str(&label);
                    Error::invalid(what, message)
                })?;
            }
        }
        _ => {}
    }
    if let Some(opts) = part(4) {
        let kind = opts.kind();
        if !matches!(kind, Kind::Null | Kind::Object) || !matches!(&*action, "update" | "merge") {
            return Err(Error::invalid(at(index, Some(4)), expected("update options like { upsert: false }", opts)));
        }
        if opts.field("upsert").is_some_and(|upsert| !matches!(upsert.kind(), Kind::Bool | Kind::Null)) {
            return Err(Error::invalid(at(index, Some(4)), "upsert must be true or false"));
        }
    }
    if items.len() > 5 {
        return Err(Error::invalid(at(index, None), "has more than 5 elements"));
    }
    Ok(())
}

fn entity<J: JsonView>(eid: Option<&J>) -> core::result::Result<(), String> {
    let Some(eid) = eid else { return Err(expected_part::<J>("a UUID or lookup(attribute, value)", None)) };
    match (eid.kind(), eid.text()) {
        (_, Some(id)) if is_uuid(&id) || id.starts_with("lookup__") => Ok(()),
        (_, Some(id)) => {
            let mut message = String::from("`");
            message.push_str(&id);
            message.push_str("` is not a UUID; use id() for new entities or lookup() for unique attributes");
            Err(message)
        }
        (Kind::Array, _) => {
            let pair = eid.items();
            match pair.first() {
                Some(attribute) if pair.len() == 2 && attribute.kind() == Kind::String => Ok(()),
                _ => Err(expected("a UUID or lookup(attribute, value)", eid)),
            }
        }
        _ => Err(expected("a UUID or lookup(attribute, value)", eid)),
    }
}

fn link_targets<J: JsonView>(targets: &J) -> core::result::Result<(), String> {
    let one = |target: &J| match target.text() {
        Some(id) if is_uuid(&id) || id.starts_with("lookup__") => Ok(()),
        Some(id) => {
            let mut message = String::from("links to `");
            message.push_str(&id);
            message.push_str("`, which is not an entity id (a UUID or lookup)");
            Err(message)
        }
        None => Err(expected("a UUID or lookup", target)),
    };
    match targets.kind() {
        Kind::Array => targets.items().iter().try_for_each(one),
        Kind::Object => Ok(()),
        _ => one(targets),
    }
}

fn expected<J: JsonView>(what: &str, got: &J) -> String {
    expected_part(what, Some(got))
}

fn expected_part<J: JsonView>(what: &str, got: Option<&J>) -> String {
    let mut message = String::from("expected ");
    message.push_str(what);
    message.push_str(", got ");
    message.push_str(got.map_or("nothing", |got| got.kind().name()));
    message
}

fn dotted(root: &str, path: &[String]) -> String {
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

    fn v(json: serde_json::Value) -> crate::Value {
        serde_json::from_value(json).unwrap()
    }
    const ID: &str = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";

    #[test]
    fn queries() {
        assert!(query(&&v(json!({"goals": {"$": {"where": {"a": 1}}, "todos": {}}, "$$ruleParams": {"k": 1}}))).is_ok());
        let cases = [
            (json!([]), "invalid query: expected an object"),
            (json!("goals"), "invalid query: expected an object"),
            (json!({"goals": 1}), "invalid query.goals: expected an object, got a number"),
            (json!({"goals": {"todos": []}}), "invalid query.goals.todos: expected an object, got an array"),
            (json!({"goals": {"$": 5}}), "invalid query.goals.$: expected an object of options"),
        ];
        for (q, want) in cases {
            let err = query(&&v(q)).unwrap_err();
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
        steps(&&v(ok)).unwrap();
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
            let err = steps(&&v(s)).unwrap_err();
            assert!(err.to_string().starts_with(want), "{err} / {want}");
        }
    }
}
