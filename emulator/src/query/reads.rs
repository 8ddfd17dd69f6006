//! Which namespaces a query reads: its top-level namespaces, the targets of its nested link
//! forms and of the links its `where` paths walk. A live query is recomputed only when a write
//! changes one of them (spec §4.2 `refresh-ok`).
//!
//! Links are resolved against the app's attributes as they are now. A link that does not
//! exist yet cannot hide a change: creating it changes both of its namespaces, one of which
//! the query already reads, and the next evaluation reads the new target too.

use std::collections::BTreeSet;

use serde_json::Value;

use super::parse::{self, Cond, Form};
use crate::store::App;

/// The namespaces `query` reads in `app`. A query that does not parse reads only its
/// top-level keys (it has no live result to keep fresh anyway).
pub fn namespaces_read(app: &App, query: &Value) -> BTreeSet<String> {
    let mut map = query.as_object().cloned().unwrap_or_default();
    map.remove("$$ruleParams");
    let mut out: BTreeSet<String> = map.keys().cloned().collect();
    if let Ok(forms) = parse::parse(&map) {
        for form in &forms {
            walk_form(app, &form.key, form, &mut out);
        }
    }
    out
}

/// The namespace reached from `etype` through the link labelled `label`, either direction.
fn link_target(app: &App, etype: &str, label: &str) -> Option<String> {
    if let Some(attr) = app.attrs.fwd(etype, label).filter(|a| a.is_ref()) {
        return attr.target_etype().map(str::to_owned);
    }
    app.attrs.rev(etype, label).map(|attr| attr.forward.etype.clone())
}

fn walk_form(app: &App, etype: &str, form: &Form, out: &mut BTreeSet<String>) {
    out.insert(etype.to_owned());
    walk_conds(app, etype, &form.options.conds, out);
    for child in &form.children {
        if let Some(target) = link_target(app, etype, &child.key) {
            walk_form(app, &target, child, out);
        }
    }
}

fn walk_conds(app: &App, etype: &str, conds: &[Cond], out: &mut BTreeSet<String>) {
    for cond in conds {
        match cond {
            Cond::And(conds) | Cond::Or(conds) => walk_conds(app, etype, conds, out),
            Cond::Path { path, .. } => {
                let mut current = etype.to_owned();
                for label in path {
                    let Some(next) = link_target(app, &current, label) else { break };
                    out.insert(next.clone());
                    current = next;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Access;
    use serde_json::json;
    use uuid::Uuid;

    #[test]
    fn nested_forms_and_where_paths_add_their_link_targets() {
        let mut app = App::new(Uuid::new_v4(), Uuid::new_v4());
        let admin = Access::admin(&app);
        let steps = json!([
            ["link", "goals", "11111111-1111-4111-8111-111111111111", {"todos": "22222222-2222-4222-8222-222222222222"}],
            ["link", "todos", "22222222-2222-4222-8222-222222222222", {"tags": "33333333-3333-4333-8333-333333333333"}],
        ]);
        crate::transact::apply(&mut app, &steps, false, &admin, 1).unwrap();
        let names = |query: Value| namespaces_read(&app, &query).into_iter().collect::<Vec<_>>();
        assert_eq!(names(json!({"goals": {}})), ["goals"]);
        assert_eq!(names(json!({"goals": {"todos": {}}})), ["goals", "todos"]);
        assert_eq!(names(json!({"todos": {"goals": {}}})), ["goals", "todos"], "reverse links too");
        assert_eq!(names(json!({"goals": {"$": {"where": {"todos.tags.name": "x"}}}})), ["goals", "tags", "todos"]);
        assert_eq!(names(json!({"goals": {"$": {"where": {"or": [{"todos.done": true}]}}}})), ["goals", "todos"]);
        assert_eq!(names(json!({"goals": {"nope": {}}, "$users": {}})), ["$users", "goals"]);
        assert_eq!(names(json!({"goals": {"$": {"limit": -1}}})), ["goals"], "unparsable: top level only");
    }
}
