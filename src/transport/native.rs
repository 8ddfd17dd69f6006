//! Native JSON codec (serde_json), clock-free randomness and the mock's signal: for tests and
//! for the emulator, which share the models. Never compiled into the wasm.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::Value;

/// Parsed JSON as the host holds it: here a `serde_json::Value`.
pub type Json = serde_json::Value;

/// JSON text of `value`.
pub fn stringify(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Parses JSON text.
pub fn parse(text: &str) -> Option<Json> {
    serde_json::from_str(text).ok()
}

/// Host JSON → [`Value`].
pub fn to_value(json: &Json) -> Result<Value> {
    serde_json::from_value(json.clone()).map_err(|e| Error::Decode { message: e.to_string() })
}

/// [`Value`] → host JSON.
pub fn from_value(value: &Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// `json[key]` (`null` when absent or not an object).
pub fn field(json: &Json, key: &str) -> Json {
    json.get(key).cloned().unwrap_or(Json::Null)
}

/// The items of a JSON array (empty for anything else).
pub fn to_array(json: &Json) -> Vec<Json> {
    json.as_array().cloned().unwrap_or_default()
}

/// Whether it is an array.
pub fn is_array(json: &Json) -> bool {
    json.is_array()
}

/// Whether it is a (non-array) object.
pub fn is_object(json: &Json) -> bool {
    json.is_object()
}

/// Its JSON text.
pub fn json_text(json: &Json) -> String {
    json.to_string()
}

/// Host JSON → the caller's type.
pub fn decode<T: serde::de::DeserializeOwned>(json: Json) -> Result<T> {
    serde_json::from_value(json).map_err(|e| {
        let mut message = String::from("the answer does not match the expected type: ");
        message.push_str(&e.to_string());
        Error::Decode { message }
    })
}

/// 16 random bytes: `RandomState` is seeded from the OS once per thread and differs per call.
pub fn random_bytes() -> [u8; 16] {
    let mut out = [0u8; 16];
    for half in out.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(0);
        half.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    out
}

/// A cancellation flag standing in for `AbortSignal` in native tests.
///
/// ```
/// use instant_edge::transport::Signal;
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

/// Natively the "host" is the test harness: a body it holds as bytes, either sized (a stand-in
/// for a `Blob`) or a one-shot stream of chunks (a stand-in for a `ReadableStream`).
///
/// ```
/// use instant_edge::transport::HostBody;
/// assert_eq!(HostBody::sized(b"abc".to_vec()).size(), Some(3));
/// assert_eq!(HostBody::stream(vec![b"ab".to_vec(), b"c".to_vec()]).size(), None);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HostBody {
    chunks: Rc<Vec<Vec<u8>>>,
    stream: bool,
}

impl HostBody {
    /// A sized body.
    pub fn sized(bytes: Vec<u8>) -> HostBody {
        HostBody { chunks: Rc::new(vec![bytes]), stream: false }
    }

    /// A stream of these chunks.
    pub fn stream(chunks: Vec<Vec<u8>>) -> HostBody {
        HostBody { chunks: Rc::new(chunks), stream: true }
    }

    /// The chunks, in order.
    pub fn chunks(&self) -> &[Vec<u8>] {
        &self.chunks
    }

    /// The size, unless it is a stream.
    pub fn size(&self) -> Option<u64> {
        (!self.stream).then(|| self.chunks.iter().map(|c| c.len() as u64).sum())
    }

    /// Whether it can be sent again (streams are read once).
    pub fn replayable(&self) -> bool {
        !self.stream
    }
}
