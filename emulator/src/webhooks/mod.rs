//! Webhooks (`docs/webhooks.md`): each app's registry of webhooks, the events committed
//! transactions create for them, and the records a payload answers.
//!
//! - here: the registry ([`Registry`], [`Hooks`], [`Webhook`], [`Event`], [`Attempt`]), ISNs
//!   ([`Isn`]), the records of a transaction ([`Record`]) and their idempotency keys;
//! - [`sign`]: the Ed25519 key that signs deliveries and payload JWTs, and the JWKS;
//! - [`deliver`]: the tokio tasks that POST events to their sinks, with retries, and the log of
//!   every attempt the control surface shows.
//!
//! How a transaction becomes records: the registry keeps, per app, a snapshot of every entity
//! (its data attributes by label) of each namespace some webhook of the app lists. When the
//! store lock is released after a commit ([`crate::StoreGuard`]), the namespaces the write
//! changed are read again and compared with the snapshot: an entity that appeared is a
//! `create`, one that changed is an `update`, one that vanished a `delete`. The real server
//! matches at the triple level instead, so it also creates events whose payload is empty (a
//! no-op update, a link-only change); the emulator creates none for those.

pub mod deliver;
pub mod sign;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::store::App;
use crate::values::iso_seconds;

/// The actions a webhook may subscribe to.
pub const ACTIONS: [&str; 3] = ["create", "update", "delete"];

/// `maximum-active-webhooks`: active webhooks one app may have.
pub const MAX_ACTIVE: usize = 100;

/// The reason a 410 answer stores when it disables a webhook.
pub const GONE_REASON: &str = "Endpoint returned 410 status code.";

/// A page of events (`webhook-events-get`).
pub const EVENTS_PAGE: usize = 100;

/// How far back the events list looks (the server reads 60 days of partitions).
pub const EVENTS_LOOKBACK_MS: i64 = 60 * 24 * 3600 * 1000;

/// An ISN: replication slot and WAL position. The emulator has one slot (0) and one position
/// per committed transaction that touched a tracked namespace, increasing across all apps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Isn {
    /// Replication slot.
    pub slot: u32,
    /// Log sequence number.
    pub lsn: u64,
}

impl Isn {
    /// `<slot hex>/<LSN high32 hex>/<LSN low32 hex>`, uppercase (`srv/isn.clj` `toString`).
    pub fn to_wire(self) -> String {
        format!("{:X}/{:X}/{:X}", self.slot, self.lsn >> 32, self.lsn & 0xFFFF_FFFF)
    }

    /// Parses the wire form; `None` when it is not three hex numbers of the right sizes.
    pub fn parse(text: &str) -> Option<Isn> {
        let parts: Vec<&str> = text.split('/').collect();
        let [slot, high, low] = parts.as_slice() else { return None };
        let hex32 = |p: &str| {
            if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                None
            } else {
                u32::from_str_radix(p, 16).ok()
            }
        };
        Some(Isn { slot: hex32(slot)?, lsn: (u64::from(hex32(high)?) << 32) | u64::from(hex32(low)?) })
    }

    /// 12 bytes: slot int32 BE ‖ LSN int64 BE (`srv/isn.clj` `->bytes`).
    pub fn bytes(self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..4].copy_from_slice(&self.slot.to_be_bytes());
        out[4..].copy_from_slice(&self.lsn.to_be_bytes());
        out
    }
}

/// First 16 bytes of SHA-256 of `parts`, as a UUID (no version bits set).
fn hashed_uuid(parts: &[&[u8]]) -> Uuid {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// A record's idempotency key: SHA-256(namespace ‖ action ‖ entity UUID ‖ ISN), first 16 bytes.
pub fn record_key(namespace: &str, action: &str, entity: Uuid, isn: Isn) -> Uuid {
    hashed_uuid(&[namespace.as_bytes(), action.as_bytes(), entity.as_bytes(), &isn.bytes()])
}

/// A payload's idempotency key (and the `Idempotency-Key` header): SHA-256(webhook UUID ‖ ISN).
pub fn payload_key(webhook: Uuid, isn: Isn) -> Uuid {
    hashed_uuid(&[webhook.as_bytes(), &isn.bytes()])
}

/// `active` or `disabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    Disabled,
}

/// One webhook of an app.
#[derive(Clone, Debug)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// In the order given.
    pub namespaces: Vec<String>,
    /// In the order given, each one of [`ACTIONS`].
    pub actions: Vec<String>,
    pub status: Status,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Events that ended `failed` since the last success (`--webhook-disable-after`).
    pub failed_in_a_row: u32,
}

impl Webhook {
    /// `webhook-row->response`.
    pub fn to_wire(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "sink": {"url": self.url},
            "namespaces": if self.namespaces.is_empty() { Value::Null } else { json!(self.namespaces) },
            "actions": self.actions,
            "status": match self.status { Status::Active => "active", Status::Disabled => "disabled" },
            "disabled_reason": self.disabled_reason,
            "created_at": iso_seconds(self.created_at),
            "updated_at": iso_seconds(self.updated_at),
        })
    }

    /// Whether `record` is one this webhook is subscribed to.
    pub fn wants(&self, record: &Record) -> bool {
        self.namespaces.contains(&record.namespace) && self.actions.iter().any(|a| a == record.action)
    }

    /// The duplicate test: same URL, same sets of namespaces and actions.
    pub fn same_as(&self, url: &str, namespaces: &[String], actions: &[String]) -> bool {
        let set = |items: &[String]| items.iter().cloned().collect::<BTreeSet<String>>();
        self.url == url && set(&self.namespaces) == set(namespaces) && set(&self.actions) == set(actions)
    }
}

/// `pending`, `processing`, `success`, `error` (a retry is due later) or `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventStatus {
    Pending,
    Processing,
    Success,
    Error,
    Failed,
}

impl EventStatus {
    pub fn name(self) -> &'static str {
        match self {
            EventStatus::Pending => "pending",
            EventStatus::Processing => "processing",
            EventStatus::Success => "success",
            EventStatus::Error => "error",
            EventStatus::Failed => "failed",
        }
    }
}

/// One delivery attempt (`WebhookAttempt`).
#[derive(Clone, Debug)]
pub struct Attempt {
    pub at_ms: i64,
    pub duration_ms: u64,
    pub success: bool,
    pub status_code: Option<u16>,
    pub response_text: Option<String>,
    pub error_type: Option<String>,
    pub error_message: Option<String>,
}

impl Attempt {
    /// Kebab keys on the wire; `attempt-at` with milliseconds, as `Instant.toString()` prints it.
    pub fn to_wire(&self) -> Value {
        json!({
            "attempt-at": iso_millis(self.at_ms),
            "duration-ms": self.duration_ms,
            "success?": self.success,
            "status-code": self.status_code,
            "response-text": self.response_text,
            "error-type": self.error_type,
            "error-message": self.error_message,
        })
    }
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ` (the fraction left out when it is zero, as Java does).
pub fn iso_millis(ms: i64) -> String {
    let seconds = iso_seconds(ms);
    let fraction = ms.rem_euclid(1000);
    if fraction == 0 {
        return seconds;
    }
    format!("{}.{fraction:03}Z", &seconds[..seconds.len() - 1])
}

/// One event: a (webhook, transaction) pair to deliver.
#[derive(Clone, Debug)]
pub struct Event {
    pub webhook_id: Uuid,
    pub isn: Isn,
    pub status: EventStatus,
    pub attempts: Vec<Attempt>,
    pub next_attempt_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every resend, so a task waiting for a retry of an earlier round lets go.
    pub round: u64,
    /// A delivery task is sending it right now (the server's `machine_id`).
    pub held: bool,
}

impl Event {
    /// `webhook-event-row->response`.
    pub fn to_wire(&self) -> Value {
        json!({
            "isn": self.isn.to_wire(),
            "status": self.status.name(),
            "attempts": if self.attempts.is_empty() { Value::Null } else { Value::Array(self.attempts.iter().map(Attempt::to_wire).collect()) },
            "next_attempt_after": self.next_attempt_after.map(iso_seconds),
            "created_at": iso_seconds(self.created_at),
            "updated_at": iso_seconds(self.updated_at),
        })
    }

    /// The events-page cursor: base64url (no padding) of epoch second BE ‖ nanos BE ‖ ISN bytes.
    pub fn cursor(&self) -> String {
        use base64::Engine;
        let mut bytes = Vec::with_capacity(24);
        bytes.extend_from_slice(&self.created_at.div_euclid(1000).to_be_bytes());
        bytes.extend_from_slice(&((self.created_at.rem_euclid(1000) * 1_000_000) as i32).to_be_bytes());
        bytes.extend_from_slice(&self.isn.bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The key events are listed by (newest first): created time in ns, then ISN.
    fn order_key(&self) -> (i128, Isn) {
        (i128::from(self.created_at) * 1_000_000, self.isn)
    }
}

/// Decodes a cursor into its order key; `None` if it is not one.
pub fn decode_cursor(text: &str) -> Option<(i128, Isn)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    if bytes.len() != 24 {
        return None;
    }
    let seconds = i64::from_be_bytes(bytes[..8].try_into().ok()?);
    let nanos = i32::from_be_bytes(bytes[8..12].try_into().ok()?);
    let slot = u32::from_be_bytes(bytes[12..16].try_into().ok()?);
    let lsn = u64::from_be_bytes(bytes[16..24].try_into().ok()?);
    Some((i128::from(seconds) * 1_000_000_000 + i128::from(nanos), Isn { slot, lsn }))
}

/// One changed entity of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub namespace: String,
    pub action: &'static str,
    pub id: Uuid,
    pub before: Option<Map<String, Value>>,
    pub after: Option<Map<String, Value>>,
}

impl Record {
    /// The payload form: `namespace, action, id, before, after, idempotencyKey`.
    pub fn to_wire(&self, isn: Isn) -> Value {
        json!({
            "namespace": self.namespace,
            "action": self.action,
            "id": self.id.to_string(),
            "before": self.before,
            "after": self.after,
            "idempotencyKey": record_key(&self.namespace, self.action, self.id, isn).to_string(),
        })
    }
}

/// Entities of one namespace: id → data attributes by label (`id` included).
type Entities = BTreeMap<Uuid, Map<String, Value>>;

/// The entities of `namespace` in `app` with their data (non-link) attributes.
fn entities(app: &App, namespace: &str) -> Entities {
    let mut out = Entities::new();
    let Some(id_attr) = app.attrs.fwd(namespace, "id") else { return out };
    let data: Vec<(Uuid, String)> =
        app.attrs.of_etype(namespace).filter(|a| !a.is_ref()).map(|a| (a.id, a.forward.label.clone())).collect();
    for entity in app.triples.entities_with(id_attr.id) {
        let mut fields = Map::new();
        for (attr, label) in &data {
            if let Some(stored) = app.triples.value(entity, *attr) {
                fields.insert(label.clone(), stored.value.clone());
            }
        }
        out.insert(entity, fields);
    }
    out
}

/// One app's webhooks, events and the data they are computed from.
#[derive(Clone, Debug, Default)]
pub struct Hooks {
    /// In creation order.
    pub webhooks: Vec<Webhook>,
    /// In creation order.
    pub events: Vec<Event>,
    /// The records of each transaction that changed a tracked namespace, by ISN.
    pub history: BTreeMap<Isn, Vec<Record>>,
    /// The last committed state of every tracked namespace.
    snapshot: BTreeMap<String, Entities>,
}

impl Hooks {
    pub fn webhook(&self, id: Uuid) -> Option<&Webhook> {
        self.webhooks.iter().find(|w| w.id == id)
    }

    pub fn webhook_mut(&mut self, id: Uuid) -> Option<&mut Webhook> {
        self.webhooks.iter_mut().find(|w| w.id == id)
    }

    pub fn event(&self, webhook: Uuid, isn: Isn) -> Option<&Event> {
        self.events.iter().find(|e| e.webhook_id == webhook && e.isn == isn)
    }

    pub fn event_mut(&mut self, webhook: Uuid, isn: Isn) -> Option<&mut Event> {
        self.events.iter_mut().find(|e| e.webhook_id == webhook && e.isn == isn)
    }

    /// Starts following `namespaces` (their current state becomes the snapshot).
    pub fn track(&mut self, app: &App, namespaces: &[String]) {
        for namespace in namespaces {
            if !self.snapshot.contains_key(namespace) {
                self.snapshot.insert(namespace.clone(), entities(app, namespace));
            }
        }
    }

    /// The records of webhook `webhook` for `isn` with its current namespaces and actions, in
    /// the server's order: creates and updates namespace by namespace, then deletes.
    pub fn payload(&self, webhook: &Webhook, isn: Isn) -> Option<Vec<Value>> {
        let records = self.history.get(&isn)?;
        let wanted = |r: &&Record| webhook.wants(r);
        let mut out: Vec<Value> = Vec::new();
        for namespace in &webhook.namespaces {
            out.extend(records.iter().filter(wanted).filter(|r| r.namespace == *namespace && r.action != "delete").map(|r| r.to_wire(isn)));
        }
        for namespace in &webhook.namespaces {
            out.extend(records.iter().filter(wanted).filter(|r| r.namespace == *namespace && r.action == "delete").map(|r| r.to_wire(isn)));
        }
        Some(out)
    }

    /// Events of `webhook`, newest first, after `cursor`, within the look-back window: one page
    /// and whether more follow.
    pub fn events_page(&self, webhook: Uuid, cursor: Option<(i128, Isn)>, now: i64) -> (Vec<&Event>, bool) {
        let mut events: Vec<&Event> =
            self.events.iter().filter(|e| e.webhook_id == webhook && e.created_at >= now - EVENTS_LOOKBACK_MS).collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.order_key()));
        if let Some(cursor) = cursor {
            events.retain(|e| e.order_key() < cursor);
        }
        let more = events.len() > EVENTS_PAGE;
        events.truncate(EVENTS_PAGE);
        (events, more)
    }
}

/// Every app's webhooks, plus the emulator-wide WAL position ISNs are drawn from.
#[derive(Clone, Debug)]
pub struct Registry {
    apps: HashMap<Uuid, Hooks>,
    lsn: u64,
}

impl Default for Registry {
    fn default() -> Self {
        // A start with a non-zero high half, so ISNs look like the server's (`0/328/5307A1A0`).
        Registry { apps: HashMap::new(), lsn: 0x1_0000_0000 }
    }
}

/// An event created by a commit, to hand to the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub app_id: Uuid,
    pub webhook_id: Uuid,
    pub isn: Isn,
}

impl Registry {
    /// The app's webhooks, if it ever had any.
    pub fn get(&self, app_id: Uuid) -> Option<&Hooks> {
        self.apps.get(&app_id)
    }

    /// The app's webhooks, created empty when absent.
    pub fn app_mut(&mut self, app_id: Uuid) -> &mut Hooks {
        self.apps.entry(app_id).or_default()
    }

    /// Forgets every app's webhooks (a reset).
    pub fn clear(&mut self) {
        self.apps.clear();
    }

    /// After a commit of `app` that changed `changed`: the records of the tracked namespaces, one
    /// ISN for them, and an event for every active webhook that wants one of them.
    pub fn committed(&mut self, app: &App, changed: &BTreeSet<String>, now: i64) -> Vec<NewEvent> {
        let Some(hooks) = self.apps.get_mut(&app.id) else { return Vec::new() };
        let mut records = Vec::new();
        let mut deletes = Vec::new();
        for namespace in changed {
            let Some(old) = hooks.snapshot.get_mut(namespace) else { continue };
            let new = entities(app, namespace);
            for (id, after) in &new {
                match old.get(id) {
                    None => records.push(Record {
                        namespace: namespace.clone(),
                        action: "create",
                        id: *id,
                        before: None,
                        after: Some(after.clone()),
                    }),
                    Some(before) if before != after => records.push(Record {
                        namespace: namespace.clone(),
                        action: "update",
                        id: *id,
                        before: Some(before.clone()),
                        after: Some(after.clone()),
                    }),
                    Some(_) => {}
                }
            }
            for (id, before) in old.iter() {
                if !new.contains_key(id) {
                    deletes.push(Record {
                        namespace: namespace.clone(),
                        action: "delete",
                        id: *id,
                        before: Some(before.clone()),
                        after: None,
                    });
                }
            }
            *old = new;
        }
        records.extend(deletes);
        if records.is_empty() {
            return Vec::new();
        }
        self.lsn += 0x40;
        let isn = Isn { slot: 0, lsn: self.lsn };
        let mut created = Vec::new();
        for webhook in &hooks.webhooks {
            if webhook.status == Status::Active && records.iter().any(|r| webhook.wants(r)) {
                hooks.events.push(Event {
                    webhook_id: webhook.id,
                    isn,
                    status: EventStatus::Pending,
                    attempts: Vec::new(),
                    next_attempt_after: None,
                    created_at: now,
                    updated_at: now,
                    round: 0,
                    held: false,
                });
                created.push(NewEvent { app_id: app.id, webhook_id: webhook.id, isn });
            }
        }
        hooks.history.insert(isn, records);
        created
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isns_round_trip_and_keys_are_stable() {
        let isn = Isn::parse("0/328/5307A1A0").unwrap();
        assert_eq!(isn, Isn { slot: 0, lsn: 0x328_5307_A1A0 });
        assert_eq!(isn.to_wire(), "0/328/5307A1A0");
        assert_eq!(Isn::parse("0/328"), None);
        assert_eq!(Isn::parse("0/328/123456789"), None);
        assert_eq!(Isn::parse("0/x/1"), None);
        let webhook = Uuid::nil();
        assert_eq!(payload_key(webhook, isn), payload_key(webhook, isn));
        assert_ne!(record_key("goals", "create", webhook, isn), record_key("goals", "update", webhook, isn));
        assert_eq!(iso_millis(1_000), "1970-01-01T00:00:01Z");
        assert_eq!(iso_millis(1_005), "1970-01-01T00:00:01.005Z");
    }

    #[test]
    fn cursors_decode_to_their_events_key() {
        let event = Event {
            webhook_id: Uuid::nil(),
            isn: Isn { slot: 0, lsn: 77 },
            status: EventStatus::Pending,
            attempts: Vec::new(),
            next_attempt_after: None,
            created_at: 1_700_000_000_123,
            updated_at: 0,
            round: 0,
            held: false,
        };
        assert_eq!(decode_cursor(&event.cursor()), Some(event.order_key()));
        assert_eq!(decode_cursor("nope"), None);
    }
}
