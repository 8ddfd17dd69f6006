//! # instant-emulator
//!
//! A local, in-memory emulator of the InstantDB Admin HTTP API: same routes, headers, statuses,
//! error bodies, result shapes and ordering as the real server (`shared/spec/instant-admin-api.md`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use instant_emulator::{Config, Emulator};
//! let emulator = Emulator::new(Config::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("app id {}", emulator.default_app_id());
//! emulator.serve(listener).await?;
//! # Ok(()) }
//! ```
//!
//! ## Layout
//!
//! The library is the engine; [`http`] puts it behind the real server's routes. Bottom up, a
//! module imports only from its own line or the lines above it, and nothing outside [`http`]
//! imports from it (`cargo xtask test lint` fails on any import circle):
//!
//! - [`calendar`], [`cel`]: Gregorian date arithmetic; the CEL interpreter permission rules are
//!   written in (pure: it knows nothing of apps);
//! - [`values`]: value rules: JSON equality and ordering, the checked data types, dates, UUID
//!   coercion;
//! - [`caller`], [`error`]: who is asking (admin, a user or a guest of an app) and the API's
//!   errors, as domain types;
//! - [`ruleset`]: a rules document: validation, rule lookup, binds, programs compiled once;
//! - [`store`]: apps with their attribute catalog, triples, auth state, rules, objects and rooms;
//! - [`schema`], [`rules`], [`transact`], [`users`], [`storage`], [`query`], [`presence`]: what
//!   the data means: schemas, permission rules evaluated against the store, transactions (with
//!   their permission checks), users and tokens, files, InstaQL (view and field rules), presence
//!   answers;
//! - [`platform`]: the Platform side: Instant users, orgs, tokens and roles, each app's `apps`
//!   row, and who may manage which app;
//! - [`platform_schema`]: the Platform API's schema pushes: the API schema, the server's plan,
//!   applying steps and the background jobs they start;
//! - [`live`], [`streams`], [`faults`], [`request_log`], [`webhooks`]: the subscriptions to
//!   refresh after writes, the streams channel's sessions and in-memory streams, injected faults,
//!   the log of what reached the emulator, and the webhooks that committed writes are delivered to;
//! - [`http`]: routes, which derive a [`caller::Caller`] from the headers and render
//!   [`error::ApiError`]s as the server does.
#![forbid(unsafe_code)]

pub mod calendar;
pub mod caller;
pub mod cel;
pub mod error;
pub mod faults;
pub mod http;
pub mod live;
pub mod platform;
pub mod platform_schema;
pub mod presence;
pub mod query;
pub mod request_log;
pub mod rules;
pub mod ruleset;
pub mod schema;
pub mod storage;
pub mod store;
pub mod streams;
pub mod transact;
pub mod users;
pub mod values;
pub mod webhooks;

/// The `$users`/`$files` catalog, part of the store; kept at its former path too.
pub use store::system_catalog;

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use uuid::Uuid;

use crate::store::App;

/// Start-up settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Id of the default app (random when absent).
    pub app_id: Option<Uuid>,
    /// Admin token of the default app (random when absent).
    pub admin_token: Option<Uuid>,
    /// A schema (`i.schema(...)` JSON, platform spec §4.1) applied to the default app.
    pub schema: Option<Value>,
    /// A permission rules document (spec §9.2) for the default app, validated at start.
    pub rules: Option<Value>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How often an open `subscribe-query` stream gets a `:` keep-alive comment (spec §4.1:
    /// 15 s on the real server).
    pub sse_keepalive_ms: u64,
    /// Personal access tokens (`per_` + 64 lowercase hex digits, or legacy UUIDs) of the
    /// default Instant user, `dev@example.com`, valid from the start and after every reset.
    pub platform_tokens: Vec<String>,
    /// The Instant user (by email) who consents to every OAuth authorization request at once,
    /// so `/platform/oauth/start` redirects with a code without a consent page; also after
    /// every reset. `None` shows the local consent page.
    pub oauth_consent_email: Option<String>,
    /// Behaviours of the real server that are off by default (the fidelity switches); the
    /// control surface can change them while running, `/__emulator/reset` restores these.
    pub fidelity: Fidelity,
    /// Waits before each webhook delivery retry, in ms: the n-th failed attempt waits the n-th
    /// entry (the last one repeats). The real server waits 1 min, 5 min, 30 min, 2 h, 5 h, 10 h,
    /// then 12 h.
    pub webhook_retry_ms: Vec<u64>,
    /// Delivery attempts per event before it is `failed` (the real server: 11).
    pub webhook_max_attempts: u32,
    /// The time limit of one delivery attempt, in ms (the real server: 20 s).
    pub webhook_timeout_ms: u64,
    /// Disable a webhook once this many of its events in a row ended `failed` (0: never, as the
    /// real server, which disables only on a 410).
    pub webhook_disable_after: u32,
}

/// The default webhook retry schedule: short, for tests.
pub const DEFAULT_WEBHOOK_RETRY_MS: [u64; 3] = [200, 1_000, 5_000];

/// Fidelity switches: real-server behaviours the emulator imitates only when asked, because
/// they are known with medium confidence or only break the official clients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fidelity {
    /// `POST /superadmin/apps/:id/perms` answers `{"rules": null}` when the pushed rules equal
    /// the stored ones, as the server's upsert returns no row then (platform spec §3.8, §7
    /// item 7). Off: the unchanged row, `{"rules": {"app_id", "code", "version"}}`.
    pub identical_perms_null: bool,
}

impl Fidelity {
    /// The wire form of the control surface: `{"identical-perms-null": bool}`.
    pub fn to_wire(self) -> Value {
        serde_json::json!({"identical-perms-null": self.identical_perms_null})
    }

    /// `self` with the keys of `body` (a JSON object of booleans) applied; unknown keys and
    /// non-booleans are refused so a misspelt switch cannot silently do nothing.
    pub fn updated(self, body: &Value) -> Result<Fidelity, String> {
        let Some(fields) = body.as_object() else { return Err("the body must be a JSON object".into()) };
        let mut fidelity = self;
        for (key, value) in fields {
            let Some(on) = value.as_bool() else { return Err(format!("`{key}` must be a boolean")) };
            match key.as_str() {
                "identical-perms-null" => fidelity.identical_perms_null = on,
                other => return Err(format!("unknown fidelity switch `{other}`")),
            }
        }
        Ok(fidelity)
    }
}

/// The real server's SSE keep-alive interval (spec §4.1).
pub const DEFAULT_SSE_KEEPALIVE_MS: u64 = 15_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            app_id: None,
            admin_token: None,
            schema: None,
            rules: None,
            max_body_bytes: 64 * 1024 * 1024,
            sse_keepalive_ms: DEFAULT_SSE_KEEPALIVE_MS,
            platform_tokens: Vec::new(),
            oauth_consent_email: None,
            fidelity: Fidelity::default(),
            webhook_retry_ms: DEFAULT_WEBHOOK_RETRY_MS.to_vec(),
            webhook_max_attempts: DEFAULT_WEBHOOK_RETRY_MS.len() as u32 + 1,
            webhook_timeout_ms: 20_000,
            webhook_disable_after: 0,
        }
    }
}

/// The latest time the emulator's clock may reach: 9999-12-31T23:59:59.999Z.
pub const MAX_CLOCK_MS: i64 = 253_402_300_799_999;

/// Every app of this emulator plus the server-wide transaction counter and clock.
#[derive(Debug)]
pub struct Store {
    /// Apps by id.
    pub apps: HashMap<Uuid, App>,
    /// Instant users, orgs and tokens, and each app's `apps` row (the Platform API's view).
    pub platform: platform::Platform,
    /// Every app's webhooks, their events and the records those are computed from.
    pub webhooks: webhooks::Registry,
    last_tx_id: u64,
    last_tx_ms: i64,
    /// How far the emulator's clock runs ahead of the system's, so tests can expire magic codes
    /// and refill rate limits without waiting. Only ever grows, so time never runs backwards.
    clock_offset_ms: i64,
}

impl Store {
    fn new() -> Store {
        Store {
            apps: HashMap::new(),
            platform: platform::Platform::new(&platform::Seed::default(), 0),
            webhooks: webhooks::Registry::default(),
            last_tx_id: 0,
            last_tx_ms: 0,
            clock_offset_ms: 0,
        }
    }

    /// The emulator's now, ms since the epoch: system time plus the clock offset. Every time the
    /// emulator uses (transaction times, magic-code ages, rate-limit windows) comes from here.
    pub fn now_ms(&self) -> i64 {
        let system = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        system.saturating_add(self.clock_offset_ms)
    }

    /// Moves the emulator's clock forward by `ms`; `None` (and no change) if that would pass
    /// [`MAX_CLOCK_MS`], where date formatting and `tx + 1` arithmetic stay sound.
    pub fn advance_clock(&mut self, ms: u64) -> Option<i64> {
        let ms = i64::try_from(ms).ok()?;
        if self.now_ms().checked_add(ms)? > MAX_CLOCK_MS {
            return None;
        }
        self.clock_offset_ms += ms;
        Some(self.now_ms())
    }

    /// The id of the newest transaction (0 before the first): the `processed-tx-id` live
    /// queries report (spec §4.2).
    pub fn last_tx_id(&self) -> u64 {
        self.last_tx_id
    }

    /// The next transaction id and its start time. Ids strictly increase; times never repeat,
    /// so "created earlier" is always observable in the default order.
    pub fn next_tx(&mut self) -> (u64, i64) {
        self.last_tx_id += 1;
        self.last_tx_ms = self.now_ms().max(self.last_tx_ms + 1);
        (self.last_tx_id, self.last_tx_ms)
    }
}

/// A running emulator's state, cheap to clone and share with the HTTP layer.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    config: Config,
    default_app: (Uuid, Uuid),
    platform_seed: platform::Seed,
    live: live::Live,
    streams: streams::Streams,
    faults: Mutex<faults::Faults>,
    requests: Mutex<request_log::RequestLog>,
    fidelity: Mutex<Fidelity>,
    machine_id: Uuid,
    webhooks: webhooks::deliver::Sender,
}

/// The locked store. Releasing it hands the namespaces each app's writes changed to the live
/// queries ([`live::Live::changed`]) and to the app's webhooks ([`webhooks::Registry::committed`],
/// whose new events are then sent), so every committed write, whichever route made it,
/// refreshes the subscriptions that read what it touched and is delivered to the webhooks
/// that want it; a failed write changed only a copy and hands over nothing.
pub struct StoreGuard<'a> {
    store: MutexGuard<'a, Store>,
    emulator: &'a Emulator,
}

impl Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.store
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        let store: &mut Store = &mut self.store;
        let now = store.now_ms();
        let mut events = Vec::new();
        for app in store.apps.values_mut() {
            let changed = app.take_changes();
            if !changed.is_empty() {
                self.emulator.inner.live.changed(app.id, &changed);
                events.extend(store.webhooks.committed(app, &changed, now));
            }
        }
        for event in events {
            webhooks::deliver::spawn(self.emulator, event, 0);
        }
    }
}

/// The start-up rules, validated as the control surface validates them: a bad document stops
/// the emulator with every problem listed instead of failing requests later.
fn start_rules(document: &Value) -> Result<Arc<ruleset::Rules>, String> {
    let errors = ruleset::document::validation_errors(document);
    if !errors.is_empty() {
        let problems: Vec<String> =
            errors.iter().map(|e| format!("{} (at {})", e["message"].as_str().unwrap_or_default(), e["in"])).collect();
        return Err(format!("invalid rules: {}", problems.join("; ")));
    }
    Ok(Arc::new(ruleset::Rules::new(document.clone())))
}

/// The title the default app has on the Platform API.
const DEFAULT_APP_TITLE: &str = "Default app";

/// The platform state at start (and after a reset): the seeded users and tokens, and the
/// default app's row.
fn start_platform(seed: &platform::Seed, default_app: Uuid, now: i64) -> platform::Platform {
    let mut state = platform::Platform::new(seed, now);
    state.register_app(default_app, platform::AppMeta::unowned(DEFAULT_APP_TITLE, now));
    state
}

impl Emulator {
    /// Builds the emulator with its default app (and the start-up schema, if any).
    pub fn new(config: Config) -> Result<Emulator, String> {
        let app_id = config.app_id.unwrap_or_else(Uuid::new_v4);
        let admin_token = config.admin_token.unwrap_or_else(Uuid::new_v4);
        // The token itself stays out of the message: it is a secret, even when mistyped.
        if let Some(position) = config.platform_tokens.iter().position(|t| !platform::identity::is_personal_token_shape(t)) {
            return Err(format!("platform token #{} is neither `per_` + 64 lowercase hex digits nor a UUID", position + 1));
        }
        let oauth_consent_email = match &config.oauth_consent_email {
            None => None,
            Some(raw) => Some(users::coerce_email(raw).ok_or("the OAuth consent email is not an email address")?),
        };
        let platform_seed = platform::Seed { tokens: config.platform_tokens.clone(), oauth_consent_email, ..platform::Seed::default() };
        let mut store = Store::new();
        store.platform = start_platform(&platform_seed, app_id, store.now_ms());
        let mut app = App::new(app_id, admin_token);
        if let Some(schema) = &config.schema {
            let (_, now) = store.next_tx();
            schema::apply(&mut app, schema, now)?;
        }
        if let Some(rules) = &config.rules {
            app.rules = start_rules(rules)?;
        }
        store.apps.insert(app_id, app);
        // Changes made while building the app have no subscriber to tell.
        for app in store.apps.values_mut() {
            app.take_changes();
        }
        let sender = webhooks::deliver::Sender::new(
            config.webhook_retry_ms.clone(),
            config.webhook_max_attempts,
            config.webhook_timeout_ms,
            config.webhook_disable_after,
        );
        Ok(Emulator {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                fidelity: Mutex::new(config.fidelity),
                config,
                default_app: (app_id, admin_token),
                platform_seed,
                live: live::Live::default(),
                streams: streams::Streams::default(),
                faults: Mutex::new(faults::Faults::default()),
                requests: Mutex::new(request_log::RequestLog::default()),
                machine_id: Uuid::new_v4(),
                webhooks: sender,
            }),
        })
    }

    /// Id of the default app.
    pub fn default_app_id(&self) -> Uuid {
        self.inner.default_app.0
    }

    /// Admin token of the default app.
    pub fn default_admin_token(&self) -> Uuid {
        self.inner.default_app.1
    }

    /// The configuration it started with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Locks the store. A panic while holding the lock cannot corrupt it (every write goes to a
    /// copy first), so a poisoned lock is simply taken over.
    pub fn store(&self) -> StoreGuard<'_> {
        let store = self.inner.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        StoreGuard { store, emulator: self }
    }

    /// The webhook sender: signing key, origin, delivery log.
    pub fn webhook_sender(&self) -> &webhooks::deliver::Sender {
        &self.inner.webhooks
    }

    /// The open `subscribe-query` streams.
    pub fn live(&self) -> &live::Live {
        &self.inner.live
    }

    /// The streams channel's sessions and streams (`/admin/sse`, spec §4.3).
    pub fn streams(&self) -> &streams::Streams {
        &self.inner.streams
    }

    /// The armed faults (`/__emulator/faults`).
    pub fn faults(&self) -> MutexGuard<'_, faults::Faults> {
        self.inner.faults.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The log of requests that reached the emulator (`/__emulator/requests`). Every
    /// operation on it leaves it whole, so a poisoned lock is taken over.
    pub fn requests(&self) -> MutexGuard<'_, request_log::RequestLog> {
        self.inner.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The fidelity switches in force now: the configured ones, as changed through
    /// `/__emulator/fidelity` since the last reset.
    pub fn fidelity(&self) -> Fidelity {
        *self.inner.fidelity.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the fidelity switches in force (until the next reset).
    pub fn set_fidelity(&self, fidelity: Fidelity) {
        *self.inner.fidelity.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = fidelity;
    }

    /// This emulator's `machine-id` (spec §4.2 `sse-init`): one per process, as one server
    /// machine holds every session.
    pub fn machine_id(&self) -> Uuid {
        self.inner.machine_id
    }

    /// Drops every app (with its auth settings, rate-limit buckets and presence rooms) and
    /// recreates the default one as it was at start, forgets every Instant user, org, token and
    /// OAuth client but those the configuration gives (the OAuth consent user goes back to the
    /// configured one), drops every webhook with its events and the delivery log, disarms every
    /// fault, clears the request log and puts the fidelity switches back as configured; every
    /// stream of the streams channel is forgotten (its sessions stay open). Open subscriptions stay
    /// open and are refreshed with what they now see. The clock
    /// keeps its offset: time never runs backwards.
    pub fn reset(&self) -> Result<(), String> {
        let (app_id, admin_token) = self.inner.default_app;
        let mut app = App::new(app_id, admin_token);
        {
            let mut store = self.store();
            if let Some(schema) = &self.inner.config.schema {
                let (_, now) = store.next_tx();
                schema::apply(&mut app, schema, now)?;
            }
            if let Some(rules) = &self.inner.config.rules {
                app.rules = start_rules(rules)?;
            }
            store.apps.clear();
            store.webhooks.clear();
            store.apps.insert(app_id, app);
            store.platform = start_platform(&self.inner.platform_seed, app_id, store.now_ms());
        }
        self.faults().clear();
        self.requests().clear();
        self.webhook_sender().clear_log();
        self.set_fidelity(self.inner.config.fidelity);
        self.inner.streams.reset();
        self.inner.live.changed_all();
        Ok(())
    }

    /// The HTTP router (admin routes plus the `/__emulator/` control surface).
    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }

    /// Serves HTTP on `listener` until the process ends.
    ///
    /// The listener's address becomes the emulator's origin (`http://ADDR:PORT`, the base of
    /// webhook `payloadUrl`s) unless one was set before ([`Emulator::webhook_sender`]).
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        if let Ok(addr) = listener.local_addr() {
            let host = match addr.ip() {
                std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
                std::net::IpAddr::V4(ip) => ip.to_string(),
                std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            };
            self.webhook_sender().set_origin(&format!("http://{host}:{}", addr.port()), false);
        }
        axum::serve(listener, self.router()).await
    }
}
