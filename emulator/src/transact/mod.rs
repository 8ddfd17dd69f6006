//! InstaML transactions (spec §6): validate steps, create missing attributes, expand steps into
//! internal ops, run them grouped by kind, then apply the post-write checks. The caller runs this
//! on a copy of the app and keeps the copy only on success, so a failing step applies nothing.

mod attrs;
mod exec;
mod expand;
mod perms;
mod shape;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::rules::Access;
use crate::store::{App, Attr};
pub use perms::Report;

/// An entity reference inside an op: an id, or a lookup `(unique attr, value)`.
#[derive(Clone, Debug, PartialEq)]
pub enum Eid {
    /// A plain entity id.
    Id(Uuid),
    /// `lookup(attr, value)`.
    Lookup {
        /// The unique attribute.
        attr: Uuid,
        /// The value it must hold.
        value: Value,
    },
}

impl Eid {
    /// How the server prints an eid in messages.
    pub fn shown(&self) -> String {
        match self {
            Eid::Id(id) => id.to_string(),
            Eid::Lookup { attr, value } => format!("[{attr} {value}]"),
        }
    }
}

/// The value half of a write.
#[derive(Clone, Debug)]
pub enum Written {
    /// The entity's own id (the `id` attribute).
    OwnId,
    /// A JSON value for a value attribute.
    Json(Value),
    /// A link target.
    Link(Eid),
}

/// `create` must not exist; `update` with `upsert: false` must exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Upsert,
    Create,
    Update,
    /// The eid is a link target written from the reverse side: it must already exist and is
    /// never created (spec §6.3).
    LinkTarget,
}

/// Internal ops (spec §6.6), in the kinds the server groups by.
#[derive(Clone, Debug)]
pub enum Op {
    AddTriple {
        eid: Eid,
        attr: Uuid,
        value: Written,
        mode: Mode,
    },
    DeepMerge {
        eid: Eid,
        attr: Uuid,
        value: Value,
        mode: Mode,
    },
    Retract {
        eid: Eid,
        attr: Uuid,
        value: Eid,
    },
    DeleteEntity {
        eid: Eid,
        etype: String,
    },
    DeleteAttr {
        attr: Uuid,
    },
    /// `ruleParams` for the checks of one entity (spec §9.3).
    RuleParams {
        eid: Eid,
        etype: String,
        params: Value,
    },
}

impl Op {
    fn kind(&self) -> u8 {
        match self {
            Op::AddTriple { .. } => 0,
            Op::DeepMerge { .. } => 1,
            Op::Retract { .. } => 2,
            Op::DeleteEntity { .. } => 3,
            Op::DeleteAttr { .. } => 4,
            Op::RuleParams { .. } => 5,
        }
    }
}

/// Applies `steps` to `app` as one transaction started at `now` (ms), with the permission
/// checks of `access` for impersonated callers (spec §9.1).
///
/// ```
/// use instant_emulator::{rules::Access, store::App, transact};
/// use serde_json::json;
/// let mut app = App::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// let steps = json!([["update", "goals", "8aa64e4c-64f9-472e-8a61-3fa28870e6cb", {"title": "Get fit"}]]);
/// let admin = Access::admin(&app);
/// transact::apply(&mut app, &steps, false, &admin, 1).unwrap();
/// assert!(app.attrs.fwd("goals", "title").is_some());
/// ```
pub fn apply(app: &mut App, steps: &Value, throw_on_missing_attrs: bool, access: &Access, now: i64) -> ApiResult<()> {
    execute(app, &prepare(steps)?, steps, throw_on_missing_attrs, access, now, Permissions::Checked).map(|_| ())
}

/// How [`execute`] treats permissions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Permissions {
    /// A client's transaction: system columns protected, failing checks fail it.
    Checked,
    /// A perms check: every check evaluated and reported.
    Report,
    /// The server writing for itself (no `prevent-system-column-updates`: it sets `$files.size`).
    Internal,
}

/// [`apply`] for `/admin/transact_perms_check` (spec §3.5): every check is evaluated and
/// reported instead of failing the transaction; the caller decides whether to keep the write.
pub fn apply_checked(app: &mut App, steps: &Value, throw_on_missing_attrs: bool, access: &Access, now: i64) -> ApiResult<Report> {
    execute(app, &prepare(steps)?, steps, throw_on_missing_attrs, access, now, Permissions::Report)
}

/// Applies steps the server writes for itself (its `update-op`, e.g. storage's `$files` rows),
/// as admin. Values are stored exactly as given: a user's file path or content type that happens
/// to look like a UUID is not lower-cased, as it would be in a client's steps (§6.7).
pub fn apply_internal(app: &mut App, steps: &Value, now: i64) -> ApiResult<()> {
    let list = shape::validate(steps)?.clone();
    let admin = Access::admin(app);
    execute(app, &list, steps, false, &admin, now, Permissions::Internal).map(|_| ())
}

fn prepare(steps: &Value) -> ApiResult<Vec<Value>> {
    let mut list = shape::validate(steps)?.clone();
    for step in &mut list {
        drop_id_key(step);
        crate::values::lowercase_uuids(step);
    }
    Ok(list)
}

fn execute(
    app: &mut App,
    list: &[Value],
    steps: &Value,
    throw_on_missing_attrs: bool,
    access: &Access,
    now: i64,
    permissions: Permissions,
) -> ApiResult<Report> {
    let before = (!access.is_admin()).then(|| app.clone());
    let created = attrs::create_missing(app, list)?;
    if throw_on_missing_attrs && !created.is_empty() {
        let names: Vec<String> = created.iter().map(|a| a.ident_name()).collect();
        return Err(ApiError::validation(
            "steps",
            steps.clone(),
            vec![json!({"message": "Attributes are missing in your schema", "hint": {"attributes": names}})],
        ));
    }
    attrs::check_new_names(&created)?;
    for attr in created {
        let (etype, id, indexed) = (attr.forward.etype.clone(), attr.id, attr.indexed && !attr.is_ref());
        app.attrs.push(attr);
        if indexed {
            crate::schema::backfill_nulls(app, &etype, id, now);
        }
    }
    attrs::add_explicit(app, list, now)?;
    let mut ops = Vec::new();
    for (index, step) in list.iter().enumerate() {
        ops.extend(expand::step(app, index, step)?);
    }
    if permissions != Permissions::Internal {
        perms::prevent_system_column_updates(app, &ops, access.is_admin())?;
    }
    let Some(before) = before else {
        write(app, &ops, now)?;
        return Ok(Report { results: Vec::new(), all_ok: true });
    };
    let new_attrs: Vec<Attr> = app.attrs.iter().filter(|a| before.attrs.get(a.id).is_none()).cloned().collect();
    let written = write(app, &ops, now);
    perms::check(access, &before, app, &ops, &new_attrs, written, permissions == Permissions::Report)
}

/// Runs the expanded ops grouped by kind in first-appearance order (spec §6.6).
fn write(app: &mut App, ops: &[Op], now: i64) -> ApiResult<()> {
    exec::validate_modes(app, ops)?;
    let mut order: Vec<u8> = Vec::new();
    for op in ops {
        if !order.contains(&op.kind()) {
            order.push(op.kind());
        }
    }
    let mut run = exec::Run::new(app, now);
    for kind in order {
        for op in ops.iter().filter(|op| op.kind() == kind) {
            run.op(op)?;
        }
    }
    run.finish()?;
    // A deleted or re-pointed `$files` row lets go of its bytes (spec §8.3).
    app.sweep_objects();
    Ok(())
}

/// The step's `eid` wins over an `id` key in the attributes (`ignore-id-in-transaction`).
fn drop_id_key(step: &mut Value) {
    let Some(items) = step.as_array_mut() else { return };
    let is_obj_step = items
        .first()
        .and_then(Value::as_str)
        .is_some_and(|a| matches!(a, "create" | "update" | "merge" | "link" | "unlink" | "ruleParams"));
    if let (true, Some(Value::Object(obj))) = (is_obj_step, items.get_mut(3)) {
        obj.remove("id");
    }
}
