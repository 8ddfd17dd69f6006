//! A CEL (Common Expression Language) interpreter for InstantDB permission rules.
//!
//! The real server compiles rules with Google's cel-java (standard macros plus the `bindings`,
//! `strings` and `math` extensions, and Instant's own `ref`, `getTime`, `timestamp` and
//! `rateLimit` functions; spec §9, `srv/db/cel.clj`). This module mirrors that environment:
//!
//! * [`compile`] parses, type-checks (so rules the server rejects at save time are rejected
//!   here, with cel-java's messages) and validates (`auth.ref` paths must start with `$user.`);
//! * [`Program::eval`] runs the checked tree against an [`Env`] that supplies variables and
//!   answers `x.ref(path)` calls.
//!
//! Instant-specific semantics worth knowing:
//! * every map built from JSON ([`Value::from_json`]) is *lenient*: a missing key reads as
//!   `null`, and `has(m.k)` and `'k' in m` are always true, because the server's `CelMap`
//!   claims to contain every key. Map literals written in the rule are strict;
//! * `timestamp(x)` is Instant's: a date string in any format Instant accepts
//!   ([`Env::parse_date`]) or epoch *milliseconds*; `t.getTime()` is epoch milliseconds;
//! * `<`, `<=`, `>`, `>=` need both sides of the same type (the server's cel-java options leave
//!   heterogeneous comparisons off), while `==` compares numbers across int, uint and double;
//! * `matches` uses `regex-lite`, close to the RE2 dialect cel-java uses (`\d`, `\w`, `\s` are
//!   ASCII; a match anywhere in the string counts); it has no `\p{..}` Unicode classes.
//!
//! Not supported: `rateLimit.<bucket>.limit(..)` (type-checks, fails when run), IANA time zone
//! names in the timestamp accessors (UTC and fixed offsets work), message construction,
//! optional syntax (`.?`, `[?`) and qualified type names such as `google.protobuf.Timestamp`.

mod ast;
mod check;
mod error;
mod eval;
mod funcs;
mod lex;
mod parse;
mod time;
mod value;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use ast::{Expr, Func, Kind};

pub use error::{CompileError, EvalError, Issue};
pub use time::{parse_date, Duration, Timestamp};
pub use value::{Key, Map, Value};

/// Supplies what a rule reads while it runs.
pub trait Env {
    /// The value of a declared variable (`data`, `auth`, `newData`, `request`, ...), or None if
    /// this evaluation has none (an error, as on the server).
    ///
    /// Called on every use of the name, so return cheap clones (values share their contents).
    /// Build maps with [`Value::from_json`] (lenient, like the server's). A null `auth`, `data`,
    /// `newData`, `linkedData`, `ruleParams` or `actions` reads as an empty map, as on the
    /// server: for a guest `auth.id` is null (`auth == null` does not compile). `request` should carry
    /// `time` (a [`Value::Timestamp`]), `ip` and `origin` (empty strings when unknown, as
    /// protobuf defaults) and `modifiedFields` (a list, possibly empty).
    fn var(&self, name: &str) -> Option<Value>;

    /// The values reachable from the entity in variable `receiver` through the link path
    /// `path` (`data.ref("owner.id")` calls `reference("data", "owner.id")`). For `auth`, the
    /// `$user.` prefix is already stripped, as the server strips it (and it answers `[]` for a
    /// guest). The server only supports `data`, `linkedData` and `auth` here: an error for any
    /// other receiver (such as `newData`) matches it.
    fn reference(&self, receiver: &str, path: &str) -> Result<Vec<Value>, EvalError>;

    /// Parses a date string for `timestamp(string)`. The default accepts ISO 8601 / RFC 3339
    /// and the other formats of [`parse_date`]; override it to share the host's date parser.
    fn parse_date(&self, text: &str) -> Option<Timestamp> {
        parse_date(text)
    }
}

/// A compiled rule: parse once, evaluate many times. `Send + Sync`, so it can be cached.
#[derive(Clone, Debug)]
pub struct Program {
    source: String,
    expr: Expr,
    refs: Vec<(String, String)>,
    idents: BTreeSet<String>,
}

/// Compiles `source` in an environment that declares the variables `declared`.
///
/// The server declares `data`, `auth`, `ruleParams`, `request` and `rateLimit` for every
/// action, plus `newData` for create/update, `newData`, `linkedData` and `actions` for link,
/// and `newData` and `linkedData` for unlink.
///
/// ```
/// # use instant_emulator::cel::{compile, Env, EvalError, Value};
/// struct Rule;
/// impl Env for Rule {
///     fn var(&self, name: &str) -> Option<Value> {
///         match name {
///             "auth" => Some(Value::from_json(&serde_json::json!({"id": "u1"}))),
///             "data" => Some(Value::from_json(&serde_json::json!({"id": "d1"}))),
///             _ => None,
///         }
///     }
///     fn reference(&self, _receiver: &str, _path: &str) -> Result<Vec<Value>, EvalError> {
///         Ok(vec![Value::from("u1")])
///     }
/// }
/// let program = compile("auth.id in data.ref('owner.id')", &["data", "auth"]).unwrap();
/// assert_eq!(program.ref_uses(), vec![("data".to_string(), "owner.id".to_string())]);
/// assert_eq!(program.eval(&Rule).unwrap().as_bool(), Some(true));
///
/// let err = compile("auth.id == foo", &["auth"]).unwrap_err();
/// assert_eq!(err.messages(), vec!["undeclared reference to 'foo' (in container '')".to_string()]);
/// ```
pub fn compile(source: &str, declared: &[&str]) -> Result<Program, CompileError> {
    with_deep_stack(source, || compile_here(source, declared))
}

fn compile_here(source: &str, declared: &[&str]) -> Result<Program, CompileError> {
    let mut expr = parse_source(source)?;
    let mut idents = BTreeSet::new();
    collect_idents(&expr, &mut idents);
    check::check(&mut expr, declared).map_err(|problems| CompileError::new(source, problems))?;
    let problems = validate_auth_refs(&expr);
    if !problems.is_empty() {
        return Err(CompileError::new(source, problems));
    }
    let mut refs = Vec::new();
    collect_refs(&expr, &mut refs);
    Ok(Program { source: source.to_string(), expr, refs, idents })
}

/// Every identifier a rule mentions, from parsing alone (no declarations needed). The server
/// uses this (`ident-usages`) to decide which `bind` aliases to wrap a rule in, before the
/// rule can compile. Like the server's, it includes references to comprehension variables.
pub fn idents(source: &str) -> Result<BTreeSet<String>, CompileError> {
    with_deep_stack(source, || {
        let expr = parse_source(source)?;
        let mut idents = BTreeSet::new();
        collect_idents(&expr, &mut idents);
        Ok(idents)
    })
}

/// Rules up to this size and nesting (brackets plus `?`) compile on the caller's thread.
const INLINE_NESTING: usize = 40;
const INLINE_BYTES: usize = 400;

/// Runs `f` (parsing and checking, which recurse once per level of the tree) on a thread with a
/// large stack when `source` could be deep: the depth limit is cel-java's 250 levels, which in
/// a debug build needs more stack than a 2 MiB tokio worker thread can spare. Small, shallow
/// rules, the usual case, run on the caller's thread.
fn with_deep_stack<T: Send>(source: &str, f: impl FnOnce() -> Result<T, CompileError> + Send) -> Result<T, CompileError> {
    let mut depth = 0usize;
    let mut nesting = 0usize;
    let mut questions = 0usize;
    for b in source.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                nesting = nesting.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'?' => questions += 1,
            _ => {}
        }
    }
    if source.len() <= INLINE_BYTES && nesting + questions <= INLINE_NESTING {
        return f();
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new().name("cel-compile".into()).stack_size(64 << 20).spawn_scoped(scope, f);
        match worker.map(|handle| handle.join()) {
            Ok(Ok(result)) => result,
            _ => Err(CompileError::at_start(source, "expression is too deeply nested".to_string())),
        }
    })
}

fn parse_source(source: &str) -> Result<Expr, CompileError> {
    parse::parse(source).map_err(|(pos, message)| match pos {
        Some(pos) => CompileError::new(source, vec![(pos, message)]),
        None => CompileError::at_start(source, message),
    })
}

impl Program {
    /// The rule text this program was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `(receiver, path)` of every `x.ref("path")` call with a literal path, in order of
    /// appearance, without repeats. As on the server, the receiver is the variable the call
    /// hangs off (`data` for `data.ref(..)`) and `auth` paths lose their `$user.` prefix.
    pub fn ref_uses(&self) -> Vec<(String, String)> {
        self.refs.clone()
    }

    /// Every identifier the rule mentions (see [`idents`]).
    pub fn idents(&self) -> BTreeSet<String> {
        self.idents.clone()
    }

    /// Runs the rule. The caller decides what a non-bool result means (the server passes a
    /// check only when the result is `true`).
    pub fn eval(&self, env: &dyn Env) -> Result<Value, EvalError> {
        let mut evaluator = eval::Evaluator { env, locals: Vec::new() };
        evaluator.eval(&self.expr).map_err(|e| e.with_char_position(&self.source))
    }
}

fn walk<'a>(expr: &'a Expr, visit: &mut dyn FnMut(&'a Expr)) {
    visit(expr);
    for child in expr.children() {
        walk(child, visit);
    }
}

fn collect_idents(expr: &Expr, out: &mut BTreeSet<String>) {
    walk(expr, &mut |e| {
        if let Kind::Ident(name) = &e.kind {
            out.insert(name.clone());
        }
    });
}

/// The variable a method call hangs off, as the server's `function-name` finds it: `x` in
/// `x.f()`, `x.y.f()` and `x['y'].f()`.
fn receiver_name(target: Option<&Expr>) -> Option<&str> {
    match &target?.kind {
        Kind::Ident(name) => Some(name),
        Kind::Select { operand, .. } => match &operand.kind {
            Kind::Ident(name) => Some(name),
            _ => None,
        },
        Kind::Call(c) if c.name == "_[_]" => match (&c.args[0].kind, &c.args[1].kind) {
            (Kind::Ident(name), Kind::Lit(Value::String(_))) => Some(name),
            _ => None,
        },
        _ => None,
    }
}

fn literal_path(call: &ast::Call) -> Option<&str> {
    match call.args.as_slice() {
        [arg] => match &arg.kind {
            Kind::Lit(Value::String(path)) => Some(path),
            _ => None,
        },
        _ => None,
    }
}

/// The server's `auth-ref-validator`.
fn validate_auth_refs(expr: &Expr) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    walk(expr, &mut |e| {
        if let Kind::Call(call) = &e.kind {
            if call.func == Func::Ref && receiver_name(call.target.as_deref()) == Some("auth") {
                let ok = literal_path(call).is_some_and(|p| p.starts_with("$user."));
                if !ok {
                    let pos = call.args.first().map_or(e.pos, |a| a.pos);
                    problems.push((pos, "auth.ref arg must start with `$user.`".to_string()));
                }
            }
        }
    });
    problems
}

/// The server's `collect-ref-uses`.
fn collect_refs(expr: &Expr, out: &mut Vec<(String, String)>) {
    walk(expr, &mut |e| {
        if let Kind::Call(call) = &e.kind {
            if call.func != Func::Ref {
                return;
            }
            if let (Some(receiver), Some(path)) = (receiver_name(call.target.as_deref()), literal_path(call)) {
                let path = if receiver == "auth" { path.strip_prefix("$user.").unwrap_or(path) } else { path };
                let entry = (receiver.to_string(), path.to_string());
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
        }
    });
}
