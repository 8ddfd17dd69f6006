//! Applying schema steps (platform spec §4.8; `apply-plan!`, `apply-plan-with-deletes!`,
//! `create-indexing-jobs` in `srv/model/schema.clj`): the attribute steps are transacted, then
//! each constraint step becomes a waiting job of one fresh group.
//!
//! Unlike the server, which commits the transaction before it creates the jobs, the emulator
//! works on a copy of the app and keeps it only when the steps and the jobs all succeeded, so a
//! bad job step (unknown attribute, unknown data type) changes nothing.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::jobs;
use crate::error::{ApiError, ApiResult};
use crate::store::system_catalog::name_problem;
use crate::store::{App, Attr, Ident, JobType, ValueType};
use crate::values::iso_seconds;

/// What applying steps did: the apply responses' `transaction`, `steps` and `indexing-jobs`.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplyResult {
    /// `{"id", "app_id", "created_at", "results"}`, or `{}` when no step was transacted.
    pub transaction: Value,
    /// The steps as given, each constraint step's params gaining `"job-id"`.
    pub steps: Vec<Value>,
    /// `{"group-id", "jobs": [<raw job rows>]}`, or `None` (`null`) when no step made a job.
    pub indexing_jobs: Option<Value>,
}

impl ApplyResult {
    /// `{"transaction", "steps", "indexing-jobs"}`: the body of
    /// `POST /dash/apps/:app_id/schema/steps/apply`.
    pub fn to_wire(&self) -> Value {
        json!({"transaction": self.transaction, "steps": self.steps, "indexing-jobs": self.indexing_jobs})
    }
}

/// Which attribute steps a route transacts; the others pass through untouched.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// `…/schema/push/apply`: `add-attr` and `update-attr`.
    Push,
    /// `…/schema/steps/apply`: those and `delete-attr`.
    Steps,
}

impl Route {
    fn transacts(self, op: &str) -> bool {
        matches!(op, "add-attr" | "update-attr") || (self == Route::Steps && op == "delete-attr")
    }
}

fn op_of(step: &Value) -> Option<&str> {
    step.get(0).and_then(Value::as_str)
}

fn uuid_of(value: Option<&Value>) -> Option<Uuid> {
    value.and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

fn invalid_step(step: &Value, message: String) -> ApiError {
    ApiError::validation("tx-steps", step.clone(), vec![json!({"message": message})])
}

/// Applies `steps` to `app` as `route` does, in transaction `tx_id` started at `now`.
pub(super) fn apply(app: &mut App, steps: &[Value], route: Route, tx_id: u64, now: i64) -> ApiResult<ApplyResult> {
    let mut draft = app.clone();
    let tx_steps: Vec<&Value> = steps.iter().filter(|s| op_of(s).is_some_and(|op| route.transacts(op))).collect();
    let transaction = if tx_steps.is_empty() { json!({}) } else { transact(&mut draft, &tx_steps, tx_id, now)? };
    let (steps, indexing_jobs) = create_jobs(&mut draft, steps, now)?;
    *app = draft;
    Ok(ApplyResult { transaction, steps, indexing_jobs })
}

/// Runs the attribute steps grouped by kind, groups in the order their kind first appears
/// (`transact-without-tx-conn-impl!`), then `validate-update-required!`.
fn transact(app: &mut App, steps: &[&Value], tx_id: u64, now: i64) -> ApiResult<Value> {
    let mut order: Vec<&str> = Vec::new();
    for op in steps.iter().filter_map(|s| op_of(s)) {
        if !order.contains(&op) {
            order.push(op);
        }
    }
    let mut results = Map::new();
    let mut required_updates = Vec::new();
    for op in order {
        let group: Vec<Value> = steps.iter().filter(|s| op_of(s) == Some(op)).map(|s| (*s).clone()).collect();
        let result = match op {
            "add-attr" => add_attrs(app, &group, now)?,
            "delete-attr" => delete_attrs(app, &group, now)?,
            _ => {
                let (result, required) = update_attrs(app, &group, now)?;
                required_updates.extend(required);
                result
            }
        };
        results.insert(op.to_owned(), result);
    }
    validate_update_required(app, &required_updates)?;
    Ok(json!({"id": tx_id, "app_id": app.id.to_string(), "created_at": iso_seconds(now), "results": results}))
}

/// `add-attr` through the transaction engine's `add-attr` (the server's `insert-multi!`
/// checks); the result lists what was inserted: attributes, identities and the `null`s
/// back-filled for new indexed attributes.
fn add_attrs(app: &mut App, group: &[Value], now: i64) -> ApiResult<Value> {
    for step in group {
        let cardinality = step.get(1).and_then(|a| a.get("cardinality"));
        if !matches!(cardinality.and_then(Value::as_str), Some("one" | "many")) {
            return Err(invalid_step(step, "Invalid attr: `cardinality` must be \"one\" or \"many\"".into()));
        }
        // `validate-system-ident-names!`: no system column's name, no new `$` namespace (a
        // pushed `$things` plans fine and fails here, as on the server).
        let attr = step.get(1).cloned().unwrap_or(Value::Null);
        for key in ["forward-identity", "reverse-identity"] {
            let ident = attr.get(key).and_then(Value::as_array);
            let part = |i: usize| ident.and_then(|p| p.get(i)).and_then(Value::as_str);
            if let (Some(etype), Some(label)) = (part(1), part(2)) {
                if let Some(problem) = name_problem(etype, label) {
                    return Err(ApiError::validation_msg("attributes", attr.clone(), problem));
                }
            }
        }
    }
    let before: Vec<Uuid> = app.attrs.iter().map(|a| a.id).collect();
    crate::transact::apply_internal(app, &Value::Array(group.to_vec()), now)?;
    let added: Vec<Attr> = app.attrs.iter().filter(|a| !before.contains(&a.id)).cloned().collect();
    let idents: Vec<Value> =
        added.iter().flat_map(|a| std::iter::once(&a.forward).chain(&a.reverse)).map(|i| json!({"id": i.id.to_string()})).collect();
    let triples: Vec<Value> = added
        .iter()
        .filter(|a| a.indexed && !a.is_ref())
        .flat_map(|a| app.triples.entities_with(a.id).map(|e| json!({"entity_id": e.to_string()})).collect::<Vec<_>>())
        .collect();
    let attrs: Vec<Value> = added.iter().map(|a| json!({"id": a.id.to_string()})).collect();
    Ok(json!({"attrs": attrs, "idents": idents, "triples": triples}))
}

/// `delete-attr` (a bare attribute id) through the transaction engine, which soft-deletes as
/// the server's `soft-delete-multi!` does; the result counts the attributes and identities
/// marked.
fn delete_attrs(app: &mut App, group: &[Value], now: i64) -> ApiResult<Value> {
    let doomed: Vec<&Attr> =
        group.iter().filter_map(|s| uuid_of(s.get(1))).filter_map(|id| app.attrs.get(id)).filter(|a| !a.system).collect();
    let (attrs, reverse) = (doomed.len(), doomed.iter().filter(|a| a.reverse.is_some()).count());
    crate::transact::apply_internal(app, &Value::Array(group.to_vec()), now)?;
    Ok(json!([{"count": attrs}, {"count": attrs}, {"count": reverse}]))
}

/// An `update-attr` read: which attribute, and each column it sets.
struct Update {
    id: Uuid,
    forward: Option<(String, String)>,
    reverse: Option<(Uuid, String, String)>,
    value_type: Option<ValueType>,
    cardinality_one: Option<bool>,
    unique: Option<bool>,
    indexed: Option<bool>,
    required: Option<bool>,
    on_delete_cascade: bool,
    on_delete_reverse_cascade: bool,
}

fn read_update(step: &Value) -> ApiResult<Update> {
    let Some(wire) = step.get(1).filter(|w| w.is_object()) else {
        return Err(invalid_step(step, "Invalid attr update: expected a map".into()));
    };
    let id = uuid_of(wire.get("id")).ok_or_else(|| invalid_step(step, "Invalid attr update: `id` must be a UUID".into()))?;
    let ident = |key: &str| -> ApiResult<Option<(Uuid, String, String)>> {
        match wire.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                let parts = value.as_array();
                let part = |i: usize| parts.and_then(|p| p.get(i));
                match (uuid_of(part(0)), part(1).and_then(Value::as_str), part(2).and_then(Value::as_str)) {
                    (Some(ident_id), Some(etype), Some(label)) if parts.is_some_and(|p| p.len() == 3) => {
                        Ok(Some((ident_id, etype.to_owned(), label.to_owned())))
                    }
                    _ => Err(invalid_step(step, format!("Invalid attr update: `{key}` must be [id, etype, label]"))),
                }
            }
        }
    };
    let text = |key: &str| wire.get(key).and_then(Value::as_str);
    let value_type = match wire.get("value-type") {
        None | Some(Value::Null) => None,
        _ => match text("value-type") {
            Some("blob") => Some(ValueType::Blob),
            Some("ref") => Some(ValueType::Ref),
            _ => return Err(invalid_step(step, "Invalid attr update: `value-type` must be \"blob\" or \"ref\"".into())),
        },
    };
    let cardinality_one = match wire.get("cardinality") {
        None | Some(Value::Null) => None,
        _ => match text("cardinality") {
            Some("one") => Some(true),
            Some("many") => Some(false),
            _ => return Err(invalid_step(step, "Invalid attr update: `cardinality` must be \"one\" or \"many\"".into())),
        },
    };
    let flag = |key: &str| wire.get(key).and_then(Value::as_bool);
    Ok(Update {
        id,
        forward: ident("forward-identity")?.map(|(_, etype, label)| (etype, label)),
        reverse: ident("reverse-identity")?,
        value_type,
        cardinality_one,
        unique: flag("unique?"),
        indexed: flag("index?"),
        required: flag("required?"),
        on_delete_cascade: text("on-delete") == Some("cascade"),
        on_delete_reverse_cascade: text("on-delete-reverse") == Some("cascade"),
    })
}

/// `update-multi!`: each listed column is set, the others kept, except `on-delete` and
/// `on-delete-reverse`, which the server sets to whatever the step says, so a step without them
/// clears a cascade. A renamed identity keeps its identity id (the server renames the
/// `attrs` row whatever id the step gives, e.g. the client's attr id). Unknown and system
/// attributes are left alone: the server's update matches no row of the app.
///
/// The emulator refuses what would break its store where the database would refuse it too: a
/// name another attribute has (`record-not-unique`), uniqueness over values held twice, and
/// cardinality one over entities holding several values.
fn update_attrs(app: &mut App, group: &[Value], now: i64) -> ApiResult<(Value, Vec<Uuid>)> {
    let updates: Vec<(Update, &Value)> = group.iter().map(|s| read_update(s).map(|u| (u, s))).collect::<ApiResult<_>>()?;
    // `validate-system-ident-names!` runs over every update before any is written.
    for (update, step) in &updates {
        let names = update.forward.iter().cloned().chain(update.reverse.iter().map(|(_, e, l)| (e.clone(), l.clone())));
        for (etype, label) in names {
            if let Some(problem) = name_problem(&etype, &label) {
                return Err(ApiError::validation_msg("attributes", step.get(1).cloned().unwrap_or(Value::Null), problem));
            }
        }
    }
    let mut count = 0usize;
    let mut required = Vec::new();
    for (update, _) in &updates {
        let Some(current) = app.attrs.get(update.id).filter(|a| !a.system).cloned() else { continue };
        let updated = updated_attr(&current, update);
        check_update(app, &current, &updated)?;
        let backfill = updated.indexed && !current.indexed && !updated.is_ref();
        let etype = updated.forward.etype.clone();
        if let Some(attr) = app.attrs.get_mut(update.id) {
            *attr = updated;
        }
        if backfill {
            crate::schema::backfill_nulls(app, &etype, update.id, now);
        }
        count += 1 + usize::from(update.forward.is_some()) + usize::from(update.reverse.is_some());
        if update.required == Some(true) {
            required.push(update.id);
        }
    }
    Ok((json!([{"count": count}]), required))
}

fn updated_attr(current: &Attr, update: &Update) -> Attr {
    let mut attr = current.clone();
    if let Some((etype, label)) = &update.forward {
        attr.forward.etype = etype.clone();
        attr.forward.label = label.clone();
    }
    if let Some(value_type) = update.value_type {
        attr.value_type = value_type;
    }
    if let Some((ident_id, etype, label)) = &update.reverse {
        let is_ref = attr.is_ref();
        match attr.reverse.as_mut() {
            Some(reverse) => {
                reverse.etype = etype.clone();
                reverse.label = label.clone();
            }
            None if is_ref => attr.reverse = Some(Ident { id: *ident_id, etype: etype.clone(), label: label.clone() }),
            None => {}
        }
    }
    if let Some(one) = update.cardinality_one {
        attr.cardinality_one = one;
    }
    if let Some(unique) = update.unique {
        attr.unique = unique;
    }
    if let Some(indexed) = update.indexed {
        attr.indexed = indexed;
    }
    if let Some(required) = update.required {
        attr.required = required;
    }
    attr.on_delete_cascade = update.on_delete_cascade;
    attr.on_delete_reverse_cascade = update.on_delete_reverse_cascade;
    attr
}

fn not_unique_triple(attr: &Attr, value: &Value) -> ApiError {
    ApiError::bad_request(
        "record-not-unique",
        "Record not unique: triple",
        json!({"record-type": "triple", "attr-id": attr.id.to_string(), "etype": attr.forward.etype,
               "label": attr.forward.label, "value": value}),
    )
}

fn check_update(app: &App, current: &Attr, updated: &Attr) -> ApiResult<()> {
    let same_name = |a: &Ident, b: &Ident| a.etype == b.etype && a.label == b.label;
    let mut renamed: Vec<&Ident> = Vec::new();
    if !same_name(&current.forward, &updated.forward) {
        renamed.push(&updated.forward);
    }
    match (&current.reverse, &updated.reverse) {
        (Some(before), Some(after)) if !same_name(before, after) => renamed.push(after),
        (None, Some(after)) => renamed.push(after),
        _ => {}
    }
    for after in renamed {
        if app.attrs.named(&after.etype, &after.label).is_some_and(|other| other.id != updated.id) {
            return Err(ApiError::bad_request(
                "record-not-unique",
                format!("`{}` already exists on `{}`", after.label, after.etype),
                json!({"record-type": "ident", "etype": after.etype, "label": after.label}),
            ));
        }
    }
    let values: Vec<(Uuid, Value)> = app
        .triples
        .entities_with(updated.id)
        .flat_map(|e| app.triples.values(e, updated.id).iter().map(move |s| (e, s.value.clone())))
        .collect();
    if updated.cardinality_one && !current.cardinality_one {
        let mut seen: Vec<Uuid> = Vec::new();
        for (entity, value) in &values {
            if seen.contains(entity) {
                return Err(not_unique_triple(updated, value));
            }
            seen.push(*entity);
        }
    }
    if updated.unique && !current.unique {
        if let Some(value) = jobs::first_duplicate(&values) {
            return Err(not_unique_triple(updated, &value));
        }
    }
    Ok(())
}

/// `validate-update-required!`: an attribute an update made required must have a value on
/// every entity of its namespace that has any (the app's own attributes counted).
fn validate_update_required(app: &App, ids: &[Uuid]) -> ApiResult<()> {
    for id in ids {
        let Some(attr) = app.attrs.get(*id) else { continue };
        let with_value = |attr_id: Uuid| {
            app.triples.entities_with(attr_id).filter(move |e| app.triples.values(*e, attr_id).iter().any(|s| !s.value.is_null()))
        };
        let mut entities: Vec<Uuid> =
            app.attrs.of_etype(&attr.forward.etype).filter(|a| !a.system).flat_map(|a| with_value(a.id).collect::<Vec<_>>()).collect();
        entities.sort();
        entities.dedup();
        if with_value(attr.id).count() != entities.len() {
            return Err(ApiError::validation_msg(
                "attributes",
                json!({"id": attr.id.to_string()}),
                format!(
                    "Can't update attribute `{}` to required because `{}` already have entities without it",
                    attr.forward.label, attr.forward.etype
                ),
            ));
        }
    }
    Ok(())
}

/// `create-indexing-jobs`: one waiting job per constraint step, sharing a fresh group id; each
/// such step's params gain `"job-id"`. Other steps pass through as they are.
fn create_jobs(app: &mut App, steps: &[Value], now: i64) -> ApiResult<(Vec<Value>, Option<Value>)> {
    let group_id = Uuid::new_v4();
    let mut out = Vec::with_capacity(steps.len());
    let mut rows = Vec::new();
    for step in steps {
        let Some(job_type) = op_of(step).and_then(JobType::parse) else {
            out.push(step.clone());
            continue;
        };
        let params = step.get(1).and_then(Value::as_object).ok_or_else(|| invalid_step(step, "Invalid step: expected a map".into()))?;
        let attr_id = uuid_of(params.get("attr-id")).ok_or_else(|| invalid_step(step, "Invalid step: `attr-id` must be a UUID".into()))?;
        let known = app.attrs.get(attr_id).is_some() || app.attrs.deleted().any(|d| d.attr.id == attr_id);
        if !known {
            return Err(ApiError::record_not_found("attrs", json!({"attr-id": attr_id.to_string()})));
        }
        let checked_data_type = match job_type {
            JobType::CheckDataType => {
                let name = params.get("checked-data-type").and_then(Value::as_str).unwrap_or_default();
                let parsed = crate::values::DataType::parse(name);
                Some(parsed.ok_or_else(|| invalid_step(step, format!("Invalid step: unknown checked-data-type {name:?}")))?)
            }
            _ => None,
        };
        let job = jobs::new_job(group_id, attr_id, job_type, checked_data_type, now);
        rows.push(jobs::raw_row(app.id, &job));
        let mut params = params.clone();
        params.insert("job-id".into(), json!(job.id.to_string()));
        let mut rewritten = step.clone();
        if let Some(slot) = rewritten.get_mut(1) {
            *slot = Value::Object(params);
        }
        out.push(rewritten);
        app.indexing_jobs.push(job);
    }
    let indexing_jobs = (!rows.is_empty()).then(|| json!({"group-id": group_id.to_string(), "jobs": rows}));
    Ok((out, indexing_jobs))
}

/// `tx/coerce!`'s checks of the steps route's body: a list of lists.
pub(super) fn read_wire_steps(wire_steps: &Value) -> ApiResult<Vec<Value>> {
    let list = match wire_steps {
        Value::Null => return Err(ApiError::param_missing(&["body", "steps"], None)),
        Value::Array(list) => list,
        other => return Err(ApiError::param_malformed(&["body", "steps"], other.clone(), None)),
    };
    for (index, step) in list.iter().enumerate() {
        if !step.is_array() {
            return Err(ApiError::validation("tx-steps", wire_steps.clone(), vec![json!({"expected": "coll?", "in": [index]})]));
        }
    }
    Ok(list.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_with_todos() -> App {
        let mut app = App::new(Uuid::new_v4(), Uuid::new_v4());
        app.attrs.push(Attr { unique: true, ..Attr::blob("todos", "id") });
        app.attrs.push(Attr::link("todos", "tags", "tags", "todos"));
        app
    }

    #[test]
    fn an_update_of_a_system_or_unknown_attribute_changes_nothing() {
        let mut app = app_with_todos();
        let email = app.attrs.fwd("$users", "email").expect("email").id;
        let steps =
            json!([["update-attr", {"id": email.to_string(), "unique?": false}], ["update-attr", {"id": Uuid::new_v4().to_string()}]]);
        let result = apply(&mut app, &steps.as_array().cloned().unwrap_or_default(), Route::Steps, 1, 0).expect("applies");
        assert_eq!(result.transaction["results"]["update-attr"], json!([{"count": 0}]));
        assert!(app.attrs.get(email).expect("email").unique);
    }

    #[test]
    fn cardinality_one_needs_one_value_per_entity() {
        let mut app = app_with_todos();
        let link = app.attrs.fwd("todos", "tags").cloned().expect("link");
        let todo = Uuid::new_v4();
        app.triples.add(todo, &link, json!(Uuid::new_v4().to_string()), 0);
        app.triples.add(todo, &link, json!(Uuid::new_v4().to_string()), 0);
        let steps = vec![json!(["update-attr", {"id": link.id.to_string(), "cardinality": "one"}])];
        let error = apply(&mut app, &steps, Route::Push, 1, 0).expect_err("refused");
        assert_eq!(error.error_type(), Some("record-not-unique"));
        assert!(!app.attrs.get(link.id).expect("link").cardinality_one);
    }

    #[test]
    fn malformed_attribute_steps_are_refused() {
        let mut app = app_with_todos();
        let id = Uuid::new_v4().to_string();
        let bad_cardinality = vec![json!(["add-attr", {"id": id, "forward-identity": [id, "todos", "x"], "value-type": "blob",
                                                       "cardinality": "some", "unique?": false, "index?": false}])];
        assert!(apply(&mut app, &bad_cardinality, Route::Push, 1, 0).is_err());
        let bad_update = vec![json!(["update-attr", {"id": "nope"}])];
        assert!(apply(&mut app, &bad_update, Route::Push, 1, 0).is_err());
        let bad_type = vec![
            json!(["check-data-type", {"attr-id": app.attrs.fwd("todos", "id").expect("id").id.to_string(), "checked-data-type": "uuid"}]),
        ];
        assert!(apply(&mut app, &bad_type, Route::Push, 1, 0).is_err());
        assert_eq!(app.indexing_jobs.iter().count(), 0);
    }

    #[test]
    fn the_push_route_passes_delete_attr_through_untransacted() {
        let mut app = app_with_todos();
        let link = app.attrs.fwd("todos", "tags").expect("link").id;
        let steps = vec![json!(["delete-attr", link.to_string()])];
        let result = apply(&mut app, &steps, Route::Push, 1, 0).expect("applies");
        assert_eq!(result.transaction, json!({}));
        assert_eq!(result.steps, steps);
        assert!(app.attrs.get(link).is_some());
        apply(&mut app, &steps, Route::Steps, 2, 0).expect("applies");
        assert!(app.attrs.get(link).is_none());
    }
}
