//! InstaQL evaluation (spec §5): parse and validate the query, resolve `where` paths against the
//! app's attributes, filter, order, paginate and render the object tree the real server returns.

mod parse;
mod perms;
mod reads;
mod resolve;

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::rules::Access;
use crate::store::{ref_target, App, Attr};
use crate::{storage, values};
use parse::{Cursor, Form, Options};
use perms::Viewing;
pub use reads::namespaces_read;
use resolve::{Resolved, Walk};

/// Runs `query` (a JSON object) against `app` and returns the object tree (spec §5.9), with
/// the view and field rules of `access` applied to impersonated readers (spec §9.1).
/// `origin` (`http://host:port`) is where the caller reached the emulator; `$files` URLs point
/// there (spec §8.2).
///
/// ```
/// use instant_emulator::{query, rules::Access, store::App};
/// use serde_json::json;
/// let app = App::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// let result = query::run(&app, &json!({"goals": {}}), false, &Access::admin(&app), "http://localhost:8888").unwrap();
/// assert_eq!(result, json!({"goals": []}));
/// ```
pub fn run(app: &App, query: &Value, inference: bool, access: &Access, origin: &str) -> ApiResult<Value> {
    run_with_meta(app, query, inference, access, origin).map(|(result, _)| result)
}

/// [`run`], plus the `result-meta` a subscription reports next to the result (spec §4.2):
/// `{"page-info": {<ns>: ...}, "aggregate": {<ns>: {"count": n}}}`, with a `page-info` entry
/// for each top-level namespace that paginates or orders (spec §5.6) and an `aggregate` entry
/// for each that asked for one.
pub fn run_with_meta(app: &App, query: &Value, inference: bool, access: &Access, origin: &str) -> ApiResult<(Value, Value)> {
    let (result, meta, _) = evaluate(app, query, inference, access, origin, false)?;
    Ok((result, meta))
}

/// [`run`] for `/admin/query_perms_check` (spec §3.4): the result and one check result per
/// entity (and per `fields` rule) the query looked at.
pub fn run_checked(app: &App, query: &Value, inference: bool, access: &Access, origin: &str) -> ApiResult<(Value, Vec<Value>)> {
    let (result, _, checks) = evaluate(app, query, inference, access, origin, true)?;
    Ok((result, checks))
}

fn evaluate(
    app: &App,
    query: &Value,
    inference: bool,
    access: &Access,
    origin: &str,
    record: bool,
) -> ApiResult<(Value, Value, Vec<Value>)> {
    let mut map = query.as_object().cloned().unwrap_or_default();
    let rule_params = map.remove("$$ruleParams");
    let forms = parse::parse(&map)?;
    let root = Value::Object(map);
    let viewing = Viewing::new(access, rule_params, record);
    let evaluator = Evaluator { app, inference, viewing: &viewing, root: &root, origin };
    let mut out = Map::new();
    let (mut page_info, mut aggregate) = (Map::new(), Map::new());
    for form in &forms {
        let top = evaluator.top_level(form)?;
        out.insert(form.key.clone(), top.rows);
        if let Some(info) = top.page_info {
            page_info.insert(form.key.clone(), info);
        }
        if let Some(count) = top.count {
            aggregate.insert(form.key.clone(), json!({ "count": count }));
        }
    }
    let meta = json!({"page-info": page_info, "aggregate": aggregate});
    Ok((Value::Object(out), meta, viewing.into_records()))
}

/// One top-level namespace's answer.
struct TopLevel {
    rows: Value,
    page_info: Option<Value>,
    count: Option<usize>,
}

impl TopLevel {
    fn rows(rows: Value) -> TopLevel {
        TopLevel { rows, page_info: None, count: None }
    }
}

struct Evaluator<'a> {
    app: &'a App,
    inference: bool,
    viewing: &'a Viewing<'a>,
    root: &'a Value,
    origin: &'a str,
}

/// What rows are sorted by: an optional value and the entity id.
struct SortKey {
    value: Option<Value>,
    millis: Option<i64>,
    entity: Uuid,
}

impl Evaluator<'_> {
    fn order_error(&self, form: &Form, messages: Vec<String>) -> ApiError {
        let mut path = form.path.clone();
        path.extend(["$".to_owned(), "order".to_owned()]);
        let errors = messages.into_iter().map(|m| json!({"expected": "supported-order?", "in": path, "message": m})).collect();
        ApiError::validation("query", self.root.clone(), errors)
    }

    /// The attribute a top-level form orders by, checked as `page-info-of-form` does.
    fn top_level_order_attr(&self, form: &Form, etype: &str) -> ApiResult<Option<Attr>> {
        if !form.options.paginates() {
            return Ok(None);
        }
        let key = form.options.order.as_ref().map(|o| o.key.as_str()).unwrap_or("serverCreatedAt");
        let label = if key == "serverCreatedAt" { "id" } else { key };
        let Some(attr) = self.app.attrs.fwd(etype, label) else {
            return Err(self.order_error(form, vec![format!("There is no `{label}` attribute for {etype}.")]));
        };
        if key != "serverCreatedAt" {
            let name = attr.ident_name();
            let mut problems = Vec::new();
            if !attr.indexed {
                problems.push(format!("The `{name}` attribute is not indexed. Only indexed and typed attributes can be used to order by."));
            }
            if attr.checked_type.is_none() {
                problems.push(format!("The `{name}` attribute is not typed. Only typed and indexed attributes can be used to order by."));
            }
            if !attr.cardinality_one {
                problems.push(format!(
                    "The `{name}` attribute has cardinality `many`. Only attributes with cardinality `one` can be used to order by."
                ));
            }
            if !problems.is_empty() {
                return Err(self.order_error(form, problems));
            }
        }
        for (which, cursor) in [("before", &form.options.before), ("after", &form.options.after)] {
            let Some(cursor) = cursor else { continue };
            if cursor.attr == attr.id {
                continue;
            }
            let order_label = |a: &Attr| {
                if a.forward.label == "id" {
                    "serverCreatedAt".to_owned()
                } else {
                    a.forward.label.clone()
                }
            };
            let other = match self.app.attrs.get(cursor.attr) {
                Some(c) => format!("orders by `{}`.", order_label(c)),
                None => "orders by a missing attribute.".to_owned(),
            };
            let mut path = form.path.clone();
            path.extend(["$".to_owned(), which.to_owned()]);
            let message = format!(
                "Invalid {which} cursor. The query orders by `{}`, but the query that returned the cursor {other}",
                order_label(attr)
            );
            return Err(ApiError::validation(
                "query",
                self.root.clone(),
                vec![json!({"expected": "valid-cursor?", "in": path, "message": message})],
            ));
        }
        Ok(Some(attr.clone()))
    }

    fn top_level(&self, form: &Form) -> ApiResult<TopLevel> {
        let etype = form.key.as_str();
        if form.options.aggregate {
            if !self.viewing.is_admin() {
                return Err(ApiError::validation_msg(
                    "query",
                    self.root.clone(),
                    "Aggregates are currently only available for admin queries.",
                ));
            }
            if !form.children.is_empty() {
                return Err(ApiError::validation_msg("query", self.root.clone(), "Aggregates cannot be combined with nested queries."));
            }
        }
        let cursor_attr = self.top_level_order_attr(form, etype)?;
        let walk = Walk { app: self.app, root: self.root };
        let Resolved::Ready(conds) = walk.resolve(etype, &form.options.conds, &form.path)? else {
            return Ok(TopLevel::rows(json!([])));
        };
        self.check_children(form, etype)?;
        let mut rows: Vec<Uuid> = Vec::new();
        for entity in self.entities_of(etype) {
            if conds.iter().all(|c| walk.holds(entity, c)) && self.visible(etype, entity)? {
                rows.push(entity);
            }
        }
        if form.options.aggregate {
            return Ok(TopLevel { rows: json!([]), page_info: None, count: Some(rows.len()) });
        }
        let order_attr = self.order_attr(etype, &form.options);
        let desc = form.options.order.as_ref().is_some_and(|o| o.desc);
        self.sort(&mut rows, order_attr.as_ref(), desc);
        let page = self.paginate(rows.clone(), &form.options, order_attr.as_ref(), desc);
        let page_info = cursor_attr.map(|attr| self.page_info(&rows, &page, &form.options, &attr));
        let rendered: Vec<Value> = page.into_iter().filter_map(|e| self.render(etype, e, form).transpose()).collect::<ApiResult<_>>()?;
        Ok(TopLevel { rows: Value::Array(rendered), page_info, count: None })
    }

    /// `page-info` of a paginated top-level form (spec §5.6), with the server's shortcuts: no
    /// `limit`/`first`/`last`/`before` ⇒ no next page; no `after`, `offset` or `last` ⇒ no
    /// previous page; otherwise whether the full ordered set (`all`) has a row past the page's
    /// edge — and an empty page after an `offset` or `after` always has a previous page.
    fn page_info(&self, all: &[Uuid], page: &[Uuid], options: &Options, cursor_attr: &Attr) -> Value {
        let position = |entity: &Uuid| all.iter().position(|row| row == entity);
        let bounded_ahead = options.limit.is_some() || options.last.is_some() || options.before.is_some();
        let has_next = bounded_ahead && page.last().and_then(position).is_some_and(|at| at + 1 < all.len());
        let skipped = options.offset.is_some_and(|offset| offset > 0) || options.after.is_some();
        let has_previous = (skipped || options.last.is_some())
            && (page.first().and_then(position).is_some_and(|at| at > 0) || (page.is_empty() && skipped));
        json!({
            "start-cursor": page.first().map(|e| self.cursor_of(*e, cursor_attr)),
            "end-cursor": page.last().map(|e| self.cursor_of(*e, cursor_attr)),
            "has-next-page?": has_next,
            "has-previous-page?": has_previous,
        })
    }

    /// A page cursor (spec §5.6): the row `[entity-id, attr-id, value, created-at-ms]` of the
    /// ordering attribute — the namespace's `id` attr (value: the entity id) for
    /// serverCreatedAt. Passed back as `after`/`before`, it continues from this row.
    fn cursor_of(&self, entity: Uuid, attr: &Attr) -> Value {
        let stored = self.app.triples.value(entity, attr.id);
        let value = match stored {
            Some(stored) => stored.value.clone(),
            None if attr.forward.label == "id" => json!(entity.to_string()),
            None => Value::Null,
        };
        let created_at = stored.map_or_else(|| self.created_at(entity), |s| s.created_at);
        json!([entity.to_string(), attr.id.to_string(), value, created_at])
    }

    /// Validates nested forms' `where` even when no parent row exists, as the server does.
    fn check_children(&self, form: &Form, etype: &str) -> ApiResult<()> {
        for child in &form.children {
            let Some((_, target, _)) = self.link(etype, &child.key) else { continue };
            let walk = Walk { app: self.app, root: self.root };
            if let Resolved::Ready(_) = walk.resolve(&target, &child.options.conds, &child.path)? {
                self.check_children(child, &target)?;
            }
        }
        Ok(())
    }

    /// Every entity with a value attribute in `etype` (link triples alone do not make an entity
    /// part of a namespace, spec §6.5 link).
    fn entities_of(&self, etype: &str) -> BTreeSet<Uuid> {
        self.app.attrs.of_etype(etype).filter(|a| !a.is_ref()).flat_map(|a| self.app.triples.entities_with(a.id)).collect()
    }

    /// Whether an impersonated reader may see `entity` (its namespace's `view` rule, spec §9.1).
    fn visible(&self, etype: &str, entity: Uuid) -> ApiResult<bool> {
        self.viewing.visible(self.app, etype, entity)
    }

    fn order_attr(&self, etype: &str, options: &Options) -> Option<Attr> {
        let order = options.order.as_ref()?;
        if order.key == "serverCreatedAt" {
            return None;
        }
        self.app.attrs.fwd(etype, &order.key).cloned()
    }

    fn sort_key(&self, entity: Uuid, order_attr: Option<&Attr>) -> SortKey {
        match order_attr {
            Some(attr) => SortKey {
                value: self.app.triples.value(entity, attr.id).map(|s| s.value.clone()).filter(|v| !v.is_null()),
                millis: None,
                entity,
            },
            None => SortKey { value: None, millis: Some(self.created_at(entity)), entity },
        }
    }

    /// serverCreatedAt: when the entity's `id` triple was written.
    fn created_at(&self, entity: Uuid) -> i64 {
        let mut earliest = i64::MAX;
        for (attr_id, values) in self.app.triples.attrs_of(entity) {
            let is_id = self.app.attrs.get(attr_id).is_some_and(|a| a.forward.label == "id");
            for stored in values {
                if is_id {
                    return stored.created_at;
                }
                earliest = earliest.min(stored.created_at);
            }
        }
        earliest
    }

    fn compare_keys(a: &SortKey, b: &SortKey, order_attr: Option<&Attr>) -> Ordering {
        let by_value = match (&a.value, &b.value) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => values::compare(x, y, order_attr.and_then(|a| a.checked_type)),
        };
        by_value.then(a.millis.cmp(&b.millis)).then(a.entity.as_bytes().cmp(b.entity.as_bytes()))
    }

    /// Sorts rows (spec §5.5): nulls first ascending, ties by entity id; `desc` reverses both.
    fn sort(&self, rows: &mut [Uuid], order_attr: Option<&Attr>, desc: bool) {
        let mut keyed: Vec<SortKey> = rows.iter().map(|e| self.sort_key(*e, order_attr)).collect();
        keyed.sort_by(|a, b| {
            let ordering = Self::compare_keys(a, b, order_attr);
            if desc {
                ordering.reverse()
            } else {
                ordering
            }
        });
        for (slot, key) in rows.iter_mut().zip(keyed) {
            *slot = key.entity;
        }
    }

    fn cursor_key(&self, cursor: &Cursor, order_attr: Option<&Attr>) -> SortKey {
        let entity = cursor.entity.as_str().and_then(crate::values::coerce_uuid).unwrap_or_else(Uuid::nil);
        match order_attr {
            Some(_) => SortKey { value: Some(cursor.value.clone()).filter(|v| !v.is_null()), millis: None, entity },
            None => SortKey { value: None, millis: Some(cursor.created_at.unwrap_or_else(|| self.created_at(entity))), entity },
        }
    }

    /// `after`/`before`, then `offset`, then `limit`/`first` or `last` (spec §5.6).
    fn paginate(&self, rows: Vec<Uuid>, options: &Options, order_attr: Option<&Attr>, desc: bool) -> Vec<Uuid> {
        let position = |entity: Uuid, cursor: &Cursor| {
            let ordering = Self::compare_keys(&self.sort_key(entity, order_attr), &self.cursor_key(cursor, order_attr), order_attr);
            if desc {
                ordering.reverse()
            } else {
                ordering
            }
        };
        let mut rows: Vec<Uuid> = rows
            .into_iter()
            .filter(|e| match &options.after {
                Some(c) if options.after_inclusive => position(*e, c) != Ordering::Less,
                Some(c) => position(*e, c) == Ordering::Greater,
                None => true,
            })
            .filter(|e| match &options.before {
                Some(c) if options.before_inclusive => position(*e, c) != Ordering::Greater,
                Some(c) => position(*e, c) == Ordering::Less,
                None => true,
            })
            .collect();
        let offset = options.offset.unwrap_or(0).min(rows.len() as u64) as usize;
        rows.drain(..offset);
        if let Some(limit) = options.limit {
            rows.truncate(limit.min(rows.len() as u64) as usize);
        }
        if let Some(last) = options.last {
            let keep = last.min(rows.len() as u64) as usize;
            rows.drain(..rows.len() - keep);
        }
        rows
    }

    /// The link labelled `label` on `etype`: (attr, target namespace, seen forward?).
    fn link(&self, etype: &str, label: &str) -> Option<(Attr, String, bool)> {
        if let Some(attr) = self.app.attrs.fwd(etype, label).filter(|a| a.is_ref()) {
            return Some((attr.clone(), attr.target_etype().unwrap_or_default().to_owned(), true));
        }
        let attr = self.app.attrs.rev(etype, label)?;
        Some((attr.clone(), attr.forward.etype.clone(), false))
    }

    /// One entity as an object (spec §5.9), or `None` when it has nothing in this namespace.
    fn render(&self, etype: &str, entity: Uuid, form: &Form) -> ApiResult<Option<Value>> {
        let mut object = Map::new();
        let hidden = self.viewing.hidden_fields(self.app, etype, entity)?;
        for attr in self.app.attrs.of_etype(etype) {
            if !attr.cardinality_one {
                continue;
            }
            let label = &attr.forward.label;
            if hidden.contains(label) {
                continue;
            }
            if attr.is_ref() && form.children.iter().any(|c| &c.key == label) {
                continue;
            }
            if let Some(fields) = &form.options.fields {
                if label != "id" && !fields.contains(label) {
                    continue;
                }
            }
            if let Some(stored) = self.app.triples.value(entity, attr.id) {
                object.insert(label.clone(), stored.value.clone());
            }
        }
        if !object.keys().any(|k| self.app.attrs.fwd(etype, k).is_some_and(|a| !a.is_ref())) {
            return Ok(None);
        }
        if etype == "$files" {
            self.add_file_url(entity, form, &mut object);
        }
        for child in &form.children {
            if let Some(value) = self.nested(etype, entity, child)? {
                object.insert(child.key.clone(), value);
            }
        }
        Ok(Some(Value::Object(object)))
    }

    /// The virtual `$files.url` (`transform-$files-result`, spec §5.7/§8.2): added when `fields`
    /// is absent or names `url`, and the row has a location-id. `location-id` itself was already
    /// left out above unless `fields` is absent or names it.
    fn add_file_url(&self, entity: Uuid, form: &Form, object: &mut Map<String, Value>) {
        let asked = form.options.fields.as_ref().is_none_or(|fields| fields.iter().any(|f| f == "url"));
        if !asked {
            return;
        }
        if let Some(location_id) = storage::location_of(self.app, entity) {
            object.insert("url".into(), json!(storage::file_url(self.origin, self.app.id, &location_id)));
        }
    }

    /// A nested link key: an array (or, with `inference?`, a single object or null); `None`
    /// when an impersonated caller sees nothing there (spec §5.9).
    fn nested(&self, etype: &str, entity: Uuid, form: &Form) -> ApiResult<Option<Value>> {
        let Some((attr, target, forward)) = self.link(etype, &form.key) else {
            return Ok(Some(json!([])));
        };
        let walk = Walk { app: self.app, root: self.root };
        let Resolved::Ready(conds) = walk.resolve(&target, &form.options.conds, &form.path)? else {
            return Ok(Some(json!([])));
        };
        let linked: BTreeSet<Uuid> = if forward {
            self.app.triples.values(entity, attr.id).iter().filter_map(|s| ref_target(&s.value)).collect()
        } else {
            self.app.triples.sources(attr.id, entity).collect()
        };
        let mut rows: Vec<Uuid> = Vec::new();
        for entity in linked {
            if conds.iter().all(|c| walk.holds(entity, c)) && self.visible(&target, entity)? {
                rows.push(entity);
            }
        }
        let order_attr = self.order_attr(&target, &form.options);
        let desc = form.options.order.as_ref().is_some_and(|o| o.desc);
        self.sort(&mut rows, order_attr.as_ref(), desc);
        let mut rendered = Vec::new();
        for row in rows {
            if let Some(value) = self.render(&target, row, form)? {
                rendered.push(value);
            }
        }
        if !self.viewing.is_admin() && rendered.is_empty() {
            return Ok(None);
        }
        let singular = if forward { attr.cardinality_one } else { attr.unique };
        if self.inference && singular {
            return Ok(Some(rendered.into_iter().next().unwrap_or(Value::Null)));
        }
        Ok(Some(Value::Array(rendered)))
    }
}
