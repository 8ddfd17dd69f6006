//! InstaQL evaluation (spec §5). (being written)
use serde_json::{json, Value};
use crate::error::ApiResult;
use crate::http::Perms;
use crate::store::App;
/// Runs a query.
pub fn run(_app: &App, _query: &Value, _inference: bool, _perms: &Perms) -> ApiResult<Value> { Ok(json!({})) }
