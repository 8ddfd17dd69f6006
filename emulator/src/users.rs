//! App users (`$users`) and their refresh tokens (spec §7.1–§7.2).

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::store::{App, RateLimitKind};

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
    let valid = !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !email.chars().any(char::is_whitespace);
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
    sha256_hex(&token.to_string())
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The `$userRefreshTokens` entities of `user`.
fn token_entities_of(app: &App, user: Uuid) -> Vec<Uuid> {
    let Some(owner) = app.attrs.fwd("$userRefreshTokens", "$user") else { return Vec::new() };
    app.triples.sources(owner.id, user).collect()
}

/// Deletes entities through the transaction engine, so cascades run as for any delete.
fn delete_entities(app: &mut App, etype: &str, entities: &[Uuid], now: i64) -> ApiResult<()> {
    if entities.is_empty() {
        return Ok(());
    }
    let steps: Vec<Value> = entities.iter().map(|e| json!(["delete", etype, e.to_string()])).collect();
    let admin = crate::rules::Access::admin(app);
    crate::transact::apply(app, &Value::Array(steps), false, &admin, now)
}

/// Sign-out of every session of `user` (§3.10 by `id` / `email`).
pub fn sign_out_user(app: &mut App, user: Uuid, now: i64) -> ApiResult<()> {
    let tokens = token_entities_of(app, user);
    delete_entities(app, "$userRefreshTokens", &tokens, now)
}

/// Sign-out of one session (§3.10 by `refresh_token`); an unknown token is no error.
pub fn sign_out_token(app: &mut App, token: Uuid, now: i64) -> ApiResult<()> {
    let Some(hash_attr) = app.attrs.fwd("$userRefreshTokens", "hashedToken") else { return Ok(()) };
    let Some(entity) = app.find_unique(hash_attr, &json!(token_hash(token))) else { return Ok(()) };
    delete_entities(app, "$userRefreshTokens", &[entity], now)
}

/// Deletes a user; its refresh tokens and `on-delete: cascade` links go with it (§3.9).
pub fn delete_user(app: &mut App, user: Uuid, now: i64) -> ApiResult<()> {
    delete_entities(app, "$users", &[user], now)
}

/// A guest: a new `$users` entity with `type: "guest"` and no email (§7.4).
pub fn create_guest(app: &mut App, extra_fields: &Map<String, Value>, now: i64) -> ApiResult<Uuid> {
    let (user, _) = find_or_create(app, None, Some(Uuid::new_v4()), extra_fields, now)?;
    if let Some(attr) = app.attrs.fwd("$users", "type").cloned() {
        app.triples.replace_value(user, &attr, json!("guest"), now);
    }
    Ok(user)
}

/// Spends one token of the app's `kind` bucket for `email` (§3.13, §3.14): sends and verify
/// attempts each have their own bucket of `magic-code-rate-limit-per-hour` tokens; an empty
/// one is 429 `rate-limited`.
pub fn spend_magic_code_token(app: &mut App, kind: RateLimitKind, email: &str, now: i64) -> ApiResult<()> {
    let capacity = app.auth_settings.magic_code_rate_limit_per_hour;
    if app.rate_limits.try_consume(kind, email, capacity, now) {
        return Ok(());
    }
    Err(ApiError::bad_request("rate-limited", "Too many verification codes requested for this email. Please try again later.", Value::Null))
}

/// Whether `code` is the static code of `email`'s test user (§7.3). Like the server, only a
/// 6-character code is ever compared.
pub fn matches_test_user(app: &App, email: &str, code: &str) -> bool {
    code.chars().count() == 6 && app.auth_settings.test_users.iter().any(|user| user.email == email && user.code == code)
}

/// Whether `user` is a guest (`$users.type` is `"guest"`, §7.4).
pub fn is_guest(app: &App, user: Uuid) -> bool {
    app.attrs.fwd("$users", "type").and_then(|attr| app.triples.value(user, attr.id)).is_some_and(|stored| stored.value == json!("guest"))
}

/// A new 6-character code of digits 0–8 (the server's generator never makes a 9), stored as a
/// `$magicCodes` entity holding its SHA-256 (§7.3).
pub fn create_magic_code(app: &mut App, email: &str, now: i64) -> String {
    let random = Uuid::new_v4().as_u128();
    let code: String = (0..6).map(|i| char::from(b'0' + ((random >> (i * 8)) % 9) as u8)).collect();
    let entity = Uuid::new_v4();
    let attr = |label: &str| app.attrs.fwd("$magicCodes", label).cloned();
    if let (Some(id), Some(hash), Some(mail)) = (attr("id"), attr("codeHash"), attr("email")) {
        app.triples.add(entity, &id, json!(entity.to_string()), now);
        app.triples.add(entity, &hash, json!(sha256_hex(&code)), now);
        app.triples.add(entity, &mail, json!(email), now);
    }
    code
}

/// Consumes a code for `email`: unknown → `record-not-found` `app-user-magic-code`; found but
/// older than the app's `magic-code-expiry-minutes` → deleted, then `record-expired` (§7.3).
pub fn consume_magic_code(app: &mut App, email: &str, code: &str, now: i64) -> ApiResult<()> {
    let not_found = || ApiError::record_not_found("app-user-magic-code", json!({"args": [{"email": email, "code": code}]}));
    let (Some(hash_attr), Some(email_attr)) =
        (app.attrs.fwd("$magicCodes", "codeHash").cloned(), app.attrs.fwd("$magicCodes", "email").cloned())
    else {
        return Err(not_found());
    };
    let hash = json!(sha256_hex(code));
    let found = app.triples.entities_with(hash_attr.id).find(|e| {
        app.triples.value(*e, hash_attr.id).is_some_and(|s| s.value == hash)
            && app.triples.value(*e, email_attr.id).is_some_and(|s| s.value == json!(email))
    });
    let Some(entity) = found else { return Err(not_found()) };
    let created_at = app.triples.value(entity, hash_attr.id).map(|s| s.created_at).unwrap_or(now);
    delete_entities(app, "$magicCodes", &[entity], now)?;
    if now - created_at > app.auth_settings.magic_code_expiry_ms() {
        return Err(ApiError::bad_request(
            "record-expired",
            "Record expired: app-user-magic-code",
            json!({"args": [{"email": email}], "record-type": "app-user-magic-code"}),
        ));
    }
    Ok(())
}

/// `verify_magic_code` after the code was consumed: the user by email, else a new one
/// (`type: "user"`, with the guest's id when a guest token was given); a guest whose email
/// belonged to someone else gets `linkedPrimaryUser` (§7.3).
pub fn sign_in_by_email(
    app: &mut App,
    email: &str,
    guest: Option<Uuid>,
    extra_fields: &Map<String, Value>,
    now: i64,
) -> ApiResult<(Uuid, bool)> {
    if let Some(existing) = by_email(app, email) {
        if let Some(guest) = guest.filter(|g| *g != existing) {
            if let Some(attr) = app.attrs.fwd("$users", "linkedPrimaryUser").cloned() {
                app.triples.replace_value(guest, &attr, json!(existing.to_string()), now);
            }
        }
        return Ok((existing, false));
    }
    let (user, created) = match guest {
        Some(guest) => {
            if let Some(attr) = app.attrs.fwd("$users", "email").cloned() {
                app.triples.replace_value(guest, &attr, json!(email), now);
            }
            (guest, false)
        }
        None => find_or_create(app, Some(email), None, extra_fields, now)?,
    };
    if let Some(attr) = app.attrs.fwd("$users", "type").cloned() {
        app.triples.replace_value(user, &attr, json!("user"), now);
    }
    Ok((user, created || guest.is_some()))
}

/// The user record auth endpoints return (spec §7.1): `app_id`, `id`, `created_at`, the
/// user's attributes, `isGuest`.
pub fn record(app: &App, user: Uuid) -> Value {
    let mut record = Map::new();
    record.insert("app_id".into(), json!(app.id.to_string()));
    record.insert("id".into(), json!(user.to_string()));
    let created_at = app.attrs.fwd("$users", "id").and_then(|a| app.triples.value(user, a.id)).map(|s| s.created_at).unwrap_or(0);
    record.insert("created_at".into(), json!(crate::values::iso_seconds(created_at)));
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
