//! What an impersonated reader may see (spec §9.1): each entity's `view` rule and each
//! attribute's `fields` rule, evaluated once per entity and query, and recorded for
//! `/admin/query_perms_check` (spec §3.4).

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::rules::{self, Access, Bindings};
use crate::store::App;

/// The view checks of one query.
pub(super) struct Viewing<'a> {
    access: &'a Access,
    rule_params: Option<Value>,
    views: RefCell<HashMap<(String, Uuid), bool>>,
    fields: RefCell<HashMap<(String, Uuid), Vec<String>>>,
    /// The check results the perms-check route reports, in evaluation order.
    records: Option<RefCell<Vec<Value>>>,
}

impl<'a> Viewing<'a> {
    pub(super) fn new(access: &'a Access, rule_params: Option<Value>, record: bool) -> Viewing<'a> {
        Viewing { access, rule_params, views: RefCell::default(), fields: RefCell::default(), records: record.then(RefCell::default) }
    }

    pub(super) fn is_admin(&self) -> bool {
        self.access.is_admin()
    }

    fn bindings(&self, data: Value) -> Bindings {
        Bindings { data: Some(data), rule_params: self.rule_params.clone(), ..Bindings::default() }
    }

    fn record(&self, etype: &str, entity: Uuid, label: Option<&str>, data: &Value, program: Option<&rules::RuleProgram>, result: &Value) {
        if let Some(records) = &self.records {
            records.borrow_mut().push(json!({
                "id": entity.to_string(),
                "entity": etype,
                "label": label,
                "record": data,
                "program": program.map(rules::RuleProgram::describe).unwrap_or_else(|| json!({})),
                "check": result,
            }));
        }
    }

    /// Whether `entity` of `etype` passes its `view` rule (no rule: visible).
    pub(super) fn visible(&self, app: &App, etype: &str, entity: Uuid) -> ApiResult<bool> {
        if self.is_admin() {
            return Ok(true);
        }
        let key = (etype.to_owned(), entity);
        if let Some(seen) = self.views.borrow().get(&key) {
            return Ok(*seen);
        }
        let program = self.access.rules.program(etype, "view")?;
        if program.is_none() && self.records.is_none() {
            // No rule: visible, and nothing to report, so the entity need not be read.
            self.views.borrow_mut().insert(key, true);
            return Ok(true);
        }
        let data = rules::data::entity_map(app, etype, entity).map(Value::Object).unwrap_or(Value::Null);
        let result = self.access.evaluate(app, program.as_deref(), &self.bindings(data.clone()))?;
        self.record(etype, entity, None, &data, program.as_deref(), &result);
        let pass = rules::passes(&result);
        self.views.borrow_mut().insert(key, pass);
        Ok(pass)
    }

    /// The attributes of `entity` its `fields` rules hide from this reader.
    pub(super) fn hidden_fields(&self, app: &App, etype: &str, entity: Uuid) -> ApiResult<Vec<String>> {
        if self.is_admin() {
            return Ok(Vec::new());
        }
        let key = (etype.to_owned(), entity);
        if let Some(hidden) = self.fields.borrow().get(&key) {
            return Ok(hidden.clone());
        }
        let mut hidden = Vec::new();
        let labels = self.access.rules.field_labels(etype);
        if !labels.is_empty() {
            let data = rules::data::entity_map(app, etype, entity).map(Value::Object).unwrap_or(Value::Null);
            for label in labels {
                let program = self.access.rules.field_program(etype, &label)?;
                let result = self.access.evaluate(app, program.as_deref(), &self.bindings(data.clone()))?;
                self.record(etype, entity, Some(&label), &data, program.as_deref(), &result);
                if !rules::passes(&result) {
                    hidden.push(label);
                }
            }
        }
        self.fields.borrow_mut().insert(key, hidden.clone());
        Ok(hidden)
    }

    /// The recorded check results.
    pub(super) fn into_records(self) -> Vec<Value> {
        self.records.map(RefCell::into_inner).unwrap_or_default()
    }
}
