//! JSON text read where it lies. The wasm build reads each JSON argument of a JS call as the
//! text `JSON.stringify` wrote (one host call, whatever the value's prototype or realm);
//! [`parse`] checks its syntax in one pass that allocates nothing per value, and a [`Node`] is a
//! slice of that text that validation reads lazily: only the levels it opens are scanned, so the
//! caller's data inside a transaction step (which validation does not look into) costs one
//! skim. Request bodies take the caller's parts verbatim ([`Payload::Text`]). Numbers are
//! checked for syntax and stay text: nothing here needs their value, and a float parser would
//! cost the wasm several KB.

use crate::prelude::*;
use alloc::borrow::Cow;

use crate::error::{Error, Result};
use crate::http::{HostValue, Payload};
use crate::json::{JsonView, Kind};

/// How deep a value may nest: as deep as the Instant server's JSON reader accepts.
pub const MAX_DEPTH: usize = 1000;

/// One JSON value: a slice of checked JSON text.
///
/// ```
/// use instant_edge::json::JsonView;
/// let node = instant_edge::parse::parse(r#"{"goals":{"$":{"where":{"title":"a\"b"}}}}"#).unwrap();
/// let title = node.field("goals").and_then(|g| g.field("$")).and_then(|d| d.field("where")).and_then(|w| w.field("title"));
/// assert_eq!(title.unwrap().text().as_deref(), Some("a\"b"));
/// assert_eq!(title.map(|t| t.source), Some(r#""a\"b""#));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node<'a> {
    /// Its JSON text, exactly as it appears in the parsed text (no surrounding whitespace).
    pub source: &'a str,
    /// The host's copy of the whole text, which request bodies take instead of `source` (a JS
    /// caller's argument: its text is not copied back out of wasm memory). `source` may then be
    /// abridged: a large argument enters wasm memory with its long strings elided (wasm memory
    /// never shrinks, so a 100 MB string must not be copied in).
    pub whole: Option<&'a HostValue>,
}

/// Checks that `text` is one JSON value (whitespace around it allowed) nested at most
/// [`MAX_DEPTH`] deep; an error names the byte offset. Iterative: no input can exhaust the
/// stack (a stack overflow would kill the wasm instance).
///
/// ```
/// use instant_edge::parse::parse;
/// assert!(parse("[1, -2.5e3, true, null]").is_ok());
/// assert!(parse("{\"a\":}").is_err());
/// ```
pub fn parse(text: &str) -> Result<Node<'_>> {
    let mut scan = Scan { bytes: text.as_bytes(), at: 0 };
    // The containers still open, innermost last: `}` or `]`, the byte that closes each.
    let mut open: Vec<u8> = Vec::new();
    scan.space();
    let start = scan.at;
    loop {
        // A value.
        match scan.peek() {
            Some(b'{') | Some(b'[') => {
                if open.len() >= MAX_DEPTH {
                    return Err(scan.fail("nested deeper than 1000 levels"));
                }
                let object = scan.peek() == Some(b'{');
                scan.at += 1;
                scan.space();
                let close = if object { b'}' } else { b']' };
                if !scan.eat(close) {
                    open.push(close);
                    if object {
                        scan.key()?;
                    }
                    scan.space();
                    continue;
                }
            }
            Some(b'"') => scan.string()?,
            Some(b't') => scan.word(b"true")?,
            Some(b'f') => scan.word(b"false")?,
            Some(b'n') => scan.word(b"null")?,
            Some(b'-' | b'0'..=b'9') => scan.number()?,
            _ => return Err(scan.fail("expected a value")),
        }
        // After a value: the next one, or the end of containers.
        loop {
            let end = scan.at;
            scan.space();
            let Some(&close) = open.last() else {
                if scan.at != text.len() {
                    return Err(scan.fail("unexpected text after the value"));
                }
                return Ok(Node { source: text.get(start..end).unwrap_or_default(), whole: None });
            };
            if scan.eat(b',') {
                if close == b'}' {
                    scan.key()?;
                }
                scan.space();
                break;
            }
            if !scan.eat(close) {
                return Err(scan.fail(if close == b'}' { "expected , or }" } else { "expected , or ]" }));
            }
            open.pop();
        }
    }
}

/// A cursor over JSON bytes.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    fn fail(&self, what: &str) -> Error {
        let mut message = String::from("is not valid JSON: ");
        message.push_str(what);
        message.push_str(" at byte ");
        crate::value::push_number(&mut message, self.at as u64);
        Error::invalid("JSON", message)
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline(always)]
    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn word(&mut self, word: &[u8]) -> Result<()> {
        if !self.bytes.get(self.at..).is_some_and(|rest| rest.starts_with(word)) {
            return Err(self.fail("expected a value"));
        }
        self.at += word.len();
        Ok(())
    }

    fn digits(&mut self) -> bool {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at > start
    }

    fn number(&mut self) -> Result<()> {
        self.eat(b'-');
        let ok = self.eat(b'0') || self.digits();
        let ok = ok && (!self.eat(b'.') || self.digits());
        let ok = ok
            && (!(self.eat(b'e') || self.eat(b'E')) || {
                let _ = self.eat(b'+') || self.eat(b'-');
                self.digits()
            });
        if ok {
            Ok(())
        } else {
            Err(self.fail("malformed number"))
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> Result<()> {
        self.space();
        if self.peek() != Some(b'"') {
            return Err(self.fail("expected a key"));
        }
        self.string()?;
        self.space();
        if !self.eat(b':') {
            return Err(self.fail("expected :"));
        }
        self.space();
        Ok(())
    }

    /// A string, checked (escapes and control characters), from its opening quote.
    fn string(&mut self) -> Result<()> {
        self.at += 1;
        loop {
            // Plain characters in one tight loop: most strings have no escapes.
            let rest = self.bytes.get(self.at..).unwrap_or_default();
            self.at += rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(rest.len());
            match self.peek() {
                None => return Err(self.fail("unterminated string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
                        Some(b'u') if self.bytes.get(self.at + 1..self.at + 5).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) => {
                            self.at += 5
                        }
                        _ => return Err(self.fail("bad escape")),
                    }
                }
                Some(0..=0x1f) => return Err(self.fail("control character in a string")),
                Some(_) => self.at += 1,
            }
        }
    }

    /// Past the (already checked) value starting here.
    fn skip(&mut self) {
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(byte) = self.peek() {
                    match byte {
                        b'"' => {
                            self.skip_string();
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return;
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
            }
            _ => {
                while !matches!(self.peek(), None | Some(b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')) {
                    self.at += 1;
                }
            }
        }
    }

    /// Past the (already checked) string starting here.
    fn skip_string(&mut self) {
        self.at += 1;
        loop {
            let rest = self.bytes.get(self.at..).unwrap_or_default();
            match rest.iter().position(|&b| b == b'"' || b == b'\\') {
                Some(found) if rest.get(found) == Some(&b'"') => {
                    self.at += found + 1;
                    return;
                }
                Some(found) => self.at += found + 2,
                None => {
                    self.at = self.bytes.len();
                    return;
                }
            }
        }
    }
}

impl<'a> Node<'a> {
    fn first(&self) -> u8 {
        self.source.as_bytes().first().copied().unwrap_or(b'n')
    }

    /// Calls `each(key, value)` for an object's entries (keys as raw string slices, quotes
    /// included) or `each(None, item)` for an array's items.
    fn children(&self, mut each: impl FnMut(Option<&'a str>, Node<'a>) -> bool) {
        if !matches!(self.first(), b'{' | b'[') {
            return;
        }
        let object = self.first() == b'{';
        let mut scan = Scan { bytes: self.source.as_bytes(), at: 1 };
        loop {
            scan.space();
            if matches!(scan.peek(), None | Some(b'}' | b']')) {
                return;
            }
            let key = object.then(|| {
                let start = scan.at;
                scan.skip_string();
                let key = self.source.get(start..scan.at).unwrap_or_default();
                scan.space();
                scan.eat(b':');
                scan.space();
                key
            });
            let start = scan.at;
            scan.skip();
            if !each(key, Node { source: self.source.get(start..scan.at).unwrap_or_default(), whole: None }) {
                return;
            }
            scan.space();
            scan.eat(b',');
        }
    }
}

/// A JSON string's text (`quoted` includes the quotes), unescaped; borrowed when it has no
/// escapes. A lone surrogate (`JSON.stringify` escapes them) reads as U+FFFD.
fn unquote(quoted: &str) -> Cow<'_, str> {
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    let hex = |chars: &mut core::str::Chars| -> Option<u32> { u32::from_str_radix(chars.as_str().get(..4)?, 16).ok() };
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next() {
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => {
                let unit = hex(&mut chars).unwrap_or(0xFFFD);
                chars.nth(3);
                let mut code = unit;
                if (0xD800..0xDC00).contains(&unit) && chars.as_str().starts_with("\\u") {
                    let mut ahead = chars.clone();
                    ahead.nth(1);
                    if let Some(low @ 0xDC00..=0xDFFF) = hex(&mut ahead) {
                        code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        chars.nth(5);
                    }
                }
                char::from_u32(code).unwrap_or('\u{FFFD}')
            }
            Some(other) => other,
            None => break,
        };
        out.push(escaped);
    }
    Cow::Owned(out)
}

/// A JSON number's value, without a float parser (which would cost the wasm several KB): exact
/// when its digits fit 2^53 and its decimal exponent is within ±22 (integers, and decimals such
/// as `1.5` or `0.25`), otherwise within a few units in the last place (at the very ends of
/// the range it may round to infinity or zero).
///
/// ```
/// use instant_edge::parse::number_value;
/// assert_eq!(number_value("-12.5e1"), -125.0);
/// assert_eq!(number_value("0.1"), 0.1);
/// assert_eq!(number_value("9007199254740993"), 9007199254740992.0);
/// ```
pub fn number_value(source: &str) -> f64 {
    let (mut mantissa, mut exponent, mut negative) = (0u64, 0i32, false);
    let (mut fraction, mut in_exponent, mut exponent_part, mut exponent_negative) = (false, false, 0i32, false);
    for byte in source.bytes() {
        match byte {
            b'-' if in_exponent => exponent_negative = true,
            b'-' => negative = true,
            b'.' => fraction = true,
            b'e' | b'E' => in_exponent = true,
            b'0'..=b'9' if in_exponent => exponent_part = exponent_part.saturating_mul(10).saturating_add(i32::from(byte - b'0')),
            // Digits past what a u64 holds only scale the value.
            b'0'..=b'9' if mantissa >= 1 << 60 => exponent = exponent.saturating_add(i32::from(!fraction)),
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                exponent = exponent.saturating_sub(i32::from(fraction));
            }
            _ => {}
        }
    }
    exponent = exponent.saturating_add(if exponent_negative { -exponent_part } else { exponent_part });
    // 10^k is exact up to k = 22, and so is each step of this product.
    let mut power = 1.0f64;
    for _ in 0..exponent.unsigned_abs().min(400) {
        power *= 10.0;
    }
    let value = if exponent < 0 { mantissa as f64 / power } else { mantissa as f64 * power };
    if negative {
        -value
    } else {
        value
    }
}

impl<'a> JsonView for Node<'a> {
    fn kind(&self) -> Kind {
        match self.first() {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b't' | b'f' => Kind::Bool,
            b'n' => Kind::Null,
            _ => Kind::Number,
        }
    }

    fn text(&self) -> Option<Cow<'_, str>> {
        (self.first() == b'"').then(|| unquote(self.source))
    }

    fn number(&self) -> Option<f64> {
        (self.kind() == Kind::Number).then(|| number_value(self.source))
    }

    fn boolean(&self) -> Option<bool> {
        matches!(self.first(), b't' | b'f').then_some(self.first() == b't')
    }

    fn items(&self) -> Vec<Node<'a>> {
        let mut items = Vec::new();
        if self.first() == b'[' {
            self.children(|_, item| {
                items.push(item);
                true
            });
        }
        items
    }

    fn entries(&self) -> Vec<(String, Node<'a>)> {
        let mut entries = Vec::new();
        self.children(|key, value| {
            entries.push((unquote(key.unwrap_or_default()).into_owned(), value));
            true
        });
        entries
    }

    fn field(&self, key: &str) -> Option<Node<'a>> {
        // The last of duplicate keys, as `JSON.parse` keeps it.
        let mut found = None;
        self.children(|name, value| {
            if name.is_some_and(|name| unquote(name) == key) {
                found = Some(value);
            }
            true
        });
        found
    }

    fn number_text(&self) -> Option<String> {
        (self.kind() == Kind::Number).then(|| self.source.to_owned())
    }

    fn payload(&self) -> Payload {
        match self.whole {
            Some(whole) => Payload::Host(whole.clone()),
            None => Payload::Text(self.source.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_serde(node: Node) -> serde_json::Value {
        match node.kind() {
            Kind::Object => serde_json::Value::Object(node.entries().into_iter().map(|(k, v)| (k, to_serde(v))).collect()),
            Kind::Array => serde_json::Value::Array(node.items().into_iter().map(to_serde).collect()),
            Kind::String => serde_json::Value::String(node.text().unwrap().into_owned()),
            _ => serde_json::from_str(node.source).unwrap(),
        }
    }

    #[test]
    fn reads_what_json_stringify_writes() {
        for text in [
            "null",
            " true ",
            "false",
            "0",
            "-0.5e-7",
            "1E+2",
            "12345678901234567890123",
            r#""""#,
            r#""a\"b\\c\/\b\f\n\r\t\u0041\ud83d\ude00""#,
            r#"{"a":[1,{"b":null}],"":{},"c\"d":"]}"}"#,
            "[[],[[]],{}]",
            "{ \"a\" : [ 1 , 2 ] , \"b\" : { } }",
        ] {
            let node = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(node.source, text.trim());
            assert_eq!(to_serde(node), serde_json::from_str::<serde_json::Value>(text).unwrap(), "{text}");
        }
    }

    #[test]
    fn unescapes_strings_and_keys() {
        let node = parse(r#"{"k\u00e9y":"\ud83d\ude00 \ud800 x\\u"}"#).unwrap();
        let entries = node.entries();
        assert_eq!(entries[0].0, "kéy");
        assert_eq!(entries[0].1.text().as_deref(), Some("😀 \u{FFFD} x\\u"));
    }

    #[test]
    fn rejects_malformed_text_with_an_offset() {
        for text in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "1e",
            "-",
            "tru",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a",
            "[1] 2",
            "\"\u{1}\"",
            "{1:2}",
            "[}",
            "{]",
        ] {
            let err = parse(text).expect_err(text);
            assert_eq!(err.kind(), "invalid-argument", "{text}");
            assert!(err.to_string().contains("at byte"), "{text}: {err}");
        }
    }

    #[test]
    fn nesting_is_bounded_without_overflowing_the_stack() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(parse(&deep).unwrap_err().to_string().contains("deeper"));
    }

    #[test]
    fn numbers_read_exactly_where_the_docs_say_and_closely_elsewhere() {
        for exact in ["0", "-0", "7", "-12.5e1", "0.25", "1.5", "0.1", "123.456", "1e22", "9007199254740993", "123456789012345678", "2E-3"]
        {
            assert_eq!(number_value(exact), exact.parse::<f64>().unwrap(), "{exact}");
        }
        for close in ["1.5e300", "2.5e-300", "3.141592653589793238462643383279", "6.02214076e23", "1e-7"] {
            let (ours, theirs) = (number_value(close), close.parse::<f64>().unwrap());
            assert!(((ours - theirs) / theirs).abs() < 1e-14, "{close}: {ours} vs {theirs}");
        }
    }

    #[test]
    fn duplicate_keys_read_as_the_last_one() {
        let node = parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(node.field("a").map(|v| v.source), Some("2"));
    }

    #[test]
    fn parts_go_into_bodies_verbatim() {
        let node = parse(r#"{ "q" : { "goals" : {} } }"#).unwrap();
        assert_eq!(node.field("q").map(|q| q.payload()), Some(Payload::Text(r#"{ "goals" : {} }"#.into())));
    }
}
