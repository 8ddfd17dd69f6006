//! The data store of one emulated server: apps, their attributes and their triples (spec §5.1).
//!
//! Everything here is plain in-memory data. An [`App`] is `Clone` so a transaction can run on a
//! copy and be swapped in only when every step succeeded (atomicity, spec §6.8).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{json, Value};
use uuid::Uuid;

/// Whether an attribute holds values or references to other entities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// A JSON value.
    Blob,
    /// A link: the value is another entity's id.
    Ref,
}

/// The enforced type of an attribute (`checked-data-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    /// JSON string.
    String,
    /// JSON number.
    Number,
    /// JSON boolean.
    Boolean,
    /// Epoch milliseconds or a date string.
    Date,
}

impl DataType {
    /// Parses the wire name (`string`, `number`, `boolean`, `date`).
    pub fn parse(name: &str) -> Option<DataType> {
        match name {
            "string" => Some(DataType::String),
            "number" => Some(DataType::Number),
            "boolean" => Some(DataType::Boolean),
            "date" => Some(DataType::Date),
            _ => None,
        }
    }

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Number => "number",
            DataType::Boolean => "boolean",
            DataType::Date => "date",
        }
    }
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

/// Namespaces whose data or attributes changed since they were last taken
/// ([`App::take_changes`]): what live queries reading them must look at again (spec §4.2
/// `refresh-ok`). Noted by [`Attrs`] and [`Triples`] themselves, so every write path is
/// covered, whichever route made it; a failed write's copy is dropped with its notes.
#[derive(Clone, Debug, Default)]
pub struct Changes(BTreeSet<String>);

impl Changes {
    /// Notes both sides of `attr`: a link changes what either namespace sees.
    fn note(&mut self, attr: &Attr) {
        self.note_etype(&attr.forward.etype);
        if let Some(reverse) = &attr.reverse {
            self.note_etype(&reverse.etype);
        }
    }

    fn note_etype(&mut self, etype: &str) {
        if !self.0.contains(etype) {
            self.0.insert(etype.to_owned());
        }
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

    fn take_changes(&mut self) -> BTreeSet<String> {
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

/// One app: its credentials, attributes, data (users and their tokens included), permission
/// rules, uploaded file contents and the mail it would have sent.
#[derive(Clone, Debug)]
pub struct App {
    /// App id.
    pub id: Uuid,
    /// The admin token that authorises admin calls.
    pub admin_token: Uuid,
    /// Attributes (system catalog first).
    pub attrs: Attrs,
    /// Data.
    pub triples: Triples,
    /// Magic-code emails `send_magic_code` would have sent; read through the control surface.
    pub outbox: Vec<OutboxMessage>,
    /// Auth settings (the real server keeps these on the app row, not as triples).
    pub auth_settings: AuthSettings,
    /// Magic-code rate-limit buckets. Spent outside the copy-on-write of a request, so a request
    /// that fails afterwards has still spent its token (as bucket4j's are outside the database).
    pub rate_limits: RateLimits,
    /// The permission rules document (spec §9.2), set through the control surface; an empty
    /// object means "no rules".
    pub rules: Value,
    /// Uploaded file contents by location-id: the emulator's object storage (spec §8.1).
    pub objects: crate::storage::Objects,
    /// Presence rooms seeded through the control surface (spec §3.7).
    pub rooms: crate::presence::Rooms,
}

/// Magic codes live this long unless the app says otherwise (§7.3:
/// `default-magic-code-expiry-minutes`).
pub const DEFAULT_MAGIC_CODE_EXPIRY_MINUTES: u64 = 1440;

/// Sends and verify attempts allowed per hour per (app, email) unless the app says otherwise
/// (§3.13: `magic-code-rate-limit-per-hour`).
pub const DEFAULT_MAGIC_CODE_RATE_LIMIT_PER_HOUR: u64 = 20;

/// One test user: an email whose static code always verifies (§7.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestUser {
    /// Trimmed, lower-cased email.
    pub email: String,
    /// The static code.
    pub code: String,
}

/// Per-app auth settings, set through the control surface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthSettings {
    /// How long a magic code stays valid (`magic_code_expiry_minutes`, §7.3).
    pub magic_code_expiry_minutes: u64,
    /// Capacity of each magic-code bucket; 0 turns the limit off (an emulator-only switch).
    pub magic_code_rate_limit_per_hour: u64,
    /// Test users, at most one per email.
    pub test_users: Vec<TestUser>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            magic_code_expiry_minutes: DEFAULT_MAGIC_CODE_EXPIRY_MINUTES,
            magic_code_rate_limit_per_hour: DEFAULT_MAGIC_CODE_RATE_LIMIT_PER_HOUR,
            test_users: Vec::new(),
        }
    }
}

impl AuthSettings {
    /// The expiry in milliseconds (saturating: a huge setting means "never").
    pub fn magic_code_expiry_ms(&self) -> i64 {
        i64::try_from(self.magic_code_expiry_minutes).unwrap_or(i64::MAX).saturating_mul(60_000)
    }

    /// The control surface's view: the same keys it accepts.
    pub fn to_wire(&self) -> Value {
        let test_users: Vec<Value> = self.test_users.iter().map(|u| json!({"email": u.email, "code": u.code})).collect();
        json!({
            "magic-code-expiry-minutes": self.magic_code_expiry_minutes,
            "magic-code-rate-limit-per-hour": self.magic_code_rate_limit_per_hour,
            "test-users": test_users,
        })
    }
}

/// Which magic-code bucket a request draws from (the real server keys them `"create"` and
/// `"consume"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateLimitKind {
    /// `send_magic_code`.
    Create,
    /// `verify_magic_code` attempts.
    Consume,
}

const HOUR_MS: i64 = 60 * 60 * 1000;

/// A bucket4j `refillIntervally(capacity, 1 hour)` bucket: full when created, refilled to full
/// at each whole hour after its creation (not an hour after the last request).
#[derive(Clone, Debug)]
struct Bucket {
    created_ms: i64,
    refills: i64,
    tokens: u64,
}

impl Bucket {
    fn try_consume(&mut self, capacity: u64, now: i64) -> bool {
        let refills = (now - self.created_ms).div_euclid(HOUR_MS);
        if refills > self.refills {
            self.refills = refills;
            self.tokens = capacity;
        }
        let Some(left) = self.tokens.checked_sub(1) else { return false };
        self.tokens = left;
        true
    }
}

/// The buckets of one app, one per (kind, email, capacity). The capacity is part of the key, as
/// in the real server's key hash, so a changed limit starts fresh buckets.
#[derive(Clone, Debug, Default)]
pub struct RateLimits {
    buckets: HashMap<(RateLimitKind, String, u64), Bucket>,
}

impl RateLimits {
    /// Takes one token from the bucket of `(kind, email)`; false when it is empty. A capacity of
    /// 0 means no limit.
    pub fn try_consume(&mut self, kind: RateLimitKind, email: &str, capacity: u64, now: i64) -> bool {
        if capacity == 0 {
            return true;
        }
        self.buckets
            .entry((kind, email.to_owned(), capacity))
            .or_insert(Bucket { created_ms: now, refills: 0, tokens: capacity })
            .try_consume(capacity, now)
    }
}

/// One email that did not leave the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Recipient (lower-cased).
    pub email: String,
    /// The magic code it carried.
    pub code: String,
    /// When, ms since the epoch.
    pub sent_at: i64,
}

impl App {
    /// A fresh app holding only the system catalog.
    pub fn new(id: Uuid, admin_token: Uuid) -> App {
        let mut attrs = Attrs::default();
        for attr in crate::system_catalog::attrs() {
            attrs.push(attr);
        }
        App {
            id,
            admin_token,
            attrs,
            triples: Triples::default(),
            outbox: Vec::new(),
            auth_settings: AuthSettings::default(),
            rate_limits: RateLimits::default(),
            rules: json!({}),
            objects: crate::storage::Objects::default(),
            rooms: crate::presence::Rooms::default(),
        }
    }

    /// The namespaces changed since the last call (see [`Changes`]), leaving none noted.
    pub fn take_changes(&mut self) -> BTreeSet<String> {
        let mut changed = std::mem::take(&mut self.triples.changes.0);
        changed.append(&mut self.attrs.take_changes());
        changed
    }

    /// Whether `entity` exists in namespace `etype` (has its `id` triple).
    pub fn exists(&self, etype: &str, entity: Uuid) -> bool {
        self.attrs.fwd(etype, "id").is_some_and(|a| self.triples.has(entity, a.id))
    }

    /// The entity whose unique attribute `attr` equals `value`.
    pub fn find_unique(&self, attr: &Attr, value: &Value) -> Option<Uuid> {
        if attr.is_ref() {
            let target = ref_target(value)?;
            return self.triples.sources(attr.id, target).next();
        }
        self.triples
            .entities_with_value(attr.id, value)
            .find(|e| self.triples.values(*e, attr.id).iter().any(|s| crate::values::json_eq(&s.value, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_to_full_at_whole_hours_since_creation() {
        // bucket4j refillIntervally(2, 1 hour): the refill follows the creation time, not use
        let mut limits = RateLimits::default();
        let take = |limits: &mut RateLimits, now| limits.try_consume(RateLimitKind::Create, "a@b.co", 2, now);
        assert!(take(&mut limits, 1_000) && take(&mut limits, 2_000));
        assert!(!take(&mut limits, HOUR_MS + 999), "still the first hour");
        assert!(take(&mut limits, HOUR_MS + 1_000) && take(&mut limits, HOUR_MS + 1_001));
        assert!(!take(&mut limits, HOUR_MS + 1_002));
        assert!(limits.try_consume(RateLimitKind::Consume, "a@b.co", 2, HOUR_MS + 1_002), "kinds are separate");
        assert!((0..50).all(|i| limits.try_consume(RateLimitKind::Create, "a@b.co", 0, i)), "0 = no limit");
    }
}
