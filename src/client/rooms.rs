//! `db.rooms()`: who is present in a room (spec §3.7). The real presence comes from websocket
//! clients; the admin API reads it.

use super::{CallOptions, Instant};
use crate::error::Result;
use crate::host::{self, Json, Transport};
pub use crate::request::rooms::*;

/// `db.rooms()`.
///
/// ```no_run
/// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
/// let sessions = db.rooms().get_presence("chat", "room-1").await?; // {"<session-id>": {"peer-id", "user", "data"}}
/// # let _ = sessions; Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Rooms<'a, T: Transport> {
    db: &'a Instant<T>,
}

impl<T: Transport> Instant<T> {
    /// Room calls.
    pub fn rooms(&self) -> Rooms<'_, T> {
        Rooms { db: self }
    }
}

impl<T: Transport> Rooms<'_, T> {
    /// The sessions present in the room, by session id (`{}` when empty; the server says `null`).
    pub async fn get_presence(&self, room_type: &str, room_id: &str) -> Result<Json> {
        let request = presence_request(self.db.config(), room_type, room_id)?;
        let json = self.db.call(request, &CallOptions::default()).await?;
        Ok(sessions(&json))
    }
}

/// `json.sessions`, or `{}` when the room is empty (the server says `null`; see
/// [`crate::answer::sessions`]).
pub fn sessions(json: &Json) -> Json {
    crate::answer::sessions(json).unwrap_or_else(|| host::from_value(&crate::Value::empty_object()))
}
