//! The admin entry's exports (`instant-edge`): `init`'s client, its one call export driven by
//! `drive` in `src/host/wasm/host.js`, live queries ([`live`]) and the answers' shapes
//! ([`answer`]). The `tx` Proxy, the error classes and the async iterator are in
//! `pkg/src/api.js`.

use crate::prelude::*;
use wasm_bindgen::prelude::*;

mod answer;
mod live;
mod streams;
mod webhooks;

use super::{argument_node, is_absent, parse_text, string_option, text_arg, to_js_error};
use crate::host::wasm::{self as host, get, Argument};
use crate::parse::parse;
use crate::Error;
use {
    crate::auth::UserRef,
    crate::client::attempts::{Attempts, Next},
    crate::host::wasm::read_argument,
    crate::http::{HttpRequest, HttpResponse, Reply},
    crate::json::{JsonView, Kind},
    crate::request::perms_check::{self, CheckOptions},
    crate::{CallOptions, Config, Impersonation, Instant},
    answer::Answer,
    js_sys::{Array, Promise},
    wasm_bindgen::JsCast,
};

/// An optional whole number from 0 to `max`.
fn number_option(object: &JsValue, key: &'static str, max: f64) -> Result<Option<f64>, Error> {
    let value = get(object, key)?;
    if is_absent(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if (0.0..=max).contains(&n) && n % 1.0 == 0.0 => Ok(Some(n)),
        _ => Err(Error::invalid(key, "must be a whole number ≥ 0")),
    }
}

/// An optional boolean.
fn bool_option(object: &JsValue, key: &'static str) -> Result<Option<bool>, Error> {
    let value = get(object, key)?;
    match value.as_bool() {
        None if !is_absent(&value) => Err(Error::invalid(key, "must be a boolean")),
        flag => Ok(flag),
    }
}
/// `{ signal, timeout }` (and `ruleParams`' JSON text for queries), read once.
fn call_options(opts: &JsValue) -> Result<(CallOptions, Option<Argument>), Error> {
    let mut options = CallOptions::default();
    if is_absent(opts) {
        return Ok((options, None));
    }
    if !opts.is_object() {
        return Err(Error::invalid("options", "must be an object"));
    }
    options.timeout_ms = number_option(opts, "timeout", f64::from(u32::MAX))?.map(|ms| ms as u32);
    let signal = get(opts, "signal")?;
    if !is_absent(&signal) {
        options.signal = Some(signal.dyn_into().map_err(|_| Error::invalid("signal", "must be an AbortSignal"))?);
    }
    let rule_params = get(opts, "ruleParams")?;
    let rule_params = if is_absent(&rule_params) { None } else { Some(read_argument(&rule_params, "ruleParams")?) };
    Ok((options, rule_params))
}

/// The options of `debugQuery` / `debugTransact` beside `{ signal, timeout, ruleParams }`
/// (`call_options` has checked that `opts` is absent or an object): `{ rules, ip, origin,
/// cardinalityInference }` and the official client's private `__dangerouslyCommit`, each read
/// once. Never inlined: inlined into the call export it measured 0.4 KB gzip larger.
#[inline(never)]
fn check_options(opts: &JsValue) -> Result<CheckOptions, Error> {
    let mut checks = CheckOptions {
        ip: string_option(opts, "ip")?,
        origin: string_option(opts, "origin")?,
        inference: bool_option(opts, "cardinalityInference")?,
        commit: bool_option(opts, "__dangerouslyCommit")?,
        rules: None,
    };
    // `null` rules are sent as `null` (the stored rules), as `JSON.stringify` sends them.
    let rules = get(opts, "rules")?;
    if !rules.is_undefined() {
        checks.rules = Some(perms_check::rules(&argument_node(&read_argument(&rules, "rules")?))?);
    }
    Ok(checks)
}

/// The wasm side of `init(...)`: one app on one server, possibly acting as a user.
#[wasm_bindgen]
pub struct Client {
    db: Instant,
}

#[wasm_bindgen]
impl Client {
    /// `{ appId, adminToken?, apiURI, schema?, timeout?, retries? }`; throws on bad input.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Client, JsValue> {
        Client::configure(&config).map(|db| Client { db }).map_err(to_js_error)
    }

    fn configure(config: &JsValue) -> Result<Instant, Error> {
        let app_id = string_option(config, "appId")?.ok_or_else(|| Error::invalid("appId", "is required"))?;
        let api_uri = string_option(config, "apiURI")?.ok_or_else(|| Error::invalid("apiURI", "is required"))?;
        let mut settings = Config::new(&app_id, &api_uri)?;
        if let Some(token) = string_option(config, "adminToken")? {
            settings = settings.with_admin_token(token)?;
        }
        // The schema's JSON, read once and kept; `disableValidation` keeps only the flags.
        let schema = get(config, "schema")?;
        if schema.is_truthy() {
            settings = match get(config, "disableValidation")?.is_truthy() {
                true => settings.with_schema(true),
                false => settings.with_schema_def(crate::Schema::from_json(&argument_node(&read_argument(&schema, "schema")?))?, true),
            };
        }
        if let Some(ms) = number_option(config, "timeout", f64::from(u32::MAX))? {
            settings = settings.with_timeout_ms(ms as u32);
        }
        if let Some(retries) = number_option(config, "retries", f64::from(u32::MAX))? {
            settings = settings.with_retries(retries as u32);
        }
        Ok(Instant::new(settings))
    }

    /// `db.query(q, opts)`, `db.transact(steps, opts)`, `db.debugQuery(q, opts)`,
    /// `db.debugTransact(steps, opts)`, `db.auth.<method>(...args)`,
    /// `db.storage.<method>(...args)` and `db.rooms.getPresence(type, id)`: `area` and `method`
    /// name the call. One export for all of them (each export costs a shim); the request is
    /// driven by `drive` in `host.js` through [`Pending::next`].
    /// A query or transaction its schema refuses throws here, before any promise, as
    /// `@instantdb/admin` throws (`debugQuery` / `debugTransact` reject instead).
    pub fn call(&self, area: u32, method: JsValue, args: JsValue) -> Result<Promise, JsValue> {
        let args: Array = if Array::is_array(&args) { args.unchecked_into() } else { Array::new() };
        let arg = |i: usize| args.get(i as u32);
        Ok(match prepare(&self.db, area, method.as_string().unwrap_or_default().as_str(), &arg) {
            Ok(Prepared::Done(value)) => Promise::resolve(&value),
            Ok(Prepared::Send(request, options, answer, init)) => {
                let now = js_sys::Date::now();
                let attempts = Attempts::new(self.db.config(), &options, now);
                let mut pending = Pending { db: self.db.clone(), request, options, answer, attempts, init };
                // The first step is decided here: one crossing fewer per call.
                match pending.advance(JsValue::UNDEFINED, now) {
                    Ok(step) => drive(pending, step),
                    Err(error) => Promise::reject(&error),
                }
            }
            Err(error @ Error::Validation { .. }) if area & DEBUG == 0 => return Err(to_js_error(error)),
            Err(error) => Promise::reject(&to_js_error(error)),
        })
    }

    /// `db.asUser({ email } | { token } | { guest: true })`.
    #[wasm_bindgen(js_name = asUser)]
    pub fn as_user(&self, opts: JsValue) -> Result<Client, JsValue> {
        let who = impersonation(&opts).map_err(to_js_error)?;
        Ok(Client { db: self.db.as_user(who) })
    }
}

/// The call areas of [`Client::call`], as `pkg/src/api.js` numbers them (4, presence, is the
/// rest; 5 is `db.webhooks`).
const QUERY: u32 = 0;
const TRANSACT: u32 = 1;
const AUTH: u32 = 2;
const STORAGE: u32 = 3;
const WEBHOOKS: u32 = 5;
/// Added to `QUERY` / `TRANSACT`: their permission checks, `debugQuery` / `debugTransact`.
const DEBUG: u32 = 8;
const DEBUG_QUERY: u32 = QUERY | DEBUG;
const DEBUG_TRANSACT: u32 = TRANSACT | DEBUG;

/// One call in flight, driven by `drive` in `src/host/wasm/host.js`: each step is decided here.
#[wasm_bindgen]
pub struct Pending {
    db: Instant,
    request: HttpRequest,
    options: CallOptions,
    answer: Answer,
    attempts: Attempts,
    /// The `fetch` init of the caller's `fetchOpts` for every attempt (or `undefined`).
    init: JsValue,
}

#[wasm_bindgen(module = "/src/host/wasm/host.js")]
extern "C" {
    fn drive(pending: Pending, step: Array) -> Promise;
    /// `[kind, ...parts]` in one host call.
    #[wasm_bindgen(js_name = step)]
    #[allow(clippy::too_many_arguments)]
    fn make_step(
        kind: u32,
        a: &JsValue,
        b: &JsValue,
        c: &JsValue,
        d: &JsValue,
        e: &JsValue,
        f: &JsValue,
        g: &JsValue,
        h: bool,
        i: &JsValue,
    ) -> Array;
}

#[wasm_bindgen]
impl Pending {
    /// The next step after `answer` (what `Call.send` resolved with; `undefined` before an
    /// attempt): `[0, value]` done, `[3, json]` done with the value's JSON text, `[1, ms]` wait,
    /// `[2, timeout, url, method, headers, body, upload, signal, whole]` send (`whole`: a 200 is
    /// the call's value as it is, so `drive` parses and settles it without asking again; else
    /// its text comes back here to be shaped); the call's error is thrown.
    pub fn next(&mut self, answer: JsValue) -> Result<Array, JsValue> {
        self.advance(answer, js_sys::Date::now())
    }
}

impl Pending {
    fn advance(&mut self, answer: JsValue, now: f64) -> Result<Array, JsValue> {
        let none = &JsValue::UNDEFINED;
        let next = if answer.is_undefined() {
            let aborted = self.options.signal.as_ref().is_some_and(web_sys::AbortSignal::aborted);
            self.attempts.before(aborted, now)
        } else {
            let result = host::answer(answer.unchecked_ref());
            if let Ok(HttpResponse { status: 200, body: Reply::Text(text), .. }) = &result {
                return match self.answer.shape(text, self.db.config().app_id()) {
                    Ok(Some(json)) => Ok(make_step(3, &JsValue::from_str(&json), none, none, none, none, none, none, false, none)),
                    Ok(None) => Ok(make_step(0, none, none, none, none, none, none, none, false, none)),
                    Err(error) => Err(to_js_error(error)),
                };
            }
            self.attempts.after(&self.db, &self.request, result, now, js_sys::Math::random())
        };
        match next {
            // A 200 the host parsed (a Rust-driven request): not asked for by `drive`.
            Next::Done(Ok(json)) => Ok(make_step(0, &json, none, none, none, none, none, none, false, none)),
            Next::Done(Err(error)) => Err(to_js_error(error)),
            Next::Wait(ms) => Ok(make_step(1, &JsValue::from(ms), none, none, none, none, none, none, false, none)),
            Next::Send(timeout_ms) => {
                let parts = host::parts(&self.request).map_err(to_js_error)?;
                let signal = self.options.signal.as_ref().map_or(JsValue::UNDEFINED, JsValue::from);
                let whole = matches!(self.answer, Answer::Whole);
                let timeout = JsValue::from(timeout_ms);
                Ok(make_step(
                    2,
                    &timeout,
                    &parts.url,
                    &parts.method,
                    &parts.headers,
                    &parts.body,
                    &parts.upload,
                    &signal,
                    whole,
                    &self.init,
                ))
            }
        }
    }
}

// Made once per call and moved straight into `Pending`: boxing the large variant would add an
// allocation per call for nothing.
#[allow(clippy::large_enum_variant)]
enum Prepared {
    /// Answered without a request.
    Done(JsValue),
    /// Send this (with the `fetch` init of the caller's `fetchOpts`), then shape the answer.
    Send(HttpRequest, CallOptions, Answer, JsValue),
}

fn prepare(db: &Instant, area: u32, method: &str, arg: &dyn Fn(usize) -> JsValue) -> Result<Prepared, Error> {
    let (request, answer) = match area {
        QUERY | TRANSACT | DEBUG_QUERY | DEBUG_TRANSACT => return data_request(db, area, arg),
        AUTH => return auth_request(db, method, arg),
        STORAGE => answer::storage_request(db, method, arg)?,
        WEBHOOKS => webhooks::request(db, method, arg)?,
        _ => {
            let (config, kind, id) = (db.config(), arg(0), arg(1));
            (crate::rooms::presence_request(config, &text_arg(&kind, "roomType")?, &text_arg(&id, "roomId")?)?, Answer::Sessions)
        }
    };
    Ok(Prepared::Send(request, CallOptions::default(), answer, JsValue::UNDEFINED))
}

/// `query(q, opts)` and `transact(steps, opts)`, and with [`DEBUG`] their permission checks
/// `debugQuery` and `debugTransact`: the same requests on other routes, so one path (the wasm
/// pays for the checks' few extra body keys only).
fn data_request(db: &Instant, area: u32, arg: &dyn Fn(usize) -> JsValue) -> Result<Prepared, Error> {
    let opts = arg(1);
    let (options, rule_params) = call_options(&opts)?;
    let is_query = area & !DEBUG == QUERY;
    // `pkg/src/api.js` flattens `tx` chunks into steps, as `@instantdb/admin` does.
    let text = read_argument(&arg(0), if is_query { "query" } else { "steps" })?;
    let data = argument_node(&text);
    match is_query {
        true => db.check_query(&data)?,
        false => db.check_steps(&data)?,
    }
    let mut request = match is_query {
        true => db.query_request(&data, rule_params.as_ref().map(argument_node).as_ref())?,
        false => db.transact_request(&data)?,
    };
    if area & DEBUG != 0 {
        request = perms_check::checked(db.config(), request, is_query, check_options(&opts)?);
    }
    // Whole: `debugQuery`'s `{ result, checkResults }` is made by `pkg/src/api.js`, so the
    // result never enters wasm memory, as for `query`. `arg(2)`: the `fetch` init `api.js`
    // made of the caller's `fetchOpts` (checked there).
    Ok(Prepared::Send(request, options, Answer::Whole, arg(2)))
}

/// `"a@b.co"` (when `email_string`), `{ email }`, `{ id }` or `{ refresh_token }`: exactly one.
fn user_ref(value: &JsValue, email_string: bool) -> Result<UserRef, Error> {
    if let Some(email) = value.as_string().filter(|_| email_string) {
        return Ok(UserRef::Email(email));
    }
    let mut found = Vec::new();
    if let Some(email) = string_option(value, "email")? {
        found.push(UserRef::Email(email));
    }
    if let Some(id) = string_option(value, "id")? {
        found.push(UserRef::Id(id));
    }
    if let Some(token) = string_option(value, "refresh_token")? {
        found.push(UserRef::RefreshToken(token));
    }
    match (found.pop(), found.is_empty()) {
        (Some(who), true) => Ok(who),
        _ => Err(Error::invalid("user", "give exactly one of { email }, { id } or { refresh_token }")),
    }
}

/// The request of an auth method.
fn auth_request(db: &Instant, method: &str, arg: &dyn Fn(usize) -> JsValue) -> Result<Prepared, Error> {
    use crate::auth::{
        cookie_text, create_token_request, list_users_query, magic_code_request, sign_in_guest_request, sign_out_request, users_request,
        verify_magic_code_request, verify_token_request, DEFAULT_USERS_PAGE, MAX_USERS_PAGE,
    };
    let config = db.config();
    let (request, answer) = match method {
        "createToken" => (create_token_request(config, &user_ref(&arg(0), true)?)?, Answer::Token),
        "verifyToken" => (verify_token_request(config, &text_arg(&arg(0), "token")?)?, Answer::Field("user")),
        "getUser" => (users_request(config, &user_ref(&arg(0), false)?, false)?, Answer::Field("user")),
        "deleteUser" => (users_request(config, &user_ref(&arg(0), false)?, true)?, Answer::Field("deleted")),
        "signOut" => (sign_out_request(config, &user_ref(&arg(0), true)?)?, Answer::Nothing),
        "generateMagicCode" | "sendMagicCode" => {
            (magic_code_request(config, &text_arg(&arg(0), "email")?, method == "sendMagicCode")?, Answer::Whole)
        }
        "verifyMagicCode" | "checkMagicCode" => {
            let extra = get(&arg(2), "extraFields")?;
            let extra = if is_absent(&extra) { None } else { Some(read_argument(&extra, "extraFields")?) };
            let extra = extra.as_ref().map(argument_node);
            let (email, code) = (text_arg(&arg(0), "email")?, text_arg(&arg(1), "code")?);
            let request = verify_magic_code_request(config, &email, &code, extra.as_ref())?;
            (request, if method == "verifyMagicCode" { Answer::Field("user") } else { Answer::UserCreated })
        }
        "signInGuest" => (sign_in_guest_request(config)?, Answer::Field("user")),
        "listUsers" => {
            let opts = arg(0);
            if !is_absent(&opts) && !opts.is_object() {
                return Err(Error::invalid("listUsers", "takes { limit, after }"));
            }
            let limit = number_option(&opts, "limit", f64::from(MAX_USERS_PAGE))?.map_or(DEFAULT_USERS_PAGE, |n| n as u32);
            let query = list_users_query(limit, string_option(&opts, "after")?.as_deref())?;
            let query = host::text_of(&query);
            (db.query_request(&parse_text(&query, "query")?, None)?, Answer::UsersPage(limit))
        }
        "getUserFromRequest" => {
            // The cookie header, read by the wrapper (or what reading it threw).
            let header = arg(0);
            if !header.is_string() {
                return Err(Error::InvalidArgument {
                    what: "request".into(),
                    message: String::from("its headers could not be read: ") + &host::message_of(&header),
                    cause: Some(crate::http::HostValue::new(header)),
                });
            }
            let text = cookie_text(&header.as_string().unwrap_or_default(), config.app_id()).unwrap_or_default();
            let user = parse(&text).ok().filter(|user| user.kind() == Kind::Object);
            let token =
                user.and_then(|user| user.field("refresh_token")).and_then(|t| t.text().map(|t| t.into_owned())).filter(|t| !t.is_empty());
            let (Some(user), Some(token)) = (user, token) else { return Ok(Prepared::Done(JsValue::NULL)) };
            if arg(1).is_truthy() {
                return Ok(Prepared::Done(host::parse(user.source).unwrap_or(JsValue::NULL)));
            }
            (verify_token_request(config, &token)?, Answer::Field("user"))
        }
        _ => return Err(Error::invalid("auth", "unknown auth method")),
    };
    Ok(Prepared::Send(request, CallOptions::default(), answer, JsValue::UNDEFINED))
}

fn impersonation(opts: &JsValue) -> Result<Impersonation, Error> {
    let email = string_option(opts, "email")?;
    let token = string_option(opts, "token")?;
    let guest = get(opts, "guest")?;
    let guest = match guest.as_bool() {
        Some(guest) => guest,
        None if is_absent(&guest) => false,
        None => return Err(Error::invalid("asUser.guest", "must be true")),
    };
    let who = match (email, token, guest) {
        (Some(email), None, false) => Impersonation::Email(email),
        (None, Some(token), false) => Impersonation::Token(token),
        (None, None, true) => Impersonation::Guest,
        _ => return Err(Error::invalid("asUser", "takes exactly one of { email }, { token } or { guest: true }")),
    };
    crate::request::check_impersonation(&who)?;
    Ok(who)
}

/// `lookup(attribute, value)` as a string: `lookup__<attribute>__<JSON value>`.
#[wasm_bindgen]
pub fn lookup(attribute: JsValue, value: JsValue) -> Result<String, JsValue> {
    let encode = || -> Result<String, Error> {
        let attribute = attribute.as_string().ok_or_else(|| Error::invalid("lookup", "the attribute must be a string"))?;
        let value = read_argument(&value, "lookup")?;
        let mut text = String::from("lookup__");
        text.push_str(&attribute);
        text.push_str("__");
        match value.whole.as_ref().and_then(|whole| whole.get::<JsValue>()).and_then(JsValue::as_string) {
            Some(whole) => text.push_str(&whole),
            None => text.push_str(&value.text),
        }
        Ok(text)
    };
    encode().map_err(to_js_error)
}
