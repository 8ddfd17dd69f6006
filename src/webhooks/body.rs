//! The delivery's body once its signature verified: `{"payloadUrl":"…","token":"<jwt>"}`.

use super::{error, messages, WebhookBody};
use crate::error::Result;
use crate::json::{JsonView, Kind};

/// Reads a verified body: an object with string `payloadUrl` and `token`, else "Invalid
/// webhook body, expected an object with payloadUrl and token fields" (hint `{body}`, the text
/// here, the parsed value there). Text that is not JSON is the same error here; the official
/// client lets `JSON.parse`'s `SyntaxError` through (the server never signs such a body).
///
/// ```
/// use instant_edge::webhooks::body::check_body;
/// let body = check_body(r#"{"payloadUrl":"https://x/p","token":"t"}"#).unwrap();
/// assert_eq!((body.payload_url.as_str(), body.token.as_str()), ("https://x/p", "t"));
/// assert!(check_body(r#"{"payloadUrl":1,"token":"t"}"#).is_err());
/// assert!(check_body("not json").is_err());
/// ```
pub fn check_body(text: &str) -> Result<WebhookBody> {
    let node = crate::parse::parse(text).ok().filter(|node| node.kind() == Kind::Object);
    let field = |name: &str| node.and_then(|node| node.field(name)).and_then(|value| value.text().map(|text| text.into_owned()));
    match (field("payloadUrl"), field("token")) {
        (Some(payload_url), Some(token)) => Ok(WebhookBody { payload_url, token }),
        _ => Err(error(messages::INVALID_BODY, [("body", text.into())])),
    }
}
