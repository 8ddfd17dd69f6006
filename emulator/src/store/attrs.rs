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
    /// Part of the system catalog (`$users`, `$files`).
    pub system: bool,
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
            "inferred-types": null,
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

/// The attributes of one app.
#[derive(Clone, Debug, Default)]
pub struct Attrs {
    list: Vec<Attr>,
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
