//! Value rules shared by the store, queries and transactions: JSON equality, ordering, `LIKE`,
//! the checked data types and their checks, date parsing and UUID coercion (spec §5.4, §5.11,
//! §6.7). The bottom of the engine: it imports no other module of the crate.

pub mod jsonb;

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};
use std::cmp::Ordering;

use serde_json::Value;
use uuid::Uuid;

/// The enforced type of an attribute (`checked-data-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    /// JSON string.
    String,
    /// JSON number.
    Number,
    /// JSON boolean.
    Boolean,
    /// Epoch milliseconds or a date string.
    Date,
}

impl DataType {
    /// Parses the wire name (`string`, `number`, `boolean`, `date`).
    pub fn parse(name: &str) -> Option<DataType> {
        match name {
            "string" => Some(DataType::String),
            "number" => Some(DataType::Number),
            "boolean" => Some(DataType::Boolean),
            "date" => Some(DataType::Date),
            _ => None,
        }
    }

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Number => "number",
            DataType::Boolean => "boolean",
            DataType::Date => "date",
        }
    }
}

/// The server's UUID coercion of ids in headers, queries and seeded data: trim, exactly 36
/// characters, canonical form.
///
/// ```
/// use instant_emulator::values::coerce_uuid;
/// assert!(coerce_uuid(" 5B1C0000-0000-4000-8000-000000000000 ").is_some());
/// // The simple (unhyphenated) form parses as a UUID but is not 36 characters long.
/// assert!(coerce_uuid("5b1c0000000040008000000000000000").is_none());
/// ```
pub fn coerce_uuid(raw: &str) -> Option<Uuid> {
    let trimmed = raw.trim();
    if trimmed.len() != 36 {
        return None;
    }
    Uuid::parse_str(trimmed).ok()
}

/// Equality as the server compares stored JSON: numbers by numeric value, everything else
/// structurally.
///
/// ```
/// use instant_emulator::values::json_eq;
/// use serde_json::json;
/// assert!(json_eq(&json!(1), &json!(1.0)));
/// assert!(!json_eq(&json!("1"), &json!(1)));
/// ```
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Whether `value` may be stored in an attribute of type `data_type` (spec §6.7). `null` always
/// may: it is how an attribute is cleared.
pub fn fits_type(value: &Value, data_type: DataType) -> bool {
    match (data_type, value) {
        (_, Value::Null) => true,
        (DataType::String, Value::String(_)) => true,
        (DataType::Number, Value::Number(_)) => true,
        (DataType::Boolean, Value::Bool(_)) => true,
        (DataType::Date, Value::Number(_)) => true,
        (DataType::Date, Value::String(s)) => parse_date(s).is_some(),
        _ => false,
    }
}

/// The JSON type name used in the server's type-mismatch messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) | Value::Object(_) => "json",
    }
}

/// Milliseconds since the epoch of a date value: a number, or an ISO-8601-like string
/// (`2024-01-31`, `2024-01-31T10:00:00Z`, `2024-01-31 10:00:00.5+02:00`, ...). Words such as
/// `now` are rejected as the server rejects them.
pub fn date_millis(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_date(s).map(|ms| ms as f64),
        _ => None,
    }
}

/// Parses a date string into epoch milliseconds.
///
/// ```
/// use instant_emulator::values::parse_date;
/// assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
/// assert_eq!(parse_date("1970-01-01T00:00:01.5Z"), Some(1_500));
/// assert_eq!(parse_date("now"), None);
/// ```
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = text.get(from..from + len)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = digits(0, 4)?;
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(5, 2)?;
    let day = digits(8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(millis);
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let time = rest.as_bytes();
    let two = |at: usize| -> Option<i64> {
        let part = rest.get(at..at + 2)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let hour = two(0)?;
    if time.get(2) != Some(&b':') {
        return None;
    }
    let minute = two(3)?;
    let mut at = 5;
    let mut second = 0;
    let mut fraction_ms = 0.0;
    if time.get(at) == Some(&b':') {
        second = two(at + 1)?;
        at += 3;
        if time.get(at) == Some(&b'.') {
            let start = at + 1;
            let mut end = start;
            while time.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return None;
            }
            fraction_ms = format!("0.{}", &rest[start..end]).parse::<f64>().ok()? * 1000.0;
            at = end;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset_minutes = match &rest[at..] {
        "" | "Z" | "z" => 0,
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let zone = zone[1..].replace(':', "");
            if zone.len() != 4 || !zone.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: i64 = zone[..2].parse().ok()?;
            let minutes: i64 = zone[2..].parse().ok()?;
            sign * (hours * 60 + minutes)
        }
    };
    millis += ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000;
    Some(millis + fraction_ms.round() as i64)
}

/// An instant as Cheshire prints a timestamp: UTC, second precision, `yyyy-MM-ddTHH:mm:ssZ`.
///
/// ```
/// use instant_emulator::values::iso_seconds;
/// assert_eq!(iso_seconds(1_709_164_800_999), "2024-02-29T00:00:00Z");
/// assert_eq!(iso_seconds(-1), "1969-12-31T23:59:59Z");
/// ```
pub fn iso_seconds(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

fn type_rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// Orders two non-null values. Dates compare as instants; numbers numerically; strings by
/// code point; mixed types by a fixed type rank (the real server would fail, spec §5.11).
pub fn compare(a: &Value, b: &Value, data_type: Option<DataType>) -> Ordering {
    if data_type == Some(DataType::Date) {
        if let (Some(x), Some(y)) = (date_millis(a), date_millis(b)) {
            return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => type_rank(a).cmp(&type_rank(b)).then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

/// SQL `LIKE`: `%` matches any run of characters, `_` exactly one.
///
/// ```
/// use instant_emulator::values::like;
/// assert!(like("Get fit", "Get%", false));
/// assert!(like("get FIT", "%fit", true));
/// assert!(!like("Get fit", "get%", false));
/// ```
pub fn like(value: &str, pattern: &str, case_insensitive: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if case_insensitive {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (text, pattern) = (fold(value), fold(pattern));
    // Iterative wildcard matching with single backtrack point: linear in practice, never
    // exponential on hostile patterns.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '_' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '%' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

/// Lower-cases every UUID-shaped string inside a JSON value (spec §6.7: the server coerces them
/// to UUIDs, which print in canonical lower case).
pub fn lowercase_uuids(value: &mut Value) {
    match value {
        Value::String(s) if s.len() == 36 && Uuid::parse_str(s).is_ok() => *s = s.to_ascii_lowercase(),
        Value::Array(items) => items.iter_mut().for_each(lowercase_uuids),
        Value::Object(map) => map.values_mut().for_each(lowercase_uuids),
        _ => {}
    }
}

/// Deep merge as `jsonb_deep_merge` does it (spec §6.5 merge).
pub fn deep_merge(current: &Value, patch: &Value) -> Value {
    match (current, patch) {
        (Value::Object(base), Value::Object(changes)) => {
            let mut merged = base.clone();
            for (key, change) in changes {
                match (merged.get(key), change) {
                    (_, Value::Null) => {
                        merged.remove(key);
                    }
                    (Some(existing @ Value::Object(_)), Value::Object(_)) => {
                        let value = deep_merge(existing, change);
                        merged.insert(key.clone(), value);
                    }
                    _ => {
                        merged.insert(key.clone(), change.clone());
                    }
                }
            }
            Value::Object(merged)
        }
        _ => patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_seconds_formats_second_precision_utc() {
        assert_eq!(iso_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_seconds(1_709_164_800_999), "2024-02-29T00:00:00Z");
        assert_eq!(iso_seconds(1_787_344_774_000), "2026-08-21T20:39:34Z");
    }
    use serde_json::json;

    #[test]
    fn dates_parse_to_instants() {
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("2024-01-01T01:00:00+01:00"), parse_date("2024-01-01"));
        assert_eq!(parse_date("2024-01-01T00:00"), parse_date("2024-01-01"));
        assert_eq!(parse_date("today"), None);
        assert_eq!(parse_date("2024-1-1"), None);
    }

    #[test]
    fn like_handles_wildcards() {
        assert!(like("abc", "a_c", false));
        assert!(like("abc", "%", false));
        assert!(like("", "%", false));
        assert!(!like("abc", "a_", false));
        assert!(like("aXbXc", "a%b%c", false));
        assert!(!like("ABC", "abc", false));
        assert!(like("ABC", "abc", true));
    }

    #[test]
    fn deep_merge_follows_jsonb_deep_merge() {
        let current = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 1});
        let patch = json!({"a": {"b": 3, "c": null}, "d": [3], "f": {"g": null}});
        assert_eq!(deep_merge(&current, &patch), json!({"a": {"b": 3}, "d": [3], "e": 1, "f": {"g": null}}));
        assert_eq!(deep_merge(&json!(5), &json!({"x": 1})), json!({"x": 1}));
        assert_eq!(deep_merge(&json!({"x": 1}), &json!(null)), json!(null));
    }

    #[test]
    fn uuids_are_lowercased_anywhere() {
        let mut v = json!({"k": ["8AA64E4C-64F9-472E-8A61-3FA28870E6CB", "ABC"]});
        lowercase_uuids(&mut v);
        assert_eq!(v, json!({"k": ["8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "ABC"]}));
    }
}
