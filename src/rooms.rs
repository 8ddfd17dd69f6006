//! Rooms: who is present in a room (spec §3.7). The real presence comes from websocket clients;
//! the admin API reads it.

use crate::client::{CallOptions, Instant};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::request::{admin_url, headers, HttpRequest};
use crate::transport::{self, Json, Transport};

/// `encodeURIComponent`.
pub(crate) fn encode_uri_component(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 15)]));
        }
    }
}

/// `GET /admin/rooms/presence?app_id=…&room-type=…&room-id=…`, both parameters encoded (the
/// official client pastes them in raw, so a `&` or `#` in a room id breaks its URL).
///
/// ```
/// use instant_edge::{rooms, Config};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let req = rooms::presence_request(&config, "chat", "a&b #1").unwrap();
/// assert!(req.url.ends_with("&room-type=chat&room-id=a%26b%20%231"));
/// assert!(rooms::presence_request(&config, "chat", " ").is_err());
/// ```
pub fn presence_request(config: &Config, room_type: &str, room_id: &str) -> Result<HttpRequest> {
    if room_type.trim().is_empty() {
        return Err(Error::invalid("roomType", "must not be empty"));
    }
    if room_id.trim().is_empty() {
        return Err(Error::invalid("roomId", "must not be empty"));
    }
    let mut url = admin_url(config, "rooms/presence");
    url.push_str("&room-type=");
    encode_uri_component(room_type, &mut url);
    url.push_str("&room-id=");
    encode_uri_component(room_id, &mut url);
    Ok(HttpRequest { method: "GET", url, headers: headers(config, None)?, body: None, idempotent: true, secret: None, upload: None })
}

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
        let sessions = transport::field(&json, "sessions");
        Ok(if transport::is_object(&sessions) { sessions } else { transport::parse("{}").unwrap_or(sessions) })
    }
}
