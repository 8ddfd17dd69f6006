//! The Platform API's schema side (platform spec §4, §7 items 5–6): the API schema view, the
//! server's plan of a non-overwrite push, applying plans and client-built steps, and the
//! background jobs that carry out constraint changes. Pure logic over [`crate::store::App`];
//! the routes live in `http` and only translate requests and answers.
//!
//! ## Routes served (for wiring)
//!
//! Each route finds its app and checks auth first (owned by the platform routes). "`tx`"
//! below is `store.next_tx()` (transaction id and time), "now" `store.now_ms()`. Every error is
//! an [`ApiError`] to render as usual. The apply functions work on a copy and change the app
//! only when they succeed; polls change it in place and never fail.
//!
//! | Route | Call | 200 body |
//! |---|---|---|
//! | `GET /superadmin/apps/:app_id/schema` | [`api_schema`]`(app)` | `{"schema": <that>}` |
//! | `GET /superadmin/apps[...]?include=schema`, `POST /superadmin/apps` (response `app.schema`) | [`api_schema`] | the app row with `"schema": <that>` |
//! | `POST /superadmin/apps/:app_id/schema/push/plan`, `POST /dash/apps/:app_id/schema/push/plan` | [`plan_with`]`(app, &body["schema"], PlanOptions::from_body(&body))` | [`Plan::to_wire`]: `{"new-schema", "current-schema", "current-attrs", "steps"}` |
//! | `POST /superadmin/apps/:app_id/schema/push/apply`, `POST /dash/apps/:app_id/schema/push/apply` | [`push_apply`]`(app, &body["schema"], PlanOptions::from_body(&body), tx.0, tx.1)` | `{"new-schema", "current-schema", "current-attrs", "steps", "transaction", "indexing-jobs"}` |
//! | `POST /dash/apps/:app_id/schema/steps/apply` | [`apply_steps`]`(app, &body["steps"], tx.0, tx.1)` | [`ApplyResult::to_wire`]: `{"transaction", "steps", "indexing-jobs"}` |
//! | `GET /dash/apps/:app_id/indexing-jobs/group/:group_id` | [`poll_group`]`(app, group_id, now)` | `{"jobs": [<job>...]}` |
//! | `GET /dash/apps/:app_id/indexing-jobs/:job_id` | [`job`]`(app, job_id, now)` | `{"job": <job>}` (`{"job": {}}` for an unknown id) |
//! | `GET /dash/apps/:app_id/schema/pull` | [`api_schema`], [`current_attrs`] | `{"schema", "attrs", "app-title"}` |
//! | `POST /superadmin/apps`, `POST /dash/apps/ephemeral` with a `schema` | [`push_apply`] with `PlanOptions { check_types: true, background_updates: false }` after the app exists | (the app response) |
//!
//! Bodies: plan and push `{"schema": <i.schema JSON>, "check_types": true,
//! "supports_background_updates": true}` (an absent flag is off, as on the server); steps
//! apply `{"steps": [<wire step>...]}` (absent → `param-missing ["body" "steps"]`). A
//! malformed `:group_id`/`:job_id` is the route's `param-malformed ["params" "group_id"]`.
//!
//! A `<job>` is `{"id", "app_id", "group_id", "attr_id", "attr_name", "job_type",
//! "job_status", "job_stage", "work_estimate", "work_completed", "error",
//! "checked_data_type", "created_at", "updated_at", "done_at", "invalid_unique_value",
//! "error_data", "invalid_triples_sample"}` (platform spec §4.8); the apply responses list the
//! raw rows instead (with `job_serial_key`, `job_dependency`, `worker_id`, ...). Jobs start
//! `waiting` and finish on the poll given by [`crate::store::IndexingJobs::polls_to_finish`]
//! (default 1: the first poll answers them `completed` or `errored`; set it higher to see them
//! `processing` in between).
//!
//! ## Choices where the spec is silent
//!
//! - `update-attr` follows the server's `update-multi!`: `on-delete`/`on-delete-reverse` are
//!   set to what the step carries, so a step without them (a client rename) clears a cascade;
//!   a renamed identity keeps its identity id even when the step gives another (the client
//!   sends the attr id).
//! - The server commits an apply's transaction before it creates the jobs; the emulator checks
//!   the job steps too before keeping anything (unknown attribute → `record-not-found`
//!   `attrs`, unknown data type → `validation-failed`).
//! - The server answers a schema it cannot read with a 500; the emulator with
//!   `param-malformed` at the part it could not read.
//! - `transaction.results` keeps the server's shape per step kind (`add-attr`: the inserted
//!   `attrs`, `idents` and back-filled `triples`; `update-attr` and `delete-attr`: row counts),
//!   but the counts are the emulator's, not Postgres's.
//! - Jobs finish on the first poll by default (platform spec §7 item 6), not one stage per poll;
//!   `polls_to_finish = 2` gives waiting → processing → completed.

mod apply;
mod jobs;
mod plan;

use serde_json::Value;
use uuid::Uuid;

pub use self::apply::ApplyResult;
pub use self::jobs::{
    stages, INVALID_ATTR_STATE_ERROR, INVALID_TRIPLE_ERROR, MISSING_REQUIRED_ERROR, TRIPLE_NOT_UNIQUE_ERROR, TRIPLE_TOO_LARGE_ERROR,
    UNEXPECTED_ERROR,
};
pub use self::plan::{plan_with, Plan, PlanOptions};
use crate::error::{ApiError, ApiResult};
/// The API schema (platform spec §4.2), kept with `GET /admin/schema`'s view in
/// [`crate::schema`], its one source.
pub use crate::schema::api_schema;
use crate::store::{App, Attr};

/// The plan of pushing `pushed` (an `i.schema(...)` JSON, platform spec §4.1) to `app` without
/// overwriting (§4.5), with type checks on and, when `background`, constraint changes of
/// existing attributes as job steps. A plan whose additions clash with the app's attributes
/// fails with `validation-failed` (`Validation failed for schema: …`, hint
/// `{"data-type": "schema", "input": "plan", "errors": [{"in": ["schema"], "message"}]}`).
///
/// ```
/// use instant_emulator::{platform_schema, store::App};
/// use serde_json::json;
/// let app = App::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// let pushed = json!({"entities": {"todos": {"attrs": {"title": {"valueType": "string",
///     "required": true, "config": {"indexed": true, "unique": false}}}}}});
/// let plan = platform_schema::plan(&app, &pushed, true).unwrap();
/// assert_eq!(plan.steps.len(), 2, "todos.id, then todos.title");
/// assert_eq!(plan.steps[1][1]["checked-data-type"], "string");
/// ```
pub fn plan(app: &App, pushed: &Value, background: bool) -> ApiResult<Plan> {
    plan_with(app, pushed, PlanOptions { check_types: true, background_updates: background })
}

/// Applies a plan's steps (platform spec §4.8, `apply-plan!`): `add-attr` and `update-attr`
/// transacted together as transaction `tx_id` at `now` (ms), then one `waiting` job per
/// constraint step, all of one fresh group. Nothing changes when any step fails.
pub fn apply_plan(app: &mut App, steps: &[Value], tx_id: u64, now: i64) -> ApiResult<ApplyResult> {
    apply::apply(app, steps, apply::Route::Push, tx_id, now)
}

/// Applies client-built steps (`POST /dash/apps/:app_id/schema/steps/apply`,
/// `apply-plan-with-deletes!`; platform spec §4.6): like [`apply_plan`] but `delete-attr` (a
/// bare attribute id; the attribute is soft-deleted) is transacted too, `update-attr` may be
/// partial (a rename carries only `id` and identities), and `add-attr` comes without
/// constraints, followed by job steps.
pub fn apply_steps(app: &mut App, wire_steps: &Value, tx_id: u64, now: i64) -> ApiResult<ApplyResult> {
    let steps = apply::read_wire_steps(wire_steps)?;
    apply::apply(app, &steps, apply::Route::Steps, tx_id, now)
}

/// Plans and applies a push in one go (`…/schema/push/apply`, and app creation with a schema):
/// the plan's fields with the apply's `steps` (now with `job-id`s), `transaction` and
/// `indexing-jobs` (the server's `(merge plan result)`).
pub fn push_apply(app: &mut App, pushed: &Value, options: PlanOptions, tx_id: u64, now: i64) -> ApiResult<Value> {
    let plan = plan_with(app, pushed, options)?;
    let applied = apply_plan(app, &plan.steps, tx_id, now)?;
    let mut body = plan.to_wire();
    if let (Some(body), Value::Object(result)) = (body.as_object_mut(), applied.to_wire()) {
        body.extend(result);
    }
    Ok(body)
}

/// Every attribute of the app, hidden system ones included, in id order, as the plan's
/// `current-attrs` and the schema pull's `attrs` list them.
pub fn current_attrs(app: &App) -> Value {
    let mut attrs: Vec<&Attr> = app.attrs.iter().collect();
    attrs.sort_by_key(|a| a.id);
    Value::Array(attrs.iter().map(|a| a.to_wire()).collect())
}

/// Polls a group of jobs (`GET /dash/apps/:app_id/indexing-jobs/group/:group_id`): each job
/// not finished yet advances one poll (see the module docs), its `updated_at` set to `now`,
/// completed ones applying their constraint; answers `{"jobs": [...]}` with every job of the
/// group, oldest first (`[]` for an unknown group).
pub fn poll_group(app: &mut App, group_id: Uuid, now: i64) -> Value {
    jobs::poll_group(app, group_id, now)
}

/// Polls one job (`GET /dash/apps/:app_id/indexing-jobs/:job_id`), advancing it as
/// [`poll_group`] does; answers `{"job": <job>}`, or `{"job": {}}` for an unknown id (the
/// server's `select-keys` of no row).
pub fn job(app: &mut App, job_id: Uuid, now: i64) -> Value {
    jobs::job(app, job_id, now)
}

/// The validation error of a plan, for callers matching on it: `validation-failed`.
pub type PlanError = ApiError;
