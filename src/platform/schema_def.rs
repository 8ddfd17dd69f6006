//! The server's API schema (spec platform §4.2) read as the official client reads it
//! (`apiSchemaToInstantSchemaDef`, `apiSchemaToAttrs`, `collectSystemCatalogIdentNames`, spec
//! §4.3): as the JSON of the `i.schema(...)` it builds, as the list of attributes, and as the
//! system catalog's identities. Pure.

use crate::prelude::*;

use super::collate::{insertion_sort, js_key_order, locale_compare};
use crate::Value;

/// An object's entries sorted as the official `sortedEntries` sorts them (`localeCompare`).
fn sorted(object: Option<&Value>) -> Vec<(&str, &Value)> {
    let mut entries: Vec<(&str, &Value)> =
        object.and_then(Value::as_object).unwrap_or_default().iter().map(|(k, v)| (k.as_str(), v)).collect();
    insertion_sort(&mut entries, &|(a, _), (b, _)| locale_compare(a, b));
    entries
}

/// An object of `entries`, its keys in the order a JS object keeps them.
fn js_object(mut entries: Vec<(String, Value)>) -> Value {
    js_key_order(&mut entries);
    Value::Object(entries)
}

fn truthy(attr: &Value, key: &str) -> bool {
    match attr.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Null) | None => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => *n != 0.0 && !n.is_nan(),
        Some(_) => true,
    }
}

/// `etype`/`label` of an identity `[id, etype, label]`.
fn ident_part<'a>(attr: &'a Value, key: &str, index: usize) -> Option<&'a str> {
    attr.get(key)?.as_array()?.get(index)?.as_str()
}

/// An attribute's `i` definition as JSON: its type only from `checked-data-type` (`i.any()`,
/// valueType `json`, without one), then `unique?`, `index?`, `required?`.
fn attr_def(attr: &Value) -> Value {
    let checked = attr.get("checked-data-type").and_then(Value::as_str).filter(|t| !t.is_empty());
    let value_type = checked.filter(|t| matches!(*t, "string" | "number" | "boolean" | "date" | "json")).unwrap_or("json");
    let derived = match checked {
        Some(t) => Value::object([("type", Value::from(t)), ("origin", Value::from("checked"))]),
        None => Value::object([("type", Value::from("any")), ("origin", Value::from("unknown"))]),
    };
    let (indexed, unique) = (truthy(attr, "index?"), truthy(attr, "unique?"));
    Value::object([
        ("valueType", Value::from(value_type)),
        ("required", Value::from(truthy(attr, "required?"))),
        ("isIndexed", Value::from(indexed)),
        ("config", Value::object([("indexed", Value::from(indexed)), ("unique", Value::from(unique))])),
        ("metadata", Value::object([("derivedType", derived)])),
    ])
}

/// `has` of the forward and reverse sides of a ref, by its cardinality and uniqueness.
fn sides_has(attr: &Value) -> (Option<&'static str>, Option<&'static str>) {
    let unique = attr.get("unique?").and_then(|u| if let Value::Bool(b) = u { Some(*b) } else { None });
    match (attr.get("cardinality").and_then(Value::as_str), unique) {
        (Some("many"), Some(false)) => (Some("many"), Some("many")),
        (Some("one"), Some(true)) => (Some("one"), Some("one")),
        (Some("many"), Some(true)) => (Some("many"), Some("one")),
        (Some("one"), Some(false)) => (Some("one"), Some("many")),
        _ => (None, None),
    }
}

/// One side of a link as `JSON.stringify` writes it (unknown parts left out, as `undefined`).
fn side(on: Option<&str>, has: Option<&str>, label: Option<&str>, required: bool, cascade: bool) -> Value {
    let mut side = Value::empty_object();
    for (key, value) in [("on", on), ("has", has), ("label", label)] {
        if let Some(value) = value {
            side.insert(key, Value::from(value));
        }
    }
    if required {
        side.insert("required", Value::Bool(true));
    }
    if cascade {
        side.insert("onDelete", Value::from("cascade"));
    }
    side
}

/// The JSON of the `i.schema(...)` the official `apiSchemaToInstantSchemaDef` builds from an
/// API schema: entities and attributes in `localeCompare` order (`id` left out), links named
/// `etype` + `Label`, each entity's `links` filled as `i.schema` fills them, `rooms: {}`.
///
/// ```
/// use instant_edge::{platform::schema_def::instant_schema, value};
/// let api = value!({ "blobs": { "todos": {
///     "id": { "forward-identity": ["i", "todos", "id"], "unique?": true, "index?": true },
///     "title": { "forward-identity": ["t", "todos", "title"], "checked-data-type": "string", "required?": true } } },
///   "refs": {} });
/// let schema = instant_schema(&api);
/// let title = schema.get("entities").and_then(|e| e.get("todos")).and_then(|t| t.get("attrs")).and_then(|a| a.get("title")).unwrap();
/// assert_eq!(title.get("valueType").and_then(|t| t.as_str()), Some("string"));
/// assert_eq!(title.get("required"), Some(&true.into()));
/// ```
pub fn instant_schema(api: &Value) -> Value {
    let mut blobs = Vec::new();
    for (etype, attrs) in sorted(api.get("blobs")) {
        let mut defs = Vec::new();
        for (label, attr) in sorted(Some(attrs)) {
            if label != "id" {
                defs.push((label.to_owned(), attr_def(attr)));
            }
        }
        blobs.push((etype.to_owned(), defs));
    }
    let mut links = Vec::new();
    for (_, attr) in sorted(api.get("refs")) {
        let (on, label) = (ident_part(attr, "forward-identity", 1), ident_part(attr, "forward-identity", 2));
        let (reverse_on, reverse_label) = (ident_part(attr, "reverse-identity", 1), ident_part(attr, "reverse-identity", 2));
        let (has, reverse_has) = sides_has(attr);
        let cascade = |key: &str| attr.get(key).and_then(Value::as_str) == Some("cascade");
        // The first letter upper-cased (ASCII: the Unicode tables would cost the npm wasm ~10 KB).
        let mut name = String::from(on.unwrap_or("undefined"));
        let mut rest = label.unwrap_or("undefined").chars();
        name.extend(rest.next().map(|c| c.to_ascii_uppercase()));
        name.extend(rest);
        let forward = side(on, has, label, truthy(attr, "required?"), cascade("on-delete"));
        let reverse = side(reverse_on, reverse_has, reverse_label, false, cascade("on-delete-reverse"));
        links.push((name, Value::object([("forward", forward), ("reverse", reverse)])));
    }
    let mut entities = Vec::new();
    for (etype, attrs) in blobs {
        let labels = entity_links(&etype, &links);
        entities.push((etype, Value::object([("attrs", js_object(attrs)), ("links", labels)])));
    }
    Value::object([("entities", js_object(entities)), ("links", js_object(links)), ("rooms", Value::empty_object())])
}

/// An entity's `links` as `i.schema` fills them: its forward labels, then its reverse ones (a
/// label given twice keeps its first place and its last value).
fn entity_links(etype: &str, links: &[(String, Value)]) -> Value {
    let text = |side: &Value, key: &str| side.get(key).cloned().unwrap_or(Value::Null);
    let mut labels = Value::empty_object();
    for (this, other) in [("forward", "reverse"), ("reverse", "forward")] {
        for (_, link) in links {
            let (Some(side), Some(other)) = (link.get(this), link.get(other)) else { continue };
            if side.get("on").and_then(Value::as_str) == Some(etype) {
                let label = side.get("label").and_then(Value::as_str).unwrap_or("undefined");
                labels.insert(label, Value::object([("entityName", text(other, "on")), ("cardinality", text(side, "has"))]));
            }
        }
    }
    labels
}

/// Every attribute of an API schema, as the official `apiSchemaToAttrs` lists them: the blobs
/// of each entity (entities in `localeCompare` order), then the refs (in key order).
pub fn current_attrs(api: &Value) -> Vec<Value> {
    let mut attrs = Vec::new();
    for (_, blob) in sorted(api.get("blobs")) {
        attrs.extend(blob.as_object().unwrap_or_default().iter().map(|(_, attr)| attr.clone()));
    }
    attrs.extend(sorted(api.get("refs")).into_iter().map(|(_, attr)| attr.clone()));
    attrs
}

/// The identities (`etype`, `label`) of the system catalog's attributes (`catalog: "system"`),
/// both directions: what an overwrite push never touches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemCatalog(Vec<(String, String)>);

impl SystemCatalog {
    /// The system identities among `attrs` (the official `collectSystemCatalogIdentNames`).
    ///
    /// ```
    /// use instant_edge::{platform::schema_def::SystemCatalog, value};
    /// let attrs = [value!({ "catalog": "system", "forward-identity": ["i", "$users", "email"] })];
    /// let catalog = SystemCatalog::of(&attrs);
    /// assert!(catalog.has("$users", "email") && catalog.has_entity("$users") && !catalog.has("$users", "nick"));
    /// ```
    pub fn of(attrs: &[Value]) -> SystemCatalog {
        let mut names = Vec::new();
        for attr in attrs.iter().filter(|attr| attr.get("catalog").and_then(Value::as_str) == Some("system")) {
            for key in ["forward-identity", "reverse-identity"] {
                if let (Some(etype), Some(label)) = (ident_part(attr, key, 1), ident_part(attr, key, 2)) {
                    names.push((etype.to_owned(), label.to_owned()));
                }
            }
        }
        SystemCatalog(names)
    }

    /// Whether `etype.label` is a system identity.
    pub fn has(&self, etype: &str, label: &str) -> bool {
        self.0.iter().any(|(e, l)| e == etype && l == label)
    }

    /// Whether `etype` is a system entity.
    pub fn has_entity(&self, etype: &str) -> bool {
        self.0.iter().any(|(e, _)| e == etype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        crate::json::to_value(&crate::parse::parse(text).unwrap())
    }

    #[test]
    fn reads_an_api_schema_as_the_official_client_does() {
        // An API schema and what `JSON.stringify(apiSchemaToInstantSchemaDef(it))` printed for it
        // with @instantdb/platform 1.0.67 in Node 20: sorted by `localeCompare` (`todos` before
        // `Users`, `2` first as an array index), types only from `checked-data-type`, link
        // names `etype` + `Label`, entity links forward then reverse.
        let api = parse(
            r#"{"blobs":{"todos":{"2":{"forward-identity":["c","todos","2"]},"id":{"forward-identity":["a","todos","id"],"unique?":true,"index?":true},"Title":{"forward-identity":["b","todos","Title"],"checked-data-type":"string","required?":true,"index?":true},"n":{"forward-identity":["c","todos","n"],"unique?":true}},"$users":{"email":{"checked-data-type":"string","unique?":true}},"Users":{}},"refs":{"[\"todos\" \"owner\" \"$users\" \"todos\"]":{"forward-identity":["d","todos","owner"],"reverse-identity":["e","$users","todos"],"cardinality":"one","unique?":false,"on-delete":"cascade","required?":true},"[\"Users\" \"todos\" \"todos\" \"users\"]":{"forward-identity":["f","Users","todos"],"reverse-identity":["g","todos","users"],"cardinality":"many","unique?":true,"on-delete-reverse":"cascade"}}}"#,
        );
        let official = r#"{"entities":{"$users":{"attrs":{"email":{"valueType":"string","required":false,"isIndexed":false,"config":{"indexed":false,"unique":true},"metadata":{"derivedType":{"type":"string","origin":"checked"}}}},"links":{"todos":{"entityName":"todos","cardinality":"many"}}},"todos":{"attrs":{"2":{"valueType":"json","required":false,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{"derivedType":{"type":"any","origin":"unknown"}}},"n":{"valueType":"json","required":false,"isIndexed":false,"config":{"indexed":false,"unique":true},"metadata":{"derivedType":{"type":"any","origin":"unknown"}}},"Title":{"valueType":"string","required":true,"isIndexed":true,"config":{"indexed":true,"unique":false},"metadata":{"derivedType":{"type":"string","origin":"checked"}}}},"links":{"owner":{"entityName":"$users","cardinality":"one"},"users":{"entityName":"Users","cardinality":"one"}}},"Users":{"attrs":{},"links":{"todos":{"entityName":"todos","cardinality":"many"}}}},"links":{"todosOwner":{"forward":{"on":"todos","has":"one","label":"owner","required":true,"onDelete":"cascade"},"reverse":{"on":"$users","has":"many","label":"todos"}},"UsersTodos":{"forward":{"on":"Users","has":"many","label":"todos"},"reverse":{"on":"todos","has":"one","label":"users","onDelete":"cascade"}}},"rooms":{}}"#;
        assert_eq!(instant_schema(&api).to_json(), official);
        let attrs = current_attrs(&api);
        let ids: Vec<&str> = attrs.iter().filter_map(|a| a.get("forward-identity")?.as_array()?.first()?.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b", "c", "d", "f"], "entities sorted, each entity's attributes as sent, then refs");
    }

    #[test]
    fn the_system_catalog_is_what_the_server_marks_system() {
        let attrs = [
            parse(
                r#"{"catalog":"system","forward-identity":["x","$users","linkedPrimaryUser"],"reverse-identity":["y","$users","linkedGuestUsers"]}"#,
            ),
            parse(r#"{"catalog":"user","forward-identity":["z","$users","nickname"]}"#),
        ];
        let catalog = SystemCatalog::of(&attrs);
        assert!(catalog.has("$users", "linkedGuestUsers") && catalog.has("$users", "linkedPrimaryUser"));
        assert!(!catalog.has("$users", "nickname") && !catalog.has_entity("posts"));
    }
}
