//! What the Platform API says about an app beyond its data: the `apps` row (title, creator or
//! org, creation and soft-deletion times) and the version of its rules row (platform spec §3.1,
//! §3.8). The API schema view (§4.2) is [`crate::schema::api_schema`].
//!
//! Kept beside [`crate::store::App`] rather than in it: the Admin API never reads any of it,
//! and apps made through the control surface simply have a title and no owner.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::store::App;
use crate::values::iso_seconds;

/// How long an ephemeral app is promised to live (`expiration-days`).
pub const EPHEMERAL_LIFETIME_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// The `apps` row of one app, less what [`App`] holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppMeta {
    /// Display title (trimmed, non-blank when set through the Platform API).
    pub title: String,
    /// The user who created a personal app; `None` for org apps and control-surface apps.
    pub creator_id: Option<Uuid>,
    /// The org an org app belongs to.
    pub org_id: Option<Uuid>,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// When it was deleted (soft delete); a deleted app is gone for every route.
    pub deletion_marked_at: Option<i64>,
    /// The version of its rules row; `None` while it has none (`{"perms": null}`).
    pub rules_version: Option<i64>,
}

impl AppMeta {
    /// An app nobody owns (the default app, control-surface apps).
    pub fn unowned(title: &str, now: i64) -> AppMeta {
        AppMeta { title: title.to_owned(), creator_id: None, org_id: None, created_at: now, deletion_marked_at: None, rules_version: None }
    }

    /// The raw `apps` row (`SELECT *`), columns in table order.
    pub fn row(&self, app: Option<&App>, app_id: Uuid) -> Value {
        let expiry = app
            .map(|a| a.auth_settings.magic_code_expiry_minutes)
            .filter(|minutes| *minutes != crate::store::DEFAULT_MAGIC_CODE_EXPIRY_MINUTES);
        json!({
            "id": app_id.to_string(),
            "creator_id": self.creator_id.map(|id| id.to_string()),
            "title": self.title,
            "created_at": iso_seconds(self.created_at),
            "connection_string": null,
            "deletion_marked_at": self.deletion_marked_at.map(iso_seconds),
            "org_id": self.org_id.map(|id| id.to_string()),
            "subscription_id": null,
            "magic_code_expiry_minutes": expiry,
            "status": "active",
        })
    }

    /// The version the rules row of `app` has: the recorded one, else 0 when the app has rules
    /// that came another way (`--rules`, the control surface), else none.
    pub fn effective_rules_version(&self, app: &App) -> Option<i64> {
        self.rules_version.or_else(|| has_rules(app).then_some(0))
    }
}

/// Whether `app` has a non-empty rules document.
fn has_rules(app: &App) -> bool {
    app.rules.document().as_object().is_some_and(|d| !d.is_empty())
}

/// The `perms` of an app as the Platform API answers them: its rules code in jsonb key order,
/// or `null` when it has no rules row.
pub fn perms(app: &App, meta: &AppMeta) -> Value {
    match meta.effective_rules_version(app) {
        Some(_) => jsonb_order(app.rules.document()),
        None => Value::Null,
    }
}

/// `value` with every object's keys in the order Postgres stores `jsonb` keys: shorter keys
/// first, equal lengths bytewise. Rules come back from the server that way, never in the order
/// they were pushed (spec §3.8).
pub fn jsonb_order(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes())));
            let ordered: Map<String, Value> = keys.into_iter().map(|k| (k.clone(), jsonb_order(&map[k]))).collect();
            Value::Object(ordered)
        }
        Value::Array(items) => Value::Array(items.iter().map(jsonb_order).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{api_schema, clojure_vector};

    #[test]
    fn ref_keys_print_like_clojure_vectors() {
        assert_eq!(clojure_vector(&["posts", "author", "users", "posts"]), r#"["posts" "author" "users" "posts"]"#);
        assert_eq!(clojure_vector(&["a\"b", "c\\d", "e", "f"]), r#"["a\"b" "c\\d" "e" "f"]"#);
    }

    #[test]
    fn jsonb_orders_shorter_keys_first() {
        let ordered = jsonb_order(&json!({"todos": {"bind": [], "allow": {}}, "$default": 1, "attrs": 2}));
        let keys: Vec<&String> = ordered.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["attrs", "todos", "$default"]);
        let inner: Vec<&String> = ordered["todos"].as_object().unwrap().keys().collect();
        assert_eq!(inner, ["bind", "allow"]);
    }

    #[test]
    fn the_api_schema_keys_links_by_vector() {
        let app = App::new(Uuid::new_v4(), Uuid::new_v4());
        let schema = api_schema(&app);
        let keys: Vec<&String> = schema["refs"].as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [r#"["$streams" "$files" "$files" "$stream"]"#, r#"["$users" "linkedPrimaryUser" "$users" "linkedGuestUsers"]"#]
        );
        assert!(schema["blobs"]["$users"]["email"].is_object());
    }

    #[test]
    fn rows_carry_the_table_columns() {
        let meta = AppMeta { creator_id: Some(Uuid::nil()), ..AppMeta::unowned("T", 1_787_344_774_000) };
        let row = meta.row(None, Uuid::nil());
        assert_eq!(row["created_at"], "2026-08-21T20:39:34Z");
        assert_eq!(row["status"], "active");
        assert_eq!(row["deletion_marked_at"], Value::Null);
        assert_eq!(row["creator_id"], Uuid::nil().to_string());
    }
}
