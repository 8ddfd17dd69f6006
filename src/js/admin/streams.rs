//! `db.streams`: `pkg/src/streams.js` drives the channel (`/admin/sse`, `/admin/sse/push`) and
//! the writers' and readers' bookkeeping and decodes the SSE text; the wasm [`Channel`] makes the
//! channel's request and reads the events' data ([`crate::streams::events`]) but `stream-append`s,
//! handing each to JS as a small array. The Rust API keeps the pure Rust decoders
//! ([`crate::sse::SseDecoder`], [`crate::streams::events`]) for everything.

use crate::prelude::*;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{to_js_error, Client};
use crate::host::wasm as host;
use crate::http::HttpRequest;
use crate::streams::{events, Event};
use crate::Instant;

/// One connection of the streams channel, as `pkg/src/streams.js` sees it.
#[wasm_bindgen]
pub struct Channel {
    db: Instant,
    request: HttpRequest,
}

fn js(text: &str) -> JsValue {
    JsValue::from_str(text)
}

fn number(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

#[wasm_bindgen]
impl Channel {
    /// `[url, method, headers, body, pushUrl]` of the channel.
    pub fn request(&self) -> Result<Array, JsValue> {
        let parts = host::parts(&self.request).map_err(to_js_error)?;
        let push = crate::streams::push_request(self.db.config(), String::new());
        Ok(Array::of5(&parts.url, &parts.method, &parts.headers, &parts.body, &js(&push.url)))
    }

    /// The events of one SSE event's `data` (the JS reader decodes the SSE text itself and reads
    /// `stream-append`s in JS, where their strings are: a 64 KiB `content` crossing into wasm and
    /// back cost more than the whole official reader; everything else comes here), each an
    /// array: `[0, machineId, sessionId, sseToken]`
    /// `sse-init`; `[1, eventId, streamId, offset]` `start-stream-ok`; `[2, streamId, offset,
    /// done]` `stream-flushed`; `[3, streamId]` `append-failed`; `[4, eventId, offset, content,
    /// files ([url, size]...), done, abortReason, error, retry, streamId]` `stream-append`;
    /// `[5, op, eventId, streamId, error]` `error`. Data that is not JSON gives `[6, error]`.
    pub fn data(&self, data: &str) -> Array {
        let out = Array::new();
        match events(data) {
            Err(error) => {
                out.push(&Array::of2(&number(6), &to_js_error(error)));
            }
            Ok(read) => {
                for event in read {
                    let entry = match event {
                        Event::Init(s) => Array::of4(&number(0), &js(&s.machine_id), &js(&s.session_id), &js(&s.sse_token)),
                        Event::Started { event_id, stream_id, offset } => {
                            Array::of4(&number(1), &js(&event_id), &js(&stream_id), &number(offset))
                        }
                        Event::Flushed { stream_id, offset, done } => {
                            Array::of4(&number(2), &js(&stream_id), &number(offset), &JsValue::from_bool(done))
                        }
                        Event::AppendFailed { stream_id } => Array::of2(&number(3), &js(&stream_id)),
                        Event::Append(a) => {
                            let files = Array::new();
                            for file in &a.files {
                                files.push(&Array::of2(&js(&file.url), &number(file.size)));
                            }
                            let entry = Array::of5(
                                &number(4),
                                &js(&a.event_id),
                                &number(a.offset),
                                &a.content.as_deref().map_or(JsValue::NULL, js),
                                &files,
                            );
                            entry.push(&JsValue::from_bool(a.done));
                            entry.push(&a.abort_reason.as_deref().map_or(JsValue::NULL, js));
                            entry.push(&JsValue::from_bool(a.error));
                            entry.push(&JsValue::from_bool(a.retry));
                            entry.push(&js(&a.stream_id));
                            entry
                        }
                        Event::Failed { op, event_id, stream_id, error } => {
                            let error = to_js_error(self.db.scrub(error, &self.request));
                            Array::of5(&number(5), &js(&op), &js(&event_id), &js(&stream_id), &error)
                        }
                        Event::Other => continue,
                    };
                    out.push(&entry);
                }
            }
        }
        out
    }
}

#[wasm_bindgen]
impl Client {
    /// The streams channel of this handle (`db.streams`), or its invalid-argument error.
    #[wasm_bindgen(js_name = streamChannel)]
    pub fn stream_channel(&self) -> Result<Channel, JsValue> {
        let request = crate::streams::channel_request(self.db.config(), self.db.who()).map_err(to_js_error)?;
        Ok(Channel { db: self.db.clone(), request })
    }
}
