use crate::prelude::*;
use serde::{Deserialize, Serialize};

/// A user as the auth endpoints return it (spec §7.1). Unknown fields (app-defined `$users`
/// attributes) are ignored here; read them with a type of your own.
///
/// ```
/// use instant_edge::models::User;
/// let user: User = serde_json::from_str(
///     r#"{"id":"8aa64e4c-64f9-472e-8a61-3fa28870e6cb","email":"a@b.co","isGuest":false,"refresh_token":"t"}"#,
/// ).unwrap();
/// assert_eq!(user.email.as_deref(), Some("a@b.co"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: String,
    /// Lower-cased email; absent for guests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `"user"`, `"guest"`, or absent (users made by `createToken`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Whether this is a guest.
    #[serde(rename = "isGuest", default)]
    pub is_guest: bool,
    /// Creation time, `yyyy-MM-ddTHH:mm:ssZ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The refresh token, on answers that issue or verify one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl core::fmt::Debug for User {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("user_type", &self.user_type)
            .field("is_guest", &self.is_guest)
            .field("created_at", &self.created_at)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// One page of `$users`, in email order (guests, who have no email, first).
#[derive(Clone, Debug, PartialEq)]
pub struct UsersPage {
    /// The users of this page.
    pub users: Vec<User>,
    /// Pass as `after` for the next page; `None` when the page is empty.
    pub end_cursor: Option<String>,
    /// Whether more users follow.
    pub has_next_page: bool,
}
