//! The official client's checks against a schema (`validateQuery` in `queryValidation.ts`,
//! `validateTransactions` in `transactionValidation.ts` of `@instantdb/core`): the same rules,
//! in the same order, with the same messages. Values are quoted as JavaScript would quote the
//! caller's object (`typeof`, `String(value)`), read from the JSON the caller's object became.
//!
//! Written for size (every byte is in the npm wasm): each message is one template whose `\x01`s
//! take the arguments in turn ([`fail`]), one function walks `where` keys, dotted or not.

use super::Schema;
use crate::error::{Error, Result, ValidationClass};
use crate::json::{JsonView, Kind};
use crate::prelude::*;
use crate::uuid::is_uuid;

/// What `$` may hold.
const DOLLAR_KEYS: [&str; 12] =
    ["where", "order", "limit", "last", "first", "offset", "after", "afterInclusive", "before", "beforeInclusive", "fields", "aggregate"];
/// [`DOLLAR_KEYS`] as the message lists them.
const DOLLAR_LIST: &str = "where, order, limit, last, first, offset, after, afterInclusive, before, beforeInclusive, fields, aggregate";
/// `$` options refused below the top level.
const PAGINATION: [&str; 7] = ["offset", "before", "beforeInclusive", "after", "afterInclusive", "first", "last"];
/// Deeper than this the checks stop (the structural checks of [`crate::validate`] refuse it).
const MAX_DEPTH: usize = crate::validate::MAX_DEPTH;
/// A value of the wrong type for an attribute (queries and transactions).
const BAD_VALUE: &str = "Invalid value for attribute '\x01' in entity '\x01'. Expected \x01, but received: \x01";
/// A namespace the schema lacks (queries and transactions).
const NO_ENTITY: &str = "Entity '\x01' does not exist in schema. Available entities: \x01";
/// A link label the entity lacks (queries and transactions).
const NO_LINK: &str = "Link '\x01' does not exist on entity '\x01'. Available links: \x01";

const Q: ValidationClass = ValidationClass::Query;
const T: ValidationClass = ValidationClass::Transaction;

/// Whether `text` is a UUID as the `uuid` package's `validate` accepts it: version 1 to 8 and
/// the RFC variant, or the nil or max UUID.
///
/// ```
/// use instant_edge::schema::is_strict_uuid;
/// assert!(is_strict_uuid("8aa64e4c-64f9-472e-8a61-3fa28870e6cb"));
/// assert!(!is_strict_uuid("8aa64e4c-64f9-972e-8a61-3fa28870e6cb"));
/// ```
pub fn is_strict_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    is_uuid(text)
        && ((matches!(b[14], b'1'..=b'8') && matches!(b[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B'))
            || b.iter().all(|c| matches!(c, b'0' | b'-'))
            || b.iter().all(|c| matches!(c, b'f' | b'F' | b'-')))
}

/// An entity id or link target the official client accepts: a UUID or a `lookup__` string.
pub fn is_entity_id(text: &str) -> bool {
    text.starts_with("lookup__") || is_strict_uuid(text)
}

/// `template` with each `\x01` replaced by the next of `args`.
fn fill(out: &mut String, template: &str, args: &[&str]) {
    for (i, piece) in template.split('\x01').enumerate() {
        if i > 0 {
            out.push_str(args[i - 1]);
        }
        out.push_str(piece);
    }
}

/// The error of `class` (a query's with `At path '...': ` unless `path` is empty).
#[inline(never)]
fn fail(class: ValidationClass, path: &str, template: &str, args: &[&str]) -> Box<Error> {
    let mut message = String::new();
    if !path.is_empty() {
        fill(&mut message, "At path '\x01': ", &[path]);
    }
    fill(&mut message, template, args);
    Box::new(Error::Validation { class, message })
}

/// `typeof` of the value JSON holds.
fn type_of<J: JsonView>(value: Option<&J>) -> &'static str {
    match value.map(JsonView::kind) {
        None => "undefined",
        Some(Kind::Bool) => "boolean",
        Some(Kind::Number) => "number",
        Some(Kind::String) => "string",
        Some(_) => "object",
    }
}

/// `String(value)`.
fn js_string<J: JsonView>(value: Option<&J>, out: &mut String) {
    let Some(value) = value else { return out.push_str("undefined") };
    match value.kind() {
        Kind::Null => out.push_str("null"),
        Kind::Bool => out.push_str(if value.boolean() == Some(true) { "true" } else { "false" }),
        Kind::Number => out.push_str(&value.number_text().unwrap_or_default()),
        Kind::String => out.push_str(&value.text().unwrap_or_default()),
        Kind::Object => out.push_str("[object Object]"),
        Kind::Array => {
            let mut first = true;
            for item in &value.items() {
                if !first {
                    out.push(',');
                }
                first = false;
                if item.kind() != Kind::Null {
                    js_string(Some(item), out);
                }
            }
        }
    }
}

fn quoted<J: JsonView>(value: Option<&J>) -> String {
    let mut out = String::new();
    js_string(value, &mut out);
    out
}

/// `Object.entries(value)` of an object or an array.
fn js_entries<J: JsonView>(value: &J) -> Vec<(String, J)> {
    if value.kind() != Kind::Array {
        return value.entries();
    }
    let mut entries = Vec::new();
    for item in value.items() {
        let mut key = String::new();
        crate::value::push_number(&mut key, entries.len() as u64);
        entries.push((key, item));
    }
    entries
}

/// `typeof value === 'object' && value !== null`.
fn is_object<J: JsonView>(value: &J) -> bool {
    matches!(value.kind(), Kind::Array | Kind::Object)
}

/// The names of `items` joined with `, `, then `tail` if any; `none` for nothing.
fn list<T>(items: &[T], name: fn(&T) -> &str, tail: &str) -> String {
    let mut out = String::new();
    let mut first = true;
    for item in items {
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push_str(name(item));
    }
    if !tail.is_empty() {
        if !first {
            out.push_str(", ");
        }
        out.push_str(tail);
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

fn entity_names(schema: &Schema) -> String {
    list(&schema.entities, |e| &e.name, "")
}

fn link_names(entity: &super::Entity) -> String {
    list(&entity.links, |l| &l.label, "")
}

fn attr_names(entity: &super::Entity, tail: &str) -> String {
    list(&entity.attrs, |a| &a.name, tail)
}

fn join(path: &str, key: &str) -> String {
    let mut out = String::from(path);
    out.push('.');
    out.push_str(key);
    out
}

/// Checks a query as `@instantdb/admin` does when given `schema`: namespaces, links, `$`
/// options and `where` clauses (attributes, dot paths, operators and value types). The error
/// is an [`Error::Validation`] of class [`ValidationClass::Query`], with the official message.
///
/// ```
/// use instant_edge::{schema::check_query, value, Schema};
/// let schema = Schema::parse(r#"{"entities": {"goals": {"attrs": {"title": {"valueType": "string"}}, "links": {}}}}"#).unwrap();
/// assert!(check_query(&&value!({ "goals": { "$": { "where": { "title": "Run" } } } }), &schema).is_ok());
/// let err = check_query(&&value!({ "goal": {} }), &schema).unwrap_err();
/// assert_eq!(err.to_string(), "At path 'goal': Entity 'goal' does not exist in schema. Available entities: goals");
/// ```
pub fn check_query<J: JsonView>(query: &J, schema: &Schema) -> Result<()> {
    query_checked(query, schema).map_err(|error| *error)
}

/// A check's error, boxed: `?` then moves a pointer, not the whole [`Error`].
type Checked = core::result::Result<(), Box<Error>>;

fn query_checked<J: JsonView>(query: &J, schema: &Schema) -> Checked {
    let kind = query.kind();
    if kind != Kind::Object {
        let null = if kind == Kind::Null { " (null)" } else { "" };
        return Err(fail(Q, "", "Query must be an object, but received: \x01\x01", &[type_of(Some(query)), null]));
    }
    for (key, part) in &query.entries() {
        if part.kind() == Kind::Array {
            return Err(fail(Q, key, "Query keys must be strings, but found key of type: string", &[]));
        }
        if key == "$$ruleParams" {
            continue;
        }
        if schema.entity(key).is_none() {
            return Err(fail(Q, key, NO_ENTITY, &[key, &entity_names(schema)]));
        }
        entity_in_query(part, key, schema, key, 0)?;
    }
    Ok(())
}

fn entity_in_query<J: JsonView>(part: &J, entity_name: &str, schema: &Schema, path: &str, depth: usize) -> Checked {
    if !is_object(part) {
        let template = "Query part for entity '\x01' must be an object, but received: \x01";
        return Err(fail(Q, path, template, &[entity_name, type_of(Some(part))]));
    }
    // A link to an entity the schema lacks: the official check fails with a TypeError here.
    let Some(entity) = schema.entity(entity_name).filter(|_| depth <= MAX_DEPTH) else { return Ok(()) };
    for (key, value) in &js_entries(part) {
        let at = join(path, key);
        if key != "$" {
            let Some(link) = entity.link(key) else {
                return Err(fail(Q, &at, NO_LINK, &[key, entity_name, &link_names(entity)]));
            };
            if is_object(value) && !link.entity_name.is_empty() {
                entity_in_query(value, &link.entity_name, schema, &at, depth + 1)?;
            }
            continue;
        }
        if !is_object(value) {
            let template = "Query parameter '$' must be an object in entity '\x01', but received: \x01";
            return Err(fail(Q, &at, template, &[entity_name, type_of(Some(value))]));
        }
        for (key, _) in &js_entries(value) {
            if !DOLLAR_KEYS.contains(&key.as_str()) {
                let template = "Invalid query parameter '\x01' in $ object. Valid parameters are: \x01. Found: \x01";
                return Err(fail(Q, &at, template, &[key, DOLLAR_LIST, key]));
            }
        }
        if depth > 0 {
            for param in PAGINATION {
                if value.field(param).is_some() {
                    let template = "'\x01' can only be used on top-level namespaces. It cannot be used in nested queries.";
                    return Err(fail(Q, &at, template, &[param]));
                }
            }
        }
        let Some(clause) = value.field("where").filter(truthy) else { continue };
        let at = join(&at, "where");
        if !is_object(&clause) {
            let template = "'where' clause must be an object in entity '\x01', but received: \x01";
            return Err(fail(Q, &at, template, &[entity_name, type_of(Some(&clause))]));
        }
        where_clause(&clause, entity_name, schema, &at, 0)?;
    }
    Ok(())
}

fn truthy<J: JsonView>(value: &J) -> bool {
    match value.kind() {
        Kind::Null => false,
        Kind::Bool => value.boolean() == Some(true),
        Kind::Number => value.number().is_some_and(|n| n != 0.0),
        Kind::String => value.text().is_some_and(|t| !t.is_empty()),
        Kind::Array | Kind::Object => true,
    }
}

fn where_clause<J: JsonView>(clause: &J, entity_name: &str, schema: &Schema, path: &str, depth: usize) -> Checked {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for (key, value) in &js_entries(clause) {
        let at = join(path, key);
        if key == "or" || key == "and" {
            for item in &value.items() {
                if is_object(item) {
                    let mut at = at.clone();
                    at.push('[');
                    js_string(Some(item), &mut at);
                    at.push(']');
                    where_clause(item, entity_name, schema, &at, depth + 1)?;
                }
            }
            continue;
        }
        where_key(key, value, entity_name, schema, &at)?;
    }
    Ok(())
}

/// One key of a `where` clause: an attribute, a link, `id`, or a dot path through links.
fn where_key<J: JsonView>(key: &str, value: &J, start: &str, schema: &Schema, path: &str) -> Checked {
    let mut current = start;
    let mut last = key;
    let dotted = key.bytes().any(|b| b == b'.');
    if dotted {
        while let Some((link_name, rest)) = last.split_once('.') {
            last = rest;
            let Some(entity) = schema.entity(current) else {
                let template = "Entity '\x01' does not exist in schema while traversing dot notation path '\x01'.";
                return Err(fail(Q, path, template, &[current, key]));
            };
            let Some(link) = entity.link(link_name) else {
                let template = "Link '\x01' does not exist on entity '\x01' in dot notation path '\x01'. Available links: \x01";
                return Err(fail(Q, path, template, &[link_name, current, key, &link_names(entity)]));
            };
            current = &link.entity_name;
        }
    } else if key == "id" {
        return where_value(value, key, Some("string"), true, start, path);
    }
    let Some(entity) = schema.entity(current) else {
        if !dotted {
            return Ok(());
        }
        let template = "Target entity '\x01' does not exist in schema for dot notation path '\x01'.";
        return Err(fail(Q, path, template, &[current, key]));
    };
    let attr = entity.attr(last);
    let is_id = dotted && last == "id";
    if is_id || entity.link(last).is_some() && (dotted || attr.is_none()) {
        if let Some(text) = value.text().filter(|t| !is_strict_uuid(t)) {
            let (a, b, c) = if is_id { ("id field", "", "") } else { ("link '", last, "'") };
            let template = "Invalid value for \x01\x01\x01 in entity '\x01'. Expected a UUID, but received: \x01";
            return Err(fail(Q, path, template, &[a, b, c, current, &text]));
        }
        return where_value(value, key, Some("string"), true, start, path);
    }
    if let Some(attr) = attr {
        return where_value(value, key, attr.value_type.as_deref(), attr.is_indexed, start, path);
    }
    if dotted {
        let template = "Attribute '\x01' does not exist on entity '\x01' in dot notation path '\x01'. Available attributes: \x01";
        return Err(fail(Q, path, template, &[last, current, key, &attr_names(entity, "id")]));
    }
    let template = "Attribute or link '\x01' does not exist on entity '\x01'. Available attributes: \x01. Available links: \x01";
    Err(fail(Q, path, template, &[key, current, &attr_names(entity, ""), &link_names(entity)]))
}

/// `isValidValueForType` of a known type (`string`, `number`, `boolean`, `date`); none for others.
fn fits(kind: Kind, expected: &str) -> Option<bool> {
    Some(match expected {
        _ if kind == Kind::Null => true,
        "string" => kind == Kind::String,
        "number" => kind == Kind::Number,
        "boolean" => kind == Kind::Bool,
        "date" => matches!(kind, Kind::String | Kind::Number),
        _ => return None,
    })
}

fn where_value<J: JsonView>(value: &J, attr_name: &str, value_type: Option<&str>, indexed: bool, entity_name: &str, path: &str) -> Checked {
    let expected = value_type.filter(|t| !t.is_empty()).unwrap_or("unknown");
    if value_type == Some("json") {
        return Ok(());
    }
    if value.kind() != Kind::Object {
        if fits(value.kind(), expected) == Some(false) {
            return Err(fail(Q, path, BAD_VALUE, &[attr_name, entity_name, expected, type_of(Some(value))]));
        }
        return Ok(());
    }
    for (op, operand) in &value.entries() {
        let at = join(path, op);
        let op = op.as_str();
        let (want, many) = match op {
            "in" | "$in" => {
                if operand.kind() != Kind::Array {
                    let template = "Operator '\x01' for attribute '\x01' in entity '\x01' must be an array, but received: \x01";
                    return Err(fail(Q, &at, template, &[op, attr_name, entity_name, type_of(Some(operand))]));
                }
                (expected, true)
            }
            "$not" | "$ne" | "$gt" | "$lt" | "$gte" | "$lte" => (expected, false),
            "$like" | "$ilike" => ("string", false),
            "$isNull" => ("boolean", false),
            _ => {
                let template = "Unknown operator '\x01' for attribute '\x01' in entity '\x01'";
                return Err(fail(Q, &at, template, &[op, attr_name, entity_name]));
            }
        };
        let items = operand.items();
        for item in if many { &items[..] } else { core::slice::from_ref(operand) } {
            if fits(item.kind(), want) == Some(false) {
                let template = "Invalid value for operator '\x01' on attribute '\x01' in entity '\x01'. Expected \x01, but received: \x01";
                return Err(fail(Q, &at, template, &[op, attr_name, entity_name, want, type_of(Some(item))]));
            }
        }
        if op == "$ilike" && !indexed {
            let template = "Operator '\x01' can only be used with indexed attributes, but '\x01' in entity '\x01' is not indexed";
            return Err(fail(Q, &at, template, &[op, attr_name, entity_name]));
        }
    }
    Ok(())
}

/// Checks transaction steps (`[[action, namespace, id, args], ...]`, the flat form of `tx`
/// chunks) as `@instantdb/admin` does when given `schema`: ids, namespaces, attribute value
/// types, link labels and link targets. Attributes the schema lacks are let through, as there
/// (the server refuses them: `throw-on-missing-attrs?`). The error is an
/// [`Error::Validation`] of class [`ValidationClass::Transaction`], with the official message.
///
/// ```
/// use instant_edge::{schema::check_steps, value, Schema};
/// let schema = Schema::parse(r#"{"entities": {"goals": {"attrs": {"title": {"valueType": "string"}}, "links": {}}}}"#).unwrap();
/// let id = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
/// assert!(check_steps(&&value!([["update", "goals", id, { "title": "Run" }]]), &schema).is_ok());
/// let err = check_steps(&&value!([["update", "goals", id, { "title": 5 }]]), &schema).unwrap_err();
/// assert_eq!(err.to_string(), "Invalid value for attribute 'title' in entity 'goals'. Expected string, but received: number");
/// ```
pub fn check_steps<J: JsonView>(steps: &J, schema: &Schema) -> Result<()> {
    steps_checked(steps, schema).map_err(|error| *error)
}

fn steps_checked<J: JsonView>(steps: &J, schema: &Schema) -> Checked {
    for step in &steps.items() {
        if step.kind() != Kind::Array {
            return Err(fail(T, "", "Transaction operation must be an array, but received: \x01", &[type_of(Some(step))]));
        }
        let items = step.items();
        let (action, entity_name, id) = (items.first(), items.get(1), items.get(2));
        if id.is_none_or(|id| id.kind() != Kind::Array && !id.text().is_some_and(|id| is_strict_uuid(&id))) {
            let template = "Invalid id for entity '\x01'. Expected a UUID, but received: \x01";
            return Err(fail(T, "", template, &[&quoted(entity_name), &quoted(id)]));
        }
        let Some(name) = entity_name.and_then(JsonView::text) else {
            return Err(fail(T, "", "Entity name must be a string, but received: \x01", &[type_of(entity_name)]));
        };
        // `undefined` args are skipped; JSON writes them as `null`.
        let Some(args) = items.get(3).filter(|args| args.kind() != Kind::Null) else { continue };
        let is_data = match action.and_then(JsonView::text).as_deref() {
            Some("create" | "update" | "merge") => true,
            Some("link" | "unlink") => false,
            _ => continue,
        };
        let Some(entity) = schema.entity(&name) else {
            return Err(fail(T, "", NO_ENTITY, &[&name, &entity_names(schema)]));
        };
        if !is_object(args) {
            let template = "Arguments for \x01 operation on entity '\x01' must be an object, but received: \x01";
            return Err(fail(T, "", template, &[if is_data { "data" } else { "link" }, &name, type_of(Some(args))]));
        }
        for (key, value) in &js_entries(args) {
            if is_data {
                let Some(attr) = entity.attr(key).filter(|_| key != "id") else { continue };
                let expected = attr.value_type.as_deref().unwrap_or("undefined");
                if expected != "json" && fits(value.kind(), expected) != Some(true) {
                    return Err(fail(T, "", BAD_VALUE, &[key, &name, expected, type_of(Some(value))]));
                }
                continue;
            }
            if entity.link(key).is_none() {
                return Err(fail(T, "", NO_LINK, &[key, &name, &link_names(entity)]));
            }
            let is_id = |target: &J| target.text().is_some_and(|t| is_entity_id(&t));
            match value.kind() {
                Kind::Null => {}
                Kind::Array => {
                    for target in &value.items() {
                        if !is_id(target) {
                            let template =
                                "Invalid entity ID in link '\x01' for entity '\x01'. Expected a UUID or a lookup, but received: \x01";
                            return Err(fail(T, "", template, &[key, &name, &quoted(Some(target))]));
                        }
                    }
                }
                _ if !is_id(value) => {
                    let template = "Invalid UUID in link '\x01' for entity '\x01'. Expected a UUID, but received: \x01";
                    return Err(fail(T, "", template, &[key, &name, &quoted(Some(value))]));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    /// Cases and what the official checks said of them (`tests/js/schema-cases.mjs dump`).
    const OFFICIAL: &str = include_str!("../../tests/fixtures/schema-validation.json");

    fn said(result: Result<()>) -> serde_json::Value {
        match result {
            Ok(()) => serde_json::Value::Null,
            Err(Error::Validation { class, message }) => serde_json::json!([class.name(), message]),
            Err(other) => serde_json::json!(["other", other.to_string()]),
        }
    }

    /// A check run on a case read as a [`crate::Value`] and as JSON text.
    type Both = fn(&crate::Value, &crate::parse::Node<'_>, &Schema) -> (Result<()>, Result<()>);

    /// Every case, read from a [`crate::Value`] and from JSON text (as the npm build reads it).
    /// Read with the crate's own reader: key order matters (`Available entities: ...`).
    fn each(area: &str, check: Both) {
        let official = parse(OFFICIAL).unwrap();
        let schema = Schema::from_json(&official.field("schema").unwrap()).unwrap();
        let cases = official.field(area).unwrap().items();
        assert!(cases.len() > 25);
        for case in cases {
            let (input, want) = (case.items()[0], case.items()[1]);
            let value = crate::json::to_value(&input);
            let (from_value, from_text) = check(&value, &input, &schema);
            let want: serde_json::Value = serde_json::from_str(want.source).unwrap();
            assert_eq!(said(from_value), want, "{}", input.source);
            assert_eq!(said(from_text), want, "{} (as text)", input.source);
        }
    }

    #[test]
    fn queries_as_the_official_client_checks_them() {
        each("queries", |value, node, schema| (check_query(&value, schema), check_query(node, schema)));
    }

    #[test]
    fn transactions_as_the_official_client_checks_them() {
        each("txs", |value, node, schema| (check_steps(&value, schema), check_steps(node, schema)));
    }

    #[test]
    fn uuids_as_the_uuid_package_reads_them() {
        assert!(is_strict_uuid("00000000-0000-0000-0000-000000000000"));
        assert!(is_strict_uuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
        assert!(is_strict_uuid("0D3C5D2E-5B0E-4B7B-9D47-5A1F0A3B2C10"));
        assert!(!is_strict_uuid("0d3c5d2e-5b0e-0b7b-9d47-5a1f0a3b2c10"), "version 0");
        assert!(!is_strict_uuid("0d3c5d2e-5b0e-4b7b-cd47-5a1f0a3b2c10"), "variant c");
        assert!(is_entity_id("lookup__slug__\"a\"") && !is_entity_id("goal-1"));
    }

    #[test]
    fn schema_links_from_the_top_level_links_alone() {
        // A hand-written `--schema` file may leave the entities' `links` out.
        let schema = Schema::parse(
            r#"{"entities": {"goals": {"attrs": {}}, "todos": {"attrs": {"done": {"valueType": "boolean"}}}},
                "links": {"gt": {"forward": {"on": "goals", "has": "many", "label": "todos"}, "reverse": {"on": "todos", "has": "one", "label": "goal"}}}}"#,
        )
        .unwrap();
        let query = crate::value!({ "goals": { "todos": { "$": { "where": { "goal.todos.done": true } } } } });
        check_query(&&query, &schema).unwrap();
        let err = check_query(&&crate::value!({ "todos": { "goals": {} } }), &schema).unwrap_err();
        assert_eq!(err.to_string(), "At path 'todos.goals': Link 'goals' does not exist on entity 'todos'. Available links: goal");
        assert!(Schema::parse("[]").is_err() && Schema::parse(r#"{"entities": 1}"#).is_err());
    }

    #[test]
    fn deep_input_never_overflows() {
        let mut text = String::from(r#"{"goals":{"$":{"where":"#);
        for _ in 0..400 {
            text.push_str(r#"{"or":["#);
        }
        for _ in 0..400 {
            text.push_str("]}");
        }
        text.push_str("}}}");
        let schema = Schema::parse(r#"{"entities": {"goals": {"attrs": {}, "links": {}}}}"#).unwrap();
        assert!(check_query(&parse(&text).unwrap(), &schema).is_ok());
    }
}
