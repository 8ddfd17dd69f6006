//! Attribute auto-creation (spec §6.4, `create-missing-attrs`) and explicit `add-attr` /
//! `delete-attr` steps.

use serde_json::{json, Value};
use uuid::Uuid;

use super::expand::{link_targets, lookup_pair};
use crate::error::{ApiError, ApiResult};
use crate::store::{App, Attr, Attrs, DataType, Ident, ValueType};

const EDITABLE_SYSTEM_ETYPES: [&str; 3] = ["$users", "$files", "$streams"];

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
    for attr in &pending.created {
        check_reserved(attr)?;
    }
    Ok(pending.created)
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

fn check_reserved(attr: &Attr) -> ApiResult<()> {
    let etypes = std::iter::once(&attr.forward.etype).chain(attr.reverse.as_ref().map(|r| &r.etype));
    for etype in etypes {
        if etype.starts_with('$') && !EDITABLE_SYSTEM_ETYPES.contains(&etype.as_str()) {
            return Err(ApiError::validation_msg(
                "attributes",
                attr.to_wire(),
                format!("$ is reserved for system tables. You can't create {etype}"),
            ));
        }
    }
    Ok(())
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

/// Applies explicit `add-attr` steps (they always run first, spec §6.5).
pub fn add_explicit(app: &mut App, steps: &[Value], now: i64) -> ApiResult<()> {
    for step in steps {
        let Some(items) = step.as_array() else { continue };
        if items.first().and_then(Value::as_str) != Some("add-attr") {
            continue;
        }
        let wire = items.get(1).cloned().unwrap_or(Value::Null);
        let attr = from_wire(&wire)?;
        check_reserved(&attr)?;
        let fwd_taken = app.attrs.fwd(&attr.forward.etype, &attr.forward.label).is_some();
        let rev_taken = attr.reverse.as_ref().is_some_and(|r| app.attrs.rev(&r.etype, &r.label).is_some());
        if fwd_taken || rev_taken || app.attrs.get(attr.id).is_some() {
            return Err(ApiError::bad_request(
                "record-not-unique",
                "Record not unique: ident",
                json!({"record-type": "ident", "etype": attr.forward.etype, "label": attr.forward.label}),
            ));
        }
        let (etype, id, indexed) = (attr.forward.etype.clone(), attr.id, attr.indexed && !attr.is_ref());
        app.attrs.push(attr);
        if indexed {
            crate::schema::backfill_nulls(app, &etype, id, now);
        }
    }
    Ok(())
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
    })
}
