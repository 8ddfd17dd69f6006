//! Tokenizer for CEL source text (the lexer rules of cel-spec's `CEL.g4`).

/// A token's kind and payload.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// An integer literal without its sign; the parser applies a leading `-` (so that
    /// `-9223372036854775808` is valid) and range-checks it.
    Int(u64),
    Uint(u64),
    Double(f64),
    Str(String),
    Bytes(Vec<u8>),
    Ident(String),
    True,
    False,
    Null,
    In,
    /// Punctuation and operators, e.g. `==`, `(`, `?`.
    Punct(&'static str),
    Eof,
}

/// A token and the byte offset where it starts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

impl Tok {
    /// How ANTLR would name the token in "mismatched input ..." messages.
    pub(crate) fn describe(&self, source: &str, pos: usize, end: usize) -> String {
        match self {
            Tok::Eof => "'<EOF>'".to_string(),
            _ => format!("'{}'", source.get(pos..end).unwrap_or("")),
        }
    }
}

/// Longest operators first, so `==` wins over `=`.
const PUNCTS: [&str; 24] =
    ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"];

/// Splits `source` into tokens (ending with `Eof`), or reports the first lexical error as
/// `(byte offset, message)`. Also returns each token's end offset for error messages.
pub(crate) fn tokenize(source: &str) -> Result<(Vec<Token>, Vec<usize>), (usize, String)> {
    let mut lexer = Lexer { src: source, bytes: source.as_bytes(), pos: 0 };
    let mut tokens = Vec::new();
    let mut ends = Vec::new();
    loop {
        lexer.skip_space_and_comments();
        let start = lexer.pos;
        let tok = lexer.next_token()?;
        let done = tok == Tok::Eof;
        tokens.push(Token { tok, pos: start });
        ends.push(lexer.pos);
        if done {
            return Ok((tokens, ends));
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn skip_space_and_comments(&mut self) {
        loop {
            match self.peek(0) {
                Some(b' ' | b'\t' | b'\r' | b'\n' | 0x0c) => self.pos += 1,
                Some(b'/') if self.peek(1) == Some(b'/') => {
                    while let Some(c) = self.peek(0) {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    /// ANTLR's message for a character no rule accepts.
    fn unrecognized(&self, start: usize, end: usize) -> (usize, String) {
        let end = end.min(self.src.len()).max(start);
        let mut end = end;
        while !self.src.is_char_boundary(end) {
            end += 1;
        }
        (start, format!("token recognition error at: '{}'", &self.src[start..end]))
    }

    fn next_token(&mut self) -> Result<Tok, (usize, String)> {
        let start = self.pos;
        let Some(c) = self.peek(0) else { return Ok(Tok::Eof) };
        if c.is_ascii_digit() || (c == b'.' && self.peek(1).is_some_and(|d| d.is_ascii_digit())) {
            return self.number();
        }
        if c == b'"' || c == b'\'' {
            return self.string(false, false);
        }
        if c == b'_' || c.is_ascii_alphabetic() {
            // String prefixes: r"..", b"..", rb"..", br".." in any case.
            let lower = |o: usize| self.peek(o).map(|b| b.to_ascii_lowercase());
            let quote = |o: usize| matches!(self.peek(o), Some(b'"' | b'\''));
            match (lower(0), lower(1)) {
                (Some(b'r'), _) if quote(1) => {
                    self.pos += 1;
                    return self.string(true, false);
                }
                (Some(b'b'), _) if quote(1) => {
                    self.pos += 1;
                    return self.string(false, true);
                }
                (Some(b'r'), Some(b'b')) | (Some(b'b'), Some(b'r')) if quote(2) => {
                    self.pos += 2;
                    return self.string(true, true);
                }
                _ => {}
            }
            while self.peek(0).is_some_and(|b| b == b'_' || b.is_ascii_alphanumeric()) {
                self.pos += 1;
            }
            return Ok(match &self.src[start..self.pos] {
                "true" => Tok::True,
                "false" => Tok::False,
                "null" => Tok::Null,
                "in" => Tok::In,
                word => Tok::Ident(word.to_string()),
            });
        }
        for p in PUNCTS {
            if self.bytes[self.pos..].starts_with(p.as_bytes()) {
                self.pos += p.len();
                return Ok(Tok::Punct(p));
            }
        }
        // ANTLR reports `|` and `&` together with the following character.
        let width = self.src[start..].chars().next().map_or(1, char::len_utf8);
        let extra = if matches!(c, b'|' | b'&' | b'=') { 1 } else { 0 };
        Err(self.unrecognized(start, start + width + extra))
    }

    fn digits(&mut self, hex: bool) -> usize {
        let start = self.pos;
        while self.peek(0).is_some_and(|b| if hex { b.is_ascii_hexdigit() } else { b.is_ascii_digit() }) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Tok, (usize, String)> {
        let start = self.pos;
        if self.peek(0) == Some(b'0') && matches!(self.peek(1), Some(b'x' | b'X')) && self.peek(2).is_some_and(|b| b.is_ascii_hexdigit()) {
            self.pos += 2;
            self.digits(true);
            let text = &self.src[start + 2..self.pos];
            let value = u64::from_str_radix(text, 16).map_err(|_| (start, "invalid int literal".to_string()))?;
            return Ok(self.int_suffix(value));
        }
        self.digits(false);
        let mut is_float = false;
        if self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            self.digits(false);
            is_float = true;
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.peek(1), Some(b'+' | b'-')));
            if self.peek(1 + sign).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1 + sign;
                self.digits(false);
                is_float = true;
            }
        }
        let text = &self.src[start..self.pos];
        if is_float {
            let value: f64 = text.parse().map_err(|_| (start, "invalid double literal".to_string()))?;
            return Ok(Tok::Double(value));
        }
        // Integers that do not fit u64 are reported by the parser ("invalid int literal").
        let value = text.parse::<u64>().unwrap_or(u64::MAX);
        let too_big = text.parse::<u64>().is_err();
        let tok = self.int_suffix(value);
        if too_big {
            return Err((start, "invalid int literal".to_string()));
        }
        Ok(tok)
    }

    fn int_suffix(&mut self, value: u64) -> Tok {
        if matches!(self.peek(0), Some(b'u' | b'U')) {
            self.pos += 1;
            Tok::Uint(value)
        } else {
            Tok::Int(value)
        }
    }

    /// Lexes a quoted literal starting at the quote (any prefix already consumed).
    fn string(&mut self, raw: bool, bytes: bool) -> Result<Tok, (usize, String)> {
        let token_start = self.pos - usize::from(raw) - usize::from(bytes);
        let q = self.bytes[self.pos];
        let triple = self.peek(1) == Some(q) && self.peek(2) == Some(q);
        self.pos += if triple { 3 } else { 1 };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err(self.unrecognized(token_start, self.src.len()));
            };
            if c == q && (!triple || (self.peek(1) == Some(q) && self.peek(2) == Some(q))) {
                self.pos += if triple { 3 } else { 1 };
                break;
            }
            if !triple && (c == b'\n' || c == b'\r') {
                return Err(self.unrecognized(token_start, self.pos));
            }
            if c == b'\\' && !raw {
                self.escape(&mut out, bytes, token_start)?;
                continue;
            }
            let width = self.src[self.pos..].chars().next().map_or(1, char::len_utf8);
            out.extend_from_slice(&self.bytes[self.pos..self.pos + width]);
            self.pos += width;
        }
        if bytes {
            return Ok(Tok::Bytes(out));
        }
        // Escapes produce code points, and the source is UTF-8, so this only fails on a bug.
        String::from_utf8(out).map(Tok::Str).map_err(|_| (token_start, "Invalid unicode code point".to_string()))
    }

    /// Decodes one escape sequence at `self.pos` (the backslash) into `out`.
    fn escape(&mut self, out: &mut Vec<u8>, bytes: bool, token_start: usize) -> Result<(), (usize, String)> {
        let bad = |lexer: &Lexer<'_>| lexer.unrecognized(token_start, lexer.pos + 2);
        let Some(e) = self.peek(1) else { return Err(bad(self)) };
        let simple = match e {
            b'a' => Some(7u8),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' | b'\'' | b'"' | b'`' | b'?' => Some(e),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            self.pos += 2;
            return Ok(());
        }
        let (digits, radix, skip) = match e {
            b'x' | b'X' => (2, 16, 2),
            b'u' if !bytes => (4, 16, 2),
            b'U' if !bytes => (8, 16, 2),
            b'0'..=b'3' => (3, 8, 1),
            _ => return Err(bad(self)),
        };
        let from = self.pos + skip;
        let text = self.src.get(from..from + digits).unwrap_or("");
        let valid = text.len() == digits && text.bytes().all(|b| (b as char).is_digit(radix));
        if !valid {
            return Err(bad(self));
        }
        let code = u32::from_str_radix(text, radix).map_err(|_| bad(self))?;
        self.pos = from + digits;
        if bytes && (radix == 8 || e == b'x' || e == b'X') {
            out.push(code as u8);
            return Ok(());
        }
        let ch = char::from_u32(code).ok_or((token_start, "Invalid unicode code point".to_string()))?;
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }
}
