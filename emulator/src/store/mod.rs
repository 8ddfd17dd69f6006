//! The data store of one emulated server: apps, their attributes and their triples (spec §5.1).
//!
//! Everything here is plain in-memory data. An [`App`] is `Clone` so a transaction can run on a
//! copy and be swapped in only when every step succeeded (atomicity, spec §6.8).
//!
//! The store is the bottom of the engine (it imports only [`crate::values`]); the modules that
//! give the data meaning (queries, transactions, users, storage, presence) build on it. By job:
//!
//! - `attrs`: the attribute catalog ([`Attr`], [`Ident`], [`ValueType`], [`InferredTypes`],
//!   [`Attrs`], [`DeletedAttr`]);
//! - `triples`: the data and its indexes ([`Triples`], [`Stored`], [`ref_target`]);
//! - [`system_catalog`]: the system attributes every app starts with (`$users`, `$files`,
//!   `$streams`, the auth and OAuth tables) and the names they reserve;
//! - `auth`: auth settings, magic-code rate limits and the outbox;
//! - `objects`: uploaded file contents ([`Objects`]; routes and `$files` rows in
//!   [`crate::storage`]);
//! - `rooms`: seeded presence rooms ([`Rooms`]; answers in [`crate::presence`]);
//! - `jobs`: background schema jobs ([`IndexingJobs`]; run by [`crate::platform_schema`]);
//! - here: [`App`], one app holding all of the above, and [`Changes`], what its writes touched.
//!
//! Every item is re-exported here, so paths are `crate::store::Attr` whichever file holds it.

mod attrs;
mod auth;
mod jobs;
mod objects;
mod rooms;
pub mod system_catalog;
mod triples;

use std::collections::BTreeSet;

use serde_json::{json, Value};
use uuid::Uuid;

pub use self::attrs::{Attr, Attrs, DeletedAttr, Ident, InferredTypes, ValueType};
pub use self::auth::{
    AuthSettings, OutboxMessage, RateLimitKind, RateLimits, TestUser, DEFAULT_MAGIC_CODE_EXPIRY_MINUTES,
    DEFAULT_MAGIC_CODE_RATE_LIMIT_PER_HOUR,
};
pub use self::jobs::{IndexingJob, IndexingJobs, JobStatus, JobType};
pub use self::objects::{Objects, StoredObject};
pub use self::rooms::{Peer, Rooms};
pub use self::triples::{ref_target, Stored, Triples};
/// The enforced type of an attribute; a value rule, so it lives in [`crate::values`].
pub use crate::values::DataType;

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
    /// The permission rules (spec §9.2), set through the control surface and compiled once per
    /// document; an empty document means "no rules". Shared by the copies a write makes.
    pub rules: std::sync::Arc<crate::ruleset::Rules>,
    /// Uploaded file contents by location-id: the emulator's object storage (spec §8.1).
    pub objects: Objects,
    /// Presence rooms seeded through the control surface (spec §3.7).
    pub rooms: Rooms,
    /// Background schema jobs created by schema pushes (platform spec §4.8).
    pub indexing_jobs: IndexingJobs,
}

impl App {
    /// A fresh app holding only the system catalog.
    pub fn new(id: Uuid, admin_token: Uuid) -> App {
        let mut attrs = Attrs::default();
        for attr in system_catalog::attrs() {
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
            rules: std::sync::Arc::new(crate::ruleset::Rules::new(json!({}))),
            objects: Objects::default(),
            rooms: Rooms::default(),
            indexing_jobs: IndexingJobs::default(),
        }
    }

    /// The namespaces changed since the last call (see [`Changes`]), leaving none noted.
    pub fn take_changes(&mut self) -> BTreeSet<String> {
        let mut changed = self.triples.take_changes();
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
