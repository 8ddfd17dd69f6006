//! [`schema!`](crate::schema!): a schema declared in Rust, and [`SchemaDecl`], the plain data
//! it expands to, which writes the JSON `i.schema` writes for the same declaration.

use crate::prelude::*;

use crate::schema::Schema;
use crate::Value;

// `#[inline]` on what is not generic: only a crate that calls it compiles it (why: `typed`).

/// A schema as data: what [`schema!`](crate::schema!) declares, in declaration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchemaDecl {
    /// The entities.
    pub entities: &'static [EntityDecl],
    /// The links.
    pub links: &'static [LinkDecl],
}

/// One entity of a [`SchemaDecl`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityDecl {
    /// Its name, e.g. `goals`.
    pub name: &'static str,
    /// Its attributes (`id` is implicit).
    pub attrs: &'static [AttrDecl],
}

/// One attribute of an [`EntityDecl`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrDecl {
    /// Its name.
    pub name: &'static str,
    /// `string`, `number`, `boolean`, `date` or `json` (`any` is `json`, as in `i.any()`).
    pub value_type: &'static str,
    /// Not declared `optional`.
    pub required: bool,
    /// `[indexed]`.
    pub indexed: bool,
    /// `[unique]`.
    pub unique: bool,
}

/// One side of a [`LinkDecl`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SideDecl {
    /// The entity this side is on.
    pub on: &'static str,
    /// `one` or `many`.
    pub has: &'static str,
    /// The label on `on`.
    pub label: &'static str,
    /// `[required]`.
    pub required: bool,
    /// `[onDelete: cascade]`.
    pub on_delete: Option<&'static str>,
}

/// One link of a [`SchemaDecl`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkDecl {
    /// Its name.
    pub name: &'static str,
    /// `forward`: the side written first.
    pub forward: SideDecl,
    /// `reverse`.
    pub reverse: SideDecl,
}

impl SchemaDecl {
    /// The JSON `i.schema` writes for it (`JSON.stringify(schema)`, key order included): what
    /// the emulator's `--schema` takes and [`Schema::from_json`] reads.
    ///
    /// ```
    /// use instant_edge::{typed::{AttrDecl, EntityDecl, SchemaDecl}, value};
    /// const TITLE: AttrDecl = AttrDecl { name: "title", value_type: "string", required: true, indexed: false, unique: true };
    /// let decl = SchemaDecl { entities: &[EntityDecl { name: "goals", attrs: &[TITLE] }], links: &[] };
    /// assert_eq!(decl.to_json(), value!({
    ///     "entities": { "goals": { "attrs": { "title": { "valueType": "string", "required": true, "isIndexed": false,
    ///         "config": { "indexed": false, "unique": true }, "metadata": {} } }, "links": {} } },
    ///     "links": {},
    ///     "rooms": {}
    /// }));
    /// ```
    #[inline]
    pub fn to_json(&self) -> Value {
        let mut entities = Vec::with_capacity(self.entities.len());
        for entity in self.entities {
            let attrs = entity.attrs.iter().map(|a| (a.name, a.to_json()));
            // As `i.schema` fills an entity's `links`: forward labels, then reverse ones, a
            // label given twice keeping its first place and its last value.
            let mut labels = Value::empty_object();
            for (side, other) in
                self.links.iter().map(|l| (&l.forward, &l.reverse)).chain(self.links.iter().map(|l| (&l.reverse, &l.forward)))
            {
                if side.on == entity.name {
                    labels.insert(side.label, Value::object([("entityName", other.on.into()), ("cardinality", side.has.into())]));
                }
            }
            entities.push((entity.name, Value::object([("attrs", Value::object(attrs)), ("links", labels)])));
        }
        let links =
            self.links.iter().map(|l| (l.name, Value::object([("forward", l.forward.to_json()), ("reverse", l.reverse.to_json())])));
        Value::object([("entities", Value::object(entities)), ("links", Value::object(links)), ("rooms", Value::empty_object())])
    }

    /// The runtime [`Schema`]: what [`Schema::from_json`] reads from [`SchemaDecl::to_json`].
    #[inline]
    pub fn schema(&self) -> Schema {
        // The JSON is an object with an `entities` object, the one thing `from_json` refuses
        // to do without.
        Schema::from_json(&&self.to_json()).unwrap_or_default()
    }
}

impl AttrDecl {
    #[inline]
    fn to_json(self) -> Value {
        let config = Value::object([("indexed", self.indexed.into()), ("unique", self.unique.into())]);
        Value::object([
            ("valueType", self.value_type.into()),
            ("required", self.required.into()),
            ("isIndexed", self.indexed.into()),
            ("config", config),
            ("metadata", Value::empty_object()),
        ])
    }
}

impl SideDecl {
    #[inline]
    fn to_json(self) -> Value {
        let mut side = Value::object([("on", self.on.into()), ("has", self.has.into()), ("label", self.label.into())]);
        if self.required {
            side.insert("required", true.into());
        }
        if let Some(on_delete) = self.on_delete {
            side.insert("onDelete", on_delete.into());
        }
        side
    }
}

/// Declares a schema in Rust: a module per entity for typed queries ([`crate::typed`]), and
/// `schema()`, the runtime [`Schema`](crate::Schema) of the same declaration.
///
/// ```
/// instant_edge::schema! {
///     /// The demo app.
///     pub mod demo {
///         goals { title: string [indexed], priority: optional number [indexed] }
///         todos { text: string, done: optional boolean [indexed], dueAt: optional date }
///         /// `$users` is no Rust name: `users` stands for it.
///         users = "$users" { email: string [unique, indexed] }
///         links {
///             goalsTodos: goals.todos many <=> todos.goal one [onDelete: cascade],
///             goalsOwner: goals.owner one <=> users.goals many,
///         }
///     }
/// }
/// use instant_edge::typed::Entity;
///
/// let schema = demo::schema();
/// assert_eq!(schema.entity("goals").unwrap().link("owner").unwrap().entity_name, "$users");
/// assert!(schema.entity("$users").unwrap().attr("email").unwrap().unique);
/// assert_eq!(<demo::users::Entity as Entity>::NAME, "$users");
/// assert_eq!(demo::SCHEMA.to_json().get("links").unwrap().as_object().unwrap().len(), 2);
///
/// let row: demo::todos::Row = serde_json::from_str(r#"{"id": "a", "text": "Run", "done": null}"#).unwrap();
/// assert_eq!((row.text.as_str(), row.done, row.dueAt), ("Run", None, None));
/// ```
///
/// The syntax, by example above:
/// - `pub mod NAME { ... }`: the module it all goes into (doc comments and attributes kept).
/// - An entity: `name { attr, ... }`, or `name = "$name" { ... }` when the namespace is not a
///   Rust name.
/// - An attribute: `name: TYPE`, `name: optional TYPE`, each with flags `[indexed]`,
///   `[unique]` or both, in either order; `name = "json name": ...` renames it. Types: `string`
///   (`String`), `number` (`f64`), `boolean` (`bool`), `date` ([`Date`](crate::typed::Date)),
///   `json` and `any` ([`Value`](crate::Value)).
/// - `links { name: from.label (one|many) <=> to.label (one|many), ... }` last, each side with
///   flags `[required]`, `[onDelete: cascade]` or both.
///
/// Per entity `NAME`, the module `NAME` holds `Entity` (the type naming it), a `const` per
/// attribute ([`Attr`](crate::typed::Attr)) and per link label ([`Link`](crate::typed::Link)),
/// `id`, `query()` (its [`Ns`](crate::typed::Ns)) and `Row`, its attributes as serde reads
/// them from a query's answer (`optional` ones as `Option`). Per schema: `SCHEMA`, a
/// [`SchemaDecl`](crate::typed::SchemaDecl), and `schema()`. Names of attributes and links
/// are kept as declared (`dueAt`); they may not be `Entity`, `Row`, `query` or `id`, entity
/// names not `SCHEMA` or `schema`, and none may start with `__`.
#[macro_export]
macro_rules! schema {
    ($(#[$meta:meta])* $vis:vis mod $name:ident { $($body:tt)* }) => {
        $crate::__instant_schema! { @entities [$(#[$meta])* $vis mod $name] [] $($body)* }
    };
}

/// [`schema!`]'s steps: entities gathered one by one (`links` would read as an entity name in
/// a repetition), link sides listed, then the module written.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_schema {
    (@entities $head:tt [$($done:tt)*] links { $($links:tt)* }) => {
        $crate::__instant_schema! { @sides $head [$($done)*] { $($links)* } }
    };
    (@entities $head:tt [$($done:tt)*]) => {
        $crate::__instant_schema! { @sides $head [$($done)*] {} }
    };
    (@entities $head:tt [$($done:tt)*] $(#[$m:meta])* $ent:ident $(= $ename:literal)? { $($attrs:tt)* } $($rest:tt)*) => {
        $crate::__instant_schema! { @entities $head [$($done)* ([$(#[$m])*] $ent [$($ename)?] { $($attrs)* })] $($rest)* }
    };
    (@sides $head:tt $entities:tt {
        $($link:ident : $fon:ident . $flabel:ident $fhas:ident $([$($fflag:tt)*])? <=> $ron:ident . $rlabel:ident $rhas:ident $([$($rflag:tt)*])?),* $(,)?
    }) => {
        $crate::__instant_schema! { @module $head $entities [$(($fon $flabel $ron) ($ron $rlabel $fon))*] {
            $($link : $fon . $flabel $fhas [$($($fflag)*)?] <=> $ron . $rlabel $rhas [$($($rflag)*)?],)*
        } }
    };
    (@module [$(#[$meta:meta])* $vis:vis mod $name:ident]
        [$(([$(#[$m:meta])*] $ent:ident [$($ename:literal)?] { $($attrs:tt)* }))*]
        $sides:tt
        { $($link:ident : $fon:ident . $flabel:ident $fhas:ident [$($fflag:tt)*] <=> $ron:ident . $rlabel:ident $rhas:ident [$($rflag:tt)*],)* }
    ) => {
        $(#[$meta])*
        #[allow(non_snake_case, non_upper_case_globals)]
        $vis mod $name {
            $(
                $crate::__instant_entity! { ($) [$(#[$m])*] $ent [$($ename)?] $sides @attrs [] $($attrs)* }
            )*

            /// The schema as data, in declaration order.
            pub const SCHEMA: $crate::typed::SchemaDecl = $crate::typed::SchemaDecl {
                entities: &[$($crate::typed::EntityDecl { name: <$ent::Entity as $crate::typed::Entity>::NAME, attrs: $ent::__ATTRS }),*],
                links: &[$($crate::typed::LinkDecl {
                    name: ::core::stringify!($link),
                    forward: $crate::typed::SideDecl {
                        on: <$fon::Entity as $crate::typed::Entity>::NAME,
                        has: $crate::__instant_has!($fhas),
                        label: ::core::stringify!($flabel),
                        required: $crate::__instant_side_flag!(required; $($fflag)*),
                        on_delete: $crate::__instant_side_flag!(onDelete; $($fflag)*),
                    },
                    reverse: $crate::typed::SideDecl {
                        on: <$ron::Entity as $crate::typed::Entity>::NAME,
                        has: $crate::__instant_has!($rhas),
                        label: ::core::stringify!($rlabel),
                        required: $crate::__instant_side_flag!(required; $($rflag)*),
                        on_delete: $crate::__instant_side_flag!(onDelete; $($rflag)*),
                    },
                }),*],
            };

            /// The runtime schema: what `Schema::parse` reads from the `i.schema` JSON of the
            /// same declaration.
            pub fn schema() -> $crate::Schema {
                SCHEMA.schema()
            }
        }
    };
}

/// One entity's module. Its attributes are gathered one by one (`optional` would read as a
/// type in a repetition); its link labels are the sides on it, picked by a macro of its own
/// whose first arm names the entity (`$d` is a `$`, for that macro's own variables).
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_entity {
    ($d:tt $m:tt $ent:ident $ename:tt $sides:tt @attrs [$($done:tt)*] $(#[$am:meta])* $a:ident $(= $an:literal)? : optional $ty:ident $([$($flag:tt)*])? $(, $($rest:tt)*)?) => {
        $crate::__instant_entity! { $d $m $ent $ename $sides @attrs [$($done)* ([$(#[$am])*] $a [$($an)?] false $ty [$($($flag)*)?])] $($($rest)*)? }
    };
    ($d:tt $m:tt $ent:ident $ename:tt $sides:tt @attrs [$($done:tt)*] $(#[$am:meta])* $a:ident $(= $an:literal)? : $ty:ident $([$($flag:tt)*])? $(, $($rest:tt)*)?) => {
        $crate::__instant_entity! { $d $m $ent $ename $sides @attrs [$($done)* ([$(#[$am])*] $a [$($an)?] true $ty [$($($flag)*)?])] $($($rest)*)? }
    };
    (($d:tt) [$(#[$m:meta])*] $ent:ident [$($ename:literal)?] [$(($on:ident $label:ident $target:ident))*]
        @attrs [$(([$(#[$am:meta])*] $a:ident [$($an:literal)?] $required:tt $ty:ident [$($flag:tt)*]))*]) => {
        $(#[$m])*
        #[doc = ::core::concat!("The `", $crate::__instant_name!($ent $($ename)?), "` namespace.")]
        pub mod $ent {
            #[doc = ::core::concat!("The type naming `", $crate::__instant_name!($ent $($ename)?), "`.")]
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
            pub struct Entity;

            impl $crate::typed::Entity for Entity {
                const NAME: &'static str = $crate::__instant_name!($ent $($ename)?);
            }

            /// The entity's id, a UUID.
            pub const id: $crate::typed::Attr<Entity, $crate::__String> = $crate::typed::Attr::new("id");

            $(
                $(#[$am])*
                #[doc = ::core::concat!("`", $crate::__instant_name!($a $($an)?), "`: ", ::core::stringify!($ty), ".")]
                pub const $a: $crate::typed::Attr<Entity, $crate::__instant_type!($ty), $crate::__instant_index!($($flag)*)> =
                    $crate::typed::Attr::new($crate::__instant_name!($a $($an)?));
            )*

            macro_rules! __instant_link_label {
                ($ent $d label:ident $d target:ident) => {
                    #[doc = ::core::concat!("The `", ::core::stringify!($d label), "` link, to `", ::core::stringify!($d target), "`.")]
                    pub const $d label: $crate::typed::Link<Entity, super::$d target::Entity> =
                        $crate::typed::Link::new(::core::stringify!($d label));
                };
                ($d other:ident $d label:ident $d target:ident) => {};
            }
            $(__instant_link_label!($on $label $target);)*

            /// A query of this namespace, nothing set yet.
            pub fn query() -> $crate::typed::Ns<Entity> {
                $crate::typed::Ns::new()
            }

            #[doc(hidden)]
            use $crate::__serde as __instant_serde;

            /// One entity as a query answers it: `id` and the attributes (nested links are
            /// left out).
            #[derive(Clone, Debug, PartialEq, __instant_serde::Deserialize)]
            #[serde(crate = "self::__instant_serde")]
            pub struct Row {
                /// The entity's id.
                pub id: $crate::__String,
                $(
                    $(#[serde(rename = $an)])?
                    #[doc = ::core::concat!("`", $crate::__instant_name!($a $($an)?), "`.")]
                    pub $a: $crate::__instant_row_type!($required $ty),
                )*
            }

            #[doc(hidden)]
            pub const __ATTRS: &[$crate::typed::AttrDecl] = &[$($crate::typed::AttrDecl {
                name: $crate::__instant_name!($a $($an)?),
                value_type: $crate::__instant_value_type!($ty),
                required: $required,
                indexed: $crate::__instant_attr_flag!(indexed; $($flag)*),
                unique: $crate::__instant_attr_flag!(unique; $($flag)*),
            }),*];
        }
    };
}

/// The JSON name: the literal given, else the Rust name.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_name {
    ($name:ident) => {
        ::core::stringify!($name)
    };
    ($name:ident $json:literal) => {
        $json
    };
}

/// An attribute type's Rust type.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_type {
    (string) => {
        $crate::__String
    };
    (number) => {
        f64
    };
    (boolean) => {
        bool
    };
    (date) => {
        $crate::typed::Date
    };
    (json) => {
        $crate::Value
    };
    (any) => {
        $crate::Value
    };
}

/// A `Row` field's type: `Option` unless required.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_row_type {
    (true $ty:ident) => { $crate::__instant_type!($ty) };
    (false $ty:ident) => { ::core::option::Option<$crate::__instant_type!($ty)> };
}

/// An attribute type's `valueType`.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_value_type {
    (string) => {
        "string"
    };
    (number) => {
        "number"
    };
    (boolean) => {
        "boolean"
    };
    (date) => {
        "date"
    };
    (json) => {
        "json"
    };
    (any) => {
        "json"
    };
}

/// [`Indexed`](crate::typed::Indexed) when the flags hold `indexed`.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_index {
    () => { $crate::typed::NotIndexed };
    (indexed $($rest:tt)*) => { $crate::typed::Indexed };
    (unique $(, $($rest:tt)*)?) => { $crate::__instant_index!($($($rest)*)?) };
}

/// Whether an attribute's flags hold `indexed` / `unique`; another word does not compile.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_attr_flag {
    (indexed; indexed $($rest:tt)*) => { true };
    (unique; unique $($rest:tt)*) => { true };
    ($want:ident; indexed $(, $($rest:tt)*)?) => { $crate::__instant_attr_flag!($want; $($($rest)*)?) };
    ($want:ident; unique $(, $($rest:tt)*)?) => { $crate::__instant_attr_flag!($want; $($($rest)*)?) };
    ($want:ident;) => { false };
}

/// A link side's flags: `required` (a bool) / `onDelete` (an `Option`); another word does not
/// compile.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_side_flag {
    (required; required $($rest:tt)*) => { true };
    (onDelete; onDelete : $action:ident $($rest:tt)*) => { ::core::option::Option::Some(::core::stringify!($action)) };
    ($want:ident; required $(, $($rest:tt)*)?) => { $crate::__instant_side_flag!($want; $($($rest)*)?) };
    ($want:ident; onDelete : $action:ident $(, $($rest:tt)*)?) => { $crate::__instant_side_flag!($want; $($($rest)*)?) };
    (required;) => { false };
    (onDelete;) => { ::core::option::Option::None };
}

/// A link side's cardinality; another word does not compile.
#[doc(hidden)]
#[macro_export]
macro_rules! __instant_has {
    (one) => {
        "one"
    };
    (many) => {
        "many"
    };
}
