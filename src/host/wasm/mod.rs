//! The wasm32 host: `fetch`, cancellation, timers, JSON and randomness through the JS helpers in
//! `host.js` (each written once; the wasm carries one binding per helper), and the host's JSON
//! as a [`JsonView`].

use crate::prelude::*;
use alloc::borrow::Cow;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{CallControl, ChunkReader, Opened, Task, Transport};
use crate::error::{Error, Result};
use crate::http::{HostValue, HttpRequest, HttpResponse, Payload, Reply, TransportError, UploadSource};
use crate::json::{JsonView, Kind};
use crate::Value;

mod upload;

/// talc instead of dlmalloc (see Cargo.toml): the same `GlobalAlloc`, in fewer bytes. Memory
/// grows from the host's `memory.grow` as with dlmalloc.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(module = "/src/host/wasm/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = messageOf)]
    fn message_of_js(error: &JsValue) -> String;
    #[wasm_bindgen(catch, js_name = jsonText)]
    fn json_text_of(value: &JsValue) -> core::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = kindOf)]
    fn kind_of(value: &JsValue) -> u32;
    #[wasm_bindgen(js_name = entries)]
    fn flat_entries(object: &JsValue) -> Array;

    #[wasm_bindgen(js_name = headersFor)]
    fn headers_for(flat: &str) -> JsValue;
    #[wasm_bindgen(js_name = bodySize)]
    fn body_size(body: &JsValue) -> f64;
    #[wasm_bindgen(js_name = fromNodeStream)]
    fn from_node_stream(body: &JsValue) -> JsValue;
    fn sleep(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = randomId)]
    fn random_id() -> String;

    type Call;
    #[wasm_bindgen(constructor)]
    fn new(timeout: u32, signal: &JsValue, abortable: bool) -> Call;
    #[wasm_bindgen(method)]
    fn send(this: &Call, url: &JsValue, method: &JsValue, headers: &JsValue, body: &JsValue, stream: bool, upload: &JsValue) -> Promise;
    #[wasm_bindgen(method)]
    fn read(this: &Call) -> Promise;
    #[wasm_bindgen(method)]
    fn finish(this: &Call, abort: bool);
}

#[cfg(feature = "platform")]
#[wasm_bindgen(module = "/src/host/wasm/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = randomBytes)]
    fn random_bytes_js(n: u32) -> Vec<u8>;
    #[wasm_bindgen(js_name = sha256)]
    fn sha256_js(bytes: &[u8]) -> Promise;
}

/// `n` random bytes from the host's Web Crypto.
#[cfg(feature = "platform")]
pub fn random_bytes(n: u32) -> Vec<u8> {
    random_bytes_js(n)
}

/// The SHA-256 digest of `bytes`, by the host's Web Crypto (no hash code in the wasm).
#[cfg(feature = "platform")]
pub async fn sha256(bytes: &[u8]) -> Result<Vec<u8>> {
    let digest = JsFuture::from(sha256_js(bytes)).await.map_err(|e| Error::Network { message: message_of(&e) })?;
    let digest = Uint8Array::new(&digest);
    // Byte by byte: `to_vec` asserts the lengths, which brings core::fmt (+1 KB gzip).
    Ok((0..digest.length()).map(|i| digest.get_index(i)).collect())
}

#[cfg(feature = "webhooks")]
#[wasm_bindgen(module = "/src/host/wasm/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = webhookKey)]
    fn webhook_key_js(id: &str, x: Option<String>) -> JsValue;
    #[wasm_bindgen(js_name = verifyEd25519)]
    fn verify_ed25519_js(key: &JsValue, signature: &[u8], message: &[u8]) -> Promise;
}

/// An imported webhook signing key: a Web Crypto `CryptoKey`.
#[cfg(feature = "webhooks")]
pub type WebhookKey = JsValue;

/// The webhook key imported under `id` (`<apiURI>:<kid>`), if any (a `Map` in host.js, for the
/// life of the process).
#[cfg(feature = "webhooks")]
pub fn webhook_key(id: &str) -> Option<WebhookKey> {
    let key = webhook_key_js(id, None);
    (!key.is_undefined()).then_some(key)
}

/// Imports `key` by Web Crypto (`importKey('jwk', {kty: 'OKP', crv: 'Ed25519', x}, {name:
/// 'Ed25519'}, false, ['verify'])`) under `id`: "Invalid webhook signing key" when the host
/// refuses it.
#[cfg(feature = "webhooks")]
pub async fn import_webhook_key(id: &str, key: &crate::webhooks::jwks::PublicKey) -> Result<WebhookKey> {
    let imported = Promise::resolve(&webhook_key_js(id, Some(key.x.clone())));
    JsFuture::from(imported).await.map_err(|_| Error::Webhook { message: crate::webhooks::messages::INVALID_KEY.into(), hint: Value::Null })
}

/// Whether `signature` is `key`'s Ed25519 signature of `message` (Web Crypto `verify`).
#[cfg(feature = "webhooks")]
pub async fn verify_webhook(key: &WebhookKey, signature: &[u8; 64], message: &[u8]) -> bool {
    JsFuture::from(verify_ed25519_js(key, signature, message)).await.is_ok_and(|ok| ok.is_truthy())
}

#[wasm_bindgen]
extern "C" {
    /// `Reflect.set` on an object this crate made: it cannot throw, so no exception wrapper.
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn set_plain(target: &JsValue, key: &JsValue, value: &JsValue) -> bool;
}

/// The host's JSON: a JS value.
pub type Json = JsValue;

/// The caller's cancellation signal: an `AbortSignal`.
pub type Signal = web_sys::AbortSignal;

/// Fires a [`Signal`]: an `AbortController`.
#[derive(Clone, Debug)]
pub struct Canceller(web_sys::AbortController);

impl Canceller {
    /// A fresh controller.
    pub fn new() -> Canceller {
        // Every supported host has AbortController; the fallback keeps this infallible.
        Canceller(web_sys::AbortController::new().unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into()))
    }

    /// Its signal.
    pub fn signal(&self) -> Signal {
        self.0.signal()
    }

    /// Fires the signal.
    pub fn cancel(&self) {
        self.0.abort();
    }
}

impl Default for Canceller {
    fn default() -> Canceller {
        Canceller::new()
    }
}

/// The wall clock: ms since the Unix epoch (`Date.now()`).
pub fn epoch_ms() -> f64 {
    js_sys::Date::now()
}

/// A new random (v4) UUID, from the host's Web Crypto.
pub fn id() -> String {
    random_id()
}

/// What a thrown JS value says.
pub fn message_of(error: &JsValue) -> String {
    message_of_js(error)
}

/// The caller's value read once as JSON text, by the host's `JSON.stringify` (its semantics,
/// whatever the value's prototype or realm; `undefined` reads as `null`): anything that throws
/// while being read (a getter, a Proxy trap, a cycle, a BigInt, a string too long for the host)
/// is an invalid-argument error carrying what was thrown. A [`crate::parse::Node`] reads the text.
/// A long argument comes with the host's own string beside it, which bodies take; a large one
/// enters wasm memory abridged (see [`crate::parse::Node::whole`]).
pub fn read_argument(value: &JsValue, what: &'static str) -> Result<Argument> {
    let read = json_text_of(value).map_err(|thrown| {
        let mut message = String::from("could not be read as JSON: ");
        message.push_str(&message_of(&thrown));
        Error::InvalidArgument { what: what.into(), message, cause: Some(HostValue::new(thrown)) }
    })?;
    let (text, whole) = match read.dyn_into::<Array>() {
        Ok(pair) => (pair.get(0), Some(HostValue::new(pair.get(1)))),
        Err(text) => (text, None),
    };
    // A string crosses as UTF-8 (a lone surrogate, which `JSON.stringify` escapes anyway, would
    // become U+FFFD).
    Ok(Argument { text: text.as_string().unwrap_or_default(), whole })
}

/// A JSON argument as [`read_argument`] read it.
pub struct Argument {
    /// Its JSON text in wasm memory, which the checks read (abridged when large), after a U+0080
    /// when long (it made wasm-bindgen's copy native: see `jsonText` in host.js).
    pub text: String,
    /// The host's string of its whole text when it is long, which request bodies take then: a
    /// long text is not copied back out of wasm memory (a short one is written into the body
    /// there: one string crosses instead of pieces to join).
    pub whole: Option<HostValue>,
}

/// `object[key]`, or why reading it threw (a getter, a Proxy): never swallowed.
pub fn get(object: &JsValue, key: &str) -> Result<JsValue> {
    if !object.is_object() && !object.is_function() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(object, &JsValue::from_str(key)).map_err(|thrown| {
        let mut message = String::from("threw when read: ");
        message.push_str(&message_of(&thrown));
        Error::InvalidArgument { what: key.into(), message, cause: Some(HostValue::new(thrown)) }
    })
}

/// Host JSON → [`Value`] (plain JSON only: what `JSON.parse` makes). It crosses once, as the
/// text `JSON.stringify` writes, and is parsed here: walking the host object costs a crossing
/// per key and value (a 250 KB schema plan took ~25 ms so, against ~3 ms for the official client
/// to shape it). Anything `JSON.stringify` cannot write is walked.
pub fn to_value(json: &Json) -> Value {
    match crate::parse::parse(&json_text(json)) {
        Ok(node) => crate::json::to_value(&node),
        Err(_) => crate::json::to_value(json),
    }
}

/// [`Value`] → host JSON: its text, parsed once by the host's `JSON.parse` (see [`to_value`]);
/// built key by key only when that fails (a non-finite number).
pub fn from_value(value: &Value) -> Json {
    parse(&text_of(value)).unwrap_or_else(|| built(value))
}

/// [`from_value`] key by key.
fn built(value: &Value) -> Json {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(*n),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(built).collect::<Array>().into(),
        Value::Object(entries) => {
            let object = Object::new();
            for (key, value) in entries {
                set_plain(&object, &JsValue::from_str(key), &built(value));
            }
            object.into()
        }
    }
}

/// The request's headers as a host object: one string crosses (`name\nvalue\n...`) and
/// `headersFor` in `host.js` keeps the objects of the last few lists (a client sends the same
/// headers with every call; making the object costs a host call per header otherwise).
fn headers_object(request: &HttpRequest) -> JsValue {
    let mut flat = String::new();
    let mut add = |name: &str, value: &str| {
        flat.push_str(name);
        flat.push('\n');
        flat.push_str(value);
        flat.push('\n');
    };
    request.headers.iter().for_each(|(name, value)| add(name, value));
    // The Rust API's per-call headers (the npm build's are added by `Call` in host.js).
    request.extra_headers.iter().for_each(|(name, value)| add(name, value));
    headers_for(&flat)
}

/// A number as the host writes it (`JSON.stringify`'s digits), so the wasm carries no float
/// printer.
fn host_float(n: f64, out: &mut String) {
    out.push_str(&String::from(js_sys::Number::from(n).to_string_with_radix(10).unwrap_or_else(|_| "null".into())));
}

/// A [`Value`]'s JSON text, numbers written by the host.
pub fn text_of(value: &Value) -> String {
    let mut out = String::new();
    value.write_json_with(&mut out, host_float);
    out
}

/// Parses JSON text with the host's `JSON.parse`.
pub fn parse(text: &str) -> Option<Json> {
    js_sys::JSON::parse(text).ok()
}

/// Host JSON → the caller's type.
pub fn decode<T: serde::de::DeserializeOwned>(json: Json) -> Result<T> {
    crate::decode::from_value(to_value(&json)).map_err(|e| {
        let mut message = String::from("the answer does not match the expected type: ");
        message.push_str(&e.0);
        Error::Decode { message }
    })
}

/// Without std (the npm build), a panic traps: there is no std to format or report it, and the
/// library never panics on input (a panic would kill the instance either way).
#[cfg(not(feature = "std"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// Its JSON text, by the host's `JSON.stringify`.
pub fn json_text(json: &Json) -> String {
    js_sys::JSON::stringify(json).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// A body the caller's host holds for an upload, with its size (`None`: a stream).
pub fn upload_source(body: &JsValue) -> Result<UploadSource> {
    let size = body_size(body);
    if size >= 0.0 {
        return Ok(UploadSource::Host(HostValue::new(body.clone()), Some(size as u64)));
    }
    if size == -1.0 {
        return Ok(UploadSource::Host(HostValue::new(body.clone()), None));
    }
    let stream = from_node_stream(body);
    if !stream.is_undefined() {
        return Ok(UploadSource::Host(HostValue::new(stream), None));
    }
    Err(Error::invalid("data", "must be a Uint8Array, ArrayBuffer, Blob, File, ReadableStream, Node Buffer or Node Readable"))
}

impl JsonView for JsValue {
    fn kind(&self) -> Kind {
        match kind_of(self) {
            1 => Kind::Bool,
            2 => Kind::Number,
            3 => Kind::String,
            4 => Kind::Array,
            5 => Kind::Object,
            _ => Kind::Null,
        }
    }

    fn text(&self) -> Option<Cow<'_, str>> {
        self.as_string().map(Cow::Owned)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Vec<JsValue> {
        if Array::is_array(self) {
            self.unchecked_ref::<Array>().to_vec()
        } else {
            Vec::new()
        }
    }

    fn entries(&self) -> Vec<(String, JsValue)> {
        if self.kind() != Kind::Object {
            return Vec::new();
        }
        // Plain JSON (see read_argument): reading it cannot throw.
        let flat = flat_entries(self);
        (0..flat.length() / 2).map(|i| (flat.get(2 * i).as_string().unwrap_or_default(), flat.get(2 * i + 1))).collect()
    }

    fn field(&self, key: &str) -> Option<JsValue> {
        let value = get(self, key).ok()?;
        (!value.is_undefined()).then_some(value)
    }

    fn payload(&self) -> Payload {
        Payload::Text(json_text(self))
    }
}

/// Requests over the host's `fetch`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

impl FetchTransport {
    /// The transport (it holds nothing: the host's `fetch` is global).
    pub fn new() -> FetchTransport {
        FetchTransport
    }
}

/// A request in flight: aborted when dropped before it finished (the Rust way to cancel).
struct InFlight(Call);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.finish(true);
    }
}

fn failure(kind: &JsValue, message: &JsValue) -> TransportError {
    match kind.as_string().as_deref() {
        Some("timeout") => TransportError::Timeout,
        Some("aborted") => TransportError::Aborted,
        _ => TransportError::Network(message.as_string().unwrap_or_default()),
    }
}

/// What `Call.send` takes of a request: URL, method, headers (flat), body, upload.
pub struct Parts {
    /// The URL (a host string).
    pub url: JsValue,
    /// The method (a host string).
    pub method: JsValue,
    /// `{ name: value, ... }`, shared by the calls that send the same headers (never changed).
    pub headers: JsValue,
    /// The JSON body: its text, pieces for `joinBody` in `host.js` when parts of it are host
    /// strings, or `undefined`.
    pub body: JsValue,
    /// `[body, size, isStream, onProgress]` of an upload, or `undefined`.
    pub upload: JsValue,
}

/// A request as `Call.send` takes it.
pub fn parts(request: &HttpRequest) -> Result<Parts> {
    let headers = headers_object(request);
    let body = request.body.as_ref().map_or(JsValue::UNDEFINED, body_text);
    let upload = match &request.upload {
        Some(upload) => upload::arguments(upload)?,
        None => JsValue::UNDEFINED,
    };
    Ok(Parts { url: JsValue::from_str(&request.url), method: JsValue::from_str(request.method), headers, body, upload })
}

/// A body as `Call.send` takes it: its text, or pieces when parts of it are held by the host.
fn body_text(body: &Payload) -> JsValue {
    let mut held: Vec<(usize, JsValue, bool)> = Vec::new();
    let mut text = String::new();
    body.write_json(&mut text, host_float, &mut |part, entries_only, out| {
        held.push((out.len(), part.get::<JsValue>().cloned().unwrap_or(JsValue::NULL), entries_only));
    });
    if held.is_empty() {
        return JsValue::from_str(&text);
    }
    let pieces = Array::new();
    let mut from = 0;
    for (at, part, entries_only) in held {
        pieces.push(&JsValue::from_str(text.get(from..at).unwrap_or_default()));
        pieces.push(&Array::of2(&part, &JsValue::from_bool(entries_only)));
        from = at;
    }
    pieces.push(&JsValue::from_str(text.get(from..).unwrap_or_default()));
    pieces.into()
}

/// What `Call.send` resolved with, as a response or why none came.
pub fn answer(answer: &Array) -> core::result::Result<HttpResponse, TransportError> {
    let status = answer.get(0).as_f64().unwrap_or_default() as u16;
    if status == 0 {
        return Err(failure(&answer.get(1), &answer.get(2)));
    }
    let retry_after = answer.get(1).as_string();
    let json = answer.get(2);
    let body =
        if json.is_undefined() { Reply::Text(answer.get(3).as_string().unwrap_or_default()) } else { Reply::Json(HostValue::new(json)) };
    Ok(HttpResponse { status, retry_after, body })
}

/// Sends `request`; the call in flight (its body unread when `stream` and a 200 came) and what
/// `Call.send` resolved with.
async fn start(request: &HttpRequest, control: &CallControl, stream: bool) -> core::result::Result<(InFlight, Array), TransportError> {
    let signal: JsValue = control.signal.as_ref().map_or(JsValue::UNDEFINED, |signal| signal.into());
    // A Rust future may be dropped before it settles: the request must be abortable then.
    let call = InFlight(Call::new(control.timeout_ms, &signal, true));
    let Parts { url, method, headers, body, upload } = parts(request).map_err(|e| TransportError::Network(e.message()))?;
    let answer: Array = JsFuture::from(call.0.send(&url, &method, &headers, &body, stream, &upload))
        .await
        .map_err(|e| TransportError::Network(message_of(&e)))?
        .unchecked_into();
    Ok((call, answer))
}

/// A 200's body, read chunk by chunk; dropping it aborts the request.
pub struct FetchBody(InFlight);

impl ChunkReader for FetchBody {
    async fn next_chunk(&mut self) -> Option<core::result::Result<Vec<u8>, TransportError>> {
        let chunk = JsFuture::from(self.0 .0.read()).await.unwrap_or(JsValue::NULL);
        if chunk.is_null() {
            return None;
        }
        if Array::is_array(&chunk) {
            let failed: &Array = chunk.unchecked_ref();
            return Some(Err(failure(&failed.get(0), &failed.get(1))));
        }
        Some(Ok(chunk.unchecked_into::<Uint8Array>().to_vec()))
    }
}

impl Transport for FetchTransport {
    type Body = FetchBody;

    async fn send(&self, request: &HttpRequest, control: &CallControl) -> core::result::Result<HttpResponse, TransportError> {
        let (_call, sent) = start(request, control, false).await?;
        answer(&sent)
    }

    async fn open(&self, request: &HttpRequest, control: &CallControl) -> core::result::Result<Opened<FetchBody>, TransportError> {
        let (call, sent) = start(request, control, true).await?;
        // Set only on a streamed 200.
        if sent.get(4).is_truthy() {
            return Ok(Opened::Stream(FetchBody(call)));
        }
        answer(&sent).map(Opened::Whole)
    }

    fn spawn(&self, task: Task) {
        wasm_bindgen_futures::spawn_local(task);
    }

    async fn sleep(&self, ms: u32) {
        let _ = JsFuture::from(sleep(ms)).await;
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }
}

/// The global function `name`, if the host has one.
pub fn global_function(name: &str) -> Option<Function> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name)).ok()?.dyn_into::<Function>().ok()
}
