//! Typed InstaQL: queries built from a schema declared in Rust with [`schema!`](crate::schema!),
//! that read like the JSON they make and do not compile when they name what the schema lacks
//! (an attribute, a link, a value of the wrong type, an operator the server refuses for the
//! attribute). What they build is the same [`Value`] the `value!` form gives, so the client
//! sends and checks it as any other query.
//!
//! ```
//! use instant_edge::typed::{Order, Query};
//! use instant_edge::value;
//!
//! instant_edge::schema! {
//!     /// The demo app.
//!     pub mod demo {
//!         goals { title: string [indexed], priority: optional number [indexed] }
//!         todos { text: string, done: optional boolean [indexed] }
//!         links {
//!             goalsTodos: goals.todos many <=> todos.goal one [onDelete: cascade],
//!         }
//!     }
//! }
//! use demo::{goals, todos};
//!
//! let query = Query::new().with(
//!     goals::query()
//!         .where_(goals::title.eq("Get fit"))
//!         .order(goals::priority, Order::Desc)
//!         .limit(10)
//!         .with(goals::todos, todos::query().where_(todos::done.eq(false))),
//! );
//! assert_eq!(
//!     query.to_value(),
//!     value!({ "goals": {
//!         "$": { "where": { "title": "Get fit" }, "order": { "priority": "desc" }, "limit": 10 },
//!         "todos": { "$": { "where": { "done": false } } }
//!     } })
//! );
//! assert!(instant_edge::schema::check_query(&&query.to_value(), &demo::schema()).is_ok());
//! ```
//!
//! Declared once, a schema gives per entity a module (`demo::goals`) with a `const` per
//! attribute ([`Attr`]) and per link label ([`Link`]), `id`, `query()` (an [`Ns`]), a serde
//! `Row` of its attributes, and for the whole schema `schema()`, the runtime
//! [`Schema`](crate::Schema) the official `i.schema` JSON of the same declaration gives.
//!
//! What the types hold is what the server and the official client require: comparisons,
//! `$like`/`$ilike` and `order` only on indexed attributes of a checked type (not `json`),
//! `$like` only on strings, pagination (`offset`, `first`, `last`, `after`, `before`) only
//! on a top-level namespace.

// What is not generic here is `#[inline]`, so only a crate that calls it compiles it. Compiled
// into this crate, even unused, it calls code the npm wasm shares (`Value::object`,
// `Schema::from_json`) and so changes what LLVM inlines there before LTO drops it: the wasm
// grew by 126 bytes. With it, the wasm is the same to the byte as without this module.
use crate::prelude::*;
use core::fmt;
use core::marker::PhantomData;

use serde::Deserialize;

use crate::Value;

mod cond;
mod schema_macro;

pub use cond::{and, or, Cond, LinkPath, Path, Then};
pub use schema_macro::{AttrDecl, EntityDecl, LinkDecl, SchemaDecl, SideDecl};

/// The types a value is about, owning none of them: `Send`, `Sync` and `Copy` whatever they are.
type Marker<T> = PhantomData<fn() -> T>;

/// A namespace declared by [`schema!`](crate::schema!): a type per entity, naming it.
pub trait Entity {
    /// The namespace, e.g. `goals`.
    const NAME: &'static str;
}

/// An attribute the schema indexes (`[indexed]`): it may be compared, matched and ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indexed {}

/// An attribute the schema does not index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotIndexed {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::String {}
    impl Sealed for f64 {}
    impl Sealed for bool {}
    impl Sealed for super::Date {}
}

/// The Rust types of attributes with a type the server checks (`string`, `number`, `boolean`,
/// `date`): only those may be compared or ordered by (`json` and `any` may not).
pub trait Typed: Into<Value> + sealed::Sealed {}
impl Typed for String {}
impl Typed for f64 {}
impl Typed for bool {}
impl Typed for Date {}

/// A `date` attribute's value: milliseconds since the epoch or an ISO 8601 string, as the
/// server takes either. A type of its own so dates stay comparable where `json` is not.
///
/// ```
/// use instant_edge::{typed::Date, Value};
/// assert_eq!(Value::from(Date::from(1_700_000_000_000_i64)), Value::Number(1.7e12));
/// assert_eq!(Value::from(Date::from("2024-01-31")), Value::from("2024-01-31"));
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Date(pub Value);

impl From<f64> for Date {
    #[inline]
    fn from(millis: f64) -> Date {
        Date(Value::Number(millis))
    }
}
impl From<i64> for Date {
    #[inline]
    fn from(millis: i64) -> Date {
        // Exact up to 2^53 ms, 285,000 years from the epoch.
        Date(Value::Number(millis as f64))
    }
}
impl From<&str> for Date {
    #[inline]
    fn from(iso: &str) -> Date {
        Date(Value::from(iso))
    }
}
impl From<String> for Date {
    #[inline]
    fn from(iso: String) -> Date {
        Date(Value::String(iso))
    }
}
impl From<Date> for Value {
    #[inline]
    fn from(date: Date) -> Value {
        date.0
    }
}

/// Attribute `name` of entity `E`, of Rust type `T` (`String`, `f64`, `bool`, [`Date`], or
/// [`Value`] for `json` and `any`), `I` [`Indexed`] or [`NotIndexed`]. [`schema!`](crate::schema!)
/// declares one `const` per attribute: what it does not declare does not exist.
///
/// Each pair of examples below differs in one token, and the second does not compile. A
/// misspelt attribute (`titel`):
///
/// ```
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::goals;
/// let _ = goals::query().where_(goals::title.eq("Get fit"));
/// ```
///
/// ```compile_fail,E0425
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::goals;
/// let _ = goals::query().where_(goals::titel.eq("Get fit"));
/// ```
///
/// A value of another type (`title` is a string):
///
/// ```
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::goals;
/// let _ = goals::query().where_(goals::title.eq("5"));
/// ```
///
/// ```compile_fail,E0277
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::goals;
/// let _ = goals::query().where_(goals::title.eq(5));
/// ```
///
/// `like` on a number (it takes indexed string attributes, as the server requires):
///
/// ```
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::goals;
/// let _ = goals::query().where_(goals::title.like("%fit%"));
/// ```
///
/// ```compile_fail,E0599
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::goals;
/// let _ = goals::query().where_(goals::priority.like("%fit%"));
/// ```
pub struct Attr<E, T, I = NotIndexed> {
    name: &'static str,
    kind: Marker<(E, T, I)>,
}

impl<E, T, I> Attr<E, T, I> {
    /// The attribute `name`, as [`schema!`](crate::schema!) declares it. Declaring one by hand
    /// states what the schema holds without the macro checking it.
    pub const fn new(name: &'static str) -> Attr<E, T, I> {
        Attr { name, kind: PhantomData }
    }

    /// Its name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<E, T, I> Clone for Attr<E, T, I> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E, T, I> Copy for Attr<E, T, I> {}
impl<E, T, I> fmt::Debug for Attr<E, T, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Attr").field(&self.name).finish()
    }
}

/// Link label `label` from entity `E` to entity `F`: nests `F` under `E` ([`Ns::with`]) and
/// leads `where` conditions through to `F`'s attributes ([`Link::then`]).
pub struct Link<E, F> {
    label: &'static str,
    kind: Marker<(E, F)>,
}

impl<E, F> Link<E, F> {
    /// The link label `label`, as [`schema!`](crate::schema!) declares it.
    pub const fn new(label: &'static str) -> Link<E, F> {
        Link { label, kind: PhantomData }
    }

    /// Its label.
    pub const fn label(&self) -> &'static str {
        self.label
    }

    /// An attribute or link of `F` reached through this link, for `where`: the key
    /// `label.attr` (`goals::todos.then(todos::done).eq(true)` is `{"todos.done": true}`).
    pub fn then<N: Then<E, F>>(self, next: N) -> N::Output {
        next.under(self.label)
    }
}

impl<E, F> Clone for Link<E, F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E, F> Copy for Link<E, F> {}
impl<E, F> fmt::Debug for Link<E, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Link").field(&self.label).finish()
    }
}

/// An attribute of entity `E` named in `fields` ([`Ns::fields`]): any of its [`Attr`]s
/// converts into one, another entity's does not.
pub struct FieldOf<E> {
    name: &'static str,
    kind: Marker<E>,
}

impl<E, T, I> From<Attr<E, T, I>> for FieldOf<E> {
    fn from(attr: Attr<E, T, I>) -> FieldOf<E> {
        FieldOf { name: attr.name, kind: PhantomData }
    }
}

impl<E> Clone for FieldOf<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for FieldOf<E> {}
impl<E> fmt::Debug for FieldOf<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FieldOf").field(&self.name).finish()
    }
}

/// A sort direction for [`Ns::order`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// `"asc"`.
    Asc,
    /// `"desc"`.
    Desc,
}

impl Order {
    #[inline]
    fn name(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

/// An [`Ns`] that may still be nested under a link: no pagination option yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nestable {}

/// An [`Ns`] with a pagination option (`offset`, `first`, `last`, `after`, `before`): the
/// official client refuses those below the top level, so it only goes into a [`Query`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paged {}

/// One namespace of a query, entity `E`: its `$` options and the links nested under it.
/// `P` is [`Nestable`] until a pagination option makes it [`Paged`].
///
/// `with` nests a namespace under a link of `E` that leads to it; under a link to another
/// entity, it does not compile:
///
/// ```
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::{goals, todos};
/// let _ = goals::query().with(goals::todos, todos::query());
/// ```
///
/// ```compile_fail,E0308
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::{goals, todos};
/// let _ = goals::query().with(goals::todos, goals::query());
/// ```
pub struct Ns<E, P = Nestable> {
    clauses: Vec<(String, Value)>,
    options: Vec<(&'static str, Value)>,
    links: Vec<(&'static str, Value)>,
    kind: Marker<(E, P)>,
}

impl<E> Ns<E> {
    /// No options, nothing nested: all of `E` (`{}`).
    pub fn new() -> Ns<E> {
        Ns { clauses: Vec::new(), options: Vec::new(), links: Vec::new(), kind: PhantomData }
    }
}

impl<E> Default for Ns<E> {
    fn default() -> Self {
        Ns::new()
    }
}

impl<E, P> Ns<E, P> {
    /// Adds a `where` condition; several are all required (keys of one `where` object, or
    /// `and` when two name the same key).
    pub fn where_(mut self, cond: Cond<E>) -> Self {
        cond.add_to(&mut self.clauses);
        self
    }

    /// `limit`: at most `n` entities (the server wants `n` > 0).
    pub fn limit(self, n: u32) -> Self {
        self.option("limit", n.into())
    }

    /// `order`: sorted by an indexed attribute of a checked type, as the server requires; by
    /// one the schema does not index (`todos::title`), it does not compile:
    ///
    /// ```
    /// # instant_edge::schema! { mod demo {
    /// #     goals { title: string [indexed], priority: optional number [indexed] }
    /// #     todos { title: string, done: optional boolean [indexed] }
    /// #     links { goalsTodos: goals.todos many <=> todos.goal one }
    /// # } }
    /// # use demo::todos;
    /// use instant_edge::typed::Order;
    /// let _ = todos::query().order(todos::done, Order::Asc);
    /// ```
    ///
    /// ```compile_fail,E0308
    /// # instant_edge::schema! { mod demo {
    /// #     goals { title: string [indexed], priority: optional number [indexed] }
    /// #     todos { title: string, done: optional boolean [indexed] }
    /// #     links { goalsTodos: goals.todos many <=> todos.goal one }
    /// # } }
    /// # use demo::todos;
    /// use instant_edge::typed::Order;
    /// let _ = todos::query().order(todos::title, Order::Asc);
    /// ```
    pub fn order<T: Typed>(self, attr: Attr<E, T, Indexed>, direction: Order) -> Self {
        self.option("order", Value::object([(attr.name, direction.name().into())]))
    }

    /// `order` by creation time (`serverCreatedAt`), which needs no index.
    pub fn order_created(self, direction: Order) -> Self {
        self.option("order", Value::object([("serverCreatedAt", direction.name().into())]))
    }

    /// Adds an attribute to `fields`: only the listed attributes (and `id`) come back. Another
    /// entity's attribute does not compile:
    ///
    /// ```
    /// # instant_edge::schema! { mod demo {
    /// #     goals { title: string [indexed], priority: optional number [indexed] }
    /// #     todos { title: string, done: optional boolean [indexed] }
    /// #     links { goalsTodos: goals.todos many <=> todos.goal one }
    /// # } }
    /// # use demo::{goals, todos};
    /// let _ = goals::query().field(goals::title);
    /// ```
    ///
    /// ```compile_fail,E0308
    /// # instant_edge::schema! { mod demo {
    /// #     goals { title: string [indexed], priority: optional number [indexed] }
    /// #     todos { title: string, done: optional boolean [indexed] }
    /// #     links { goalsTodos: goals.todos many <=> todos.goal one }
    /// # } }
    /// # use demo::{goals, todos};
    /// let _ = goals::query().field(todos::title);
    /// ```
    pub fn field<T, I>(self, attr: Attr<E, T, I>) -> Self {
        self.fields([attr.into()])
    }

    /// Adds attributes to `fields`, each `.into()` as their types differ ([`Ns::field`] needs
    /// none). Another entity's attribute does not compile:
    ///
    /// ```
    /// # instant_edge::schema! { mod demo {
    /// #     goals { title: string [indexed], priority: optional number [indexed] }
    /// #     todos { title: string, done: optional boolean [indexed] }
    /// #     links { goalsTodos: goals.todos many <=> todos.goal one }
    /// # } }
    /// # use demo::{goals, todos};
    /// let _ = goals::query().fields([goals::title.into(), goals::priority.into()]);
    /// let _ = goals::query().fields([goals::title.into()]);
    /// ```
    ///
    /// ```compile_fail,E0277
    /// # instant_edge::schema! { mod demo {
    /// #     goals { title: string [indexed], priority: optional number [indexed] }
    /// #     todos { title: string, done: optional boolean [indexed] }
    /// #     links { goalsTodos: goals.todos many <=> todos.goal one }
    /// # } }
    /// # use demo::{goals, todos};
    /// let _ = goals::query().fields([goals::title.into(), goals::priority.into()]);
    /// let _ = goals::query().fields([todos::title.into()]);
    /// ```
    pub fn fields(mut self, attrs: impl IntoIterator<Item = FieldOf<E>>) -> Self {
        let names = attrs.into_iter().map(|f| Value::from(f.name));
        match self.options.iter_mut().find(|(k, _)| *k == "fields") {
            Some((_, Value::Array(list))) => list.extend(names),
            _ => return self.option("fields", Value::Array(names.collect())),
        }
        self
    }

    /// Nests the entities `link` leads to, queried by `ns` (whose entity must be the link's
    /// target). Nested twice under one label, the last one stays.
    pub fn with<F>(mut self, link: Link<E, F>, ns: Ns<F, Nestable>) -> Self {
        let node = ns.into_value();
        match self.links.iter_mut().find(|(k, _)| *k == link.label) {
            Some(entry) => entry.1 = node,
            None => self.links.push((link.label, node)),
        }
        self
    }

    /// `offset`: skips `n` entities (top level only).
    pub fn offset(self, n: u32) -> Ns<E, Paged> {
        self.option("offset", n.into()).paged()
    }

    /// `first`: the first `n` entities after the cursor, if any (top level only).
    pub fn first(self, n: u32) -> Ns<E, Paged> {
        self.option("first", n.into()).paged()
    }

    /// `last`: the last `n` entities before the cursor, if any (top level only).
    pub fn last(self, n: u32) -> Ns<E, Paged> {
        self.option("last", n.into()).paged()
    }

    /// `after`: entities after a cursor from a previous answer's `pageInfo` (top level only).
    pub fn after(self, cursor: Value) -> Ns<E, Paged> {
        self.option("after", cursor).paged()
    }

    /// `before`: entities before a cursor from a previous answer's `pageInfo` (top level only).
    pub fn before(self, cursor: Value) -> Ns<E, Paged> {
        self.option("before", cursor).paged()
    }

    /// The node's InstaQL: `{"$": {...}, "link": {...}}`, `$` left out when empty.
    pub fn to_value(&self) -> Value {
        self.clone().into_value()
    }

    fn into_value(self) -> Value {
        let mut node = Vec::with_capacity(self.links.len() + 1);
        let mut dollar = Vec::with_capacity(self.options.len() + 1);
        if !self.clauses.is_empty() {
            dollar.push((String::from("where"), Value::Object(self.clauses)));
        }
        dollar.extend(self.options.into_iter().map(|(k, v)| (String::from(k), v)));
        if !dollar.is_empty() {
            node.push((String::from("$"), Value::Object(dollar)));
        }
        node.extend(self.links.into_iter().map(|(k, v)| (String::from(k), v)));
        Value::Object(node)
    }

    /// Sets a `$` option, in place when it is there already.
    fn option(mut self, key: &'static str, value: Value) -> Self {
        match self.options.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.options.push((key, value)),
        }
        self
    }

    fn paged(self) -> Ns<E, Paged> {
        Ns { clauses: self.clauses, options: self.options, links: self.links, kind: PhantomData }
    }
}

impl<E, P> Clone for Ns<E, P> {
    fn clone(&self) -> Self {
        Ns { clauses: self.clauses.clone(), options: self.options.clone(), links: self.links.clone(), kind: PhantomData }
    }
}
impl<E, P> fmt::Debug for Ns<E, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Ns").field(&self.to_value()).finish()
    }
}

/// A query: top-level namespaces, each an [`Ns`]. Becomes the [`Value`] `Instant::query` takes.
///
/// ```
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::{goals, todos};
/// use instant_edge::{typed::Query, value, Value};
/// let query = Query::new().with(goals::query().offset(20)).with(todos::query());
/// assert_eq!(Value::from(query), value!({ "goals": { "$": { "offset": 20 } }, "todos": {} }));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    namespaces: Vec<(String, Value)>,
}

impl Query {
    /// No namespace yet.
    #[inline]
    pub fn new() -> Query {
        Query { namespaces: Vec::new() }
    }

    /// Adds a top-level namespace (again: the last one stays).
    pub fn with<E: Entity, P>(mut self, ns: Ns<E, P>) -> Query {
        let node = ns.into_value();
        match self.namespaces.iter_mut().find(|(k, _)| k == E::NAME) {
            Some(entry) => entry.1 = node,
            None => self.namespaces.push((String::from(E::NAME), node)),
        }
        self
    }

    /// The query's InstaQL.
    #[inline]
    pub fn to_value(&self) -> Value {
        Value::Object(self.namespaces.clone())
    }
}

impl Default for Query {
    fn default() -> Self {
        Query::new()
    }
}

impl From<Query> for Value {
    #[inline]
    fn from(query: Query) -> Value {
        Value::Object(query.namespaces)
    }
}
