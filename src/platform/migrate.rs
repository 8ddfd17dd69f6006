//! An overwrite push (`overwrite: true`, spec platform §4.6), planned on the client as the
//! official one plans it: the new schema is checked against the system catalog
//! ([`validate_schema`]), diffed against the app's current schema ([`diff_schemas`], with
//! [`Renames`]), and the intents become the steps `POST /dash/apps/<id>/schema/steps/apply`
//! takes ([`convert_steps`]). Pure: the client fetches the current schema and sends the steps.
//!
//! Departures from the official client: a schema it would crash on or send garbage for (an
//! attribute without a known `valueType`, a link side whose `has` is neither `one` nor `many`)
//! is refused first; a rename of a name to itself creates the attribute the official client
//! silently leaves out; "connects to non existing entity" names the missing entity.

use crate::prelude::*;

use super::schema_def::{current_attrs, instant_schema, SystemCatalog};
use crate::error::{Error, Result, ValidationClass};
use crate::schema::{Attr, Link, Schema};
use crate::Value;

/// An attribute by entity and name (the official `Identifier`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The entity, e.g. `posts`.
    pub namespace: String,
    /// The attribute or link label, e.g. `title`.
    pub attr_name: String,
}

impl Ident {
    fn new(namespace: &str, attr_name: &str) -> Ident {
        Ident { namespace: namespace.to_owned(), attr_name: attr_name.to_owned() }
    }
}

/// What an `update-attr` intent changes (only what is set is sent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrChange {
    /// A new forward identity (a rename).
    pub forward: Option<Ident>,
    /// A new reverse identity (a link rename).
    pub reverse: Option<Ident>,
    /// `one` or `many`.
    pub cardinality: Option<&'static str>,
    /// `cascade`, for the forward side.
    pub on_delete: Option<String>,
    /// `cascade`, for the reverse side.
    pub on_delete_reverse: Option<String>,
}

/// A new attribute or link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttr {
    /// Where it goes.
    pub ident: Ident,
    /// The other side, for a link.
    pub reverse: Option<Ident>,
    /// `one` or `many`.
    pub cardinality: &'static str,
    /// Asked-for constraints (sent as steps of their own after the attribute).
    pub unique: bool,
    /// `required`.
    pub required: bool,
    /// `indexed`.
    pub indexed: bool,
    /// `cascade` on the forward side (links).
    pub on_delete: Option<String>,
    /// `cascade` on the reverse side (links).
    pub on_delete_reverse: Option<String>,
    /// The checked type: `None` leaves the key out (an entity's `id`), `Some(None)` sends null
    /// (`json` attributes and links).
    pub checked_data_type: Option<Option<String>>,
}

/// One intent of a diff (the official `MigrationTx`), by entity and name, before ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Create an attribute, a link or (its `id`) an entity.
    AddAttr(NewAttr),
    /// Delete an attribute or link.
    DeleteAttr(Ident),
    /// Rename it or change a link's cardinality or cascades.
    UpdateAttr(Ident, AttrChange),
    /// `index`, `remove-index`, `unique`, `remove-unique`, `required`, `remove-required` or
    /// `remove-data-type`.
    Constraint(&'static str, Ident),
    /// Enforce a data type.
    CheckDataType(Ident, String),
}

/// `parts` end to end (`[&str]::concat` would bring the standard library's formatting into the
/// npm wasm through its panics: ~15 KB).
fn join(parts: &[&str]) -> String {
    let mut text = String::new();
    for part in parts {
        text.push_str(part);
    }
    text
}

fn schema_error(message: String) -> Error {
    Error::Validation { class: ValidationClass::Schema, message }
}

/// Rename commands (`"posts.name:posts.title"`), as the official `buildAutoRenameSelector`
/// reads them: the last command for a `to` wins; commands that match nothing are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renames(Vec<(String, String)>);

impl Renames {
    /// Reads commands, refusing a malformed one with the official message.
    ///
    /// ```
    /// use instant_edge::platform::migrate::Renames;
    /// assert!(Renames::parse(&["posts.name:posts.title"]).is_ok());
    /// assert!(Renames::parse(&["posts.name"]).is_err());
    /// assert!(Renames::parse(&["posts:posts.title"]).is_err());
    /// ```
    pub fn parse(commands: &[&str]) -> Result<Renames> {
        let mut map: Vec<(String, String)> = Vec::new();
        for command in commands {
            let mut parts = command.split(':').map(str::trim);
            let (from, to) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if from.is_empty() || to.is_empty() {
                let mut message = String::from("Invalid rename command: ");
                message.push_str(command);
                message.push_str(". We could not parse a distinct 'from' and 'to'. The structure should look like 'from:to'. For example: 'posts.name:posts.title'");
                return Err(Error::invalid("renames", message));
            }
            for lookup in [from, to] {
                let mut parts = lookup.split('.').map(str::trim);
                if parts.next().unwrap_or("").is_empty() || parts.next().unwrap_or("").is_empty() {
                    let mut message = String::from("Invalid lookup. Got '");
                    message.push_str(lookup);
                    message.push_str("'. We expect a pattern like 'entityname.columname;.For example: posts.title");
                    return Err(Error::invalid("renames", message));
                }
            }
            match map.iter_mut().find(|(key, _)| key == to) {
                Some(entry) => entry.1 = from.to_owned(),
                None => map.push((to.to_owned(), from.to_owned())),
            }
        }
        Ok(Renames(map))
    }

    /// The `from` of the command whose `to` is `lookup`.
    fn source_of(&self, lookup: &str) -> Option<&str> {
        self.0.iter().find(|(to, _)| to == lookup).map(|(_, from)| from.as_str())
    }

    /// The removed attribute `created` (a new attribute of `entity`) renames, if any.
    fn attribute(&self, entity: &str, created: &str, missing: &[String]) -> Option<String> {
        let mut lookup = String::from(entity);
        lookup.push('.');
        lookup.push_str(created);
        // Only the label of `from` counts: its entity is not read.
        let from = self.source_of(&lookup)?.rsplit('.').next()?;
        missing.iter().find(|name| *name == from).cloned()
    }

    /// The removed link identity `created` (`on.label<->on.label`) renames, if any: the first
    /// of its two sides that a command names decides, and a removed link matches when either
    /// of its sides is that command's `from`.
    fn link(&self, created: &str, missing: &[String]) -> Option<String> {
        let from = created.split("<->").take(2).find_map(|side| self.source_of(side))?;
        let names = |identity: &str| identity.split("<->").take(2).any(|side| side == from);
        if names(created) {
            return None;
        }
        missing.iter().find(|identity| names(identity)).cloned()
    }
}

/// The official `resolveRenames`: each added name, in order, either renames one of the removed
/// names still unclaimed or is created; the unclaimed are deleted.
fn resolve(added: Vec<String>, removed: Vec<String>, renamed_from: impl Fn(&str, &[String]) -> Option<String>) -> Resolved {
    if added.is_empty() || removed.is_empty() {
        return Resolved { created: added, deleted: removed, renamed: Vec::new() };
    }
    let mut resolved = Resolved::default();
    let mut left = removed;
    for created in added {
        match renamed_from(&created, &left) {
            Some(from) => {
                left.retain(|name| *name != from);
                resolved.renamed.push((from, created));
            }
            None => resolved.created.push(created),
        }
    }
    resolved.deleted = left;
    resolved
}

#[derive(Default)]
struct Resolved {
    created: Vec<String>,
    deleted: Vec<String>,
    renamed: Vec<(String, String)>,
}

/// `cardinality` and `unique?` of a link, by the `has` of its sides.
fn constraints(link: &Link) -> (&'static str, bool) {
    match (link.forward.has.as_str(), link.reverse.has.as_str()) {
        ("many", "many") => ("many", false),
        ("one", "one") => ("one", true),
        ("many", _) => ("many", true),
        _ => ("one", false),
    }
}

/// The checks the official `validateSchema` makes of a schema for an overwrite push, with its
/// messages, and first those that keep the diff from going wrong (a known `valueType` on every
/// attribute, `has` of `one` or `many` on every link side).
///
/// ```
/// use instant_edge::{platform::{migrate::validate_schema, schema_def::SystemCatalog}, Schema};
/// let schema = Schema::parse(r#"{"entities": {"$posts": {"attrs": {}}}, "links": {}}"#).unwrap();
/// let error = validate_schema(&schema, &SystemCatalog::default()).unwrap_err();
/// assert!(error.message().starts_with("The $ keyword is reserved for system namespaces."));
/// ```
pub fn validate_schema(schema: &Schema, catalog: &SystemCatalog) -> Result<()> {
    for entity in &schema.entities {
        for attr in &entity.attrs {
            if !matches!(attr.value_type.as_deref(), Some("string" | "number" | "boolean" | "date" | "json")) {
                let message = [&entity.name, ".", &attr.name, " has no valueType the server knows (string, number, boolean, date or json)"];
                return Err(Error::invalid("schema", join(&message)));
            }
        }
    }
    for link in &schema.links {
        let known = |has: &str| matches!(has, "one" | "many");
        if !known(&link.forward.has) || !known(&link.reverse.has) {
            return Err(Error::invalid("schema", join(&["link ", &link.name, ": `has` must be \"one\" or \"many\" on both sides"])));
        }
    }
    for entity in &schema.entities {
        let etype = &entity.name;
        if !etype.starts_with('$') {
            continue;
        }
        if !catalog.has_entity(etype) {
            let unprefixed = etype.strip_prefix('$').unwrap_or(etype);
            let message = [
                "The $ keyword is reserved for system namespaces.\nYou can't create '",
                etype,
                "'. Perhaps call it '",
                unprefixed,
                "' instead?",
            ];
            return Err(schema_error(join(&message)));
        }
        for attr in &entity.attrs {
            if catalog.has(etype, &attr.name) || !attr.required {
                continue;
            }
            let (name, value_type) = (&attr.name, attr.value_type.as_deref().unwrap_or("json"));
            let message = [
                "The '",
                etype,
                "' namespace is managed by the system and can't modify required constraints yet.\nMake sure to set ",
                etype,
                ".",
                name,
                " as optional.\n i.e { ",
                name,
                ": i.",
                value_type,
                "().optional() }",
            ];
            return Err(schema_error(join(&message)));
        }
    }
    for link in &schema.links {
        let (forward, reverse) = (&link.forward, &link.reverse);
        if catalog.has_entity(&forward.on) && !catalog.has(&forward.on, &forward.label) && forward.required {
            let (on, label) = (&forward.on, &forward.label);
            let message = [
                "The ",
                on,
                " namespace is managed by the system and can't modify required constraints yet.\nMake sure to set ",
                on,
                label,
                " as 'optional'.\n i.e { 'on': '",
                on,
                "', 'label': ",
                label,
                ", 'required': false }",
            ];
            return Err(schema_error(join(&message)));
        }
        let display = join(&[&forward.on, &forward.label, " -> ", &reverse.on, &reverse.label]);
        let cascade_on_many = |side: &crate::schema::LinkSide| side.has == "many" && side.on_delete.as_deref() == Some("cascade");
        if cascade_on_many(forward) || cascade_on_many(reverse) {
            return Err(schema_error(join(&[&display, " has onDelete: \"cascade\" with has: \"many\""])));
        }
        for on in [&forward.on, &reverse.on] {
            if schema.entity(on).is_none() {
                return Err(schema_error(join(&[&display, " connects to non existing entity \"", on, "\"."])));
            }
        }
    }
    Ok(())
}

/// A new attribute's intent (`attrDefToNewAttrTx`).
fn new_attr(entity: &str, attr: &Attr) -> Intent {
    let checked = attr.value_type.as_deref().filter(|t| *t != "json").map(str::to_owned);
    Intent::AddAttr(NewAttr {
        ident: Ident::new(entity, &attr.name),
        reverse: None,
        cardinality: "one",
        unique: attr.unique,
        required: attr.required,
        indexed: attr.indexed,
        on_delete: None,
        on_delete_reverse: None,
        checked_data_type: Some(checked),
    })
}

/// A new link's intent (`linkDefToNewAttrTx`).
fn new_link(link: &Link) -> Intent {
    let (cardinality, unique) = constraints(link);
    Intent::AddAttr(NewAttr {
        ident: Ident::new(&link.forward.on, &link.forward.label),
        reverse: Some(Ident::new(&link.reverse.on, &link.reverse.label)),
        cardinality,
        unique,
        required: link.forward.required,
        indexed: false,
        on_delete: link.forward.on_delete.clone(),
        on_delete_reverse: link.reverse.on_delete.clone(),
        checked_data_type: Some(None),
    })
}

/// The constraint intents between two versions of an attribute (`compareBlobs`).
fn compare_attrs(ident: &Ident, old: &Attr, new: &Attr, out: &mut Vec<Intent>) {
    let flags = [
        (old.is_indexed, new.is_indexed, "index", "remove-index"),
        (old.unique, new.unique, "unique", "remove-unique"),
        (old.required, new.required, "required", "remove-required"),
    ];
    for (was, is, add, remove) in flags {
        if was != is {
            out.push(Intent::Constraint(if is { add } else { remove }, ident.clone()));
        }
    }
    let (was, is) = (old.value_type.as_deref().unwrap_or("json"), new.value_type.as_deref().unwrap_or("json"));
    if was != "json" && is == "json" {
        out.push(Intent::Constraint("remove-data-type", ident.clone()));
    } else if was != is && is != "json" {
        out.push(Intent::CheckDataType(ident.clone(), is.to_owned()));
    }
}

/// The intents between two versions of a link (`compareLinks`).
fn compare_links(ident: &Ident, old: &Link, new: &Link, out: &mut Vec<Intent>) {
    let ((old_cardinality, old_unique), (new_cardinality, new_unique)) = (constraints(old), constraints(new));
    if old_unique != new_unique {
        out.push(Intent::Constraint(if new_unique { "unique" } else { "remove-unique" }, ident.clone()));
    }
    if old.forward.required != new.forward.required {
        out.push(Intent::Constraint(if new.forward.required { "required" } else { "remove-required" }, ident.clone()));
    }
    if old.reverse.on_delete != new.reverse.on_delete
        || old.forward.on_delete != new.forward.on_delete
        || old_cardinality != new_cardinality
    {
        let change = AttrChange {
            cardinality: Some(new_cardinality),
            on_delete: new.forward.on_delete.clone(),
            on_delete_reverse: new.reverse.on_delete.clone(),
            ..AttrChange::default()
        };
        out.push(Intent::UpdateAttr(ident.clone(), change));
    }
}

/// `on.label<->on.label` of a link.
fn link_identity(link: &Link) -> String {
    join(&[&link.forward.on, ".", &link.forward.label, "<->", &link.reverse.on, ".", &link.reverse.label])
}

/// What turns `old` into `new` (the official `diffSchemas`), skipping the system catalog's
/// identities, in the official order: removed entities, added entities, the attributes of
/// entities in both (constraint changes, deletions, additions, renames), then links, grouped by
/// the entities they join.
///
/// ```
/// use instant_edge::{platform::{migrate::{diff_schemas, Intent, Renames}, schema_def::SystemCatalog}, Schema};
/// let old = Schema::parse(r#"{"entities": {"posts": {"attrs": {"name": {"valueType": "string"}}}}}"#).unwrap();
/// let new = Schema::parse(r#"{"entities": {"posts": {"attrs": {"title": {"valueType": "string"}}}}}"#).unwrap();
/// let renames = Renames::parse(&["posts.name:posts.title"]).unwrap();
/// let intents = diff_schemas(&old, &new, &renames, &SystemCatalog::default());
/// assert!(matches!(&intents[..], [Intent::UpdateAttr(ident, _)] if ident.attr_name == "name"));
/// ```
pub fn diff_schemas(old: &Schema, new: &Schema, renames: &Renames, catalog: &SystemCatalog) -> Vec<Intent> {
    // Plain loops: iterator adapters here cost the npm wasm a monomorphised copy each.
    let mut out = Vec::new();
    for entity in &old.entities {
        if new.entity(&entity.name).is_some() {
            continue;
        }
        let etype = &entity.name;
        for attr in &entity.attrs {
            if !catalog.has(etype, &attr.name) {
                out.push(Intent::DeleteAttr(Ident::new(etype, &attr.name)));
            }
        }
        if !catalog.has(etype, "id") {
            out.push(Intent::DeleteAttr(Ident::new(etype, "id")));
        }
    }
    for entity in &new.entities {
        if old.entity(&entity.name).is_some() {
            continue;
        }
        let etype = &entity.name;
        if !catalog.has(etype, "id") {
            out.push(Intent::AddAttr(NewAttr {
                ident: Ident::new(etype, "id"),
                reverse: None,
                cardinality: "one",
                unique: true,
                required: true,
                indexed: false,
                on_delete: None,
                on_delete_reverse: None,
                checked_data_type: None,
            }));
        }
        for attr in &entity.attrs {
            if !catalog.has(etype, &attr.name) {
                out.push(new_attr(etype, attr));
            }
        }
    }
    for old_entity in &old.entities {
        let Some(new_entity) = new.entity(&old_entity.name) else { continue };
        let etype = &old_entity.name;
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for attr in &new_entity.attrs {
            if !catalog.has(etype, &attr.name) && old_entity.attr(&attr.name).is_none() {
                added.push(attr.name.clone());
            }
        }
        for old_attr in &old_entity.attrs {
            if catalog.has(etype, &old_attr.name) {
                continue;
            }
            match new_entity.attr(&old_attr.name) {
                Some(new_attr) => compare_attrs(&Ident::new(etype, &old_attr.name), old_attr, new_attr, &mut out),
                None => removed.push(old_attr.name.clone()),
            }
        }
        let resolved = resolve(added, removed, |created, missing| renames.attribute(etype, created, missing));
        for name in &resolved.deleted {
            out.push(Intent::DeleteAttr(Ident::new(etype, name)));
        }
        for name in &resolved.created {
            if let Some(attr) = new_entity.attr(name) {
                out.push(new_attr(etype, attr));
            }
        }
        for (from, to) in &resolved.renamed {
            let (Some(old_attr), Some(new_attr)) = (old_entity.attr(from), new_entity.attr(to)) else { continue };
            let ident = Ident::new(etype, from);
            let change = AttrChange { forward: Some(Ident::new(etype, to)), cardinality: Some("one"), ..AttrChange::default() };
            out.push(Intent::UpdateAttr(ident.clone(), change));
            compare_attrs(&ident, old_attr, new_attr, &mut out);
        }
    }
    diff_links(old, new, renames, catalog, &mut out);
    out
}

/// The link part of [`diff_schemas`].
fn diff_links(old: &Schema, new: &Schema, renames: &Renames, catalog: &SystemCatalog, out: &mut Vec<Intent>) {
    let mut groups: Vec<(String, Vec<&Link>, Vec<&Link>)> = Vec::new();
    for (links, is_new) in [(&old.links, false), (&new.links, true)] {
        for link in links {
            if catalog.has(&link.forward.on, &link.forward.label) {
                continue;
            }
            let key = join(&[&link.forward.on, "<->", &link.reverse.on]);
            let index = match groups.iter().position(|(k, _, _)| *k == key) {
                Some(index) => index,
                None => {
                    groups.push((key, Vec::new(), Vec::new()));
                    groups.len() - 1
                }
            };
            let group = &mut groups[index];
            if is_new {
                group.2.push(link)
            } else {
                group.1.push(link)
            }
        }
    }
    for (_, old_links, new_links) in &groups {
        fn find<'a>(links: &[&'a Link], identity: &str) -> Option<&'a Link> {
            links.iter().copied().find(|link| link_identity(link) == identity)
        }
        let (mut old_ids, mut new_ids) = (Vec::new(), Vec::new());
        for link in old_links {
            old_ids.push(link_identity(link));
        }
        for link in new_links {
            new_ids.push(link_identity(link));
        }
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for (old_link, identity) in old_links.iter().zip(&old_ids) {
            match find(new_links, identity) {
                Some(new_link) => compare_links(&Ident::new(&old_link.forward.on, &old_link.forward.label), old_link, new_link, out),
                None => removed.push(identity.clone()),
            }
        }
        for identity in &new_ids {
            if !old_ids.contains(identity) {
                added.push(identity.clone());
            }
        }
        let resolved = resolve(added, removed, |created, missing| renames.link(created, missing));
        for identity in &resolved.deleted {
            if let Some(link) = find(old_links, identity) {
                out.push(Intent::DeleteAttr(Ident::new(&link.forward.on, &link.forward.label)));
            }
        }
        for identity in &resolved.created {
            if let Some(link) = find(new_links, identity) {
                out.push(new_link(link));
            }
        }
        for (from, to) in &resolved.renamed {
            let (Some(old_link), Some(new_link)) = (find(old_links, from), find(new_links, to)) else { continue };
            let ident = Ident::new(&old_link.forward.on, &old_link.forward.label);
            let change = AttrChange {
                forward: Some(Ident::new(&new_link.forward.on, &new_link.forward.label)),
                reverse: Some(Ident::new(&new_link.reverse.on, &new_link.reverse.label)),
                cardinality: Some(if new_link.forward.has == "one" { "one" } else { "many" }),
                ..AttrChange::default()
            };
            out.push(Intent::UpdateAttr(ident.clone(), change));
            compare_links(&ident, old_link, new_link, out);
        }
    }
}

/// The current attribute an intent names (by its forward identity).
fn existing<'a>(ident: &Ident, attrs: &'a [Value]) -> Result<&'a Value> {
    let names = |attr: &Value| {
        let parts = attr.get("forward-identity").and_then(Value::as_array).unwrap_or_default();
        parts.get(1).and_then(Value::as_str) == Some(&ident.namespace) && parts.get(2).and_then(Value::as_str) == Some(&ident.attr_name)
    };
    attrs
        .iter()
        .find(|attr| names(attr))
        .ok_or_else(|| Error::invalid("schema", join(&["Attribute ", &ident.namespace, ".", &ident.attr_name, " not found"])))
}

fn field(attr: &Value, key: &str) -> Value {
    attr.get(key).cloned().unwrap_or(Value::Null)
}

fn identity(id: &str, ident: &Ident) -> Value {
    Value::Array(vec![Value::from(id), Value::from(ident.namespace.as_str()), Value::from(ident.attr_name.as_str())])
}

fn step(kind: &str, params: Value) -> Value {
    Value::Array(vec![Value::from(kind), params])
}

/// The steps `…/schema/steps/apply` takes for `intents` (the official `convertTxSteps`):
/// intents resolved to the current attributes' ids, a new attribute created without constraints
/// and followed by a `unique`, `required` and `index` step for each it asks for. `fresh_id`
/// makes each new attribute's id (its forward identity's too) and each new reverse identity's.
///
/// ```
/// use instant_edge::platform::migrate::{convert_steps, Ident, Intent};
/// use instant_edge::value;
/// let attrs = [value!({ "id": "a1", "forward-identity": ["f1", "posts", "title"] })];
/// let intents = [Intent::Constraint("index", Ident { namespace: "posts".into(), attr_name: "title".into() })];
/// let steps = convert_steps(&intents, &attrs, &mut || "new".into()).unwrap();
/// assert_eq!(steps, [value!(["index", { "attr-id": "a1", "forward-identity": ["f1", "posts", "title"] }])]);
/// ```
pub fn convert_steps(intents: &[Intent], attrs: &[Value], fresh_id: &mut dyn FnMut() -> String) -> Result<Vec<Value>> {
    let mut steps = Vec::new();
    for intent in intents {
        match intent {
            Intent::Constraint(kind, ident) => {
                let attr = existing(ident, attrs)?;
                let params = Value::object([("attr-id", field(attr, "id")), ("forward-identity", field(attr, "forward-identity"))]);
                steps.push(step(kind, params));
            }
            Intent::CheckDataType(ident, data_type) => {
                let attr = existing(ident, attrs)?;
                let params = Value::object([
                    ("attr-id", field(attr, "id")),
                    ("checked-data-type", Value::from(data_type.as_str())),
                    ("forward-identity", field(attr, "forward-identity")),
                ]);
                steps.push(step("check-data-type", params));
            }
            Intent::DeleteAttr(ident) => steps.push(step("delete-attr", field(existing(ident, attrs)?, "id"))),
            Intent::UpdateAttr(ident, change) => {
                let attr = existing(ident, attrs)?;
                let id = attr.get("id").and_then(Value::as_str).unwrap_or("");
                let mut params = Value::object([("id", field(attr, "id"))]);
                if let Some(forward) = &change.forward {
                    params.insert("forward-identity", identity(id, forward));
                }
                if let Some(reverse) = &change.reverse {
                    params.insert("reverse-identity", identity(id, reverse));
                }
                if let Some(cardinality) = change.cardinality {
                    params.insert("cardinality", Value::from(cardinality));
                }
                // Only a set cascade is sent: an overwrite push cannot remove one (as the
                // official client).
                for (key, value) in [("on-delete", &change.on_delete), ("on-delete-reverse", &change.on_delete_reverse)] {
                    if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                        params.insert(key, Value::from(value));
                    }
                }
                steps.push(step("update-attr", params));
            }
            Intent::AddAttr(new) => add_attr_steps(new, fresh_id, &mut steps),
        }
    }
    Ok(steps)
}

fn add_attr_steps(new: &NewAttr, fresh_id: &mut dyn FnMut() -> String, steps: &mut Vec<Value>) {
    let attr_id = fresh_id();
    let forward = identity(&attr_id, &new.ident);
    let reverse = new.reverse.as_ref().map_or(Value::Null, |reverse| identity(&fresh_id(), reverse));
    let mut attr = Value::object([
        ("forward-identity", forward.clone()),
        ("reverse-identity", reverse),
        ("inferred-types", Value::Null),
        ("value-type", Value::from(if new.reverse.is_some() { "ref" } else { "blob" })),
        ("id", Value::from(attr_id.as_str())),
        ("cardinality", Value::from(new.cardinality)),
        ("index?", Value::Bool(false)),
        ("required?", Value::Bool(false)),
        ("unique?", Value::Bool(false)),
        ("catalog", Value::from("user")),
    ]);
    for (key, value) in [("on-delete", &new.on_delete), ("on-delete-reverse", &new.on_delete_reverse)] {
        if let Some(value) = value {
            attr.insert(key, Value::from(value.as_str()));
        }
    }
    if let Some(checked) = &new.checked_data_type {
        attr.insert("checked-data-type", checked.as_deref().map_or(Value::Null, Value::from));
    }
    steps.push(step("add-attr", attr));
    for (asked, kind) in [(new.unique, "unique"), (new.required, "required"), (new.indexed, "index")] {
        if asked {
            steps.push(step(kind, Value::object([("attr-id", Value::from(attr_id.as_str())), ("forward-identity", forward.clone())])));
        }
    }
}

/// The steps of an overwrite push of `schema` (`i.schema` JSON) onto an app whose API schema is
/// `current`: validated, diffed with `renames`, converted. Also answers the current attributes
/// (which name the steps' ids).
///
/// ```
/// use instant_edge::platform::migrate::{overwrite_steps, Renames};
/// use instant_edge::value;
/// let current = value!({ "blobs": {}, "refs": {} });
/// let schema = value!({ "entities": { "posts": { "attrs": { "title": { "valueType": "string", "required": true,
///     "isIndexed": false, "config": { "indexed": false, "unique": false } } } } }, "links": {} });
/// let mut n = 0;
/// let (steps, _) = overwrite_steps(&current, &schema, &Renames::default(), &mut || { n += 1; n.to_string() }).unwrap();
/// let kinds: Vec<&str> = steps.iter().map(|s| s.as_array().unwrap()[0].as_str().unwrap()).collect();
/// assert_eq!(kinds, ["add-attr", "unique", "required", "add-attr", "required"]);
/// ```
pub fn overwrite_steps(
    current: &Value,
    schema: &Value,
    renames: &Renames,
    fresh_id: &mut dyn FnMut() -> String,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let new = Schema::from_json(&schema)?;
    let attrs = current_attrs(current);
    let catalog = SystemCatalog::of(&attrs);
    validate_schema(&new, &catalog)?;
    let old = Schema::from_json(&&instant_schema(current))?;
    let intents = diff_schemas(&old, &new, renames, &catalog);
    let steps = convert_steps(&intents, &attrs, fresh_id)?;
    Ok((steps, attrs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value;

    fn schema(json: Value) -> Schema {
        Schema::from_json(&&json).unwrap()
    }

    fn string() -> Value {
        value!({ "valueType": "string", "required": true, "isIndexed": false, "config": { "indexed": false, "unique": false } })
    }

    fn link(forward: (&str, &str, &str), reverse: (&str, &str, &str)) -> Value {
        value!({ "forward": { "on": (forward.0), "has": (forward.1), "label": (forward.2) }, "reverse": { "on": (reverse.0), "has": (reverse.1), "label": (reverse.2) } })
    }

    fn posts(attrs: Value, links: Value) -> Schema {
        schema(value!({ "entities": { "posts": { "attrs": (attrs) }, "comments": { "attrs": {} } }, "links": (links) }))
    }

    #[test]
    fn a_link_is_renamed_by_either_of_its_sides_and_other_commands_are_ignored() {
        let old = posts(value!({}), value!({ "l": (link(("posts", "many", "comments"), ("comments", "one", "post"))) }));
        let new = posts(value!({}), value!({ "l": (link(("posts", "many", "replies"), ("comments", "one", "post"))) }));
        for command in ["posts.comments:posts.replies", "posts.comments:comments.post"] {
            let intents = diff_schemas(&old, &new, &Renames::parse(&[command, "a.b:c.d"]).unwrap(), &SystemCatalog::default());
            let [Intent::UpdateAttr(ident, change)] = &intents[..] else { panic!("{command}: {intents:?}") };
            assert_eq!((ident.attr_name.as_str(), change.forward.as_ref().map(|f| f.attr_name.as_str())), ("comments", Some("replies")));
        }
        let intents = diff_schemas(&old, &new, &Renames::default(), &SystemCatalog::default());
        assert!(matches!(&intents[..], [Intent::DeleteAttr(_), Intent::AddAttr(_)]), "without a command: {intents:?}");
    }

    #[test]
    fn a_rename_to_itself_still_creates_the_attribute() {
        let old = posts(value!({ "name": (string()) }), value!({}));
        let new = posts(value!({ "title": (string()) }), value!({}));
        let intents = diff_schemas(&old, &new, &Renames::parse(&["posts.title:posts.title"]).unwrap(), &SystemCatalog::default());
        assert!(
            matches!(&intents[..], [Intent::DeleteAttr(d), Intent::AddAttr(a)] if d.attr_name == "name" && a.ident.attr_name == "title")
        );
    }

    #[test]
    fn steps_carry_the_current_ids_and_a_cascade_is_never_removed() {
        let attrs = [value!({ "id": "a1", "forward-identity": ["f1", "posts", "author"], "reverse-identity": ["r1", "users", "posts"] })];
        let ident = Ident::new("posts", "author");
        let rename = AttrChange { forward: Some(Ident::new("posts", "writer")), cardinality: Some("one"), ..AttrChange::default() };
        let uncascade =
            AttrChange { cardinality: Some("one"), on_delete: None, on_delete_reverse: Some(String::new()), ..AttrChange::default() };
        let intents = [Intent::UpdateAttr(ident.clone(), rename), Intent::UpdateAttr(ident.clone(), uncascade), Intent::DeleteAttr(ident)];
        let steps = convert_steps(&intents, &attrs, &mut || unreachable!()).unwrap();
        assert_eq!(
            steps,
            [
                value!(["update-attr", { "id": "a1", "forward-identity": ["a1", "posts", "writer"], "cardinality": "one" }]),
                value!(["update-attr", { "id": "a1", "cardinality": "one" }]),
                value!(["delete-attr", "a1"]),
            ]
        );
        let missing = convert_steps(&[Intent::DeleteAttr(Ident::new("posts", "gone"))], &attrs, &mut || unreachable!()).unwrap_err();
        assert_eq!(missing.message(), "invalid schema: Attribute posts.gone not found");
    }

    #[test]
    fn a_new_required_unique_indexed_attribute_is_four_steps() {
        let attr = value!({ "valueType": "number", "required": true, "isIndexed": true, "config": { "indexed": true, "unique": true } });
        let intents = diff_schemas(
            &posts(value!({}), value!({})),
            &posts(value!({ "rank": (attr) }), value!({})),
            &Renames::default(),
            &SystemCatalog::default(),
        );
        let steps = convert_steps(&intents, &[], &mut || "n1".into()).unwrap();
        let kinds: Vec<&str> = steps.iter().filter_map(|s| s.as_array()?.first()?.as_str()).collect();
        assert_eq!(kinds, ["add-attr", "unique", "required", "index"]);
        let added = steps[0].as_array().unwrap()[1].clone();
        assert_eq!(added.get("checked-data-type"), Some(&Value::from("number")));
        assert_eq!((added.get("unique?"), added.get("on-delete")), (Some(&Value::Bool(false)), None));
    }

    #[test]
    fn what_the_diff_cannot_read_is_refused() {
        let untyped = posts(value!({ "title": { "required": true } }), value!({}));
        assert_eq!(validate_schema(&untyped, &SystemCatalog::default()).unwrap_err().kind(), "invalid-argument");
        let bad_has = posts(value!({}), value!({ "l": (link(("posts", "some", "c"), ("comments", "one", "p"))) }));
        assert_eq!(validate_schema(&bad_has, &SystemCatalog::default()).unwrap_err().kind(), "invalid-argument");
        let dangling = posts(value!({}), value!({ "l": (link(("posts", "one", "c"), ("nowhere", "many", "p"))) }));
        let error = validate_schema(&dangling, &SystemCatalog::default()).unwrap_err();
        assert_eq!(
            (error.kind(), error.message().as_str()),
            ("schema-validation", "postsc -> nowherep connects to non existing entity \"nowhere\".")
        );
    }
}
