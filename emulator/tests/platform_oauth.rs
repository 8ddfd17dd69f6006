//! The Platform OAuth routes (platform §2: `/platform/oauth/start`, the local consent page with
//! `/grant` and `/deny`, `/token`, `/token-info`, `/revoke`), the OAuth control routes, and the
//! tokens they mint on the Platform routes (§1.3).
mod common;
use std::collections::HashMap;

use common::*;
use instant_emulator::Config;
use reqwest::Method;
use serde_json::{json, Value};

/// RFC 7636 appendix B: a verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

const LOCAL: &str = "http://localhost:3000/cb";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// An emulator whose `/start` consents as `dev@example.com`.
async fn auto_consent() -> Server {
    start_with(Config { oauth_consent_email: Some("dev@example.com".into()), ..Config::default() }).await
}

/// An HTTP client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// A request without following redirects.
async fn raw(s: &Server, method: Method, path: &str, headers: &[(&str, &str)], body: Option<String>) -> Answer {
    let mut request = no_redirects().request(method, format!("{}{path}", s.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    answer(request.send().await.expect("send")).await
}

/// A new OAuth client: `(client_id, client_secret)`.
async fn register(s: &Server, body: Value) -> (String, String) {
    let made = control(s, "/__emulator/platform/oauth-clients", body).await;
    (made["client-id"].as_str().unwrap().to_owned(), made["client-secret"].as_str().unwrap().to_owned())
}

/// A test-mode client redirecting to [`LOCAL`], open to anyone.
async fn local_client(s: &Server) -> (String, String) {
    register(s, json!({"app-name": "Local tool", "redirect-urls": [LOCAL]})).await
}

/// Form encoding: unreserved characters stay, a space is `+`, the rest is `%XX`.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// `/platform/oauth/start?…` for an S256 challenge (or none).
fn start_path(client_id: &str, redirect: &str, scope: &str, state: &str, pkce: bool) -> String {
    let mut pairs =
        vec![("client_id", client_id), ("redirect_uri", redirect), ("response_type", "code"), ("scope", scope), ("state", state)];
    if pkce {
        pairs.extend([("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]);
    }
    format!("/platform/oauth/start?{}", form(&pairs))
}

fn location(a: &Answer) -> String {
    assert_eq!(a.status, 302, "{}", a.text);
    a.header("location").to_owned()
}

fn decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' && at + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(std::str::from_utf8(&bytes[at + 1..at + 3]).unwrap_or("zz"), 16) {
                out.push(byte);
                at += 3;
                continue;
            }
        }
        out.push(bytes[at]);
        at += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

/// The query of a redirect, decoded.
fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query.split('&').filter_map(|pair| pair.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect()
}

/// A code from auto-consent.
async fn code_for(s: &Server, client_id: &str, scope: &str, pkce: bool) -> String {
    let a = raw(s, Method::GET, &start_path(client_id, LOCAL, scope, "st", pkce), &[], None).await;
    query_of(&location(&a))["code"].clone()
}

async fn token(s: &Server, body: Value) -> Answer {
    raw(s, Method::POST, "/platform/oauth/token", &[JSON], Some(body.to_string())).await
}

/// The PKCE exchange of a code for an access token.
async fn pkce_exchange(s: &Server, client_id: &str, code: &str) -> Answer {
    token(
        s,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": LOCAL, "client_id": client_id, "code_verifier": VERIFIER}),
    )
    .await
}

/// The confidential exchange of a code: access and refresh token.
async fn secret_exchange(s: &Server, client_id: &str, secret: &str, code: &str) -> Answer {
    token(
        s,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": LOCAL, "client_id": client_id, "client_secret": secret}),
    )
    .await
}

async fn refresh(s: &Server, client_id: &str, secret: &str, refresh_token: &str) -> Answer {
    token(s, json!({"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id, "client_secret": secret})).await
}

async fn bearer(s: &Server, method: Method, path: &str, token: &str, body: Option<Value>) -> Answer {
    let auth = format!("Bearer {token}");
    raw(s, method, path, &[JSON, ("authorization", &auth)], body.map(|b| b.to_string())).await
}

async fn list_apps(s: &Server, token: &str) -> Answer {
    bearer(s, Method::GET, "/superadmin/apps", token, None).await
}

async fn advance(s: &Server, ms: u64) {
    control(s, "/__emulator/clock", json!({"advance-ms": ms})).await;
}

const TWO_WEEKS_MS: u64 = 14 * 24 * 60 * 60 * 1000;

#[tokio::test]
async fn pkce_s256_flow_with_auto_consent() {
    // platform §2.2, §2.4 (PKCE), §2.7: start → 302 with code → exchange → a scoped pat_ token
    let s = auto_consent().await;
    let (client_id, _) = local_client(&s).await;
    let path = start_path(&client_id, LOCAL, "apps-read", "state 1/2", true);
    let a = raw(&s, Method::GET, &path, &[("origin", "https://elsewhere.example")], None).await;
    let to = location(&a);
    assert!(to.starts_with("http://localhost:3000/cb?code="), "{to}");
    assert!(a.headers.get("access-control-allow-origin").is_none(), "no CORS on /start");
    assert!(to.ends_with("&state=state+1/2&scope=apps-read"), "code, state, scope in that order, form-encoded: {to}");
    let code = query_of(&to)["code"].clone();
    assert_eq!(code.len(), 36, "a UUID");

    let exchanged = ok(pkce_exchange(&s, &client_id, &code).await);
    let keys: Vec<&str> = exchanged.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["access_token", "expires_in", "token_type", "scopes"], "no refresh token, key `scopes`");
    let access = exchanged["access_token"].as_str().unwrap();
    assert!(access.starts_with("pat_") && access.len() == 68, "{access}");
    assert_eq!(exchanged["expires_in"], 1_209_599);
    assert_eq!((&exchanged["token_type"], &exchanged["scopes"]), (&json!("Bearer"), &json!("apps-read")));

    // the token works within its scope and is refused beyond it
    assert_eq!(ok(list_apps(&s, access).await), json!({"apps": []}));
    let denied = bearer(&s, Method::POST, "/superadmin/apps", access, Some(json!({"title": "nope"}))).await;
    assert_error(&denied, 400, "permission-denied", "You are missing the apps-write scope");
    assert_eq!(denied.body["hint"], json!({"required-scope": "apps-write"}));

    // several scopes travel space-joined
    let code = code_for(&s, &client_id, "apps-read apps-write", true).await;
    let both = ok(pkce_exchange(&s, &client_id, &code).await);
    assert_eq!(both["scopes"], "apps-read apps-write");
    let created =
        bearer(&s, Method::POST, "/superadmin/apps", both["access_token"].as_str().unwrap(), Some(json!({"title": "mine"}))).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(ok(list_apps(&s, access).await)["apps"][0]["title"], "mine", "the consent user's own apps");
}

#[tokio::test]
async fn secret_flow_with_refresh_tokens() {
    // platform §2.4: secret → refresh token with `scopes`; refresh → `scope`, no new refresh token
    let s = auto_consent().await;
    let (client_id, secret) = local_client(&s).await;
    let code = code_for(&s, &client_id, "apps-read", false).await;
    let first = ok(secret_exchange(&s, &client_id, &secret, &code).await);
    let keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["access_token", "expires_in", "token_type", "refresh_token", "scopes"]);
    let refresh_token = first["refresh_token"].as_str().unwrap().to_owned();
    assert!(refresh_token.starts_with("prt_") && refresh_token.len() == 68);
    let old_access = first["access_token"].as_str().unwrap().to_owned();

    advance(&s, 60_000).await;
    let renewed = ok(refresh(&s, &client_id, &secret, &refresh_token).await);
    let keys: Vec<&str> = renewed.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["access_token", "expires_in", "token_type", "scope"], "`scope`, and no refresh token");
    assert_eq!((&renewed["scope"], &renewed["expires_in"]), (&json!("apps-read"), &json!(1_209_599)));
    let new_access = renewed["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_access, old_access);
    assert_eq!(list_apps(&s, &old_access).await.status, 200, "the old token lives until it expires");
    assert_eq!(list_apps(&s, &new_access).await.status, 200);
    assert_eq!(refresh(&s, &client_id, &secret, &refresh_token).await.status, 200, "not rotated: usable again");

    // the old token expires on the emulator clock; the refresh token never does
    advance(&s, TWO_WEEKS_MS - 60_000).await;
    let expired = list_apps(&s, &old_access).await;
    assert_error(&expired, 400, "record-expired", "Record expired: oauth-access-token");
    assert!(expired.body["hint"]["expired_at"].is_string(), "{}", expired.body);
    assert_eq!(list_apps(&s, &new_access).await.status, 200, "minted a minute later");
    advance(&s, 60_000).await;
    assert_error_type(&list_apps(&s, &new_access).await, 400, "record-expired");
    let later = ok(refresh(&s, &client_id, &secret, &refresh_token).await);
    assert_eq!(list_apps(&s, later["access_token"].as_str().unwrap()).await.status, 200);

    // the secret alone names the client; a refresh token of another client is unknown to it
    let (other_id, other_secret) = local_client(&s).await;
    assert_eq!(refresh(&s, &other_id, &secret, &refresh_token).await.status, 200, "client_id is not cross-checked");
    let foreign = refresh(&s, &client_id, &other_secret, &refresh_token).await;
    assert_error(&foreign, 400, "record-not-found", "Record not found: oauth-refresh-token");
    assert_eq!(foreign.body["hint"], json!({"record-type": "oauth-refresh-token"}));
    let unknown = refresh(&s, &client_id, &"0".repeat(68), &refresh_token).await;
    assert_error(&unknown, 400, "record-not-found", "Record not found: oauth-app-client");
    assert_eq!(unknown.body["hint"]["args"], json!([{"client-id": client_id}]));
}

#[tokio::test]
async fn codes_are_single_use_and_burnt_by_failed_exchanges() {
    // platform §2.1: codes are deleted before validation; §2.4 error types and messages
    let s = auto_consent().await;
    let (client_id, secret) = local_client(&s).await;
    let not_found = |a: &Answer| {
        assert_error(a, 400, "record-not-found", "Record not found: oauth-code");
        assert_eq!(a.body["hint"]["record-type"], "oauth-code");
    };

    let code = code_for(&s, &client_id, "apps-read", true).await;
    assert_eq!(pkce_exchange(&s, &client_id, &code).await.status, 200);
    not_found(&pkce_exchange(&s, &client_id, &code).await);

    // a wrong verifier burns the code
    let code = code_for(&s, &client_id, "apps-read", true).await;
    let wrong = token(
        &s,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": LOCAL, "client_id": client_id, "code_verifier": "not-it"}),
    )
    .await;
    assert_error(&wrong, 400, "validation-failed", "Validation failed for oauth-code: The code_challenge and code_verifier do not match.");
    assert!(!wrong.text.contains("not-it"), "the verifier is not echoed: {}", wrong.text);
    not_found(&pkce_exchange(&s, &client_id, &code).await);

    // a wrong redirect_uri burns it too
    let code = code_for(&s, &client_id, "apps-read", true).await;
    let body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost:3000/other", "client_id": client_id, "code_verifier": VERIFIER});
    let wrong = token(&s, body).await;
    assert_error(&wrong, 400, "param-malformed", "Invalid redirect_uri parameter");
    assert_eq!(wrong.body["hint"], json!({"input": "http://localhost:3000/other"}));
    not_found(&pkce_exchange(&s, &client_id, &code).await);

    // another client's code
    let (other_id, _) = local_client(&s).await;
    let code = code_for(&s, &client_id, "apps-read", true).await;
    let wrong = pkce_exchange(&s, &other_id, &code).await;
    assert_error(&wrong, 400, "param-malformed", "Invalid client_id parameter");
    assert_eq!(wrong.body["hint"], json!({"input": other_id}));

    // PKCE needs a challenge at /start; the secret branch ignores PKCE altogether
    let plain_code = code_for(&s, &client_id, "apps-read", false).await;
    assert_error(
        &pkce_exchange(&s, &client_id, &plain_code).await,
        400,
        "param-missing",
        "You must provide the client_secret from a secure server or use the client-side PKCE flow to exchange the OAuth code for a token.",
    );
    let pkce_code = code_for(&s, &client_id, "apps-read", true).await;
    assert_eq!(secret_exchange(&s, &client_id, &secret, &pkce_code).await.status, 200, "no verifier checked");

    // ten minutes on the emulator clock expire a code (and spend it)
    let code = code_for(&s, &client_id, "apps-read", true).await;
    advance(&s, 10 * 60 * 1000).await;
    let late = pkce_exchange(&s, &client_id, &code).await;
    assert_error(&late, 400, "record-expired", "Record expired: oauth-code");
    not_found(&pkce_exchange(&s, &client_id, &code).await);

    // a code that never was, and one that is no UUID
    not_found(&pkce_exchange(&s, &client_id, &uid(9)).await);
    assert_error(&pkce_exchange(&s, &client_id, "nope").await, 400, "param-malformed", "Malformed parameter: [\"code\"]");
}

#[tokio::test]
async fn plain_pkce_and_form_encoded_token_requests() {
    // platform §2.4: form bodies, `plain` challenges, parameter errors, other content types
    let s = auto_consent().await;
    let (client_id, secret) = local_client(&s).await;
    let path = format!(
        "/platform/oauth/start?{}",
        form(&[
            ("client_id", &client_id),
            ("redirect_uri", LOCAL),
            ("response_type", "code"),
            ("scope", "apps-read"),
            ("state", "s"),
            ("code_challenge", "plain-verifier-0123456789"),
            ("code_challenge_method", "plain")
        ])
    );
    let code = query_of(&location(&raw(&s, Method::GET, &path, &[], None).await))["code"].clone();
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", LOCAL),
        ("client_id", &client_id),
        ("code_verifier", "plain-verifier-0123456789"),
    ]);
    let a = raw(&s, Method::POST, "/platform/oauth/token", &[FORM], Some(body)).await;
    assert_eq!(ok(a)["scopes"], "apps-read");

    // a form refresh, with the client id in the query string
    let code = code_for(&s, &client_id, "apps-read", false).await;
    let first = ok(secret_exchange(&s, &client_id, &secret, &code).await);
    let body =
        form(&[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().unwrap()), ("client_secret", &secret)]);
    let path = format!("/platform/oauth/token?client_id={client_id}");
    let a = raw(&s, Method::POST, &path, &[("content-type", "application/x-www-form-urlencoded; charset=UTF-8")], Some(body)).await;
    assert_eq!(ok(a)["scope"], "apps-read");

    // any other content type means no parameters
    let json_text = json!({"grant_type": "authorization_code", "client_id": client_id}).to_string();
    for content_type in ["text/plain", "application/vnd.api+json"] {
        let a = raw(&s, Method::POST, "/platform/oauth/token", &[("content-type", content_type)], Some(json_text.clone())).await;
        assert_error(&a, 400, "param-missing", "Missing parameter: [\"grant_type\"]");
        assert_eq!(a.body["hint"], json!({"in": ["grant_type"]}));
    }
    let malformed = raw(&s, Method::POST, "/platform/oauth/token", &[JSON], Some("{".into())).await;
    assert_eq!((malformed.status, malformed.text.as_str()), (400, "Malformed JSON in request body."));

    assert_error(&token(&s, json!({"grant_type": "authorization_code"})).await, 400, "param-missing", "Missing parameter: [\"client_id\"]");
    let pkce_refresh = token(&s, json!({"grant_type": "refresh_token", "client_id": client_id})).await;
    assert_error(
        &pkce_refresh,
        400,
        "param-malformed",
        "Unrecognized `grant_type` parameter only `authorization_code` is allowed for the PKCE flow.",
    );
    assert_eq!(pkce_refresh.body["hint"], json!({"input": "refresh_token"}));
    let other = token(&s, json!({"grant_type": "password", "client_id": client_id, "client_secret": secret})).await;
    assert_error(
        &other,
        400,
        "param-malformed",
        "Unrecognized `grant_type` parameter, expected either `authorization_code` or `refresh_token`",
    );
    let blank = token(&s, json!({"grant_type": "authorization_code", "client_id": client_id, "client_secret": " "})).await;
    assert_error(&blank, 400, "param-malformed", "Malformed parameter: [\"client_secret\"]");
    let twice = form(&[("grant_type", "refresh_token"), ("client_id", &client_id), ("client_secret", &secret), ("client_secret", "x")]);
    let a = raw(&s, Method::POST, "/platform/oauth/token", &[FORM], Some(twice)).await;
    assert_error(&a, 400, "param-malformed", "Malformed parameter: [\"client_secret\"]");
    assert!(!a.text.contains(&secret), "a repeated secret is not echoed: {}", a.text);
}

#[tokio::test]
async fn refresh_tokens_are_capped_at_five_per_client_and_user() {
    // platform §1.1: at most 5 refresh tokens per (client, user); the oldest go with their access tokens
    let s = auto_consent().await;
    let (client_id, secret) = local_client(&s).await;
    let mut issued = Vec::new();
    for _ in 0..6 {
        let code = code_for(&s, &client_id, "apps-read", false).await;
        issued.push(ok(secret_exchange(&s, &client_id, &secret, &code).await));
    }
    let refresh_of = |n: usize| issued[n]["refresh_token"].as_str().unwrap().to_owned();
    let access_of = |n: usize| issued[n]["access_token"].as_str().unwrap().to_owned();
    assert_error(&refresh(&s, &client_id, &secret, &refresh_of(0)).await, 400, "record-not-found", "Record not found: oauth-refresh-token");
    assert_error(&list_apps(&s, &access_of(0)).await, 400, "record-not-found", "Record not found: oauth-access-token");
    for n in 1..6 {
        assert_eq!(refresh(&s, &client_id, &secret, &refresh_of(n)).await.status, 200, "token {n}");
        assert_eq!(list_apps(&s, &access_of(n)).await.status, 200, "token {n}");
    }
    // PKCE exchanges make no refresh tokens, so they never push one out
    let code = code_for(&s, &client_id, "apps-read", true).await;
    assert_eq!(pkce_exchange(&s, &client_id, &code).await.status, 200);
    assert_eq!(refresh(&s, &client_id, &secret, &refresh_of(1)).await.status, 200);
}

#[tokio::test]
async fn token_info_and_revocation() {
    // platform §2.5, §2.6
    let s = auto_consent().await;
    let (client_id, secret) = local_client(&s).await;
    let code = code_for(&s, &client_id, "apps-read apps-write", false).await;
    let first = ok(secret_exchange(&s, &client_id, &secret, &code).await);
    let (access, refresh_token) = (first["access_token"].as_str().unwrap(), first["refresh_token"].as_str().unwrap());

    async fn info_of(s: &Server, token: String) -> Answer {
        raw(s, Method::GET, &format!("/platform/oauth/token-info?access_token={}", enc(&token)), &[], None).await
    }
    let info = |token: &str| info_of(&s, token.to_owned());
    let known = ok(info(access).await);
    let keys: Vec<&str> = known.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["expires_in", "token_type", "scopes"]);
    assert_eq!((&known["token_type"], &known["scopes"]), (&json!("Bearer"), &json!("apps-read apps-write")));
    let left = known["expires_in"].as_i64().unwrap();
    assert!((1_209_590..=1_209_600).contains(&left), "{left}");
    advance(&s, 1_000_000).await;
    // The emulator's clock is the wall clock plus the advance: a second boundary may pass
    // between the two reads, and `expires_in` truncates.
    let later = ok(info(access).await)["expires_in"].as_i64().unwrap();
    assert!((left - 1001..=left - 1000).contains(&later), "{left} then {later}");
    let refused = info(refresh_token).await;
    assert_error(
        &refused,
        400,
        "validation-failed",
        "Validation failed for access_token: The access_token is not a valid platform OAuth access token.",
    );
    assert_error(&info(&format!("pat_{}", "0".repeat(64))).await, 400, "record-not-found", "Record not found: oauth-access-token");
    let missing = raw(&s, Method::GET, "/platform/oauth/token-info", &[], None).await;
    assert_error(&missing, 400, "param-missing", "Missing parameter: [\"access_token\"]");

    // the request log keeps the route but not the token
    let log = s.send(Method::GET, "/__emulator/requests?path-prefix=/platform/oauth/token-info", &[]).await;
    let queries: Vec<&str> = log.body["requests"].as_array().unwrap().iter().filter_map(|r| r["query"].as_str()).collect();
    assert!(queries.contains(&"access_token=[redacted]"), "{queries:?}");
    assert!(!log.text.contains(&access[4..]), "{}", log.text);

    // revoking the refresh token takes every access token minted from it
    let renewed = ok(refresh(&s, &client_id, &secret, refresh_token).await);
    let renewed_access = renewed["access_token"].as_str().unwrap();
    async fn revoke_with(s: &Server, query: String) -> Answer {
        raw(s, Method::POST, &format!("/platform/oauth/revoke{query}"), &[], None).await
    }
    let revoke = |query: String| revoke_with(&s, query);
    assert_eq!(ok(revoke(format!("?token={refresh_token}")).await), json!({}));
    for gone in [access, renewed_access] {
        assert_error(&list_apps(&s, gone).await, 400, "record-not-found", "Record not found: oauth-access-token");
    }
    assert_error_type(&refresh(&s, &client_id, &secret, refresh_token).await, 400, "record-not-found");
    assert_eq!(ok(revoke(format!("?token={refresh_token}")).await), json!({}), "unknown tokens are no error");

    // an access token alone, by form body
    let code = code_for(&s, &client_id, "apps-read", false).await;
    let second = ok(secret_exchange(&s, &client_id, &secret, &code).await);
    let body = form(&[("token", second["access_token"].as_str().unwrap())]);
    assert_eq!(ok(raw(&s, Method::POST, "/platform/oauth/revoke", &[FORM], Some(body)).await), json!({}));
    assert_error_type(&list_apps(&s, second["access_token"].as_str().unwrap()).await, 400, "record-not-found");
    let kept = ok(refresh(&s, &client_id, &secret, second["refresh_token"].as_str().unwrap()).await);
    assert_eq!(list_apps(&s, kept["access_token"].as_str().unwrap()).await.status, 200, "its refresh token stays");

    assert_error(&revoke("?token=per_123".into()).await, 400, "param-malformed", "Token is not a access token or a refresh token.");
    assert_error(&revoke(String::new()).await, 400, "param-missing", "Missing parameter: [\"params\" \"token\"]");
}

/// The hidden field `name`'s value in the consent page.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("{name} in {page}")) + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// The `name=value` of a `Set-Cookie` header.
fn cookie_of(a: &Answer) -> String {
    a.header("set-cookie").split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_consent_page_grants_and_denies() {
    // platform §2.3 offline: without a consent user, /start shows a page posting to /grant or /deny
    let s = start().await;
    let (client_id, secret) =
        register(&s, json!({"app-name": "Acme <Deploy>", "redirect-urls": [LOCAL], "support-email": "help@acme.example"})).await;
    let a = raw(&s, Method::GET, &start_path(&client_id, LOCAL, "apps-read", "abc", false), &[("origin", "https://x.example")], None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.content_type.starts_with("text/html"), "{}", a.content_type);
    assert!(a.headers.get("access-control-allow-origin").is_none());
    assert!(a.text.contains("Acme &lt;Deploy&gt;") && a.text.contains("help@acme.example") && a.text.contains("apps-read"), "{}", a.text);
    assert!(a.text.contains("action=\"/platform/oauth/grant\"") && a.text.contains("formaction=\"/platform/oauth/deny\""));
    let set_cookie = a.header("set-cookie").to_owned();
    assert!(set_cookie.starts_with("__session=instantdb_") && set_cookie.contains("Path=/platform/oauth"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = cookie_of(&a);
    let (redirect_id, grant_token) = (field(&a.text, "redirect_id"), field(&a.text, "grant_token"));

    let grant_body = |email: &str| form(&[("redirect_id", &redirect_id), ("grant_token", &grant_token), ("email", email)]);
    let headers = [FORM, ("cookie", cookie.as_str()), ("origin", "https://x.example")];
    let granted = raw(&s, Method::POST, "/platform/oauth/grant", &headers, Some(grant_body("Alice@Example.com"))).await;
    assert!(granted.headers.get("access-control-allow-origin").is_none(), "no CORS on /grant");
    let to = location(&granted);
    let query = query_of(&to);
    assert_eq!((query["state"].as_str(), query["scope"].as_str()), ("abc", "apps-read"), "{to}");
    let first = ok(secret_exchange(&s, &client_id, &secret, &query["code"]).await);

    // the token is alice's: her own apps list through it
    let pat = control(&s, "/__emulator/platform/users", json!({"email": "alice@example.com"})).await["personal-access-token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(bearer(&s, Method::POST, "/superadmin/apps", &pat, Some(json!({"title": "hers"}))).await.status, 200);
    assert_eq!(ok(list_apps(&s, first["access_token"].as_str().unwrap()).await)["apps"][0]["title"], "hers");

    // the consent is used up
    let again = raw(&s, Method::POST, "/platform/oauth/grant", &headers, Some(grant_body("alice@example.com"))).await;
    assert_eq!(again.status, 400);
    assert!(again.content_type.starts_with("text/html") && again.text.contains("Record not found: oauth-app-redirect"), "{}", again.text);

    // deny
    let page = raw(&s, Method::GET, &start_path(&client_id, LOCAL, "apps-read", "d", false), &[], None).await;
    let body = form(&[("redirect_id", &field(&page.text, "redirect_id")), ("grant_token", &field(&page.text, "grant_token"))]);
    let cookie = cookie_of(&page);
    let denied = raw(&s, Method::POST, "/platform/oauth/deny", &[FORM, ("cookie", &cookie)], Some(body.clone())).await;
    assert_eq!(location(&denied), "http://localhost:3000/cb?error=access_denied&state=d");
    let gone = raw(&s, Method::POST, "/platform/oauth/deny", &[FORM, ("cookie", &cookie)], Some(body)).await;
    assert_error(&gone, 400, "record-not-found", "Record not found: oauth-app-redirect");

    // no cookie: back to the app with invalid_request (the consent is spent)
    let page = raw(&s, Method::GET, &start_path(&client_id, LOCAL, "apps-read", "c", false), &[], None).await;
    let body = form(&[
        ("redirect_id", &field(&page.text, "redirect_id")),
        ("grant_token", &field(&page.text, "grant_token")),
        ("email", "a@b.co"),
    ]);
    let no_cookie = raw(&s, Method::POST, "/platform/oauth/grant", &[FORM], Some(body)).await;
    assert_eq!(location(&no_cookie), "http://localhost:3000/cb?error=invalid_request&error_description=Missing+cookie.&state=c");

    // a wrong grant token, a missing email, an expired consent: error pages
    let page = raw(&s, Method::GET, &start_path(&client_id, LOCAL, "apps-read", "e", false), &[], None).await;
    let cookie = cookie_of(&page);
    let redirect_id = field(&page.text, "redirect_id");
    let grant_token = field(&page.text, "grant_token");
    let no_email = form(&[("redirect_id", &redirect_id), ("grant_token", &grant_token)]);
    let a = raw(&s, Method::POST, "/platform/oauth/grant", &[FORM, ("cookie", &cookie)], Some(no_email)).await;
    assert_eq!(a.status, 400);
    assert!(a.text.contains("Missing parameter: [&quot;params&quot; &quot;email&quot;]"), "{}", a.text);
    advance(&s, 10 * 60 * 1000).await;
    let body = form(&[("redirect_id", &redirect_id), ("grant_token", &grant_token), ("email", "a@b.co")]);
    let late = raw(&s, Method::POST, "/platform/oauth/grant", &[FORM, ("cookie", &cookie)], Some(body)).await;
    assert!(late.status == 400 && late.text.contains("Record expired: oauth-app-redirect"), "{}", late.text);
}

#[tokio::test]
async fn start_validates_as_the_server_does() {
    // platform §2.2: any failure is an HTML page with status 400
    let s = auto_consent().await;
    let (client_id, _) = local_client(&s).await;
    async fn error_page(s: &Server, path: String) -> String {
        let a = raw(s, Method::GET, &path, &[], None).await;
        assert_eq!(a.status, 400, "{path}: {}", a.text);
        assert_eq!(a.content_type, "text/html");
        assert!(a.text.contains("There was an error with your OAuth request."), "{}", a.text);
        a.text
    }
    let page = |path: String| error_page(&s, path);
    let q = |pairs: &[(&str, &str)]| format!("/platform/oauth/start?{}", form(pairs));
    let good =
        [("client_id", client_id.as_str()), ("redirect_uri", LOCAL), ("response_type", "code"), ("scope", "apps-read"), ("state", "s")];
    let without = |name: &str| q(&good.iter().filter(|(k, _)| *k != name).copied().collect::<Vec<_>>());
    let with = |name: &str, value: &'static str| {
        let mut pairs: Vec<(&str, &str)> = good.iter().filter(|(k, _)| *k != name).copied().collect();
        pairs.push((name, value));
        q(&pairs)
    };
    assert!(page(without("client_id")).await.contains("Missing parameter: [&quot;params&quot; &quot;client_id&quot;]"));
    assert!(page(with("client_id", "nope")).await.contains("Malformed parameter: [&quot;params&quot; &quot;client_id&quot;]"));
    assert!(page(without("state")).await.contains("Missing parameter: [&quot;params&quot; &quot;state&quot;]"));
    assert!(page(with("response_type", "token")).await.contains("`response_type` parameter must have value `code`"));
    assert!(page(with("client_id", "00000000-0000-4000-8000-000000000009")).await.contains("Record not found: oauth-app-client"));
    let unlisted = page(with("redirect_uri", "http://localhost:3000/other")).await;
    assert!(unlisted.contains("Validation failed for redirect_uri") && unlisted.contains("does not appear in the set"), "{unlisted}");
    assert!(page(with("scope", "apps-read apps-transfer")).await.contains("Invalid scope apps-transfer"));
    let mut half = good.to_vec();
    half.push(("code_challenge_method", "S256"));
    assert!(page(q(&half)).await.contains("Validation failed for code-challenge"));
    let mut other_method = good.to_vec();
    other_method.extend([("code_challenge", CHALLENGE), ("code_challenge_method", "S512")]);
    assert!(page(q(&other_method)).await.contains("Malformed parameter: [&quot;params&quot; &quot;code_challenge_method&quot;]"));

    // public apps: their granted scopes only, and no localhost redirects (not even registrable)
    let public_url = "https://tool.example.com/oauth";
    let (public_id, _) =
        register(&s, json!({"app-name": "Tool", "redirect-urls": [public_url], "public": true, "granted-scopes": "apps-read"})).await;
    let ask = |scope: &str| start_path(&public_id, public_url, scope, "s", true);
    let refused = page(ask("apps-read data-read")).await;
    assert!(refused.contains("Validation failed for scope") && refused.contains("not been granted the data-read scopes"), "{refused}");
    let to = location(&raw(&s, Method::GET, &ask("apps-read"), &[], None).await);
    assert!(to.starts_with("https://tool.example.com/oauth?code="), "{to}");
    let local = s
        .post_raw(
            "/__emulator/platform/oauth-clients",
            &[JSON],
            &json!({"app-name": "T", "redirect-urls": [LOCAL], "public": true}).to_string(),
        )
        .await;
    assert_error_contains(&local, 400, "validation-failed", "redirect uri may not be localhost");
    for bad in [
        "http://tool.example.com/cb",
        "https://u:p@tool.example.com/cb",
        "https://tool.example.com/a/../cb",
        "https://tool.example.com/cb#x",
    ] {
        let a =
            s.post_raw("/__emulator/platform/oauth-clients", &[JSON], &json!({"app-name": "T", "redirect-urls": [bad]}).to_string()).await;
        assert_error_type(&a, 400, "validation-failed");
    }
}

#[tokio::test]
async fn only_members_consent_to_test_mode_apps() {
    // platform §2.1: a non-public app, or a localhost redirect, only for members of the owning app
    let s = auto_consent().await;
    let (owned_id, _) = register(&s, json!({"app-name": "Owned", "redirect-urls": [LOCAL], "app-id": s.app_id})).await;
    let path = start_path(&owned_id, LOCAL, "apps-read", "s", true);
    let refused = raw(&s, Method::GET, &path, &[], None).await;
    assert_eq!(refused.status, 400);
    assert!(refused.text.contains("This OAuth app is not public, only members of the app may use it."), "{}", refused.text);
    control(&s, &format!("/__emulator/platform/apps/{}/members", s.app_id), json!({"email": "dev@example.com", "role": "collaborator"}))
        .await;
    assert_eq!(raw(&s, Method::GET, &path, &[], None).await.status, 302);

    let (personal_id, _) =
        register(&s, json!({"app-name": "Personal", "redirect-urls": [LOCAL], "owner-email": "someone@example.com"})).await;
    let path = start_path(&personal_id, LOCAL, "apps-read", "s", true);
    assert_eq!(raw(&s, Method::GET, &path, &[], None).await.status, 400);
    assert_eq!(
        ok(s.post_raw("/__emulator/platform/oauth-consent", &[JSON], &json!({"email": "Someone@example.com"}).to_string()).await),
        json!({"email": "someone@example.com"})
    );
    assert_eq!(raw(&s, Method::GET, &path, &[], None).await.status, 302);
}

#[tokio::test]
async fn the_consent_user_is_set_by_flag_or_control_route_and_survives_resets() {
    let s = start().await;
    let (client_id, _) = local_client(&s).await;
    let path = start_path(&client_id, LOCAL, "apps-read", "s", true);
    assert_eq!(raw(&s, Method::GET, &path, &[], None).await.status, 200, "the consent page");
    control(&s, "/__emulator/platform/oauth-consent", json!({"email": "ops@example.com"})).await;
    assert_eq!(raw(&s, Method::GET, &path, &[], None).await.status, 302);
    assert_eq!(control(&s, "/__emulator/platform/oauth-consent", json!({"email": null})).await, json!({"email": null}));
    assert_eq!(raw(&s, Method::GET, &path, &[], None).await.status, 200);
    let bad = s.post_raw("/__emulator/platform/oauth-consent", &[JSON], &json!({"email": "nope"}).to_string()).await;
    assert_error_type(&bad, 400, "validation-failed");

    let flagged = auto_consent().await;
    control(&flagged, "/__emulator/platform/oauth-consent", json!({"email": null})).await;
    control(&flagged, "/__emulator/reset", json!({})).await;
    let (client_id, _) = local_client(&flagged).await;
    let path = start_path(&client_id, LOCAL, "apps-read", "s", true);
    assert_eq!(raw(&flagged, Method::GET, &path, &[], None).await.status, 302, "back to --oauth-consent-email");
    assert!(instant_emulator::Emulator::new(Config { oauth_consent_email: Some("nope".into()), ..Config::default() }).is_err());
}

#[tokio::test]
async fn cors_is_open_on_the_token_routes() {
    // platform §0: every origin but on /start and /grant
    let s = auto_consent().await;
    let preflight = raw(
        &s,
        Method::OPTIONS,
        "/platform/oauth/token",
        &[("origin", "https://app.example"), ("access-control-request-method", "POST"), ("access-control-request-headers", "content-type")],
        None,
    )
    .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-origin"), "https://app.example");
    let a = raw(&s, Method::POST, "/platform/oauth/token", &[JSON, ("origin", "https://app.example")], Some("{}".into())).await;
    assert_eq!(a.header("access-control-allow-origin"), "https://app.example");
    let start_preflight = raw(
        &s,
        Method::OPTIONS,
        "/platform/oauth/start",
        &[("origin", "https://app.example"), ("access-control-request-method", "GET")],
        None,
    )
    .await;
    assert_eq!(start_preflight.status, 404);
    assert!(start_preflight.headers.get("access-control-allow-origin").is_none());
}
