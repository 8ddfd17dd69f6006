//! `db.webhooks()`: the receiver (check a delivery's signature, fetch its records, hand them to
//! handlers) and [`Manager`] (`db.webhooks().manager()`: create, list, change, delete webhooks
//! and read their events), over the pure steps of [`crate::webhooks`]. The signing keys are
//! fetched from the API base's key set and kept per (API base, kid) for the life of the process.

use crate::prelude::*;
use core::future::Future;
use core::pin::Pin;
use serde::Deserialize;

use super::{CallOptions, Instant};
use crate::error::{Error, Result};
use crate::host::{self, Json, Transport, WebhookKey};
use crate::http::HttpRequest;
use crate::json::JsonView;
use crate::webhooks::{body, error, jwks, messages, signature};
pub use crate::webhooks::{
    dispatch, manager as requests, VerifyOptions, WebhookAttempt, WebhookBody, WebhookEventInfo, WebhookEventsPage, WebhookInfo,
    WebhookPageInfo, WebhookPayload, WebhookRecord, WebhookSink, DEFAULT_TOLERANCE,
};
use crate::Value;

/// `db.webhooks()`.
///
/// ```no_run
/// # async fn run(db: instant_edge::Instant, header: &str, raw_body: &str) -> instant_edge::Result<()> {
/// use instant_edge::webhooks::VerifyOptions;
/// // In the handler of the sink URL: the `Instant-Signature` header and the raw body.
/// let body = db.webhooks().verify(header, raw_body, &VerifyOptions::default()).await?;
/// let payload = db.webhooks().fetch_payloads(&body).await?;
/// for record in &payload.data {
///     println!("{} {} {}", record.namespace, record.action, record.id);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Webhooks<'a, T: Transport> {
    db: &'a Instant<T>,
}

/// `db.webhooks().manager()`: needs the admin token.
///
/// ```no_run
/// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
/// use instant_edge::value;
/// let manager = db.webhooks().manager();
/// let hook = manager.create(&value!({ "url": "https://example.com/instant", "namespaces": ["posts"], "actions": ["create", "update"] })).await?;
/// let page = manager.list_events(&hook.id, None).await?;
/// manager.disable(&hook.id, Some("maintenance")).await?;
/// # let _ = page; Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Manager<'a, T: Transport> {
    db: &'a Instant<T>,
}

impl<T: Transport> Instant<T> {
    /// Webhook calls.
    pub fn webhooks(&self) -> Webhooks<'_, T> {
        Webhooks { db: self }
    }
}

#[derive(Deserialize)]
struct Webhook {
    webhook: WebhookInfo,
}

#[derive(Deserialize)]
struct List {
    #[serde(default)]
    webhooks: Option<Vec<WebhookInfo>>,
}

#[derive(Deserialize)]
struct Event {
    event: WebhookEventInfo,
}

/// A handler's future.
pub type HandlerFuture<'h> = Pin<Box<dyn Future<Output = Result<()>> + 'h>>;

/// A record handler.
pub type Handler<'h> = Box<dyn Fn(&WebhookRecord) -> HandlerFuture<'h> + 'h>;

/// Handlers by namespace and action (`$default` for any), as `processPayload` takes them.
///
/// ```
/// use instant_edge::client::webhooks::Handlers;
/// let handlers = Handlers::new()
///     .on("posts", "create", |record| { let id = record.id.clone(); Box::pin(async move { println!("new post {id}"); Ok(()) }) })
///     .on("$default", "$default", |_| Box::pin(async { Ok(()) }));
/// assert!(handlers.handler_for("posts", "create").is_some());
/// assert!(handlers.handler_for("tags", "delete").is_some());
/// ```
#[derive(Default)]
pub struct Handlers<'h> {
    entries: Vec<(Option<String>, String, Handler<'h>)>,
}

impl<'h> Handlers<'h> {
    /// No handlers.
    pub fn new() -> Handlers<'h> {
        Handlers { entries: Vec::new() }
    }

    /// Handles `action` (or `$default`) records of `namespace`; a `namespace` of `$default`
    /// handles every record no other handler takes (`typedHandlers('$default', fn)`). A later
    /// handler for the same key replaces the earlier one (`combineHandlers`).
    pub fn on(mut self, namespace: &str, action: &str, handler: impl Fn(&WebhookRecord) -> HandlerFuture<'h> + 'h) -> Handlers<'h> {
        let namespace = (namespace != dispatch::DEFAULT).then(|| namespace.to_owned());
        let action = if namespace.is_none() { dispatch::DEFAULT } else { action };
        self.entries.retain(|(ns, act, _)| !(ns == &namespace && act == action));
        self.entries.push((namespace, action.to_owned(), Box::new(handler)));
        self
    }

    /// The handler of a record, in the official order (see [`dispatch::lookup_order`]).
    pub fn handler_for(&self, namespace: &str, action: &str) -> Option<&Handler<'h>> {
        dispatch::lookup_order(namespace, action)
            .into_iter()
            .find_map(|(ns, act)| self.entries.iter().find(|(n, a, _)| n.as_deref() == ns && a == act).map(|(_, _, handler)| handler))
    }
}

impl<'a, T: Transport> Webhooks<'a, T> {
    /// The manager.
    pub fn manager(&self) -> Manager<'a, T> {
        Manager { db: self.db }
    }

    /// `fetchJwks()`: the API base's key set, as the host parsed it.
    pub async fn fetch_jwks(&self) -> Result<Json> {
        self.db.call(requests::jwks_request(self.db.config()), &CallOptions::default()).await
    }

    /// `keyOfKid(kid)`: the imported key with this id, from the process's cache, else the
    /// pinned production key (only for Instant Cloud's base, see [`jwks::PRODUCTION_KEY`]),
    /// else the key set, fetched on every miss (as there: misses are not cached).
    pub async fn signing_key(&self, kid: &str) -> Result<WebhookKey> {
        let mut id = String::from(self.db.config().api_uri());
        id.push(':');
        id.push_str(kid);
        if let Some(key) = host::webhook_key(&id) {
            return Ok(key);
        }
        let key = match jwks::pinned_key(self.db.config().api_uri(), kid) {
            Some(key) => key,
            None => jwks::select_key(&self.fetch_jwks().await?, kid)?,
        };
        host::import_webhook_key(&id, &key).await
    }

    /// `validate(header, body, opts)`: checks a delivery and returns its body. In order, as
    /// the official client: the header ([`signature::parse_header`]), its age
    /// ([`signature::check_age`]), the key ([`Webhooks::signing_key`]), then the Ed25519
    /// signature of `t.body`, then the body's shape ([`body::check_body`]). Errors are
    /// [`Error::Webhook`] with the official messages.
    pub async fn verify(&self, header: &str, body: &str, opts: &VerifyOptions) -> Result<WebhookBody> {
        self.verify_with(header, async { Ok(body.to_owned()) }, opts).await
    }

    /// [`Webhooks::verify`] with the body read only once the header and the key passed (a
    /// request's body, say): `body` is awaited then.
    pub async fn verify_with(&self, header: &str, body: impl Future<Output = Result<String>>, opts: &VerifyOptions) -> Result<WebhookBody> {
        let parsed = signature::parse_header(header)?;
        let received_at = opts.received_at_ms.unwrap_or_else(host::epoch_ms);
        signature::check_age(parsed.seconds, received_at, opts.tolerance.unwrap_or(DEFAULT_TOLERANCE))?;
        let key = self.signing_key(&parsed.kid).await?;
        let text = body.await?;
        let signature = signature::signature_bytes(&parsed.v1, header)?;
        if !host::verify_webhook(&key, &signature, &signature::signed_bytes(&parsed.t, &text)).await {
            return Err(signature::not_valid(header));
        }
        body::check_body(&text)
    }

    /// `validateRequest(req, opts)`: [`Webhooks::verify_with`] for a request whose
    /// `Instant-Signature` header is `header` ("Request is missing Instant-Signature header"
    /// when it is `None` or empty).
    ///
    /// ```no_run
    /// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
    /// # let (header, raw): (Option<&str>, String) = (None, String::new());
    /// use instant_edge::webhooks::VerifyOptions;
    /// let body = db.webhooks().verify_request(header, async { Ok(raw) }, &VerifyOptions::default()).await?;
    /// # let _ = body; Ok(()) }
    /// ```
    pub async fn verify_request(
        &self,
        header: Option<&str>,
        body: impl Future<Output = Result<String>>,
        opts: &VerifyOptions,
    ) -> Result<WebhookBody> {
        match header.filter(|header| !header.is_empty()) {
            Some(header) => self.verify_with(header, body, opts).await,
            None => Err(error(messages::MISSING_HEADER, [])),
        }
    }

    /// `fetchPayloads(body)`: the delivery's records, fetched with its JWT.
    pub async fn fetch_payloads(&self, body: &WebhookBody) -> Result<WebhookPayload> {
        host::decode(self.fetch_payloads_json(body).await?)
    }

    /// [`Webhooks::fetch_payloads`] as the host parsed it.
    pub async fn fetch_payloads_json(&self, body: &WebhookBody) -> Result<Json> {
        self.db.call(requests::payload_request(body)?, &CallOptions::default()).await
    }

    /// `processPayload(handlers, payload)`: each record to its handler (see
    /// [`Handlers::handler_for`]), in order; records no handler takes are skipped. The
    /// handlers run one after another and the first error stops the rest (the official client
    /// starts them all, then waits for all; Rust has no executor to start them on).
    pub async fn process_payload(&self, handlers: &Handlers<'_>, payload: &WebhookPayload) -> Result<()> {
        for record in &payload.data {
            if let Some(handler) = handlers.handler_for(&record.namespace, &record.action) {
                handler(record).await?;
            }
        }
        Ok(())
    }

    /// `processRequest(handlers, req, opts)`: [`Webhooks::verify_request`], then
    /// [`Webhooks::fetch_payloads`], then [`Webhooks::process_payload`].
    pub async fn process_request(
        &self,
        handlers: &Handlers<'_>,
        header: Option<&str>,
        body: impl Future<Output = Result<String>>,
        opts: &VerifyOptions,
    ) -> Result<()> {
        let body = self.verify_request(header, body, opts).await?;
        let payload = self.fetch_payloads(&body).await?;
        self.process_payload(handlers, &payload).await
    }
}

impl<T: Transport> Manager<'_, T> {
    async fn send<R: serde::de::DeserializeOwned>(&self, request: Result<HttpRequest>) -> Result<R> {
        host::decode(self.db.call(request?, &CallOptions::default()).await?)
    }

    /// `list()`: every webhook of the app, newest first.
    pub async fn list(&self) -> Result<Vec<WebhookInfo>> {
        Ok(self.send::<List>(requests::list_request(self.db.config())).await?.webhooks.unwrap_or_default())
    }

    /// `create({url, namespaces, actions})`: `params` is sent as given.
    pub async fn create(&self, params: &Value) -> Result<WebhookInfo> {
        Ok(self.send::<Webhook>(requests::create_request(self.db.config(), &params)).await?.webhook)
    }

    /// `update(id, {url?, namespaces?, actions?})`: only the keys given change.
    pub async fn update(&self, id: &str, params: &Value) -> Result<WebhookInfo> {
        Ok(self.send::<Webhook>(requests::update_request(self.db.config(), id, &params)).await?.webhook)
    }

    /// `delete(id)`: the webhook as it was.
    pub async fn delete(&self, id: &str) -> Result<WebhookInfo> {
        Ok(self.send::<Webhook>(requests::delete_request(self.db.config(), id)).await?.webhook)
    }

    /// `enable(id)`.
    pub async fn enable(&self, id: &str) -> Result<WebhookInfo> {
        Ok(self.send::<Webhook>(requests::enable_request(self.db.config(), id)).await?.webhook)
    }

    /// `disable(id, {reason})` (an empty reason is none).
    pub async fn disable(&self, id: &str, reason: Option<&str>) -> Result<WebhookInfo> {
        let reason = reason.filter(|reason| !reason.is_empty()).map(Value::from);
        Ok(self.send::<Webhook>(requests::disable_request(self.db.config(), id, reason.as_ref().as_ref())).await?.webhook)
    }

    /// `listEvents(id, {after})`: a page of events, newest first; `after` is the previous
    /// page's `page_info.end_cursor`.
    pub async fn list_events(&self, id: &str, after: Option<&str>) -> Result<WebhookEventsPage> {
        self.send(requests::list_events_request(self.db.config(), id, after)).await
    }

    /// `getEvent(id, isn)`.
    pub async fn get_event(&self, id: &str, isn: &str) -> Result<WebhookEventInfo> {
        Ok(self.send::<Event>(requests::get_event_request(self.db.config(), id, isn)).await?.event)
    }

    /// `resendEvent(id, isn)`: queues the event again.
    pub async fn resend_event(&self, id: &str, isn: &str) -> Result<WebhookEventInfo> {
        Ok(self.send::<Event>(requests::resend_event_request(self.db.config(), id, isn)).await?.event)
    }

    /// `getPayload(id, isn)`: the event's records, with the admin token.
    pub async fn get_payload(&self, id: &str, isn: &str) -> Result<WebhookPayload> {
        self.send(requests::get_payload_request(self.db.config(), id, isn)).await
    }
}

/// Reads a [`WebhookBody`] from host JSON (`{payloadUrl, token}`), for `fetchPayloads` callers
/// holding the object.
pub fn body_of<J: JsonView>(json: &J) -> Result<WebhookBody> {
    let field = |name: &str| json.field(name).and_then(|value| value.text().map(|text| text.into_owned()));
    match (field("payloadUrl"), field("token")) {
        (Some(payload_url), Some(token)) => Ok(WebhookBody { payload_url, token }),
        _ => Err(Error::invalid("body", "must be { payloadUrl, token } with string values")),
    }
}
