//! App users (`$users`) and their refresh tokens (spec §7.1–§7.2).

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::store::App;

/// The user whose `$users.email` is exactly `email` (the `As-Email` header is matched verbatim,
/// spec §10 item 33).
pub fn by_email(app: &App, email: &str) -> Option<Uuid> {
    let attr = app.attrs.fwd("$users", "email")?;
    app.find_unique(attr, &json!(email))
}

/// Auth endpoints' email coercion: trimmed, lower-cased, and shaped like an address
/// (`local@domain` with no spaces).
///
/// ```
/// use instant_emulator::users::coerce_email;
/// assert_eq!(coerce_email(" Joe@X.com ").as_deref(), Some("joe@x.com"));
/// assert_eq!(coerce_email("not an email"), None);
/// ```
pub fn coerce_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace);
    valid.then_some(email)
}

/// Finds the user by email (else by id) or creates it with `extra_fields`; returns the id and
/// whether it was created (spec §3.11).
pub fn find_or_create(
    app: &mut App,
    email: Option<&str>,
    id: Option<Uuid>,
    extra_fields: &Map<String, Value>,
    now: i64,
) -> ApiResult<(Uuid, bool)> {
    let existing = match (email, id) {
        (Some(email), _) => by_email(app, email),
        (None, Some(id)) => app.exists("$users", id).then_some(id),
        (None, None) => None,
    };
    if let Some(user) = existing {
        return Ok((user, false));
    }
    let mut fields = Vec::new();
    for (label, value) in extra_fields {
        match app.attrs.fwd("$users", label) {
            Some(attr) if attr.system => {
                return Err(ApiError::validation_msg(
                    "extra-fields",
                    Value::Object(extra_fields.clone()),
                    format!("Cannot set system field: {label}"),
                ))
            }
            Some(attr) if !attr.is_ref() => fields.push((attr.clone(), value.clone())),
            _ => {
                return Err(ApiError::validation_msg(
                    "extra-fields",
                    Value::Object(extra_fields.clone()),
                    format!("Unknown field: {label}. It must be defined in your $users schema."),
                ))
            }
        }
    }
    let user = id.unwrap_or_else(Uuid::new_v4);
    let id_attr = app.attrs.fwd("$users", "id").cloned();
    let email_attr = app.attrs.fwd("$users", "email").cloned();
    if let Some(attr) = id_attr {
        app.triples.add(user, &attr, json!(user.to_string()), now);
    }
    if let (Some(attr), Some(email)) = (email_attr, email) {
        app.triples.add(user, &attr, json!(email), now);
    }
    for (attr, value) in fields {
        app.triples.add(user, &attr, value, now);
    }
    crate::schema::backfill_entity_nulls(app, "$users", user, now);
    Ok((user, true))
}

/// Issues a new refresh token for `user`: a random UUID whose SHA-256 is stored as a
/// `$userRefreshTokens` entity linked to the user (spec §7.2); the token itself is not kept.
pub fn issue_refresh_token(app: &mut App, user: Uuid, now: i64) -> Uuid {
    let token = Uuid::new_v4();
    let entity = Uuid::new_v4();
    let attr = |label: &str| app.attrs.fwd("$userRefreshTokens", label).cloned();
    if let (Some(id), Some(hash), Some(owner)) = (attr("id"), attr("hashedToken"), attr("$user")) {
        app.triples.add(entity, &id, json!(entity.to_string()), now);
        app.triples.add(entity, &hash, json!(token_hash(token)), now);
        app.triples.add(entity, &owner, json!(user.to_string()), now);
    }
    token
}

/// The user a refresh token belongs to, found by the token's hash.
pub fn by_refresh_token(app: &App, token: Uuid) -> Option<Uuid> {
    let hash_attr = app.attrs.fwd("$userRefreshTokens", "hashedToken")?;
    let owner_attr = app.attrs.fwd("$userRefreshTokens", "$user")?;
    let entity = app.find_unique(hash_attr, &json!(token_hash(token)))?;
    let owner = app.triples.value(entity, owner_attr.id)?;
    crate::store::ref_target(&owner.value).filter(|user| app.exists("$users", *user))
}

/// Lower-case hex SHA-256 of the token's canonical (hyphenated, lower-case) text.
fn token_hash(token: Uuid) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(token.to_string().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The user record auth endpoints return (spec §7.1): `app_id`, `id`, `created_at`, the
/// user's attributes, `isGuest`.
pub fn record(app: &App, user: Uuid) -> Value {
    let mut record = Map::new();
    record.insert("app_id".into(), json!(app.id.to_string()));
    record.insert("id".into(), json!(user.to_string()));
    let created_at = app
        .attrs
        .fwd("$users", "id")
        .and_then(|a| app.triples.value(user, a.id))
        .map(|s| s.created_at)
        .unwrap_or(0);
    record.insert("created_at".into(), json!(format_utc_seconds(created_at)));
    let mut is_guest = false;
    for attr in app.attrs.of_etype("$users") {
        if attr.forward.label == "id" || !attr.cardinality_one {
            continue;
        }
        if let Some(stored) = app.triples.value(user, attr.id) {
            if stored.value.is_null() {
                continue;
            }
            if attr.forward.label == "type" && stored.value == json!("guest") {
                is_guest = true;
            }
            record.insert(attr.forward.label.clone(), stored.value.clone());
        }
    }
    record.insert("isGuest".into(), json!(is_guest));
    Value::Object(record)
}

/// `yyyy-MM-ddTHH:mm:ssZ` of epoch milliseconds (spec §1.9).
pub fn format_utc_seconds(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Howard Hinnant's inverse of `days_from_civil`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_second_precision_utc() {
        assert_eq!(format_utc_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc_seconds(1_709_164_800_999), "2024-02-29T00:00:00Z");
        assert_eq!(format_utc_seconds(1_787_344_774_000), "2026-08-21T20:39:34Z");
    }
}
