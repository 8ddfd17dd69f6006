//! Routing, body decoding, error shapes and CORS (spec §1.1, §1.2, §1.7, §2, §10 items 5–7, 44).
mod common;
use common::*;
use instant_emulator::Config;
use reqwest::Method;
use serde_json::json;

const NOT_FOUND: &str = "Oops! We couldn't match this route.";

// ---------------------------------------------------------------- §1.1 routing

#[tokio::test]
async fn unknown_routes_and_methods_get_the_servers_404_without_type() {
    // spec §1.1, §10 item 7: 404 body is only {"message": …}
    let s = start().await;
    let a = s.post_raw("/admin/nope", &[], "").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body, json!({"message": NOT_FOUND}));
    assert!(a.content_type.starts_with("application/json"), "{}", a.content_type);
    for (method, path) in [
        (Method::GET, "/admin/query"),
        (Method::PUT, "/admin/transact"),
        (Method::DELETE, "/admin/refresh_tokens"),
        (Method::GET, "/"),
        (Method::POST, "/query"),
    ] {
        let a = s.send(method.clone(), path, &[]).await;
        assert_eq!((a.status, a.body.clone()), (404, json!({"message": NOT_FOUND})), "{method} {path}");
    }
}

#[tokio::test]
async fn success_is_200_json_with_charset() {
    // spec §1.1: always 200, `application/json; charset=utf-8`
    let s = start().await;
    let a = s.admin("/admin/query", json!({"query": {}})).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, "application/json; charset=utf-8");
    let a = s.admin("/admin/transact", json!({"steps": []})).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, "application/json; charset=utf-8");
}

// ---------------------------------------------------------------- §1.2 body decoding

#[tokio::test]
async fn malformed_json_is_plain_text_not_the_instant_shape() {
    // spec §1.2, §10 item 5: 400, text/plain, exact body
    let s = start().await;
    let auth = s.bearer();
    for path in ["/admin/query", "/admin/transact", "/admin/refresh_tokens"] {
        for body in ["{nope", r#"{"query": }"#, "[1,"] {
            let a = s.post_raw(path, &[JSON, ("app-id", &s.app_id), ("authorization", &auth)], body).await;
            assert_eq!(a.status, 400, "{path} {body}");
            assert!(a.content_type.starts_with("text/plain"), "{}", a.content_type);
            assert_eq!(a.text, "Malformed JSON in request body.");
        }
    }
}

#[tokio::test]
async fn non_json_content_type_reads_every_body_param_as_missing() {
    // spec §1.2: only `^application/(.+\+)?json` is decoded
    let s = start().await;
    let auth = s.bearer();
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/xml"] {
        let headers = [("content-type", content_type), ("app-id", s.app_id.as_str()), ("authorization", auth.as_str())];
        let a = s.post_raw("/admin/query", &headers, r#"{"query":{}}"#).await;
        assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "query"]"#);
        let a = s.post_raw("/admin/transact", &headers, r#"{"steps":[]}"#).await;
        assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "steps"]"#);
    }
    // no content type at all, and a malformed body: still "missing", never "malformed JSON"
    let a = s.post_raw("/admin/query", &[("app-id", &s.app_id), ("authorization", &auth)], "{nope").await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "query"]"#);
}

#[tokio::test]
async fn json_content_type_variants_decode() {
    // spec §1.2: `application/json` with parameters and `application/<x>+json`
    let s = start().await;
    let auth = s.bearer();
    for content_type in ["application/json; charset=utf-8", "application/vnd.api+json", "application/json"] {
        let headers = [("content-type", content_type), ("app-id", s.app_id.as_str()), ("authorization", auth.as_str())];
        let a = s.post_raw("/admin/query", &headers, r#"{"query":{}}"#).await;
        assert_eq!((a.status, a.body.clone()), (200, json!({})), "{content_type}");
    }
}

#[tokio::test]
async fn query_param_must_be_an_object() {
    // spec §3.1: non-object `query` → param-malformed ["body" "query"] with original-input
    let s = start().await;
    for bad in [json!([1]), json!("goals"), json!(5), json!(true)] {
        let a = s.admin("/admin/query", json!({"query": bad})).await;
        assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["body" "query"]"#);
        assert_eq!(a.body["hint"]["in"], json!(["body", "query"]));
        assert!(a.body["hint"].get("original-input").is_some(), "{}", a.body);
    }
}

#[tokio::test]
async fn steps_param_must_be_a_collection() {
    // spec §3.2: non-collection `steps` → param-malformed ["body" "steps"]; absent → param-missing
    let s = start().await;
    for bad in [json!("x"), json!(5), json!(true)] {
        let a = s.admin("/admin/transact", json!({"steps": bad})).await;
        assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["body" "steps"]"#);
        assert_eq!(a.body["hint"]["in"], json!(["body", "steps"]));
    }
    let a = s.admin("/admin/transact", json!({"step": []})).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["body" "steps"]"#);
    assert_eq!(a.body["hint"]["in"], json!(["body", "steps"]));
    // an object is a collection: it passes the param check and fails step validation instead
    let a = s.admin("/admin/transact", json!({"steps": {"not": "a list"}})).await;
    assert_invalid(&a);
}

#[tokio::test]
async fn oversized_body_is_413_payload_too_large() {
    // emulator choice (the real server has no limit): bodies over max_body_bytes → 413 payload-too-large
    let s = start_with(Config { max_body_bytes: 1024, ..Config::default() }).await;
    let big = json!({"steps": [["update", "goals", uid(1), {"t": "x".repeat(4096)}]]});
    let a = s.admin("/admin/transact", big).await;
    assert_error_type(&a, 413, "payload-too-large");
    let a = s.admin("/admin/query", json!({"query": {"goals": {"$": {"where": {"t": "x".repeat(2048)}}}}})).await;
    assert_error_type(&a, 413, "payload-too-large");
    // just under the limit is fine
    let small = json!({"steps": [["update", "goals", uid(1), {"t": "x".repeat(700)}]]});
    assert!(small.to_string().len() < 1024);
    assert_eq!(s.admin("/admin/transact", small).await.status, 200);
}

// ---------------------------------------------------------------- §2 error shape

#[tokio::test]
async fn instant_errors_have_type_message_hint_and_a_fresh_trace_id() {
    // spec §2.1, §10 item 7: hint key always present, trace-id 32 lower-hex chars
    let s = start().await;
    let first = s.post_raw("/admin/query", &[JSON], QUERY_BODY).await;
    let second = s.post_raw("/admin/query", &[JSON], QUERY_BODY).await;
    assert_error_type(&first, 400, "param-missing");
    assert_error_type(&second, 400, "param-missing");
    let keys: Vec<_> = first.body.as_object().expect("object").keys().cloned().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, ["hint", "message", "trace-id", "type"]);
    let a = s.transact_err(json!([["update", "goals", "abc", {}]])).await;
    assert_error_type(&a, 400, "validation-failed");
    let a = s.query_err(json!({"goals": {"$": {"where": {"or": []}}}})).await;
    assert_error_type(&a, 400, "validation-failed");
}

const QUERY_BODY: &str = r#"{"query":{}}"#;

#[tokio::test]
async fn validation_errors_carry_data_type_input_and_errors() {
    // spec §2.1 example / §2.4: hint {data-type, input, errors:[{message, in}]}
    let s = start().await;
    let steps = json!([["update", "goals", "abc", {}]]);
    let a = s.transact_err(steps.clone()).await;
    assert_error(
        &a,
        400,
        "validation-failed",
        "Validation failed for steps: Invalid entity ID 'abc'. Entity IDs must be UUIDs or lookup references.",
    );
    assert_eq!(a.body["hint"]["data-type"], "steps");
    assert_eq!(a.body["hint"]["input"], steps);
    assert_eq!(a.body["hint"]["errors"][0]["message"], "Invalid entity ID 'abc'. Entity IDs must be UUIDs or lookup references.");
    assert_eq!(a.body["hint"]["errors"][0]["in"], json!([0, 2]));
}

// ---------------------------------------------------------------- §1.7 CORS

async fn preflight(s: &Server, path: &str, method: &str, origin: Option<&str>, request_headers: Option<&str>) -> Answer {
    let mut headers = vec![("access-control-request-method", method)];
    headers.extend(origin.map(|o| ("origin", o)));
    headers.extend(request_headers.map(|h| ("access-control-request-headers", h)));
    s.send(Method::OPTIONS, path, &headers).await
}

#[tokio::test]
async fn cors_preflight_is_answered_for_any_origin_and_headers() {
    // spec §1.7, §10 item 44
    let s = start().await;
    for method in ["GET", "PUT", "POST", "DELETE"] {
        let a =
            preflight(&s, "/admin/query", method, Some("https://example.com"), Some("content-type,app-id,authorization,x-custom")).await;
        assert_eq!(a.status, 200, "{method}");
        assert_eq!(a.text, "preflight complete");
        assert_eq!(a.header("access-control-allow-origin"), "https://example.com");
        assert_eq!(a.header("access-control-allow-methods"), "DELETE, GET, POST, PUT");
        assert_eq!(a.header("access-control-allow-headers"), "App-Id, Authorization, Content-Type, X-Custom");
        assert_eq!(a.header("vary"), "origin, Access-Control-Request-Headers");
        assert!(a.header("cache-control").starts_with("public, max-age="), "{}", a.header("cache-control"));
        assert!(a.headers.get("access-control-allow-credentials").is_none());
    }
}

#[tokio::test]
async fn cors_preflight_with_a_disallowed_method_or_no_origin_falls_through_to_404() {
    // spec §1.7: passes through to routing → 404 JSON
    let s = start().await;
    let a = preflight(&s, "/admin/query", "PATCH", Some("https://example.com"), None).await;
    assert_eq!((a.status, a.body.clone()), (404, json!({"message": NOT_FOUND})));
    let a = preflight(&s, "/admin/query", "POST", None, Some("content-type")).await;
    assert_eq!((a.status, a.body.clone()), (404, json!({"message": NOT_FOUND})));
    assert!(a.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_headers_on_actual_responses_including_errors() {
    // spec §1.7: Origin → Allow-Origin echoed + Allow-Methods, on 200, 400 and 404; no Expose-Headers
    let s = start().await;
    let origin = [("origin", "https://x.dev")];
    let ok = s.admin_with("/admin/query", &origin, &json!({"query": {}})).await;
    let bad = s.post_raw("/admin/query", &[("origin", "https://x.dev"), JSON], "{}").await;
    let malformed = s.post_raw("/admin/query", &[("origin", "https://x.dev"), JSON, ("app-id", &s.app_id)], "{oops").await;
    let missing = s.send(Method::GET, "/admin/nope", &origin).await;
    for (a, status) in [(&ok, 200), (&bad, 400), (&malformed, 400), (&missing, 404)] {
        assert_eq!(a.status, status);
        assert_eq!(a.header("access-control-allow-origin"), "https://x.dev");
        assert_eq!(a.header("access-control-allow-methods"), "DELETE, GET, POST, PUT");
        assert!(a.headers.get("access-control-expose-headers").is_none());
        assert!(a.headers.get("access-control-allow-credentials").is_none());
    }
}

#[tokio::test]
async fn no_origin_no_cors_headers() {
    // spec §1.7: no Origin → no CORS headers
    let s = start().await;
    let a = s.admin("/admin/query", json!({"query": {}})).await;
    assert_eq!(a.status, 200);
    assert!(a.headers.get("access-control-allow-origin").is_none());
    assert!(a.headers.get("access-control-allow-methods").is_none());
}
