//! Who is asking: the app a request is for and whose permissions it runs with (spec §1.4–§1.6,
//! §9.1).
//!
//! The engine (queries, transactions, rules, users) decides on a [`Caller`] alone and knows
//! nothing of where it came from; the HTTP layer derives one from the request's headers
//! (`http/auth.rs`, the server's `get-perms!`), and engine code writing for itself uses
//! [`Caller::admin`].

use uuid::Uuid;

/// The permission context of a data request: admin (rules bypassed), a signed-in user, or a
/// guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The app the request is for.
    pub app_id: Uuid,
    /// Admin: rules bypassed (spec §9.1).
    pub admin: bool,
    /// The user the request acts as (`as-token`, `as-email`); `None` for admin and guests.
    pub user: Option<Uuid>,
}

impl Caller {
    /// The app's admin: every rule bypassed (an admin token without impersonation, or the
    /// engine writing for itself).
    pub fn admin(app_id: Uuid) -> Caller {
        Caller { app_id, admin: true, user: None }
    }

    /// Signed-in user `id`, held to the app's rules.
    pub fn user(app_id: Uuid, id: Uuid) -> Caller {
        Caller { app_id, admin: false, user: Some(id) }
    }

    /// A guest (`as-guest`): no user, held to the app's rules.
    pub fn guest(app_id: Uuid) -> Caller {
        Caller { app_id, admin: false, user: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_set_admin_and_user() {
        let (app, user) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(Caller::admin(app), Caller { app_id: app, admin: true, user: None });
        assert_eq!(Caller::user(app, user), Caller { app_id: app, admin: false, user: Some(user) });
        assert_eq!(Caller::guest(app), Caller { app_id: app, admin: false, user: None });
    }
}
