//! The official client's checks against a schema (`validateQuery` in `queryValidation.ts`,
//! `validateTransactions` in `transactionValidation.ts` of `@instantdb/core`): the same rules,
//! in the same order, with the same messages. Values are quoted as JavaScript would quote the
//! caller's object (`typeof`, `String(value)`), read from the JSON the caller's object became.

use super::Schema;
use crate::error::{Error, Result, ValidationClass};
use crate::json::{JsonView, Kind};
use crate::prelude::*;
use crate::uuid::is_uuid;

/// What `$` may hold.
const DOLLAR_KEYS: [&str; 12] =
    ["where", "order", "limit", "last", "first", "offset", "after", "afterInclusive", "before", "beforeInclusive", "fields", "aggregate"];
/// `$` options refused below the top level.
const PAGINATION: [&str; 7] = ["offset", "before", "beforeInclusive", "after", "afterInclusive", "first", "last"];
/// Deeper than this the checks stop (the structural checks of [`crate::validate`] refuse it).
const MAX_DEPTH: usize = crate::validate::MAX_DEPTH;

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

/// `typeof` of the value JSON holds.
fn type_of<J: JsonView>(value: Option<&J>) -> &'static str {
    match value.map(JsonView::kind) {
        None => "undefined",
        Some(Kind::Bool) => "boolean",
        Some(Kind::Number) => "number",
        Some(Kind::String) => "string",
        Some(Kind::Null | Kind::Array | Kind::Object) => "object",
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
            for (i, item) in value.items().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
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
    match value.kind() {
        Kind::Array => value
            .items()
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let mut key = String::new();
                crate::value::push_number(&mut key, i as u64);
                (key, item)
            })
            .collect(),
        _ => value.entries(),
    }
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

/// `typeof value === 'object' && value !== null`.
fn is_object<J: JsonView>(value: &J) -> bool {
    matches!(value.kind(), Kind::Array | Kind::Object)
}

/// `names.join(', ')`, or `none`.
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for name in names {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

/// `parts.concat()`, without the generic joining code.
fn concat(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

fn query_error(path: &str, parts: &[&str]) -> Error {
    let mut message = String::new();
    if !path.is_empty() {
        message.push_str("At path '");
        message.push_str(path);
        message.push_str("': ");
    }
    for part in parts {
        message.push_str(part);
    }
    Error::Validation { class: ValidationClass::Query, message }
}

fn tx_error(parts: &[&str]) -> Error {
    Error::Validation { class: ValidationClass::Transaction, message: concat(parts) }
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
    match query.kind() {
        Kind::Object => {}
        Kind::Null => return Err(query_error("", &["Query must be an object, but received: object (null)"])),
        _ => return Err(query_error("", &["Query must be an object, but received: ", type_of(Some(query))])),
    }
    for (key, part) in query.entries() {
        if part.kind() == Kind::Array {
            return Err(query_error(&key, &["Query keys must be strings, but found key of type: string"]));
        }
        if key == "$$ruleParams" {
            continue;
        }
        if schema.entity(&key).is_none() {
            let available = list(schema.entities.iter().map(|e| e.name.as_str()));
            return Err(query_error(&key, &["Entity '", &key, "' does not exist in schema. Available entities: ", &available]));
        }
        entity_in_query(&part, &key, schema, &key, 0)?;
    }
    Ok(())
}

fn entity_in_query<J: JsonView>(part: &J, entity_name: &str, schema: &Schema, path: &str, depth: usize) -> Result<()> {
    if !truthy(part) || !is_object(part) {
        let parts = ["Query part for entity '", entity_name, "' must be an object, but received: ", type_of(Some(part))];
        return Err(query_error(path, &parts));
    }
    // A link to an entity the schema lacks: the official check fails with a TypeError here.
    let Some(entity) = schema.entity(entity_name).filter(|_| depth <= MAX_DEPTH) else { return Ok(()) };
    for (key, value) in js_entries(part) {
        let at = join(path, &key);
        if key != "$" {
            let Some(link) = entity.link(&key) else {
                let available = list(entity.links.iter().map(|l| l.label.as_str()));
                return Err(query_error(
                    &at,
                    &["Link '", &key, "' does not exist on entity '", entity_name, "'. Available links: ", &available],
                ));
            };
            if is_object(&value) && !link.entity_name.is_empty() {
                entity_in_query(&value, &link.entity_name, schema, &at, depth + 1)?;
            }
        } else if !is_object(&value) {
            let parts = ["Query parameter '$' must be an object in entity '", entity_name, "', but received: ", type_of(Some(&value))];
            return Err(query_error(&at, &parts));
        } else {
            dollar(&value, entity_name, schema, &at, depth)?;
        }
    }
    Ok(())
}

fn dollar<J: JsonView>(options: &J, entity_name: &str, schema: &Schema, path: &str, depth: usize) -> Result<()> {
    for (key, _) in js_entries(options) {
        if !DOLLAR_KEYS.contains(&key.as_str()) {
            let valid = list(DOLLAR_KEYS.iter().copied());
            let parts = ["Invalid query parameter '", &key, "' in $ object. Valid parameters are: ", &valid, ". Found: ", &key];
            return Err(query_error(path, &parts));
        }
    }
    if depth > 0 {
        if let Some(param) = PAGINATION.iter().find(|param| options.field(param).is_some()) {
            return Err(query_error(
                path,
                &["'", param, "' can only be used on top-level namespaces. It cannot be used in nested queries."],
            ));
        }
    }
    match options.field("where") {
        Some(clause) if truthy(&clause) => {
            let at = join(path, "where");
            if !is_object(&clause) {
                let parts = ["'where' clause must be an object in entity '", entity_name, "', but received: ", type_of(Some(&clause))];
                return Err(query_error(&at, &parts));
            }
            where_clause(&clause, entity_name, schema, &at, 0)
        }
        _ => Ok(()),
    }
}

/// The attribute a `where` value is checked against: an id or a link compares as an indexed string.
#[derive(Clone, Copy)]
struct Typed<'a> {
    value_type: Option<&'a str>,
    is_indexed: bool,
}

const ID: Typed<'static> = Typed { value_type: Some("string"), is_indexed: true };

fn where_clause<J: JsonView>(clause: &J, entity_name: &str, schema: &Schema, path: &str, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for (key, value) in js_entries(clause) {
        let at = join(path, &key);
        if key == "or" || key == "and" {
            for item in value.items().iter().filter(|item| is_object(*item)) {
                let mut at = at.clone();
                at.push('[');
                js_string(Some(item), &mut at);
                at.push(']');
                where_clause(item, entity_name, schema, &at, depth + 1)?;
            }
            continue;
        }
        if key == "id" {
            where_value(&value, "id", ID, entity_name, &at)?;
            continue;
        }
        if key.contains('.') {
            dot_path(&key, &value, entity_name, schema, &at)?;
            continue;
        }
        let Some(entity) = schema.entity(entity_name) else { continue };
        if let Some(attr) = entity.attr(&key) {
            where_value(&value, &key, Typed { value_type: attr.value_type.as_deref(), is_indexed: attr.is_indexed }, entity_name, &at)?;
        } else if entity.link(&key).is_some() {
            not_a_uuid(&value, &link_subject(&key), entity_name, &at)?;
            where_value(&value, &key, ID, entity_name, &at)?;
        } else {
            let attrs = list(entity.attrs.iter().map(|a| a.name.as_str()));
            let links = list(entity.links.iter().map(|l| l.label.as_str()));
            let parts = [
                "Attribute or link '",
                &key,
                "' does not exist on entity '",
                entity_name,
                "'. Available attributes: ",
                &attrs,
                ". Available links: ",
                &links,
            ];
            return Err(query_error(&at, &parts));
        }
    }
    Ok(())
}

/// `link 'label'`.
fn link_subject(label: &str) -> String {
    concat(&["link '", label, "'"])
}

/// A string that is not a UUID where an id or a link is compared.
fn not_a_uuid<J: JsonView>(value: &J, subject: &str, entity_name: &str, path: &str) -> Result<()> {
    match value.text() {
        Some(text) if !is_strict_uuid(&text) => {
            let parts = ["Invalid value for ", subject, " in entity '", entity_name, "'. Expected a UUID, but received: ", &text];
            Err(query_error(path, &parts))
        }
        _ => Ok(()),
    }
}

fn dot_path<J: JsonView>(dot_path: &str, value: &J, start: &str, schema: &Schema, path: &str) -> Result<()> {
    let parts: Vec<&str> = dot_path.split('.').collect();
    let (last, links) = parts.split_last().unwrap_or((&"", &[]));
    let mut current = start;
    for link_name in links {
        let Some(entity) = schema.entity(current) else {
            let parts = ["Entity '", current, "' does not exist in schema while traversing dot notation path '", dot_path, "'."];
            return Err(query_error(path, &parts));
        };
        let Some(link) = entity.link(link_name) else {
            let available = list(entity.links.iter().map(|l| l.label.as_str()));
            let parts = [
                "Link '",
                link_name,
                "' does not exist on entity '",
                current,
                "' in dot notation path '",
                dot_path,
                "'. Available links: ",
                &available,
            ];
            return Err(query_error(path, &parts));
        };
        current = &link.entity_name;
    }
    let Some(entity) = schema.entity(current) else {
        return Err(query_error(path, &["Target entity '", current, "' does not exist in schema for dot notation path '", dot_path, "'."]));
    };
    if *last == "id" {
        not_a_uuid(value, "id field", current, path)?;
        return where_value(value, dot_path, ID, start, path);
    }
    if entity.link(last).is_some() {
        not_a_uuid(value, &link_subject(last), current, path)?;
        return where_value(value, dot_path, ID, start, path);
    }
    let Some(attr) = entity.attr(last) else {
        let mut available = String::new();
        for attr in &entity.attrs {
            available.push_str(&attr.name);
            available.push_str(", ");
        }
        available.push_str("id");
        let parts = [
            "Attribute '",
            last,
            "' does not exist on entity '",
            current,
            "' in dot notation path '",
            dot_path,
            "'. Available attributes: ",
            &available,
        ];
        return Err(query_error(path, &parts));
    };
    where_value(value, dot_path, Typed { value_type: attr.value_type.as_deref(), is_indexed: attr.is_indexed }, start, path)
}

/// `isValidValueForType`.
fn fits<J: JsonView>(value: &J, expected: &str) -> bool {
    match (value.kind(), expected) {
        (Kind::Null, _) => true,
        (kind, "string") => kind == Kind::String,
        (kind, "number") => kind == Kind::Number,
        (kind, "boolean") => kind == Kind::Bool,
        (kind, "date") => matches!(kind, Kind::String | Kind::Number),
        _ => true,
    }
}

fn where_value<J: JsonView>(value: &J, attr_name: &str, attr: Typed<'_>, entity_name: &str, path: &str) -> Result<()> {
    let expected = attr.value_type.filter(|t| !t.is_empty()).unwrap_or("unknown");
    let is_any = attr.value_type == Some("json");
    if value.kind() == Kind::Object {
        if is_any {
            return Ok(());
        }
        for (op, operand) in value.entries() {
            operator(&op, &operand, expected, attr_name, entity_name, attr.is_indexed, &join(path, &op))?;
        }
        return Ok(());
    }
    if !is_any && !fits(value, expected) {
        let parts = [
            "Invalid value for attribute '",
            attr_name,
            "' in entity '",
            entity_name,
            "'. Expected ",
            expected,
            ", but received: ",
            type_of(Some(value)),
        ];
        return Err(query_error(path, &parts));
    }
    Ok(())
}

fn operator<J: JsonView>(
    op: &str,
    operand: &J,
    expected: &str,
    attr_name: &str,
    entity_name: &str,
    indexed: bool,
    path: &str,
) -> Result<()> {
    let check = |expected: &str, value: &J| {
        if fits(value, expected) {
            return Ok(());
        }
        let parts = [
            "Invalid value for operator '",
            op,
            "' on attribute '",
            attr_name,
            "' in entity '",
            entity_name,
            "'. Expected ",
            expected,
            ", but received: ",
            type_of(Some(value)),
        ];
        Err(query_error(path, &parts))
    };
    match op {
        "in" | "$in" => {
            if operand.kind() != Kind::Array {
                let parts = [
                    "Operator '",
                    op,
                    "' for attribute '",
                    attr_name,
                    "' in entity '",
                    entity_name,
                    "' must be an array, but received: ",
                    type_of(Some(operand)),
                ];
                return Err(query_error(path, &parts));
            }
            operand.items().iter().try_for_each(|item| check(expected, item))
        }
        "$not" | "$ne" | "$gt" | "$lt" | "$gte" | "$lte" => check(expected, operand),
        "$like" | "$ilike" => {
            check("string", operand)?;
            if op == "$ilike" && !indexed {
                let parts = [
                    "Operator '",
                    op,
                    "' can only be used with indexed attributes, but '",
                    attr_name,
                    "' in entity '",
                    entity_name,
                    "' is not indexed",
                ];
                return Err(query_error(path, &parts));
            }
            Ok(())
        }
        "$isNull" => check("boolean", operand),
        _ => Err(query_error(path, &["Unknown operator '", op, "' for attribute '", attr_name, "' in entity '", entity_name, "'"])),
    }
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
    for step in steps.items() {
        if step.kind() != Kind::Array {
            return Err(tx_error(&["Transaction operation must be an array, but received: ", type_of(Some(&step))]));
        }
        let items = step.items();
        let (action, entity_name, id) = (items.first(), items.get(1), items.get(2));
        if id.is_none_or(|id| id.kind() != Kind::Array && !id.text().is_some_and(|id| is_strict_uuid(&id))) {
            let parts = ["Invalid id for entity '", &quoted(entity_name), "'. Expected a UUID, but received: ", &quoted(id)];
            return Err(tx_error(&parts));
        }
        let Some(name) = entity_name.and_then(JsonView::text) else {
            return Err(tx_error(&["Entity name must be a string, but received: ", type_of(entity_name)]));
        };
        // `undefined` args are skipped; JSON writes them as `null`.
        let Some(args) = items.get(3).filter(|args| args.kind() != Kind::Null) else { continue };
        match action.and_then(JsonView::text).as_deref() {
            Some("create" | "update" | "merge") => data(&name, args, schema)?,
            Some("link" | "unlink") => links(&name, args, schema)?,
            _ => {}
        }
    }
    Ok(())
}

fn entity_of<'s>(name: &str, schema: &'s Schema) -> Result<&'s super::Entity> {
    schema.entity(name).ok_or_else(|| {
        let available = list(schema.entities.iter().map(|e| e.name.as_str()));
        tx_error(&["Entity '", name, "' does not exist in schema. Available entities: ", &available])
    })
}

fn data<J: JsonView>(name: &str, args: &J, schema: &Schema) -> Result<()> {
    let entity = entity_of(name, schema)?;
    if !is_object(args) {
        return Err(tx_error(&[
            "Arguments for data operation on entity '",
            name,
            "' must be an object, but received: ",
            type_of(Some(args)),
        ]));
    }
    for (attr_name, value) in js_entries(args) {
        let Some(attr) = entity.attr(&attr_name).filter(|_| attr_name != "id") else { continue };
        let valid = match (value.kind(), attr.value_type.as_deref()) {
            (Kind::Null, _) | (_, Some("json")) => true,
            (kind, Some("date")) => matches!(kind, Kind::String | Kind::Number),
            (kind, Some("string")) => kind == Kind::String,
            (kind, Some("number")) => kind == Kind::Number,
            (kind, Some("boolean")) => kind == Kind::Bool,
            _ => false,
        };
        if !valid {
            let expected = attr.value_type.as_deref().unwrap_or("undefined");
            let parts = [
                "Invalid value for attribute '",
                &attr_name,
                "' in entity '",
                name,
                "'. Expected ",
                expected,
                ", but received: ",
                type_of(Some(&value)),
            ];
            return Err(tx_error(&parts));
        }
    }
    Ok(())
}

fn links<J: JsonView>(name: &str, args: &J, schema: &Schema) -> Result<()> {
    let entity = entity_of(name, schema)?;
    if !is_object(args) {
        return Err(tx_error(&[
            "Arguments for link operation on entity '",
            name,
            "' must be an object, but received: ",
            type_of(Some(args)),
        ]));
    }
    let is_id = |target: &J| target.text().is_some_and(|t| is_entity_id(&t));
    for (label, targets) in js_entries(args) {
        if entity.link(&label).is_none() {
            let available = list(entity.links.iter().map(|l| l.label.as_str()));
            return Err(tx_error(&["Link '", &label, "' does not exist on entity '", name, "'. Available links: ", &available]));
        }
        match targets.kind() {
            Kind::Null => {}
            Kind::Array => {
                if let Some(bad) = targets.items().iter().find(|t| !is_id(t)) {
                    let parts = [
                        "Invalid entity ID in link '",
                        &label,
                        "' for entity '",
                        name,
                        "'. Expected a UUID or a lookup, but received: ",
                        &quoted(Some(bad)),
                    ];
                    return Err(tx_error(&parts));
                }
            }
            _ if !is_id(&targets) => {
                let parts = [
                    "Invalid UUID in link '",
                    &label,
                    "' for entity '",
                    name,
                    "'. Expected a UUID, but received: ",
                    &quoted(Some(&targets)),
                ];
                return Err(tx_error(&parts));
            }
            _ => {}
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
