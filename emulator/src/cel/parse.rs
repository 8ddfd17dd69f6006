//! Recursive-descent parser for the CEL expression grammar, with the standard macros, the
//! `cel.bind` macro (bindings extension) and `math.greatest`/`math.least` (math extension)
//! expanded while parsing, as cel-java does.

use super::ast::{Call, Expr, Func, Kind, Loop, LoopKind};
use super::lex::{tokenize, Tok, Token};
use super::value::Value;

/// cel-java's `maxParseRecursionDepth` default: deeper expressions are rejected.
pub(crate) const MAX_DEPTH: usize = 250;

/// cel-java's `maxExpressionCodePointSize` default.
const MAX_CODE_POINTS: usize = 100_000;

/// Parse failure: `(byte offset or None for "line 1, column 1", message)`.
pub(crate) type ParseError = (Option<usize>, String);

const EXPR_START: &str = "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}";

const RESERVED: [&str; 16] = [
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
];

/// The accumulator name of cel-java's macro expansions; an iteration variable may not shadow it.
const ACCUMULATOR: &str = "__result__";

/// Parses `source` into an expression tree.
pub(crate) fn parse(source: &str) -> Result<Expr, ParseError> {
    let size = source.chars().count();
    if size > MAX_CODE_POINTS {
        return Err((None, format!("expression code point size exceeds limit: size: {size}, limit {MAX_CODE_POINTS}")));
    }
    let (tokens, ends) = tokenize(source).map_err(|(pos, msg)| (Some(pos), msg))?;
    let mut parser = Parser { source, tokens, ends, at: 0, depth: 0 };
    let expr = parser.expr()?;
    if parser.peek() != &Tok::Eof {
        return Err(parser.error(&format!("extraneous input {} expecting <EOF>", parser.describe())));
    }
    Ok(expr)
}

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    ends: Vec<usize>,
    at: usize,
    depth: usize,
}

fn recursion_error() -> ParseError {
    (None, format!("Expression recursion limit exceeded. limit: {MAX_DEPTH}"))
}

/// Builds a node, computing its height from its children and enforcing the depth limit.
fn node(pos: usize, kind: Kind) -> Result<Expr, ParseError> {
    let mut expr = Expr { pos, depth: 1, kind };
    let height = expr.children().iter().map(|c| c.depth).max().unwrap_or(0) as usize + 1;
    if height > MAX_DEPTH {
        return Err(recursion_error());
    }
    expr.depth = height as u16;
    Ok(expr)
}

fn call(pos: usize, name: &str, target: Option<Expr>, args: Vec<Expr>) -> Result<Expr, ParseError> {
    node(pos, Kind::Call(Call { name: name.to_string(), target: target.map(Box::new), args, func: Func::Unresolved, regex: None }))
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.at].tok
    }

    fn pos(&self) -> usize {
        self.tokens[self.at].pos
    }

    fn bump(&mut self) -> Token {
        let token = self.tokens[self.at].clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        token
    }

    fn is(&self, punct: &str) -> bool {
        matches!(self.peek(), Tok::Punct(p) if *p == punct)
    }

    fn eat(&mut self, punct: &str) -> bool {
        let found = self.is(punct);
        if found {
            self.bump();
        }
        found
    }

    fn describe(&self) -> String {
        self.peek().describe(self.source, self.pos(), self.ends[self.at])
    }

    fn error(&self, message: &str) -> ParseError {
        (Some(self.pos()), message.to_string())
    }

    fn expect(&mut self, punct: &str) -> Result<usize, ParseError> {
        if self.is(punct) {
            Ok(self.bump().pos)
        } else {
            Err(self.error(&format!("mismatched input {} expecting '{punct}'", self.describe())))
        }
    }

    // The functions on the recursive path (`expr`, `binary`, `unary`, `member`, `primary`)
    // hand everything else to helpers, which keeps their stack frames small: 250 nested
    // parentheses must parse on a 2 MiB thread stack even in a debug build.

    /// `expr := binary ('?' binary ':' expr)?`, with the depth limit.
    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(recursion_error());
        }
        let result = match self.binary(1) {
            Ok(cond) if self.is("?") => self.ternary(cond),
            other => other,
        };
        self.depth -= 1;
        result
    }

    fn ternary(&mut self, cond: Expr) -> Result<Expr, ParseError> {
        let pos = self.bump().pos;
        let then = self.binary(1)?;
        self.expect(":")?;
        let otherwise = self.expr()?;
        node(pos, Kind::Cond(Box::new(cond), Box::new(then), Box::new(otherwise)))
    }

    /// The binary operator at the cursor: (precedence, cel-java function name).
    fn binary_op(&self) -> Option<(u8, &'static str)> {
        Some(match self.peek() {
            Tok::Punct("||") => (1, "_||_"),
            Tok::Punct("&&") => (2, "_&&_"),
            Tok::In => (3, "@in"),
            Tok::Punct("<") => (3, "_<_"),
            Tok::Punct("<=") => (3, "_<=_"),
            Tok::Punct(">") => (3, "_>_"),
            Tok::Punct(">=") => (3, "_>=_"),
            Tok::Punct("==") => (3, "_==_"),
            Tok::Punct("!=") => (3, "_!=_"),
            Tok::Punct("+") => (4, "_+_"),
            Tok::Punct("-") => (4, "_-_"),
            Tok::Punct("*") => (5, "_*_"),
            Tok::Punct("/") => (5, "_/_"),
            Tok::Punct("%") => (5, "_%_"),
            _ => return None,
        })
    }

    /// Binary operators of precedence `min` and above, left-associative, by precedence
    /// climbing (one stack frame per precedence level rather than one per grammar rule, which
    /// keeps deep nesting within the stack). `||` and `&&` chains become balanced trees, as in
    /// cel-java, so long chains do not count against the depth limit.
    fn binary(&mut self, min: u8) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while let Some((prec, name)) = self.binary_op() {
            if prec < min {
                break;
            }
            left = if prec <= 2 { self.logical_chain(left, prec, name)? } else { self.operation(left, prec, name)? };
        }
        Ok(left)
    }

    fn logical_chain(&mut self, first: Expr, prec: u8, name: &'static str) -> Result<Expr, ParseError> {
        let mut operands = vec![first];
        let mut ops = Vec::new();
        while self.binary_op() == Some((prec, name)) {
            ops.push(self.bump().pos);
            operands.push(self.binary(prec + 1)?);
        }
        balance(prec == 1, operands, &ops)
    }

    fn operation(&mut self, left: Expr, prec: u8, name: &'static str) -> Result<Expr, ParseError> {
        let pos = self.bump().pos;
        let right = self.binary(prec + 1)?;
        call(pos, name, None, vec![left, right])
    }

    /// `'!'+ member | '-'+ member | member`.
    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Tok::Punct("!" | "-") => self.prefixed(),
            _ => self.member(),
        }
    }

    /// A run of `!` or `-` before a member. As in cel-java, an even run cancels out (`!!x` is
    /// `x`), and a `-` directly before a number is part of the literal.
    fn prefixed(&mut self) -> Result<Expr, ParseError> {
        let pos = self.pos();
        let (op, name) = if self.is("!") { ("!", "!_") } else { ("-", "-_") };
        let mut count = 0;
        while self.eat(op) {
            count += 1;
        }
        let operand = if op == "-" && matches!(self.peek(), Tok::Int(_) | Tok::Double(_)) {
            count -= 1;
            self.number(true)?
        } else {
            self.member()?
        };
        if count % 2 == 0 {
            Ok(operand)
        } else {
            call(pos, name, None, vec![operand])
        }
    }

    fn member(&mut self) -> Result<Expr, ParseError> {
        let mut expr = self.primary()?;
        while self.is(".") || self.is("[") {
            expr = self.postfix(expr)?;
        }
        Ok(expr)
    }

    /// One `.field`, `.method(args)` or `[index]` after `expr`.
    fn postfix(&mut self, expr: Expr) -> Result<Expr, ParseError> {
        let open = self.bump().pos;
        if self.is("?") {
            let syntax = if self.tokens[self.at - 1].tok == Tok::Punct(".") { ".?" } else { "[?" };
            return Err((Some(open), format!("unsupported syntax '{syntax}'")));
        }
        if self.tokens[self.at - 1].tok == Tok::Punct("[") {
            let index = self.expr()?;
            self.expect("]")?;
            return call(open, "_[_]", None, vec![expr, index]);
        }
        let Tok::Ident(field) = self.peek().clone() else {
            return Err(self.expecting("IDENTIFIER"));
        };
        self.bump();
        if self.is("(") {
            let paren = self.bump().pos;
            let args = self.arguments()?;
            self.member_call(paren, expr, &field, args)
        } else {
            node(open, Kind::Select { operand: Box::new(expr), field, test: false })
        }
    }

    /// Arguments after `(` up to and including `)`.
    fn arguments(&mut self) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(")") {
                return Ok(args);
            }
            if !self.eat(",") {
                return Err(self.error(&format!("mismatched input {} expecting {{')', ','}}", self.describe())));
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Tok::Punct("(") => self.parenthesized(),
            Tok::Punct("[") => self.list(),
            Tok::Punct("{") => self.map(),
            Tok::Punct(".") => self.rooted(),
            Tok::Ident(_) => self.identifier(),
            _ => self.literal(),
        }
    }

    fn parenthesized(&mut self) -> Result<Expr, ParseError> {
        self.bump();
        let inner = self.expr()?;
        self.expect(")")?;
        Ok(inner)
    }

    fn list(&mut self) -> Result<Expr, ParseError> {
        let pos = self.bump().pos;
        let items = self.list_items()?;
        node(pos, Kind::List(items))
    }

    fn map(&mut self) -> Result<Expr, ParseError> {
        let pos = self.bump().pos;
        let entries = self.map_entries()?;
        node(pos, Kind::Map(entries))
    }

    /// A leading dot names the root scope (`.data`); there are no containers here, so it
    /// means the same name.
    fn rooted(&mut self) -> Result<Expr, ParseError> {
        self.bump();
        match self.peek() {
            Tok::Ident(_) => self.identifier(),
            _ => Err(self.expecting("IDENTIFIER")),
        }
    }

    fn expecting(&self, what: &str) -> ParseError {
        self.error(&format!("mismatched input {} expecting {what}", self.describe()))
    }

    /// A literal other than a list or map.
    fn literal(&mut self) -> Result<Expr, ParseError> {
        let pos = self.pos();
        let value = match self.peek() {
            Tok::Int(_) | Tok::Double(_) => return self.number(false),
            Tok::Uint(v) => Value::Uint(*v),
            Tok::Str(s) => Value::from(s.as_str()),
            Tok::Bytes(b) => Value::Bytes(b.as_slice().into()),
            Tok::True => Value::Bool(true),
            Tok::False => Value::Bool(false),
            Tok::Null => Value::Null,
            _ => return Err(self.expecting(EXPR_START)),
        };
        self.bump();
        node(pos, Kind::Lit(value))
    }

    /// An identifier, a global call, or the `has()` macro.
    fn identifier(&mut self) -> Result<Expr, ParseError> {
        let token = self.bump();
        let Tok::Ident(name) = token.tok else { unreachable!("identifier() is called on identifiers") };
        if RESERVED.contains(&name.as_str()) {
            return Err((Some(token.pos), format!("reserved identifier: {name}")));
        }
        if self.is("{") {
            return Err(self.error("unsupported syntax: message construction"));
        }
        if !self.is("(") {
            return node(token.pos, Kind::Ident(name));
        }
        let open = self.bump().pos;
        let mut args = self.arguments()?;
        if name == "has" && args.len() == 1 {
            let arg = args.pop().expect("one argument");
            return match arg.kind {
                Kind::Select { operand, field, test: false } => node(open, Kind::Select { operand, field, test: true }),
                _ => Err((Some(arg.pos), "invalid argument to has() macro".to_string())),
            };
        }
        call(token.pos, &name, None, args)
    }

    /// A number literal; `negative` when a `-` preceded it.
    fn number(&mut self, negative: bool) -> Result<Expr, ParseError> {
        let token = self.bump();
        let value = match token.tok {
            Tok::Double(d) => Value::Double(if negative { -d } else { d }),
            Tok::Int(u) if negative && u <= 1u64 << 63 => Value::Int((u as i64).wrapping_neg()),
            Tok::Int(u) if !negative && u <= i64::MAX as u64 => Value::Int(u as i64),
            _ => return Err((Some(token.pos), "invalid int literal".to_string())),
        };
        node(token.pos, Kind::Lit(value))
    }

    fn list_items(&mut self) -> Result<Vec<Expr>, ParseError> {
        let mut items = Vec::new();
        while !self.eat("]") {
            items.push(self.expr()?);
            if !self.eat(",") {
                self.expect("]")?;
                break;
            }
        }
        Ok(items)
    }

    fn map_entries(&mut self) -> Result<Vec<(Expr, Expr)>, ParseError> {
        let mut entries = Vec::new();
        while !self.eat("}") {
            if self.is("?") {
                return Err(self.error("unsupported syntax '?'"));
            }
            let key = self.expr()?;
            self.expect(":")?;
            let value = self.expr()?;
            entries.push((key, value));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(entries)
    }

    /// `target.name(args)`: a receiver macro, a namespaced macro, or a method call.
    fn member_call(&mut self, open: usize, target: Expr, name: &str, mut args: Vec<Expr>) -> Result<Expr, ParseError> {
        let namespace = match &target.kind {
            Kind::Ident(ns) => Some(ns.as_str()),
            _ => None,
        };
        let kind = match (name, args.len()) {
            ("all", 2) => Some(LoopKind::All),
            ("exists", 2) => Some(LoopKind::Exists),
            ("exists_one", 2) => Some(LoopKind::ExistsOne),
            ("map", 2 | 3) => Some(LoopKind::Map),
            ("filter", 2) => Some(LoopKind::Filter),
            _ => None,
        };
        if let Some(kind) = kind {
            let var = simple_name(&args[0])?;
            if var == ACCUMULATOR {
                return Err((Some(args[0].pos), format!("The iteration variable {ACCUMULATOR} overwrites accumulator variable")));
            }
            let body = args.pop().expect("macro body");
            let filter = if args.len() == 2 { args.pop() } else { None };
            return node(open, Kind::Loop(Box::new(Loop { kind, var, range: target, filter, body })));
        }
        match (namespace, name) {
            (Some("cel"), "bind") if args.len() == 3 => {
                let var =
                    simple_name(&args[0]).map_err(|(pos, _)| (pos, "cel.bind() variable names must be simple identifiers".to_string()))?;
                let body = args.pop().expect("bind body");
                let init = args.pop().expect("bind init");
                node(open, Kind::Bind { var, init: Box::new(init), body: Box::new(body) })
            }
            (Some("math"), "greatest" | "least") => {
                if args.is_empty() {
                    return Err((Some(open), format!("math.{name}() requires at least one argument")));
                }
                let function = if name == "greatest" { "math.@max" } else { "math.@min" };
                call(open, function, None, args)
            }
            _ => call(open, name, Some(target), args),
        }
    }
}

/// The name in a macro's variable position, which must be a bare identifier.
fn simple_name(expr: &Expr) -> Result<String, ParseError> {
    match &expr.kind {
        Kind::Ident(name) => Ok(name.clone()),
        _ => Err((Some(expr.pos), "The argument must be a simple name".to_string())),
    }
}

/// Joins `operands` with `||`/`&&` into a balanced tree (cel-java's `ExpressionBalancer`).
fn balance(or: bool, mut operands: Vec<Expr>, ops: &[usize]) -> Result<Expr, ParseError> {
    if operands.len() == 1 {
        return Ok(operands.pop().expect("one operand"));
    }
    let mid = ops.len() / 2;
    let right = operands.split_off(mid + 1);
    let left = balance(or, operands, &ops[..mid])?;
    let right = balance(or, right, &ops[mid + 1..])?;
    let (l, r) = (Box::new(left), Box::new(right));
    node(ops[mid], if or { Kind::Or(l, r) } else { Kind::And(l, r) })
}
