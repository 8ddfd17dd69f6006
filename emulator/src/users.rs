//! Users. (being written)
use serde_json::{Map, Value};
use uuid::Uuid;
use crate::error::ApiResult;
use crate::store::App;
/// By email.
pub fn by_email(_app: &App, _email: &str) -> Option<Uuid> { None }
/// Email coercion.
pub fn coerce_email(e: &str) -> Option<String> { Some(e.trim().to_lowercase()) }
/// Find or create.
pub fn find_or_create(_app: &mut App, _email: Option<&str>, _id: Option<Uuid>, _extra: &Map<String, Value>, _now: i64) -> ApiResult<(Uuid, bool)> { Ok((Uuid::nil(), false)) }
/// Issue token.
pub fn issue_refresh_token(_app: &mut App, _user: Uuid) -> Uuid { Uuid::new_v4() }
/// Record.
pub fn record(_app: &App, _user: Uuid) -> Value { Value::Null }
