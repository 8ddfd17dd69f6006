//! The wasm32 transport: the host's global `fetch`, bound directly (never `window`, which
//! Workers, Node, Deno and Bun lack), cancellation with `AbortController`, JSON by the host.

use js_sys::{Array, Function, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
// web-sys features used here: AbortController, AbortSignal, Headers, ReadableStream(DefaultReader), Response.
use web_sys::{AbortController, AbortSignal, Response};

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `fetch` (there is no `window` in Workers, Node, Deno or Bun).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &Object) -> js_sys::Promise;
}

mod upload;
pub use upload::HostBody;

use super::{CallControl, HttpRequest, HttpResponse, Transport, TransportError};
use crate::error::{Error, Result};
use crate::validate::MAX_DEPTH;
use crate::Value;

/// Parsed JSON as the host holds it: a JS value.
pub type Json = JsValue;

/// The caller's cancellation signal.
pub type Signal = AbortSignal;

/// Fires a [`Signal`]: an `AbortController`.
#[derive(Clone, Debug)]
pub struct Canceller(AbortController);

impl Canceller {
    /// A fresh controller (`None` only on a host without `AbortController`).
    pub fn new() -> Canceller {
        // Every supported host has AbortController; the fallback keeps this infallible.
        Canceller(AbortController::new().unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into()))
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

/// `json[key]` (`undefined` when absent or not an object).
pub fn field(json: &Json, key: &str) -> Json {
    if json.is_object() {
        Reflect::get(json, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// Requests over the global `fetch`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

/// Aborts the request when the call's future is dropped (the Rust way to cancel).
/// The abort reason our own timer gives, to tell a timeout from other aborts.
const TIMEOUT_REASON: &str = "instant-edge: timeout";

/// One request's `AbortController`: aborted when dropped before [`AbortOnDrop::disarm`] (a
/// finished request is not aborted: in Node each abort builds a `DOMException`), and by a
/// `setTimeout` with [`TIMEOUT_REASON`] when the call has a timeout. One controller and no
/// `AbortSignal.timeout`/`any` per call: in Node every signal costs a measurable share of a
/// small query.
struct AbortOnDrop {
    controller: AbortController,
    armed: bool,
    timer: Option<JsValue>,
}

fn global_function(name: &str) -> Option<Function> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name)).ok()?.dyn_into::<Function>().ok()
}

impl AbortOnDrop {
    fn new(timeout_ms: u32) -> std::result::Result<AbortOnDrop, TransportError> {
        let controller = AbortController::new().map_err(|e| TransportError::Network(message_of(&e)))?;
        let mut guard = AbortOnDrop { controller, armed: true, timer: None };
        if timeout_ms > 0 {
            let abort = Reflect::get(&guard.controller, &JsValue::from_str("abort")).ok().and_then(|f| f.dyn_into::<Function>().ok());
            if let (Some(abort), Some(set_timeout)) = (abort, global_function("setTimeout")) {
                let fire = abort.bind1(&guard.controller, &JsValue::from_str(TIMEOUT_REASON));
                guard.timer = set_timeout.call2(&JsValue::UNDEFINED, &fire, &JsValue::from(timeout_ms)).ok();
            }
        }
        Ok(guard)
    }

    fn timed_out(&self) -> bool {
        let signal = self.controller.signal();
        signal.aborted() && signal.reason().as_string().as_deref() == Some(TIMEOUT_REASON)
    }

    fn disarm(&mut self) {
        self.armed = false;
        self.clear_timer();
    }

    fn clear_timer(&mut self) {
        if let (Some(timer), Some(clear)) = (self.timer.take(), global_function("clearTimeout")) {
            let _ = clear.call1(&JsValue::UNDEFINED, &timer);
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.clear_timer();
        if self.armed {
            self.controller.abort();
        }
    }
}

fn message_of(error: &JsValue) -> String {
    let text =
        |value: &JsValue| Reflect::get(value, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()).or_else(|| value.as_string());
    let mut message = text(error).unwrap_or_else(|| "fetch failed".into());
    // Node's "fetch failed" keeps the reason (refused, reset, a failing body stream) in `cause`.
    let cause = if error.is_object() { Reflect::get(error, &JsValue::from_str("cause")).ok() } else { None };
    if let Some(cause) = cause.as_ref().and_then(text) {
        message.push_str(": ");
        message.push_str(&cause);
    }
    message
}

/// A `fetch` whose response arrived: what classifying a later failure needs.
struct Exchange {
    response: Response,
    _on_drop: AbortOnDrop,
    user: Option<AbortSignal>,
    upload: Option<upload::UploadGuard>,
}

impl Exchange {
    /// Why a promise of this request rejected: our timeout, the caller's signal, a failing
    /// upload source, or the network.
    fn why(&self, error: &JsValue) -> TransportError {
        why(&self._on_drop, &self.user, self.upload.as_ref(), error)
    }
}

fn why(ours: &AbortOnDrop, user: &Option<AbortSignal>, upload: Option<&upload::UploadGuard>, error: &JsValue) -> TransportError {
    if ours.timed_out() {
        TransportError::Timeout
    } else if user.as_ref().is_some_and(AbortSignal::aborted) {
        TransportError::Aborted
    } else if let Some(source) = upload.and_then(upload::UploadGuard::source_error) {
        TransportError::Network(String::from("the upload source failed: ") + &source)
    } else {
        TransportError::Network(message_of(error))
    }
}

/// Sends `request` and waits for the response head.
async fn exchange(request: &HttpRequest, control: &CallControl) -> std::result::Result<Exchange, TransportError> {
    if control.signal.as_ref().is_some_and(AbortSignal::aborted) {
        return Err(TransportError::Aborted);
    }
    let on_drop = AbortOnDrop::new(control.timeout_ms)?;
    // Ours alone, or with the caller's (`AbortSignal.any` only then).
    let signal = match &control.signal {
        Some(user) => AbortSignal::any(&Array::of2(&on_drop.controller.signal(), user)),
        None => on_drop.controller.signal(),
    };
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(&headers, &JsValue::from_str(name), &JsValue::from_str(value));
    }
    let init = Object::new();
    let _ = Reflect::set(&init, &JsValue::from_str("method"), &JsValue::from_str(request.method));
    let _ = Reflect::set(&init, &JsValue::from_str("headers"), &headers);
    if let Some(body) = &request.body {
        let _ = Reflect::set(&init, &JsValue::from_str("body"), &JsValue::from_str(body));
    }
    let upload = match &request.upload {
        Some(body) => Some(upload::prepare(body, &headers, &init, &on_drop.controller).await.map_err(|e| match e {
            Error::Network { message } => TransportError::Network(message),
            other => TransportError::Network(other.message()),
        })?),
        None => None,
    };
    let _ = Reflect::set(&init, &JsValue::from_str("signal"), &signal);
    let response: Response = match JsFuture::from(global_fetch(&request.url, &init)).await {
        Ok(response) => response.dyn_into().map_err(|_| TransportError::Network("fetch did not return a Response".into()))?,
        Err(error) => return Err(why(&on_drop, &control.signal, upload.as_ref(), &error)),
    };
    if let Some(finish) = upload.as_ref().and_then(|guard| guard.finish.clone()) {
        finish();
    }
    Ok(Exchange { response, _on_drop: on_drop, user: control.signal.clone(), upload })
}

/// `JSON.parse(text)` on the host, `text` never copied into wasm memory.
fn host_parse(text: &JsValue) -> Option<JsValue> {
    let json = Reflect::get(&js_sys::global(), &JsValue::from_str("JSON")).ok()?;
    let parse = Reflect::get(&json, &JsValue::from_str("parse")).ok()?.dyn_into::<Function>().ok()?;
    parse.call1(&json, text).ok()
}

/// Reads the whole body: a 200's JSON is parsed by the host and stays there; other bodies (and
/// a 200 that is not JSON, for the error message) come back as text.
async fn whole(mut exchange: Exchange) -> std::result::Result<HttpResponse, TransportError> {
    let status = exchange.response.status();
    let retry_after = exchange.response.headers().get("retry-after").ok().flatten();
    let text = exchange.response.text().map_err(|e| exchange.why(&e))?;
    let text = JsFuture::from(text).await.map_err(|e| exchange.why(&e))?;
    exchange._on_drop.disarm();
    if status == 200 {
        if let Some(json) = host_parse(&text) {
            return Ok(HttpResponse { status, retry_after, body: String::new(), json: Some(json) });
        }
    }
    Ok(HttpResponse { status, retry_after, body: text.as_string().unwrap_or_default(), json: None })
}

/// A 200's body, read chunk by chunk; dropping it aborts the request.
pub struct FetchBody {
    reader: web_sys::ReadableStreamDefaultReader,
    exchange: Exchange,
}

impl super::ChunkReader for FetchBody {
    async fn next_chunk(&mut self) -> Option<std::result::Result<Vec<u8>, TransportError>> {
        let read = match JsFuture::from(self.reader.read()).await {
            Ok(read) => read,
            Err(error) => return Some(Err(self.exchange.why(&error))),
        };
        if Reflect::get(&read, &JsValue::from_str("done")).ok().is_some_and(|done| done.is_truthy()) {
            return None;
        }
        let value = Reflect::get(&read, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED);
        Some(Ok(js_sys::Uint8Array::new(&value).to_vec()))
    }
}

impl Transport for FetchTransport {
    type Body = FetchBody;

    async fn send(&self, request: &HttpRequest, control: &CallControl) -> std::result::Result<HttpResponse, TransportError> {
        whole(exchange(request, control).await?).await
    }

    async fn open(&self, request: &HttpRequest, control: &CallControl) -> std::result::Result<super::Opened<FetchBody>, TransportError> {
        let exchange = exchange(request, control).await?;
        let body = exchange.response.body();
        match body {
            Some(body) if exchange.response.status() == 200 => {
                let reader = body.get_reader().unchecked_into::<web_sys::ReadableStreamDefaultReader>();
                Ok(super::Opened::Stream(FetchBody { reader, exchange }))
            }
            _ => Ok(super::Opened::Whole(whole(exchange).await?)),
        }
    }

    fn spawn(&self, task: super::Task) {
        wasm_bindgen_futures::spawn_local(task);
    }

    async fn sleep(&self, ms: u32) {
        let Some(set_timeout) = global_function("setTimeout") else { return };
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let _ = set_timeout.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(ms));
        });
        let _ = JsFuture::from(promise).await;
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }
}

/// JSON text of `value`, by the host's `JSON.stringify`.
pub fn stringify(value: &Value) -> String {
    JSON::stringify(&from_value(value)).ok().and_then(|s| s.as_string()).unwrap_or_else(|| "null".into())
}

/// The items of a JS array (empty for anything else).
pub fn to_array(json: &Json) -> Vec<Json> {
    if Array::is_array(json) {
        Array::from(json).to_vec()
    } else {
        Vec::new()
    }
}

/// Whether it is an array.
pub fn is_array(json: &Json) -> bool {
    Array::is_array(json)
}

/// Whether it is a (non-array) object.
pub fn is_object(json: &Json) -> bool {
    json.is_object() && !Array::is_array(json)
}

/// Its JSON text, by the host's `JSON.stringify`.
pub fn json_text(json: &Json) -> String {
    JSON::stringify(json).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// Parses JSON text with the host's `JSON.parse`.
pub fn parse(text: &str) -> Option<Json> {
    JSON::parse(text).ok()
}

/// [`Value`] → JS value.
pub fn from_value(value: &Value) -> Json {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(*n),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(from_value).collect::<Array>().into(),
        Value::Object(entries) => {
            let object = Object::new();
            for (key, value) in entries {
                let _ = Reflect::set(&object, &JsValue::from_str(key), &from_value(value));
            }
            object.into()
        }
    }
}

/// JS value → [`Value`], the way `JSON.stringify` sees it: `toJSON` (Dates) applied,
/// `undefined` and functions dropped from objects and `null` in arrays, non-finite numbers `null`.
/// BigInts and cycles are errors.
pub fn to_value(json: &Json) -> Result<Value> {
    convert(json, 0)
}

fn convert(js: &JsValue, depth: usize) -> Result<Value> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid("argument", "is nested too deeply (a cycle?)"));
    }
    if js.is_null() || js.is_undefined() || js.is_function() || js.is_symbol() {
        return Ok(Value::Null);
    }
    if let Some(b) = js.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = js.as_f64() {
        return Ok(if n.is_finite() { Value::Number(n) } else { Value::Null });
    }
    if let Some(s) = js.as_string() {
        return Ok(Value::String(s));
    }
    if js.is_bigint() {
        return Err(Error::invalid("argument", "holds a BigInt, which JSON cannot carry"));
    }
    let to_json = Reflect::get(js, &JsValue::from_str("toJSON")).ok().and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(to_json) = to_json {
        let plain = to_json.call0(js).map_err(|e| Error::invalid("argument", message_of(&e)))?;
        return convert(&plain, depth + 1);
    }
    if Array::is_array(js) {
        let array: &Array = js.unchecked_ref();
        return array.iter().map(|item| convert(&item, depth + 1)).collect::<Result<_>>().map(Value::Array);
    }
    let Some(object) = js.dyn_ref::<Object>() else { return Ok(Value::Null) };
    let mut entries = Vec::new();
    for key in Object::keys(object).iter() {
        let value = Reflect::get(object, &key).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() || value.is_function() || value.is_symbol() {
            continue;
        }
        entries.push((key.as_string().unwrap_or_default(), convert(&value, depth + 1)?));
    }
    Ok(Value::Object(entries))
}

/// Host JSON → the caller's type.
pub fn decode<T: serde::de::DeserializeOwned>(json: Json) -> Result<T> {
    serde_wasm_bindgen::from_value(json).map_err(|e| {
        let mut message = String::from("the answer does not match the expected type: ");
        message.push_str(&e.to_string());
        Error::Decode { message }
    })
}

/// 16 bytes from the host's `crypto.getRandomValues`.
pub fn random_bytes() -> [u8; 16] {
    let array = js_sys::Uint8Array::new_with_length(16);
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).unwrap_or(JsValue::UNDEFINED);
    let get_random = Reflect::get(&crypto, &JsValue::from_str("getRandomValues")).ok().and_then(|f| f.dyn_into::<Function>().ok());
    let mut out = [0u8; 16];
    match get_random {
        Some(f) if f.call1(&crypto, &array).is_ok() => array.copy_to(&mut out),
        // No Web Crypto (very old hosts): Math.random is not cryptographic, but ids only need
        // to be unique.
        _ => out.iter_mut().for_each(|b| *b = (js_sys::Math::random() * 256.0) as u8),
    }
    out
}
