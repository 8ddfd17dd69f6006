//! Steps → internal ops (`to-tx-steps`): resolves labels to attributes and entity ids to
//! [`Eid`]s, with the server's lookup rules (spec §6.2, §6.3).

use serde_json::{json, Value};

use super::attrs::ref_lookup_label;
use super::shape::{is_lookup_string, uuid_string};
use super::{Eid, Mode, Op, Written};
use crate::error::{ApiError, ApiResult};
use crate::store::{App, Attr};

/// The `(attr, value)` pair of a lookup, or `None` for a plain id (`eid->lookup-pair`).
pub fn lookup_pair(eid: &Value) -> ApiResult<Option<(String, Value)>> {
    match eid {
        Value::String(text) if is_lookup_string(eid) => {
            let mut parts = text.split("__").skip(1);
            let attr = parts.next().unwrap_or_default().to_owned();
            let raw: Vec<&str> = parts.collect();
            let raw = raw.join("__");
            match serde_json::from_str::<Value>(&raw) {
                Ok(mut value) => {
                    crate::values::lowercase_uuids(&mut value);
                    Ok(Some((attr, value)))
                }
                Err(_) => Err(ApiError::validation(
                    "lookup",
                    eid.clone(),
                    vec![json!({"message": "lookup value is invalid", "hint": {"attribute": attr, "value": raw}})],
                )),
            }
        }
        Value::Array(items) if items.len() == 2 => Ok(Some((items[0].as_str().unwrap_or_default().to_owned(), items[1].clone()))),
        Value::Object(map) if map.len() == 1 => Ok(map.iter().next().map(|(k, v)| (k.clone(), v.clone()))),
        Value::Object(_) => {
            Err(ApiError::validation_msg("lookup", eid.clone(), "lookup must be an object with a single unique attr and value."))
        }
        _ => Ok(None),
    }
}

/// The targets of one link-map entry: an array's elements, an object's entries (each one
/// lookup), or the single value (spec §6.3).
pub fn link_targets(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Object(map) => map.iter().map(|(k, v)| json!([k, v])).collect(),
        other => vec![other.clone()],
    }
}

/// `extract-lookup`: a plain id, or a lookup on a unique attribute of `etype`.
fn eid_of(app: &App, etype: &str, eid: &Value, index: usize, position: usize) -> ApiResult<Eid> {
    let Some(pair) = lookup_pair(eid)? else {
        return uuid_string(eid).map(Eid::Id).ok_or_else(|| {
            ApiError::validation(
                "tx-steps",
                eid.clone(),
                vec![json!({"message": format!("Invalid entity ID '{}'. Entity IDs must be UUIDs. Use id() or lookup() to generate a valid UUID.", eid.as_str().map(str::to_owned).unwrap_or_else(|| eid.to_string())), "in": [index, 1]})],
            )
        });
    };
    let label = if pair.0.contains('.') && app.attrs.fwd(etype, &pair.0).is_none() { ref_lookup_label(&pair)? } else { pair.0.clone() };
    let attr = app
        .attrs
        .fwd(etype, &label)
        .filter(|a| a.unique)
        .ok_or_else(|| ApiError::validation_msg("lookup", eid.clone(), format!("{} is not a unique attribute on {etype}", pair.0)))?;
    let mut value = pair.1;
    if attr.is_ref() {
        value = uuid_string(&value).map(|u| json!(u.to_string())).unwrap_or(value);
    }
    if attr.forward.label == "id" && uuid_string(&value).is_none() {
        return Err(ApiError::validation(
            "tx-steps",
            eid.clone(),
            vec![json!({
                "message": format!("Invalid lookup '[{} {value}]'. The lookup attribute is '{}', but the lookup value is not a valid UUID.", attr.id, attr.ident_name()),
                "in": [index, position],
            })],
        ));
    }
    Ok(Eid::Lookup { attr: attr.id, value })
}

fn mode_of(opts: Option<&Value>) -> Mode {
    match opts.and_then(|o| o.get("upsert")) {
        Some(Value::Bool(true)) => Mode::Upsert,
        Some(Value::Bool(false)) => Mode::Update,
        _ => Mode::Upsert,
    }
}

fn attr_or_error<'a>(app: &'a App, etype: &str, label: &str) -> ApiResult<&'a Attr> {
    app.attrs.fwd(etype, label).ok_or_else(|| ApiError::record_not_found("attr", json!({"args": [etype, label]})))
}

/// The source `id` write a lookup source gets on link/unlink (`with-id-attr-for-lookup`).
fn id_for_lookup(app: &App, etype: &str, source: &Eid) -> ApiResult<Vec<Op>> {
    if let Eid::Lookup { .. } = source {
        let attr = attr_or_error(app, etype, "id")?;
        return Ok(vec![Op::AddTriple { eid: source.clone(), attr: attr.id, value: Written::OwnId, mode: Mode::Upsert }]);
    }
    Ok(Vec::new())
}

/// Expands one validated step.
pub fn step(app: &App, index: usize, step: &Value) -> ApiResult<Vec<Op>> {
    let items = step.as_array().cloned().unwrap_or_default();
    let action = items.first().and_then(Value::as_str).unwrap_or_default();
    let etype = items.get(1).and_then(Value::as_str).unwrap_or_default();
    let empty = serde_json::Map::new();
    let obj = items.get(3).and_then(Value::as_object).unwrap_or(&empty);
    // `shape::validate` guarantees an eid for the actions that use one; were it missing, it
    // would read as null and be refused as an invalid id instead of panicking.
    let eid = items.get(2).unwrap_or(&Value::Null);
    let expanding = Expanding { app, index, step, etype };
    match action {
        "create" | "update" | "merge" => {
            let mode = if action == "create" { Mode::Create } else { mode_of(items.get(4)) };
            expanding.write_ops(eid, obj, action == "merge", mode)
        }
        "link" | "unlink" => expanding.link_ops(eid, obj, action == "link"),
        "delete" => {
            let eid = eid_of(app, etype, eid, index, 1)?;
            Ok(vec![Op::DeleteEntity { eid, etype: etype.to_owned() }])
        }
        "ruleParams" => {
            let eid = eid_of(app, etype, eid, index, 1)?;
            Ok(vec![Op::RuleParams { eid, etype: etype.to_owned(), params: Value::Object(obj.clone()) }])
        }
        "add-attr" => Ok(Vec::new()),
        "delete-attr" => Ok(items.get(1).and_then(uuid_string).map(|attr| vec![Op::DeleteAttr { attr }]).unwrap_or_default()),
        other => Err(ApiError::validation(
            "action",
            json!(other),
            vec![json!({"message": format!("Unsupported action {other}"), "hint": {"value": other}})],
        )),
    }
}

/// One step being expanded: what resolving its ids and reporting its errors needs.
struct Expanding<'a> {
    app: &'a App,
    index: usize,
    step: &'a Value,
    etype: &'a str,
}

impl Expanding<'_> {
    /// `create`, `update` and `merge`: the entity's own `id` triple, then one op per attribute.
    fn write_ops(&self, eid: &Value, obj: &serde_json::Map<String, Value>, merge: bool, mode: Mode) -> ApiResult<Vec<Op>> {
        let eid = eid_of(self.app, self.etype, eid, self.index, 1)?;
        check_lookup_self_update(self.app, &eid, self.etype, obj)?;
        let id_attr = attr_or_error(self.app, self.etype, "id")?;
        let mut ops = vec![Op::AddTriple { eid: eid.clone(), attr: id_attr.id, value: Written::OwnId, mode }];
        for (label, value) in obj {
            let attr = attr_or_error(self.app, self.etype, label)?;
            ops.push(if merge {
                Op::DeepMerge { eid: eid.clone(), attr: attr.id, value: value.clone(), mode }
            } else if attr.is_ref() {
                let target = uuid_string(value).map(Eid::Id).ok_or_else(|| linked_value_error(attr, value))?;
                Op::AddTriple { eid: eid.clone(), attr: attr.id, value: Written::Link(target), mode }
            } else {
                Op::AddTriple { eid: eid.clone(), attr: attr.id, value: Written::Json(value.clone()), mode }
            });
        }
        Ok(ops)
    }

    /// `link` and `unlink`: one op per target, written on the forward side of the link.
    fn link_ops(&self, source: &Value, obj: &serde_json::Map<String, Value>, link: bool) -> ApiResult<Vec<Op>> {
        let source = eid_of(self.app, self.etype, source, self.index, 1)?;
        let mut ops = id_for_lookup(self.app, self.etype, &source)?;
        for (label, targets) in obj {
            let (attr, forward) = self.link_attr(label)?;
            let other_etype = if forward { attr.target_etype().unwrap_or_default().to_owned() } else { attr.forward.etype.clone() };
            for target in link_targets(targets) {
                let target_eid = eid_of(self.app, &other_etype, &target, self.index, 3)?;
                check_lookup_namespace(self.app, attr, forward, &target_eid, self.step)?;
                let (from, to, mode) =
                    if forward { (source.clone(), target_eid, Mode::Upsert) } else { (target_eid, source.clone(), Mode::LinkTarget) };
                ops.push(if link {
                    Op::AddTriple { eid: from, attr: attr.id, value: Written::Link(to), mode }
                } else {
                    Op::Retract { eid: from, attr: attr.id, value: to }
                });
            }
        }
        Ok(ops)
    }

    /// The link `label` names from this step's namespace, and whether it is its forward side.
    fn link_attr(&self, label: &str) -> ApiResult<(&Attr, bool)> {
        if let Some(attr) = self.app.attrs.fwd(self.etype, label).filter(|a| a.is_ref()) {
            return Ok((attr, true));
        }
        match self.app.attrs.rev(self.etype, label) {
            Some(attr) => Ok((attr, false)),
            None => Err(ApiError::validation_msg("tx-step", self.step.clone(), format!("`{}.{label}` is not a link.", self.etype))),
        }
    }
}

fn linked_value_error(attr: &Attr, value: &Value) -> ApiError {
    ApiError::bad_request(
        "validation-failed",
        "Linked value must be a valid uuid.",
        json!({"namespace": attr.forward.etype, "attribute": attr.forward.label, "value": value,
               "checked-data-type": null, "attr-id": attr.id.to_string(), "entity-id": null}),
    )
}

/// A lookup target must live in the namespace the link points to (`validate-value-lookup-etypes`).
fn check_lookup_namespace(app: &App, attr: &Attr, forward: bool, target: &Eid, step: &Value) -> ApiResult<()> {
    let Eid::Lookup { attr: lookup_attr, .. } = target else { return Ok(()) };
    let expected = if forward { attr.target_etype().unwrap_or_default() } else { attr.forward.etype.as_str() };
    let actual = app.attrs.get(*lookup_attr).map(|a| a.forward.etype.as_str());
    if actual != Some(expected) {
        return Err(ApiError::validation_msg(
            "tx-step",
            step.clone(),
            "Invalid transaction. The namespace in the lookup attribute is different from the namespace of the attribute that is being set",
        ));
    }
    Ok(())
}

/// An update through a lookup may only change the lookup attribute of an existing entity.
fn check_lookup_self_update(app: &App, eid: &Eid, etype: &str, obj: &serde_json::Map<String, Value>) -> ApiResult<()> {
    let Eid::Lookup { attr, value } = eid else { return Ok(()) };
    let Some(lookup_attr) = app.attrs.get(*attr) else { return Ok(()) };
    if lookup_attr.forward.etype != etype {
        return Ok(());
    }
    let Some(new_value) = obj.get(&lookup_attr.forward.label) else { return Ok(()) };
    if crate::values::json_eq(new_value, value) || app.find_unique(lookup_attr, value).is_some() {
        return Ok(());
    }
    Err(ApiError::validation_msg(
        "lookup",
        json!([attr.to_string(), value]),
        "Updates with lookups can only update the lookup attribute if an entity with the unique attribute value already exists.",
    ))
}
