//! An upload's body for `host.js`: the host's own object as is (never copied into wasm), Rust
//! bytes copied out once, or a Rust chunk stream as a pull-based `ReadableStream`.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;

use crate::error::Result;
use crate::http::{UploadBody, UploadSource};

/// `[body, size, isStream, onProgress]` for `Call.send`.
pub(super) fn arguments(upload: &UploadBody) -> Result<JsValue> {
    let (body, is_stream) = match &upload.source {
        UploadSource::Bytes(bytes) => (JsValue::from(Uint8Array::from(&bytes[..])), false),
        UploadSource::Host(host, size) => (host.get::<JsValue>().cloned().unwrap_or(JsValue::UNDEFINED), size.is_none()),
        UploadSource::Stream(chunks) => (chunks::readable(chunks)?, true),
    };
    let size = upload.size.map_or(JsValue::UNDEFINED, |size| JsValue::from_f64(size as f64));
    let progress = match (&upload.host_progress, &upload.on_progress) {
        (Some(callback), _) => callback.get::<JsValue>().cloned().unwrap_or(JsValue::UNDEFINED),
        (None, Some(on_progress)) => chunks::progress(on_progress.clone()),
        (None, None) => JsValue::UNDEFINED,
    };
    Ok(Array::of4(&body, &size, &JsValue::from_bool(is_stream), &progress).into())
}

/// Rust chunk streams and Rust progress callbacks, for Rust callers. Not in the npm builds
/// (features `js`, `js-platform`), where no Rust code makes either: the closures would cost
/// them kilobytes.
#[cfg(not(any(feature = "js", feature = "js-platform")))]
mod chunks {
    use alloc::rc::Rc;
    use core::cell::RefCell;
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll};

    use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::future_to_promise;

    use crate::error::{Error, Result};
    use crate::http::{Chunk, ChunkStream, OnProgress, Progress};

    /// Polls a boxed chunk stream once per `await`.
    struct NextChunk(Rc<RefCell<Pin<Box<dyn futures_core::Stream<Item = Chunk>>>>>);

    impl Future for NextChunk {
        type Output = Option<Chunk>;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
            self.0.borrow_mut().as_mut().poll_next(cx)
        }
    }

    fn call(controller: &JsValue, name: &str, arg: Option<&JsValue>) {
        if let Ok(f) = Reflect::get(controller, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED).dyn_into::<Function>() {
            let _ = match arg {
                Some(arg) => f.call1(controller, arg),
                None => f.call0(controller),
            };
        }
    }

    /// A pull-based `ReadableStream` over Rust chunks (each chunk copied out to the host once).
    pub(super) fn readable(chunks: &ChunkStream) -> Result<JsValue> {
        let stream = chunks.take().ok_or_else(|| Error::invalid("data", "this stream was already read"))?;
        let stream = Rc::new(RefCell::new(stream));
        let pull = Closure::wrap(Box::new(move |controller: JsValue| -> Promise {
            let stream = stream.clone();
            future_to_promise(async move {
                match NextChunk(stream).await {
                    Some(Ok(bytes)) => call(&controller, "enqueue", Some(&Uint8Array::from(bytes.as_slice()).into())),
                    Some(Err(message)) => call(&controller, "error", Some(&js_sys::Error::new(&message).into())),
                    None => call(&controller, "close", None),
                }
                Ok(JsValue::UNDEFINED)
            })
        }) as Box<dyn FnMut(JsValue) -> Promise>);
        let source = Object::new();
        let _ = Reflect::set(&source, &JsValue::from_str("pull"), pull.as_ref());
        pull.forget(); // lives as long as the stream, which the host owns
        let class =
            super::super::global_function("ReadableStream").ok_or_else(|| Error::invalid("data", "this host has no ReadableStream"))?;
        Reflect::construct(&class, &js_sys::Array::of1(&source)).map_err(|_| Error::invalid("data", "ReadableStream failed"))
    }

    /// A JS function calling a Rust progress callback with `{ loaded, total }`.
    pub(super) fn progress(on_progress: OnProgress) -> JsValue {
        let read = |event: &JsValue, key: &str| Reflect::get(event, &JsValue::from_str(key)).ok().and_then(|v| v.as_f64());
        let callback = Closure::wrap(Box::new(move |event: JsValue| {
            let loaded = read(&event, "loaded").unwrap_or_default() as u64;
            on_progress(Progress { loaded, total: read(&event, "total").map(|t| t as u64) });
        }) as Box<dyn FnMut(JsValue)>);
        let function = callback.as_ref().clone();
        callback.forget(); // called until the upload ends; a few bytes per upload
        function
    }
}

#[cfg(any(feature = "js", feature = "js-platform"))]
mod chunks {
    use wasm_bindgen::JsValue;

    use crate::error::{Error, Result};
    use crate::http::{ChunkStream, OnProgress};

    pub(super) fn readable(_: &ChunkStream) -> Result<JsValue> {
        Err(Error::invalid("data", "Rust chunk streams are not part of the npm build"))
    }

    pub(super) fn progress(_: OnProgress) -> JsValue {
        JsValue::UNDEFINED
    }
}
