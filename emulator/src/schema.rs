//! Schema JSON → attributes. (being written)
use serde_json::Value;
use crate::store::App;
/// Applies a schema.
pub fn apply(_app: &mut App, _schema: &Value, _now: i64) -> Result<(), String> { Ok(()) }
