//! Presence rooms (spec §3.7). The emulator has no realtime clients, so rooms hold only the
//! peers a test seeded through the control surface; `GET /admin/rooms/presence` reads them.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::store::App;
pub use crate::store::{Peer, Rooms};
use crate::users;

/// What the real server reports as a session's `instance-id` (the cluster member holding it).
pub const INSTANCE_ID: &str = "instant-emulator";

/// `{"sessions": ...}` for `room_id` (spec §3.7): `null` for an unknown or empty room, else
/// one entry per peer keyed by its id, with `user` the full user record (spec §7.1) as it is
/// now, or `null` for an anonymous peer or a user deleted since.
pub fn sessions(app: &App, room_id: &str) -> Value {
    let Some(peers) = app.rooms.get(room_id).filter(|peers| !peers.is_empty()) else {
        return json!({"sessions": null});
    };
    let mut sessions = Map::new();
    for peer in peers {
        let user = peer.user_id.filter(|user| app.exists("$users", *user)).map_or(Value::Null, |user| users::record(app, user));
        sessions.insert(
            peer.peer_id.to_string(),
            json!({"peer-id": peer.peer_id.to_string(), "instance-id": INSTANCE_ID, "user": user, "data": peer.data}),
        );
    }
    json!({ "sessions": sessions })
}

/// Parses the `peers` of a seeding request: `[{"peer-id"?, "user-id"?, "data"?}]`. A missing
/// `peer-id` gets a fresh one; `data` defaults to `{}`. Peer ids must be distinct.
pub fn parse_peers(raw: &Value) -> Result<Vec<Peer>, String> {
    let Some(items) = raw.as_array() else { return Err("`peers` must be an array".into()) };
    let mut peers: Vec<Peer> = Vec::new();
    for item in items {
        let Some(fields) = item.as_object() else { return Err("each peer must be a JSON object".into()) };
        if let Some(unknown) = fields.keys().find(|k| !["peer-id", "user-id", "data"].contains(&k.as_str())) {
            return Err(format!("unknown peer field `{unknown}`"));
        }
        let uuid = |key: &str| -> Result<Option<Uuid>, String> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_str().and_then(crate::values::coerce_uuid).map(Some).ok_or_else(|| format!("`{key}` must be a UUID")),
            }
        };
        let peer_id = uuid("peer-id")?.unwrap_or_else(Uuid::new_v4);
        if peers.iter().any(|p| p.peer_id == peer_id) {
            return Err(format!("peer {peer_id} is listed twice"));
        }
        let data = fields.get("data").cloned().unwrap_or_else(|| json!({}));
        peers.push(Peer { peer_id, user_id: uuid("user-id")?, data });
    }
    Ok(peers)
}

/// A peer as the seeding route echoes it.
pub fn peer_to_wire(peer: &Peer) -> Value {
    json!({
        "peer-id": peer.peer_id.to_string(),
        "user-id": peer.user_id.map(|u| u.to_string()),
        "data": peer.data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_unknown_rooms_have_null_sessions() {
        // spec §3.7: `{"sessions": null}`, not `{}`
        let mut app = App::new(Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(sessions(&app, "lobby"), json!({"sessions": null}));
        app.rooms.insert("lobby".into(), Vec::new());
        assert_eq!(sessions(&app, "lobby"), json!({"sessions": null}));
    }

    #[test]
    fn peers_get_ids_and_default_data() {
        let peers = parse_peers(&json!([{}, {"peer-id": "5B1C0000-0000-4000-8000-000000000000", "data": 1}])).unwrap();
        assert_eq!(peers.len(), 2);
        assert_eq!(peers[0].data, json!({}));
        assert_eq!(peers[1].peer_id.to_string(), "5b1c0000-0000-4000-8000-000000000000");
        assert!(parse_peers(&json!([{"peer-id": "x"}])).is_err());
        assert!(parse_peers(&json!([{"nope": 1}])).is_err());
        let twice = json!([{"peer-id": "5b1c0000-0000-4000-8000-000000000000"}, {"peer-id": "5b1c0000-0000-4000-8000-000000000000"}]);
        assert!(parse_peers(&twice).is_err());
    }
}
