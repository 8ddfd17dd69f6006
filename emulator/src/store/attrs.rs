//! The attribute catalog of an app (spec §5.1, platform spec §4.2): each [`Attr`] with its
//! forward and reverse [`Ident`], and [`Attrs`], the app's list with its lookups by id, by
//! `(etype, label)` from either side, and by namespace. Writes through [`Attrs`] note the
//! namespaces they touch ([`super::Changes`]).

use std::collections::BTreeSet;

use serde_json::{json, Value};
use uuid::Uuid;

use super::Changes;
use crate::values::DataType;

/// Whether an attribute holds values or references to other entities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// A JSON value.
    Blob,
    /// A link: the value is another entity's id.
    Ref,
}

/// One side of an attribute's name: `(identity id, namespace, label)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// Identity id.
    pub id: Uuid,
    /// Namespace (etype).
    pub etype: String,
    /// Label inside the namespace.
    pub label: String,
}

/// An attribute (spec §5.1 and platform spec §4.2).
#[derive(Clone, Debug)]
pub struct Attr {
    /// Attribute id.
    pub id: Uuid,
    /// `(etype, label)` the attribute belongs to.
    pub forward: Ident,
    /// For links: the name seen from the target namespace.
    pub reverse: Option<Ident>,
    /// Blob or ref.
    pub value_type: ValueType,
    /// Cardinality `one` (else `many`).
    pub cardinality_one: bool,
    /// `unique?`.
    pub unique: bool,
    /// `index?`.
    pub indexed: bool,
    /// `required?`.
    pub required: bool,
    /// `checked-data-type`.
    pub checked_type: Option<DataType>,
    /// `on-delete: cascade` (deleting the link's target deletes the source).
    pub on_delete_cascade: bool,
    /// `on-delete-reverse: cascade` (deleting the source deletes the targets).
    pub on_delete_reverse_cascade: bool,
    /// Part of the system catalog (`$users`, `$files`, ...).
    pub system: bool,
    /// The JSON types written to the attribute so far ([`InferredTypes`]).
    pub inferred_types: InferredTypes,
}

/// The types of the values an app has written to an attribute (`inferred-types`, spec §3.17):
/// the server records each non-null value's type (`number`, `string`, `boolean` or `json`; ids
/// and links count as strings) as it writes it, never for system catalog attributes, and never
/// forgets one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InferredTypes(u8);

impl InferredTypes {
    /// Type names with their bits, in the order the server lists them (a Clojure hash set of
    /// keywords iterates by hash: `:number`, `:string`, `:json`, `:boolean`).
    const LISTED: [(&'static str, u8); 4] = [("number", 1), ("string", 2), ("json", 8), ("boolean", 4)];

    /// Adds the type of `value`; `null` adds nothing.
    pub fn note(&mut self, value: &Value) {
        self.0 |= match value {
            Value::Null => 0,
            Value::Number(_) => 1,
            Value::String(_) => 2,
            Value::Bool(_) => 4,
            Value::Array(_) | Value::Object(_) => 8,
        };
    }

    /// `null` before the first write, else the list of type names.
    pub fn to_wire(self) -> Value {
        if self.0 == 0 {
            return Value::Null;
        }
        Value::Array(Self::LISTED.iter().filter(|(_, bit)| self.0 & bit != 0).map(|(name, _)| json!(name)).collect())
    }
}

impl Attr {
    /// A plain value attribute, as auto-created by a transaction (§6.4).
    pub fn blob(etype: &str, label: &str) -> Attr {
        Attr {
            id: Uuid::new_v4(),
            forward: Ident { id: Uuid::new_v4(), etype: etype.into(), label: label.into() },
            reverse: None,
            value_type: ValueType::Blob,
            cardinality_one: true,
            unique: false,
            indexed: false,
            required: false,
            checked_type: None,
            on_delete_cascade: false,
            on_delete_reverse_cascade: false,
            system: false,
            inferred_types: InferredTypes::default(),
        }
    }

    /// A link attribute `(etype, label) ↔ (rev_etype, rev_label)`, has-many and not unique.
    pub fn link(etype: &str, label: &str, rev_etype: &str, rev_label: &str) -> Attr {
        Attr {
            reverse: Some(Ident { id: Uuid::new_v4(), etype: rev_etype.into(), label: rev_label.into() }),
            value_type: ValueType::Ref,
            cardinality_one: false,
            ..Attr::blob(etype, label)
        }
    }

    /// Whether this is a link.
    pub fn is_ref(&self) -> bool {
        self.value_type == ValueType::Ref
    }

    /// `etype.label`, as error messages print it.
    pub fn ident_name(&self) -> String {
        format!("{}.{}", self.forward.etype, self.forward.label)
    }

    /// The namespace a link points to (its reverse etype).
    pub fn target_etype(&self) -> Option<&str> {
        self.reverse.as_ref().map(|r| r.etype.as_str())
    }

    /// The attribute object as `GET /admin/schema` and `add-attr` spell it (spec §3.17).
    pub fn to_wire(&self) -> Value {
        let mut attr = json!({
            "id": self.id.to_string(),
            "forward-identity": [self.forward.id.to_string(), self.forward.etype, self.forward.label],
            "value-type": if self.is_ref() { "ref" } else { "blob" },
            "cardinality": if self.cardinality_one { "one" } else { "many" },
            "unique?": self.unique,
            "index?": self.indexed,
            "required?": self.required,
            "inferred-types": self.inferred_types.to_wire(),
            "catalog": if self.system { "system" } else { "user" },
        });
        if let (Some(rev), Some(obj)) = (&self.reverse, attr.as_object_mut()) {
            obj.insert("reverse-identity".into(), json!([rev.id.to_string(), rev.etype, rev.label]));
        }
        if let Some(obj) = attr.as_object_mut() {
            if let Some(t) = self.checked_type {
                obj.insert("checked-data-type".into(), json!(t.name()));
            }
            if self.on_delete_cascade {
                obj.insert("on-delete".into(), json!("cascade"));
            }
            if self.on_delete_reverse_cascade {
                obj.insert("on-delete-reverse".into(), json!("cascade"));
            }
        }
        attr
    }
}

/// An attribute removed by a `delete-attr` step. The server only marks it (`soft-delete-multi!`):
/// it keeps the row, not indexed and not required any more, its names prefixed with
/// `<attr id>_deleted$` so they are free again, and hard-deletes it after the grace period
/// (`GET /admin/soft_deleted_attrs`, spec §3.18). The emulator drops its values at once; nothing
/// on the admin API restores an attribute.
#[derive(Clone, Debug)]
pub struct DeletedAttr {
    /// The attribute as it was before the deletion.
    pub attr: Attr,
    /// When it was marked: the deleting transaction's time, ms since the epoch.
    pub marked_at: i64,
    /// The `id` attribute of its namespace at the time (the `soft_delete_snapshot`).
    pub id_attr: Option<Uuid>,
}

impl DeletedAttr {
    /// A name as the marked row spells it: `<attr id>_deleted$<name>`.
    pub fn branded(&self, name: &str) -> String {
        format!("{}_deleted${name}", self.attr.id)
    }

    /// The row as the server lists it: the attribute with branded names, `index?` and
    /// `required?` false, `deletion-marked-at` (formatted by `format_time`) and the metadata
    /// snapshot of what it was.
    pub fn to_wire(&self, format_time: impl Fn(i64) -> String) -> Value {
        let mut marked = Attr { indexed: false, required: false, ..self.attr.clone() };
        marked.forward.etype = self.branded(&self.attr.forward.etype);
        marked.forward.label = self.branded(&self.attr.forward.label);
        if let Some(reverse) = marked.reverse.as_mut() {
            reverse.etype = self.branded(&reverse.etype);
            reverse.label = self.branded(&reverse.label);
        }
        let mut wire = marked.to_wire();
        if let Some(obj) = wire.as_object_mut() {
            obj.insert("deletion-marked-at".into(), json!(format_time(self.marked_at)));
            obj.insert(
                "metadata".into(),
                json!({"soft_delete_snapshot": {
                    "id_attr_id": self.id_attr.map(|id| id.to_string()),
                    "is_indexed": self.attr.indexed,
                    "is_required": self.attr.required,
                }}),
            );
        }
        wire
    }
}

/// The attributes of one app.
#[derive(Clone, Debug, Default)]
pub struct Attrs {
    list: Vec<Attr>,
    /// Soft-deleted attributes, oldest first.
    deleted: Vec<DeletedAttr>,
    changes: Changes,
    /// Attributes handed out by `get_mut`: their namespaces after the edit are noted when the
    /// changes are taken.
    edited: Vec<Uuid>,
}

impl Attrs {
    /// Every attribute, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = &Attr> {
        self.list.iter()
    }

    /// Adds an attribute.
    pub fn push(&mut self, attr: Attr) {
        self.changes.note(&attr);
        self.list.push(attr);
    }

    /// Removes an attribute by id.
    pub fn remove(&mut self, id: Uuid) -> Option<Attr> {
        let at = self.list.iter().position(|a| a.id == id)?;
        let attr = self.list.remove(at);
        self.changes.note(&attr);
        Some(attr)
    }

    /// Soft-deletes an attribute (see [`DeletedAttr`]) marked at `now`; `None` if it is unknown.
    /// The namespace's `id` attribute is looked up first, so deleting `id` itself records its
    /// own id, and so do the other attributes deleted in the same transaction.
    pub fn soft_delete(&mut self, id: Uuid, now: i64) -> Option<&DeletedAttr> {
        let etype = self.get(id)?.forward.etype.clone();
        let id_attr = self.fwd(&etype, "id").map(|a| a.id).or_else(|| {
            self.deleted
                .iter()
                .find(|d| d.marked_at == now && d.attr.forward.etype == etype && d.attr.forward.label == "id")
                .map(|d| d.attr.id)
        });
        let attr = self.remove(id)?;
        self.deleted.push(DeletedAttr { attr, marked_at: now, id_attr });
        self.deleted.last()
    }

    /// The soft-deleted attributes, oldest first.
    pub fn deleted(&self) -> impl Iterator<Item = &DeletedAttr> {
        self.deleted.iter()
    }

    /// The attribute that owns the name `(etype, label)` on either side, forward or reverse: a
    /// new attribute may use neither side's name (the server's `idents` table is unique on
    /// `(app_id, etype, label)`).
    pub fn named(&self, etype: &str, label: &str) -> Option<&Attr> {
        self.fwd(etype, label).or_else(|| self.rev(etype, label))
    }

    /// The attribute, live or soft-deleted, with an identity whose id is `ident_id`, and that
    /// identity's current `(etype, label)` (branded when deleted).
    pub fn ident_by_id(&self, ident_id: Uuid) -> Option<(Uuid, String, String)> {
        let live = self.list.iter().flat_map(|a| std::iter::once(&a.forward).chain(&a.reverse).map(move |i| (a.id, i.clone())));
        let deleted = self.deleted.iter().flat_map(|d| {
            let branded = |i: &Ident| Ident { etype: d.branded(&i.etype), label: d.branded(&i.label), ..i.clone() };
            std::iter::once(branded(&d.attr.forward)).chain(d.attr.reverse.as_ref().map(branded)).map(move |i| (d.attr.id, i))
        });
        live.chain(deleted).find(|(_, i)| i.id == ident_id).map(|(attr, i)| (attr, i.etype, i.label))
    }

    /// Records the type of a value written to attribute `id` ([`InferredTypes`]); system
    /// attributes keep none. Not a change live queries need to see: the write itself is one.
    pub fn note_written(&mut self, id: Uuid, value: &Value) {
        if let Some(attr) = self.list.iter_mut().find(|a| a.id == id && !a.system) {
            attr.inferred_types.note(value);
        }
    }

    /// By id.
    pub fn get(&self, id: Uuid) -> Option<&Attr> {
        self.list.iter().find(|a| a.id == id)
    }

    /// By id, mutably. Noted as changed before and after the edit: a link given a new target
    /// changes what both the old and the new namespace see.
    pub fn get_mut(&mut self, id: Uuid) -> Option<&mut Attr> {
        let attr = self.list.iter_mut().find(|a| a.id == id)?;
        self.changes.note(attr);
        self.edited.push(id);
        Some(attr)
    }

    /// The namespaces changed since the last call, edits through `get_mut` included.
    pub(super) fn take_changes(&mut self) -> BTreeSet<String> {
        for id in std::mem::take(&mut self.edited) {
            if let Some(attr) = self.list.iter().find(|a| a.id == id) {
                self.changes.note(attr);
            }
        }
        std::mem::take(&mut self.changes.0)
    }

    /// The attribute named `label` on namespace `etype` (its forward identity).
    pub fn fwd(&self, etype: &str, label: &str) -> Option<&Attr> {
        self.list.iter().find(|a| a.forward.etype == etype && a.forward.label == label)
    }

    /// The link seen from `etype` as `label` through its reverse identity.
    pub fn rev(&self, etype: &str, label: &str) -> Option<&Attr> {
        self.list.iter().find(|a| a.reverse.as_ref().is_some_and(|r| r.etype == etype && r.label == label))
    }

    /// Every attribute whose forward namespace is `etype`.
    pub fn of_etype<'a>(&'a self, etype: &'a str) -> impl Iterator<Item = &'a Attr> + 'a {
        self.list.iter().filter(move |a| a.forward.etype == etype)
    }

    /// Whether any attribute mentions `etype` (forward or reverse).
    pub fn knows_etype(&self, etype: &str) -> bool {
        self.list.iter().any(|a| a.forward.etype == etype || a.reverse.as_ref().is_some_and(|r| r.etype == etype))
    }
}
