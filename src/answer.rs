//! What each call answers, read from the server's 200 JSON: written once, over any
//! [`JsonView`], for the Rust API (which decodes what it picks into [`crate::models`]) and for the
//! JS exports (which write it out in `@instantdb/admin`'s shapes).

use crate::json::{JsonView, Kind};
use crate::prelude::*;
use crate::request::auth::users_cursor;
use crate::request::storage::object_key;

/// `json.user.refresh_token` (what `createToken` answers).
///
/// ```
/// let json = instant_edge::value!({ "user": { "id": "u", "refresh_token": "t" } });
/// assert_eq!(instant_edge::answer::refresh_token(&&json).and_then(|t| t.as_str()), Some("t"));
/// ```
pub fn refresh_token<J: JsonView>(json: &J) -> Option<J> {
    json.field("user")?.field("refresh_token")
}

/// A spent magic code's user and whether it was created (`created` is `true`, not just present).
pub fn user_created<J: JsonView>(json: &J) -> (Option<J>, bool) {
    (json.field("user"), json.field("created").and_then(|created| created.boolean()) == Some(true))
}

/// The rows of namespace `name` in a query result (none when it is not an array).
pub fn rows<J: JsonView>(json: &J, name: &str) -> Vec<J> {
    json.field(name).map(|rows| rows.items()).unwrap_or_default()
}

/// One page of a `list_users_query` answer, which asked for one row more than `limit`.
#[derive(Debug, PartialEq)]
pub struct UsersRows<J> {
    /// At most `limit` rows, in email order.
    pub users: Vec<J>,
    /// The cursor after the last row; `None` for an empty page.
    pub end_cursor: Option<String>,
    /// Whether the extra row came (more users follow).
    pub has_next_page: bool,
}

/// The page in a `list_users_query(limit, ..)` answer.
///
/// ```
/// use instant_edge::{answer, value};
/// let json = value!({ "$users": [{ "id": "a", "email": "a@x.co" }, { "id": "b" }] });
/// let page = answer::users_page(&&json, 1);
/// assert_eq!((page.users.len(), page.has_next_page), (1, true));
/// assert!(page.end_cursor.is_some());
/// ```
pub fn users_page<J: JsonView>(json: &J, limit: u32) -> UsersRows<J> {
    let mut users = rows(json, "$users");
    let has_next_page = users.len() > limit as usize;
    users.truncate(limit as usize);
    let end_cursor = users.last().filter(|last| last.kind() == Kind::Object).map(|last| {
        let text = |key: &str| last.field(key).and_then(|value| value.text().map(|text| text.into_owned()));
        users_cursor(&text("id").unwrap_or_default(), text("email").as_deref())
    });
    UsersRows { users, end_cursor, has_next_page }
}

/// A `$files` row's object key (`<app-id>/<bin>/<location-id>`), which `storage.list()`
/// reports as `key`.
pub fn file_key<J: JsonView>(row: &J, app_id: &str) -> Option<String> {
    let location = row.field("location-id")?;
    Some(object_key(app_id, &location.text()?))
}

/// The first `$files` row's `url` (what `getDownloadUrl` answers).
pub fn first_url<J: JsonView>(json: &J) -> Option<J> {
    rows(json, "$files").into_iter().next()?.field("url")
}

/// The sessions in a room: `json.sessions` when it is an object (an empty room answers `null`,
/// which callers show as `{}`).
pub fn sessions<J: JsonView>(json: &J) -> Option<J> {
    json.field("sessions").filter(|sessions| sessions.kind() == Kind::Object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;
    use crate::value;

    #[test]
    fn picks_read_the_same_from_a_value_and_from_text() {
        let json = value!({
            "user": { "id": "u", "refresh_token": "t" },
            "created": true,
            "sessions": null,
            "$files": [{ "id": "f", "path": "a.png", "url": "https://x/a.png", "location-id": "l" }, { "id": "g" }]
        });
        let text = json.to_json();
        let node = parse(&text).unwrap();
        assert_eq!(refresh_token(&&json).and_then(|t| t.as_str()), Some("t"));
        assert_eq!(refresh_token(&node).map(|t| t.source), Some("\"t\""));
        assert!(user_created(&&json).1);
        assert!(user_created(&node).1);
        assert_eq!(rows(&node, "$files").len(), 2);
        assert_eq!(first_url(&node).map(|url| url.source), Some("\"https://x/a.png\""));
        assert_eq!(file_key(&rows(&node, "$files")[0], "app"), Some(object_key("app", "l")));
        assert_eq!(file_key(&rows(&node, "$files")[1], "app"), None);
        assert!(sessions(&node).is_none(), "an empty room's null");
        assert!(sessions(&&value!({ "sessions": { "s": {} } })).is_some());
    }

    #[test]
    fn created_must_be_true_not_just_present() {
        assert!(!user_created(&&value!({ "user": {}, "created": "yes" })).1);
        assert!(!user_created(&&value!({ "user": {} })).1);
    }

    #[test]
    fn a_users_page_takes_limit_rows_and_says_whether_more_follow() {
        let json = value!({ "$users": [{ "id": "a", "email": "a@x.co" }, { "id": "b", "email": "b@x.co" }] });
        let full = users_page(&&json, 2);
        assert_eq!((full.users.len(), full.has_next_page), (2, false));
        assert_eq!(full.end_cursor, Some(users_cursor("b", Some("b@x.co"))));
        let none = value!({ "$users": [] });
        let empty = users_page(&&none, 5);
        assert_eq!((empty.users.len(), empty.end_cursor, empty.has_next_page), (0, None, false));
        assert_eq!(users_page(&&value!({}), 5).users.len(), 0, "no $users at all");
    }
}
