//! How a JSON value looks once Postgres stores it as `jsonb` in the real server's `triples` table:
//! its size (`pg_column_size`, which the `indexed_values_are_constrained` check caps at
//! 1,024 bytes for indexed, unique and link values, spec §6.7) and its text (`jsonb_out`, which
//! the check's error detail quotes, cut to 64 bytes).
//!
//! The value reaches Postgres as the JSON text the server prints (Cheshire/Jackson): integers
//! as written, other numbers as Java's `Double.toString` prints the double, which `numeric_in`
//! then parses. Sizes follow the `jsonb` binary layout (`convertToJsonb`): a 4-byte varlena
//! header; each array or object a 4-byte header plus a 4-byte entry per element (two per
//! object pair), aligned to 4 bytes; object keys sorted by length, then bytes, and stored
//! before the values; strings as their UTF-8 bytes; `null` and booleans in the entry alone;
//! numbers as `numeric` varlenas, aligned to 4 bytes; a top-level scalar as a one-element array.

use serde_json::{Map, Number, Value};

/// The largest `pg_column_size` an indexed, unique or link value may have.
pub const MAX_INDEXED_BYTES: usize = 1024;

/// How many bytes of a value's text an error detail quotes before `...`.
const DETAIL_BYTES: usize = 64;

/// `pg_column_size(value::jsonb)` for a freshly written value.
///
/// ```
/// use instant_emulator::values::jsonb::size;
/// use serde_json::json;
/// assert_eq!(size(&json!({})), 8);
/// assert_eq!(size(&json!("a")), 13);
/// assert_eq!(size(&json!(1)), 20);
/// assert_eq!(size(&json!([1, "ab", {"x": 2}])), 56);
/// ```
pub fn size(value: &Value) -> usize {
    let mut len = 4;
    match value {
        Value::Array(_) | Value::Object(_) => container(value, &mut len),
        scalar => {
            pad(&mut len);
            len += 4 + 4;
            element(scalar, &mut len);
        }
    }
    len
}

fn pad(len: &mut usize) {
    *len = (*len + 3) & !3;
}

fn element(value: &Value, len: &mut usize) {
    match value {
        Value::Null | Value::Bool(_) => {}
        Value::String(s) => *len += s.len(),
        Value::Number(n) => {
            pad(len);
            *len += Numeric::of(n).size();
        }
        Value::Array(_) | Value::Object(_) => container(value, len),
    }
}

fn container(value: &Value, len: &mut usize) {
    pad(len);
    match value {
        Value::Array(items) => {
            *len += 4 + 4 * items.len();
            for item in items {
                element(item, len);
            }
        }
        Value::Object(map) => {
            *len += 4 + 8 * map.len();
            let keys = sorted_keys(map);
            *len += keys.iter().map(|k| k.len()).sum::<usize>();
            for key in keys {
                element(&map[key], len);
            }
        }
        _ => {}
    }
}

/// `jsonb`'s key order: shorter keys first, then by bytes.
fn sorted_keys(map: &Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes())));
    keys
}

/// The value as `jsonb_out` prints it: sorted keys, `", "` and `": "` separators, numbers with
/// the scale Postgres kept.
///
/// ```
/// use instant_emulator::values::jsonb::text;
/// use serde_json::json;
/// assert_eq!(text(&json!({"bb": [1, 2.5], "a": "x\"y"})), r#"{"a": "x\"y", "bb": [1, 2.5]}"#);
/// assert_eq!(text(&json!(1e20)), "100000000000000000000");
/// ```
pub fn text(value: &Value) -> String {
    let mut out = String::new();
    write_text(value, &mut out);
    out
}

fn write_text(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&Numeric::of(n).text()),
        Value::String(s) => escape(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_text(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, key) in sorted_keys(map).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                escape(key, out);
                out.push_str(": ");
                write_text(&map[key], out);
            }
            out.push('}');
        }
    }
}

/// Postgres's `escape_json`.
fn escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The value as the server's error hint quotes it from a failing row: the first 64 bytes of its
/// text (never splitting a character) and `...`, which no longer parses as JSON and so is handed
/// back as a string; a text short enough to quote whole parses back to the value itself.
pub fn detail_excerpt(value: &Value) -> Value {
    let text = text(value);
    if text.len() <= DETAIL_BYTES {
        return value.clone();
    }
    let mut end = DETAIL_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Value::String(format!("{}...", &text[..end]))
}

/// A number as `numeric_in` reads the server's text for it: its decimal digits, the power of
/// ten of the last one, and the display scale.
struct Numeric {
    negative: bool,
    digits: Vec<u8>,
    /// The power of ten of the last digit.
    shift: i64,
    /// Digits after the decimal point that `numeric_out` prints.
    dscale: i64,
}

impl Numeric {
    fn of(n: &Number) -> Numeric {
        Numeric::parse(&server_text(n))
    }

    /// `numeric_in` of `[-]digits[.digits][E[+-]digits]`.
    fn parse(text: &str) -> Numeric {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().unwrap_or(0)),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let frac_len = frac.len() as i64;
        Numeric { negative, digits, shift: exponent - frac_len, dscale: (frac_len - exponent).max(0) }
    }

    /// `VARSIZE` of the `numeric` (`make_result`): a 4-byte varlena header, a 2-byte header
    /// (4 when the weight or scale does not fit the short form), 2 bytes per base-10000 digit
    /// between the first and the last non-zero one.
    fn size(&self) -> usize {
        let first = self.digits.iter().position(|d| *d != 0);
        let last = self.digits.iter().rposition(|d| *d != 0);
        let (groups, weight) = match (first, last) {
            (Some(first), Some(last)) => {
                let place = |index: usize| self.shift + (self.digits.len() - 1 - index) as i64;
                let weight = place(first).div_euclid(4);
                (weight - place(last).div_euclid(4) + 1, weight)
            }
            _ => (0, 0),
        };
        let short = self.dscale <= 63 && (-64..=63).contains(&weight);
        4 + if short { 2 } else { 4 } + 2 * groups as usize
    }

    /// `numeric_out`: plain decimal notation with exactly `dscale` fraction digits.
    fn text(&self) -> String {
        let mut digits: Vec<u8> = self.digits.clone();
        if self.shift >= 0 {
            digits.extend(std::iter::repeat_n(0, self.shift as usize));
        }
        let fraction = if self.shift < 0 { (-self.shift) as usize } else { 0 };
        while digits.len() <= fraction {
            digits.insert(0, 0);
        }
        let (int, frac) = digits.split_at(digits.len() - fraction);
        let skip = int.iter().take_while(|d| **d == 0).count().min(int.len() - 1);
        let zero = digits.iter().all(|d| *d == 0);
        let mut out = String::new();
        if self.negative && !zero {
            out.push('-');
        }
        out.extend(int[skip..].iter().map(|d| char::from(b'0' + d)));
        if !frac.is_empty() {
            out.push('.');
            out.extend(frac.iter().map(|d| char::from(b'0' + d)));
        }
        out
    }
}

/// The number as the server prints it into SQL: integers as they are, other numbers as Java's
/// `Double.toString` (shortest round-tripping digits; plain notation with at least one fraction
/// digit from 10^-3 up to 10^7, else `d.dddE±n`).
fn server_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    let scientific = format!("{:e}", f.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-3..=6).contains(&exponent) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            let mut int = digits.clone();
            while int.len() < int_len {
                int.push('0');
            }
            let frac = if digits.len() > int_len { &digits[int_len..] } else { "0" };
            format!("{sign}{}.{frac}", &int[..int_len])
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exponent - 1) as usize))
        }
    } else {
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{rest}E{exponent}", &digits[..1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number(text: &str) -> Number {
        serde_json::from_str(text).expect("number")
    }

    #[test]
    fn numbers_print_as_the_server_sends_them() {
        assert_eq!(server_text(&number("12")), "12");
        assert_eq!(server_text(&number("1.0")), "1.0");
        assert_eq!(server_text(&number("1e2")), "100.0");
        assert_eq!(server_text(&number("1e20")), "1.0E20");
        assert_eq!(server_text(&number("0.00123")), "0.00123");
        assert_eq!(server_text(&number("0.000123")), "1.23E-4");
        assert_eq!(server_text(&number("1234567.5")), "1234567.5");
        assert_eq!(server_text(&number("12345678.5")), "1.23456785E7");
        assert_eq!(server_text(&number("-2.5")), "-2.5");
    }

    /// Sizes and texts measured with `pg_column_size(x::jsonb)` and `x::jsonb::text` on
    /// Postgres 15, with `x` the text `server_text` gives.
    #[test]
    fn sizes_and_texts_match_postgres() {
        let cases = [
            (json!(1e20), 20, "100000000000000000000"),
            (json!(1e-70), 22, "0.00000000000000000000000000000000000000000000000000000000000000000000010"),
            (json!(2.5e300), 24, ""),
            (json!(-0.0), 18, "0.0"),
            (json!(100.0), 20, "100.0"),
            (json!(0.0001), 20, "0.00010"),
            (json!(123456789012u64), 24, "123456789012"),
            (json!(-12.75), 22, "-12.75"),
            (
                json!({"bb": [1, 2.5, null], "a": "x\"y\n", "ccc": {"d": true}}),
                93,
                r#"{"a": "x\"y\n", "bb": [1, 2.5, null], "ccc": {"d": true}}"#,
            ),
            (json!(["é\u{1}", false, []]), 28, r#"["é\u0001", false, []]"#),
            (json!("a".repeat(1012)), 1024, ""),
            (json!("é".repeat(507)), 1026, ""),
        ];
        for (value, bytes, printed) in cases {
            assert_eq!(size(&value), bytes, "size of {value}");
            if !printed.is_empty() {
                assert_eq!(text(&value), printed, "text of {value}");
            }
        }
    }

    #[test]
    fn excerpts_cut_at_64_bytes_on_a_character_boundary() {
        let long = json!("a".repeat(100));
        assert_eq!(detail_excerpt(&long), json!(format!("\"{}...", "a".repeat(63))));
        let accents = json!("é".repeat(100));
        assert_eq!(detail_excerpt(&accents), json!(format!("\"{}...", "é".repeat(31))));
        assert_eq!(detail_excerpt(&json!({"a": 1})), json!({"a": 1}));
    }
}
