//! `db.subscribeQuery(query, callback, opts)`: `follow` in `src/host/wasm/host.js` runs the
//! stream loop and asks [`Live`] (the [`LiveState`] machine, as JS sees it) what each event
//! means; payloads come out in the official client's shapes. `pkg/src/api.js` builds the
//! subscription object (`close`, `isClosed`, `Symbol.asyncIterator`) on the handle `follow`
//! returns.

use crate::prelude::*;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use super::{to_js_error, Client};
use crate::host::wasm::{self as host, read_argument};
use crate::http::HttpRequest;
use crate::live_state::{official_page_info, LiveState, ResultText, Update};
use crate::value::write_string;
use crate::{Error, Instant};

/// One subscription's state, driven by `follow` in `host.js`.
#[wasm_bindgen]
pub struct Live {
    db: Instant,
    request: HttpRequest,
    state: LiveState,
    /// The `fetch` init `pkg/src/api.js` made of the caller's `fetchOpts`, for every
    /// connection (or `undefined`).
    init: JsValue,
}

#[wasm_bindgen(module = "/src/host/wasm/host.js")]
extern "C" {
    fn follow(live: Live, sink: &Function) -> JsValue;
}

/// An `ok` payload as JSON text: `{ type, data, pageInfo, sessionInfo }`.
fn ok_payload(result: &ResultText) -> String {
    let mut out = String::from(r#"{"type":"ok","data":"#);
    out.push_str(&result.data);
    out.push_str(r#","pageInfo":"#);
    out.push_str(&official_page_info(&result.page_info));
    out.push_str(r#","sessionInfo":{"machineId":"#);
    write_string(&result.session.machine_id, &mut out);
    out.push_str(r#","sessionId":"#);
    write_string(&result.session.session_id, &mut out);
    out.push_str("}}");
    out
}

#[wasm_bindgen]
impl Live {
    /// The request to open: `[url, method, headers, body, init]`.
    pub fn request(&self) -> Result<Array, JsValue> {
        let parts = host::parts(&self.request).map_err(to_js_error)?;
        Ok(Array::of5(&parts.url, &parts.method, &parts.headers, &parts.body, &self.init))
    }

    /// A 200 stream began.
    pub fn opened(&mut self) {
        self.state.opened();
    }

    /// What `chunk` completed: each result's payload as JSON text, then the error that ends the
    /// subscription, if one came.
    pub fn chunk(&mut self, chunk: &[u8]) -> Array {
        let out = Array::new();
        for update in self.state.chunk(chunk) {
            match update {
                Update::Result(result) => out.push(&JsValue::from_str(&ok_payload(&result))),
                Update::Failed(error) => out.push(&to_js_error(self.db.scrub(error, &self.request))),
            };
        }
        out
    }

    /// The stream dropped or never connected: the wait (ms) before reconnecting.
    pub fn dropped(&mut self) -> u32 {
        self.state.dropped(js_sys::Math::random())
    }

    /// The server refused (`answer` is what `Call.send` resolved with): the wait (ms) before
    /// reconnecting, or the error that ends the subscription.
    pub fn refused(&mut self, answer: &Array) -> JsValue {
        let answer = match host::answer(answer) {
            Ok(answer) => answer,
            Err(_) => return JsValue::from(self.dropped()),
        };
        let error = self.db.failure(&answer, &self.request);
        match self.state.refused(answer.status, answer.retry_after.as_deref(), error, js_sys::Math::random()) {
            Ok(wait) => JsValue::from(wait),
            Err(error) => to_js_error(error),
        }
    }
}

#[wasm_bindgen]
impl Client {
    /// `db.subscribeQuery(query, callback, opts)` with the payload sink and the `fetch` init of
    /// `opts.fetchOpts`: the handle `follow` returns (`close()`, `isClosed`); throws on a bad
    /// query or a callback that is not a function.
    #[wasm_bindgen(js_name = subscribeQuery)]
    pub fn subscribe_query(
        &self,
        query: JsValue,
        callback: JsValue,
        opts: JsValue,
        sink: Function,
        init: JsValue,
    ) -> Result<JsValue, JsValue> {
        let start = || -> Result<Live, Error> {
            if !callback.is_function() && !callback.is_undefined() && !callback.is_null() {
                return Err(Error::invalid("callback", "must be a function"));
            }
            let (_, rule_params) = super::call_options(&opts)?;
            let text = read_argument(&query, "query")?;
            let query = super::argument_node(&text);
            let params = rule_params.as_ref().map(super::argument_node);
            self.db.check_query(&query)?;
            self.db.query_request(&query, None)?; // the impersonation checks, before anything starts
            let request = crate::request::subscribe(self.db.config(), self.db.who(), &query, params.as_ref(), &crate::id())?;
            Ok(Live { db: self.db.clone(), request, state: LiveState::default(), init })
        };
        let live = start().map_err(to_js_error)?;
        Ok(follow(live, &sink))
    }
}
