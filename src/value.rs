//! [`Value`]: a JSON value the crate can inspect and build without `serde_json`, which must stay
//! out of the shipped wasm. Objects keep their keys in insertion order, because the official
//! client's request bodies do (`$$ruleParams` comes first in a query).

use crate::prelude::*;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value: queries, transaction steps, hints and error bodies.
///
/// ```
/// use instant_edge::Value;
/// let query = Value::object([("goals", Value::object([("todos", Value::empty_object())]))]);
/// assert!(query.get("goals").is_some_and(Value::is_object));
/// assert_eq!(Value::from("a"), Value::String("a".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// `null`
    #[default]
    Null,
    /// `true` / `false`
    Bool(bool),
    /// Every JSON number, as JavaScript holds it.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, keys in insertion order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// An object from `(key, value)` pairs, in the given order.
    ///
    /// ```
    /// use instant_edge::Value;
    /// let v = Value::object([("title", "Get fit".into()), ("done", false.into())]);
    /// assert_eq!(v.get("done"), Some(&Value::Bool(false)));
    /// ```
    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// `{}`.
    pub fn empty_object() -> Value {
        Value::Object(Vec::new())
    }

    /// The value under `key` when `self` is an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when `self` is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, when `self` is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The entries, when `self` is an object.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, when `self` is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether `self` is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// Whether `self` is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Sets `key` (replacing an existing entry in place) when `self` is an object.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        if let Value::Object(entries) = self {
            let key = key.into();
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
    }

    /// A short name of the JSON type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

impl Value {
    /// Its JSON text, compact, keys in order (what `JSON.stringify` writes for the same value,
    /// up to the digits of non-integer numbers).
    ///
    /// ```
    /// use instant_edge::value;
    /// assert_eq!(value!({ "a": [1, "x\"y", null, true] }).to_json(), r#"{"a":[1,"x\"y",null,true]}"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    pub(crate) fn write_json(&self, out: &mut String) {
        self.write_json_with(out, write_float);
    }

    /// [`Value::to_json`] into `out`, with `float` writing numbers that are not whole: the wasm
    /// host passes the host's own number formatting, so the wasm carries no float printer.
    pub fn write_json_with(&self, out: &mut String, float: FloatWriter) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) if !n.is_finite() => out.push_str("null"),
            Value::Number(n) if n % 1.0 == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
                if *n < 0.0 {
                    out.push('-');
                }
                push_number(out, n.abs() as u64);
            }
            Value::Number(n) => float(*n, out),
            Value::String(text) => write_string(text, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json_with(out, float);
                }
                out.push(']');
            }
            Value::Object(entries) => {
                out.push('{');
                for (i, (key, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    item.write_json_with(out, float);
                }
                out.push('}');
            }
        }
    }
}

/// Writes a finite number that is not whole as JSON.
pub type FloatWriter = fn(f64, &mut String);

/// Rust's shortest round-trip digits (`core::fmt`).
pub fn write_float(n: f64, out: &mut String) {
    use core::fmt::Write;
    let _ = write!(out, "{n}");
}

pub(crate) fn write_string(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from(HEX[(u32::from(c) >> 4) as usize]));
                out.push(char::from(HEX[(u32::from(c) & 15) as usize]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds a [`Value`] that reads like the JSON it makes. Keys are string literals; a value is a
/// literal, `null`, a nested `[...]` or `{...}`, or any expression in parentheses (anything
/// with `Into<Value>`).
///
/// ```
/// use instant_edge::{value, Value};
/// let todo = String::from("8aa64e4c-64f9-472e-8a61-3fa28870e6cb");
/// let args = value!({ "title": "Get fit", "done": false, "tags": ["a", "b"], "todos": (todo.clone()), "n": null });
/// assert_eq!(args.get("todos"), Some(&Value::from(todo)));
/// ```
#[macro_export]
macro_rules! value {
    (null) => {
        $crate::Value::Null
    };
    ([ $($item:tt),* $(,)? ]) => {
        $crate::Value::Array($crate::__vec![ $( $crate::value!($item) ),* ])
    };
    ({ $($key:literal : $item:tt),* $(,)? }) => {
        $crate::Value::Object($crate::__vec![ $( ($crate::__String::from($key), $crate::value!($item)) ),* ])
    };
    ($other:expr) => {
        $crate::Value::from($other)
    };
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Number(n.into())
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Number(n.into())
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            // Integral numbers serialize as integers so native JSON text reads `1`, not `1.0`.
            Value::Number(n) if n % 1.0 == 0.0 && n.abs() < 9_007_199_254_740_992.0 => serializer.serialize_i64(*n as i64),
            Value::Number(n) => serializer.serialize_f64(*n),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Deserialize::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            entries.push((k, v));
        }
        Ok(Value::Object(entries))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Appends `n` in decimal: `core::fmt` costs kilobytes of wasm for what this does.
///
/// ```
/// let mut text = String::from("steps[");
/// instant_edge::push_number(&mut text, 1024);
/// assert_eq!(text, "steps[1024");
/// ```
pub fn push_number(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}
