//! Plain HTTP data, below everything else: a request as the client means to send it, the answer
//! as the host read it, upload bodies, and the URL and form encodings the routes need. No I/O and
//! no host types: what the host holds travels as an opaque [`HostValue`].

use crate::prelude::*;
use alloc::rc::Rc;
use core::any::Any;
use core::cell::RefCell;
use core::fmt;
use core::pin::Pin;

use futures_core::Stream;

use crate::value::FloatWriter;
use crate::Value;

/// A value the host holds (a JS value on wasm32, a `serde_json::Value` natively): handed from
/// the host through the pure layers and back without being copied into wasm memory.
#[derive(Clone)]
pub struct HostValue(pub Rc<dyn Any>);

impl HostValue {
    /// Wraps a host value.
    pub fn new<T: Any>(value: T) -> HostValue {
        HostValue(Rc::new(value))
    }

    /// The host value, when it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl fmt::Debug for HostValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HostValue")
    }
}

impl PartialEq for HostValue {
    fn eq(&self, other: &HostValue) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A JSON body, assembled from parts: values built in Rust and values the caller's host holds.
/// The host writes the text when it sends, so a caller's object is never converted to a Rust
/// value and back.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// Built in Rust.
    Value(Value),
    /// JSON text, written verbatim: a caller's argument as the host wrote it (already checked).
    Text(String),
    /// JSON text the host holds and writes itself: a large argument, whose checked copy in
    /// wasm memory was abridged (see [`crate::parse::Node::whole`]). Natively, a `String`.
    Host(HostValue),
    /// An object of parts, in this order.
    Object(Vec<(&'static str, Payload)>),
    /// `{ <key>: <first>, ...rest }`: `rest`'s entries after one leading entry (`$$ruleParams`
    /// first inside a query, as the official client sends it).
    Prepend(&'static str, Box<Payload>, Box<Payload>),
}

/// Writes a [`Payload::Host`] part: its whole JSON text, or with `entries_only` its entries
/// after a comma (nothing for `{}`), to continue an object (see [`Payload::Prepend`]).
pub type HostWriter<'w> = dyn FnMut(&HostValue, bool, &mut String) + 'w;

impl Payload {
    /// The JSON text the host sends.
    ///
    /// ```
    /// use instant_edge::http::Payload;
    /// let body = Payload::Prepend("$$ruleParams", Box::new(Payload::Text("{\"a\":1}".into())), Box::new(Payload::Text("{\"goals\":{}}".into())));
    /// assert_eq!(Payload::Object(vec![("query", body)]).to_json(), r#"{"query":{"$$ruleParams":{"a":1},"goals":{}}}"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out, crate::value::write_float, &mut |held, entries_only, out| {
            let text = held.get::<String>().map_or("null", |text| text);
            match (entries_only, object_entries(text)) {
                (false, _) => out.push_str(text),
                (true, Some(entries)) => {
                    out.push(',');
                    out.push_str(entries);
                }
                (true, None) => {}
            }
        });
        out
    }

    /// Writes the JSON text into `out`: `float` writes numbers that are not whole (see
    /// [`Value::write_json_with`]) and `host` each [`Payload::Host`] part (the wasm host notes
    /// where each goes and joins the pieces itself).
    pub fn write_json(&self, out: &mut String, float: FloatWriter, host: &mut HostWriter) {
        match self {
            Payload::Value(value) => value.write_json_with(out, float),
            Payload::Text(text) => out.push_str(text),
            Payload::Host(held) => host(held, false, out),
            Payload::Object(parts) => {
                out.push('{');
                for (i, (key, part)) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    crate::value::write_string(key, out);
                    out.push(':');
                    part.write_json(out, float, host);
                }
                out.push('}');
            }
            Payload::Prepend(key, first, rest) => {
                out.push('{');
                crate::value::write_string(key, out);
                out.push(':');
                first.write_json(out, float, host);
                match &**rest {
                    Payload::Host(held) => host(held, true, out),
                    Payload::Text(text) => {
                        if let Some(entries) = object_entries(text) {
                            out.push(',');
                            out.push_str(entries);
                        }
                    }
                    rest => {
                        let mut text = String::new();
                        rest.write_json(&mut text, float, host);
                        if let Some(entries) = object_entries(&text) {
                            out.push(',');
                            out.push_str(entries);
                        }
                    }
                }
                out.push('}');
            }
        }
    }
}

/// The entries of an object's JSON text (`{"a":1}` → `"a":1`), `None` for `{}` or anything
/// that is not an object: what continues another object after a comma.
///
/// ```
/// assert_eq!(instant_edge::http::object_entries(r#" { "a": 1 } "#), Some(r#""a": 1"#));
/// assert_eq!(instant_edge::http::object_entries("{ }"), None);
/// ```
pub fn object_entries(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?.trim();
    (!inner.is_empty()).then_some(inner)
}

/// A request as plain data, handed to the host's transport.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: &'static str,
    /// Absolute URL under the configured API base.
    pub url: String,
    /// Header names as the official client spells them, in its order.
    pub headers: Vec<(&'static str, String)>,
    /// The caller's own headers for this call (`fetchOpts.headers`, [`crate::CallOptions::header`]),
    /// sent after `headers` and never replacing one of them (see
    /// [`crate::request::add_headers`]). Their values are not shown by `Debug`: a proxy's key
    /// travels here.
    pub extra_headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Payload>,
    /// An upload's body, sent as is instead of `body`.
    pub upload: Option<UploadBody>,
    /// Whether sending it twice is harmless (queries): decides retries.
    pub idempotent: bool,
    /// A caller's secret carried in the URL or body (a refresh token): scrubbed from errors the
    /// server echoes it in, and from `Debug`.
    pub secret: Option<String>,
}

impl HttpRequest {
    /// A request without a body.
    pub fn new(method: &'static str, url: String, headers: Vec<(&'static str, String)>) -> HttpRequest {
        HttpRequest {
            method,
            url,
            headers,
            extra_headers: Vec::new(),
            body: None,
            upload: None,
            idempotent: method != "POST",
            secret: None,
        }
    }

    /// The value of header `name`, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (*name, if matches!(*name, "authorization" | "as-token") { "***" } else { value.as_str() }))
            .chain(self.extra_headers.iter().map(|(name, _)| (name.as_str(), "***")))
            .collect();
        let mut url = self.url.clone();
        if let Some(secret) = &self.secret {
            redact_text(&mut url, secret);
        }
        // The body may carry the secret too (a refresh token): shown only by kind.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &url)
            .field("headers", &headers)
            .field("body", &self.body.as_ref().map(|_| "json"))
            .field("upload", &self.upload)
            .finish()
    }
}

/// What a 200 body became on the host.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Parsed by the host (a 200 with JSON): large results never pass through wasm memory.
    Json(HostValue),
    /// Any other body, as text.
    Text(String),
}

/// An answer with any status.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The body.
    pub body: Reply,
}

impl HttpResponse {
    /// An answer whose body is text.
    pub fn text(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, retry_after: None, body: Reply::Text(body.to_owned()) }
    }

    /// The body text (empty when the host parsed it).
    pub fn body_text(&self) -> &str {
        match &self.body {
            Reply::Text(text) => text,
            Reply::Json(_) => "",
        }
    }
}

/// Why no answer came back.
#[derive(Clone, Debug, PartialEq)]
pub enum TransportError {
    /// Connection refused, reset, DNS, CORS: what the host said.
    Network(String),
    /// The attempt's time ran out.
    Timeout,
    /// The caller's signal fired.
    Aborted,
}

/// A chunk stream's item: bytes, or why the source failed.
pub type Chunk = Result<Vec<u8>, String>;

type BoxedChunks = Pin<Box<dyn Stream<Item = Chunk>>>;

/// Where an upload's bytes come from.
///
/// ```
/// use instant_edge::http::UploadSource;
/// assert_eq!(UploadSource::from_text("hello").size(), Some(5));
/// assert_eq!(UploadSource::from_bytes(vec![1, 2, 3]).size(), Some(3));
/// ```
#[derive(Clone)]
pub enum UploadSource {
    /// Bytes in Rust memory.
    Bytes(Rc<[u8]>),
    /// A body the host already holds (a `Blob`, `ArrayBuffer`, typed array or `ReadableStream`
    /// on wasm32), with its size unless it is a stream: handed to `fetch` as is.
    Host(HostValue, Option<u64>),
    /// Chunks pulled one at a time while the request is sent; readable once.
    Stream(ChunkStream),
}

/// A one-shot chunk stream (clones share it; the transport takes it when sending).
#[derive(Clone)]
pub struct ChunkStream(Rc<RefCell<Option<BoxedChunks>>>);

impl ChunkStream {
    /// Takes the stream out; `None` once taken.
    pub fn take(&self) -> Option<BoxedChunks> {
        self.0.borrow_mut().take()
    }
}

struct MapErr<S>(Pin<Box<S>>);

impl<S, E> Stream for MapErr<S>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
    E: fmt::Display,
{
    type Item = Chunk;

    fn poll_next(self: Pin<&mut Self>, cx: &mut core::task::Context<'_>) -> core::task::Poll<Option<Chunk>> {
        self.get_mut().0.as_mut().poll_next(cx).map(|item| item.map(|chunk| chunk.map_err(|e| e.to_string())))
    }
}

impl UploadSource {
    /// Uploads these bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> UploadSource {
        UploadSource::Bytes(Rc::from(bytes.into()))
    }

    /// Uploads this text as UTF-8.
    pub fn from_text(text: impl Into<String>) -> UploadSource {
        UploadSource::Bytes(Rc::from(text.into().into_bytes()))
    }

    /// Uploads the chunks of `stream` as they come; an `Err` item aborts the upload.
    ///
    /// ```
    /// use instant_edge::http::UploadSource;
    /// struct Once(Option<Vec<u8>>);
    /// impl futures_core::Stream for Once {
    ///     type Item = Result<Vec<u8>, String>;
    ///     fn poll_next(mut self: core::pin::Pin<&mut Self>, _: &mut core::task::Context<'_>) -> core::task::Poll<Option<Self::Item>> {
    ///         core::task::Poll::Ready(self.0.take().map(Ok))
    ///     }
    /// }
    /// let source = UploadSource::from_stream(Once(Some(b"hi".to_vec())));
    /// assert_eq!(source.size(), None);
    /// ```
    pub fn from_stream<S, E>(stream: S) -> UploadSource
    where
        S: Stream<Item = Result<Vec<u8>, E>> + 'static,
        E: fmt::Display,
    {
        let mapped = MapErr(Box::pin(stream));
        UploadSource::Stream(ChunkStream(Rc::new(RefCell::new(Some(Box::pin(mapped))))))
    }

    /// The size in bytes, when known before sending.
    pub fn size(&self) -> Option<u64> {
        match self {
            UploadSource::Bytes(bytes) => Some(bytes.len() as u64),
            UploadSource::Host(_, size) => *size,
            UploadSource::Stream(_) => None,
        }
    }

    /// Whether it can be sent again (streams are read once).
    pub fn replayable(&self) -> bool {
        self.size().is_some()
    }
}

impl fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UploadSource::Bytes(_) => "Bytes",
            UploadSource::Host(..) => "Host",
            UploadSource::Stream(_) => "Stream",
        })
    }
}

/// Upload progress: bytes handed to the host so far, and the total when known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes sent so far.
    pub loaded: u64,
    /// The whole size, when known.
    pub total: Option<u64>,
}

/// Called with each [`Progress`].
pub type OnProgress = Rc<dyn Fn(Progress)>;

/// An upload's body: the source, its size and a progress callback.
#[derive(Clone)]
pub struct UploadBody {
    /// Where the bytes come from.
    pub source: UploadSource,
    /// The size, when known (sent as `content-length`).
    pub size: Option<u64>,
    /// Progress, if wanted.
    pub on_progress: Option<OnProgress>,
    /// Progress for a host's own callback (a JS function), called by the host.
    pub host_progress: Option<HostValue>,
}

impl fmt::Debug for UploadBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadBody").field("source", &self.source).field("size", &self.size).finish()
    }
}

impl PartialEq for UploadBody {
    fn eq(&self, other: &Self) -> bool {
        self.size == other.size
            && match (&self.source, &other.source) {
                (UploadSource::Bytes(a), UploadSource::Bytes(b)) => a == b,
                (UploadSource::Stream(a), UploadSource::Stream(b)) => Rc::ptr_eq(&a.0, &b.0),
                (UploadSource::Host(a, _), UploadSource::Host(b, _)) => a == b,
                _ => false,
            }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn percent(byte: u8, out: &mut String) {
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 15)]));
}

/// `encodeURIComponent`, appended to `out`.
///
/// ```
/// let mut out = String::new();
/// instant_edge::http::encode_uri_component("a b/é", &mut out);
/// assert_eq!(out, "a%20b%2F%C3%A9");
/// ```
pub fn encode_uri_component(text: &str, out: &mut String) {
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            percent(byte, out);
        }
    }
}

/// `application/x-www-form-urlencoded`, as `URLSearchParams` writes it, appended to `out`.
///
/// ```
/// let mut out = String::new();
/// instant_edge::http::form_encode("a b+c", &mut out);
/// assert_eq!(out, "a+b%2Bc");
/// ```
pub fn form_encode(text: &str, out: &mut String) {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => percent(byte, out),
        }
    }
}

/// Replaces every occurrence of `secret` in `text` with `***`. A plain window scan:
/// `str::replace` brings the two-way string searcher, ~5 KB gzip of wasm.
///
/// ```
/// let mut text = String::from("Bearer sekrit, again sekrit");
/// instant_edge::http::redact_text(&mut text, "sekrit");
/// assert_eq!(text, "Bearer ***, again ***");
/// ```
pub fn redact_text(text: &mut String, secret: &str) {
    let needle = secret.as_bytes();
    if needle.is_empty() {
        return;
    }
    let mut out: Option<String> = None;
    let (mut start, mut at) = (0, 0);
    while at + needle.len() <= text.len() {
        if text.as_bytes().get(at..at + needle.len()) == Some(needle) {
            let out = out.get_or_insert_with(String::new);
            // `at` and `start` are on char boundaries: the needle is a whole UTF-8 string.
            out.push_str(text.get(start..at).unwrap_or_default());
            out.push_str("***");
            at += needle.len();
            start = at;
        } else {
            at += 1;
        }
    }
    if let Some(mut out) = out {
        out.push_str(text.get(start..).unwrap_or_default());
        *text = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(text: &str) -> Payload {
        Payload::Host(HostValue::new(String::from(text)))
    }

    #[test]
    fn bodies_splice_the_host_text_in_place() {
        let body = Payload::Object(vec![("query", held(r#"{"goals":{}}"#)), ("inference?", Payload::Value(Value::Bool(false)))]);
        assert_eq!(body.to_json(), r#"{"query":{"goals":{}},"inference?":false}"#);
    }

    #[test]
    fn rule_params_go_first_whoever_holds_the_query() {
        let params = || Box::new(Payload::Text(r#"{"k":1}"#.into()));
        for rest in [held(r#" { "goals" : {} } "#), Payload::Text(r#"{ "goals" : {} }"#.into())] {
            let body = Payload::Prepend("$$ruleParams", params(), Box::new(rest)).to_json();
            assert_eq!(body.replace(' ', ""), r#"{"$$ruleParams":{"k":1},"goals":{}}"#);
        }
        for empty in [held("{}"), Payload::Text("{ }".into()), Payload::Value(Value::empty_object())] {
            assert_eq!(Payload::Prepend("$$ruleParams", params(), Box::new(empty)).to_json(), r#"{"$$ruleParams":{"k":1}}"#);
        }
    }

    #[test]
    fn object_entries_are_none_for_non_objects() {
        assert_eq!(object_entries("[1]"), None);
        assert_eq!(object_entries("{"), None);
        assert_eq!(object_entries(r#"{"a":{}}"#), Some(r#""a":{}"#));
    }
}
