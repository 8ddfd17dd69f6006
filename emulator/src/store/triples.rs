//! An app's data: triples `(entity, attribute, value, created-at)` in [`Triples`], with the
//! indexes queries and transactions need (by entity, by attribute, links by target, values by
//! hash). Writes note the namespaces they touch ([`super::Changes`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;
use uuid::Uuid;

use super::{Attr, Changes};

/// One stored value with the start time of the transaction that wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    /// The JSON value (for links: the target id as a lower-case string).
    pub value: Value,
    /// Transaction start, ms since the epoch.
    pub created_at: i64,
}

/// Triples `(entity, attribute, value, created-at)` with the indexes queries need.
#[derive(Clone, Debug, Default)]
pub struct Triples {
    /// Values by entity, then attribute. Each entity's map is shared between copies of the
    /// app and copied only when written, so copying an app for a transaction stays cheap.
    eav: HashMap<Uuid, Arc<HashMap<Uuid, Vec<Stored>>>>,
    entities_by_attr: HashMap<Uuid, BTreeSet<Uuid>>,
    /// `(link attr, target, source)`: one flat set, cheap to copy.
    sources_by_target: BTreeSet<(Uuid, Uuid, Uuid)>,
    /// Entities by attribute and [`value_hash`] of a value they hold: candidates for
    /// [`Triples::entities_with_value`], so unique checks and lookups need not scan every
    /// entity of an attribute.
    /// `(attr, value hash, entity)`: one flat set, cheap to copy.
    entities_by_value: BTreeSet<(Uuid, u64, Uuid)>,
    changes: Changes,
}

/// A hash of a value that [`crate::values::json_eq`]-equal values share (numbers hash by their
/// `f64`, object keys in any order), so it can key an index whose hits are then compared exactly.
fn value_hash(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed(value: &Value, h: &mut std::collections::hash_map::DefaultHasher) {
        match value {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(0.0);
                // -0.0 == 0.0
                let f = if f == 0.0 { 0.0 } else { f };
                (2u8, f.to_bits()).hash(h);
            }
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(items) => {
                (4u8, items.len()).hash(h);
                for item in items {
                    feed(item, h);
                }
            }
            Value::Object(map) => {
                (5u8, map.len()).hash(h);
                // Key order does not matter for equality: combine the entries commutatively.
                let mut sum = 0u64;
                for (k, v) in map {
                    let mut entry = std::collections::hash_map::DefaultHasher::new();
                    k.hash(&mut entry);
                    feed(v, &mut entry);
                    sum = sum.wrapping_add(entry.finish());
                }
                sum.hash(h);
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    feed(value, &mut h);
    h.finish()
}

/// Parses a link value (a UUID string) into the target id.
pub fn ref_target(value: &Value) -> Option<Uuid> {
    value.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

impl Triples {
    /// The values of `(entity, attr)`.
    pub fn values(&self, entity: Uuid, attr: Uuid) -> &[Stored] {
        self.eav.get(&entity).and_then(|m| m.get(&attr)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The single value of a cardinality-one `(entity, attr)`.
    pub fn value(&self, entity: Uuid, attr: Uuid) -> Option<&Stored> {
        self.values(entity, attr).first()
    }

    /// Whether `(entity, attr)` has any value.
    pub fn has(&self, entity: Uuid, attr: Uuid) -> bool {
        !self.values(entity, attr).is_empty()
    }

    /// Entities that have a value for `attr`, in id order.
    pub fn entities_with(&self, attr: Uuid) -> impl Iterator<Item = Uuid> + '_ {
        self.entities_by_attr.get(&attr).into_iter().flatten().copied()
    }

    /// Entities that may hold `value` (by [`crate::values::json_eq`]) for `attr`, in id order:
    /// every entity that does is among them; callers compare the values themselves.
    pub fn entities_with_value(&self, attr: Uuid, value: &Value) -> impl Iterator<Item = Uuid> + '_ {
        let hash = value_hash(value);
        self.entities_by_value.range((attr, hash, Uuid::nil())..=(attr, hash, Uuid::max())).map(|(_, _, e)| *e)
    }

    /// Drops `entity` from the value index of `(attr, hash)` unless another of its values
    /// still has that hash.
    fn unindex_value(&mut self, entity: Uuid, attr: Uuid, hash: u64) {
        if self.values(entity, attr).iter().any(|s| value_hash(&s.value) == hash) {
            return;
        }
        self.entities_by_value.remove(&(attr, hash, entity));
    }

    /// Entities linking to `target` through `attr`, in id order.
    pub fn sources(&self, attr: Uuid, target: Uuid) -> impl Iterator<Item = Uuid> + '_ {
        self.sources_by_target.range((attr, target, Uuid::nil())..=(attr, target, Uuid::max())).map(|(_, _, s)| *s)
    }

    /// Every `(attr, values)` of an entity.
    pub fn attrs_of(&self, entity: Uuid) -> impl Iterator<Item = (Uuid, &[Stored])> + '_ {
        self.eav.get(&entity).into_iter().flat_map(|m| m.iter()).map(|(a, v)| (*a, v.as_slice()))
    }

    /// Writes a value. Cardinality-one attributes are replaced (an equal value keeps its
    /// original timestamp, so re-writing `id` never moves serverCreatedAt); many-valued links
    /// gain the target unless it is already there. Returns whether anything changed.
    pub fn add(&mut self, entity: Uuid, attr: &Attr, value: Value, created_at: i64) -> bool {
        let current = self.values(entity, attr.id);
        if current.iter().any(|s| s.value == value) && (current.len() == 1 || !attr.cardinality_one) {
            return false;
        }
        self.changes.note(attr);
        if attr.cardinality_one {
            self.remove_all(entity, attr);
        }
        if attr.is_ref() {
            if let Some(target) = ref_target(&value) {
                self.sources_by_target.insert((attr.id, target, entity));
            }
        }
        self.entities_by_attr.entry(attr.id).or_default().insert(entity);
        self.entities_by_value.insert((attr.id, value_hash(&value), entity));
        Arc::make_mut(self.eav.entry(entity).or_default()).entry(attr.id).or_default().push(Stored { value, created_at });
        true
    }

    /// Replaces the value of a cardinality-one attribute in place, keeping its timestamp.
    pub fn replace_value(&mut self, entity: Uuid, attr: &Attr, value: Value, created_at: i64) {
        let created = self.value(entity, attr.id).map(|s| s.created_at).unwrap_or(created_at);
        self.remove_all(entity, attr);
        self.add(entity, attr, value, created);
    }

    /// Removes one value. Returns whether it was there.
    pub fn retract(&mut self, entity: Uuid, attr: &Attr, value: &Value) -> bool {
        if !self.values(entity, attr.id).iter().any(|s| &s.value == value) {
            return false;
        }
        let Some(values) = self.eav.get_mut(&entity).and_then(|m| Arc::make_mut(m).get_mut(&attr.id)) else {
            return false;
        };
        let before = values.len();
        values.retain(|s| &s.value != value);
        if values.len() == before {
            return false;
        }
        self.changes.note(attr);
        let now_empty = values.is_empty();
        if attr.is_ref() {
            if let Some(target) = ref_target(value) {
                self.unindex_source(attr.id, target, entity);
            }
        }
        if now_empty {
            self.drop_entry(entity, attr.id);
        }
        self.unindex_value(entity, attr.id, value_hash(value));
        true
    }

    /// The namespaces changed since the last call.
    pub(super) fn take_changes(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.changes.0)
    }

    /// Removes every value of `(entity, attr)`.
    pub fn remove_all(&mut self, entity: Uuid, attr: &Attr) {
        if !self.eav.get(&entity).is_some_and(|m| m.contains_key(&attr.id)) {
            return;
        }
        let Some(values) = self.eav.get_mut(&entity).and_then(|m| Arc::make_mut(m).remove(&attr.id)) else {
            return;
        };
        self.changes.note(attr);
        if attr.is_ref() {
            for stored in &values {
                if let Some(target) = ref_target(&stored.value) {
                    self.unindex_source(attr.id, target, entity);
                }
            }
        }
        self.drop_entry(entity, attr.id);
        for stored in &values {
            self.unindex_value(entity, attr.id, value_hash(&stored.value));
        }
    }

    fn unindex_source(&mut self, attr: Uuid, target: Uuid, source: Uuid) {
        self.sources_by_target.remove(&(attr, target, source));
    }

    fn drop_entry(&mut self, entity: Uuid, attr: Uuid) {
        if let Some(m) = self.eav.get_mut(&entity) {
            if m.contains_key(&attr) {
                Arc::make_mut(m).remove(&attr);
            }
            if m.is_empty() {
                self.eav.remove(&entity);
            }
        }
        if let Some(set) = self.entities_by_attr.get_mut(&attr) {
            set.remove(&entity);
        }
    }

    /// Drops every triple of an attribute (attribute deletion).
    pub fn remove_attr(&mut self, attr: &Attr) {
        let entities: Vec<Uuid> = self.entities_with(attr.id).collect();
        for e in entities {
            self.remove_all(e, attr);
        }
    }
}
