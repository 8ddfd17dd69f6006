//! `db.subscribeQuery(query, callback, opts)`: the driver runs in the background and hands every
//! payload, in the official client's shapes, to `callback`; `pkg/src/api.js` builds the
//! subscription object (`close`, `isClosed`, `Symbol.asyncIterator`) on it.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::{get, set, to_js_error, Client};
use crate::live::{drive, Delivery, SessionInfo};
use crate::transport::{to_value, Canceller, Transport};
use crate::Error;

/// A running subscription, as JS sees it.
#[wasm_bindgen]
pub struct Live {
    canceller: Canceller,
    closed: Rc<Cell<bool>>,
}

#[wasm_bindgen]
impl Live {
    /// Ends it (the stream is aborted; no payload follows).
    pub fn close(&self) {
        self.closed.set(true);
        self.canceller.cancel();
    }

    /// Whether it ended: closed, or failed for good.
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }
}

/// `{ ns: { start-cursor, end-cursor, has-next-page?, has-previous-page? } }` with the official
/// client's names.
fn page_info(server: &JsValue) -> JsValue {
    let out = Object::new();
    if server.is_object() {
        for key in Object::keys(server.unchecked_ref::<Object>()).iter() {
            let name = key.as_string().unwrap_or_default();
            let info = get(server, &name);
            let renamed = Object::new();
            for (from, to) in [
                ("start-cursor", "startCursor"),
                ("end-cursor", "endCursor"),
                ("has-next-page?", "hasNextPage"),
                ("has-previous-page?", "hasPreviousPage"),
            ] {
                set(&renamed, to, &get(&info, from));
            }
            set(&out, &name, &renamed);
        }
    }
    out.into()
}

fn session_info(session: &SessionInfo) -> JsValue {
    let out = Object::new();
    set(&out, "machineId", &JsValue::from_str(&session.machine_id));
    set(&out, "sessionId", &JsValue::from_str(&session.session_id));
    out.into()
}

#[wasm_bindgen]
impl Client {
    /// `db.subscribeQuery(query, opts)` with the payload sink; throws on a bad query.
    #[wasm_bindgen(js_name = subscribeQuery)]
    pub fn subscribe_query(&self, query: JsValue, opts: JsValue, sink: Function) -> Result<Live, JsValue> {
        let start = || -> Result<Live, Error> {
            let query = to_value(&query).map_err(|_| Error::invalid("query", "must be JSON-serialisable"))?;
            let options = super::call_options(&opts, true)?;
            let request = crate::request::subscribe(self.db.config(), self.db.who(), &query, options.rule_params.as_ref())?;
            let canceller = Canceller::new();
            let closed = Rc::new(Cell::new(false));
            let (ended, done) = (closed.clone(), closed.clone());
            let deliver = move |delivery: Delivery| {
                if ended.get() {
                    return;
                }
                let payload = Object::new();
                match delivery {
                    Delivery::Result(result) => {
                        set(&payload, "type", &JsValue::from_str("ok"));
                        set(&payload, "data", &result.data);
                        set(&payload, "pageInfo", &page_info(&result.page_info));
                        set(&payload, "sessionInfo", &session_info(&result.session));
                    }
                    Delivery::Failed(error) => {
                        ended.set(true);
                        set(&payload, "type", &JsValue::from_str("error"));
                        set(&payload, "error", &to_js_error(error));
                    }
                }
                // A throwing callback must not stop the subscription; its error is re-thrown
                // asynchronously, as an unhandled rejection the host reports.
                if let Err(thrown) = sink.call1(&JsValue::NULL, &payload) {
                    let _ = js_sys::Promise::reject(&thrown);
                }
            };
            let task = drive(self.db.clone(), request, canceller.signal(), deliver);
            self.db.transport().spawn(Box::pin(async move {
                task.await;
                done.set(true);
            }));
            Ok(Live { canceller, closed })
        };
        start().map_err(to_js_error)
    }

    /// `db.rooms.getPresence(roomType, roomId)`.
    #[wasm_bindgen(js_name = getPresence)]
    pub fn get_presence(&self, room_type: JsValue, room_id: JsValue) -> js_sys::Promise {
        let args = js_sys::Array::of2(&room_type, &room_id);
        wasm_bindgen_futures::future_to_promise(super::dispatch(self.db.clone(), super::Call::Presence, args.into(), JsValue::UNDEFINED))
    }
}
