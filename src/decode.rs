//! A [`Value`] as a serde [`Deserializer`]: how the Rust API turns an answer into the caller's
//! type on wasm32 without `serde_json` (which must stay out of the wasm) or a JS-specific serde
//! crate (which needs `std`).

use alloc::string::{String, ToString};
use core::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};

use crate::Value;

/// Why a [`Value`] is not the type asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> DecodeError {
        DecodeError(message.to_string())
    }
}

/// `value` as a `T`.
///
/// ```
/// use instant_edge::{decode::from_value, value};
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Todo { title: String, done: bool, n: u32, score: Option<f64> }
/// let todo: Todo = from_value(value!({ "title": "Run", "done": false, "n": 3, "score": 1.5 })).unwrap();
/// assert_eq!(todo, Todo { title: "Run".into(), done: false, n: 3, score: Some(1.5) });
/// assert!(from_value::<Todo>(value!({ "title": 1 })).is_err());
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, DecodeError> {
    T::deserialize(value)
}

impl<'de> IntoDeserializer<'de, DecodeError> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

impl<'de> Deserializer<'de> for Value {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            // Whole numbers as integers, so integer fields take them.
            Value::Number(n) if n % 1.0 == 0.0 && (0.0..1.8e19).contains(&n) => visitor.visit_u64(n as u64),
            Value::Number(n) if n % 1.0 == 0.0 && (-9.2e18..0.0).contains(&n) => visitor.visit_i64(n as i64),
            Value::Number(n) => visitor.visit_f64(n),
            Value::String(text) => visitor.visit_string(text),
            Value::Array(items) => {
                let mut items = SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut items)?;
                items.end()?;
                Ok(value)
            }
            Value::Object(entries) => {
                let mut entries = MapDeserializer::new(entries.into_iter());
                let value = visitor.visit_map(&mut entries)?;
                entries.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self {
            // Unit variants, as JSON spells them.
            Value::String(text) => visitor.visit_enum(text.into_deserializer()),
            other => Err(de::Error::invalid_type(de::Unexpected::Other(other.kind()), &"an enum variant's name")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{StoredFile, User};

    #[test]
    fn models_decode_as_with_serde_json() {
        let json = r#"{"id":"u","email":"a@b.co","type":"user","isGuest":false,"created_at":"2026-01-01T00:00:00Z","refresh_token":"t","extra":[1,{"x":null}]}"#;
        let ours: User = from_value(serde_json::from_str(json).unwrap()).unwrap();
        let theirs: User = serde_json::from_str(json).unwrap();
        assert_eq!(ours, theirs);
        let file = r#"{"id":"f","path":"a/b.png","size":12,"content-type":"image/png","url":null,"location-id":"l"}"#;
        assert_eq!(
            from_value::<StoredFile>(serde_json::from_str(file).unwrap()).unwrap(),
            serde_json::from_str::<StoredFile>(file).unwrap()
        );
    }

    #[test]
    fn numbers_fit_the_field() {
        assert_eq!(from_value::<u32>(Value::Number(7.0)), Ok(7));
        assert_eq!(from_value::<i64>(Value::Number(-7.0)), Ok(-7));
        assert_eq!(from_value::<f64>(Value::Number(7.0)), Ok(7.0));
        assert!(from_value::<u32>(Value::Number(1.5)).is_err());
        assert!(from_value::<u8>(Value::Number(300.0)).is_err());
        assert_eq!(from_value::<Option<String>>(Value::Null), Ok(None));
        assert_eq!(from_value::<Value>(crate::value!({ "a": [1, "x"] })), Ok(crate::value!({ "a": [1, "x"] })));
    }
}
