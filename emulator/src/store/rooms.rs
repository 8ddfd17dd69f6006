//! Presence rooms seeded through the control surface (spec §3.7), kept on the [`super::App`].
//! Parsing the seeds and answering `GET /admin/rooms/presence` are in [`crate::presence`].

use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

/// One peer in a room: a session of some client.
#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    /// The session id (`peer-id`, also the session's key).
    pub peer_id: Uuid,
    /// The signed-in user of that session, if any.
    pub user_id: Option<Uuid>,
    /// The presence data the peer set.
    pub data: Value,
}

/// The rooms of one app by room id. The server keys room data by room id alone (`room-type`
/// is validated but unused, `presence-get`), and so does the emulator.
pub type Rooms = BTreeMap<String, Vec<Peer>>;
