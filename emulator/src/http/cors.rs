//! CORS as the real server answers it (spec §1.7): any origin is echoed, any requested header
//! allowed, preflights answered 200 `preflight complete`. Except on the two OAuth routes a
//! browser navigates to (platform spec §0): `/platform/oauth/start` and `/platform/oauth/grant`
//! allow no origin, so they get no CORS headers and their preflights reach the route (a 404).

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const ALLOWED_METHODS: &str = "DELETE, GET, POST, PUT";

/// `app-id` → `App-Id`, as ring-cors prints allowed headers.
fn capitalise(header: &str) -> String {
    header
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn set(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(HeaderName::from_static(name), value);
    }
}

/// Paths no origin may call from script (`allow-cors-origin?`): a page elsewhere must not read
/// where consent leads.
const NO_CORS_PATHS: [&str; 2] = ["/platform/oauth/start", "/platform/oauth/grant"];

/// The middleware.
pub async fn cors(request: Request<Body>, next: Next) -> Response {
    if NO_CORS_PATHS.contains(&request.uri().path()) {
        let mut response = next.run(request).await;
        add_security_headers(&mut response);
        return response;
    }
    let origin = request.headers().get("origin").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let requested_method =
        request.headers().get("access-control-request-method").and_then(|v| v.to_str().ok()).map(str::to_ascii_uppercase);
    if request.method() == Method::OPTIONS {
        if let (Some(origin), Some(method)) = (&origin, &requested_method) {
            if ["GET", "PUT", "POST", "DELETE"].contains(&method.as_str()) {
                let requested_headers = request.headers().get("access-control-request-headers").and_then(|v| v.to_str().ok()).unwrap_or("");
                let mut names: Vec<String> =
                    requested_headers.split(',').map(str::trim).filter(|h| !h.is_empty()).map(capitalise).collect();
                names.sort();
                let mut response = (StatusCode::OK, "preflight complete").into_response();
                set(&mut response, "access-control-allow-origin", origin);
                set(&mut response, "access-control-allow-methods", ALLOWED_METHODS);
                set(&mut response, "access-control-allow-headers", &names.join(", "));
                set(&mut response, "access-control-max-age", "600");
                set(&mut response, "cache-control", "public, max-age=600");
                set(&mut response, "vary", "origin, Access-Control-Request-Headers");
                add_security_headers(&mut response);
                return response;
            }
        }
    }
    let mut response = next.run(request).await;
    if let Some(origin) = origin {
        set(&mut response, "access-control-allow-origin", &origin);
        set(&mut response, "access-control-allow-methods", ALLOWED_METHODS);
    }
    add_security_headers(&mut response);
    response
}

fn add_security_headers(response: &mut Response) {
    set(response, "x-frame-options", "DENY");
    set(response, "x-content-type-options", "nosniff");
}

#[cfg(test)]
mod tests {
    #[test]
    fn capitalises_like_ring_cors() {
        assert_eq!(super::capitalise("app-id"), "App-Id");
        assert_eq!(super::capitalise("AUTHORIZATION"), "Authorization");
    }
}
