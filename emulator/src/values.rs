//! JSON value comparisons. (being written)
use serde_json::Value;
/// Equality with numbers compared numerically.
pub fn json_eq(a: &Value, b: &Value) -> bool { a == b }
