//! [`Schema`]: an app's schema as `i.schema(...)` serialises it (the JSON the emulator's
//! `--schema` takes), and the official client's checks against it ([`check_query`],
//! [`check_steps`]), made before anything is sent. Read over [`JsonView`], so the same code
//! reads a [`crate::Value`] in Rust and the JSON text a JS caller passed.

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::json::{JsonView, Kind};

mod check;
pub use check::{check_query, check_steps, is_entity_id, is_strict_uuid};

/// An app's schema: its entities (attributes and link labels) and links. Rooms are ignored.
///
/// ```
/// use instant_edge::{value, Schema};
/// let schema = Schema::from_json(&&value!({
///     "entities": { "goals": { "attrs": { "title": { "valueType": "string", "required": true } } }, "todos": { "attrs": {} } },
///     "links": { "goalsTodos": { "forward": { "on": "goals", "has": "many", "label": "todos" },
///                                "reverse": { "on": "todos", "has": "one", "label": "goal" } } }
/// })).unwrap();
/// let goals = schema.entity("goals").unwrap();
/// assert_eq!(goals.attr("title").unwrap().value_type.as_deref(), Some("string"));
/// assert_eq!(goals.link("todos").unwrap().entity_name, "todos");
/// assert_eq!(schema.entity("todos").unwrap().link("goal").unwrap().cardinality, "one");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// The entities, in the order the JSON gives them.
    pub entities: Vec<Entity>,
    /// The links (`links` of the JSON), in order.
    pub links: Vec<Link>,
}

/// One entity (namespace).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entity {
    /// Its name, e.g. `goals`.
    pub name: String,
    /// Its attributes, in order (`id` is implicit).
    pub attrs: Vec<Attr>,
    /// Its link labels, both directions: the entity's own `links` as `i.schema` fills them,
    /// then any that only the top-level `links` name.
    pub links: Vec<LinkLabel>,
}

/// One attribute.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attr {
    /// Its name.
    pub name: String,
    /// `valueType`: `string`, `number`, `boolean`, `date` or `json` (`i.any()` too), as given.
    pub value_type: Option<String>,
    /// `required: true`.
    pub required: bool,
    /// `isIndexed` (what the official query checks read for `$ilike`).
    pub is_indexed: bool,
    /// `config.indexed` (what the server reads).
    pub indexed: bool,
    /// `config.unique`.
    pub unique: bool,
}

impl Attr {
    /// The type the server checks values against (`checked-data-type`): the value type unless
    /// it is `json` or unknown.
    pub fn checked_type(&self) -> Option<&str> {
        self.value_type.as_deref().filter(|t| matches!(*t, "string" | "number" | "boolean" | "date"))
    }
}

/// A link label as one entity sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkLabel {
    /// The label, e.g. `todos`.
    pub label: String,
    /// The entity at the other end.
    pub entity_name: String,
    /// `one` or `many`.
    pub cardinality: String,
}

/// One side of a link.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkSide {
    /// The entity this side is on.
    pub on: String,
    /// `one` or `many`.
    pub has: String,
    /// The label on `on`.
    pub label: String,
    /// `required: true`.
    pub required: bool,
    /// `onDelete`, e.g. `cascade`.
    pub on_delete: Option<String>,
}

/// A link between two entities.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Link {
    /// Its name in `links`.
    pub name: String,
    /// `forward`.
    pub forward: LinkSide,
    /// `reverse`.
    pub reverse: LinkSide,
}

impl Schema {
    /// Reads schema JSON: `{ entities, links?, rooms? }`. Only `entities` must be an object;
    /// anything else unreadable is left out.
    pub fn from_json<J: JsonView>(json: &J) -> Result<Schema> {
        let entities = json.field("entities").filter(|e| e.kind() == Kind::Object);
        let Some(entities) = entities.filter(|_| json.kind() == Kind::Object) else {
            return Err(Error::invalid("schema", "must be schema JSON: { entities, links }"));
        };
        let links: Vec<Link> = objects(json.field("links")).into_iter().map(|(name, link)| read_link(name, &link)).collect();
        let mut schema = Schema { entities: Vec::new(), links };
        for (name, entity) in objects(Some(entities)) {
            let attrs = objects(entity.field("attrs")).into_iter().map(|(name, attr)| read_attr(name, &attr)).collect();
            let links = objects(entity.field("links"))
                .into_iter()
                .map(|(label, link)| LinkLabel { label, entity_name: text(&link, "entityName"), cardinality: text(&link, "cardinality") })
                .collect();
            schema.entities.push(Entity { name, attrs, links });
        }
        for link in &schema.links {
            for (side, other) in [(&link.forward, &link.reverse), (&link.reverse, &link.forward)] {
                let Some(entity) = schema.entities.iter_mut().find(|e| e.name == side.on) else { continue };
                if entity.link(&side.label).is_none() {
                    let (label, entity_name, cardinality) = (side.label.clone(), other.on.clone(), side.has.clone());
                    entity.links.push(LinkLabel { label, entity_name, cardinality });
                }
            }
        }
        Ok(schema)
    }

    /// Reads schema JSON text.
    ///
    /// ```
    /// let schema = instant_edge::Schema::parse(r#"{"entities": {"goals": {"attrs": {}, "links": {}}}}"#).unwrap();
    /// assert!(schema.entity("goals").is_some());
    /// ```
    pub fn parse(text: &str) -> Result<Schema> {
        Schema::from_json(&crate::parse::parse(text)?)
    }

    /// Reads a schema file (the emulator's `--schema FILE`).
    #[cfg(feature = "std")]
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Schema> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::invalid("schema", e.to_string()))?;
        Schema::parse(&text)
    }

    /// An entity by name.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }
}

impl Entity {
    /// An attribute by name.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// A link label by name.
    pub fn link(&self, label: &str) -> Option<&LinkLabel> {
        self.links.iter().find(|l| l.label == label)
    }
}

/// An object's entries; nothing for anything else.
fn objects<J: JsonView>(json: Option<J>) -> Vec<(String, J)> {
    json.filter(|j| j.kind() == Kind::Object).map(|j| j.entries()).unwrap_or_default()
}

fn text<J: JsonView>(json: &J, key: &str) -> String {
    json.field(key).and_then(|v| v.text().map(|t| t.into_owned())).unwrap_or_default()
}

fn flag<J: JsonView>(json: &J, key: &str) -> bool {
    json.field(key).and_then(|v| v.boolean()) == Some(true)
}

fn read_attr<J: JsonView>(name: String, attr: &J) -> Attr {
    let value_type = attr.field("valueType").and_then(|v| v.text().map(|t| t.into_owned()));
    let config = attr.field("config");
    Attr {
        name,
        value_type,
        required: flag(attr, "required"),
        is_indexed: flag(attr, "isIndexed"),
        indexed: config.as_ref().is_some_and(|c| flag(c, "indexed")),
        unique: config.as_ref().is_some_and(|c| flag(c, "unique")),
    }
}

fn read_link<J: JsonView>(name: String, link: &J) -> Link {
    let side = |key: &str| {
        let Some(side) = link.field(key) else { return LinkSide::default() };
        LinkSide {
            on: text(&side, "on"),
            has: text(&side, "has"),
            label: text(&side, "label"),
            required: flag(&side, "required"),
            on_delete: side.field("onDelete").and_then(|v| v.text().map(|t| t.into_owned())),
        }
    };
    Link { name, forward: side("forward"), reverse: side("reverse") }
}
