//! `debug_query` / `debug_transact` (`debugQuery` / `debugTransact`) through the mock
//! transport: the exact requests `@instantdb/admin` 1.0.67 sends (URL with `?app_id=`, headers
//! with impersonation, body keys in its order), the spec's example answers (§3.4, §3.5) decoded,
//! errors mapped, and bad input sending nothing. Native only.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{block_on, db, APP, TOKEN};

use instant_edge::host::mock::MockTransport;
use instant_edge::host::native::body_text;
use instant_edge::http::TransportError;
use instant_edge::models::{CheckBindings, CheckProgram};
use instant_edge::{tx, value, CallOptions, Config, DebugOptions, Error, Impersonation, Instant, Value};
use serde::Deserialize;

const GOAL: &str = "0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10";
const REFRESH: &str = "66666666-7777-4888-9999-aaaaaaaaaaaa";

/// The §3.4 example, with the ellipses filled in.
const QUERY_ANSWER: &str = r#"{"result": {"goals": [{"id": "0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10", "title": "Get fit"}]},
 "check-results": [
   {"id": "0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10", "entity": "goals", "label": null,
    "record": {"id": "0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10", "title": "Get fit"},
    "program": {"etype": "goals", "action": "view", "code": "auth.id != null", "display-code": "auth.id != null"},
    "check": true},
   {"id": "0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10", "entity": "goals", "label": "title", "record": {}, "program": {}, "check": true}],
 "rule-wheres": null}"#;

/// The §3.5 example, with the ellipses filled in, plus an attribute check (no `eid`, no
/// `bindings`) and a field the client does not know.
const TRANSACT_ANSWER: &str = r#"{"tx-id": 987, "all-checks-ok?": false, "committed?": false,
 "check-results": [
   {"scope": "object", "action": "update", "etype": "goals", "eid": "0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10",
    "program": {"etype": "goals", "action": "update", "code": "false", "display-code": "false"},
    "bindings": {"data": {"id": "0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10", "title": "old"},
                 "new-data": {"id": "0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10", "title": "new"},
                 "rule-params": null, "modified-fields": ["title"]},
    "check-result": false, "check-pass?": false},
   {"scope": "attr", "action": "update", "etype": "attrs", "program": {}, "check-result": false, "check-pass?": false, "later": 1}]}"#;

fn headers(mock: &MockTransport, i: usize) -> Vec<(String, String)> {
    mock.sent()[i].headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// `authorizedHeaders` + `withImpersonation` + `jsonFetch`'s version headers, in that order.
fn official_headers(impersonation: Option<(&str, &str)>) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("app-id".to_owned(), APP.to_owned()),
        ("authorization".to_owned(), format!("Bearer {TOKEN}")),
    ];
    headers.extend(impersonation.map(|(k, v)| (k.to_owned(), v.to_owned())));
    headers.push(("Instant-Admin-Version".into(), "instant-edge-v0.1.0".into()));
    headers.push(("Instant-Core-Version".into(), "instant-edge-v0.1.0".into()));
    headers
}

#[test]
fn debug_query_sends_what_the_official_client_sends_and_decodes_the_spec_answer() {
    let (db, mock) = db();
    mock.answer(200, QUERY_ANSWER);
    let opts = DebugOptions::default().rules(value!({ "goals": { "allow": { "view": "auth.id != null" } } }));
    let guest = db.as_user(Impersonation::Guest);
    let checked = block_on(guest.debug_query::<Value>(&value!({ "goals": {} }), &opts)).unwrap();

    let sent = &mock.sent()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.url, format!("http://127.0.0.1:8888/admin/query_perms_check?app_id={APP}"));
    assert_eq!(headers(&mock, 0), official_headers(Some(("as-guest", "true"))));
    assert_eq!(
        body_text(sent).as_deref(),
        Some(r#"{"query":{"goals":{}},"rules-override":{"goals":{"allow":{"view":"auth.id != null"}}},"inference?":false}"#)
    );

    assert_eq!(checked.result, value!({ "goals": [{ "id": GOAL, "title": "Get fit" }] }));
    assert_eq!(checked.check_results.len(), 2);
    let view = &checked.check_results[0];
    assert_eq!((view.id.as_str(), view.entity.as_str(), view.label.as_deref()), (GOAL, "goals", None));
    assert_eq!(view.record, value!({ "id": GOAL, "title": "Get fit" }));
    assert_eq!(
        view.program,
        CheckProgram {
            etype: Some("goals".into()),
            action: Some("view".into()),
            code: Some("auth.id != null".into()),
            display_code: Some("auth.id != null".into()),
        }
    );
    assert_eq!(view.check, Value::Bool(true));
    let field = &checked.check_results[1];
    assert_eq!((field.label.as_deref(), &field.program), (Some("title"), &CheckProgram::default()), "{{}} when no rule applies");
}

#[test]
fn debug_query_decodes_the_result_into_the_callers_type() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Goal {
        title: String,
    }
    #[derive(Deserialize, Debug)]
    struct Goals {
        goals: Vec<Goal>,
    }
    let (db, mock) = db();
    mock.answer(200, QUERY_ANSWER);
    let user = db.as_user(Impersonation::Email("alyssa@example.com".into()));
    let checked = block_on(user.debug_query::<Goals>(&value!({ "goals": {} }), &DebugOptions::default())).unwrap();
    assert_eq!(checked.result.goals, [Goal { title: "Get fit".into() }]);
    assert_eq!(headers(&mock, 0), official_headers(Some(("as-email", "alyssa@example.com"))));
    assert_eq!(body_text(&mock.sent()[0]).as_deref(), Some(r#"{"query":{"goals":{}},"inference?":false}"#), "no rules: no key");
}

#[test]
fn debug_query_takes_every_official_option() {
    let (db, mock) = db();
    mock.answer(200, r#"{"result":{},"check-results":[]}"#);
    let user = db.as_user(Impersonation::Token(REFRESH.into()));
    let opts = DebugOptions::default()
        .rules(value!({ "goals": { "allow": { "view": "ruleParams.k == request.ip" } } }))
        .ip("203.0.113.7")
        .origin("https://app.example")
        .cardinality_inference(true);
    let call = CallOptions::default().rule_params(value!({ "k": "203.0.113.7" })).timeout_ms(5_000);
    let checked = block_on(user.debug_query_with::<Value>(&value!({ "goals": { "$": { "limit": 2 } } }), &opts, &call)).unwrap();
    assert!(checked.check_results.is_empty());
    assert_eq!(headers(&mock, 0), official_headers(Some(("as-token", REFRESH))));
    assert_eq!(
        body_text(&mock.sent()[0]).as_deref(),
        Some(concat!(
            r#"{"query":{"$$ruleParams":{"k":"203.0.113.7"},"goals":{"$":{"limit":2}}},"#,
            r#""rules-override":{"goals":{"allow":{"view":"ruleParams.k == request.ip"}}},"inference?":true,"#,
            r#""ip-override":"203.0.113.7","origin-override":"https://app.example"}"#
        ))
    );
    assert!(!format!("{:?}", mock.sent()[0]).contains(REFRESH), "Debug hides the refresh token");
}

#[test]
fn debug_transact_sends_what_the_official_client_sends_and_decodes_the_spec_answer() {
    let (db, mock) = db();
    mock.answer(200, TRANSACT_ANSWER);
    let guest = db.as_user(Impersonation::Guest);
    let opts = DebugOptions::default().rules(value!({ "goals": { "allow": { "update": "false" } } })).ip("::1").origin("o");
    let checked = block_on(guest.debug_transact([tx("goals", GOAL).update(value!({ "title": "new" }))], &opts)).unwrap();

    let sent = &mock.sent()[0];
    assert_eq!(sent.url, format!("http://127.0.0.1:8888/admin/transact_perms_check?app_id={APP}"));
    assert_eq!(headers(&mock, 0), official_headers(Some(("as-guest", "true"))));
    assert_eq!(
        body_text(sent).as_deref(),
        Some(concat!(
            r#"{"steps":[["update","goals","0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10",{"title":"new"}]],"#,
            r#""rules-override":{"goals":{"allow":{"update":"false"}}},"ip-override":"::1","origin-override":"o"}"#
        )),
        "no throw-on-missing-attrs?, no dangerously-commit-tx unless asked"
    );

    assert_eq!((checked.tx_id, checked.all_checks_ok, checked.committed), (987, false, false));
    let object = &checked.check_results[0];
    assert_eq!((object.scope.as_str(), object.action.as_str(), object.etype.as_str()), ("object", "update", "goals"));
    assert_eq!(object.eid.as_deref(), Some(GOAL));
    assert_eq!(object.program.code.as_deref(), Some("false"));
    assert_eq!(
        object.bindings,
        Some(CheckBindings {
            data: value!({ "id": GOAL, "title": "old" }),
            new_data: value!({ "id": GOAL, "title": "new" }),
            rule_params: Value::Null,
            modified_fields: Some(vec!["title".into()]),
        })
    );
    assert_eq!((object.check_result.clone(), object.check_pass), (Value::Bool(false), false));
    let attr = &checked.check_results[1];
    assert_eq!((attr.scope.as_str(), attr.eid.as_deref(), attr.bindings.as_ref()), ("attr", None, None));
}

#[test]
fn debug_transact_steps_answer_the_servers_object_as_is() {
    // What the JS `debugTransact` resolves: kebab-case keys, as @instantdb/admin returns them.
    let (db, mock) = db();
    mock.answer(200, TRANSACT_ANSWER);
    let steps = value!([["delete", "goals", GOAL, null]]);
    let opts = DebugOptions::default().dangerously_commit(true);
    let json = block_on(db.as_user(Impersonation::Guest).debug_transact_steps(&steps, &opts, &CallOptions::default())).unwrap();
    assert_eq!(json.get("all-checks-ok?"), Some(&Value::Bool(false)));
    assert_eq!(json.get("tx-id"), Some(&Value::from(987)));
    assert_eq!(
        body_text(&mock.sent()[0]).as_deref(),
        Some(r#"{"steps":[["delete","goals","0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10",null]],"dangerously-commit-tx":true}"#)
    );
}

#[test]
fn without_as_user_it_is_sent_and_the_server_refuses() {
    // As @instantdb/admin: no local refusal; the server answers 400.
    let (db, mock) = db();
    let refusal = r#"{"type":"validation-failed","message":"Validation failed for non-admin: Cannot test perms as admin","hint":{"data-type":"non-admin","input":"non-admin","errors":[{"message":"Cannot test perms as admin"}]}}"#;
    mock.answer(400, refusal).answer(400, refusal);
    let err = block_on(db.debug_query::<Value>(&value!({ "goals": {} }), &DebugOptions::default())).unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!((api.status, api.error_type.as_deref()), (400, Some("validation-failed")));
    assert_eq!(api.message, "Validation failed for non-admin: Cannot test perms as admin");
    assert_eq!(api.hint.get("data-type"), Some(&Value::from("non-admin")));
    let err = block_on(db.debug_transact([tx("goals", GOAL).delete()], &DebugOptions::default())).unwrap_err();
    assert_eq!((err.kind(), err.status()), ("api", 400));
    assert_eq!(mock.sent().len(), 2, "a 400 is not retried");
    assert_eq!(headers(&mock, 0), official_headers(None));
}

#[test]
fn token_and_guest_handles_without_an_admin_token_send_without_one() {
    // The server wants the admin token on these routes too (400 `param-missing`); the official
    // client sends the call anyway, and so does this one.
    let mock = MockTransport::new();
    let db = Instant::with_transport(Config::new(APP, "http://x").unwrap(), mock.clone());
    mock.answer(400, r#"{"type":"param-missing","message":"Missing parameter: [\"headers\" \"authorization\"]","hint":{"in":["headers","authorization"]}}"#);
    let err =
        block_on(db.as_user(Impersonation::Guest).debug_query::<Value>(&value!({ "goals": {} }), &DebugOptions::default())).unwrap_err();
    assert_eq!(err.error_type(), Some("param-missing"));
    assert_eq!(mock.sent()[0].header("authorization"), None);
    // Without a token and with no (or email) impersonation nothing is sent, as for `query`.
    for err in [
        block_on(db.debug_query::<Value>(&value!({ "goals": {} }), &DebugOptions::default())).unwrap_err(),
        block_on(db.as_user(Impersonation::Email("a@b.c".into())).debug_transact([tx("goals", GOAL).delete()], &DebugOptions::default()))
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), "invalid-argument");
        assert!(err.to_string().contains("adminToken"), "{err}");
    }
    assert_eq!(mock.sent().len(), 1);
}

#[test]
fn bad_input_sends_nothing() {
    let (db, mock) = db();
    let guest = db.as_user(Impersonation::Guest);
    let none = DebugOptions::default();
    let bad_rules = DebugOptions::default().rules("allow everything");
    let cases: Vec<(Error, &str)> = vec![
        (block_on(guest.debug_query::<Value>(&value!(["goals"]), &none)).unwrap_err(), "invalid query"),
        (block_on(guest.debug_query::<Value>(&value!({ "goals": 5 }), &none)).unwrap_err(), "invalid query.goals"),
        (block_on(guest.debug_query::<Value>(&value!({ "goals": {} }), &bad_rules)).unwrap_err(), "invalid rules"),
        (
            block_on(guest.debug_query_with::<Value>(&value!({ "goals": {} }), &none, &CallOptions::default().rule_params(value!([1]))))
                .unwrap_err(),
            "invalid ruleParams",
        ),
        (block_on(guest.debug_transact([tx("goals", "goal-1").delete()], &none)).unwrap_err(), "invalid steps[0][2]"),
        (block_on(guest.debug_transact_steps(&value!({ "steps": [] }), &none, &CallOptions::default())).unwrap_err(), "invalid steps"),
        (block_on(guest.debug_transact([tx("goals", GOAL).delete()], &bad_rules)).unwrap_err(), "invalid rules"),
        (
            block_on(db.as_user(Impersonation::Token("nope".into())).debug_query::<Value>(&value!({ "goals": {} }), &none)).unwrap_err(),
            "invalid asUser.token",
        ),
    ];
    for (err, want) in cases {
        assert_eq!(err.kind(), "invalid-argument", "{err}");
        assert!(err.to_string().starts_with(want), "{err} / {want}");
    }
    assert!(mock.sent().is_empty());
}

#[test]
fn echoed_credentials_are_scrubbed() {
    let (db, mock) = db();
    mock.answer(
        400,
        &format!(r#"{{"type":"record-not-found","message":"Record not found: app-user","hint":{{"args":[{{"token":"{TOKEN}","refresh-token":"{REFRESH}"}}],"record-type":"app-user"}}}}"#),
    );
    let err =
        block_on(db.as_user(Impersonation::Token(REFRESH.into())).debug_query::<Value>(&value!({ "goals": {} }), &DebugOptions::default()))
            .unwrap_err();
    assert_eq!(err.error_type(), Some("record-not-found"));
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains(TOKEN) && !shown.contains(REFRESH), "{shown}");
}

#[test]
fn a_debug_query_is_retried_like_a_query_and_a_debug_transact_like_a_transaction() {
    let (db, mock) = db();
    let guest = db.as_user(Impersonation::Guest);
    mock.answer(503, "busy").fail(TransportError::Network("reset".into())).answer(200, r#"{"result":{},"check-results":[]}"#);
    block_on(guest.debug_query::<Value>(&value!({ "goals": {} }), &DebugOptions::default())).unwrap();
    assert_eq!(mock.sent().len(), 3);

    mock.answer(503, "busy");
    let err = block_on(guest.debug_transact([tx("goals", GOAL).delete()], &DebugOptions::default())).unwrap_err();
    assert_eq!(err.status(), 503);
    assert_eq!(mock.sent().len(), 4, "not repeated: it may commit");
    mock.answer(429, r#"{"type":"rate-limited","message":"slow down"}"#)
        .answer(200, r#"{"tx-id":1,"all-checks-ok?":true,"committed?":false,"check-results":[]}"#);
    let checked = block_on(guest.debug_transact([tx("goals", GOAL).delete()], &DebugOptions::default())).unwrap();
    assert!(checked.all_checks_ok && !checked.committed);
    assert_eq!(mock.sent().len(), 6, "429 rate-limited: provably never ran");
}

#[test]
fn answers_that_are_not_the_expected_shape_are_decode_errors() {
    let (db, mock) = db();
    let guest = db.as_user(Impersonation::Guest);
    mock.answer(200, "<html>a login page</html>").answer(200, r#"{"all-checks-ok?":true}"#);
    let err = block_on(guest.debug_query::<Value>(&value!({ "goals": {} }), &DebugOptions::default())).unwrap_err();
    assert_eq!(err.kind(), "decode");
    let err = block_on(guest.debug_transact([tx("goals", GOAL).delete()], &DebugOptions::default())).unwrap_err();
    assert_eq!(err.kind(), "decode", "no tx-id");
}
