//! Running expanded ops against the (copied) app: lookups, type and uniqueness checks, links,
//! deep merges, cascading deletes, then null back-fill and required attributes (spec §6.5–§6.7).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{json, Value};
use uuid::Uuid;

use super::{Eid, Mode, Op, Written};
use crate::error::{ApiError, ApiResult};
use crate::store::{ref_target, App, Attr};
use crate::values;

fn etype_of(app: &App, attr: Uuid) -> String {
    app.attrs.get(attr).map(|a| a.forward.etype.clone()).unwrap_or_default()
}

/// The entity an eid names right now, without creating anything.
fn resolve(app: &App, eid: &Eid) -> Option<Uuid> {
    match eid {
        Eid::Id(id) => Some(*id),
        Eid::Lookup { attr, value } => app.find_unique(app.attrs.get(*attr)?, value),
    }
}

/// `validate-mode`, against the state before the transaction: `create` over existing entities
/// and `update` with `upsert: false` over missing ones fail.
pub fn validate_modes(app: &App, ops: &[Op]) -> ApiResult<()> {
    let mut existing = Vec::new();
    let mut missing = Vec::new();
    for op in ops {
        let (eid, attr, mode) = match op {
            Op::AddTriple { eid, attr, mode, .. } | Op::DeepMerge { eid, attr, mode, .. } => (eid, *attr, *mode),
            _ => continue,
        };
        if matches!(mode, Mode::Upsert | Mode::LinkTarget) {
            continue;
        }
        let etype = etype_of(app, attr);
        let exists = resolve(app, eid).is_some_and(|e| entity_in(app, &etype, e));
        match mode {
            Mode::Create if exists => existing.push(eid.shown()),
            Mode::Update if !exists => missing.push(eid.shown()),
            _ => {}
        }
    }
    if !existing.is_empty() {
        return Err(ApiError::validation_msg("tx-step", json!(existing), format!("Creating entities that exist: {}", existing.join(", "))));
    }
    if !missing.is_empty() {
        return Err(ApiError::validation_msg(
            "tx-step",
            json!(missing),
            format!("Updating entities that don't exist: {}", missing.join(", ")),
        ));
    }
    Ok(())
}

/// Whether `entity` has any triple of a namespace attribute.
fn entity_in(app: &App, etype: &str, entity: Uuid) -> bool {
    app.triples.attrs_of(entity).any(|(attr, _)| app.attrs.get(attr).is_some_and(|a| a.forward.etype == etype && !a.is_ref()))
}

/// One transaction in progress.
pub struct Run<'a> {
    app: &'a mut App,
    now: i64,
    /// `(etype, entity)` written by this transaction, for the required check.
    touched: BTreeSet<(String, Uuid)>,
    /// `(etype, entity)` whose `id` this transaction wrote first, for the null back-fill.
    created: BTreeSet<(String, Uuid)>,
}

fn nul_bytes(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(nul_bytes),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || nul_bytes(v)),
        _ => false,
    }
}

impl<'a> Run<'a> {
    pub fn new(app: &'a mut App, now: i64) -> Self {
        Run { app, now, touched: BTreeSet::new(), created: BTreeSet::new() }
    }

    fn attr(&self, id: Uuid) -> ApiResult<Attr> {
        self.app.attrs.get(id).cloned().ok_or_else(|| ApiError::record_not_found("attr", json!({"args": [id.to_string()]})))
    }

    /// Resolves a source eid, creating a lookup's entity when nothing matches (spec §6.2).
    fn source(&mut self, eid: &Eid) -> ApiResult<Uuid> {
        if let Some(found) = resolve(self.app, eid) {
            return Ok(found);
        }
        let Eid::Lookup { attr, value } = eid else { return Ok(Uuid::nil()) };
        let attr = self.attr(*attr)?;
        let entity = if attr.forward.label == "id" { ref_target(value).unwrap_or_else(Uuid::new_v4) } else { Uuid::new_v4() };
        self.write(entity, &attr, value.clone())?;
        Ok(entity)
    }

    /// A link target must exist already when named by a lookup (spec §6.3).
    fn target(&self, eid: &Eid) -> ApiResult<Uuid> {
        if let Some(found) = resolve(self.app, eid) {
            return Ok(found);
        }
        let Eid::Lookup { attr, value } = eid else { return Ok(Uuid::nil()) };
        let attr = self.attr(*attr)?;
        Err(ApiError::validation_msg(
            "lookup",
            json!({"attribute-id": attr.id.to_string(), "namespace": attr.forward.etype,
                   "label": attr.forward.label, "value": value}),
            "The entity for the lookup does not exist.",
        ))
    }

    /// Writes one triple with the checks the database makes.
    fn write(&mut self, entity: Uuid, attr: &Attr, value: Value) -> ApiResult<()> {
        if nul_bytes(&value) {
            return Err(ApiError::bad_request(
                "validation-failed",
                "A value in the transaction contains null bytes, which cannot be stored.",
                Value::Null,
            ));
        }
        super::attrs::check_stored_size(attr, entity, &value)?;
        if attr.is_ref() {
            let Some(target) = ref_target(&value) else {
                return Err(ApiError::bad_request(
                    "validation-failed",
                    "Linked value must be a valid uuid.",
                    json!({"namespace": attr.forward.etype, "attribute": attr.forward.label, "value": value,
                           "checked-data-type": null, "attr-id": attr.id.to_string(), "entity-id": entity.to_string()}),
                ));
            };
            if attr.unique && self.app.triples.sources(attr.id, target).any(|s| s != entity) {
                return Err(not_unique(attr, &value, "Record not unique: triple".to_owned()));
            }
        } else {
            if let Some(data_type) = attr.checked_type {
                if !values::fits_type(&value, data_type) {
                    return Err(ApiError::bad_request(
                        "validation-failed",
                        format!(
                            "Invalid value type for {}. Value must be a {} but the provided value type is {}.",
                            attr.ident_name(),
                            data_type.name(),
                            values::type_name(&value)
                        ),
                        json!({"namespace": attr.forward.etype, "attribute": attr.forward.label, "value": value,
                               "checked-data-type": data_type.name(), "attr-id": attr.id.to_string(),
                               "entity-id": entity.to_string()}),
                    ));
                }
            }
            if attr.unique && !value.is_null() && self.app.find_unique(attr, &value).is_some_and(|e| e != entity) {
                let message = format!(
                    "`{label}` is a unique attribute on `{etype}` and an entity already exists with `{etype}.{label}` = {value}",
                    label = attr.forward.label,
                    etype = attr.forward.etype,
                );
                return Err(not_unique(attr, &value, message));
            }
        }
        let etype = attr.forward.etype.clone();
        if attr.forward.label == "id" && !self.app.triples.has(entity, attr.id) {
            self.created.insert((etype.clone(), entity));
        }
        self.touched.insert((etype, entity));
        self.app.attrs.note_written(attr.id, &value);
        self.app.triples.add(entity, attr, value, self.now);
        Ok(())
    }

    /// Runs one op.
    pub fn op(&mut self, op: &Op) -> ApiResult<()> {
        match op {
            Op::AddTriple { eid, attr, value, mode } => {
                let attr = self.attr(*attr)?;
                let entity = if *mode == Mode::LinkTarget { self.target(eid)? } else { self.source(eid)? };
                let value = match value {
                    Written::OwnId => json!(entity.to_string()),
                    Written::Json(v) => v.clone(),
                    Written::Link(target) => json!(self.target(target)?.to_string()),
                };
                self.write(entity, &attr, value)
            }
            Op::DeepMerge { eid, attr, value, .. } => {
                let attr = self.attr(*attr)?;
                if attr.is_ref() {
                    return Err(ApiError::bad_request(
                        "sql-raise",
                        "Raised Exception: merge operation is not supported for links",
                        Value::Null,
                    ));
                }
                let entity = self.source(eid)?;
                let current = self.app.triples.value(entity, attr.id).map(|s| s.value.clone());
                let merged = match current {
                    Some(current) => values::deep_merge(&current, value),
                    None => values::deep_merge(&Value::Null, value),
                };
                self.write(entity, &attr, merged)
            }
            Op::Retract { eid, attr, value } => {
                let attr = self.attr(*attr)?;
                let (Some(entity), Some(target)) = (resolve(self.app, eid), resolve(self.app, value)) else {
                    return Ok(());
                };
                self.app.triples.retract(entity, &attr, &json!(target.to_string()));
                Ok(())
            }
            Op::DeleteEntity { eid, etype } => {
                if let Some(entity) = resolve(self.app, eid) {
                    self.delete(etype, entity);
                }
                Ok(())
            }
            Op::DeleteAttr { attr } => {
                if let Some(attr) = self.app.attrs.get(*attr).cloned().filter(|a| !a.system) {
                    self.app.triples.remove_attr(&attr);
                    self.app.attrs.soft_delete(attr.id, self.now);
                }
                Ok(())
            }
            Op::RuleParams { .. } => Ok(()),
        }
    }

    /// Deletes an entity from a namespace, its inbound links, and whatever cascades (spec §6.5).
    fn delete(&mut self, etype: &str, entity: Uuid) {
        let mut doomed: BTreeSet<(String, Uuid)> = BTreeSet::new();
        let mut queue = VecDeque::from([(etype.to_owned(), entity)]);
        while let Some((etype, entity)) = queue.pop_front() {
            if !doomed.insert((etype.clone(), entity)) {
                continue;
            }
            for attr in self.app.attrs.iter().filter(|a| a.is_ref()) {
                let target_etype = attr.target_etype().unwrap_or_default();
                if attr.on_delete_cascade && target_etype == etype {
                    for source in self.app.triples.sources(attr.id, entity) {
                        queue.push_back((attr.forward.etype.clone(), source));
                    }
                }
                if attr.on_delete_reverse_cascade && attr.forward.etype == etype {
                    for stored in self.app.triples.values(entity, attr.id) {
                        if let Some(target) = ref_target(&stored.value) {
                            queue.push_back((target_etype.to_owned(), target));
                        }
                    }
                }
            }
        }
        for (etype, entity) in doomed {
            let attrs: Vec<Attr> =
                self.app.attrs.iter().filter(|a| a.forward.etype == etype || a.target_etype() == Some(etype.as_str())).cloned().collect();
            for attr in attrs {
                if attr.forward.etype == etype {
                    self.app.triples.remove_all(entity, &attr);
                }
                if attr.is_ref() && attr.target_etype() == Some(etype.as_str()) {
                    let sources: Vec<Uuid> = self.app.triples.sources(attr.id, entity).collect();
                    for source in sources {
                        self.app.triples.retract(source, &attr, &json!(entity.to_string()));
                    }
                }
            }
            self.created.remove(&(etype.clone(), entity));
        }
    }

    /// Back-fills `null` for unwritten indexed attributes of new entities, then checks
    /// required attributes of every entity the transaction wrote.
    pub fn finish(self) -> ApiResult<()> {
        for (etype, entity) in &self.created {
            crate::schema::backfill_entity_nulls(self.app, etype, *entity, self.now);
        }
        let mut missing: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for (etype, entity) in &self.touched {
            if !entity_in(self.app, etype, *entity) {
                continue;
            }
            for attr in self.app.attrs.of_etype(etype).filter(|a| a.required) {
                let present = self.app.triples.values(*entity, attr.id).iter().any(|s| !s.value.is_null());
                if !present {
                    missing.entry((etype.clone(), attr.forward.label.clone())).or_default().push(entity.to_string());
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let mut records = Vec::new();
        let messages: Vec<String> = missing
            .into_iter()
            .map(|((etype, label), entities)| {
                for entity in &entities {
                    records.push(json!({"etype": etype, "label": label, "entity_id": entity}));
                }
                if entities.len() == 1 {
                    format!("Missing required attribute `{etype}/{label}`: {}", entities[0])
                } else {
                    format!("Missing required attributes `{etype}/{label}`: {}", entities.join(", "))
                }
            })
            .collect();
        Err(ApiError::bad_request("validation-failed", messages.join(". "), json!({"records": records})))
    }
}

fn not_unique(attr: &Attr, value: &Value, message: String) -> ApiError {
    ApiError::bad_request(
        "record-not-unique",
        message,
        json!({"record-type": "triple", "attr-id": attr.id.to_string(), "etype": attr.forward.etype,
               "label": attr.forward.label, "value": value}),
    )
}
