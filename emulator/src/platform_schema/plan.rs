//! The server's plan of a non-overwrite push (platform spec §4.1, §4.5; `plan!`,
//! `defs->schema`, `schemas->ops`, `plan-errors` in `srv/model/schema.clj`): the pushed
//! `i.schema(...)` JSON read as the server reads it, compared with the app's API schema, into
//! steps that only ever add attributes or change their constraints.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::schema::{api_schema, clojure_vector};
use crate::store::system_catalog::{self, reserved_name};
use crate::store::{App, Attr};

/// How the plan is made: the two flags of the plan and apply bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// `check_types`: compare and push `checked-data-type`s. The platform client always sends
    /// `true`; an absent flag is `false` on the server.
    pub check_types: bool,
    /// `supports_background_updates`: constraint changes of existing attributes become job steps
    /// (`index`, `unique`, ...) instead of one `update-attr`. `false` for app creation.
    pub background_updates: bool,
}

impl PlanOptions {
    /// What the platform client sends: both flags `true`.
    pub const CLIENT: PlanOptions = PlanOptions { check_types: true, background_updates: true };

    /// The flags of a plan or apply body (`check_types`, `supports_background_updates`), each
    /// on when truthy (anything but absent, `null` or `false`), as Clojure reads them.
    pub fn from_body(body: &Value) -> PlanOptions {
        PlanOptions { check_types: truthy(body.get("check_types")), background_updates: truthy(body.get("supports_background_updates")) }
    }
}

/// A plan: the answer of `POST …/schema/push/plan` and the input of
/// [`super::apply_plan`].
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// `new-schema`: the pushed part only, as the server read it (ids `null`).
    pub new_schema: Value,
    /// `current-schema`: [`super::api_schema`] before the push.
    pub current_schema: Value,
    /// `current-attrs`: every attribute, hidden system ones included, in id order.
    pub current_attrs: Value,
    /// The steps, in their wire form (`["add-attr", {...}]`, `["index", {...}]`, ...).
    pub steps: Vec<Value>,
}

impl Plan {
    /// The plan response body: `{"new-schema", "current-schema", "current-attrs", "steps"}`.
    pub fn to_wire(&self) -> Value {
        json!({
            "new-schema": self.new_schema,
            "current-schema": self.current_schema,
            "current-attrs": self.current_attrs,
            "steps": self.steps,
        })
    }
}

/// Clojure truthiness: everything but `nil` and `false`.
fn truthy(value: Option<&Value>) -> bool {
    !matches!(value, None | Some(Value::Null) | Some(Value::Bool(false)))
}

/// A value attribute of the pushed schema (`defs->schema`).
struct NewBlob {
    label: String,
    unique: bool,
    indexed: bool,
    required: bool,
    checked: Option<&'static str>,
    system_catalog: bool,
}

/// A link of the pushed schema (`defs->schema`).
#[derive(Clone)]
struct NewRef {
    fwd: [String; 2],
    rev: [String; 2],
    cardinality: String,
    unique: bool,
    required: bool,
    on_delete: Option<String>,
    on_delete_reverse: Option<String>,
}

/// The pushed schema as the server holds it after `remove-system-namespaces` and
/// `defs->schema`, in push order.
struct NewSchema {
    blobs: Vec<(String, Vec<NewBlob>)>,
    refs: Vec<NewRef>,
}

/// The system catalog's links as a pushed link def would spell them (`system-catalog-links`):
/// a pushed link equal to one of them, and only then, is dropped.
fn system_links() -> Vec<Value> {
    system_catalog::attrs()
        .into_iter()
        .filter(Attr::is_ref)
        .filter_map(|attr| {
            let reverse = attr.reverse?;
            Some(json!({
                "forward": {"on": attr.forward.etype, "has": if attr.cardinality_one { "one" } else { "many" }, "label": attr.forward.label},
                "reverse": {"on": reverse.etype, "has": if attr.unique { "one" } else { "many" }, "label": reverse.label},
            }))
        })
        .collect()
}

/// `remove-hidden` for a pushed value attribute: `$` namespaces other than `$users`, `$files`
/// and `$streams`, and those two's bookkeeping columns.
fn hidden_new_blob(etype: &str, label: &str) -> bool {
    (etype.starts_with('$') && !["$users", "$files", "$streams"].contains(&etype))
        || (etype == "$files" && ["content-type", "content-disposition", "size", "location-id", "key-version"].contains(&label))
        || (etype == "$streams" && ["machineId", "hashedReconnectToken"].contains(&label))
}

fn malformed(path: &[&str], original: &Value) -> ApiError {
    ApiError::param_malformed(path, original.clone(), None)
}

/// Reads the pushed defs (`remove-system-namespaces`, `defs->schema`). The server never checks
/// their shape and fails with a 500 on what it cannot read; the emulator answers
/// `param-malformed` at the part it could not read instead.
fn read_defs(pushed: &Value) -> ApiResult<NewSchema> {
    let defs = match pushed {
        Value::Null => return Ok(NewSchema { blobs: Vec::new(), refs: Vec::new() }),
        Value::Object(defs) => defs,
        other => return Err(malformed(&["body", "schema"], other)),
    };
    let empty = Map::new();
    let entities = match defs.get("entities") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(entities)) => entities,
        Some(other) => return Err(malformed(&["body", "schema", "entities"], other)),
    };
    let mut blobs = Vec::new();
    for (etype, def) in entities {
        let attrs = match def.get("attrs") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(attrs)) => attrs,
            Some(other) => return Err(malformed(&["body", "schema", "entities", etype, "attrs"], other)),
        };
        let mut kept = Vec::new();
        for (label, attr) in attrs {
            if reserved_name(etype, label) || hidden_new_blob(etype, label) {
                continue;
            }
            let config = attr.get("config");
            let flag = |key: &str| truthy(config.and_then(|c| c.get(key)));
            let checked = attr.get("valueType").and_then(Value::as_str).and_then(crate::values::DataType::parse).map(|t| t.name());
            kept.push(NewBlob {
                label: label.clone(),
                unique: flag("unique"),
                indexed: flag("indexed"),
                required: attr.get("required") == Some(&Value::Bool(true)),
                checked,
                system_catalog: etype.starts_with('$'),
            });
        }
        // `blobs-filtered`: an entity left with no attributes is not part of the push.
        if !kept.is_empty() {
            blobs.push((etype.clone(), kept));
        }
    }
    let links = match defs.get("links") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(links)) => links,
        Some(other) => return Err(malformed(&["body", "schema", "links"], other)),
    };
    let system = system_links();
    let mut refs: Vec<NewRef> = Vec::new();
    for (name, link) in links {
        if system.contains(link) {
            continue;
        }
        let new = read_link(name, link)?;
        // `into {}`: a later link with the same four names replaces the earlier one.
        match refs.iter_mut().find(|r| r.fwd == new.fwd && r.rev == new.rev) {
            Some(existing) => *existing = new,
            None => refs.push(new),
        }
    }
    Ok(NewSchema { blobs, refs })
}

fn read_link(name: &str, link: &Value) -> ApiResult<NewRef> {
    let side = |key: &str| -> ApiResult<([String; 2], String, Option<String>)> {
        let def = link.get(key).unwrap_or(&Value::Null);
        let text = |field: &str| -> ApiResult<String> {
            match def.get(field) {
                Some(Value::String(s)) => Ok(s.clone()),
                other => Err(malformed(&["body", "schema", "links", name, key, field], other.unwrap_or(&Value::Null))),
            }
        };
        let on_delete = match def.get("onDelete") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => return Err(malformed(&["body", "schema", "links", name, key, "onDelete"], other)),
        };
        Ok(([text("on")?, text("label")?], text("has")?, on_delete))
    };
    let (fwd, fwd_has, on_delete) = side("forward")?;
    let (rev, rev_has, on_delete_reverse) = side("reverse")?;
    Ok(NewRef {
        fwd,
        rev,
        cardinality: fwd_has,
        unique: rev_has == "one",
        required: link.pointer("/forward/required") == Some(&Value::Bool(true)),
        on_delete,
        on_delete_reverse,
    })
}

impl NewSchema {
    /// `new-schema` as the plan answers it: every attribute with a `null` id and identity ids.
    fn to_wire(&self) -> Value {
        let mut blobs = Map::new();
        for (etype, attrs) in &self.blobs {
            let mut by_label = Map::new();
            for attr in attrs {
                by_label.insert(
                    attr.label.clone(),
                    json!({
                        "id": null,
                        "value-type": "blob",
                        "cardinality": "one",
                        "forward-identity": [null, etype, attr.label],
                        "unique?": attr.unique,
                        "index?": attr.indexed,
                        "required?": attr.required,
                        "checked-data-type": attr.checked,
                        "catalog": if attr.system_catalog { "system" } else { "user" },
                    }),
                );
            }
            blobs.insert(etype.clone(), Value::Object(by_label));
        }
        let mut refs = Map::new();
        for link in &self.refs {
            refs.insert(
                ref_key(link),
                json!({
                    "id": null,
                    "value-type": "ref",
                    "index?": false,
                    "on-delete": link.on_delete,
                    "on-delete-reverse": link.on_delete_reverse,
                    "forward-identity": [null, link.fwd[0], link.fwd[1]],
                    "reverse-identity": [null, link.rev[0], link.rev[1]],
                    "cardinality": link.cardinality,
                    "unique?": link.unique,
                    "required?": link.required,
                }),
            );
        }
        json!({"refs": refs, "blobs": blobs})
    }
}

fn ref_key(link: &NewRef) -> String {
    clojure_vector(&[&link.fwd[0], &link.fwd[1], &link.rev[0], &link.rev[1]])
}

fn fresh_ident(etype: &str, label: &str) -> Value {
    json!([Uuid::new_v4().to_string(), etype, label])
}

fn constraint_step(name: &str, current: &Value) -> Value {
    json!([name, {"attr-id": current["id"], "forward-identity": current["forward-identity"]}])
}

/// `schemas->ops`: the steps turning `current` (the API schema) into one that also has `new`.
fn steps(options: PlanOptions, current: &Value, new: &NewSchema) -> Vec<Value> {
    let mut steps = Vec::new();
    for (etype, _) in &new.blobs {
        if current["blobs"].get(etype).is_none() {
            steps.push(json!(["add-attr", {
                "value-type": "blob",
                "cardinality": "one",
                "id": Uuid::new_v4().to_string(),
                "forward-identity": fresh_ident(etype, "id"),
                "unique?": true,
                "index?": false,
            }]));
        }
    }
    for (etype, attrs) in &new.blobs {
        for attr in attrs.iter().filter(|a| a.label != "id") {
            match current["blobs"].get(etype).and_then(|b| b.get(&attr.label)) {
                None => steps.push(new_blob_step(options, etype, attr)),
                Some(existing) => steps.extend(changed_blob_steps(options, existing, attr)),
            }
        }
    }
    for link in &new.refs {
        match current["refs"].get(ref_key(link)) {
            None => steps.push(json!(["add-attr", {
                "value-type": "ref",
                "id": Uuid::new_v4().to_string(),
                "forward-identity": fresh_ident(&link.fwd[0], &link.fwd[1]),
                "reverse-identity": fresh_ident(&link.rev[0], &link.rev[1]),
                "cardinality": link.cardinality,
                "unique?": link.unique,
                "index?": false,
                "required?": link.required,
                "on-delete": link.on_delete,
                "on-delete-reverse": link.on_delete_reverse,
            }])),
            Some(existing) => steps.extend(changed_ref_steps(options, existing, link)),
        }
    }
    steps
}

/// A new value attribute: one `add-attr` carrying its constraints (no job steps).
fn new_blob_step(options: PlanOptions, etype: &str, attr: &NewBlob) -> Value {
    let mut wire = json!({
        "value-type": "blob",
        "cardinality": "one",
        "id": Uuid::new_v4().to_string(),
        "forward-identity": fresh_ident(etype, &attr.label),
        "unique?": attr.unique,
        "index?": attr.indexed,
        "required?": attr.required,
    });
    if let (true, Some(checked), Some(obj)) = (options.check_types, attr.checked, wire.as_object_mut()) {
        obj.insert("checked-data-type".into(), json!(checked));
    }
    json!(["add-attr", wire])
}

/// An existing value attribute's changed flags: job steps in the order index, unique,
/// required (or one `update-attr` without background updates), then its data type.
fn changed_blob_steps(options: PlanOptions, current: &Value, new: &NewBlob) -> Vec<Value> {
    let flag = |key: &str| current.get(key).and_then(Value::as_bool).unwrap_or(false);
    let changed_index = new.indexed != flag("index?");
    let changed_unique = new.unique != flag("unique?");
    let changed_required = new.required != flag("required?");
    let current_type = current.get("checked-data-type").and_then(Value::as_str);
    let changed_type = options.check_types && new.checked != current_type;
    let mut steps = Vec::new();
    if (changed_index || changed_unique || changed_required) && !options.background_updates {
        steps.push(json!(["update-attr", {
            "value-type": "blob",
            "cardinality": "one",
            "id": current["id"],
            "forward-identity": current["forward-identity"],
            "unique?": new.unique,
            "index?": new.indexed,
            "required?": new.required,
        }]));
    }
    if options.background_updates {
        if changed_index {
            steps.push(constraint_step(if new.indexed { "index" } else { "remove-index" }, current));
        }
        if changed_unique {
            steps.push(constraint_step(if new.unique { "unique" } else { "remove-unique" }, current));
        }
        if changed_required {
            steps.push(constraint_step(if new.required { "required" } else { "remove-required" }, current));
        }
    }
    if changed_type && current.get("catalog").and_then(Value::as_str) != Some("system") {
        steps.push(match new.checked {
            Some(checked) => json!(["check-data-type", {
                "attr-id": current["id"],
                "checked-data-type": checked,
                "forward-identity": current["forward-identity"],
            }]),
            None => constraint_step("remove-data-type", current),
        });
    }
    steps
}

/// An existing link's changes: `required`/`remove-required` as a job, anything else (or
/// everything, without background updates) as a full `update-attr`.
fn changed_ref_steps(options: PlanOptions, current: &Value, new: &NewRef) -> Vec<Value> {
    let text = |key: &str| current.get(key).and_then(Value::as_str);
    let changed_required = new.required != current.get("required?").and_then(Value::as_bool).unwrap_or(false);
    let changed_updatable = text("cardinality") != Some(new.cardinality.as_str())
        || current.get("unique?").and_then(Value::as_bool).unwrap_or(false) != new.unique
        || text("on-delete") != new.on_delete.as_deref()
        || text("on-delete-reverse") != new.on_delete_reverse.as_deref();
    let mut steps = Vec::new();
    if !changed_required && !changed_updatable {
        return steps;
    }
    if changed_required && options.background_updates {
        steps.push(constraint_step(if new.required { "required" } else { "remove-required" }, current));
    }
    if changed_updatable || !options.background_updates {
        steps.push(json!(["update-attr", {
            "value-type": "ref",
            "id": current["id"],
            "forward-identity": current["forward-identity"],
            "reverse-identity": current["reverse-identity"],
            "cardinality": new.cardinality,
            "unique?": new.unique,
            "index?": false,
            "required?": new.required,
            "on-delete": new.on_delete,
            "on-delete-reverse": new.on_delete_reverse,
        }]));
    }
    steps
}

/// The `(etype, label)` of an identity in wire form.
fn ident_name(ident: Option<&Value>) -> Option<(String, String)> {
    let parts = ident?.as_array()?;
    Some((parts.get(1)?.as_str()?.to_owned(), parts.get(2)?.as_str()?.to_owned()))
}

fn message_prefix((etype, label): &(String, String)) -> String {
    format!("{etype}->{label}: ")
}

const DASHBOARD: &str = "https://www.instantdb.com/dash?s=main&t=explorer";

fn duplicate_message(name: &(String, String)) -> String {
    format!(
        "{}Duplicate entry found for attribute. Check your schema file for duplicate link definitions. If it's not in the schema file, it may have been generated by the backend. Check your full schema in the dashboard: {DASHBOARD}",
        message_prefix(name)
    )
}

fn backwards_link_message(name: &(String, String)) -> String {
    format!(
        "{}Conflicting link found for attribute. It's possible that you already have a link with the same label names, but in the reverse direction. We cannot automatically swap the direction of the link. To fix this, can: a) swap the `forward` and `reverse` parameters for this link in your schema file, or b) delete the existing link in the dashboard.Check your full schema in the dashboard for a link with the same label names: {DASHBOARD}",
        message_prefix(name)
    )
}

fn cascade_message(name: &(String, String)) -> String {
    format!(
        "{}Cascade delete is only possible on links with `has: 'one'`. Check your full schema in the dashboard: {DASHBOARD}",
        message_prefix(name)
    )
}

/// `plan-errors`: added attributes whose names are taken (a link the other way round, or a
/// name on either side), then cascades the links cannot have, against every attribute the app
/// has (hidden system ones included).
pub(super) fn plan_errors(app: &App, steps: &[Value]) -> Vec<Value> {
    type Name = (String, String);
    let links: Vec<(Name, Name)> = app
        .attrs
        .iter()
        .filter(|a| a.is_ref())
        .filter_map(|a| {
            let rev = a.reverse.as_ref()?;
            Some(((a.forward.etype.clone(), a.forward.label.clone()), (rev.etype.clone(), rev.label.clone())))
        })
        .collect();
    let blob_names: Vec<Name> =
        app.attrs.iter().filter(|a| !a.is_ref()).map(|a| (a.forward.etype.clone(), a.forward.label.clone())).collect();
    let link_named = |name: &Name| links.iter().any(|(fwd, rev)| fwd == name || rev == name);
    let mut errors = Vec::new();
    for (op, attr) in steps.iter().filter_map(|s| Some((s.get(0)?.as_str()?, s.get(1)?))) {
        if op != "add-attr" {
            continue;
        }
        let Some(fwd) = ident_name(attr.get("forward-identity")) else { continue };
        let rev = ident_name(attr.get("reverse-identity"));
        // The existing link whose reverse name is this attribute's forward name.
        let current_rev = links.iter().find(|(_, r)| *r == fwd).map(|(f, _)| f.clone());
        let message = if (rev.is_some() || current_rev.is_some()) && rev == current_rev {
            Some(backwards_link_message(&fwd))
        } else if link_named(&fwd) {
            Some(duplicate_message(&fwd))
        } else if let Some(rev) = rev.as_ref().filter(|r| link_named(r)) {
            Some(duplicate_message(rev))
        } else if blob_names.contains(&fwd) {
            Some(duplicate_message(&fwd))
        } else {
            None
        };
        if let Some(message) = message {
            errors.push(json!({"in": ["schema"], "message": message}));
        }
    }
    for (op, attr) in steps.iter().filter_map(|s| Some((s.get(0)?.as_str()?, s.get(1)?))) {
        if !matches!(op, "add-attr" | "update-attr") || attr.get("value-type").and_then(Value::as_str) != Some("ref") {
            continue;
        }
        let cascade = |key: &str| attr.get(key).and_then(Value::as_str) == Some("cascade");
        let named = if attr.get("cardinality").and_then(Value::as_str) == Some("many") && cascade("on-delete") {
            ident_name(attr.get("forward-identity"))
        } else if !truthy(attr.get("unique?")) && cascade("on-delete-reverse") {
            ident_name(attr.get("reverse-identity"))
        } else {
            continue;
        };
        // A step without the identity prints `nil` for it on the server; the emulator's
        // steps always carry one.
        let name = named.unwrap_or_default();
        errors.push(json!({"in": ["schema"], "message": cascade_message(&name)}));
    }
    errors
}

/// Plans the push of `pushed` (an `i.schema(...)` JSON, platform spec §4.1) to `app` with
/// `options`; see [`super::plan`].
pub fn plan_with(app: &App, pushed: &Value, options: PlanOptions) -> ApiResult<Plan> {
    let new = read_defs(pushed)?;
    let current_schema = api_schema(app);
    let steps = steps(options, &current_schema, &new);
    let errors = plan_errors(app, &steps);
    if !errors.is_empty() {
        return Err(ApiError::validation("schema", json!("plan"), errors));
    }
    Ok(Plan { new_schema: new.to_wire(), current_schema, current_attrs: super::current_attrs(app), steps })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App::new(Uuid::new_v4(), Uuid::new_v4())
    }

    #[test]
    fn flags_are_read_with_clojure_truthiness() {
        assert_eq!(PlanOptions::from_body(&json!({})), PlanOptions { check_types: false, background_updates: false });
        assert_eq!(PlanOptions::from_body(&json!({"check_types": true, "supports_background_updates": "yes"})), PlanOptions::CLIENT);
        assert!(!PlanOptions::from_body(&json!({"check_types": null})).check_types);
        // `config.unique` is truthy-read (`boolean`), `required` only when exactly true
        let pushed = json!({"entities": {"e": {"attrs": {"a": {"valueType": "any", "required": "yes", "config": {"unique": 0, "indexed": false}}}}}});
        let new = read_defs(&pushed).expect("read");
        let a = &new.blobs[0].1[0];
        assert!(a.unique && !a.indexed && !a.required);
        assert_eq!(a.checked, None, "`any` is not a checked type");
    }

    #[test]
    fn a_later_link_with_the_same_names_replaces_an_earlier_one() {
        let side = |on: &str, has: &str, label: &str| json!({"on": on, "has": has, "label": label});
        let pushed = json!({"links": {
            "one": {"forward": side("a", "one", "b"), "reverse": side("b", "many", "a")},
            "two": {"forward": side("a", "many", "b"), "reverse": side("b", "many", "a")},
        }});
        let new = read_defs(&pushed).expect("read");
        assert_eq!(new.refs.len(), 1);
        assert_eq!(new.refs[0].cardinality, "many");
    }

    #[test]
    fn plan_errors_check_both_sides_of_added_links() {
        let mut app = app();
        app.attrs.push(Attr::link("posts", "author", "users", "posts"));
        let add = |fwd: [&str; 2], rev: [&str; 2]| {
            json!(["add-attr", {"value-type": "ref", "forward-identity": ["x", fwd[0], fwd[1]], "reverse-identity": ["y", rev[0], rev[1]],
                                "cardinality": "many", "unique?": false}])
        };
        let messages = |steps: &[Value]| -> Vec<String> {
            plan_errors(&app, steps)
                .iter()
                .map(|e| e["message"].as_str().unwrap_or_default().split(':').next().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(messages(&[add(["users", "posts"], ["posts", "author"])]), ["users->posts"], "backwards");
        assert!(plan_errors(&app, &[add(["users", "posts"], ["posts", "author"])])[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Conflicting link"));
        assert_eq!(messages(&[add(["posts", "writer"], ["users", "posts"])]), ["users->posts"], "reverse taken");
        assert_eq!(messages(&[add(["posts", "writer"], ["users", "writings"])]), Vec::<String>::new());
        // a blob named like the system catalog's hidden attributes clashes too
        let blob = json!(["add-attr", {"value-type": "blob", "forward-identity": ["x", "$magicCodes", "email"]}]);
        assert_eq!(messages(&[blob]), ["$magicCodes->email"]);
    }
}
