//! The native host: `serde_json` as the host's JSON, OS randomness and the mock's signal, for
//! tests and for the emulator, which share the models. Never compiled into the wasm.

pub mod mock;

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::http::{HttpRequest, Payload};
use crate::json::{JsonView, Kind};
use crate::Value;

/// Parsed JSON as the host holds it: here a [`Value`] (insertion-ordered, as a JS host keeps
/// object keys, so request bodies come out as the wasm build writes them).
pub type Json = Value;

/// Parses JSON text.
pub fn parse(text: &str) -> Option<Json> {
    serde_json::from_str(text).ok()
}

/// Host JSON → [`Value`].
pub fn to_value(json: &Json) -> Value {
    json.clone()
}

/// [`Value`] → host JSON.
pub fn from_value(value: &Value) -> Json {
    value.clone()
}

/// Its JSON text.
pub fn json_text(json: &Json) -> String {
    serde_json::to_string(json).unwrap_or_default()
}

/// Host JSON → the caller's type.
pub fn decode<T: serde::de::DeserializeOwned>(json: Json) -> Result<T> {
    serde_json::to_value(&json).and_then(serde_json::from_value).map_err(|e| {
        let mut message = String::from("the answer does not match the expected type: ");
        message.push_str(&e.to_string());
        Error::Decode { message }
    })
}

/// A request body as host JSON.
pub fn payload(body: &Payload) -> Json {
    parse(&body.to_json()).unwrap_or_default()
}

/// A request's JSON body as the host would send it.
///
/// ```
/// use instant_edge::{host, request, value, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = request::query(&config, None, &&value!({ "goals": {} }), None).unwrap();
/// assert_eq!(host::native::body_text(&req).as_deref(), Some(r#"{"query":{"goals":{}},"inference?":false}"#));
/// ```
pub fn body_text(request: &HttpRequest) -> Option<String> {
    request.body.as_ref().map(Payload::to_json)
}

/// `n` random bytes (`RandomState` is seeded from the OS: fine for tests, which is what the
/// native build is for).
#[cfg(feature = "platform")]
pub fn random_bytes(n: u32) -> Vec<u8> {
    (0..n).map(|_| (RandomState::new().build_hasher().finish() & 0xff) as u8).collect()
}

/// The SHA-256 digest of `bytes`.
#[cfg(feature = "platform")]
pub async fn sha256(bytes: &[u8]) -> Result<Vec<u8>> {
    use sha2::Digest;
    Ok(sha2::Sha256::digest(bytes).to_vec())
}

/// An imported webhook signing key: natively, its 32 bytes (checked to be a curve point).
#[cfg(feature = "webhooks")]
pub type WebhookKey = [u8; 32];

/// The imported webhook signing keys of the process, by `<apiURI>:<kid>`.
#[cfg(feature = "webhooks")]
static WEBHOOK_KEYS: std::sync::Mutex<Vec<(String, WebhookKey)>> = std::sync::Mutex::new(Vec::new());

/// The webhook key imported under `id` (`<apiURI>:<kid>`), if any.
#[cfg(feature = "webhooks")]
pub fn webhook_key(id: &str) -> Option<WebhookKey> {
    let keys = WEBHOOK_KEYS.lock().ok()?;
    keys.iter().find(|(key_id, _)| key_id == id).map(|(_, key)| *key)
}

/// Imports `key` under `id` for the life of the process: "Invalid webhook signing key" when
/// its bytes are not an Ed25519 point.
#[cfg(feature = "webhooks")]
pub async fn import_webhook_key(id: &str, key: &crate::webhooks::jwks::PublicKey) -> Result<WebhookKey> {
    ed25519_dalek::VerifyingKey::from_bytes(&key.bytes)
        .map_err(|_| Error::Webhook { message: crate::webhooks::messages::INVALID_KEY.into(), hint: Value::Null })?;
    if let Ok(mut keys) = WEBHOOK_KEYS.lock() {
        keys.retain(|(key_id, _)| key_id != id);
        keys.push((id.to_owned(), key.bytes));
    }
    Ok(key.bytes)
}

/// Whether `signature` is `key`'s Ed25519 signature (RFC 8032) of `message`.
#[cfg(feature = "webhooks")]
pub async fn verify_webhook(key: &WebhookKey, signature: &[u8; 64], message: &[u8]) -> bool {
    use ed25519_dalek::Verifier;
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(key) else { return false };
    key.verify(message, &ed25519_dalek::Signature::from_bytes(signature)).is_ok()
}

/// The wall clock: ms since the Unix epoch (expiries; the transport's clock is monotonic).
pub fn epoch_ms() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// A new random (v4) UUID: `RandomState` is seeded from the OS once per thread and differs per
/// call.
pub fn id() -> String {
    let mut bytes = [0u8; 16];
    for half in bytes.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(0);
        half.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    crate::uuid::v4_from_bytes(bytes)
}

impl JsonView for Value {
    fn kind(&self) -> Kind {
        (&self).kind()
    }

    fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.as_str().map(std::borrow::Cow::Borrowed)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        (&self).boolean()
    }

    fn items(&self) -> Vec<Value> {
        self.as_array().unwrap_or_default().to_vec()
    }

    fn entries(&self) -> Vec<(String, Value)> {
        self.as_object().unwrap_or_default().to_vec()
    }

    fn field(&self, key: &str) -> Option<Value> {
        self.get(key).cloned()
    }

    fn payload(&self) -> Payload {
        Payload::Value(self.clone())
    }
}

/// A cancellation flag standing in for `AbortSignal` in native tests.
///
/// ```
/// use instant_edge::host::Signal;
/// let signal = Signal::default();
/// signal.abort();
/// assert!(signal.aborted());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Signal(Rc<Cell<bool>>);

impl Signal {
    /// Fires the signal.
    pub fn abort(&self) {
        self.0.set(true);
    }

    /// Whether it fired.
    pub fn aborted(&self) -> bool {
        self.0.get()
    }
}

/// Fires a [`Signal`] (`AbortController` on wasm32).
#[derive(Clone, Debug, Default)]
pub struct Canceller(Signal);

impl Canceller {
    /// A fresh, unfired canceller.
    pub fn new() -> Canceller {
        Canceller::default()
    }

    /// Its signal.
    pub fn signal(&self) -> Signal {
        self.0.clone()
    }

    /// Fires the signal.
    pub fn cancel(&self) {
        self.0.abort();
    }
}
