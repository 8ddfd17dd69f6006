//! Runtime values, JSON conversion, CEL equality and ordering.
//!
//! Values share their contents through `Arc`, so cloning one (as every variable lookup and
//! field access does) is cheap, and values may cross threads.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value as Json;

use super::time::{Duration, Timestamp};

/// A CEL value.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    String(Arc<str>),
    Bytes(Arc<[u8]>),
    List(Arc<[Value]>),
    Map(Arc<Map>),
    Timestamp(Timestamp),
    Duration(Duration),
    /// A type, as returned by `type(x)` or named by `int`, `string`, ...
    Type(&'static str),
}

/// A map key: CEL allows bool, int, uint and string keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Bool(bool),
    Int(i64),
    Uint(u64),
    String(Arc<str>),
}

/// A CEL map, keeping insertion order.
///
/// A *lenient* map answers `null` for a missing key, and claims to contain every key (`has()`
/// and `in` are always true for it). The server wraps every map it hands to CEL this way (its
/// `CelMap` overrides `containsKey`), so every map built from JSON is lenient; map literals in
/// the rule are not.
#[derive(Clone, Debug, Default)]
pub struct Map {
    entries: Vec<(Key, Value)>,
    /// Position of each string key, so field access does not scan.
    by_name: HashMap<Arc<str>, usize>,
    lenient: bool,
}

impl Map {
    /// An empty map; see the type's doc for `lenient`.
    pub fn new(lenient: bool) -> Map {
        Map { entries: Vec::new(), by_name: HashMap::new(), lenient }
    }

    /// Adds an entry; returns false (and changes nothing) if the key is already present.
    pub fn insert(&mut self, key: Key, value: Value) -> bool {
        if self.find(&key).is_some() {
            return false;
        }
        if let Key::String(name) = &key {
            self.by_name.insert(name.clone(), self.entries.len());
        }
        self.entries.push((key, value));
        true
    }

    /// Sets a string key, replacing any previous value.
    pub fn set(&mut self, key: &str, value: Value) {
        match self.by_name.get(key) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.insert(Key::String(key.into()), value);
            }
        }
    }

    /// Whether missing keys read as null (see the type's doc).
    pub fn is_lenient(&self) -> bool {
        self.lenient
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The value stored under a string key.
    pub fn get_str(&self, name: &str) -> Option<&Value> {
        self.by_name.get(name).map(|&i| &self.entries[i].1)
    }

    /// The value stored under `key`, where numeric keys match across int and uint.
    pub fn get(&self, key: &Key) -> Option<&Value> {
        self.find(key).map(|i| &self.entries[i].1)
    }

    fn find(&self, key: &Key) -> Option<usize> {
        match key {
            Key::String(s) => self.by_name.get(&**s).copied(),
            _ => self.entries.iter().position(|(k, _)| keys_equal(k, key)),
        }
    }
}

fn keys_equal(a: &Key, b: &Key) -> bool {
    match (a, b) {
        (Key::Int(i), Key::Uint(u)) | (Key::Uint(u), Key::Int(i)) => *i >= 0 && *i as u64 == *u,
        _ => a == b,
    }
}

impl Key {
    /// The key a value looks up, or None for values that can never be keys. Integral doubles
    /// find int and uint keys, as in cel-java's heterogeneous lookup.
    pub(crate) fn lookup(value: &Value) -> Option<Key> {
        match value {
            Value::Bool(b) => Some(Key::Bool(*b)),
            Value::Int(i) => Some(Key::Int(*i)),
            Value::Uint(u) => Some(Key::Uint(*u)),
            Value::String(s) => Some(Key::String(s.clone())),
            Value::Double(d) if d.fract() == 0.0 && *d >= -9.223_372_036_854_776e18 && *d < 9.223_372_036_854_776e18 => {
                Some(Key::Int(*d as i64))
            }
            Value::Double(d) if d.fract() == 0.0 && *d >= 0.0 && *d < 1.844_674_407_370_955_2e19 => Some(Key::Uint(*d as u64)),
            _ => None,
        }
    }

    /// The key a map literal entry stores, or None for types that cannot be map keys.
    pub(crate) fn from_value(value: &Value) -> Option<Key> {
        match value {
            Value::Double(_) => None,
            other => Key::lookup(other),
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        match self {
            Key::Bool(b) => Value::Bool(*b),
            Key::Int(i) => Value::Int(*i),
            Key::Uint(u) => Value::Uint(*u),
            Key::String(s) => Value::String(s.clone()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::List(items.into())
    }
}

impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Value {
        Value::Timestamp(t)
    }
}

impl From<&Json> for Value {
    /// See [`Value::from_json`].
    fn from(json: &Json) -> Value {
        Value::from_json(json)
    }
}

impl Value {
    /// Converts JSON as the server hands entity data to CEL: integers that fit i64 become Int,
    /// other numbers Double, arrays List, objects *lenient* Map (missing keys read as null).
    pub fn from_json(json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Value::from(s.as_str()),
            Json::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            Json::Object(object) => {
                let mut map = Map::new(true);
                for (k, v) in object {
                    map.insert(Key::String(k.as_str().into()), Value::from_json(v));
                }
                Value::Map(Arc::new(map))
            }
        }
    }

    /// Converts a result back to JSON. Timestamps become RFC 3339 strings, durations `"90s"`,
    /// bytes base64, types their name, non-finite doubles null; map keys become strings.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Uint(u) => Json::from(*u),
            Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
            Value::String(s) => Json::String(s.to_string()),
            Value::Bytes(b) => Json::String(base64(b)),
            Value::List(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Key::String(s) => s.to_string(),
                            other => other.to_value().to_string(),
                        };
                        (key, v.to_json())
                    })
                    .collect(),
            ),
            Value::Timestamp(t) => Json::String(t.to_string()),
            Value::Duration(d) => Json::String(d.to_string()),
            Value::Type(name) => Json::String(name.to_string()),
        }
    }

    /// Sets `key` in a map value, replacing any previous value (the map's other holders are
    /// not affected). Does nothing when `self` is not a map.
    pub fn insert(&mut self, key: &str, value: Value) {
        if let Value::Map(map) = self {
            Arc::make_mut(map).set(key, value);
        }
    }

    /// A timestamp `ms` milliseconds after the epoch (null outside years 1-9999).
    pub fn timestamp_ms(ms: i64) -> Value {
        Timestamp::from_millis(ms).map_or(Value::Null, Value::Timestamp)
    }

    /// A map with string keys; see [`Map`] for `lenient`.
    pub fn map_of(entries: impl IntoIterator<Item = (String, Value)>, lenient: bool) -> Value {
        let mut map = Map::new(lenient);
        for (k, v) in entries {
            map.insert(Key::String(k.into()), v);
        }
        Value::Map(Arc::new(map))
    }

    /// CEL's name for the value's type, as `type(x)` reports it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null_type",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Uint(_) => "uint",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Timestamp(_) => "google.protobuf.Timestamp",
            Value::Duration(_) => "google.protobuf.Duration",
            Value::Type(_) => "type",
        }
    }

    /// The bool inside, if this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// CEL equality with heterogeneous numbers (`1 == 1u == 1.0`); values of different types are
/// simply unequal. Lists compare element-wise, maps by key set and values.
pub(crate) fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::Timestamp(x), Value::Timestamp(y)) => x == y,
        (Value::Duration(x), Value::Duration(y)) => x == y,
        (Value::Type(x), Value::Type(y)) => x == y,
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equals(p, q)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| match y.get(k) {
                    Some(w) => equals(v, w),
                    None => false,
                })
        }
        _ => match numeric_order(a, b) {
            Some(order) => order == Some(Ordering::Equal),
            None => false,
        },
    }
}

/// Exact ordering between numbers of any numeric types (`Some(None)` when a NaN is involved),
/// or None when either is not a number.
fn numeric_order(a: &Value, b: &Value) -> Option<Option<Ordering>> {
    fn int_double(i: i64, d: f64) -> Option<Ordering> {
        if d.is_nan() {
            return None;
        }
        // Compare in the double domain unless the double lies inside i64's range, where the
        // exact integer comparison plus the fraction decides.
        if d >= 9.223_372_036_854_776e18 {
            return Some(Ordering::Less);
        }
        if d < -9.223_372_036_854_776e18 {
            return Some(Ordering::Greater);
        }
        let t = d.trunc() as i64;
        Some(i.cmp(&t).then_with(|| {
            if d.fract() > 0.0 {
                Ordering::Less
            } else if d.fract() < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }))
    }
    fn uint_double(u: u64, d: f64) -> Option<Ordering> {
        if d.is_nan() {
            return None;
        }
        if d < 0.0 {
            return Some(Ordering::Greater);
        }
        if d >= 1.844_674_407_370_955_2e19 {
            return Some(Ordering::Less);
        }
        let t = d.trunc() as u64;
        Some(u.cmp(&t).then_with(|| if d.fract() > 0.0 { Ordering::Less } else { Ordering::Equal }))
    }
    Some(match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Uint(x), Value::Uint(y)) => Some(x.cmp(y)),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Uint(y)) => Some(if *x < 0 { Ordering::Less } else { (*x as u64).cmp(y) }),
        (Value::Uint(x), Value::Int(y)) => Some(if *y < 0 { Ordering::Greater } else { x.cmp(&(*y as u64)) }),
        (Value::Int(x), Value::Double(y)) => int_double(*x, *y),
        (Value::Double(x), Value::Int(y)) => int_double(*y, *x).map(Ordering::reverse),
        (Value::Uint(x), Value::Double(y)) => uint_double(*x, *y),
        (Value::Double(x), Value::Uint(y)) => uint_double(*y, *x).map(Ordering::reverse),
        _ => return None,
    })
}

/// Ordering for `<`, `<=`, `>`, `>=`: only between values of the same type, as the server's
/// cel-java options leave heterogeneous numeric comparisons off (`1 < 1.5` does not compile,
/// and an int field compared with a double fails at runtime). Err means "no such overload";
/// Ok(None) means unordered (NaN), which makes every comparison false.
pub(crate) fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>, ()> {
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Uint(x), Value::Uint(y)) => Some(x.cmp(y)),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        _ => return Err(()),
    })
}

/// Numeric ordering across int, uint and double, for `math.greatest` / `math.least`.
pub(crate) fn compare_numbers(a: &Value, b: &Value) -> Option<Option<Ordering>> {
    numeric_order(a, b)
}

impl fmt::Display for Value {
    /// A CEL-literal-like rendering, used in error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Uint(u) => write!(f, "{u}u"),
            Value::Double(d) => write!(f, "{}", format_double(*d)),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "b{:?}", String::from_utf8_lossy(b)),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Value::Map(map) => {
                write!(f, "{{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}: {v}", k.to_value())?;
                }
                write!(f, "}}")
            }
            Value::Timestamp(t) => write!(f, "timestamp(\"{t}\")"),
            Value::Duration(d) => write!(f, "duration(\"{d}\")"),
            Value::Type(name) => write!(f, "{name}"),
        }
    }
}

/// Java's `Double.toString` shape for common values: `1.0`, `0.5`, `1.0E20`.
pub(crate) fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let abs = d.abs();
    if abs != 0.0 && !(1e-3..1e7).contains(&abs) {
        let s = format!("{d:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
        return format!("{mantissa}E{exp}");
    }
    let s = format!("{d}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
