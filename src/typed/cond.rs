//! `where` conditions: [`Cond`], built from an [`Attr`] or from a [`Path`] through links.

use crate::prelude::*;
use core::fmt;
use core::marker::PhantomData;

use super::{Attr, Indexed, Link, Marker, Typed};
use crate::Value;

/// One `where` condition on entity `E`: a key (an attribute, `links.attr`, `and` or `or`)
/// and what it must be. Made by the operators of [`Attr`] and [`Path`], [`and`] and [`or`].
pub struct Cond<E> {
    key: String,
    value: Value,
    kind: Marker<E>,
}

impl<E> Cond<E> {
    fn new(key: String, value: Value) -> Cond<E> {
        Cond { key, value, kind: PhantomData }
    }

    fn op(key: String, op: &str, value: Value) -> Cond<E> {
        Cond::new(key, Value::object([(op, value)]))
    }

    /// As a `where` object of its own: `{key: value}`.
    pub fn to_value(&self) -> Value {
        Value::Object(vec![(self.key.clone(), self.value.clone())])
    }

    /// Adds it to a `where` object's entries. A key already there is not overwritten (that
    /// would drop a condition): the condition joins the `and` list instead.
    pub(super) fn add_to(self, clauses: &mut Vec<(String, Value)>) {
        if !clauses.iter().any(|(k, _)| *k == self.key) {
            return clauses.push((self.key, self.value));
        }
        let items = match (self.key.as_str(), self.value) {
            ("and", Value::Array(items)) => items,
            (_, value) => vec![Value::Object(vec![(self.key, value)])],
        };
        match clauses.iter_mut().find(|(k, _)| k == "and") {
            Some((_, Value::Array(list))) => list.extend(items),
            // Never so when built here (`and` is an array), but nothing is dropped all the same.
            Some(entry) => {
                let old = core::mem::take(&mut entry.1);
                entry.1 = Value::Array(core::iter::once(Value::Object(vec![(String::from("and"), old)])).chain(items).collect());
            }
            None => clauses.push((String::from("and"), Value::Array(items))),
        }
    }
}

impl<E> Clone for Cond<E> {
    fn clone(&self) -> Self {
        Cond::new(self.key.clone(), self.value.clone())
    }
}
impl<E> fmt::Debug for Cond<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cond").field(&self.to_value()).finish()
    }
}

/// All of `conds` (`{"and": [...]}`).
///
/// ```
/// # instant_edge::schema! { mod demo {
/// #     goals { title: string [indexed], priority: optional number [indexed] }
/// #     todos { title: string, done: optional boolean [indexed] }
/// #     links { goalsTodos: goals.todos many <=> todos.goal one }
/// # } }
/// # use demo::goals;
/// use instant_edge::{typed::{and, or}, value};
/// let cond = or([goals::title.eq("Run"), and([goals::priority.gt(1), goals::priority.lt(5)])]);
/// assert_eq!(
///     cond.to_value(),
///     value!({ "or": [{ "title": "Run" }, { "and": [{ "priority": { "$gt": 1 } }, { "priority": { "$lt": 5 } }] }] })
/// );
/// ```
pub fn and<E>(conds: impl IntoIterator<Item = Cond<E>>) -> Cond<E> {
    Cond::new(String::from("and"), Value::Array(conds.into_iter().map(|c| c.to_value()).collect()))
}

/// Any of `conds` (`{"or": [...]}`).
pub fn or<E>(conds: impl IntoIterator<Item = Cond<E>>) -> Cond<E> {
    Cond::new(String::from("or"), Value::Array(conds.into_iter().map(|c| c.to_value()).collect()))
}

/// An attribute reached from entity `E` through links ([`Link::then`]): the dotted key
/// `links.attr`, with the attribute's type `T` and indexing `I`.
pub struct Path<E, T, I> {
    key: String,
    kind: Marker<(E, T, I)>,
}

impl<E, T, I> Path<E, T, I> {
    /// The dotted key, e.g. `todos.done`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl<E, T, I> Clone for Path<E, T, I> {
    fn clone(&self) -> Self {
        Path { key: self.key.clone(), kind: PhantomData }
    }
}
impl<E, T, I> fmt::Debug for Path<E, T, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Path").field(&self.key).finish()
    }
}

/// A link reached from entity `E` through links, leading to `F`: goes on with
/// [`LinkPath::then`].
pub struct LinkPath<E, F> {
    key: String,
    kind: Marker<(E, F)>,
}

impl<E, F> LinkPath<E, F> {
    /// An attribute or link of `F` further on ([`Link::then`]).
    pub fn then<N: Then<E, F>>(self, next: N) -> N::Output {
        next.under(&self.key)
    }
}

impl<E, F> Clone for LinkPath<E, F> {
    fn clone(&self) -> Self {
        LinkPath { key: self.key.clone(), kind: PhantomData }
    }
}
impl<E, F> fmt::Debug for LinkPath<E, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LinkPath").field(&self.key).finish()
    }
}

mod sealed {
    pub trait Sealed {}
}

/// What may follow a link to `F` in a path from `E`: `F`'s attributes and links, and paths
/// from `F`. Sealed.
pub trait Then<E, F>: sealed::Sealed {
    /// A [`Path`] from `E` for an attribute, a [`LinkPath`] from `E` for a link.
    type Output;
    /// `self` under the dotted `prefix`.
    fn under(self, prefix: &str) -> Self::Output;
}

#[inline]
fn dotted(prefix: &str, rest: &str) -> String {
    let mut key = String::with_capacity(prefix.len() + 1 + rest.len());
    key.push_str(prefix);
    key.push('.');
    key.push_str(rest);
    key
}

impl<F, T, I> sealed::Sealed for Attr<F, T, I> {}
impl<E, F, T, I> Then<E, F> for Attr<F, T, I> {
    type Output = Path<E, T, I>;
    fn under(self, prefix: &str) -> Path<E, T, I> {
        Path { key: dotted(prefix, self.name), kind: PhantomData }
    }
}

impl<F, T, I> sealed::Sealed for Path<F, T, I> {}
impl<E, F, T, I> Then<E, F> for Path<F, T, I> {
    type Output = Path<E, T, I>;
    fn under(self, prefix: &str) -> Path<E, T, I> {
        Path { key: dotted(prefix, &self.key), kind: PhantomData }
    }
}

impl<F, G> sealed::Sealed for Link<F, G> {}
impl<E, F, G> Then<E, F> for Link<F, G> {
    type Output = LinkPath<E, G>;
    fn under(self, prefix: &str) -> LinkPath<E, G> {
        LinkPath { key: dotted(prefix, self.label), kind: PhantomData }
    }
}

impl<F, G> sealed::Sealed for LinkPath<F, G> {}
impl<E, F, G> Then<E, F> for LinkPath<F, G> {
    type Output = LinkPath<E, G>;
    fn under(self, prefix: &str) -> LinkPath<E, G> {
        LinkPath { key: dotted(prefix, &self.key), kind: PhantomData }
    }
}

impl<E, T, I> Attr<E, T, I> {
    fn into_key(self) -> String {
        String::from(self.name)
    }
}

impl<E, T, I> Path<E, T, I> {
    fn into_key(self) -> String {
        self.key
    }
}

/// The operators, the same on an attribute and on a path to one.
macro_rules! operators {
    ($ty:ident) => {
        impl<E, T: Into<Value>, I> $ty<E, T, I> {
            /// Equal to `value` (`{key: value}`); `value` converts into the attribute's type.
            pub fn eq(self, value: impl Into<T>) -> Cond<E> {
                Cond::new(self.into_key(), value.into().into())
            }

            /// Not equal to `value` (`$ne`).
            pub fn ne(self, value: impl Into<T>) -> Cond<E> {
                Cond::op(self.into_key(), "$ne", value.into().into())
            }

            /// One of `values` (`$in`).
            pub fn in_<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> Cond<E> {
                Cond::op(self.into_key(), "$in", Value::Array(values.into_iter().map(|v| v.into().into()).collect()))
            }

            /// Unset or `null` when `null` is true, set otherwise (`$isNull`).
            pub fn is_null(self, null: bool) -> Cond<E> {
                Cond::op(self.into_key(), "$isNull", null.into())
            }
        }

        // The server compares only indexed attributes of a checked type.
        impl<E, T: Typed> $ty<E, T, Indexed> {
            /// Greater than `value` (`$gt`).
            pub fn gt(self, value: impl Into<T>) -> Cond<E> {
                Cond::op(self.into_key(), "$gt", value.into().into())
            }

            /// Greater than or equal to `value` (`$gte`).
            pub fn gte(self, value: impl Into<T>) -> Cond<E> {
                Cond::op(self.into_key(), "$gte", value.into().into())
            }

            /// Less than `value` (`$lt`).
            pub fn lt(self, value: impl Into<T>) -> Cond<E> {
                Cond::op(self.into_key(), "$lt", value.into().into())
            }

            /// Less than or equal to `value` (`$lte`).
            pub fn lte(self, value: impl Into<T>) -> Cond<E> {
                Cond::op(self.into_key(), "$lte", value.into().into())
            }
        }

        impl<E> $ty<E, String, Indexed> {
            /// Matches the SQL `LIKE` pattern (`%` any text, `_` one character), case-sensitive
            /// (`$like`).
            pub fn like(self, pattern: impl Into<String>) -> Cond<E> {
                Cond::op(self.into_key(), "$like", Value::String(pattern.into()))
            }

            /// [`like`](Self::like), ignoring case (`$ilike`).
            pub fn ilike(self, pattern: impl Into<String>) -> Cond<E> {
                Cond::op(self.into_key(), "$ilike", Value::String(pattern.into()))
            }
        }
    };
}

operators!(Attr);
operators!(Path);
