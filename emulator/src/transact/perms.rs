//! Permission checks of an impersonated transaction (spec §9.1; `permissioned_transaction.clj`
//! in the real server) and the system-column rules every caller is held to.
//!
//! The server checks `update`, `delete`, `link` and `unlink` before the write (`data` = the
//! entity as stored, `newData` = as it will be) and `create` after it, so a create rule's
//! `data.ref(...)` sees the links the transaction made. The emulator runs the transaction on a
//! copy, so it has both states at hand: pre-checks read `before`, post-checks read `after`.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{Eid, Op, Written};
use crate::error::{ApiError, ApiResult};
use crate::rules::{self, Access, Bindings, RuleProgram};
use crate::store::{App, Attr};

/// Which state a check reads links from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Before,
    After,
}

/// One permission check, before evaluation.
struct Check {
    scope: &'static str,
    action: &'static str,
    etype: String,
    eid: Option<Uuid>,
    program: Option<Arc<RuleProgram>>,
    /// A result fixed without a rule (attribute changes: admins only).
    fixed: Option<bool>,
    bindings: Option<Bindings>,
    state: State,
}

impl Check {
    fn object(action: &'static str, etype: &str, eid: Uuid, program: Option<Arc<RuleProgram>>, bindings: Bindings, state: State) -> Check {
        Check { scope: "object", action, etype: etype.to_owned(), eid: Some(eid), program, fixed: None, bindings: Some(bindings), state }
    }

    /// The check as the perms-check route reports it, without its result.
    fn describe(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("scope".into(), json!(self.scope));
        out.insert("action".into(), json!(self.action));
        out.insert("etype".into(), json!(self.etype));
        if let Some(eid) = self.eid {
            out.insert("eid".into(), json!(eid.to_string()));
        }
        out.insert("program".into(), self.program.as_deref().map(RuleProgram::describe).unwrap_or_else(|| json!({})));
        if let Some(bindings) = &self.bindings {
            out.insert("bindings".into(), bindings.to_wire());
        }
        out
    }
}

/// The evaluated checks of one transaction.
#[derive(Debug, Default)]
pub struct Report {
    /// Each check with `check-result` and `check-pass?`, pre-checks first.
    pub results: Vec<Value>,
    /// Whether every check passed.
    pub all_ok: bool,
}

/// `prevent-system-column-updates`: only `id` (and `$files.path`) of system namespaces may be
/// written by anyone; other system columns by admins only, and never those of `$files` and
/// `$streams`; system entities other than `$files` rows may be deleted by admins only.
pub fn prevent_system_column_updates(app: &App, ops: &[Op], admin: bool) -> ApiResult<()> {
    for op in ops {
        let (attr_id, value) = match op {
            Op::AddTriple { attr, value, .. } => (*attr, Some(value)),
            Op::DeepMerge { attr, .. } | Op::Retract { attr, .. } => (*attr, None),
            Op::DeleteEntity { etype, eid } => {
                if etype.starts_with('$') && !admin && etype != "$files" {
                    return Err(system_step_error(
                        format!("{etype} is a system entity. You aren't allowed to delete this directly."),
                        json!(["delete-entity", eid_wire(eid), etype]),
                    ));
                }
                continue;
            }
            _ => continue,
        };
        let Some(attr) = app.attrs.get(attr_id) else { continue };
        let (etype, label) = (attr.forward.etype.as_str(), attr.forward.label.as_str());
        if !etype.starts_with('$') {
            continue;
        }
        let editable = matches!((etype, label), ("$users", "id") | ("$files", "id") | ("$files", "path") | ("$streams", "id"));
        let allowed = !attr.system || editable || (admin && etype != "$files" && etype != "$streams");
        if !allowed {
            return Err(system_step_error(
                format!("{etype}.{label} is a system column. You aren't allowed to change this directly."),
                json!(["add-triple", null, attr.id.to_string(), null]),
            ));
        }
        if (etype, label) == ("$files", "path") {
            if let Some(Written::Json(Value::String(path))) = value {
                if path.starts_with("$stream/") {
                    return Err(system_step_error(
                        "The path for stream files can't be edited.".to_owned(),
                        json!(["add-triple", null, attr.id.to_string(), path]),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn system_step_error(message: String, step: Value) -> ApiError {
    ApiError::validation("tx-step", step, vec![json!({ "message": message })])
}

fn eid_wire(eid: &Eid) -> Value {
    match eid {
        Eid::Id(id) => json!(id.to_string()),
        Eid::Lookup { attr, value } => json!([attr.to_string(), value]),
    }
}

/// The transaction's view of entities before and after the write.
struct Sides<'a> {
    before: &'a App,
    after: &'a App,
}

impl Sides<'_> {
    fn resolve(&self, state: State, eid: &Eid) -> Option<Uuid> {
        let app = if state == State::Before { self.before } else { self.after };
        match eid {
            Eid::Id(id) => Some(*id),
            Eid::Lookup { attr, value } => app.find_unique(app.attrs.get(*attr)?, value),
        }
    }

    /// The entity as stored before the write (`entities-map`), if it existed in `etype`.
    fn entity(&self, etype: &str, eid: &Eid) -> Option<(Uuid, Value)> {
        let id = self.resolve(State::Before, eid)?;
        rules::data::entity_map(self.before, etype, id).map(|map| (id, Value::Object(map)))
    }

    /// The entity after the write (`updated-entities-map`).
    fn updated(&self, etype: &str, eid: &Eid) -> Option<(Uuid, Value)> {
        let id = self.resolve(State::After, eid).or_else(|| self.resolve(State::Before, eid))?;
        rules::data::entity_map(self.after, etype, id).map(|map| (id, Value::Object(map)))
    }
}

/// The etype, labels and target namespace of a write's attribute.
struct Target<'a> {
    attr: &'a Attr,
    etype: String,
    rev_etype: Option<String>,
}

fn target<'a>(app: &'a App, attr: Uuid) -> Option<Target<'a>> {
    let attr = app.attrs.get(attr)?;
    let rev_etype = attr.is_ref().then(|| attr.target_etype().unwrap_or_default().to_owned());
    Some(Target { attr, etype: attr.forward.etype.clone(), rev_etype })
}

/// Everything the checks of one transaction share.
struct Checking<'a> {
    access: &'a Access,
    sides: Sides<'a>,
    ops: &'a [Op],
    rule_params: Vec<(String, Uuid, Value)>,
}

impl Checking<'_> {
    fn rule_params(&self, etype: &str, id: Option<Uuid>) -> Option<Value> {
        let id = id?;
        let mut merged: Option<Map<String, Value>> = None;
        for (e, entity, params) in &self.rule_params {
            if e == etype && *entity == id {
                let target = merged.get_or_insert_with(Map::new);
                if let Some(map) = params.as_object() {
                    target.extend(map.clone());
                }
            }
        }
        merged.map(Value::Object)
    }

    fn merged_params(&self, first: Option<Value>, second: Option<Value>) -> Option<Value> {
        match (first, second) {
            (None, None) => None,
            (Some(a), None) => Some(a),
            (None, Some(b)) => Some(b),
            (Some(Value::Object(mut a)), Some(Value::Object(b))) => {
                a.extend(b);
                Some(Value::Object(a))
            }
            (_, b) => b,
        }
    }

    /// `request.modifiedFields` of an entity: the attributes the transaction writes, `id` aside.
    fn modified_fields(&self, id: Uuid) -> Vec<String> {
        let mut fields: Vec<String> = Vec::new();
        for op in self.ops {
            let (eid, attr) = match op {
                Op::AddTriple { eid, attr, .. } | Op::DeepMerge { eid, attr, .. } => (eid, *attr),
                _ => continue,
            };
            let matches = self.sides.resolve(State::After, eid).or_else(|| self.sides.resolve(State::Before, eid)) == Some(id);
            let Some(label) =
                self.sides.after.attrs.get(attr).or_else(|| self.sides.before.attrs.get(attr)).map(|a| a.forward.label.clone())
            else {
                continue;
            };
            if matches && label != "id" && !fields.contains(&label) {
                fields.push(label);
            }
        }
        fields
    }

    fn program(&self, etype: &str, action: &str) -> ApiResult<Option<Arc<RuleProgram>>> {
        self.access.rules.program(etype, action)
    }

    fn link_program(&self, etype: &str, action: &str, namespace: &str, label: Option<&str>) -> ApiResult<Option<Arc<RuleProgram>>> {
        match label {
            Some(label) => self.access.rules.link_program(etype, action, namespace, label),
            None => Ok(None),
        }
    }

    /// `pre-checks`: update, delete, link and unlink of entities that exist, and attribute
    /// changes.
    fn pre_checks(&self) -> ApiResult<Vec<Check>> {
        let mut checks = Vec::new();
        for op in self.ops {
            match op {
                Op::DeleteAttr { .. } => checks.push(Check {
                    scope: "attr",
                    action: "delete",
                    etype: "attrs".into(),
                    eid: None,
                    program: None,
                    fixed: Some(self.access.is_admin()),
                    bindings: None,
                    state: State::Before,
                }),
                Op::DeleteEntity { eid, etype } => {
                    let entity = self.sides.entity(etype, eid);
                    let id = entity.as_ref().map(|(id, _)| *id).or_else(|| self.sides.resolve(State::Before, eid));
                    let Some(id) = id else { continue };
                    let bindings = Bindings {
                        data: entity.map(|(_, data)| data),
                        rule_params: self.rule_params(etype, Some(id)),
                        ..Bindings::default()
                    };
                    checks.push(Check::object("delete", etype, id, self.program(etype, "delete")?, bindings, State::Before));
                }
                Op::AddTriple { eid, attr, value, .. } => {
                    let Some(target) = target(self.sides.before, *attr).or_else(|| target(self.sides.after, *attr)) else { continue };
                    match (value, &target.rev_etype) {
                        (Written::Link(to), Some(rev_etype)) => {
                            self.link_checks(&mut checks, "link", &target, rev_etype, eid, to, State::Before)?
                        }
                        _ => self.update_check(&mut checks, &target.etype, eid)?,
                    }
                }
                Op::DeepMerge { eid, attr, .. } => {
                    let Some(target) = target(self.sides.before, *attr).or_else(|| target(self.sides.after, *attr)) else { continue };
                    self.update_check(&mut checks, &target.etype, eid)?;
                }
                Op::Retract { eid, attr, value } => {
                    let Some(target) = target(self.sides.before, *attr).or_else(|| target(self.sides.after, *attr)) else { continue };
                    if let Some(rev_etype) = &target.rev_etype {
                        self.link_checks(&mut checks, "unlink", &target, rev_etype, eid, value, State::Before)?;
                    } else {
                        self.update_check(&mut checks, &target.etype, eid)?;
                    }
                }
                Op::RuleParams { .. } => {}
            }
        }
        Ok(checks)
    }

    fn update_check(&self, checks: &mut Vec<Check>, etype: &str, eid: &Eid) -> ApiResult<()> {
        let Some((id, data)) = self.sides.entity(etype, eid) else { return Ok(()) };
        let bindings = Bindings {
            data: Some(data),
            new_data: self.sides.updated(etype, eid).map(|(_, d)| d),
            rule_params: self.rule_params(etype, Some(id)),
            modified_fields: Some(self.modified_fields(id)),
            ..Bindings::default()
        };
        checks.push(Check::object("update", etype, id, self.program(etype, "update")?, bindings, State::Before));
        Ok(())
    }

    /// Link/unlink checks before the write: the link rules of either side when one is set,
    /// otherwise `update` on the source and `view` on the target.
    #[allow(clippy::too_many_arguments)]
    fn link_checks(
        &self,
        checks: &mut Vec<Check>,
        action: &'static str,
        target: &Target,
        rev_etype: &str,
        eid: &Eid,
        to: &Eid,
        state: State,
    ) -> ApiResult<()> {
        let etype = target.etype.as_str();
        let fwd_label = Some(target.attr.forward.label.as_str());
        let rev_label = target.attr.reverse.as_ref().map(|r| r.label.as_str());
        let program = self.link_program(etype, action, etype, fwd_label)?;
        let rev_program = self.link_program(etype, action, rev_etype, rev_label)?;
        let entity = self.sides.entity(etype, eid);
        let rev_entity = self.sides.entity(rev_etype, to);
        let entity_id = entity.as_ref().map(|(id, _)| *id);
        let rev_id = rev_entity.as_ref().map(|(id, _)| *id);
        let params = self.rule_params(etype, entity_id);
        let rev_params = self.rule_params(rev_etype, rev_id);
        if program.is_some() || rev_program.is_some() {
            let actions = |other: bool| json!({"data": "update", "linkedData": if other { "update" } else { "create" }});
            if let (Some((id, data)), Some(program)) = (&entity, program) {
                let bindings = Bindings {
                    data: Some(data.clone()),
                    new_data: self.sides.updated(etype, eid).map(|(_, d)| d),
                    linked_data: rev_entity.as_ref().map(|(_, d)| d.clone()),
                    linked_etype: Some(rev_etype.to_owned()),
                    actions: (action == "link").then(|| actions(rev_entity.is_some())),
                    rule_params: self.merged_params(rev_params.clone(), params.clone()),
                    ..Bindings::default()
                };
                checks.push(Check::object(action, etype, *id, Some(program), bindings, state));
            }
            if let (Some((rev_id, rev_data)), Some(rev_program)) = (&rev_entity, rev_program) {
                let mut data = rev_data.clone();
                if action == "link" {
                    if let Value::Object(map) = &mut data {
                        map.insert("$action".into(), json!("update"));
                    }
                }
                let linked =
                    if action == "link" { self.sides.updated(etype, eid).map(|(_, d)| d) } else { entity.as_ref().map(|(_, d)| d.clone()) };
                let bindings = Bindings {
                    data: Some(data),
                    new_data: self.sides.updated(rev_etype, to).map(|(_, d)| d),
                    linked_data: linked,
                    linked_etype: Some(etype.to_owned()),
                    actions: (action == "link").then(|| actions(entity.is_some())),
                    rule_params: self.merged_params(params, rev_params),
                    ..Bindings::default()
                };
                checks.push(Check::object(action, rev_etype, *rev_id, Some(rev_program), bindings, state));
            }
            return Ok(());
        }
        if let Some((id, data)) = &entity {
            let bindings = Bindings {
                data: Some(data.clone()),
                new_data: self.sides.updated(etype, eid).map(|(_, d)| d),
                rule_params: self.merged_params(rev_params.clone(), params.clone()),
                modified_fields: Some(self.modified_fields(*id)),
                ..Bindings::default()
            };
            checks.push(Check::object("update", etype, *id, self.program(etype, "update")?, bindings, state));
        }
        if let Some((rev_id, rev_data)) = &rev_entity {
            let bindings = Bindings {
                data: Some(rev_data.clone()),
                new_data: self.sides.updated(rev_etype, to).map(|(_, d)| d),
                rule_params: self.merged_params(params, rev_params),
                ..Bindings::default()
            };
            checks.push(Check::object("view", rev_etype, *rev_id, self.program(rev_etype, "view")?, bindings, state));
        }
        Ok(())
    }

    /// `post-create-checks`: created entities (and their links), created attributes.
    fn post_checks(&self, created_attrs: &[Attr]) -> ApiResult<Vec<Check>> {
        let mut checks = Vec::new();
        for attr in created_attrs {
            checks.push(Check {
                scope: "attr",
                action: "create",
                etype: "attrs".into(),
                eid: None,
                program: self.program("attrs", "create")?,
                fixed: None,
                bindings: Some(Bindings { data: Some(attr.to_wire()), ..Bindings::default() }),
                state: State::After,
            });
        }
        for op in self.ops {
            let (eid, attr, value) = match op {
                Op::AddTriple { eid, attr, value, .. } => (eid, *attr, Some(value)),
                Op::DeepMerge { eid, attr, .. } => (eid, *attr, None),
                _ => continue,
            };
            let Some(target) = target(self.sides.after, attr) else { continue };
            let etype = target.etype.as_str();
            let created = self.sides.entity(etype, eid).is_none();
            if let (Some(Written::Link(to)), Some(rev_etype)) = (value, &target.rev_etype) {
                self.created_link_checks(&mut checks, &target, rev_etype, eid, to, created)?;
                continue;
            }
            if !created {
                continue;
            }
            if etype == "$users" {
                return Err(ApiError::validation_msg(
                    "tx-step",
                    Value::Null,
                    "$users is a system entity. You aren't allowed to create this directly.",
                ));
            }
            let Some((id, data)) = self.sides.updated(etype, eid) else { continue };
            let bindings = Bindings {
                data: Some(data.clone()),
                new_data: Some(data),
                rule_params: self.rule_params(etype, Some(id)),
                modified_fields: Some(self.modified_fields(id)),
                ..Bindings::default()
            };
            checks.push(Check::object("create", etype, id, self.program(etype, "create")?, bindings, State::After));
        }
        Ok(checks)
    }

    fn created_link_checks(
        &self,
        checks: &mut Vec<Check>,
        target: &Target,
        rev_etype: &str,
        eid: &Eid,
        to: &Eid,
        created: bool,
    ) -> ApiResult<()> {
        let etype = target.etype.as_str();
        let fwd_label = Some(target.attr.forward.label.as_str());
        let rev_label = target.attr.reverse.as_ref().map(|r| r.label.as_str());
        let program = self.link_program(etype, "link", etype, fwd_label)?;
        let rev_program = self.link_program(etype, "link", rev_etype, rev_label)?;
        let updated = self.sides.updated(etype, eid);
        let updated_rev = self.sides.updated(rev_etype, to);
        let rev_created = self.sides.entity(rev_etype, to).is_none();
        let params = self.rule_params(etype, updated.as_ref().map(|(id, _)| *id));
        let rev_params = self.rule_params(rev_etype, updated_rev.as_ref().map(|(id, _)| *id));
        if program.is_some() || rev_program.is_some() {
            if let (true, Some(program), Some((id, data))) = (created, program, &updated) {
                let bindings = Bindings {
                    data: Some(data.clone()),
                    new_data: Some(data.clone()),
                    linked_data: updated_rev.as_ref().map(|(_, d)| d.clone()),
                    linked_etype: Some(rev_etype.to_owned()),
                    actions: Some(json!({"data": "create", "linkedData": if rev_created { "create" } else { "update" }})),
                    rule_params: self.merged_params(rev_params.clone(), params.clone()),
                    ..Bindings::default()
                };
                checks.push(Check::object("link", etype, *id, Some(program), bindings, State::After));
            }
            if let (true, Some(rev_program), Some((rev_id, rev_data))) = (rev_created, rev_program, &updated_rev) {
                let bindings = Bindings {
                    data: Some(rev_data.clone()),
                    new_data: Some(rev_data.clone()),
                    linked_data: updated.as_ref().map(|(_, d)| d.clone()),
                    linked_etype: Some(etype.to_owned()),
                    actions: Some(json!({"data": "create", "linkedData": if created { "create" } else { "update" }})),
                    rule_params: self.merged_params(params, rev_params),
                    ..Bindings::default()
                };
                checks.push(Check::object("link", rev_etype, *rev_id, Some(rev_program), bindings, State::After));
            }
            return Ok(());
        }
        if let (true, Some((id, data))) = (created, &updated) {
            let bindings = Bindings {
                data: Some(data.clone()),
                new_data: Some(data.clone()),
                rule_params: self.merged_params(rev_params.clone(), params.clone()),
                modified_fields: Some(self.modified_fields(*id)),
                ..Bindings::default()
            };
            checks.push(Check::object("create", etype, *id, self.program(etype, "create")?, bindings, State::After));
        }
        if let (true, Some((rev_id, rev_data))) = (rev_created, &updated_rev) {
            let bindings = Bindings {
                data: Some(rev_data.clone()),
                new_data: Some(rev_data.clone()),
                rule_params: self.merged_params(params, rev_params),
                ..Bindings::default()
            };
            checks.push(Check::object("view", rev_etype, *rev_id, self.program(rev_etype, "view")?, bindings, State::After));
        }
        Ok(())
    }

    /// `run-checks!`: evaluates every distinct check, then (outside perms checks) fails on the
    /// first that did not pass.
    fn run(&self, checks: Vec<Check>, report: &mut Report, throw: bool) -> ApiResult<()> {
        let mut seen = BTreeSet::new();
        let mut evaluated = Vec::new();
        for check in checks {
            let description = check.describe();
            if !seen.insert(Value::Object(description.clone()).to_string()) {
                continue;
            }
            let result = match check.fixed {
                Some(fixed) => json!(fixed),
                None => {
                    let state = if check.state == State::Before { self.sides.before } else { self.sides.after };
                    self.access.evaluate(state, check.program.as_deref(), check.bindings.as_ref().unwrap_or(&Bindings::default()))?
                }
            };
            evaluated.push((check, description, result));
        }
        for (check, mut description, result) in evaluated {
            let pass = rules::passes(&result);
            if !pass && throw {
                return Err(rules::denied(&check.etype, check.scope));
            }
            report.all_ok &= pass;
            description.insert("check-result".into(), result);
            description.insert("check-pass?".into(), json!(pass));
            report.results.push(Value::Object(description));
        }
        Ok(())
    }
}

/// Checks an impersonated transaction whose write has already been run on `after` (a copy of
/// `before`), failing with `permission-denied` on the first check that does not pass unless
/// `report_only` (the perms-check route, which reports every result instead). `write` is the
/// outcome of the write itself: its error is returned after the pre-checks and before the
/// post-checks, in the server's order.
pub fn check(
    access: &Access,
    before: &App,
    after: &App,
    ops: &[Op],
    created_attrs: &[Attr],
    write: ApiResult<()>,
    report_only: bool,
) -> ApiResult<Report> {
    let rule_params = ops
        .iter()
        .filter_map(|op| match op {
            Op::RuleParams { eid, etype, params } => {
                let sides = Sides { before, after };
                let id = sides.resolve(State::Before, eid).or_else(|| sides.resolve(State::After, eid))?;
                Some((etype.clone(), id, params.clone()))
            }
            _ => None,
        })
        .collect();
    let checking = Checking { access, sides: Sides { before, after }, ops, rule_params };
    let mut report = Report { results: Vec::new(), all_ok: true };
    checking.run(checking.pre_checks()?, &mut report, !report_only)?;
    write?;
    checking.run(checking.post_checks(created_attrs)?, &mut report, !report_only)?;
    Ok(report)
}
