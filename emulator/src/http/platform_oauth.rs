//! The Platform OAuth routes (platform spec §2): the authorization step with its local consent
//! page, and the token endpoints. [`crate::platform::oauth`] decides; this module reads
//! parameters the way ring does and renders redirects, pages and JSON.
//!
//! | Route | Parameters | Answer |
//! |---|---|---|
//! | `GET /platform/oauth/start` | query `client_id, redirect_uri, response_type=code, scope, state, code_challenge?, code_challenge_method?` | 302 `redirect_uri?code&state&scope` with a consent user configured; else 200 the consent page (sets `__session`); 400 HTML error page |
//! | `POST /platform/oauth/grant` | form `redirect_id, grant_token, email` + `__session` cookie | 302 `redirect_uri?code&state&scope` (or `?error=…&error_description=…&state=…`); 400 HTML error page |
//! | `POST /platform/oauth/deny` | form `redirect_id, grant_token` + `__session` cookie | 302 `redirect_uri?error=access_denied&state=…`; JSON errors |
//! | `POST /platform/oauth/token` | JSON or form body | `{access_token, expires_in, token_type, refresh_token?, scopes}` or, refreshing, `{…, scope}` |
//! | `GET /platform/oauth/token-info` | query `access_token` | `{expires_in, token_type, scopes}` |
//! | `POST /platform/oauth/revoke` | query or form `token` | `{}` |
//!
//! Parameters (ring's `wrap-params`): the query string and, for an
//! `application/x-www-form-urlencoded` body, its fields (which win over the query's); `+` is a
//! space; a repeated name is an array, which no parameter accepts. A JSON content type with a
//! body that is not JSON is the usual plain-text 400, on every route here. Browsers get no CORS
//! headers from `/start` and `/grant` (`http/cors.rs`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::header::{HeaderValue, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use super::{decode_json_body, not_found, ok_json};
use crate::error::{ApiError, ApiResult};
use crate::platform::oauth::consent::{
    self, session_cookie_value, ConsentPage, ErrorPage, StartAnswer, SESSION_COOKIE, SESSION_COOKIE_MAX_AGE_S,
};
use crate::platform::oauth::url::form_pairs;
use crate::platform::oauth::{params_from_pairs, token, Params};
use crate::platform::DEFAULT_USER_EMAIL;
use crate::Emulator;

/// The OAuth routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/platform/oauth/start", get(start).fallback(not_found))
        .route("/platform/oauth/grant", post(grant).fallback(not_found))
        .route("/platform/oauth/deny", post(deny).fallback(not_found))
        .route("/platform/oauth/token", post(token_endpoint).fallback(not_found))
        .route("/platform/oauth/token-info", get(token_info).fallback(not_found))
        .route("/platform/oauth/revoke", post(revoke).fallback(not_found))
}

fn content_type(headers: &HeaderMap) -> &str {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// `urlencoded-form?`: ring compares the start of the header, case and all.
fn is_form(headers: &HeaderMap) -> bool {
    content_type(headers).starts_with("application/x-www-form-urlencoded")
}

/// The body (or the 413 it was too large for) with what ring-json makes of it: a JSON content
/// type with a body that is not JSON fails every route.
fn read_body(emulator: &Emulator, headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> ApiResult<(Bytes, Option<Value>)> {
    let body = body.map_err(|_| ApiError::PayloadTooLarge { limit: emulator.config().max_body_bytes })?;
    let json = decode_json_body(headers, &body)?;
    Ok((body, json))
}

/// `:params`: the query's pairs, then a form body's over them.
fn request_params(headers: &HeaderMap, query: Option<&str>, body: &Bytes) -> Params {
    let mut params = params_from_pairs(form_pairs(query.unwrap_or("")));
    if is_form(headers) {
        params.extend(params_from_pairs(form_pairs(&String::from_utf8_lossy(body))));
    }
    params
}

/// The `__session` cookie's value, from any `Cookie` header.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
}

fn html(status: StatusCode, page: String) -> Response {
    let mut response = (status, page).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// 302 to `location`. It was built from a registered redirect URL, which holds no control
/// characters, so it is always a valid header; were it not, 500 rather than a panic.
fn found(location: &str) -> Response {
    match HeaderValue::from_bytes(location.as_bytes()) {
        Ok(value) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(LOCATION, value);
            response
        }
        Err(_) => ApiError::unknown().into_response(),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const HEAD: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n";

/// The server's OAuth error page (status 400): its sentence and message, then the reasons.
fn error_page(page: ErrorPage) -> Response {
    let mut body = format!(
        "{HEAD}<title>OAuth error</title>\n</head>\n<body>\n<p>There was an error with your OAuth request.</p>\n<p>{}</p>\n",
        escape(&page.message)
    );
    if !page.details.is_empty() {
        body.push_str("<ul>\n");
        for detail in &page.details {
            body.push_str(&format!("<li>{}</li>\n", escape(detail)));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</body>\n</html>\n");
    html(StatusCode::BAD_REQUEST, body)
}

/// The local consent page: one form posting the consent to `/grant`, or with the Deny button to
/// `/deny`. No script (the server's pages allow none from inline code either).
fn consent_page(page: &ConsentPage) -> Response {
    let app = escape(&page.app_name);
    let default_email = if page.known_emails.iter().any(|e| e == DEFAULT_USER_EMAIL) {
        DEFAULT_USER_EMAIL
    } else {
        page.known_emails.first().map(String::as_str).unwrap_or("")
    };
    let scopes: String = page.scopes.iter().map(|s| format!("<li><code>{}</code></li>\n", s.name())).collect();
    let options: String = page.known_emails.iter().map(|e| format!("<option value=\"{}\"></option>\n", escape(e))).collect();
    let support = page.support_email.as_deref().map(|e| format!("<p>Support: {}</p>\n", escape(e))).unwrap_or_default();
    let host = page.redirect_host.as_deref().map(escape).unwrap_or_default();
    let body = format!(
        "{HEAD}<title>Authorize {app}</title>\n</head>\n<body>\n\
<h1>{app} wants access to your Instant account</h1>\n\
<p>This is the instant-emulator's consent page: nobody signs in; give the email of the Instant user who consents.</p>\n\
<p>It asks for:</p>\n<ul>\n{scopes}</ul>\n<p>Your answer is sent to <strong>{host}</strong>.</p>\n{support}\
<form method=\"post\" action=\"/platform/oauth/grant\">\n\
<input type=\"hidden\" name=\"redirect_id\" value=\"{redirect_id}\">\n\
<input type=\"hidden\" name=\"grant_token\" value=\"{grant_token}\">\n\
<label>Instant user <input type=\"email\" name=\"email\" list=\"known-users\" value=\"{email}\" required></label>\n\
<datalist id=\"known-users\">\n{options}</datalist>\n\
<button type=\"submit\">Allow</button>\n\
<button type=\"submit\" formaction=\"/platform/oauth/deny\" formnovalidate>Deny</button>\n\
</form>\n</body>\n</html>\n",
        redirect_id = page.redirect_id,
        grant_token = page.grant_token,
        email = escape(default_email),
    );
    let mut response = html(StatusCode::OK, body);
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/platform/oauth; Max-Age={SESSION_COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Lax",
        session_cookie_value(page.cookie)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// `GET /platform/oauth/start`.
async fn start(State(emulator): State<Emulator>, RawQuery(query): RawQuery) -> Response {
    let params = params_from_pairs(form_pairs(query.as_deref().unwrap_or("")));
    let answer = consent::start(&mut emulator.store(), &params);
    match answer {
        Ok(StartAnswer::Redirect(location)) => found(&location),
        Ok(StartAnswer::Consent(page)) => consent_page(&page),
        Err(page) => error_page(page),
    }
}

/// `POST /platform/oauth/grant`.
async fn grant(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(&emulator, &headers, body) {
        Ok((body, _)) => body,
        Err(error) => return error.into_response(),
    };
    let params = request_params(&headers, query.as_deref(), &body);
    let cookie = session_cookie(&headers);
    let answer = consent::grant(&mut emulator.store(), &params, cookie.as_deref());
    match answer {
        Ok(location) => found(&location),
        Err(page) => error_page(page),
    }
}

/// `POST /platform/oauth/deny`.
async fn deny(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = read_body(&emulator, &headers, body).and_then(|(body, _)| {
        let params = request_params(&headers, query.as_deref(), &body);
        consent::deny(&mut emulator.store(), &params, session_cookie(&headers).as_deref())
    });
    match answer {
        Ok(location) => found(&location),
        Err(error) => error.into_response(),
    }
}

fn json_answer(answer: ApiResult<Value>) -> Response {
    match answer {
        Ok(value) => ok_json(value),
        Err(error) => error.into_response(),
    }
}

/// `POST /platform/oauth/token`: a form body (with the query) or a JSON body's object; with any
/// other content type there are no parameters at all.
async fn token_endpoint(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    json_answer((|| {
        let (body, json) = read_body(&emulator, &headers, body)?;
        let params = if is_form(&headers) {
            request_params(&headers, query.as_deref(), &body)
        } else if content_type(&headers).starts_with("application/json") {
            match json {
                Some(Value::Object(object)) => object,
                _ => Params::new(),
            }
        } else {
            Params::new()
        };
        token::token(&mut emulator.store(), &params)
    })())
}

/// `GET /platform/oauth/token-info`.
async fn token_info(State(emulator): State<Emulator>, RawQuery(query): RawQuery) -> Response {
    let params = params_from_pairs(form_pairs(query.as_deref().unwrap_or("")));
    json_answer(token::token_info(&emulator.store(), &params))
}

/// `POST /platform/oauth/revoke`.
async fn revoke(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    json_answer((|| {
        let (body, _) = read_body(&emulator, &headers, body)?;
        let params = request_params(&headers, query.as_deref(), &body);
        token::revoke(&mut emulator.store(), &params)
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; __session=instantdb_x"));
        assert_eq!(session_cookie(&headers).as_deref(), Some("instantdb_x"));
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }
}
