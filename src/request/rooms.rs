//! Rooms: who is present in a room (spec §3.7). The real presence comes from websocket clients;
//! the admin API reads it.

use super::{admin_url, headers, HttpRequest};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::encode_uri_component;

/// `GET /admin/rooms/presence?app_id=…&room-type=…&room-id=…`, both parameters encoded (the
/// official client pastes them in raw, so a `&` or `#` in a room id breaks its URL).
///
/// ```
/// use instant_edge::{request::rooms, Config};
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
    Ok(HttpRequest::new("GET", url, headers(config, None)?))
}
