//! Applies schema JSON — what `i.schema(...)` produces (platform spec §4.1) — to an app's
//! attributes, the way the server reads it: `config.unique`, `config.indexed`,
//! `required === true`, typed only for `string|number|boolean|date`; links take their
//! cardinality from `forward.has` and uniqueness from `reverse.has == "one"`.
//!
//! Attributes that already exist are updated in place (same id, data kept); new indexed
//! attributes back-fill `null` for existing entities (spec §5.9). New attributes are held to the
//! server's naming rules (no system column's name, no new `$` namespace, no name already taken)
//! and no `$` namespace gets a required attribute.
//!
//! The other way round, [`api_schema`], [`admin_schema`] and [`soft_deleted_attrs`] render an
//! app's attributes as the Platform API's schema routes, `GET /admin/schema` and
//! `GET /admin/soft_deleted_attrs` answer them (platform spec §4.2, spec §3.17, §3.18).

use serde_json::{json, Map, Value};

use crate::store::system_catalog::{name_problem, REQUIRED_SYSTEM_ATTR};
use crate::store::{App, Attr, DataType};

/// Applies `schema` to `app`. Errors are plain messages for the control surface.
///
/// ```
/// use instant_emulator::store::App;
/// use serde_json::json;
/// let mut app = App::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// let schema = json!({"entities": {"goals": {"attrs": {"title": {"valueType": "string",
///     "required": true, "config": {"indexed": true, "unique": false}}}}}});
/// instant_emulator::schema::apply(&mut app, &schema, 0).unwrap();
/// assert!(app.attrs.fwd("goals", "title").unwrap().indexed);
/// ```
pub fn apply(app: &mut App, schema: &Value, now: i64) -> Result<(), String> {
    let Some(schema) = schema.as_object() else {
        return Err("the schema must be a JSON object".into());
    };
    let entities = match schema.get("entities") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => return Err("`entities` must be an object".into()),
    };
    for (etype, entity) in entities.into_iter().flatten() {
        let attrs = match entity.get("attrs") {
            None | Some(Value::Null) => continue,
            Some(Value::Object(attrs)) => attrs,
            Some(_) => return Err(format!("`entities.{etype}.attrs` must be an object")),
        };
        if attrs.is_empty() {
            continue;
        }
        ensure_id_attr(app, etype);
        for (label, def) in attrs {
            if label == "id" {
                continue;
            }
            apply_blob(app, etype, label, def, now)?;
        }
    }
    let links = match schema.get("links") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => return Err("`links` must be an object".into()),
    };
    for (name, link) in links.into_iter().flatten() {
        apply_link(app, name, link)?;
    }
    Ok(())
}

fn ensure_id_attr(app: &mut App, etype: &str) {
    if app.attrs.fwd(etype, "id").is_none() {
        app.attrs.push(Attr { unique: true, ..Attr::blob(etype, "id") });
    }
}

fn apply_blob(app: &mut App, etype: &str, label: &str, def: &Value, now: i64) -> Result<(), String> {
    if !def.is_object() {
        return Err(format!("`entities.{etype}.attrs.{label}` must be an object"));
    }
    let config = def.get("config");
    let flag = |key: &str| config.and_then(|c| c.get(key)).and_then(Value::as_bool).unwrap_or(false);
    let unique = flag("unique");
    let indexed = flag("indexed");
    let required = def.get("required") == Some(&Value::Bool(true));
    let checked_type = def.get("valueType").and_then(Value::as_str).and_then(DataType::parse);
    let existing = app.attrs.fwd(etype, label).map(|a| (a.id, a.system, a.is_ref(), a.indexed));
    if existing.is_none() {
        check_new_name(app, etype, label)?;
    }
    if required && etype.starts_with('$') && !existing.is_some_and(|(_, system, _, _)| system) {
        return Err(REQUIRED_SYSTEM_ATTR.into());
    }
    let attr_id = match existing {
        Some((_, true, _, _)) => return Ok(()),
        Some((_, _, true, _)) => return Err(format!("`{etype}.{label}` is a link and cannot become an attribute")),
        Some((id, _, _, was_indexed)) => {
            if let Some(attr) = app.attrs.get_mut(id) {
                attr.unique = unique;
                attr.indexed = indexed;
                attr.required = required;
                attr.checked_type = checked_type;
            }
            if was_indexed || !indexed {
                return Ok(());
            }
            id
        }
        None => {
            let attr = Attr { unique, indexed, required, checked_type, ..Attr::blob(etype, label) };
            let id = attr.id;
            app.attrs.push(attr);
            if !indexed {
                return Ok(());
            }
            id
        }
    };
    backfill_nulls(app, etype, attr_id, now);
    Ok(())
}

/// Gives every entity of `etype` without a value for `attr_id` an explicit `null` (spec §5.9
/// `new-indexed-blobs-get-nulls`).
pub fn backfill_nulls(app: &mut App, etype: &str, attr_id: uuid::Uuid, now: i64) {
    let (Some(id_attr), Some(attr)) = (app.attrs.fwd(etype, "id"), app.attrs.get(attr_id)) else {
        return;
    };
    let missing: Vec<uuid::Uuid> = app.triples.entities_with(id_attr.id).filter(|e| !app.triples.has(*e, attr_id)).collect();
    let attr = attr.clone();
    for entity in missing {
        app.triples.add(entity, &attr, Value::Null, now);
    }
}

/// Gives a new entity an explicit `null` for every indexed attribute of its namespace it was
/// not given (spec §5.9: indexed attributes always have a value, so `$isNull` finds them).
pub fn backfill_entity_nulls(app: &mut App, etype: &str, entity: uuid::Uuid, now: i64) {
    let indexed: Vec<Attr> = app.attrs.of_etype(etype).filter(|a| a.indexed && !a.is_ref() && a.forward.label != "id").cloned().collect();
    for attr in indexed {
        if !app.triples.has(entity, attr.id) {
            app.triples.add(entity, &attr, Value::Null, now);
        }
    }
}

fn apply_link(app: &mut App, name: &str, link: &Value) -> Result<(), String> {
    let side = |key: &str| -> Result<(String, String, String, Option<String>), String> {
        let def = link.get(key).ok_or_else(|| format!("`links.{name}.{key}` is missing"))?;
        let text = |field: &str| -> Result<String, String> {
            def.get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("`links.{name}.{key}.{field}` must be a string"))
        };
        let on_delete = def.get("onDelete").and_then(Value::as_str).map(str::to_owned);
        Ok((text("on")?, text("has")?, text("label")?, on_delete))
    };
    let (fwd_on, fwd_has, fwd_label, fwd_delete) = side("forward")?;
    let (rev_on, rev_has, rev_label, rev_delete) = side("reverse")?;
    for has in [&fwd_has, &rev_has] {
        if has != "one" && has != "many" {
            return Err(format!("`links.{name}`: `has` must be \"one\" or \"many\", got {has:?}"));
        }
    }
    let cardinality_one = fwd_has == "one";
    let unique = rev_has == "one";
    let required = link.pointer("/forward/required") == Some(&Value::Bool(true));
    let on_delete_cascade = fwd_delete.as_deref() == Some("cascade");
    let on_delete_reverse_cascade = rev_delete.as_deref() == Some("cascade");
    let existing = app.attrs.fwd(&fwd_on, &fwd_label).map(|a| (a.id, a.system, a.is_ref()));
    if existing.is_none() {
        check_new_name(app, &fwd_on, &fwd_label)?;
        check_new_name(app, &rev_on, &rev_label)?;
        if (&fwd_on, &fwd_label) == (&rev_on, &rev_label) {
            return Err(format!("`{rev_label}` already exists on `{rev_on}`"));
        }
    }
    if required && fwd_on.starts_with('$') && !existing.is_some_and(|(_, system, _)| system) {
        return Err(REQUIRED_SYSTEM_ATTR.into());
    }
    match existing {
        Some((_, true, _)) => return Ok(()),
        Some((_, _, false)) => return Err(format!("`{fwd_on}.{fwd_label}` is an attribute and cannot become a link")),
        Some((id, _, true)) => {
            if let Some(attr) = app.attrs.get_mut(id) {
                if let Some(rev) = attr.reverse.as_mut() {
                    rev.etype = rev_on;
                    rev.label = rev_label;
                }
                attr.cardinality_one = cardinality_one;
                attr.unique = unique;
                attr.required = required;
                attr.on_delete_cascade = on_delete_cascade;
                attr.on_delete_reverse_cascade = on_delete_reverse_cascade;
            }
        }
        None => {
            ensure_id_attr(app, &fwd_on);
            ensure_id_attr(app, &rev_on);
            app.attrs.push(Attr {
                cardinality_one,
                unique,
                required,
                on_delete_cascade,
                on_delete_reverse_cascade,
                ..Attr::link(&fwd_on, &fwd_label, &rev_on, &rev_label)
            });
        }
    }
    Ok(())
}

/// A name a new attribute would take, checked as the server checks it when the schema push adds
/// the attribute: no system column's name or new `$` namespace, and no name an attribute already
/// has on either side (`` `label` already exists on `etype` ``).
fn check_new_name(app: &App, etype: &str, label: &str) -> Result<(), String> {
    if let Some(problem) = name_problem(etype, label) {
        return Err(problem);
    }
    if app.attrs.named(etype, label).is_some() {
        return Err(format!("`{label}` already exists on `{etype}`"));
    }
    Ok(())
}

/// The app's schema as the Platform API answers it (platform spec §4.2, `attrs->schema`): value
/// attributes by namespace and label under `blobs`, links under `refs` keyed by the printed
/// Clojure vector `["<etype>" "<label>" "<reverse etype>" "<reverse label>"]`
/// ([`clojure_vector`]), in attribute id order. System attributes appear only for `$users`,
/// `$files` and `$streams`, less the ones the server hides (`remove-hidden`); `$files.url`,
/// which every file has, shows as required. The one source of both this and [`admin_schema`].
///
/// ```
/// use instant_emulator::store::App;
/// let app = App::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// let schema = instant_emulator::schema::api_schema(&app);
/// assert_eq!(schema["blobs"]["$files"]["id"]["id"], "96653230-13ff-ffff-2a34-81ffffffffff");
/// assert!(schema["refs"].get(r#"["$users" "linkedPrimaryUser" "$users" "linkedGuestUsers"]"#).is_some());
/// ```
pub fn api_schema(app: &App) -> Value {
    schema_with_ref_keys(app, |parts| clojure_vector(&parts))
}

/// The app's schema as `GET /admin/schema` answers it (spec §3.17): [`api_schema`] with each
/// link keyed `<etype>-<label>-<reverse etype>-<reverse label>` (the admin route joins the
/// vector with `-`).
pub fn admin_schema(app: &App) -> Value {
    schema_with_ref_keys(app, |parts| parts.join("-"))
}

fn schema_with_ref_keys(app: &App, ref_key: impl Fn([&str; 4]) -> String) -> Value {
    let mut attrs: Vec<&Attr> = app.attrs.iter().filter(|a| !hidden(a)).collect();
    attrs.sort_by_key(|a| a.id);
    let mut blobs: Map<String, Value> = Map::new();
    let mut refs: Map<String, Value> = Map::new();
    for attr in attrs {
        let mut wire = attr.to_wire();
        if attr.system && attr.forward.etype == "$files" && attr.forward.label == "url" {
            wire["required?"] = json!(true);
        }
        match &attr.reverse {
            Some(rev) if attr.is_ref() => {
                let key = ref_key([&attr.forward.etype, &attr.forward.label, &rev.etype, &rev.label]);
                refs.insert(key, wire);
            }
            _ => {
                let by_label = blobs.entry(attr.forward.etype.clone()).or_insert_with(|| json!({}));
                if let Some(by_label) = by_label.as_object_mut() {
                    by_label.insert(attr.forward.label.clone(), wire);
                }
            }
        }
    }
    json!({"refs": refs, "blobs": blobs})
}

/// A vector of strings as Clojure prints it (`str` of a vector, which is how Cheshire writes a
/// map key that is a vector): `["a" "b"]`, each string quoted with Clojure's escapes.
///
/// ```
/// use instant_emulator::schema::clojure_vector;
/// assert_eq!(clojure_vector(&["posts", "author", "users", "posts"]), r#"["posts" "author" "users" "posts"]"#);
/// assert_eq!(clojure_vector(&["a\"b", "c\nd"]), r#"["a\"b" "c\nd"]"#);
/// ```
pub fn clojure_vector(parts: &[&str]) -> String {
    let quoted: Vec<String> = parts
        .iter()
        .map(|part| {
            let mut out = String::with_capacity(part.len() + 2);
            out.push('"');
            for ch in part.chars() {
                match ch {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    other => out.push(other),
                }
            }
            out.push('"');
            out
        })
        .collect();
    format!("[{}]", quoted.join(" "))
}

/// `remove-hidden`: system attributes outside `$users`, `$files` and `$streams`, and the
/// bookkeeping columns of `$files` and `$streams`.
fn hidden(attr: &Attr) -> bool {
    let (etype, label) = (attr.forward.etype.as_str(), attr.forward.label.as_str());
    (attr.system && !["$users", "$files", "$streams"].contains(&etype))
        || (etype == "$files" && ["content-type", "content-disposition", "size", "location-id", "key-version"].contains(&label))
        || (etype == "$streams" && ["machineId", "hashedReconnectToken"].contains(&label))
}

/// How long the server keeps a soft-deleted attribute (`hard-deletion-sweeper`'s
/// `grace-period-days`).
pub const GRACE_PERIOD_DAYS: i64 = 2;

/// The answer of `GET /admin/soft_deleted_attrs` at `now` (spec §3.18): the attributes
/// `delete-attr` steps removed, in id order, as [`crate::store::DeletedAttr::to_wire`] renders
/// them, with the grace period. The server's sweeper hard-deletes them once a day after the
/// grace period; the emulator leaves them out as soon as it has passed.
pub fn soft_deleted_attrs(app: &App, now: i64) -> Value {
    let cutoff = now - GRACE_PERIOD_DAYS * 86_400_000;
    let mut deleted: Vec<_> = app.attrs.deleted().filter(|d| d.marked_at > cutoff).collect();
    deleted.sort_by_key(|d| d.attr.id);
    let attrs: Vec<Value> = deleted.iter().map(|d| d.to_wire(crate::values::iso_seconds)).collect();
    json!({"attrs": attrs, "grace-period-days": GRACE_PERIOD_DAYS})
}
