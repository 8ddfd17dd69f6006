//! Upload bodies for `fetch`: the host's own object passed as is (never copied into wasm
//! memory), counted through a `TransformStream` when progress is wanted; Rust chunk streams
//! exposed as a pull-based `ReadableStream`. Browsers only stream request bodies over HTTP/2,
//! so there a stream source is gathered into a `Blob` (host memory) first.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

use crate::error::{Error, Result};
use crate::storage::{ChunkStream, OnProgress, Progress, UploadBody, UploadSource};

fn global(name: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn get(object: &JsValue, key: &str) -> JsValue {
    if object.is_object() || object.is_function() {
        Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// Duck-typed, as the official client does: a `ReadableStream` has `getReader`; a `Blob` has a
/// numeric `size` and `stream()` (no `instanceof`, which fails across realms and polyfills).
fn has_method(value: &JsValue, name: &str) -> bool {
    get(value, name).is_function()
}

/// What kind of host object a body is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// `Blob`/`File`, `ArrayBuffer`, a typed array or `DataView` (Node `Buffer`s are typed arrays).
    Sized(f64),
    /// A web `ReadableStream` (Node `Readable`s are converted to one).
    Stream,
}

/// An upload body the host holds.
///
/// ```no_run
/// # fn f(blob: wasm_bindgen::JsValue) -> instant_edge::Result<()> {
/// let body = instant_edge::transport::HostBody::new(blob)?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HostBody {
    value: JsValue,
    kind: Kind,
}

impl HostBody {
    /// Accepts a `Blob`/`File`, `ArrayBuffer`, typed array, `DataView`, web `ReadableStream` or
    /// Node `Readable`; anything else is an invalid argument.
    pub fn new(value: JsValue) -> Result<HostBody> {
        let size = |key: &str| get(&value, key).as_f64();
        let kind = if has_method(&value, "getReader") {
            Kind::Stream
        } else if js_sys::ArrayBuffer::is_view(&value) || value.is_instance_of::<js_sys::ArrayBuffer>() {
            Kind::Sized(size("byteLength").unwrap_or(0.0))
        } else if has_method(&value, "stream") && size("size").is_some() {
            Kind::Sized(size("size").unwrap_or(0.0))
        } else if has_method(&value, "pipe") && has_method(&value, "read") {
            // A Node Readable: Node's ReadableStream.from takes any async iterable.
            let from = get(&global("ReadableStream"), "from").dyn_into::<Function>().ok();
            let stream = from.and_then(|from| from.call1(&global("ReadableStream"), &value).ok());
            let Some(stream) = stream else {
                return Err(Error::invalid("data", "is a Node stream, but this host has no ReadableStream.from"));
            };
            return Ok(HostBody { value: stream, kind: Kind::Stream });
        } else {
            return Err(Error::invalid(
                "data",
                "must be a Uint8Array, ArrayBuffer, Blob, File, ReadableStream, Node Buffer or Node Readable",
            ));
        };
        Ok(HostBody { value, kind })
    }

    /// The size, unless it is a stream.
    pub fn size(&self) -> Option<u64> {
        match self.kind {
            Kind::Sized(size) => Some(size as u64),
            Kind::Stream => None,
        }
    }

    /// Whether it can be sent again (streams are read once).
    pub fn replayable(&self) -> bool {
        self.kind != Kind::Stream
    }
}

/// What must outlive the `fetch` call (closures the host calls into), and the source's own
/// failure, which says more than the host's "fetch failed".
#[derive(Default)]
pub(super) struct UploadGuard {
    _transform: Option<Closure<dyn FnMut(JsValue, JsValue)>>,
    _pull: Option<Closure<dyn FnMut(JsValue) -> Promise>>,
    source_error: Rc<RefCell<Option<String>>>,
    pub(super) finish: Option<Rc<dyn Fn()>>,
}

impl UploadGuard {
    /// Why the source failed, if it did.
    pub(super) fn source_error(&self) -> Option<String> {
        self.source_error.borrow().clone()
    }
}

/// Browsers (whose user agents start `Mozilla/`) refuse streamed request bodies over HTTP/1.1;
/// workerd, Node, Deno and Bun stream them.
fn streams_request_bodies() -> bool {
    let agent = get(&global("navigator"), "userAgent").as_string().unwrap_or_default();
    !agent.starts_with("Mozilla/")
}

/// A counter that reports monotone progress.
fn counter(on_progress: &OnProgress, total: Option<u64>) -> Rc<dyn Fn(u64)> {
    let loaded = Rc::new(Cell::new(0u64));
    let on_progress = on_progress.clone();
    Rc::new(move |bytes: u64| {
        loaded.set(loaded.get() + bytes);
        on_progress(Progress { loaded: loaded.get(), total });
    })
}

/// Node (undici), Deno and Bun reject `fetch` when a body stream fails midway. workerd instead
/// ends a chunked body cleanly (a truncated file stored as a success) and ignores a
/// `content-length` header on stream bodies, so elsewhere the body is guarded.
fn rejects_failed_bodies() -> bool {
    let agent = get(&global("navigator"), "userAgent").as_string().unwrap_or_default();
    ["Node.js/", "Deno/", "Bun/"].iter().any(|host| agent.starts_with(host))
}

fn construct(class: &str, argument: &JsValue) -> Result<JsValue> {
    let class = super::global_function(class).ok_or_else(|| Error::invalid("data", "this host lacks a stream class it needs"))?;
    Reflect::construct(&class, &Array::of1(argument)).map_err(|_| Error::invalid("data", "could not be streamed"))
}

/// The stream `fetch` reads. With progress, `stream` goes through a counting
/// `TransformStream`. Given `abort`, and where a failing source would not fail the request (see
/// [`rejects_failed_bodies`]), it is then piped with `preventAbort` into a `FixedLengthStream`
/// when the size is known (workerd's way to send `content-length`; a short body fails there) or
/// an identity `TransformStream`: a source failure leaves the body unfinished, and aborts the
/// request.
fn stream_body(
    stream: &JsValue,
    count: Option<Rc<dyn Fn(u64)>>,
    size: Option<u64>,
    abort: Option<&AbortController>,
    guard: &mut UploadGuard,
) -> Result<JsValue> {
    let mut stream = stream.clone();
    if let Some(count) = count {
        let transform = Closure::wrap(Box::new(move |chunk: JsValue, controller: JsValue| {
            count(get(&chunk, "byteLength").as_f64().unwrap_or(0.0) as u64);
            if let Ok(enqueue) = get(&controller, "enqueue").dyn_into::<Function>() {
                let _ = enqueue.call1(&controller, &chunk);
            }
        }) as Box<dyn FnMut(JsValue, JsValue)>);
        let transformer = Object::new();
        let _ = Reflect::set(&transformer, &JsValue::from_str("transform"), transform.as_ref());
        guard._transform = Some(transform);
        let through = construct("TransformStream", &transformer)?;
        let pipe = get(&stream, "pipeThrough").dyn_into::<Function>().map_err(|_| Error::invalid("data", "is not a readable stream"))?;
        stream = pipe.call1(&stream, &through).map_err(|_| Error::invalid("data", "is locked or already read"))?;
    }
    let Some(abort) = abort.filter(|_| !rejects_failed_bodies()) else { return Ok(stream) };
    let through = match size {
        Some(size) if global("FixedLengthStream").is_function() => construct("FixedLengthStream", &JsValue::from_f64(size as f64))?,
        _ => construct("TransformStream", &Object::new())?,
    };
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("preventAbort"), &JsValue::TRUE);
    let pipe_to = get(&stream, "pipeTo").dyn_into::<Function>().map_err(|_| Error::invalid("data", "is not a readable stream"))?;
    let piped: Promise = pipe_to
        .call2(&stream, &get(&through, "writable"), &options)
        .map_err(|_| Error::invalid("data", "is locked or already read"))?
        .unchecked_into();
    let (failed, abort) = (guard.source_error.clone(), abort.clone());
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = JsFuture::from(piped).await {
            if failed.borrow().is_none() {
                *failed.borrow_mut() = Some(super::message_of(&error));
            }
            abort.abort();
        }
    });
    Ok(get(&through, "readable"))
}

/// Rust chunk streams as a `ReadableStream`. Not in the npm build (feature `js`), where no Rust
/// code makes chunk streams: it would cost the package a second promise executor.
#[cfg(not(feature = "js"))]
mod chunks {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use wasm_bindgen_futures::future_to_promise;

    use super::*;
    use crate::storage::Chunk;

    /// Polls a boxed chunk stream once per `await`.
    struct NextChunk(Rc<RefCell<Pin<Box<dyn futures_core::Stream<Item = Chunk>>>>>);

    impl Future for NextChunk {
        type Output = Option<Chunk>;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
            self.0.borrow_mut().as_mut().poll_next(cx)
        }
    }

    /// A pull-based `ReadableStream` over Rust chunks (each chunk copied out to the host once).
    pub(super) fn readable_from_chunks(chunks: &ChunkStream, guard: &mut UploadGuard) -> Result<JsValue> {
        let stream = chunks.take().ok_or_else(|| Error::invalid("data", "this stream was already read"))?;
        let stream = Rc::new(RefCell::new(stream));
        let failed = guard.source_error.clone();
        let pull = Closure::wrap(Box::new(move |controller: JsValue| -> Promise {
            let (stream, failed) = (stream.clone(), failed.clone());
            future_to_promise(async move {
                let call = |name: &str, arg: Option<&JsValue>| {
                    if let Ok(f) = get(&controller, name).dyn_into::<Function>() {
                        let _ = match arg {
                            Some(arg) => f.call1(&controller, arg),
                            None => f.call0(&controller),
                        };
                    }
                };
                match NextChunk(stream).await {
                    Some(Ok(bytes)) => call("enqueue", Some(&Uint8Array::from(bytes.as_slice()).into())),
                    Some(Err(message)) => {
                        *failed.borrow_mut() = Some(message.clone());
                        call("error", Some(&js_sys::Error::new(&message).into()));
                    }
                    None => call("close", None),
                }
                Ok(JsValue::UNDEFINED)
            })
        }) as Box<dyn FnMut(JsValue) -> Promise>);
        let source = Object::new();
        let _ = Reflect::set(&source, &JsValue::from_str("pull"), pull.as_ref());
        let class =
            global("ReadableStream").dyn_into::<Function>().map_err(|_| Error::invalid("data", "this host has no ReadableStream"))?;
        let readable = Reflect::construct(&class, &Array::of1(&source)).map_err(|_| Error::invalid("data", "ReadableStream failed"))?;
        guard._pull = Some(pull);
        Ok(readable)
    }
}
#[cfg(not(feature = "js"))]
use chunks::readable_from_chunks;

#[cfg(feature = "js")]
fn readable_from_chunks(_: &ChunkStream, _: &mut UploadGuard) -> Result<JsValue> {
    Err(Error::invalid("data", "Rust chunk streams are not part of the npm build"))
}

/// `await new Response(stream).blob()`: a browser's fallback for stream sources. The stream is
/// piped through an identity `TransformStream` so that, when it fails, the source's own error
/// is reported rather than the browser's "Failed to fetch".
async fn gather(stream: &JsValue) -> Result<JsValue> {
    let unreadable = || Error::invalid("data", "could not be read");
    let through = construct("TransformStream", &Object::new())?;
    let pipe_to = get(stream, "pipeTo").dyn_into::<Function>().map_err(|_| unreadable())?;
    let piped: Promise = pipe_to.call1(stream, &get(&through, "writable")).map_err(|_| unreadable())?.unchecked_into();
    let response = construct("Response", &get(&through, "readable"))?;
    let blob = get(&response, "blob").dyn_into::<Function>().map_err(|_| unreadable())?;
    let promise: Promise = blob.call0(&response).map_err(|_| unreadable())?.unchecked_into();
    match JsFuture::from(promise).await {
        Ok(blob) => Ok(blob),
        Err(error) => {
            let cause = JsFuture::from(piped).await.err().unwrap_or(error);
            Err(Error::Network { message: String::from("the upload source failed: ") + &super::message_of(&cause) })
        }
    }
}

/// Sets `body` (and `duplex`, and `content-length` for a stream of known size) on the fetch
/// init for `upload`.
pub(super) async fn prepare(upload: &UploadBody, headers: &Object, init: &Object, abort: &AbortController) -> Result<UploadGuard> {
    let mut guard = UploadGuard::default();
    let streaming = streams_request_bodies();
    let count = upload.on_progress.as_ref().map(|on_progress| counter(on_progress, upload.size));
    // The body as the host sees it, and whether it is a stream.
    let (mut body, mut is_stream) = match &upload.source {
        UploadSource::Bytes(bytes) => (JsValue::from(Uint8Array::from(&bytes[..])), false),
        UploadSource::Host(host) => (host.value.clone(), host.kind == Kind::Stream),
        UploadSource::Stream(chunks) => (readable_from_chunks(chunks, &mut guard)?, true),
    };
    if let Some(count) = count.clone() {
        if !is_stream && streaming {
            // Any body as a stream of host chunks, so progress can count them.
            body = get(&construct("Response", &body)?, "body");
            is_stream = true;
        } else if !is_stream {
            // Sent whole by the browser, which reports no upload progress to `fetch`.
            let total = upload.size.unwrap_or(0);
            count(0);
            guard.finish = Some(Rc::new(move || count(total)));
        }
    }
    if is_stream && streaming {
        body = stream_body(&body, count, upload.size, Some(abort), &mut guard)?;
    } else if is_stream {
        // Gathered into a Blob, which fails by itself when the source does: no guard.
        if count.is_some() {
            body = stream_body(&body, count, upload.size, None, &mut guard)?;
        }
        body = gather(&body).await?;
        is_stream = false;
    }
    if is_stream {
        let _ = Reflect::set(init, &JsValue::from_str("duplex"), &JsValue::from_str("half"));
        if let (Some(size), false) = (upload.size, Reflect::has(headers, &JsValue::from_str("content-length")).unwrap_or(false)) {
            // A sized body turned into a stream for progress keeps its length (not chunked).
            let _ = Reflect::set(headers, &JsValue::from_str("content-length"), &JsValue::from_f64(size as f64));
        }
    }
    let _ = Reflect::set(init, &JsValue::from_str("body"), &body);
    Ok(guard)
}
