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
    #[inline(never)]
    pub fn from_json<J: JsonView>(json: &J) -> Result<Schema> {
        let entities = json.field("entities").filter(|e| e.kind() == Kind::Object);
        let Some(entities) = entities.filter(|_| json.kind() == Kind::Object) else {
            return Err(Error::invalid("schema", "must be schema JSON: { entities, links }"));
        };
        let mut schema = Schema::default();
        for (name, link) in &objects(json.field("links")) {
            schema.links.push(Link {
                name: name.clone(),
                forward: read_side(link.field("forward")),
                reverse: read_side(link.field("reverse")),
            });
        }
        for (name, entity) in &objects(Some(entities)) {
            let mut attrs = Vec::new();
            for (name, attr) in &objects(entity.field("attrs")) {
                let config = attr.field("config");
                attrs.push(Attr {
                    name: name.clone(),
                    value_type: text(attr, "valueType"),
                    required: flag(Some(attr), "required"),
                    is_indexed: flag(Some(attr), "isIndexed"),
                    indexed: flag(config.as_ref(), "indexed"),
                    unique: flag(config.as_ref(), "unique"),
                });
            }
            let mut links = Vec::new();
            for (label, link) in &objects(entity.field("links")) {
                let (entity_name, cardinality) = (text(link, "entityName"), text(link, "cardinality"));
                links.push(LinkLabel {
                    label: label.clone(),
                    entity_name: entity_name.unwrap_or_default(),
                    cardinality: cardinality.unwrap_or_default(),
                });
            }
            schema.entities.push(Entity { name: name.clone(), attrs, links });
        }
        for link in &schema.links {
            for (side, other) in [(&link.forward, &link.reverse), (&link.reverse, &link.forward)] {
                for entity in &mut schema.entities {
                    if entity.name == side.on && entity.link(&side.label).is_none() {
                        let (label, entity_name, cardinality) = (side.label.clone(), other.on.clone(), side.has.clone());
                        entity.links.push(LinkLabel { label: label.clone(), entity_name, cardinality });
                    }
                    if entity.name == side.on {
                        break;
                    }
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
    match json {
        Some(json) if json.kind() == Kind::Object => json.entries(),
        _ => Vec::new(),
    }
}

fn text<J: JsonView>(json: &J, key: &str) -> Option<String> {
    Some(json.field(key)?.text()?.into_owned())
}

fn flag<J: JsonView>(json: Option<&J>, key: &str) -> bool {
    json.and_then(|json| json.field(key)).and_then(|v| v.boolean()) == Some(true)
}

fn read_side<J: JsonView>(side: Option<J>) -> LinkSide {
    let Some(side) = side else { return LinkSide::default() };
    LinkSide {
        on: text(&side, "on").unwrap_or_default(),
        has: text(&side, "has").unwrap_or_default(),
        label: text(&side, "label").unwrap_or_default(),
        required: flag(Some(&side), "required"),
        on_delete: text(&side, "onDelete"),
    }
}
