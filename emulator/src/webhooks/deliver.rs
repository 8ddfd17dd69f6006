//! Sending events (docs/webhooks.md §c): one tokio task per event round POSTs the signed body
//! to the webhook's URL, records each attempt on the event, and retries after a failure on the
//! configured schedule ([`crate::Config::webhook_retry_ms`]) until it succeeds, the sink answers
//! 410 (which also disables the webhook), or the attempts run out.
//!
//! Every attempt is also kept in a log the control surface shows
//! (`GET /__emulator/webhooks/deliveries`), and the number of tasks still working lets
//! `POST /__emulator/webhooks/flush` wait until nothing is in flight.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use uuid::Uuid;

use super::sign::Signer;
use super::{payload_key, Attempt, EventStatus, Isn, NewEvent, Status, GONE_REASON};
use crate::Emulator;

/// How long a payload JWT lives (`webhook-payload-jwt`: one hour).
pub const JWT_LIFETIME_S: i64 = 3600;

/// The most delivery attempts the log keeps (oldest dropped first).
const LOG_CAP: usize = 1000;

/// The `User-Agent` of every delivery.
pub const USER_AGENT: &str = "InstantDB Webhook Sender";

/// The sender's state: key, origin, HTTP client, attempt log and the count of working tasks.
pub struct Sender {
    signer: Signer,
    origin: Mutex<Option<String>>,
    client: reqwest::Client,
    log: Mutex<VecDeque<Value>>,
    busy: AtomicUsize,
    retry_ms: Vec<u64>,
    max_attempts: usize,
    disable_after: u32,
}

impl Sender {
    /// A sender with a fresh key; `timeout_ms` bounds each whole attempt (the server: 20 s).
    /// `disable_after` failed events in a row disable the webhook (0: never).
    pub fn new(retry_ms: Vec<u64>, max_attempts: u32, timeout_ms: u64, disable_after: u32) -> Sender {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(timeout_ms.max(1)))
            .user_agent(USER_AGENT)
            .build()
            .unwrap_or_default();
        Sender {
            signer: Signer::new(),
            origin: Mutex::new(None),
            client,
            log: Mutex::new(VecDeque::new()),
            busy: AtomicUsize::new(0),
            retry_ms: if retry_ms.is_empty() { vec![0] } else { retry_ms },
            max_attempts: max_attempts.max(1) as usize,
            disable_after,
        }
    }

    /// The signing key.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The emulator's own origin (`config/server-origin`): `payloadUrl`'s and `iss`'s base.
    pub fn origin(&self) -> String {
        self.origin.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_else(|| "http://localhost:8888".into())
    }

    /// Sets the origin (`replace`), or only when none is known yet.
    pub fn set_origin(&self, origin: &str, replace: bool) {
        let mut current = self.origin.lock().unwrap_or_else(|p| p.into_inner());
        if replace || current.is_none() {
            *current = Some(origin.trim_end_matches('/').to_owned());
        }
    }

    fn log(&self) -> MutexGuard<'_, VecDeque<Value>> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every logged attempt (of `app_id` only, when given), oldest first.
    pub fn deliveries(&self, app_id: Option<Uuid>) -> Vec<Value> {
        let app = app_id.map(|a| a.to_string());
        self.log().iter().filter(|d| app.as_deref().is_none_or(|a| d["app-id"] == a)).cloned().collect()
    }

    /// Forgets the attempt log.
    pub fn clear_log(&self) {
        self.log().clear();
    }

    /// Delivery tasks still working (sending, or waiting for a retry).
    pub fn in_flight(&self) -> usize {
        self.busy.load(Ordering::SeqCst)
    }

    /// Waits until no task is working, at most `timeout`; whether it got there.
    pub async fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.in_flight() > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// How long to wait before the retry that follows `previous` earlier attempts.
    fn delay_ms(&self, previous: usize) -> u64 {
        self.retry_ms[previous.min(self.retry_ms.len() - 1)]
    }
}

/// Starts delivering `event` (round `round`) on the current tokio runtime. Outside one (an
/// emulator driven without a server) the event stays `pending`.
pub fn spawn(emulator: &Emulator, event: NewEvent, round: u64) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let sender = emulator.webhook_sender();
    sender.busy.fetch_add(1, Ordering::SeqCst);
    let emulator = emulator.clone();
    runtime.spawn(async move {
        run(&emulator, event, round).await;
        emulator.webhook_sender().busy.fetch_sub(1, Ordering::SeqCst);
    });
}

/// What a claim finds.
enum Claim {
    /// Send to this URL.
    Send(String),
    /// The webhook is not active (or gone): record a `disabled` attempt.
    Disabled,
}

/// Takes the event for one attempt: it must still be in `round`, waiting (`pending` or
/// `error`) and not held by another task.
fn claim(emulator: &Emulator, event: NewEvent, round: u64) -> Option<(Claim, i64)> {
    let mut store = emulator.store();
    let now = store.now_ms();
    let hooks = store.webhooks.app_mut(event.app_id);
    let target = match hooks.webhook(event.webhook_id) {
        Some(w) if w.status == Status::Active => Claim::Send(w.url.clone()),
        _ => Claim::Disabled,
    };
    let stored = hooks.event_mut(event.webhook_id, event.isn)?;
    if stored.round != round || stored.held || !matches!(stored.status, EventStatus::Pending | EventStatus::Error) {
        return None;
    }
    stored.status = EventStatus::Processing;
    stored.held = true;
    stored.updated_at = now;
    Some((target, now))
}

/// The body, exactly as the server writes it.
pub fn body(payload_url: &str, token: &str) -> String {
    format!("{{\"payloadUrl\":{},\"token\":{}}}", Value::from(payload_url), Value::from(token))
}

/// The payload JWT's claims (`webhook-payload-jwt`).
pub fn jwt_claims(origin: &str, app_id: Uuid, webhook_id: Uuid, isn: Isn, now_ms: i64) -> Value {
    json!({
        "iss": origin,
        "sub": app_id.to_string(),
        "app-id": app_id.to_string(),
        "exp": now_ms.div_euclid(1000) + JWT_LIFETIME_S,
        "isn": isn.to_wire(),
        "webhook-id": webhook_id.to_string(),
    })
}

async fn run(emulator: &Emulator, event: NewEvent, round: u64) {
    let sender = emulator.webhook_sender();
    loop {
        let Some((target, now)) = claim(emulator, event, round) else { return };
        let attempt = match target {
            Claim::Disabled => Attempt {
                at_ms: now,
                duration_ms: 0,
                success: false,
                status_code: None,
                response_text: None,
                error_type: Some("disabled".into()),
                error_message: Some("Webhook is disabled.".into()),
            },
            Claim::Send(url) => send(emulator, sender, event, &url, now).await,
        };
        let Some(delay) = record(emulator, sender, event, attempt) else { return };
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
}

/// One POST; every attempt is logged.
async fn send(emulator: &Emulator, sender: &Sender, event: NewEvent, url: &str, now: i64) -> Attempt {
    let origin = sender.origin();
    let isn = event.isn.to_wire();
    let payload_url = format!("{origin}/webhooks/payload/{}/{}/{isn}", event.app_id, event.webhook_id);
    let token = sender.signer.jwt(&jwt_claims(&origin, event.app_id, event.webhook_id, event.isn, now));
    let body = body(&payload_url, &token);
    let t = now.div_euclid(1000);
    let headers = [
        ("User-Agent", USER_AGENT.to_owned()),
        ("Instant-Signature", sender.signer.signature_header(t, body.as_bytes())),
        ("Idempotency-Key", payload_key(event.webhook_id, event.isn).to_string()),
        ("Content-Type", "application/json; charset=utf-8".to_owned()),
    ];
    let mut request = sender.client.post(url).body(body.clone());
    for (name, value) in &headers {
        request = request.header(*name, value);
    }
    let started = Instant::now();
    let result = request.send().await;
    let (status_code, response_text, error) = match result {
        Ok(response) => {
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).into_owned();
            (Some(status), Some(text), None)
        }
        Err(e) => (None, None, Some(classify(&e, url))),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    let success = status_code.is_some_and(|s| (200..300).contains(&s));
    let (error_type, error_message) = match error {
        Some((kind, message)) => (Some(kind.to_owned()), Some(message.to_owned())),
        None => (None, None),
    };
    let attempts_before = {
        let store = emulator.store();
        store.webhooks.get(event.app_id).and_then(|h| h.event(event.webhook_id, event.isn)).map_or(0, |e| e.attempts.len())
    };
    let logged = json!({
        "app-id": event.app_id.to_string(),
        "webhook-id": event.webhook_id.to_string(),
        "isn": isn,
        "attempt": attempts_before + 1,
        "at": super::iso_millis(now),
        "url": url,
        "method": "POST",
        "headers": headers.iter().map(|(n, v)| (n.to_string(), Value::from(v.as_str()))).collect::<serde_json::Map<String, Value>>(),
        "body": body,
        "status": status_code,
        "success": success,
        "response-text": response_text,
        "error-type": error_type,
        "error-message": error_message,
        "duration-ms": duration_ms,
    });
    {
        let mut log = sender.log();
        if log.len() >= LOG_CAP {
            log.pop_front();
        }
        log.push_back(logged);
    }
    Attempt { at_ms: now, duration_ms, success, status_code, response_text, error_type, error_message }
}

/// `classify-throwable`: the error type and message of a failed request.
fn classify(error: &reqwest::Error, url: &str) -> (&'static str, &'static str) {
    if error.is_timeout() {
        ("timeout", "Request timed out.")
    } else if url.starts_with("https:") && (error.is_builder() || error.is_connect()) {
        // The emulator is built without TLS: an https sink cannot be reached.
        ("tls", "TLS handshake failed.")
    } else if error.is_connect() {
        ("connect", "Could not connect to server.")
    } else if error.is_builder() {
        ("dns", "Could not resolve hostname.")
    } else if error.is_request() || error.is_body() || error.is_decode() {
        ("protocol", "Invalid HTTP response.")
    } else {
        ("unknown", "Unknown error.")
    }
}

/// Why `--webhook-disable-after` disabled a webhook.
fn failures_reason(count: u32) -> String {
    format!("Disabled after {count} failed events in a row.")
}

/// `record-attempt!`: appends the attempt and sets the event's status; a 410 disables the
/// webhook. The delay before the next attempt when one is due.
fn record(emulator: &Emulator, sender: &Sender, event: NewEvent, attempt: Attempt) -> Option<u64> {
    let mut store = emulator.store();
    let now = store.now_ms();
    let hooks = store.webhooks.app_mut(event.app_id);
    let gone = attempt.status_code == Some(410);
    if gone {
        if let Some(webhook) = hooks.webhook_mut(event.webhook_id) {
            webhook.status = Status::Disabled;
            webhook.disabled_reason = Some(GONE_REASON.into());
            webhook.updated_at = now;
        }
    }
    let stored = hooks.event_mut(event.webhook_id, event.isn)?;
    let (success, disabled) = (attempt.success, attempt.error_type.as_deref() == Some("disabled"));
    stored.attempts.push(attempt);
    stored.held = false;
    stored.updated_at = now;
    stored.next_attempt_after = None;
    if success {
        stored.status = EventStatus::Success;
        if let Some(webhook) = hooks.webhook_mut(event.webhook_id) {
            webhook.failed_in_a_row = 0;
        }
        return None;
    }
    if gone || disabled || stored.attempts.len() >= sender.max_attempts {
        stored.status = EventStatus::Failed;
        // `--webhook-disable-after N`: N failed events in a row disable the webhook, with why.
        if let Some(webhook) = hooks.webhook_mut(event.webhook_id) {
            webhook.failed_in_a_row += 1;
            if sender.disable_after > 0 && webhook.failed_in_a_row >= sender.disable_after && webhook.status == Status::Active {
                webhook.status = Status::Disabled;
                webhook.disabled_reason = Some(failures_reason(webhook.failed_in_a_row));
                webhook.updated_at = now;
            }
        }
        return None;
    }
    let delay = sender.delay_ms(stored.attempts.len() - 1);
    stored.status = EventStatus::Error;
    stored.next_attempt_after = Some(now + delay as i64);
    Some(delay)
}
