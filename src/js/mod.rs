//! The `#[wasm_bindgen]` exports behind the npm package: argument conversion, calls into
//! [`Instant`], and errors as `InstantAPIError`-shaped JS `Error`s. No logic lives here; the
//! `tx` Proxy and the `InstantAPIError` class are in `pkg/src/api.js`.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

mod live;
mod storage;

use crate::auth::UserRef;
use crate::transport::{from_value, to_value};
use crate::{CallOptions, Config, Error, Impersonation, Instant, Value};

fn get(object: &JsValue, key: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// The arguments a JS wrapper passed as an array (none when it is not one).
fn args_of(args: &JsValue) -> Vec<JsValue> {
    if js_sys::Array::is_array(args) {
        js_sys::Array::from(args).to_vec()
    } else {
        Vec::new()
    }
}

/// An optional string option; present but not a string is an invalid argument.
fn string_option(object: &JsValue, key: &str) -> Result<Option<String>, Error> {
    let value = get(object, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| Error::invalid(key, "must be a string"))
}

fn number_option(object: &JsValue, key: &str) -> Result<Option<u32>, Error> {
    let value = get(object, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n >= 0.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0 => Ok(Some(n as u32)),
        _ => Err(Error::invalid(key, "must be a whole number ≥ 0")),
    }
}

/// The JS error: an `Error` named `InstantAPIError` with `kind`, `status`, `body`, `hint`,
/// `traceId` (the pkg layer gives it the `InstantAPIError` prototype).
fn to_js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.message());
    js.set_name("InstantAPIError");
    let js: JsValue = js.into();
    set(&js, "kind", &JsValue::from_str(error.kind()));
    set(&js, "status", &JsValue::from(error.status()));
    let (body, hint, trace_id) = match &error {
        Error::Api { body, hint, trace_id, .. } => (from_value(body), from_value(hint), trace_id.clone()),
        other => {
            let body = Value::object([("type", Value::from(other.kind())), ("message", Value::from(other.message()))]);
            (from_value(&body), JsValue::UNDEFINED, None)
        }
    };
    set(&js, "body", &body);
    set(&js, "hint", &hint);
    set(&js, "traceId", &trace_id.map_or(JsValue::UNDEFINED, |t| JsValue::from_str(&t)));
    js
}

fn call_options(opts: &JsValue, with_rule_params: bool) -> Result<CallOptions, Error> {
    let mut options = CallOptions::default();
    if opts.is_undefined() || opts.is_null() {
        return Ok(options);
    }
    if !opts.is_object() {
        return Err(Error::invalid("options", "must be an object"));
    }
    options.timeout_ms = number_option(opts, "timeout")?;
    let signal = get(opts, "signal");
    if !signal.is_undefined() && !signal.is_null() {
        options.signal = Some(signal.dyn_into::<AbortSignal>().map_err(|_| Error::invalid("signal", "must be an AbortSignal"))?);
    }
    let rule_params = get(opts, "ruleParams");
    if with_rule_params && !rule_params.is_undefined() {
        options.rule_params = Some(to_value(&rule_params)?);
    }
    Ok(options)
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
        let schema = get(config, "schema");
        settings = settings.with_schema(!schema.is_undefined() && !schema.is_null() && schema.is_truthy());
        if let Some(ms) = number_option(config, "timeout")? {
            settings = settings.with_timeout_ms(ms);
        }
        if let Some(retries) = number_option(config, "retries")? {
            settings = settings.with_retries(retries);
        }
        Ok(Instant::new(settings))
    }

    /// `db.query(q, { ruleParams, signal, timeout })`.
    pub fn query(&self, query: JsValue, opts: JsValue) -> Promise {
        future_to_promise(dispatch(self.db.clone(), Call::Query, query, opts))
    }

    /// `db.transact(steps, { signal, timeout })` with the flat step list.
    pub fn transact(&self, steps: JsValue, opts: JsValue) -> Promise {
        future_to_promise(dispatch(self.db.clone(), Call::Transact, steps, opts))
    }

    /// `db.auth.<method>(...args)`: every auth call, by name (see `pkg/src/api.js`).
    pub fn auth(&self, method: JsValue, args: JsValue) -> Promise {
        future_to_promise(dispatch(self.db.clone(), Call::Auth(method), args, JsValue::UNDEFINED))
    }

    /// `db.storage.<method>(...args)`: every storage call, by name (see `pkg/src/api.js`).
    pub fn storage(&self, method: JsValue, args: JsValue) -> Promise {
        future_to_promise(dispatch(self.db.clone(), Call::Storage(method), args, JsValue::UNDEFINED))
    }

    /// `db.asUser({ email } | { token } | { guest: true })`.
    #[wasm_bindgen(js_name = asUser)]
    pub fn as_user(&self, opts: JsValue) -> Result<Client, JsValue> {
        let who = impersonation(&opts).map_err(to_js_error)?;
        Ok(Client { db: self.db.as_user(who) })
    }
}

enum Call {
    Query,
    Transact,
    /// The auth method's name.
    Auth(JsValue),
    /// The storage method's name.
    Storage(JsValue),
    /// `rooms.getPresence(roomType, roomId)`.
    Presence,
}

/// Every exported async call goes through this one future, so the promise machinery is
/// compiled once (a measurable share of the wasm).
async fn dispatch(db: Instant, call: Call, argument: JsValue, opts: JsValue) -> Result<JsValue, JsValue> {
    let run = async {
        let (request, options, answer) = match prepare(&db, call, &argument, &opts)? {
            Prepared::Done(value) => return Ok(value),
            Prepared::Send(request, options, answer) => (request, options, answer),
        };
        // The only await: one `call` state machine for every export.
        let json = db.call(request, &options).await?;
        Ok(answer.shape(json, db.config().app_id()))
    };
    run.await.map_err(to_js_error)
}

enum Prepared {
    /// Answered without a request.
    Done(JsValue),
    /// Send this, then shape the answer.
    Send(crate::request::HttpRequest, CallOptions, Answer),
}

fn prepare(db: &Instant, call: Call, argument: &JsValue, opts: &JsValue) -> Result<Prepared, Error> {
    let is_query = matches!(call, Call::Query);
    match call {
        Call::Auth(method) => auth_request(db, &method, argument),
        Call::Presence => {
            let args = args_of(argument);
            let arg = |i: usize, what: &str| text_arg(args.get(i).unwrap_or(&JsValue::UNDEFINED), what);
            let request = crate::rooms::presence_request(db.config(), &arg(0, "roomType")?, &arg(1, "roomId")?)?;
            Ok(Prepared::Send(request, CallOptions::default(), Answer::Sessions))
        }
        Call::Storage(method) => storage::request(db, &method.as_string().unwrap_or_default(), &args_of(argument)),
        _ => {
            let options = call_options(opts, is_query)?;
            let what = if is_query { "query" } else { "steps" };
            let argument = to_value(argument).map_err(|_| Error::invalid(what, "must be JSON-serialisable"))?;
            let request = if is_query { db.query_request(&argument, &options)? } else { db.transact_request(&argument)? };
            Ok(Prepared::Send(request, options, Answer::Whole))
        }
    }
}

/// `"a@b.co"` (when `email_string`), `{ email }`, `{ id }` or `{ refresh_token }`: exactly one.
fn user_ref(value: &JsValue, email_string: bool) -> Result<UserRef, Error> {
    if let Some(email) = value.as_string().filter(|_| email_string) {
        return Ok(UserRef::Email(email));
    }
    let mut found = Vec::new();
    for key in ["email", "id", "refresh_token"] {
        if let Some(text) = string_option(value, key)? {
            found.push(match key {
                "email" => UserRef::Email(text),
                "id" => UserRef::Id(text),
                _ => UserRef::RefreshToken(text),
            });
        }
    }
    match (found.pop(), found.is_empty()) {
        (Some(who), true) => Ok(who),
        _ => Err(Error::invalid("user", "give exactly one of { email }, { id } or { refresh_token }")),
    }
}

fn text_arg(value: &JsValue, what: &str) -> Result<String, Error> {
    value.as_string().ok_or_else(|| Error::invalid(what, "must be a string"))
}

/// `json[key]`, or `null`.
fn pick(json: &JsValue, key: &str) -> JsValue {
    let value = get(json, key);
    if value.is_undefined() {
        JsValue::NULL
    } else {
        value
    }
}

/// What to answer from the server's JSON.
enum Answer {
    /// `json[key]`.
    Field(&'static str),
    /// `json.user.refresh_token`.
    Token,
    /// The JSON as is.
    Whole,
    /// Nothing (`undefined`).
    Nothing,
    /// `{ user, created }`.
    UserCreated,
    /// `{ users, pageInfo: { endCursor, hasNextPage } }` from a `listUsers` query of `limit + 1`.
    UsersPage(u32),
    /// `$files` rows shaped for `storage.list()` (the app id makes each `key`).
    Files,
    /// The first `$files` row's `url`, or `null`.
    FirstUrl,
    /// `json.sessions`, or `{}` when the room is empty (the server says `null`).
    Sessions,
}

/// The request of an auth method (sent by [`dispatch`], whose single await keeps one copy of the
/// `call` state machine in the wasm: each extra await point of it cost kilobytes).
fn auth_request(db: &Instant, method: &JsValue, args: &JsValue) -> Result<Prepared, Error> {
    use crate::auth::{
        cookie_user, create_token_request, magic_code_request, sign_in_guest_request, sign_out_request, users_request,
        verify_magic_code_request, verify_token_request,
    };
    let method = method.as_string().unwrap_or_default();
    let args = args_of(args);
    let arg = |i: usize| args.get(i).cloned().unwrap_or(JsValue::UNDEFINED);
    let config = db.config();
    let (request, answer) = match method.as_str() {
        "createToken" => (create_token_request(config, &user_ref(&arg(0), true)?)?, Answer::Token),
        "verifyToken" => (verify_token_request(config, &text_arg(&arg(0), "token")?)?, Answer::Field("user")),
        "getUser" => (users_request(config, &user_ref(&arg(0), false)?, false)?, Answer::Field("user")),
        "deleteUser" => (users_request(config, &user_ref(&arg(0), false)?, true)?, Answer::Field("deleted")),
        "signOut" => (sign_out_request(config, &user_ref(&arg(0), true)?)?, Answer::Nothing),
        "generateMagicCode" | "sendMagicCode" => {
            (magic_code_request(config, &text_arg(&arg(0), "email")?, method == "sendMagicCode")?, Answer::Whole)
        }
        "verifyMagicCode" | "checkMagicCode" => {
            let extra = get(&arg(2), "extraFields");
            let extra = if extra.is_undefined() || extra.is_null() { None } else { Some(to_value(&extra)?) };
            let request = verify_magic_code_request(config, &text_arg(&arg(0), "email")?, &text_arg(&arg(1), "code")?, extra.as_ref())?;
            (request, if method == "verifyMagicCode" { Answer::Field("user") } else { Answer::UserCreated })
        }
        "signInGuest" => (sign_in_guest_request(config)?, Answer::Field("user")),
        "listUsers" => {
            let limit = get(&arg(0), "limit");
            let limit = match limit.as_f64() {
                _ if limit.is_undefined() || limit.is_null() => crate::auth::DEFAULT_USERS_PAGE,
                Some(n) if n.fract() == 0.0 && (1.0..=f64::from(crate::auth::MAX_USERS_PAGE)).contains(&n) => n as u32,
                _ => return Err(Error::invalid("limit", "must be an integer from 1 to 1000")),
            };
            let query = crate::auth::list_users_query(limit, string_option(&arg(0), "after")?.as_deref())?;
            (db.query_request(&query, &CallOptions::default())?, Answer::UsersPage(limit))
        }
        "getUserFromRequest" => {
            let header = arg(0).as_string().unwrap_or_default();
            let Some(user) = cookie_user(&header, config.app_id()) else { return Ok(Prepared::Done(JsValue::NULL)) };
            if arg(1).is_truthy() {
                return Ok(Prepared::Done(from_value(&user)));
            }
            let token = user.get("refresh_token").and_then(Value::as_str).unwrap_or_default().to_owned();
            (verify_token_request(config, &token)?, Answer::Field("user"))
        }
        _ => return Err(Error::invalid("auth", "unknown auth method")),
    };
    Ok(Prepared::Send(request, CallOptions::default(), answer))
}

impl Answer {
    fn shape(self, json: JsValue, app_id: &str) -> JsValue {
        match self {
            Answer::Field(key) => pick(&json, key),
            Answer::Token => pick(&pick(&json, "user"), "refresh_token"),
            Answer::Whole => json,
            Answer::Nothing => JsValue::UNDEFINED,
            Answer::UserCreated => {
                let out = js_sys::Object::new();
                set(&out, "user", &pick(&json, "user"));
                set(&out, "created", &JsValue::from_bool(pick(&json, "created").is_truthy()));
                out.into()
            }
            Answer::Files => storage::files(&json, app_id),
            Answer::FirstUrl => storage::first_url(&json),
            Answer::Sessions => {
                let sessions = pick(&json, "sessions");
                if sessions.is_object() {
                    sessions
                } else {
                    js_sys::Object::new().into()
                }
            }
            Answer::UsersPage(limit) => {
                let rows = pick(&json, "$users");
                let rows = if js_sys::Array::is_array(&rows) { js_sys::Array::from(&rows) } else { js_sys::Array::new() };
                let has_next_page = rows.length() > limit;
                let users = rows.slice(0, limit);
                let last = users.at(-1);
                let end_cursor = match last.is_object() {
                    true => JsValue::from(crate::auth::users_cursor(
                        &get(&last, "id").as_string().unwrap_or_default(),
                        get(&last, "email").as_string().as_deref(),
                    )),
                    false => JsValue::NULL,
                };
                let page_info = js_sys::Object::new();
                set(&page_info, "endCursor", &end_cursor);
                set(&page_info, "hasNextPage", &JsValue::from_bool(has_next_page));
                let out = js_sys::Object::new();
                set(&out, "users", &users);
                set(&out, "pageInfo", &page_info);
                out.into()
            }
        }
    }
}

fn impersonation(opts: &JsValue) -> Result<Impersonation, Error> {
    let email = string_option(opts, "email")?;
    let token = string_option(opts, "token")?;
    let guest = get(opts, "guest");
    let guest = !guest.is_undefined() && guest.is_truthy();
    let who = match (email, token, guest) {
        (Some(email), None, false) => Impersonation::Email(email),
        (None, Some(token), false) => Impersonation::Token(token),
        (None, None, true) => Impersonation::Guest,
        _ => return Err(Error::invalid("asUser", "takes exactly one of { email }, { token } or { guest: true }")),
    };
    crate::request::check_impersonation(&who)?;
    Ok(who)
}

/// A new entity id (UUID v4).
#[wasm_bindgen]
pub fn id() -> String {
    crate::id()
}

/// `lookup(attribute, value)` as a string: `lookup__<attribute>__<JSON value>`.
#[wasm_bindgen]
pub fn lookup(attribute: JsValue, value: JsValue) -> Result<String, JsValue> {
    // A JsValue, not a String: a non-string argument must be an error, not a glue-level trap.
    let attribute = attribute.as_string().ok_or_else(|| to_js_error(Error::invalid("lookup", "the attribute must be a string")))?;
    let value = to_value(&value).map_err(to_js_error)?;
    match crate::link_target(&crate::lookup(attribute, value)) {
        Value::String(text) => Ok(text),
        _ => Err(to_js_error(Error::invalid("lookup", "could not be encoded"))),
    }
}
