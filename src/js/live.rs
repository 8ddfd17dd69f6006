//! `db.subscribeQuery(query, callback, opts)`: the driver runs in the background and hands every
//! payload, in the official client's shapes, to `callback`; `pkg/src/api.js` builds the
//! subscription object (`close`, `isClosed`, `Symbol.asyncIterator`) on it.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::{set, to_js_error, Client};
use crate::host::wasm::{read_argument, Canceller};
use crate::host::Transport;
use crate::json::JsonView;
use crate::live::{drive, Delivery, SessionInfo};
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
    {
        for (name, info) in server.entries() {
            let renamed = Object::new();
            for (from, to) in [
                ("start-cursor", "startCursor"),
                ("end-cursor", "endCursor"),
                ("has-next-page?", "hasNextPage"),
                ("has-previous-page?", "hasPreviousPage"),
            ] {
                set(&renamed, to, &info.field(from).unwrap_or(JsValue::UNDEFINED));
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
    /// `db.subscribeQuery(query, callback, opts)` with the payload sink; throws on a bad query
    /// or a callback that is not a function.
    #[wasm_bindgen(js_name = subscribeQuery)]
    pub fn subscribe_query(&self, query: JsValue, callback: JsValue, opts: JsValue, sink: Function) -> Result<Live, JsValue> {
        let start = || -> Result<Live, Error> {
            if !callback.is_function() && !callback.is_undefined() && !callback.is_null() {
                return Err(Error::invalid("callback", "must be a function"));
            }
            let (_, rule_params) = super::call_options(&opts)?;
            let text = read_argument(&query, "query")?;
            let query = super::parse_argument(&text, "query")?;
            let params = rule_params.as_ref().map(|params| super::parse_argument(params, "ruleParams")).transpose()?;
            self.db.query_request(&query, None)?; // the impersonation checks, before anything starts
            let request = crate::request::subscribe(self.db.config(), self.db.who(), &query, params.as_ref(), &crate::id())?;
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
                // The sink (pkg/src/api.js) catches what the caller's callback throws.
                let _ = sink.call1(&JsValue::NULL, &payload);
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
}
