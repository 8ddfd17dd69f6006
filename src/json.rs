//! A read-only view of JSON, whoever holds it: [`Value`]s built in Rust, or the JSON a host
//! parsed (a caller's object on wasm32, checked where it lies and never converted). Validation
//! is written once against it.

use crate::prelude::*;
use alloc::borrow::Cow;

use crate::http::Payload;
use crate::Value;

/// What kind of JSON value it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl Kind {
    /// As messages name it: `null`, `a string`, `an object`, ...
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

/// Read access to a JSON value.
///
/// ```
/// use instant_edge::json::{JsonView, Kind};
/// let value = instant_edge::value!({ "goals": {} });
/// assert_eq!(JsonView::kind(&&value), Kind::Object);
/// assert_eq!((&value).entries().len(), 1);
/// ```
pub trait JsonView: Sized {
    /// Its kind.
    fn kind(&self) -> Kind;
    /// A string's text.
    fn text(&self) -> Option<Cow<'_, str>>;
    /// A number's value.
    fn number(&self) -> Option<f64>;
    /// A boolean's value.
    fn boolean(&self) -> Option<bool>;
    /// An array's items (empty for anything else).
    fn items(&self) -> Vec<Self>;
    /// An object's entries, in order (empty for anything else).
    fn entries(&self) -> Vec<(String, Self)>;
    /// An object's field.
    fn field(&self, key: &str) -> Option<Self>;
    /// The value as a request body part.
    fn payload(&self) -> Payload;
    /// A number as JavaScript's `String(n)` writes it (messages quote values as the official
    /// client does). [`crate::parse::Node`] has the text `JSON.stringify` wrote, which is that.
    fn number_text(&self) -> Option<String> {
        let n = self.number()?;
        let mut out = String::new();
        crate::Value::Number(n).write_json(&mut out);
        Some(out)
    }
}

impl<'a> JsonView for &'a Value {
    fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    fn text(&self) -> Option<Cow<'_, str>> {
        self.as_str().map(Cow::Borrowed)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn items(&self) -> Vec<&'a Value> {
        let value: &'a Value = self;
        value.as_array().unwrap_or_default().iter().collect()
    }

    fn entries(&self) -> Vec<(String, &'a Value)> {
        let value: &'a Value = self;
        value.as_object().unwrap_or_default().iter().map(|(k, v)| (k.clone(), v)).collect()
    }

    fn field(&self, key: &str) -> Option<&'a Value> {
        let value: &'a Value = self;
        value.get(key)
    }

    fn payload(&self) -> Payload {
        Payload::Value((*self).clone())
    }
}

/// Any JSON view as a [`Value`].
///
/// ```
/// let node = instant_edge::parse::parse(r#"{"a":[1.5,"x",null,true]}"#).unwrap();
/// assert_eq!(instant_edge::json::to_value(&node), instant_edge::value!({ "a": [1.5, "x", null, true] }));
/// ```
pub fn to_value<J: JsonView>(json: &J) -> Value {
    match json.kind() {
        Kind::Null => Value::Null,
        Kind::Bool => Value::Bool(json.boolean() == Some(true)),
        Kind::Number => Value::Number(json.number().unwrap_or_default()),
        Kind::String => Value::String(json.text().map(Cow::into_owned).unwrap_or_default()),
        Kind::Array => Value::Array(json.items().iter().map(to_value).collect()),
        Kind::Object => Value::Object(json.entries().into_iter().map(|(key, value)| (key, to_value(&value))).collect()),
    }
}
