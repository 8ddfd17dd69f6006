//! The transaction builder: the Rust counterpart of `db.tx.goals[id].update({...}).link({...})`.
//! Builders only record steps; [`crate::validate::steps`] checks them before anything is sent.

use crate::prelude::*;
use crate::Value;

/// Which entity a step is about: an id, or a lookup on a unique attribute.
///
/// ```
/// use instant_edge::{lookup, EntityId};
/// let by_id: EntityId = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb".into();
/// let by_slug = lookup("slug", "get-fit");
/// assert_ne!(by_id, by_slug);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum EntityId {
    /// A UUID.
    Id(String),
    /// `lookup(attribute, value)`: the entity whose unique `attribute` holds `value`.
    Lookup(String, Value),
}

impl From<&str> for EntityId {
    fn from(id: &str) -> EntityId {
        EntityId::Id(id.to_owned())
    }
}

impl From<String> for EntityId {
    fn from(id: String) -> EntityId {
        EntityId::Id(id)
    }
}

impl From<&String> for EntityId {
    fn from(id: &String) -> EntityId {
        EntityId::Id(id.clone())
    }
}

impl EntityId {
    /// The wire form in a step's id position: the UUID, or an `[attribute, value]` pair.
    fn to_value(&self) -> Value {
        match self {
            EntityId::Id(id) => Value::String(id.clone()),
            EntityId::Lookup(attr, value) => Value::Array(vec![Value::String(attr.clone()), value.clone()]),
        }
    }
}

/// `lookup("email", "alyssa@example.com")`: names an entity by a unique attribute, usable as a
/// step's entity and (via [`link_target`]) as a link target.
pub fn lookup(attribute: impl Into<String>, value: impl Into<Value>) -> EntityId {
    EntityId::Lookup(attribute.into(), value.into())
}

/// A link target: a UUID as is, a lookup in the server's `lookup__attr__json` string form.
///
/// ```
/// use instant_edge::{link_target, lookup, Value};
/// assert_eq!(link_target(&lookup("slug", "a")), Value::from("lookup__slug__\"a\""));
/// ```
pub fn link_target(target: &EntityId) -> Value {
    match target {
        EntityId::Id(id) => Value::String(id.clone()),
        EntityId::Lookup(attr, value) => {
            let mut text = String::from("lookup__");
            text.push_str(attr);
            text.push_str("__");
            text.push_str(&value.to_json());
            Value::String(text)
        }
    }
}

/// The steps for one entity, chained: `tx("goals", id).update(...).link(...)`.
///
/// ```
/// use instant_edge::{tx, Value};
/// let goal = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
/// let todo = "0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0";
/// let chunk = tx("goals", goal)
///     .update(Value::object([("title", "Get fit".into())]))
///     .link(Value::object([("todos", todo.into())]));
/// assert_eq!(chunk.steps().len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct TxChunk {
    etype: String,
    entity: EntityId,
    steps: Vec<Value>,
}

/// Starts the steps for the entity `id` of namespace `etype`.
pub fn tx(etype: impl Into<String>, id: impl Into<EntityId>) -> TxChunk {
    TxChunk { etype: etype.into(), entity: id.into(), steps: Vec::new() }
}

impl TxChunk {
    fn push(mut self, action: &str, args: Value, opts: Option<Value>) -> TxChunk {
        let mut step = vec![Value::from(action), Value::String(self.etype.clone()), self.entity.to_value(), args];
        step.extend(opts);
        self.steps.push(Value::Array(step));
        self
    }

    /// Creates the entity; fails if it exists.
    pub fn create(self, attrs: Value) -> TxChunk {
        self.push("create", attrs, None)
    }

    /// Sets attributes, creating the entity if needed.
    pub fn update(self, attrs: Value) -> TxChunk {
        self.push("update", attrs, None)
    }

    /// Sets attributes of an entity that must already exist (`{ upsert: false }`).
    pub fn update_existing(self, attrs: Value) -> TxChunk {
        self.push("update", attrs, Some(Value::object([("upsert", Value::Bool(false))])))
    }

    /// Deep-merges JSON attributes.
    pub fn merge(self, attrs: Value) -> TxChunk {
        self.push("merge", attrs, None)
    }

    /// Links: `{ label: target | [targets] }`.
    pub fn link(self, links: Value) -> TxChunk {
        self.push("link", links, None)
    }

    /// Unlinks: `{ label: target | [targets] }`.
    pub fn unlink(self, links: Value) -> TxChunk {
        self.push("unlink", links, None)
    }

    /// Deletes the entity.
    pub fn delete(self) -> TxChunk {
        self.push("delete", Value::Null, None)
    }

    /// Rule params for the permission checks of this entity's steps.
    pub fn rule_params(self, params: Value) -> TxChunk {
        self.push("ruleParams", params, None)
    }

    /// The recorded steps, in order.
    pub fn steps(&self) -> &[Value] {
        &self.steps
    }
}

/// The step list of a transaction: every chunk's steps, in order.
pub fn steps_of(chunks: impl IntoIterator<Item = TxChunk>) -> Value {
    Value::Array(chunks.into_iter().flat_map(|c| c.steps).collect())
}
