//! Attribute auto-creation (spec §6.4, `create-missing-attrs`) and explicit `add-attr` steps,
//! with the checks the server makes of every new attribute whoever asks (reserved names,
//! required `$` attributes, taken names and ids); and the size cap on indexed values that the
//! server's `triples` table enforces on every write (spec §6.7).

use serde_json::{json, Value};
use uuid::Uuid;

use super::expand::{link_targets, lookup_pair};
use crate::error::{ApiError, ApiResult};
use crate::store::system_catalog::{name_problem, REQUIRED_SYSTEM_ATTR};
use crate::store::{App, Attr, Attrs, DataType, Ident, InferredTypes, ValueType};
use crate::values::jsonb;

/// Collects attributes the steps need but the app lacks, in the server's order: lookups
/// first, then object keys.
pub fn create_missing(app: &App, steps: &[Value]) -> ApiResult<Vec<Attr>> {
    let mut pending = Pending { attrs: app.attrs.clone(), created: Vec::new() };
    for step in steps.iter().filter_map(parts) {
        pending.for_step_lookups(&step)?;
    }
    for step in steps.iter().filter_map(parts) {
        pending.for_step_keys(&step);
    }
    Ok(pending.created)
}

/// `validate-system-ident-names!` for the attributes [`create_missing`] would create: run once
/// the transaction is known to create them (after `throw-on-missing-attrs?`, which refuses
/// them all first).
pub fn check_new_names(created: &[Attr]) -> ApiResult<()> {
    for attr in created {
        check_names(attr, &created_wire(attr))?;
    }
    Ok(())
}

/// A step `[action, etype, eid?, obj?]` read without judging it: malformed steps are the
/// applier's to reject, with the server's error.
#[derive(Clone, Copy)]
struct StepParts<'a> {
    action: &'a str,
    etype: &'a str,
    eid: Option<&'a Value>,
    obj: Option<&'a serde_json::Map<String, Value>>,
}

fn parts(step: &Value) -> Option<StepParts<'_>> {
    let items = step.as_array()?;
    let action = items.first()?.as_str()?;
    let etype = items.get(1)?.as_str()?;
    Some(StepParts { action, etype, eid: items.get(2), obj: items.get(3).and_then(Value::as_object) })
}

/// `validate-system-ident-names!`: neither side of `attr` may take a system column's name or
/// start a new `$` namespace. `input` is the attribute as the hint echoes it.
fn check_names(attr: &Attr, input: &Value) -> ApiResult<()> {
    for ident in std::iter::once(&attr.forward).chain(&attr.reverse) {
        if let Some(problem) = name_problem(&ident.etype, &ident.label) {
            return Err(ApiError::validation_msg("attributes", input.clone(), problem));
        }
    }
    Ok(())
}

/// An attribute created for a transaction as the server builds it (`create-object-attr`,
/// `create-ref-attr`), for error hints.
fn created_wire(attr: &Attr) -> Value {
    let ident = |i: &Ident| json!([i.id.to_string(), i.etype, i.label]);
    let mut wire = serde_json::Map::new();
    wire.insert("id".into(), json!(attr.id.to_string()));
    wire.insert("forward-identity".into(), ident(&attr.forward));
    if let Some(reverse) = &attr.reverse {
        wire.insert("reverse-identity".into(), ident(reverse));
    }
    wire.insert("value-type".into(), json!(if attr.is_ref() { "ref" } else { "blob" }));
    wire.insert("cardinality".into(), json!(if attr.cardinality_one { "one" } else { "many" }));
    wire.insert("unique?".into(), json!(attr.unique));
    wire.insert("index?".into(), json!(attr.indexed));
    Value::Object(wire)
}

/// The `indexed_values_are_constrained` check of the server's `triples` table: a value of an
/// indexed, unique or link attribute may take at most 1,024 bytes as `jsonb`
/// ([`jsonb::size`]). Postgres runs it before the type and link checks (check constraints go by
/// name); the server maps the failure to `validation-failed`, quoting the failing row's value,
/// cut to 64 bytes, and its `checked_data_type` column as printed (`"null"` when untyped)
/// (`translate-and-throw-psql-exception!`).
pub(super) fn check_stored_size(attr: &Attr, entity: Uuid, value: &Value) -> ApiResult<()> {
    if !(attr.unique || attr.indexed || attr.is_ref()) || jsonb::size(value) <= jsonb::MAX_INDEXED_BYTES {
        return Ok(());
    }
    let message = if attr.unique { "Value is too large for a unique attribute." } else { "Value is too large for an indexed attribute." };
    Err(ApiError::bad_request(
        "validation-failed",
        message,
        json!({
            "namespace": attr.forward.etype,
            "attribute": attr.forward.label,
            "value": jsonb::detail_excerpt(value),
            "checked-data-type": attr.checked_type.map_or("null", DataType::name),
            "attr-id": attr.id.to_string(),
            "entity-id": entity.to_string(),
            "value-too-large?": true,
        }),
    ))
}

struct Pending {
    attrs: Attrs,
    created: Vec<Attr>,
}

impl Pending {
    /// The unique attributes the step's lookups name: its own eid's and, for `link`, its
    /// targets'.
    fn for_step_lookups(&mut self, step: &StepParts) -> ApiResult<()> {
        let StepParts { action, etype, eid, obj } = *step;
        if !matches!(action, "link" | "unlink" | "create" | "update" | "merge" | "delete") {
            return Ok(());
        }
        if let Some(pair) = eid.map(lookup_pair).transpose()?.flatten() {
            self.for_lookup(&pair, etype)?;
        }
        if action != "link" {
            return Ok(());
        }
        for (label, target) in obj.into_iter().flatten() {
            for target in link_targets(target) {
                if let Some(pair) = lookup_pair(&target)? {
                    self.for_ref_lookup(label, etype);
                    self.for_link_lookup(&pair, label, etype)?;
                }
            }
        }
        Ok(())
    }

    /// The namespace's `id`, then one attribute per key of the step's object: a blob for a
    /// write, a link for `link`/`unlink`.
    fn for_step_keys(&mut self, step: &StepParts) {
        let StepParts { action, etype, obj, .. } = *step;
        let updates = matches!(action, "create" | "update" | "merge");
        let links = matches!(action, "link" | "unlink");
        if !updates && !links {
            return;
        }
        if self.attrs.fwd(etype, "id").is_none() {
            self.add(Attr { unique: true, ..Attr::blob(etype, "id") });
        }
        for label in obj.into_iter().flatten().map(|(k, _)| k) {
            let fwd = self.attrs.fwd(etype, label).is_some();
            let rev = self.attrs.rev(etype, label).is_some();
            if updates && !fwd {
                self.add(Attr { unique: label == "id", ..Attr::blob(etype, label) });
            } else if links && !fwd && !rev {
                self.add(Attr::link(etype, label, label, etype));
            }
        }
    }

    fn add(&mut self, attr: Attr) {
        self.attrs.push(attr.clone());
        self.created.push(attr);
    }

    /// `label` contains a dot and is not itself an attribute: a `link.id` lookup.
    fn is_ref_lookup(&self, etype: &str, label: &str) -> bool {
        label.contains('.') && self.attrs.fwd(etype, label).is_none()
    }

    fn for_ref_lookup(&mut self, label: &str, etype: &str) {
        if self.attrs.fwd(etype, label).is_none() && self.attrs.rev(etype, label).is_none() {
            self.add(Attr { unique: true, indexed: true, cardinality_one: true, ..Attr::link(etype, label, label, etype) });
        }
    }

    fn for_lookup(&mut self, pair: &(String, Value), etype: &str) -> ApiResult<()> {
        let label = &pair.0;
        if self.is_ref_lookup(etype, label) {
            let link = ref_lookup_label(pair)?;
            self.for_ref_lookup(&link, etype);
        } else if self.attrs.fwd(etype, label).is_none() {
            self.add(Attr { unique: true, indexed: true, ..Attr::blob(etype, label) });
        }
        Ok(())
    }

    fn for_link_lookup(&mut self, pair: &(String, Value), link_label: &str, etype: &str) -> ApiResult<()> {
        let target = self
            .attrs
            .fwd(etype, link_label)
            .and_then(|a| a.target_etype().map(str::to_owned))
            .or_else(|| self.attrs.rev(etype, link_label).map(|a| a.forward.etype.clone()))
            .unwrap_or_else(|| link_label.to_owned());
        self.for_lookup(pair, &target)
    }
}

/// The link label of a `["link.id", value]` lookup; any other dotted form is rejected.
pub fn ref_lookup_label(pair: &(String, Value)) -> ApiResult<String> {
    let segments: Vec<&str> = pair.0.split('.').collect();
    if segments.len() != 2 || segments[1] != "id" {
        return Err(ApiError::validation_msg("lookup", json!([pair.0, pair.1]), format!("{} is not a valid lookup attribute.", pair.0)));
    }
    Ok(segments[0].to_owned())
}

/// Applies explicit `add-attr` steps (they always run first, spec §6.5) as the server's
/// `attr-model/insert-multi!` does, in its order: every attribute's names
/// (`validate-system-ident-names!`), then required attributes on namespaces with data
/// (`validate-add-required!`), then the database: each identity (a name already taken fails the
/// `idents` table's unique `(app, etype, label)`; an identity id already used for another name
/// fails the upsert), then each attribute (the trigger that refuses required `$` attributes, and
/// an attribute id already used: an identical attribute is a no-op, another fails).
pub fn add_explicit(app: &mut App, steps: &[Value], now: i64) -> ApiResult<()> {
    let mut added: Vec<(Attr, Value)> = Vec::new();
    for step in steps {
        let Some(items) = step.as_array() else { continue };
        if items.first().and_then(Value::as_str) != Some("add-attr") {
            continue;
        }
        let wire = items.get(1).cloned().unwrap_or(Value::Null);
        added.push((from_wire(&wire)?, wire));
    }
    for (attr, wire) in &added {
        check_names(attr, wire)?;
    }
    for (attr, wire) in &added {
        check_required_on_data(app, attr, wire)?;
    }
    let mut names: Vec<Named> = Vec::new();
    for (attr, _) in &added {
        for ident in std::iter::once(&attr.forward).chain(&attr.reverse) {
            check_ident(app, &names, attr.id, ident)?;
            names.push(Named { ident: ident.id, attr: attr.id, etype: ident.etype.clone(), label: ident.label.clone() });
        }
    }
    for (attr, _) in added {
        if app.attrs.get(attr.id).is_some_and(|existing| same_attr(existing, &attr)) {
            continue;
        }
        if attr.required && attr.forward.etype.starts_with('$') {
            return Err(ApiError::bad_request("validation-failed", REQUIRED_SYSTEM_ATTR, Value::Null));
        }
        if app.attrs.get(attr.id).is_some() || app.attrs.deleted().any(|d| d.attr.id == attr.id) {
            return Err(sql_raise(format!("The attribute with id {0} conflicts with an existing attribute with id {0}.", attr.id)));
        }
        let (etype, id, indexed) = (attr.forward.etype.clone(), attr.id, attr.indexed && !attr.is_ref());
        app.attrs.push(attr);
        if indexed {
            crate::schema::backfill_nulls(app, &etype, id, now);
        }
    }
    Ok(())
}

/// `validate-add-required!`: a new required attribute needs its namespace to hold no data yet
/// in the app's own attributes (system columns, kept apart on the server, do not count).
fn check_required_on_data(app: &App, attr: &Attr, input: &Value) -> ApiResult<()> {
    if !attr.required {
        return Ok(());
    }
    let etype = &attr.forward.etype;
    let has_data = app.attrs.of_etype(etype).filter(|a| !a.system).any(|a| app.triples.entities_with(a.id).next().is_some());
    if !has_data {
        return Ok(());
    }
    Err(ApiError::validation_msg(
        "attributes",
        input.clone(),
        format!("Can't create attribute `{}` as required because `{etype}` already have entities", attr.forward.label),
    ))
}

/// An identity a batch of `add-attr` steps has added so far.
struct Named {
    ident: Uuid,
    attr: Uuid,
    etype: String,
    label: String,
}

/// One identity of a new attribute against the app's identities and those added before it in
/// the same batch (`names`).
fn check_ident(app: &App, names: &[Named], attr_id: Uuid, ident: &Ident) -> ApiResult<()> {
    let same_id = app
        .attrs
        .ident_by_id(ident.id)
        .or_else(|| names.iter().find(|n| n.ident == ident.id).map(|n| (n.attr, n.etype.clone(), n.label.clone())));
    if let Some((owner, etype, label)) = same_id {
        if owner == attr_id && etype == ident.etype && label == ident.label {
            return Ok(());
        }
        return Err(sql_raise(format!("Another attribute for {}.{} exists with different properties.", ident.etype, ident.label)));
    }
    let taken =
        app.attrs.named(&ident.etype, &ident.label).is_some() || names.iter().any(|n| n.etype == ident.etype && n.label == ident.label);
    if taken {
        return Err(ApiError::bad_request(
            "record-not-unique",
            format!("`{}` already exists on `{}`", ident.label, ident.etype),
            json!({"record-type": "ident", "etype": ident.etype, "label": ident.label}),
        ));
    }
    Ok(())
}

/// Whether re-adding `new` over `existing` changes nothing (the upsert's "all columns equal").
fn same_attr(existing: &Attr, new: &Attr) -> bool {
    existing.forward == new.forward
        && existing.reverse == new.reverse
        && existing.value_type == new.value_type
        && existing.cardinality_one == new.cardinality_one
        && existing.unique == new.unique
        && existing.indexed == new.indexed
        && existing.required == new.required
        && existing.checked_type == new.checked_type
        && existing.on_delete_cascade == new.on_delete_cascade
        && existing.on_delete_reverse_cascade == new.on_delete_reverse_cascade
}

/// A `RAISE` from the database (`raise_exception_message`): `sql-raise`, the message in the
/// hint's `constraint`.
fn sql_raise(message: String) -> ApiError {
    ApiError::bad_request(
        "sql-raise",
        format!("Raised Exception: {message}"),
        json!({"table": null, "condition": "raise-exception", "constraint": message}),
    )
}

/// Reads an attribute in its wire form (spec §3.17).
fn from_wire(wire: &Value) -> ApiResult<Attr> {
    let invalid = |why: &str| ApiError::validation("tx-steps", wire.clone(), vec![json!({"message": format!("Invalid attr: {why}")})]);
    let uuid_at = |v: Option<&Value>| v.and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
    let ident = |key: &str| -> Option<Ident> {
        let parts = wire.get(key)?.as_array()?;
        Some(Ident { id: uuid_at(parts.first())?, etype: parts.get(1)?.as_str()?.to_owned(), label: parts.get(2)?.as_str()?.to_owned() })
    };
    let id = uuid_at(wire.get("id")).ok_or_else(|| invalid("`id` must be a UUID"))?;
    let forward = ident("forward-identity").ok_or_else(|| invalid("`forward-identity` must be [id, etype, label]"))?;
    let value_type = match wire.get("value-type").and_then(Value::as_str) {
        Some("blob") => ValueType::Blob,
        Some("ref") => ValueType::Ref,
        _ => return Err(invalid("`value-type` must be \"blob\" or \"ref\"")),
    };
    let reverse = ident("reverse-identity");
    if value_type == ValueType::Ref && reverse.is_none() {
        return Err(invalid("links need a `reverse-identity`"));
    }
    let flag = |key: &str| wire.get(key).and_then(Value::as_bool).unwrap_or(false);
    let cascade = |key: &str| wire.get(key).and_then(Value::as_str) == Some("cascade");
    Ok(Attr {
        id,
        forward,
        reverse: if value_type == ValueType::Ref { reverse } else { None },
        value_type,
        cardinality_one: wire.get("cardinality").and_then(Value::as_str) != Some("many"),
        unique: flag("unique?"),
        indexed: flag("index?"),
        required: flag("required?"),
        checked_type: wire.get("checked-data-type").and_then(Value::as_str).and_then(DataType::parse),
        on_delete_cascade: cascade("on-delete"),
        on_delete_reverse_cascade: cascade("on-delete-reverse"),
        system: false,
        inferred_types: InferredTypes::default(),
    })
}
