//! `GET /admin/rooms/presence` (spec §3.7) and the control route that seeds its rooms
//! (`POST /__emulator/apps/{app_id}/presence`).
mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// `GET /admin/rooms/presence?<query>` as the JS client sends it (`app_id` in the URL too).
async fn presence(s: &Server, query: &str, extra: &[(&str, &str)]) -> Answer {
    let path = format!("/admin/rooms/presence?app_id={}&{query}", s.app_id);
    let mut headers = vec![("app-id", s.app_id.as_str())];
    headers.extend_from_slice(extra);
    s.send(Method::GET, &path, &headers).await
}

async fn presence_as_admin(s: &Server, query: &str) -> Answer {
    let auth = s.bearer();
    presence(s, query, &[("authorization", auth.as_str())]).await
}

async fn seed(s: &Server, body: Value) -> Answer {
    s.post_raw(&format!("/__emulator/apps/{}/presence", s.app_id), &[JSON], &body.to_string()).await
}

#[tokio::test]
async fn an_unknown_or_empty_room_has_null_sessions() {
    // spec §3.7: `{"sessions": null}`, not `{}`
    let s = start().await;
    let a = presence_as_admin(&s, "room-type=chat&room-id=lobby").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.content_type.starts_with("application/json"));
    assert_eq!(a.body, json!({"sessions": null}));
    let a = seed(&s, json!({"room-type": "chat", "room-id": "lobby", "peers": []})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(presence_as_admin(&s, "room-type=chat&room-id=lobby").await.body, json!({"sessions": null}));
}

#[tokio::test]
async fn seeded_peers_come_back_keyed_by_session_with_full_user_records() {
    // spec §3.7: keys are session ids; `user` is the user record (§7.1) or null
    let s = start().await;
    let user = s.admin("/admin/refresh_tokens", json!({"email": "lou@example.com"})).await.body["user"].clone();
    let user_id = user["id"].as_str().unwrap().to_owned();
    let (anon, lou) = (uid(71), uid(72));
    let seeded = seed(
        &s,
        json!({"room-type": "chat", "room-id": "room-1", "peers": [
            {"peer-id": anon, "data": {"color": "red"}},
            {"peer-id": lou, "user-id": user_id, "data": {"color": "blue"}},
            {"user-id": null}
        ]}),
    )
    .await;
    assert_eq!(seeded.status, 200, "{}", seeded.body);
    assert_eq!(seeded.body["room-id"], "room-1");
    let peers = seeded.body["peers"].as_array().unwrap();
    assert_eq!(peers[0], json!({"peer-id": anon, "user-id": null, "data": {"color": "red"}}));
    let generated = peers[2]["peer-id"].as_str().unwrap().to_owned();
    assert_eq!(peers[2]["data"], json!({}), "data defaults to {{}}");

    let a = presence_as_admin(&s, "room-type=chat&room-id=room-1").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let sessions = a.body["sessions"].as_object().expect("sessions");
    assert_eq!(sessions.keys().cloned().collect::<Vec<_>>(), [anon.clone(), lou.clone(), generated.clone()]);
    assert_eq!(sessions[&anon], json!({"peer-id": anon, "instance-id": "instant-emulator", "user": null, "data": {"color": "red"}}));
    let mut record = user.clone();
    record.as_object_mut().unwrap().remove("refresh_token");
    assert_eq!(sessions[&lou]["user"], record, "the full user record, without a refresh token");
    assert_eq!(sessions[&lou]["user"]["isGuest"], false);
    assert_eq!(sessions[&lou]["data"], json!({"color": "blue"}));

    // users are looked up when asked: a deleted user reads as null
    let auth = s.bearer();
    let deleted = s.send(Method::DELETE, &format!("/admin/users?app_id={}&id={user_id}", s.app_id), &[("authorization", &auth)]).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let a = presence_as_admin(&s, "room-type=chat&room-id=room-1").await;
    assert_eq!(a.body["sessions"][&lou]["user"], Value::Null);

    // the room type is validated but not used (`presence-get`); another room is empty
    assert_eq!(presence_as_admin(&s, "room-type=other&room-id=room-1").await.body, a.body);
    assert_eq!(presence_as_admin(&s, "room-type=chat&room-id=room-2").await.body, json!({"sessions": null}));
    // seeding replaces the peers
    seed(&s, json!({"room-type": "chat", "room-id": "room-1", "peers": [{"peer-id": anon}]})).await;
    let a = presence_as_admin(&s, "room-type=chat&room-id=room-1").await;
    assert_eq!(a.body["sessions"].as_object().unwrap().len(), 1);
    // reset drops rooms
    assert_eq!(s.post_raw("/__emulator/reset", &[], "").await.status, 200);
    assert_eq!(presence_as_admin(&s, "room-type=chat&room-id=room-1").await.body, json!({"sessions": null}));
}

#[tokio::test]
async fn parameters_are_checked_after_admin_auth() {
    // spec §3.7: admin auth, then `room-type`, then `room-id`; missing → param-missing, blank → param-malformed
    let s = start().await;
    let a = presence_as_admin(&s, "room-id=lobby").await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["params" "room-type"]"#);
    assert_eq!(a.body["hint"], json!({"in": ["params", "room-type"]}));
    let a = presence_as_admin(&s, "room-type=chat").await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["params" "room-id"]"#);
    let a = presence_as_admin(&s, "room-type=chat&room-id=%20").await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["params" "room-id"]"#);
    assert_eq!(a.body["hint"]["original-input"], " ");
    let a = presence_as_admin(&s, "room-type=&room-id=lobby").await;
    assert_error(&a, 400, "param-malformed", r#"Malformed parameter: ["params" "room-type"]"#);
    // auth comes first and ignores impersonation (spec §1.6)
    let a = presence(&s, "", &[]).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    let a = presence(&s, "room-type=chat&room-id=lobby", &[("as-guest", "true")]).await;
    assert_error(&a, 400, "param-missing", r#"Missing parameter: ["headers" "authorization"]"#);
    let wrong = format!("Bearer {}", uid(9));
    let a = presence(&s, "room-type=chat&room-id=lobby", &[("authorization", &wrong)]).await;
    assert_error(&a, 400, "record-not-found", "Record not found: app-admin-token");
    // surrounding blanks are trimmed (`coerce-non-blank-str`)
    seed(&s, json!({"room-type": "chat", "room-id": "lobby", "peers": [{}]})).await;
    let a = presence_as_admin(&s, "room-type=chat&room-id=%20lobby%20").await;
    assert_eq!(a.body["sessions"].as_object().map(|m| m.len()), Some(1), "{}", a.body);
}

#[tokio::test]
async fn bad_seeding_requests_are_refused() {
    let s = start().await;
    for body in [
        json!({"room-id": "r", "peers": []}),
        json!({"room-type": "t", "room-id": " ", "peers": []}),
        json!({"room-type": "t", "room-id": "r"}),
        json!({"room-type": "t", "room-id": "r", "peers": [{"peer-id": "nope"}]}),
        json!({"room-type": "t", "room-id": "r", "peers": [{"user-id": 5}]}),
        json!({"room-type": "t", "room-id": "r", "peers": [{"peer-id": uid(1)}, {"peer-id": uid(1)}]}),
    ] {
        assert_error_type(&seed(&s, body.clone()).await, 400, "validation-failed");
    }
    let unknown = format!("/__emulator/apps/{}/presence", uid(9));
    let a = s.post_raw(&unknown, &[JSON], &json!({"room-type": "t", "room-id": "r", "peers": []}).to_string()).await;
    assert_error(&a, 400, "validation-failed", &format!("no app {}", uid(9)));
}
