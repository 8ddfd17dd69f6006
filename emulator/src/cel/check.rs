//! The type checker: resolves names and overloads the way cel-java's checker does, so rules the
//! server rejects at save time are rejected here too (undeclared names, `1 == 'a'`,
//! `request.hello`, ...). It also tells each call which builtin it is.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use super::ast::{Call, Expr, Func, Kind, Loop, LoopKind};
use super::value::Value;

/// A static type. `Dyn` matches anything; `Error` marks an expression that already failed to
/// check (and matches anything, so one mistake gives one message).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Type {
    Dyn,
    Error,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Timestamp,
    Duration,
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
    /// The type of a type value, e.g. `type(int)` for the identifier `int`.
    Meta(Box<Type>),
    /// The `request` protobuf message (`time`, `ip`, `origin`, `modifiedFields`).
    Request,
    /// The opaque bucket type of `rateLimit.<name>`.
    RateLimitBucket,
    /// A type parameter of a generic overload.
    Param(u8),
}

impl fmt::Display for Type {
    /// cel-java's `CelTypes.format`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Dyn | Type::Param(_) => write!(f, "dyn"),
            Type::Error => write!(f, "*error*"),
            Type::Null => write!(f, "null_type"),
            Type::Bool => write!(f, "bool"),
            Type::Int => write!(f, "int"),
            Type::Uint => write!(f, "uint"),
            Type::Double => write!(f, "double"),
            Type::String => write!(f, "string"),
            Type::Bytes => write!(f, "bytes"),
            Type::Timestamp => write!(f, "google.protobuf.Timestamp"),
            Type::Duration => write!(f, "google.protobuf.Duration"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Map(k, v) => write!(f, "map({k}, {v})"),
            Type::Meta(t) => write!(f, "type({t})"),
            Type::Request => write!(f, "request"),
            Type::RateLimitBucket => write!(f, "RateLimitBucket(RateLimitBucket)"),
        }
    }
}

fn list(t: Type) -> Type {
    Type::List(Box::new(t))
}

fn map(k: Type, v: Type) -> Type {
    Type::Map(Box::new(k), Box::new(v))
}

/// The type of a variable the server declares (`type-obj` is `map(string, dyn)`).
fn variable_type(name: &str) -> Type {
    match name {
        "request" => Type::Request,
        "rateLimit" => map(Type::String, Type::RateLimitBucket),
        "data" | "auth" | "newData" | "linkedData" | "ruleParams" | "actions" => map(Type::String, Type::Dyn),
        _ => Type::Dyn,
    }
}

fn request_field(field: &str) -> Option<Type> {
    match field {
        "modifiedFields" => Some(list(Type::String)),
        "time" => Some(Type::Timestamp),
        "ip" | "origin" => Some(Type::String),
        _ => None,
    }
}

/// The value of a type identifier such as `int` or `string`.
pub(crate) fn type_constant(name: &str) -> Option<(&'static str, Type)> {
    Some(match name {
        "bool" => ("bool", Type::Bool),
        "int" => ("int", Type::Int),
        "uint" => ("uint", Type::Uint),
        "double" => ("double", Type::Double),
        "string" => ("string", Type::String),
        "bytes" => ("bytes", Type::Bytes),
        "list" => ("list", list(Type::Dyn)),
        "map" => ("map", map(Type::Dyn, Type::Dyn)),
        "null_type" => ("null_type", Type::Null),
        "type" => ("type", Type::Meta(Box::new(Type::Dyn))),
        _ => return None,
    })
}

struct Overload {
    member: bool,
    params: Vec<Type>,
    result: Type,
}

type Table = HashMap<&'static str, (Func, Vec<Overload>)>;

/// Every function the server's environment declares: the standard library, the `strings` and
/// `math` extensions, and Instant's own (`ref`, `getTime`, `timestamp`, `limit`). Instant's
/// `timestamp(string|int)` replaces the standard `timestamp` (it is declared in a scope that
/// shadows the standard one).
fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        use Type::{Bool, Bytes, Double, Duration, Dyn, Int, Param, RateLimitBucket, String, Timestamp, Uint};
        let a = || Param(0);
        let b = || Param(1);
        let g = |params: Vec<Type>, result: Type| Overload { member: false, params, result };
        let m = |params: Vec<Type>, result: Type| Overload { member: true, params, result };
        let mut t: Table = HashMap::new();
        let mut add = |name: &'static str, func: Func, overloads: Vec<Overload>| {
            t.insert(name, (func, overloads));
        };
        let numeric = [Int, Uint, Double];
        let ordered = [Bool, Int, Uint, Double, String, Bytes, Timestamp, Duration];
        add("!_", Func::Not, vec![g(vec![Bool], Bool)]);
        add("-_", Func::Neg, vec![g(vec![Int], Int), g(vec![Double], Double)]);
        let mut plus: Vec<Overload> = [Int, Uint, Double, String, Bytes].into_iter().map(|x| g(vec![x.clone(), x.clone()], x)).collect();
        plus.push(g(vec![list(a()), list(a())], list(a())));
        plus.push(g(vec![Timestamp, Duration], Timestamp));
        plus.push(g(vec![Duration, Timestamp], Timestamp));
        plus.push(g(vec![Duration, Duration], Duration));
        add("_+_", Func::Add, plus);
        let mut minus: Vec<Overload> = numeric.iter().map(|x| g(vec![x.clone(), x.clone()], x.clone())).collect();
        minus.push(g(vec![Timestamp, Timestamp], Duration));
        minus.push(g(vec![Timestamp, Duration], Timestamp));
        minus.push(g(vec![Duration, Duration], Duration));
        add("_-_", Func::Sub, minus);
        for (name, func) in [("_*_", Func::Mul), ("_/_", Func::Div)] {
            add(name, func, numeric.iter().map(|x| g(vec![x.clone(), x.clone()], x.clone())).collect());
        }
        add("_%_", Func::Rem, vec![g(vec![Int, Int], Int), g(vec![Uint, Uint], Uint)]);
        for (name, func) in [("_<_", Func::Lt), ("_<=_", Func::Le), ("_>_", Func::Gt), ("_>=_", Func::Ge)] {
            add(name, func, ordered.iter().map(|x| g(vec![x.clone(), x.clone()], Bool)).collect());
        }
        add("_==_", Func::Eq, vec![g(vec![a(), a()], Bool)]);
        add("_!=_", Func::Ne, vec![g(vec![a(), a()], Bool)]);
        add("@in", Func::In, vec![g(vec![a(), list(a())], Bool), g(vec![a(), map(a(), b())], Bool)]);
        add("_[_]", Func::Index, vec![g(vec![list(a()), Int], a()), g(vec![map(a(), b()), a()], b())]);
        let sized = [String, Bytes, list(a()), map(a(), b())];
        let mut size: Vec<Overload> = sized.iter().map(|x| g(vec![x.clone()], Int)).collect();
        size.extend(sized.iter().map(|x| m(vec![x.clone()], Int)));
        add("size", Func::Size, size);
        add("contains", Func::Contains, vec![m(vec![String, String], Bool)]);
        add("startsWith", Func::StartsWith, vec![m(vec![String, String], Bool)]);
        add("endsWith", Func::EndsWith, vec![m(vec![String, String], Bool)]);
        add("matches", Func::Matches, vec![g(vec![String, String], Bool), m(vec![String, String], Bool)]);
        let conversion = |from: Vec<Type>, to: Type| from.into_iter().map(|x| g(vec![x], to.clone())).collect::<Vec<_>>();
        add("int", Func::ToInt, conversion(vec![Int, Uint, Double, String, Timestamp], Int));
        add("uint", Func::ToUint, conversion(vec![Int, Uint, Double, String], Uint));
        add("double", Func::ToDouble, conversion(vec![Int, Uint, Double, String], Double));
        add("string", Func::ToString, conversion(vec![Int, Uint, Double, Bool, String, Bytes, Timestamp, Duration], String));
        add("bytes", Func::ToBytes, conversion(vec![Bytes, String], Bytes));
        add("bool", Func::ToBool, conversion(vec![Bool, String], Bool));
        add("duration", Func::ToDuration, conversion(vec![Duration, String], Duration));
        add("timestamp", Func::ToTimestamp, conversion(vec![String, Int], Timestamp));
        add("dyn", Func::Dyn, vec![g(vec![a()], Dyn)]);
        add("type", Func::TypeOf, vec![g(vec![a()], Type::Meta(Box::new(a())))]);
        let date_parts = [
            ("getFullYear", Func::GetFullYear),
            ("getMonth", Func::GetMonth),
            ("getDayOfYear", Func::GetDayOfYear),
            ("getDayOfMonth", Func::GetDayOfMonth),
            ("getDate", Func::GetDate),
            ("getDayOfWeek", Func::GetDayOfWeek),
        ];
        for (name, func) in date_parts {
            add(name, func, vec![m(vec![Timestamp], Int), m(vec![Timestamp, String], Int)]);
        }
        let time_parts = [
            ("getHours", Func::GetHours),
            ("getMinutes", Func::GetMinutes),
            ("getSeconds", Func::GetSeconds),
            ("getMilliseconds", Func::GetMilliseconds),
        ];
        for (name, func) in time_parts {
            add(name, func, vec![m(vec![Timestamp], Int), m(vec![Timestamp, String], Int), m(vec![Duration], Int)]);
        }
        add("getTime", Func::GetTime, vec![m(vec![Timestamp], Int)]);
        add("ref", Func::Ref, vec![m(vec![map(String, Dyn), String], list(Dyn))]);
        add("limit", Func::Limit, vec![m(vec![RateLimitBucket, Dyn], Bool), m(vec![RateLimitBucket, Dyn, Int], Bool)]);
        add("charAt", Func::CharAt, vec![m(vec![String, Int], String)]);
        add("indexOf", Func::IndexOf, vec![m(vec![String, String], Int), m(vec![String, String, Int], Int)]);
        add("lastIndexOf", Func::LastIndexOf, vec![m(vec![String, String], Int), m(vec![String, String, Int], Int)]);
        add("lowerAscii", Func::LowerAscii, vec![m(vec![String], String)]);
        add("upperAscii", Func::UpperAscii, vec![m(vec![String], String)]);
        add("trim", Func::Trim, vec![m(vec![String], String)]);
        add("replace", Func::Replace, vec![m(vec![String, String, String], String), m(vec![String, String, String, Int], String)]);
        add("split", Func::Split, vec![m(vec![String, String], list(String)), m(vec![String, String, Int], list(String))]);
        add("substring", Func::Substring, vec![m(vec![String, Int], String), m(vec![String, Int, Int], String)]);
        add("join", Func::Join, vec![m(vec![list(String)], String), m(vec![list(String), String], String)]);
        for (name, func) in [("math.abs", Func::Abs), ("math.sign", Func::Sign)] {
            add(name, func, numeric.iter().map(|x| g(vec![x.clone()], x.clone())).collect());
        }
        for (name, func) in
            [("math.ceil", Func::Ceil), ("math.floor", Func::Floor), ("math.round", Func::Round), ("math.trunc", Func::Trunc)]
        {
            add(name, func, vec![g(vec![Double], Double)]);
        }
        for (name, func) in [("math.isNaN", Func::IsNaN), ("math.isInf", Func::IsInf), ("math.isFinite", Func::IsFinite)] {
            add(name, func, vec![g(vec![Double], Bool)]);
        }
        // Variadic: checked by `check_extremum`.
        add("math.@max", Func::Greatest, vec![]);
        add("math.@min", Func::Least, vec![]);
        t
    })
}

/// Unifies `actual` with `expected` under the substitutions `subs` (cel-java's
/// `Types.isAssignable`, simplified to what these declarations need).
fn unify(subs: &mut Vec<Option<Type>>, actual: &Type, expected: &Type) -> bool {
    if actual == expected {
        return true;
    }
    for (param, other) in [(expected, actual), (actual, expected)] {
        if let Type::Param(p) = param {
            let p = *p as usize;
            if subs.len() <= p {
                subs.resize(p + 1, None);
            }
            return match subs[p].clone() {
                Some(bound) => {
                    if !unify(subs, other, &bound) {
                        return false;
                    }
                    subs[p] = Some(most_general(&bound, other));
                    true
                }
                None => {
                    subs[p] = Some(other.clone());
                    true
                }
            };
        }
    }
    match (actual, expected) {
        (Type::Dyn | Type::Error, _) | (_, Type::Dyn | Type::Error) => true,
        (Type::Null, t) | (t, Type::Null) => matches!(t, Type::Timestamp | Type::Duration | Type::Request | Type::RateLimitBucket),
        (Type::List(x), Type::List(y)) => unify(subs, x, y),
        (Type::Map(k1, v1), Type::Map(k2, v2)) => unify(subs, k1, k2) && unify(subs, v1, v2),
        (Type::Meta(_), Type::Meta(_)) => true,
        _ => false,
    }
}

/// The less specific of two assignable types (dyn wins).
fn most_general(a: &Type, b: &Type) -> Type {
    match (a, b) {
        (Type::Dyn | Type::Error, _) | (_, Type::Null) => a.clone(),
        (_, Type::Dyn | Type::Error) | (Type::Null, _) => b.clone(),
        (Type::List(x), Type::List(y)) => list(most_general(x, y)),
        (Type::Map(k1, v1), Type::Map(k2, v2)) => map(most_general(k1, k2), most_general(v1, v2)),
        _ => a.clone(),
    }
}

fn substitute(t: &Type, subs: &[Option<Type>]) -> Type {
    match t {
        Type::Param(p) => subs.get(*p as usize).cloned().flatten().map_or(Type::Dyn, |b| substitute(&b, subs)),
        Type::List(x) => list(substitute(x, subs)),
        Type::Map(k, v) => map(substitute(k, subs), substitute(v, subs)),
        Type::Meta(x) => Type::Meta(Box::new(substitute(x, subs))),
        other => other.clone(),
    }
}

/// The element type of a list literal: the common type, or dyn when elements differ.
fn join(acc: Option<Type>, next: Type) -> Option<Type> {
    Some(match acc {
        None => next,
        Some(prev) => {
            if unify(&mut Vec::new(), &next, &prev) {
                most_general(&prev, &next)
            } else {
                Type::Dyn
            }
        }
    })
}

fn is_numeric(t: &Type) -> bool {
    matches!(t, Type::Int | Type::Uint | Type::Double | Type::Dyn | Type::Error)
}

/// Checks `expr` in an environment declaring `declared`, returning its type or the
/// `(byte offset, message)` problems found. Rewrites the tree in place: calls learn their
/// builtin, type identifiers become type literals, `math.abs(x)`-style namespaced calls
/// become global calls.
pub(crate) fn check(expr: &mut Expr, declared: &[&str]) -> Result<Type, Vec<(usize, String)>> {
    let mut checker = Checker { declared, locals: Vec::new(), errors: Vec::new() };
    let t = checker.expr(expr);
    if checker.errors.is_empty() {
        Ok(t)
    } else {
        Err(checker.errors)
    }
}

struct Checker<'a> {
    declared: &'a [&'a str],
    /// Comprehension and bind variables in scope, innermost last.
    locals: Vec<(String, Type)>,
    errors: Vec<(usize, String)>,
}

impl Checker<'_> {
    fn error(&mut self, pos: usize, message: String) -> Type {
        self.errors.push((pos, message));
        Type::Error
    }

    fn is_variable(&self, name: &str) -> bool {
        self.locals.iter().any(|(n, _)| n == name) || self.declared.contains(&name)
    }

    fn with_local<T>(&mut self, name: &str, t: Type, f: impl FnOnce(&mut Self) -> T) -> T {
        self.locals.push((name.to_string(), t));
        let result = f(self);
        self.locals.pop();
        result
    }

    /// Checks one node. Each kind has its own function so that the frames on the recursive
    /// path stay small (see the parser).
    fn expr(&mut self, expr: &mut Expr) -> Type {
        let pos = expr.pos;
        match &mut expr.kind {
            Kind::Lit(v) => literal_type(v),
            Kind::Ident(_) => self.ident(expr),
            Kind::Select { operand, field, test } => {
                let operand_type = self.expr(operand);
                self.select(pos, operand_type, field, *test)
            }
            Kind::And(l, r) => self.logical(pos, "_&&_", l, r),
            Kind::Or(l, r) => self.logical(pos, "_||_", l, r),
            Kind::Cond(c, t, f) => self.conditional(pos, c, t, f),
            Kind::List(items) => self.list(items),
            Kind::Map(entries) => self.map(entries),
            Kind::Loop(l) => self.comprehension(l),
            Kind::Bind { var, init, body } => {
                let t = self.expr(init);
                let var = var.clone();
                self.with_local(&var, t, |c| c.expr(body))
            }
            Kind::Call(call) => self.call(pos, call),
        }
    }

    fn ident(&mut self, expr: &mut Expr) -> Type {
        let Kind::Ident(name) = &expr.kind else { unreachable!("ident() is called on identifiers") };
        if let Some((_, t)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return t.clone();
        }
        if self.declared.contains(&name.as_str()) {
            return variable_type(name);
        }
        if let Some((type_name, t)) = type_constant(name) {
            expr.kind = Kind::Lit(Value::Type(type_name));
            return Type::Meta(Box::new(t));
        }
        let message = format!("undeclared reference to '{name}' (in container '')");
        self.error(expr.pos, message)
    }

    fn select(&mut self, pos: usize, operand_type: Type, field: &str, test: bool) -> Type {
        let field_type = match operand_type {
            Type::Dyn | Type::Error | Type::Param(_) => Type::Dyn,
            Type::Map(_, v) => *v,
            Type::Request => match request_field(field) {
                Some(t) => t,
                None => return self.error(pos, format!("undefined field '{field}'")),
            },
            other => return self.error(pos, format!("type '{other}' does not support field selection")),
        };
        if test {
            Type::Bool
        } else {
            field_type
        }
    }

    fn logical(&mut self, pos: usize, name: &str, l: &mut Expr, r: &mut Expr) -> Type {
        let lt = self.expr(l);
        let rt = self.expr(r);
        if unify(&mut Vec::new(), &lt, &Type::Bool) && unify(&mut Vec::new(), &rt, &Type::Bool) {
            Type::Bool
        } else {
            self.error(pos, format!("found no matching overload for '{name}' applied to '({lt}, {rt})'"))
        }
    }

    fn conditional(&mut self, pos: usize, c: &mut Expr, t: &mut Expr, f: &mut Expr) -> Type {
        let ct = self.expr(c);
        let tt = self.expr(t);
        let ft = self.expr(f);
        let mut subs = Vec::new();
        if unify(&mut subs, &ct, &Type::Bool) && unify(&mut subs, &tt, &Type::Param(0)) && unify(&mut subs, &ft, &Type::Param(0)) {
            substitute(&Type::Param(0), &subs)
        } else {
            self.error(pos, format!("found no matching overload for '_?_:_' applied to '({ct}, {tt}, {ft})'"))
        }
    }

    fn list(&mut self, items: &mut [Expr]) -> Type {
        let mut elem = None;
        for item in items.iter_mut() {
            let t = self.expr(item);
            elem = join(elem, t);
        }
        list(elem.unwrap_or(Type::Dyn))
    }

    fn map(&mut self, entries: &mut [(Expr, Expr)]) -> Type {
        let (mut key, mut value) = (None, None);
        for (k, v) in entries.iter_mut() {
            let kt = self.expr(k);
            key = join(key, kt);
            let vt = self.expr(v);
            value = join(value, vt);
        }
        map(key.unwrap_or(Type::Dyn), value.unwrap_or(Type::Dyn))
    }

    fn comprehension(&mut self, l: &mut Loop) -> Type {
        let range = self.expr(&mut l.range);
        let var_type = match range {
            Type::List(t) => *t,
            Type::Map(k, _) => *k,
            Type::Dyn | Type::Error | Type::Param(_) => Type::Dyn,
            other => {
                let message = format!("expression of type '{other}' cannot be range of a comprehension (must be list, map, or dynamic)");
                self.error(l.range.pos, message);
                Type::Dyn
            }
        };
        let var = l.var.clone();
        let (filter, body) = self.with_local(&var, var_type.clone(), |c| {
            let filter = l.filter.as_mut().map(|f| (f.pos, c.expr(f)));
            (filter, (l.body.pos, c.expr(&mut l.body)))
        });
        // cel-java's expansion combines each predicate with the accumulator through an
        // operator; a predicate that is not a bool fails that operator's overloads.
        let predicate = match l.kind {
            LoopKind::All => Some(("_&&_", body.clone())),
            LoopKind::Exists => Some(("_||_", body.clone())),
            LoopKind::ExistsOne | LoopKind::Filter => Some(("_?_:_", body.clone())),
            LoopKind::Map => filter.map(|f| ("_?_:_", f)),
        };
        if let Some((op, (at, t))) = predicate {
            if !unify(&mut Vec::new(), &t, &Type::Bool) {
                let shown = if op == "_?_:_" { format!("({t}, int, int)") } else { format!("(bool, {t})") };
                self.error(at, format!("found no matching overload for '{op}' applied to '{shown}'"));
            }
        }
        match l.kind {
            LoopKind::All | LoopKind::Exists | LoopKind::ExistsOne => Type::Bool,
            LoopKind::Map => list(body.1),
            LoopKind::Filter => list(var_type),
        }
    }

    fn call(&mut self, pos: usize, call: &mut Call) -> Type {
        // `math.abs(x)` parses as a method call on an identifier `math`; unless `math` is a
        // variable, it names the namespaced global function.
        if let Some(Kind::Ident(ns)) = call.target.as_ref().map(|t| &t.kind) {
            let qualified = format!("{ns}.{}", call.name);
            if !self.is_variable(ns) && table().contains_key(qualified.as_str()) {
                call.name = qualified;
                call.target = None;
            }
        }
        let mut arg_types = Vec::new();
        if let Some(target) = call.target.as_mut() {
            arg_types.push(self.expr(target));
        }
        for arg in call.args.iter_mut() {
            arg_types.push(self.expr(arg));
        }
        self.resolve(pos, call, &arg_types)
    }

    /// Picks the overloads of `call` that accept `arg_types` and records the builtin.
    fn resolve(&mut self, pos: usize, call: &mut Call, arg_types: &[Type]) -> Type {
        let Some((func, overloads)) = table().get(call.name.as_str()) else {
            let message = format!("undeclared reference to '{}' (in container '')", call.name);
            return self.error(pos, message);
        };
        call.func = *func;
        if *func == Func::Matches {
            if let Some(Kind::Lit(Value::String(pattern))) = call.args.last().map(|a| &a.kind) {
                call.regex = regex_lite::Regex::new(pattern).ok().map(Arc::new);
            }
        }
        let member = call.target.is_some();
        let shown = if member {
            let rest: Vec<String> = arg_types[1..].iter().map(Type::to_string).collect();
            format!("{}.({})", arg_types[0], rest.join(", "))
        } else {
            let all: Vec<String> = arg_types.iter().map(Type::to_string).collect();
            format!("({})", all.join(", "))
        };
        if matches!(func, Func::Greatest | Func::Least) {
            return match check_extremum(arg_types) {
                Some(t) => t,
                None => self.error(pos, format!("found no matching overload for '{}' applied to '{shown}'", call.name)),
            };
        }
        let mut result: Option<Type> = None;
        for overload in overloads.iter().filter(|o| o.member == member && o.params.len() == arg_types.len()) {
            let mut subs = Vec::new();
            if arg_types.iter().zip(&overload.params).all(|(actual, expected)| unify(&mut subs, actual, expected)) {
                let t = substitute(&overload.result, &subs);
                result = Some(match result {
                    Some(prev) if prev != t => Type::Dyn,
                    _ => t,
                });
            }
        }
        match result {
            Some(t) => t,
            None => self.error(pos, format!("found no matching overload for '{}' applied to '{shown}'", call.name)),
        }
    }
}

/// `math.greatest` / `math.least`: numbers, or a single list of numbers.
fn check_extremum(args: &[Type]) -> Option<Type> {
    let elements: Vec<Type> = match args {
        [Type::List(t)] => vec![(**t).clone()],
        [Type::Dyn | Type::Error] => return Some(Type::Dyn),
        _ => args.to_vec(),
    };
    let first = elements.first()?.clone();
    if !elements.iter().all(is_numeric) {
        return None;
    }
    Some(if elements.iter().all(|t| *t == first) { first } else { Type::Dyn })
}

fn literal_type(v: &Value) -> Type {
    match v {
        Value::Null => Type::Null,
        Value::Bool(_) => Type::Bool,
        Value::Int(_) => Type::Int,
        Value::Uint(_) => Type::Uint,
        Value::Double(_) => Type::Double,
        Value::String(_) => Type::String,
        Value::Bytes(_) => Type::Bytes,
        Value::Timestamp(_) => Type::Timestamp,
        Value::Duration(_) => Type::Duration,
        Value::Type(_) => Type::Meta(Box::new(Type::Dyn)),
        Value::List(_) => list(Type::Dyn),
        Value::Map(_) => map(Type::Dyn, Type::Dyn),
    }
}
