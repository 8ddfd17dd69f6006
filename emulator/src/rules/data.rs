//! What rules see of the store: an entity as the `data` map (`entity-map` in the real server:
//! every cardinality-one attribute of the namespace, links as target ids) and the values a
//! `data.ref("link.path.attr")` reaches through links.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::store::{ref_target, App};

/// `entity` as rules see it in `etype`; `None` when it has nothing in that namespace.
pub fn entity_map(app: &App, etype: &str, entity: Uuid) -> Option<Map<String, Value>> {
    let mut map = Map::new();
    for attr in app.attrs.of_etype(etype).filter(|a| a.cardinality_one) {
        if let Some(stored) = app.triples.value(entity, attr.id) {
            map.insert(attr.forward.label.clone(), stored.value.clone());
        }
    }
    let has_value = map.keys().any(|label| app.attrs.fwd(etype, label).is_some_and(|a| !a.is_ref()));
    has_value.then_some(map)
}

/// The values `path` reaches from `entity` of `etype`: each segment but the last follows a link
/// (either direction), the last names an attribute (a link's last segment gives target ids).
pub fn reference(app: &App, etype: &str, entity: Uuid, path: &str) -> Result<Vec<Value>, String> {
    let segments: Vec<&str> = path.split('.').collect();
    let Some((value_label, links)) = segments.split_last() else { return Ok(Vec::new()) };
    let mut current: BTreeSet<Uuid> = BTreeSet::from([entity]);
    let mut current_etype = etype.to_owned();
    for label in links {
        let (next, next_etype) = follow(app, &current_etype, &current, label).ok_or_else(|| no_link(&current_etype, label))?;
        current = next;
        current_etype = next_etype;
    }
    if let Some(attr) = app.attrs.fwd(&current_etype, value_label).filter(|a| !a.is_ref()) {
        let mut values = Vec::new();
        for entity in &current {
            values.extend(app.triples.values(*entity, attr.id).iter().map(|s| s.value.clone()));
        }
        return Ok(values);
    }
    let (targets, _) = follow(app, &current_etype, &current, value_label).ok_or_else(|| no_attr(&current_etype, value_label))?;
    Ok(targets.into_iter().map(|id| Value::String(id.to_string())).collect())
}

/// The entities linked from `sources` (of `etype`) through `label`, and their namespace.
fn follow(app: &App, etype: &str, sources: &BTreeSet<Uuid>, label: &str) -> Option<(BTreeSet<Uuid>, String)> {
    if let Some(attr) = app.attrs.fwd(etype, label).filter(|a| a.is_ref()) {
        let targets = sources.iter().flat_map(|e| app.triples.values(*e, attr.id).iter().filter_map(|s| ref_target(&s.value))).collect();
        return Some((targets, attr.target_etype().unwrap_or_default().to_owned()));
    }
    let attr = app.attrs.rev(etype, label)?;
    let targets = sources.iter().flat_map(|e| app.triples.sources(attr.id, *e).collect::<Vec<_>>()).collect();
    Some((targets, attr.forward.etype.clone()))
}

fn no_link(etype: &str, label: &str) -> String {
    format!("There is no link `{label}` on `{etype}` to follow in data.ref.")
}

fn no_attr(etype: &str, label: &str) -> String {
    format!("There is no attribute `{label}` on `{etype}` for data.ref.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Access;
    use serde_json::json;

    #[test]
    fn maps_and_refs_follow_links_both_ways() {
        let mut app = App::new(Uuid::new_v4(), Uuid::new_v4());
        let (todo, owner) = (Uuid::new_v4(), Uuid::new_v4());
        let steps = json!([
            ["update", "owners", owner.to_string(), {"name": "Ada"}],
            ["update", "todos", todo.to_string(), {"title": "Ship"}],
            ["link", "todos", todo.to_string(), {"owners": owner.to_string()}]
        ]);
        let admin = Access::admin(&app);
        crate::transact::apply(&mut app, &steps, false, &admin, 1).unwrap();
        let map = entity_map(&app, "todos", todo).unwrap();
        assert_eq!(map.get("title"), Some(&json!("Ship")));
        assert_eq!(reference(&app, "todos", todo, "owners.name").unwrap(), vec![json!("Ada")]);
        assert_eq!(reference(&app, "todos", todo, "owners.id").unwrap(), vec![json!(owner.to_string())]);
        assert_eq!(reference(&app, "owners", owner, "todos.title").unwrap(), vec![json!("Ship")]);
        assert!(reference(&app, "todos", todo, "nothing.id").is_err());
        assert_eq!(entity_map(&app, "todos", owner), None);
    }
}
