//! The Platform API from Rust through the mock transport: requests as `@instantdb/platform`
//! sends them, answers decoded, schema pushes polled to the end, OAuth refresh without the
//! official client's defects (spec platform §1.4, §3, §4.8). Native only.
#![cfg(all(feature = "platform", not(target_arch = "wasm32")))]

mod common;
use common::block_on;

use instant_edge::client::platform::{Platform, PushEvent};
use instant_edge::host::mock::MockTransport;
use instant_edge::platform::{Include, NewApp, PlatformAuth, PlatformConfig};
use instant_edge::{value, Error, Value};

const APP: &str = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
const GROUP: &str = "11111111-2222-4333-8444-555555555555";

fn platform(auth: PlatformAuth) -> (Platform<MockTransport>, MockTransport) {
    let mock = MockTransport::new();
    let config = PlatformConfig::new("http://127.0.0.1:8888").unwrap().with_auth(auth).unwrap().with_retries(0);
    (Platform::with_transport(config, mock.clone()), mock)
}

fn oauth() -> PlatformAuth {
    PlatformAuth::OAuth {
        access_token: "pat_old".into(),
        refresh_token: "prt_secret".into(),
        client_id: "c9a1f2f8-5c5b-4d0f-9d4a-2a8f2b0f3f11".into(),
        client_secret: "client-secret".into(),
    }
}

fn app_json(extra: &str) -> String {
    format!(r#"{{"id":"{APP}","title":"Demo","creator_id":"u1","org_id":null,"created_at":"2026-12-04T10:00:00Z"{extra}}}"#)
}

#[test]
fn apps_are_listed_made_and_deleted_with_the_official_requests() {
    let (platform, mock) = platform(PlatformAuth::Token("per_abc".into()));
    mock.answer(200, &format!(r#"{{"apps":[{}]}}"#, app_json(r#","perms":null"#)));
    let apps = block_on(platform.get_apps(Include { perms: true, schema: false })).unwrap();
    assert_eq!((apps[0].title.as_str(), apps[0].perms.clone()), ("Demo", Some(Value::Null)));
    let sent = &mock.sent()[0];
    assert_eq!((sent.method, sent.url.as_str()), ("GET", "http://127.0.0.1:8888/superadmin/apps?include=perms"));
    assert_eq!(sent.header("authorization"), Some("Bearer per_abc"));
    assert_eq!(sent.header("x-instant-source"), Some("platform-sdk"));

    mock.answer(200, &format!(r#"{{"app":{}}}"#, app_json(r#","admin-token":"0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0""#)));
    let made = block_on(platform.create_app(&NewApp { title: "Demo".into(), perms: Some(value!({})), ..NewApp::default() })).unwrap();
    assert!(made.admin_token.is_some());
    assert!(!format!("{made:?}").contains("0c2a3f6e"), "the admin token never shows in Debug");
    assert_eq!(instant_edge::host::native::body_text(&mock.sent()[1]).as_deref(), Some(r#"{"title":"Demo","perms":{}}"#));

    mock.answer(200, &format!(r#"{{"app":{}}}"#, app_json("")));
    block_on(platform.delete_app(APP)).unwrap();
    assert_eq!(mock.sent()[2].method, "DELETE");
    assert!(matches!(block_on(platform.delete_app("not-a-uuid")), Err(Error::InvalidArgument { .. })));
    assert_eq!(mock.sent().len(), 3, "a bad id sends nothing");
}

#[test]
fn pushing_unchanged_perms_answers_the_pushed_perms() {
    let (platform, mock) = platform(PlatformAuth::Token("per_abc".into()));
    let perms = value!({ "goals": { "allow": { "view": "true" } } });
    mock.answer(200, r#"{"rules":null}"#);
    assert_eq!(block_on(platform.push_perms(APP, &perms)).unwrap(), perms);
    assert_eq!(instant_edge::host::native::body_text(&mock.sent()[0]).as_deref(), Some(r#"{"code":{"goals":{"allow":{"view":"true"}}}}"#));
}

#[test]
fn a_schema_push_reports_each_poll_and_ends_with_the_schema() {
    let (platform, mock) = platform(PlatformAuth::Token("per_abc".into()));
    let job = |status: &str, updated: &str| {
        format!(
            r#"{{"id":"j1","job_type":"unique","job_status":"{status}","updated_at":"{updated}","error":{}}}"#,
            if status == "errored" { r#""triple-not-unique-error""# } else { "null" }
        )
    };
    mock.answer(
        200,
        &format!(
            r#"{{"transaction":{{}},"steps":[["add-attr",{{"value-type":"blob","forward-identity":["i","todos","title"]}}],["unique",{{"job-id":"j1","forward-identity":["i","todos","slug"]}}]],"indexing-jobs":{{"group-id":"{GROUP}","jobs":[{}]}}}}"#,
            job("waiting", "2026-12-04T10:00:00Z")
        ),
    );
    mock.answer(200, &format!(r#"{{"jobs":[{}]}}"#, job("processing", "2026-12-04T10:00:01Z")));
    mock.answer(200, &format!(r#"{{"jobs":[{}]}}"#, job("errored", "2026-12-04T10:00:02Z")));
    mock.answer(200, r#"{"schema":{"refs":{},"blobs":{}}}"#);
    let mut push = platform.schema_push(APP, &value!({ "entities": {}, "links": {} }));
    let mut said = Vec::new();
    let done = loop {
        match block_on(push.next()) {
            Some(PushEvent::Progress(summary)) => said.push(summary.description),
            Some(PushEvent::Done(result)) => break result.unwrap(),
            None => panic!("the stream ended without Done"),
        }
    };
    assert_eq!(said, ["Completing 1 of 2 schema operations.", "Finished 2 schema operations, with 1 error"]);
    assert_eq!(done.0.steps[0].description, "Add attribute todos.title.");
    assert_eq!(done.0.steps[1].job.as_ref().and_then(|j| j.error.as_deref()), Some("triple-not-unique-error"));
    let urls: Vec<String> = mock.sent().iter().map(|r| r.url.clone()).collect();
    assert!(urls[0].ends_with("/schema/push/apply"));
    assert!(urls[1].ends_with(&format!("/dash/apps/{APP}/indexing-jobs/group/{GROUP}")));
    assert!(urls[3].ends_with("/schema"));
    assert!(block_on(push.next()).is_none());
}

#[test]
fn an_expired_access_token_is_refreshed_once_and_the_call_made_again() {
    let (platform, mock) = platform(oauth());
    mock.answer(400, r#"{"type":"record-expired","message":"Record expired: oauth-access-token","hint":{"expired_at":"x"}}"#);
    mock.answer(200, r#"{"access_token":"pat_new","expires_in":1209599,"token_type":"Bearer","scope":"apps-read"}"#);
    mock.answer(200, r#"{"orgs":[]}"#);
    let before = instant_edge::host::epoch_ms();
    assert_eq!(block_on(platform.get_orgs()).unwrap(), []);
    let sent = mock.sent();
    assert_eq!(sent[0].header("authorization"), Some("Bearer pat_old"));
    assert!(instant_edge::host::native::body_text(&sent[1]).unwrap().contains(r#""grant_type":"refresh_token""#));
    assert_eq!(sent[2].header("authorization"), Some("Bearer pat_new"), "the new token is used from now on");
    assert!(matches!(platform.auth(), Some(PlatformAuth::OAuth { access_token, .. }) if access_token == "pat_new"));

    mock.answer(200, r#"{"access_token":"pat_3","expires_in":100,"token_type":"Bearer","scope":"apps-read"}"#);
    let refreshed = block_on(platform.refresh_token()).unwrap();
    assert!(refreshed.expires_at_ms >= before + 69_000.0, "now-relative, 30 s early: {}", refreshed.expires_at_ms);
    assert_eq!(refreshed.scopes.as_deref(), Some("apps-read"), "`scope` is read");
}

#[test]
fn every_refresh_is_reported_to_the_hook_before_the_call_goes_on() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (platform, mock) = platform(oauth());
    let log = seen.clone();
    let platform = platform.on_refresh(move |token, expires_at_ms| {
        log.borrow_mut().push((token.to_owned(), expires_at_ms));
        Box::pin(async {})
    });
    mock.answer(400, r#"{"type":"record-expired","message":"Record expired: oauth-access-token"}"#);
    mock.answer(200, r#"{"access_token":"pat_new","expires_in":100,"token_type":"Bearer","scope":"apps-read"}"#);
    mock.answer(200, r#"{"orgs":[]}"#);
    let before = instant_edge::host::epoch_ms();
    block_on(platform.get_orgs()).unwrap();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "pat_new");
    assert!(seen[0].1 >= before + 69_000.0 && seen[0].1 < before + 80_000.0, "now-relative: {}", seen[0].1);
}

#[test]
fn failures_are_returned_never_swallowed() {
    let (platform, mock) = platform(oauth());
    // A refresh that fails is the call's error.
    mock.answer(400, r#"{"type":"record-expired","message":"Record expired: oauth-access-token"}"#);
    mock.answer(
        400,
        r#"{"type":"record-not-found","message":"Record not found: oauth-refresh-token","hint":{"record-type":"oauth-refresh-token"}}"#,
    );
    let error = block_on(platform.get_orgs()).unwrap_err();
    assert_eq!(error.error_type(), Some("record-not-found"));
    // Two refreshes that do not help: the last error, not nothing.
    for _ in 0..2 {
        mock.answer(401, r#"{"type":"record-not-found","message":"nope","hint":{"record-type":"oauth-access-token"}}"#);
        mock.answer(200, r#"{"access_token":"pat_x","expires_in":10,"token_type":"Bearer","scope":""}"#);
    }
    mock.answer(401, r#"{"type":"record-not-found","message":"still nope","hint":{"record-type":"oauth-access-token"}}"#);
    let error = block_on(platform.get_orgs()).unwrap_err();
    assert_eq!(error.message(), "still nope");
    // A not-found without a record type is not a token failure (the official client crashes).
    mock.answer(400, r#"{"type":"record-not-found","message":"Record not found: app","hint":{}}"#);
    let sent = mock.sent().len();
    assert_eq!(block_on(platform.get_app(APP, Include::default())).unwrap_err().message(), "Record not found: app");
    assert_eq!(mock.sent().len(), sent + 1, "no refresh");
}

#[test]
fn tokens_never_show_in_errors() {
    let (platform, mock) = platform(oauth());
    mock.answer(400, r#"{"type":"validation-failed","message":"bad token pat_old from client client-secret"}"#);
    let error = block_on(platform.token_info()).unwrap_err();
    assert!(!error.message().contains("pat_old") && !error.message().contains("client-secret"), "{}", error.message());
    assert!(mock.sent()[0].url.contains("access_token=pat_old"), "the server reads it from the URL only");
    assert!(!format!("{:?}", mock.sent()[0]).contains("pat_old"));
    assert!(!format!("{:?}", platform.auth()).contains("prt_secret"));
}

#[test]
fn a_pkce_code_exchange_sends_the_verifier_and_reads_scopes() {
    use instant_edge::client::platform::pkce;
    use instant_edge::platform::oauth::{authorize_url, CodeProof};
    let (verifier, challenge) = block_on(pkce()).unwrap();
    assert_eq!((verifier.len(), challenge.len()), (64, 43));
    let url = authorize_url("http://127.0.0.1:8888", "c1", "http://localhost/cb", &["apps-read"], "st", Some(&challenge)).unwrap();
    assert!(url.ends_with(&format!("&code_challenge={challenge}&code_challenge_method=S256")));

    let mock = MockTransport::new();
    let anonymous = Platform::with_transport(PlatformConfig::new("http://127.0.0.1:8888").unwrap(), mock.clone());
    mock.answer(200, r#"{"access_token":"pat_1","expires_in":1209599,"token_type":"Bearer","scopes":"apps-read"}"#);
    let grant = block_on(anonymous.exchange_code("code-1", "c1", "http://localhost/cb", &CodeProof::Verifier(verifier.clone()))).unwrap();
    assert_eq!((grant.access_token.as_str(), grant.refresh_token.as_deref(), grant.scopes.as_deref()), ("pat_1", None, Some("apps-read")));
    let body = instant_edge::host::native::body_text(&mock.sent()[0]).unwrap();
    assert!(body.contains(&format!(r#""code_verifier":"{verifier}""#)) && body.contains(r#""grant_type":"authorization_code""#));
    // The server's error, whole (the official helper reports `server_error`).
    mock.answer(400, r#"{"type":"validation-failed","message":"Validation failed for code_verifier: mismatch"}"#);
    let error = block_on(anonymous.exchange_code("code-2", "c1", "http://localhost/cb", &CodeProof::Verifier(verifier))).unwrap_err();
    assert_eq!(error.error_type(), Some("validation-failed"));
}

#[test]
fn a_refresh_token_is_exchanged_without_credentials_and_echoed_codes_are_scrubbed() {
    use instant_edge::platform::oauth::CodeProof;
    let mock = MockTransport::new();
    let anonymous = Platform::with_transport(PlatformConfig::new("http://127.0.0.1:8888").unwrap().with_retries(0), mock.clone());
    mock.answer(200, r#"{"access_token":"pat_2","expires_in":1209599,"token_type":"Bearer","scope":"apps-read"}"#);
    let grant = block_on(anonymous.exchange_refresh_token("prt_keep", "c1", "client-secret")).unwrap();
    assert_eq!(
        (grant.access_token.as_str(), grant.scopes.as_deref(), grant.token_type.as_deref()),
        ("pat_2", Some("apps-read"), Some("Bearer"))
    );
    assert!(grant.expires_at_ms > 1.7e12, "now-relative, not 1970");
    let body = instant_edge::host::native::body_text(&mock.sent()[0]).unwrap();
    assert_eq!(body, r#"{"grant_type":"refresh_token","refresh_token":"prt_keep","client_id":"c1","client_secret":"client-secret"}"#);
    assert!(anonymous.auth().is_none(), "the credentials are left as they are");

    mock.answer(
        400,
        r#"{"type":"record-not-found","message":"Record not found: oauth-app-client","hint":{"echo":"client-secret prt_keep"}}"#,
    );
    let error = block_on(anonymous.exchange_refresh_token("prt_keep", "c1", "client-secret")).unwrap_err();
    assert!(!format!("{error:?}").contains("client-secret") && !format!("{error:?}").contains("prt_keep"), "{error:?}");
    mock.answer(400, r#"{"type":"record-not-found","message":"Record not found: oauth-code","hint":{"args":[{"code":"code-9"}]}}"#);
    let error = block_on(anonymous.exchange_code("code-9", "c1", "http://localhost/cb", &CodeProof::Secret("s".into()))).unwrap_err();
    assert!(!format!("{error:?}").contains("code-9"), "{error:?}");

    mock.answer(200, "{}");
    block_on(anonymous.revoke_token("prt_keep")).unwrap();
    assert_eq!(mock.sent()[3].url, "http://127.0.0.1:8888/platform/oauth/revoke?token=prt_keep");
    assert!(!format!("{:?}", mock.sent()[3]).contains("prt_keep"));
}
