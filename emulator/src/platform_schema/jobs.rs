//! Background jobs (platform spec §4.8, §7 item 6; `srv/db/indexing_jobs.clj`): created
//! `waiting` by an apply, advanced each time they are polled, and finished on the poll set by
//! [`crate::store::IndexingJobs::polls_to_finish`] (the first, by default), completing (the
//! attribute gets its new constraint) or erroring over the data that breaks the constraint (the
//! attribute keeps its previous one).
//!
//! The server runs each job through stages (`estimate-work`, `validate`, `update-triples`, ...)
//! on worker threads; the emulator shows a job that has not finished at the stage doing the
//! work, and a finished one at its last stage or the stage that failed. Work counts follow the
//! server's: the estimate is 1.05 × the attribute's triple count (× 3 for `check-data-type`,
//! × 2 the entity count for `required`), the completed count what those stages went through.
//! The server's transient attribute flags (`indexing?`, `setting-unique?`,
//! `checking-data-type?`) are not kept: the attribute changes only when its job completes.

use std::collections::HashSet;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::store::{App, Attr, IndexingJob, JobStatus, JobType, Stored};
use crate::values::jsonb::{self, MAX_INDEXED_BYTES};
use crate::values::{fits_type, iso_seconds, json_eq, DataType};

/// `invalid-triple-error`: `check-data-type` found values of another type.
pub const INVALID_TRIPLE_ERROR: &str = "invalid-triple-error";
/// `triple-not-unique-error`: `unique` found a value held twice.
pub const TRIPLE_NOT_UNIQUE_ERROR: &str = "triple-not-unique-error";
/// `triple-too-large-error`: `index` or `unique` found a value over 1,024 bytes.
pub const TRIPLE_TOO_LARGE_ERROR: &str = "triple-too-large-error";
/// `missing-required-error`: `required` found entities without a value.
pub const MISSING_REQUIRED_ERROR: &str = "missing-required-error";
/// `invalid-attr-state-error`: the attribute is gone (or a system one, which no app changes).
pub const INVALID_ATTR_STATE_ERROR: &str = "invalid-attr-state-error";
/// `unexpected-error`: a job that cannot run at all.
pub const UNEXPECTED_ERROR: &str = "unexpected-error";

/// The largest number of entities `required`'s first validation batch looks at (10 ×
/// `batch-size`): the count in its error covers this many at most.
const REQUIRED_BATCH: usize = 10_000;

/// The worker id a processing job shows in its raw row.
const WORKER_ID: &str = "instant-emulator";

/// A job type's stages, in order (`indexing-jobs/jobs`).
pub fn stages(job_type: JobType) -> &'static [&'static str] {
    match job_type {
        JobType::CheckDataType => &["estimate-work", "validate", "update-attr-start", "revalidate", "update-triples", "update-attr-done"],
        JobType::RemoveDataType => &["update-attr-start", "estimate-work", "update-triples", "update-attr-done"],
        JobType::Index => {
            &["update-attr-start", "estimate-work", "estimate-work-with-undefineds", "update-triples", "insert-nulls", "update-attr-done"]
        }
        JobType::RemoveIndex | JobType::Unique | JobType::RemoveUnique => {
            &["update-attr-start", "estimate-work", "update-triples", "update-attr-done"]
        }
        JobType::Required => &["estimate-work", "validate", "update-attr", "revalidate"],
        JobType::RemoveRequired => &["update-attr"],
    }
}

fn first_stage(job_type: JobType) -> &'static str {
    stages(job_type).first().copied().unwrap_or("update-attr")
}

fn last_stage(job_type: JobType) -> &'static str {
    stages(job_type).last().copied().unwrap_or("update-attr")
}

/// The stage a job that has started but not finished shows: the one going through the data.
fn working_stage(job_type: JobType) -> &'static str {
    match job_type {
        JobType::CheckDataType | JobType::Required => "validate",
        JobType::RemoveRequired => "update-attr",
        _ => "update-triples",
    }
}

/// The first stage that writes the attribute, where a missing one is noticed.
fn attr_stage(job_type: JobType) -> &'static str {
    match job_type {
        JobType::CheckDataType => "update-attr-start",
        JobType::Required | JobType::RemoveRequired => "update-attr",
        _ => "update-attr-start",
    }
}

/// A new job as `create-job!` inserts it: `waiting`, at its first stage.
pub(super) fn new_job(group_id: Uuid, attr_id: Uuid, job_type: JobType, checked_data_type: Option<DataType>, now: i64) -> IndexingJob {
    IndexingJob {
        id: Uuid::new_v4(),
        group_id: Some(group_id),
        attr_id,
        job_type,
        status: JobStatus::Waiting,
        stage: first_stage(job_type),
        checked_data_type,
        error: None,
        work_estimate: None,
        work_completed: None,
        worker_id: None,
        created_at: now,
        updated_at: now,
        done_at: None,
        invalid_unique_value: None,
        invalid_entity_id: None,
        error_data: None,
        polls: 0,
    }
}

/// The job as the apply responses list it: the raw `indexing_jobs` row (`RETURNING *`), with
/// the worker and serial key columns and without the client format's `attr_name` and sample.
pub(super) fn raw_row(app_id: Uuid, job: &IndexingJob) -> Value {
    json!({
        "id": job.id.to_string(),
        "app_id": app_id.to_string(),
        "attr_id": job.attr_id.to_string(),
        "group_id": job.group_id.map(|g| g.to_string()),
        "job_serial_key": job.job_type.serial_key(),
        "job_type": job.job_type.name(),
        "job_status": job.status.name(),
        "job_dependency": null,
        "job_stage": job.stage,
        "checked_data_type": job.checked_data_type.map(DataType::name),
        "error": job.error,
        "work_estimate": job.work_estimate,
        "work_completed": job.work_completed,
        "worker_id": job.worker_id,
        "created_at": iso_seconds(job.created_at),
        "done_at": job.done_at.map(iso_seconds),
        "updated_at": iso_seconds(job.updated_at),
        "invalid_unique_value": job.invalid_unique_value,
        "invalid_entity_id": job.invalid_entity_id.map(|e| e.to_string()),
        "error_detail": null,
        "error_data": job.error_data,
        "context": null,
    })
}

/// `jsonb_typeof`.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An attribute's triples in the order the server's batches walk them: creation time, then
/// entity id.
fn triples_of(app: &App, attr_id: Uuid) -> Vec<(Uuid, Stored)> {
    let mut triples: Vec<(Uuid, Stored)> =
        app.triples.entities_with(attr_id).flat_map(|e| app.triples.values(e, attr_id).iter().map(move |s| (e, s.clone()))).collect();
    triples.sort_by(|(ea, a), (eb, b)| a.created_at.cmp(&b.created_at).then(ea.cmp(eb)));
    triples
}

fn sample_row(entity: Uuid, value: &Value) -> Value {
    json!({"entity_id": entity.to_string(), "value": value, "json_type": json_type(value)})
}

/// A key equal for values the database's `jsonb` equality calls equal (numbers by value,
/// objects whatever their key order).
fn value_key(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("n{:?}", n.as_f64().unwrap_or(0.0)),
        Value::Array(items) => format!("[{}]", items.iter().map(value_key).collect::<Vec<_>>().join(",")),
        Value::Object(map) => {
            let mut entries: Vec<String> = map.iter().map(|(k, v)| format!("{k:?}:{}", value_key(v))).collect();
            entries.sort();
            format!("{{{}}}", entries.join(","))
        }
        other => other.to_string(),
    }
}

/// The first non-null value, walking `values` in order, that an earlier entry already held
/// (the unique index ignores `null`s): what a uniqueness constraint would trip over.
pub(super) fn first_duplicate(values: &[(Uuid, Value)]) -> Option<Value> {
    let mut seen = HashSet::new();
    values.iter().filter(|(_, v)| !v.is_null()).find(|(_, v)| !seen.insert(value_key(v))).map(|(_, v)| v.clone())
}

/// The entities of `etype` (those with its `id`), in creation order.
fn entities_of(app: &App, etype: &str) -> Vec<Uuid> {
    app.attrs.fwd(etype, "id").map(|id_attr| triples_of(app, id_attr.id).into_iter().map(|(e, _)| e).collect()).unwrap_or_default()
}

fn estimate(total: usize) -> i64 {
    // `(int (* 1.05 total))`: truncated.
    (total as f64 * 1.05) as i64
}

/// Zero work is never recorded (`add-work-completed!` only adds a positive count).
fn work(count: usize) -> Option<i64> {
    (count > 0).then_some(count as i64)
}

/// How a finished job ended.
enum Outcome {
    Completed { estimate: Option<i64>, work_completed: Option<i64> },
    Errored(Failure),
}

/// Where and why a job failed, with the details its error has.
struct Failure {
    stage: &'static str,
    error: &'static str,
    estimate: Option<i64>,
    work_completed: Option<i64>,
    invalid_unique_value: Option<Value>,
    invalid_entity_id: Option<Uuid>,
    error_data: Option<Value>,
}

fn failure(stage: &'static str, error: &'static str, estimate: Option<i64>, work_completed: Option<i64>) -> Failure {
    Failure { stage, error, estimate, work_completed, invalid_unique_value: None, invalid_entity_id: None, error_data: None }
}

fn errored(stage: &'static str, error: &'static str, estimate: Option<i64>, work_completed: Option<i64>) -> Outcome {
    Outcome::Errored(failure(stage, error, estimate, work_completed))
}

/// The estimate the job has once its estimating stage ran.
fn work_estimate(app: &App, attr: &Attr, job_type: JobType) -> Option<i64> {
    let triples = app.triples.entities_with(attr.id).map(|e| app.triples.values(e, attr.id).len()).sum::<usize>();
    match job_type {
        JobType::CheckDataType => Some(estimate(triples * 3)),
        JobType::Index if !attr.is_ref() => Some(estimate(triples) + entities_of(app, &attr.forward.etype).len().max(1) as i64),
        JobType::Required => Some(estimate(entities_of(app, &attr.forward.etype).len().max(1) * 2)),
        JobType::RemoveRequired => None,
        _ => Some(estimate(triples)),
    }
}

/// The live, app-owned attribute a job changes.
fn job_attr(app: &App, job: &IndexingJob) -> Option<Attr> {
    app.attrs.get(job.attr_id).filter(|a| !a.system).cloned()
}

/// Runs a job to its end over the app's current data.
fn run(app: &App, job: &IndexingJob) -> Outcome {
    let Some(attr) = job_attr(app, job) else {
        return errored(attr_stage(job.job_type), INVALID_ATTR_STATE_ERROR, None, None);
    };
    let estimate = work_estimate(app, &attr, job.job_type);
    let triples = triples_of(app, attr.id);
    let count = triples.len();
    match job.job_type {
        JobType::CheckDataType => {
            let Some(data_type) = job.checked_data_type else {
                return errored("validate", UNEXPECTED_ERROR, estimate, None);
            };
            if triples.iter().any(|(_, s)| !fits_type(&s.value, data_type)) {
                return errored("validate", INVALID_TRIPLE_ERROR, estimate, work(count.min(REQUIRED_BATCH)));
            }
            Outcome::Completed { estimate, work_completed: work(count * 3) }
        }
        JobType::Index | JobType::Unique => {
            // The unique index ignores `null`s.
            let mut seen = HashSet::new();
            for (entity, stored) in &triples {
                if jsonb::size(&stored.value) > MAX_INDEXED_BYTES {
                    return Outcome::Errored(Failure {
                        invalid_entity_id: Some(*entity),
                        ..failure("update-triples", TRIPLE_TOO_LARGE_ERROR, estimate, None)
                    });
                }
                let unique = job.job_type == JobType::Unique && !stored.value.is_null();
                if unique && !seen.insert(value_key(&stored.value)) {
                    return Outcome::Errored(Failure {
                        invalid_unique_value: Some(stored.value.clone()),
                        ..failure("update-triples", TRIPLE_NOT_UNIQUE_ERROR, estimate, None)
                    });
                }
            }
            let nulls_checked =
                if job.job_type == JobType::Index && !attr.is_ref() { entities_of(app, &attr.forward.etype).len() } else { 0 };
            Outcome::Completed { estimate, work_completed: work(count + nulls_checked) }
        }
        JobType::Required => {
            let etype = attr.forward.etype.clone();
            if app.attrs.fwd(&etype, "id").is_none() {
                return Outcome::Errored(Failure {
                    error_data: Some(json!({"attr-id": attr.id.to_string(), "etype": etype})),
                    ..failure("validate", MISSING_REQUIRED_ERROR, estimate, None)
                });
            }
            let entities: Vec<Uuid> = entities_of(app, &etype).into_iter().take(REQUIRED_BATCH).collect();
            let missing: Vec<Uuid> =
                entities.iter().copied().filter(|e| !app.triples.values(*e, attr.id).iter().any(|s| !s.value.is_null())).collect();
            if !missing.is_empty() {
                let ids: Vec<String> = missing.iter().take(10).map(Uuid::to_string).collect();
                return Outcome::Errored(Failure {
                    error_data: Some(json!({"count": missing.len(), "etype": etype, "label": attr.forward.label, "entity-ids": ids})),
                    ..failure("validate", MISSING_REQUIRED_ERROR, estimate, work(entities.len()))
                });
            }
            Outcome::Completed { estimate, work_completed: work(entities.len() * 2) }
        }
        JobType::RemoveRequired => Outcome::Completed { estimate, work_completed: None },
        JobType::RemoveDataType | JobType::RemoveIndex | JobType::RemoveUnique => {
            Outcome::Completed { estimate, work_completed: work(count) }
        }
    }
}

/// The completed job's change to its attribute; a new index also gives every entity without a
/// value an explicit `null` (the `insert-nulls` stage).
fn take_effect(app: &mut App, job: &IndexingJob, now: i64) {
    let Some(attr) = app.attrs.get_mut(job.attr_id) else { return };
    match job.job_type {
        JobType::CheckDataType => attr.checked_type = job.checked_data_type,
        JobType::RemoveDataType => attr.checked_type = None,
        JobType::Index => attr.indexed = true,
        JobType::RemoveIndex => attr.indexed = false,
        JobType::Unique => attr.unique = true,
        JobType::RemoveUnique => attr.unique = false,
        JobType::Required => attr.required = true,
        JobType::RemoveRequired => attr.required = false,
    }
    if job.job_type == JobType::Index && !attr.is_ref() {
        let (etype, id) = (attr.forward.etype.clone(), attr.id);
        crate::schema::backfill_nulls(app, &etype, id, now);
    }
}

/// One poll of one job: a job that has not finished moves on, to `processing` or, on its last
/// poll, to its end.
fn advance(app: &mut App, job_id: Uuid, now: i64) {
    let finish_after = app.indexing_jobs.polls_to_finish.max(1);
    let Some(job) = app.indexing_jobs.get(job_id).cloned() else { return };
    if job.status.is_final() {
        return;
    }
    let mut job = IndexingJob { polls: job.polls.saturating_add(1), updated_at: now, worker_id: Some(WORKER_ID.into()), ..job };
    if job.polls < finish_after {
        job.status = JobStatus::Processing;
        job.stage = working_stage(job.job_type);
        job.work_estimate = job_attr(app, &job).and_then(|attr| work_estimate(app, &attr, job.job_type));
    } else {
        match run(app, &job) {
            Outcome::Completed { estimate, work_completed } => {
                take_effect(app, &job, now);
                job.status = JobStatus::Completed;
                job.stage = last_stage(job.job_type);
                job.work_estimate = estimate;
                job.work_completed = work_completed;
                job.done_at = Some(now);
            }
            Outcome::Errored(Failure { stage, error, estimate, work_completed, invalid_unique_value, invalid_entity_id, error_data }) => {
                job.status = JobStatus::Errored;
                job.stage = stage;
                job.error = Some(error);
                job.work_estimate = estimate;
                job.work_completed = work_completed;
                job.invalid_unique_value = invalid_unique_value;
                job.invalid_entity_id = invalid_entity_id;
                job.error_data = error_data;
            }
        }
    }
    if let Some(slot) = app.indexing_jobs.get_mut(job_id) {
        *slot = job;
    }
}

/// `attr_name`: the attribute's `etype.label` now (branded once soft-deleted), `null` when gone.
fn attr_name(app: &App, attr_id: Uuid) -> Value {
    if let Some(attr) = app.attrs.get(attr_id) {
        return json!(attr.ident_name());
    }
    app.attrs
        .deleted()
        .find(|d| d.attr.id == attr_id)
        .map(|d| json!(format!("{}.{}", d.branded(&d.attr.forward.etype), d.branded(&d.attr.forward.label))))
        .unwrap_or(Value::Null)
}

/// `invalid_triples_sample`, read from the current data as the server's query reads it: up to
/// 10 `{entity_id, value, json_type}` for the errors that have one, else `null`.
fn invalid_triples_sample(app: &App, job: &IndexingJob) -> Value {
    let rows: Vec<Value> = match job.error {
        Some(INVALID_TRIPLE_ERROR) if job.job_type == JobType::CheckDataType => {
            let Some(data_type) = job.checked_data_type else { return Value::Null };
            triples_of(app, job.attr_id)
                .iter()
                .filter(|(_, s)| !fits_type(&s.value, data_type))
                .map(|(e, s)| sample_row(*e, &s.value))
                .collect()
        }
        Some(TRIPLE_NOT_UNIQUE_ERROR) => {
            let Some(unique) = &job.invalid_unique_value else { return Value::Null };
            triples_of(app, job.attr_id).iter().filter(|(_, s)| json_eq(&s.value, unique)).map(|(e, s)| sample_row(*e, &s.value)).collect()
        }
        Some(TRIPLE_TOO_LARGE_ERROR) => triples_of(app, job.attr_id)
            .iter()
            .filter(|(e, _)| Some(*e) == job.invalid_entity_id)
            .map(|(e, s)| sample_row(*e, &s.value))
            .collect(),
        Some(MISSING_REQUIRED_ERROR) => {
            let ids: Vec<&str> = job
                .error_data
                .as_ref()
                .and_then(|d| d.get("entity-ids"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let etype = app.attrs.get(job.attr_id).map(|a| a.forward.etype.clone()).unwrap_or_default();
            entities_of(app, &etype)
                .into_iter()
                .filter(|e| ids.contains(&e.to_string().as_str()))
                .map(|e| json!({"entity_id": e.to_string(), "value": null, "json_type": "null"}))
                .collect()
        }
        _ => return Value::Null,
    };
    if rows.is_empty() {
        // `json_agg` over no rows.
        return Value::Null;
    }
    Value::Array(rows.into_iter().take(10).collect())
}

/// The job as `GET …/indexing-jobs/…` answers it (`job->client-format`).
pub(super) fn client_json(app: &App, job: &IndexingJob) -> Value {
    json!({
        "id": job.id.to_string(),
        "app_id": app.id.to_string(),
        "group_id": job.group_id.map(|g| g.to_string()),
        "attr_id": job.attr_id.to_string(),
        "attr_name": attr_name(app, job.attr_id),
        "job_type": job.job_type.name(),
        "job_status": job.status.name(),
        "job_stage": job.stage,
        "work_estimate": job.work_estimate,
        "work_completed": job.work_completed,
        "error": job.error,
        "checked_data_type": job.checked_data_type.map(DataType::name),
        "created_at": iso_seconds(job.created_at),
        "updated_at": iso_seconds(job.updated_at),
        "done_at": job.done_at.map(iso_seconds),
        "invalid_unique_value": job.invalid_unique_value,
        "error_data": job.error_data,
        "invalid_triples_sample": invalid_triples_sample(app, job),
    })
}

/// Polls a group: see [`super::poll_group`].
pub fn poll_group(app: &mut App, group_id: Uuid, now: i64) -> Value {
    let ids = app.indexing_jobs.group_ids(group_id);
    for id in &ids {
        advance(app, *id, now);
    }
    let jobs: Vec<Value> = ids.iter().filter_map(|id| app.indexing_jobs.get(*id)).map(|job| client_json(app, job)).collect();
    json!({"jobs": jobs})
}

/// Polls one job: see [`super::job`].
pub fn job(app: &mut App, job_id: Uuid, now: i64) -> Value {
    advance(app, job_id, now);
    let job = app.indexing_jobs.get(job_id).map(|job| client_json(app, job)).unwrap_or_else(|| json!({}));
    json!({"job": job})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Attr;

    const NOW: i64 = 1_787_344_774_000;

    fn app_with(attr: Attr) -> App {
        let mut app = App::new(Uuid::new_v4(), Uuid::new_v4());
        app.attrs.push(Attr { unique: true, ..Attr::blob(&attr.forward.etype, "id") });
        app.attrs.push(attr);
        app
    }

    fn write(app: &mut App, etype: &str, label: &str, entity: Uuid, value: Value) {
        let id_attr = app.attrs.fwd(etype, "id").cloned().expect("id attr");
        let attr = app.attrs.fwd(etype, label).cloned().expect("attr");
        app.triples.add(entity, &id_attr, json!(entity.to_string()), NOW);
        app.triples.add(entity, &attr, value, NOW);
    }

    fn queue(app: &mut App, attr_id: Uuid, job_type: JobType) -> Uuid {
        let job = new_job(Uuid::new_v4(), attr_id, job_type, None, NOW);
        let id = job.id;
        app.indexing_jobs.push(job);
        id
    }

    #[test]
    fn stages_match_the_server() {
        assert_eq!(first_stage(JobType::CheckDataType), "estimate-work");
        assert_eq!(last_stage(JobType::Required), "revalidate");
        assert_eq!(stages(JobType::RemoveRequired), ["update-attr"]);
        assert_eq!(last_stage(JobType::Index), "update-attr-done");
        for job_type in JobType::ALL {
            assert!(stages(job_type).contains(&working_stage(job_type)), "{job_type:?}");
            assert!(stages(job_type).contains(&attr_stage(job_type)), "{job_type:?}");
        }
    }

    #[test]
    fn jsonb_equal_values_share_a_key() {
        assert_eq!(value_key(&json!(1)), value_key(&json!(1.0)));
        assert_eq!(value_key(&json!({"a": 1, "b": [2]})), value_key(&json!({"b": [2.0], "a": 1})));
        assert_ne!(value_key(&json!("1")), value_key(&json!(1)));
        let values = [(Uuid::nil(), json!(null)), (Uuid::nil(), json!(null)), (Uuid::max(), json!(2)), (Uuid::nil(), json!(2.0))];
        assert_eq!(first_duplicate(&values), Some(json!(2.0)), "nulls never clash");
    }

    #[test]
    fn an_index_over_a_value_too_large_fails_with_its_entity() {
        let mut app = app_with(Attr::blob("docs", "body"));
        let attr = app.attrs.fwd("docs", "body").expect("attr").id;
        let entity = Uuid::new_v4();
        let big = "x".repeat(2_000);
        write(&mut app, "docs", "body", entity, json!(big));
        let job_id = queue(&mut app, attr, JobType::Index);
        let answer = job(&mut app, job_id, NOW);
        let job = &answer["job"];
        assert_eq!((job["job_status"].as_str(), job["error"].as_str()), (Some("errored"), Some(TRIPLE_TOO_LARGE_ERROR)));
        assert_eq!(job["invalid_triples_sample"], json!([{"entity_id": entity.to_string(), "value": big, "json_type": "string"}]));
        assert!(!app.attrs.get(attr).expect("attr").indexed);
    }

    #[test]
    fn a_completed_index_backfills_nulls() {
        let mut app = app_with(Attr::blob("docs", "body"));
        app.attrs.push(Attr::blob("docs", "title"));
        let body = app.attrs.fwd("docs", "body").expect("attr").id;
        let entity = Uuid::new_v4();
        write(&mut app, "docs", "title", entity, json!("t"));
        let job_id = queue(&mut app, body, JobType::Index);
        let answer = job(&mut app, job_id, NOW);
        assert_eq!(answer["job"]["job_status"], "completed");
        assert_eq!(answer["job"]["work_completed"], 1, "one entity checked for a missing value");
        assert_eq!(app.triples.value(entity, body).map(|s| s.value.clone()), Some(Value::Null));
    }

    #[test]
    fn a_job_whose_attribute_is_gone_errors() {
        let mut app = app_with(Attr::blob("docs", "body"));
        let attr = app.attrs.fwd("docs", "body").expect("attr").id;
        let job_id = queue(&mut app, attr, JobType::Unique);
        app.attrs.soft_delete(attr, NOW);
        let answer = job(&mut app, job_id, NOW);
        let job = &answer["job"];
        assert_eq!((job["error"].as_str(), job["job_stage"].as_str()), (Some(INVALID_ATTR_STATE_ERROR), Some("update-attr-start")));
        assert_eq!(job["attr_name"], format!("{attr}_deleted$docs.{attr}_deleted$body"));
        // a system attribute is no app's to change
        let email = app.attrs.fwd("$users", "email").expect("email").id;
        let job_id = queue(&mut app, email, JobType::RemoveUnique);
        assert_eq!(self::job(&mut app, job_id, NOW)["job"]["error"], INVALID_ATTR_STATE_ERROR);
        assert!(app.attrs.get(email).expect("email").unique);
    }

    #[test]
    fn remove_required_has_no_estimate_and_completes_at_once() {
        let mut app = app_with(Attr { required: true, ..Attr::blob("docs", "body") });
        let attr = app.attrs.fwd("docs", "body").expect("attr").id;
        let job_id = queue(&mut app, attr, JobType::RemoveRequired);
        let answer = job(&mut app, job_id, NOW + 1_000);
        let job = &answer["job"];
        assert_eq!((job["job_status"].as_str(), job["job_stage"].as_str()), (Some("completed"), Some("update-attr")));
        assert_eq!((job["work_estimate"].as_i64(), job["work_completed"].as_i64()), (None, None));
        assert_eq!(job["created_at"], "2026-08-21T20:39:34Z");
        assert_eq!(job["done_at"], "2026-08-21T20:39:35Z");
        assert!(!app.attrs.get(attr).expect("attr").required);
    }
}
