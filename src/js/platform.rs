//! The `#[wasm_bindgen]` exports behind `instant-edge/platform`: the Platform API client of
//! [`crate::client::platform`] as JS sees it. Each method reads its arguments once, calls the
//! same request builders and call loop as the Rust API (refresh included), and resolves to the
//! server's JSON as the host parsed it, or to a compact array where Rust decided something
//! (step descriptions, summaries); `pkg/src/platform.js` gives both the official
//! `@instantdb/platform` shapes. Platform calls are not hot: each is a plain Rust future
//! (`future_to_promise`), not a JS-driven state machine like the admin calls.

use crate::prelude::*;
use core::future::Future;
use core::pin::Pin;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::{argument_node, is_absent, string_option, text_arg, to_js_error};
use crate::client::platform::{self as client, Platform as Handle};
use crate::host::wasm::{self as host, get, read_argument};
use crate::host::Json;
use crate::http::HttpRequest;
use crate::platform::jobs::{self, Job, PushStep, PushSummary};
use crate::platform::oauth::{self, CodeProof};
use crate::platform::{self as request, Include, NewApp, PlatformAuth, PlatformConfig, PushMode};
use crate::{Error, Value};

/// The wasm side of `new PlatformApi(...)`: one server, one set of credentials (shared by the
/// calls, so a refresh serves them all).
#[wasm_bindgen]
pub struct Platform {
    handle: Handle,
}

/// Runs `call` as a JS promise; its error is the `InstantAPIError` of the admin client.
fn promise(call: impl Future<Output = Result<JsValue, Error>> + 'static) -> Promise {
    boxed(Box::pin(call))
}

/// [`promise`] for every call: one `future_to_promise` (its task, waker and promise glue) for
/// all of them, not one per call (~200 B gzip of wasm each).
fn boxed(call: Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>) -> Promise {
    future_to_promise(async move { call.await.map_err(to_js_error) })
}

/// A caller's JSON argument as a [`Value`]: read once by the host's `JSON.stringify`, whole
/// (the checks' abridged copy of a large one is not used: the value becomes a request body).
fn json_value(value: &JsValue, what: &'static str) -> Result<Value, Error> {
    let argument = read_argument(value, what)?;
    let whole = argument.whole.as_ref().and_then(|whole| whole.get::<JsValue>()).and_then(JsValue::as_string);
    let node = match &whole {
        Some(text) => super::parse_text(text, what)?,
        None => argument_node(&argument),
    };
    Ok(crate::json::to_value(&node))
}

/// `object[key]` as a [`Value`], `None` when absent (`undefined` or `null`).
fn json_option(object: &JsValue, key: &'static str) -> Result<Option<Value>, Error> {
    let value = get(object, key)?;
    if is_absent(&value) {
        return Ok(None);
    }
    json_value(&value, key).map(Some)
}

/// `{ includePerms, includeSchema }`, read as the official client reads them (truthy).
fn include(opts: &JsValue) -> Result<Include, Error> {
    Ok(Include { perms: get(opts, "includePerms")?.is_truthy(), schema: get(opts, "includeSchema")?.is_truthy() })
}

/// `{ token }`, or `{ accessToken, refreshToken, clientId, clientSecret }` (an access token
/// alone cannot be refreshed: it is a plain token then, as for the official client).
fn credentials(auth: &JsValue) -> Result<PlatformAuth, Error> {
    let token = match string_option(auth, "token")? {
        Some(token) => return Ok(PlatformAuth::Token(token)),
        None => string_option(auth, "accessToken")?,
    };
    let refresh = (string_option(auth, "refreshToken")?, string_option(auth, "clientId")?, string_option(auth, "clientSecret")?);
    match (token, refresh) {
        (Some(access_token), (Some(refresh_token), Some(client_id), Some(client_secret))) => {
            Ok(PlatformAuth::OAuth { access_token, refresh_token, client_id, client_secret })
        }
        (Some(token), _) => Ok(PlatformAuth::Token(token)),
        (None, _) => Err(Error::invalid("auth", "must be { token } or { accessToken, refreshToken, clientId, clientSecret }")),
    }
}

/// What a push takes: `{ schema, overwrite?, renames? }` (`renames`, an array of `from:to`
/// strings, only with `overwrite: true`: the official error otherwise).
fn push_schema(body: &JsValue) -> Result<(Value, PushMode), Error> {
    let renames = get(body, "renames")?;
    let mode = if get(body, "overwrite")?.is_truthy() {
        let list = if is_absent(&renames) {
            js_sys::Array::new()
        } else {
            renames.dyn_into().map_err(|_| Error::invalid("renames", "must be an array of strings"))?
        };
        let renames =
            list.iter().map(|command| command.as_string().ok_or_else(|| Error::invalid("renames", "must be an array of strings")));
        PushMode::Overwrite { renames: renames.collect::<Result<_, _>>()? }
    } else if Reflect::has(body, &JsValue::from_str("renames")).unwrap_or(false) {
        return Err(Error::invalid("renames", "If you pass in `renames`, you _must_ pass in `overwrite: true`"));
    } else {
        PushMode::Additive
    };
    Ok((json_value(&get(body, "schema")?, "schema")?, mode))
}

/// A job as the server spells it (`pkg/src/platform.js` gives it the official `formatJob`
/// shape).
fn job_value(job: &Job) -> Value {
    let text = |text: &Option<String>| text.as_deref().map_or(Value::Null, Value::from);
    let number = |n: Option<f64>| n.map_or(Value::Null, Value::Number);
    Value::object([
        ("id", Value::from(job.id.as_str())),
        ("job_type", Value::from(job.job_type.as_str())),
        ("job_status", Value::from(job.job_status.as_str())),
        ("created_at", text(&job.created_at)),
        ("updated_at", text(&job.updated_at)),
        ("work_estimate", number(job.work_estimate)),
        ("work_completed", number(job.work_completed)),
        ("error", text(&job.error)),
        ("checked_data_type", text(&job.checked_data_type)),
        ("invalid_unique_value", job.invalid_unique_value.clone().unwrap_or(Value::Null)),
        ("invalid_triples_sample", job.invalid_triples_sample.clone().map_or(Value::Null, Value::Array)),
    ])
}

/// A step: `[type, friendlyDescription, params, job | null]`.
fn step_value(step: &PushStep) -> Value {
    let job = step.job.as_ref().map_or(Value::Null, job_value);
    Value::Array(vec![Value::from(step.kind.as_str()), Value::from(step.description.as_str()), step.params.clone(), job])
}

/// A summary: `[friendlyDescription, steps]` (the counts are the steps', by their jobs).
fn summary_value(summary: &PushSummary) -> JsValue {
    let steps = summary.steps.iter().map(step_value).collect();
    host::from_value(&Value::Array(vec![Value::from(summary.description.as_str()), Value::Array(steps)]))
}

/// `target[key] = value` on an object the server sent.
fn set(target: &JsValue, key: &str, value: &JsValue) -> Result<(), Error> {
    match Reflect::set(target, &JsValue::from_str(key), value) {
        Ok(true) => Ok(()),
        _ => Err(Error::Decode { message: "the server answered no app object (check apiURI)".into() }),
    }
}

#[wasm_bindgen]
impl Platform {
    /// `{ auth?, apiURI, onRefresh? }`: `onRefresh(accessToken, expiresAtMs)` is called (and
    /// awaited) after every refresh of an OAuth access token. Throws on bad input.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Platform, JsValue> {
        Platform::configure(&config).map(|handle| Platform { handle }).map_err(to_js_error)
    }

    fn configure(config: &JsValue) -> Result<Handle, Error> {
        let api_uri = string_option(config, "apiURI")?.ok_or_else(|| Error::invalid("apiURI", "is required"))?;
        let mut settings = PlatformConfig::new(&api_uri)?;
        let auth = get(config, "auth")?;
        if !is_absent(&auth) {
            settings = settings.with_auth(credentials(&auth)?)?;
        }
        let handle = Handle::with_config(settings);
        let hook = get(config, "onRefresh")?;
        if is_absent(&hook) {
            return Ok(handle);
        }
        let hook: Function = hook.dyn_into().map_err(|_| Error::invalid("onRefresh", "must be a function"))?;
        Ok(handle.on_refresh(move |token, expires_at_ms| {
            let returned = hook.call2(&JsValue::UNDEFINED, &JsValue::from_str(token), &JsValue::from_f64(expires_at_ms));
            Box::pin(async move {
                if let Ok(returned) = returned {
                    let _ = JsFuture::from(Promise::resolve(&returned)).await;
                }
            })
        }))
    }

    /// `{ apps }` of `GET /superadmin/apps`.
    #[wasm_bindgen(js_name = getApps)]
    pub fn get_apps(&self, opts: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let include = include(&opts)?;
            handle.call(&|c| request::get_apps(c, include)).await
        })
    }

    /// `{ apps }` of an org.
    #[wasm_bindgen(js_name = getAppsForOrg)]
    pub fn get_apps_for_org(&self, org_id: JsValue, opts: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let (org_id, include) = (text_arg(&org_id, "orgId")?, include(&opts)?);
            handle.call(&|c| request::get_apps_for_org(c, &org_id, include)).await
        })
    }

    /// `{ orgs }`.
    #[wasm_bindgen(js_name = getOrgs)]
    pub fn get_orgs(&self) -> Promise {
        let handle = self.handle.clone();
        promise(async move { handle.call(&request::get_orgs).await })
    }

    /// `{ app }`, with the answers of `GET …/perms` and `GET …/schema` as its `perms` and
    /// `schema` when included.
    #[wasm_bindgen(js_name = getApp)]
    pub fn get_app(&self, app_id: JsValue, opts: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let (app_id, include) = (text_arg(&app_id, "appId")?, include(&opts)?);
            let answer = handle.call(&|c| request::get_app(c, &app_id)).await?;
            let app = get(&answer, "app")?;
            if include.perms {
                set(&app, "perms", &get(&handle.call(&|c| request::get_perms(c, &app_id)).await?, "perms")?)?;
            }
            if include.schema {
                set(&app, "schema", &get(&handle.call(&|c| request::get_schema(c, &app_id)).await?, "schema")?)?;
            }
            Ok(answer)
        })
    }

    /// `{ schema }` (the server's API form).
    #[wasm_bindgen(js_name = getSchema)]
    pub fn get_schema(&self, app_id: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let app_id = text_arg(&app_id, "appId")?;
            handle.call(&|c| request::get_schema(c, &app_id)).await
        })
    }

    /// `{ perms }`.
    #[wasm_bindgen(js_name = getPerms)]
    pub fn get_perms(&self, app_id: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let app_id = text_arg(&app_id, "appId")?;
            handle.call(&|c| request::get_perms(c, &app_id)).await
        })
    }

    /// `{ app }` with its `admin-token`, from `{ title, schema?, perms?, orgId? }`.
    #[wasm_bindgen(js_name = createApp)]
    pub fn create_app(&self, fields: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let app = NewApp {
                title: string_option(&fields, "title")?.unwrap_or_default(),
                schema: json_option(&fields, "schema")?,
                perms: json_option(&fields, "perms")?,
                org_id: string_option(&fields, "orgId")?,
            };
            handle.call(&|c| request::create_app(c, &app)).await
        })
    }

    /// `{ app, expires_ms }` from `{ title, schema?, rules?: { code } }`, without credentials.
    #[wasm_bindgen(js_name = createTemporaryApp)]
    pub fn create_temporary_app(&self, fields: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let title = string_option(&fields, "title")?.unwrap_or_default();
            let schema = json_option(&fields, "schema")?;
            let rules = get(&fields, "rules")?;
            let perms = if is_absent(&rules) { None } else { json_option(&rules, "code")? };
            handle.call(&|c| request::create_temporary_app(c, &title, schema.as_ref(), perms.as_ref())).await
        })
    }

    /// `{ app }` renamed by `{ title }`.
    #[wasm_bindgen(js_name = updateApp)]
    pub fn update_app(&self, app_id: JsValue, fields: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let (app_id, title) = (text_arg(&app_id, "appId")?, string_option(&fields, "title")?.unwrap_or_default());
            handle.call(&|c| request::update_app(c, &app_id, &title)).await
        })
    }

    /// `{ app }`, deleted.
    #[wasm_bindgen(js_name = deleteApp)]
    pub fn delete_app(&self, app_id: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let app_id = text_arg(&app_id, "appId")?;
            handle.call(&|c| request::delete_app(c, &app_id)).await
        })
    }

    /// The rules as stored, from `{ perms }` (the pushed ones when the server answers
    /// `{"rules": null}` for unchanged rules).
    #[wasm_bindgen(js_name = pushPerms)]
    pub fn push_perms(&self, app_id: JsValue, body: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let app_id = text_arg(&app_id, "appId")?;
            let perms = json_value(&get(&body, "perms")?, "perms")?;
            Ok(host::from_value(&handle.push_perms(&app_id, &perms).await?))
        })
    }

    /// The plan for `{ schema, overwrite?, renames? }`: `[plan, descriptions]`, `plan` as the
    /// server answers it (`{ "new-schema", "current-schema", steps }`, API schemas; `new-schema`
    /// null for an overwrite plan, made here) and each step's `friendlyDescription`. The server's
    /// answer goes back to JS as the host parsed it: only its steps and attributes are read here
    /// (converting a 250 KB plan both ways cost more than the server took to make it).
    #[wasm_bindgen(js_name = planSchemaPush)]
    pub fn plan_schema_push(&self, app_id: JsValue, body: JsValue) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let (app_id, (schema, mode)) = (text_arg(&app_id, "appId")?, push_schema(&body)?);
            let (plan, described) = if mode == PushMode::Additive {
                let answer = handle.call(&|c| request::schema_push(c, &app_id, &schema, false)).await?;
                let (steps, attrs) = (host::to_value(&get(&answer, "steps")?), host::to_value(&get(&answer, "current-attrs")?));
                let names = client::attr_names(attrs.as_array().unwrap_or_default());
                let described = jobs::push_steps(steps.as_array().unwrap_or_default(), &[], &names);
                (answer, described)
            } else {
                let plan = handle.plan_schema_push_with(&app_id, &schema, &mode).await?;
                let steps = plan.steps.iter().map(|step| Value::Array(vec![Value::from(step.kind.as_str()), step.params.clone()]));
                let answer = Value::object([
                    ("new-schema", Value::Null),
                    ("current-schema", plan.current_schema),
                    ("steps", Value::Array(steps.collect())),
                ]);
                (host::from_value(&answer), plan.steps)
            };
            let descriptions: js_sys::Array = described.iter().map(|step| JsValue::from_str(&step.description)).collect();
            Ok(js_sys::Array::of2(&plan, &descriptions).into())
        })
    }

    /// Pushes `{ schema, overwrite?, renames? }`: `onProgress(summary)` after each poll of its jobs, then
    /// `[summary, schema]` (the app's API schema after the push); a summary is
    /// `[friendlyDescription, steps]`.
    #[wasm_bindgen(js_name = schemaPush)]
    pub fn schema_push(&self, app_id: JsValue, body: JsValue, on_progress: Function) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let (app_id, (schema, mode)) = (text_arg(&app_id, "appId")?, push_schema(&body)?);
            let report = &mut |summary: PushSummary| {
                let _ = on_progress.call1(&JsValue::UNDEFINED, &summary_value(&summary));
            };
            let summary = handle.push_until_done(&app_id, &schema, &mode, report).await?;
            // The schema after the push goes to JS as the host parsed it.
            let schema = get(&handle.call(&|c| request::get_schema(c, &app_id)).await?, "schema")?;
            Ok(js_sys::Array::of2(&summary_value(&summary), &schema).into())
        })
    }

    /// `{ tokenType, scopes, expiresAt }` (`expiresAt` in ms since the epoch).
    #[wasm_bindgen(js_name = tokenInfo)]
    pub fn token_info(&self) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            let info = handle.token_info().await?;
            Ok(host::from_value(&Value::object([
                ("tokenType", Value::from(info.token_type)),
                ("scopes", Value::from(info.scopes)),
                ("expiresAt", Value::Number(info.expires_at_ms)),
            ])))
        })
    }

    /// Whether the credentials can be refreshed.
    #[wasm_bindgen(js_name = canRefreshToken)]
    pub fn can_refresh_token(&self) -> bool {
        self.handle.can_refresh_token()
    }

    /// Refreshes the access token: `[accessToken, expiresAtMs]`, or `null` when the credentials
    /// cannot be refreshed.
    #[wasm_bindgen(js_name = refreshToken)]
    pub fn refresh_token(&self) -> Promise {
        let handle = self.handle.clone();
        promise(async move {
            if !handle.can_refresh_token() {
                return Ok(JsValue::NULL);
            }
            let refreshed = handle.refresh_token().await?;
            let token = handle.auth().as_ref().map_or("", PlatformAuth::bearer).to_owned();
            Ok(js_sys::Array::of2(&JsValue::from_str(&token), &JsValue::from_f64(refreshed.expires_at_ms)).into())
        })
    }

    /// The bearer token sent now (after any refresh).
    pub fn token(&self) -> Option<String> {
        self.handle.auth().as_ref().map(|auth| auth.bearer().to_owned())
    }

    /// Whether `withRetry` refreshes and tries again after its `attempt`-th call (from 0) threw
    /// `error`: a token failure ([`request::token_failure`], read from the error's `status`
    /// and `body`), refreshable credentials, and refreshes left.
    pub fn refreshes(&self, error: &JsValue, attempt: u32) -> bool {
        let read = |object: &JsValue, key| get(object, key).unwrap_or(JsValue::UNDEFINED);
        let body = read(error, "body");
        let status = read(error, "status").as_f64().filter(|n| (0.0..=999.0).contains(n)).map_or(0, |n| n as u16);
        attempt < request::MAX_REFRESHES
            && self.handle.can_refresh_token()
            && request::token_failure(
                status,
                read(&body, "type").as_string().as_deref(),
                read(&read(&body, "hint"), "record-type").as_string().as_deref(),
            )
    }
}

// OAuth (spec platform §2): free functions of an `apiURI`, no credentials of a `Platform`.
// Their results are compact arrays; `pkg/src/platform.js` shapes them as the official
// `exchangeCodeForToken` / `exchangeRefreshToken` / `OAuthHandler` do. One export does it all:
// each export is a wrapper, a future and their glue of its own.

/// `object[key]`, a string that must be there.
fn required(object: &JsValue, key: &'static str) -> Result<String, Error> {
    string_option(object, key)?.ok_or_else(|| Error::invalid(key, "is required"))
}

/// [`oauth`]'s `kind`s.
const REFRESH: u8 = 1;
const REVOKE: u8 = 2;
const AUTHORIZE: u8 = 3;

/// The request [`oauth`] sends for `kind` (a code exchange, a refresh or a revocation) and
/// `opts`, and the secret it does not carry as its own (scrubbed from errors too).
fn oauth_request(kind: u8, opts: &JsValue, config: &PlatformConfig) -> Result<(HttpRequest, String), Error> {
    if kind == REVOKE {
        return Ok((oauth::revoke_request(config.api_uri(), &required(opts, "token")?), String::new()));
    }
    let client_id = required(opts, "clientId")?;
    if kind == REFRESH {
        let (refresh_token, client_secret) = (required(opts, "refreshToken")?, required(opts, "clientSecret")?);
        return Ok((request::refresh_grant_request(config, &refresh_token, &client_id, &client_secret), client_secret));
    }
    let (code, redirect_uri) = (required(opts, "code")?, required(opts, "redirectUri")?);
    let proof = match string_option(opts, "clientSecret")? {
        Some(secret) => CodeProof::Secret(secret),
        None => CodeProof::Verifier(
            string_option(opts, "codeVerifier")?.ok_or_else(|| Error::invalid("clientSecret", "or codeVerifier is required"))?,
        ),
    };
    Ok((oauth::code_exchange_request(config.api_uri(), &code, &client_id, &redirect_uri, &proof), code))
}

/// What [`oauth`] reads for an authorization URL: `{ clientId, redirectUri, scopes: string[],
/// state? }` (a fresh state when none is given).
fn authorize_inputs(opts: &JsValue) -> Result<(Vec<String>, String, String, String), Error> {
    let list = get(opts, "scopes")?;
    if !js_sys::Array::is_array(&list) {
        return Err(Error::invalid("scopes", "must be an array"));
    }
    let scopes = list.unchecked_into::<js_sys::Array>().iter().map(|scope| scope.as_string().unwrap_or_default()).collect();
    let (client_id, redirect_uri) = (required(opts, "clientId")?, required(opts, "redirectUri")?);
    Ok((scopes, client_id, redirect_uri, string_option(opts, "state")?.unwrap_or_else(crate::id)))
}

/// A grant as JS sees it: `[accessToken, refreshToken, expiresAtMs, scopes, tokenType]`.
fn grant_value(answer: &Json) -> Result<JsValue, Error> {
    let grant = oauth::token_grant(&host::to_value(answer), host::epoch_ms())?;
    Ok(js_sys::Array::of5(
        &JsValue::from(grant.access_token),
        &JsValue::from(grant.refresh_token),
        &JsValue::from_f64(grant.expires_at_ms),
        &JsValue::from(grant.scopes),
        &JsValue::from(grant.token_type),
    )
    .into())
}

/// OAuth with Instant (spec platform §2), by `kind`, each with `apiURI` in `opts`:
///
/// - 0: `{ code, clientId, redirectUri }` with `clientSecret` (a refresh token comes back) or
///   `codeVerifier` (PKCE) exchanges a code;
/// - 1: `{ clientId, clientSecret, refreshToken }` mints an access token (no new refresh
///   token: they are not rotated);
/// - 2: `{ token }` revokes it (a refresh token with its access tokens, or an access token)
///   and resolves `undefined`;
/// - 3: `{ clientId, redirectUri, scopes, state? }` resolves `[url, state, verifier]` with a
///   fresh PKCE pair (S256, by the host's Web Crypto); nothing is sent.
///
/// A grant resolves as `[accessToken, refreshToken, expiresAtMs, scopes, tokenType]`
/// (`undefined` for what the answer lacked; the expiry now-relative, 30 s early).
#[wasm_bindgen]
pub fn oauth(kind: u8, opts: JsValue) -> Promise {
    promise(async move {
        let config = PlatformConfig::new(&required(&opts, "apiURI")?)?;
        if kind == AUTHORIZE {
            let (scopes, client_id, redirect_uri, state) = authorize_inputs(&opts)?;
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            let (verifier, challenge) = client::pkce().await?;
            let url = oauth::authorize_url(config.api_uri(), &client_id, &redirect_uri, &scopes, &state, Some(&challenge))?;
            return Ok(js_sys::Array::of3(&JsValue::from(url), &JsValue::from(state), &JsValue::from(verifier)).into());
        }
        let (request, also_secret) = oauth_request(kind, &opts, &config)?;
        let answer = Handle::with_config(config).send_oauth(request, &also_secret).await?;
        if kind == REVOKE {
            return Ok(JsValue::UNDEFINED);
        }
        grant_value(&answer)
    })
}
