//! The tree-walking evaluator.

use std::sync::Arc;

use super::ast::{Call, Expr, Func, Kind, Loop, LoopKind};
use super::error::EvalError;
use super::funcs;
use super::value::{Key, Map, Value};
use super::Env;

type Result<T> = std::result::Result<T, EvalError>;

/// What the server says when a rule reads a variable the request did not provide (e.g.
/// `newData` in a rule evaluated without one).
const UNKNOWN_VARIABLE: &str = "Tried to evaluate a cel program that used unknown variables";

/// Variables the server always hands to CEL as maps.
const WRAPPED_MAPS: [&str; 6] = ["auth", "data", "newData", "linkedData", "ruleParams", "actions"];

/// Evaluates one program against one environment.
pub(crate) struct Evaluator<'a> {
    pub env: &'a dyn Env,
    /// Comprehension and bind variables in scope, innermost last.
    pub locals: Vec<(&'a str, Value)>,
}

fn expected_bool(found: &Value) -> EvalError {
    EvalError::new(format!("expected boolean value, found: {found}"))
}

impl<'a> Evaluator<'a> {
    /// Evaluates `expr`. Each kind of node has its own function, so that the frames on the
    /// recursive path stay small (deeply nested rules must fit a 2 MiB thread stack even in
    /// debug builds).
    pub(crate) fn eval(&mut self, expr: &'a Expr) -> Result<Value> {
        let result = match &expr.kind {
            Kind::Lit(v) => Ok(v.clone()),
            Kind::Ident(name) => self.variable(name),
            Kind::Select { operand, field, test } => self.select(operand, field, *test),
            Kind::Call(call) => self.call(call),
            Kind::And(l, r) => self.logical(true, l, r),
            Kind::Or(l, r) => self.logical(false, l, r),
            Kind::Cond(c, t, f) => self.conditional(c, t, f),
            Kind::List(items) => self.list(items),
            Kind::Map(entries) => self.map(entries),
            Kind::Loop(l) => self.comprehension(l),
            Kind::Bind { var, init, body } => self.bind(var, init, body),
        };
        result.map_err(|e| e.at(expr.pos))
    }

    fn select(&mut self, operand: &'a Expr, field: &str, test: bool) -> Result<Value> {
        let value = self.eval(operand)?;
        select(&value, field, test)
    }

    fn conditional(&mut self, c: &'a Expr, t: &'a Expr, f: &'a Expr) -> Result<Value> {
        match self.eval(c)? {
            Value::Bool(true) => self.eval(t),
            Value::Bool(false) => self.eval(f),
            other => Err(expected_bool(&other).at(c.pos)),
        }
    }

    fn list(&mut self, items: &'a [Expr]) -> Result<Value> {
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            values.push(self.eval(item)?);
        }
        Ok(Value::List(values.into()))
    }

    fn map(&mut self, entries: &'a [(Expr, Expr)]) -> Result<Value> {
        let mut map = Map::new(false);
        for (k, v) in entries {
            let key_value = self.eval(k)?;
            let Some(key) = Key::from_value(&key_value) else {
                return Err(EvalError::new(format!("unsupported key type: {}", key_value.type_name())).at(k.pos));
            };
            let value = self.eval(v)?;
            if !map.insert(key, value) {
                return Err(EvalError::new(format!("duplicate map key [{key_value}]")).at(k.pos));
            }
        }
        Ok(Value::Map(Arc::new(map)))
    }

    fn bind(&mut self, var: &'a str, init: &'a Expr, body: &'a Expr) -> Result<Value> {
        let value = self.eval(init)?;
        self.scoped(var, value, |me| me.eval(body))
    }

    fn variable(&self, name: &str) -> Result<Value> {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| *n == name) {
            return Ok(v.clone());
        }
        match self.env.var(name) {
            // The server wraps these in its `CelMap` even when there is nothing to wrap (a
            // guest's `auth`, absent `ruleParams`), so they are maps whose every key is null.
            Some(Value::Null) if WRAPPED_MAPS.contains(&name) => Ok(Value::Map(Arc::new(Map::new(true)))),
            Some(value) => Ok(value),
            None => Err(EvalError::new(UNKNOWN_VARIABLE)),
        }
    }

    fn scoped<T>(&mut self, name: &'a str, value: Value, f: impl FnOnce(&mut Self) -> T) -> T {
        self.locals.push((name, value));
        let result = f(self);
        self.locals.pop();
        result
    }

    /// `&&` (when `and`) and `||`: the first operand that decides wins even if the other one
    /// failed (`false && error` is false); otherwise an error propagates. A non-bool operand is
    /// an error at once, as in cel-java.
    fn logical(&mut self, and: bool, l: &'a Expr, r: &'a Expr) -> Result<Value> {
        let decisive = !and;
        let left = match self.eval(l) {
            Ok(Value::Bool(b)) if b == decisive => return Ok(Value::Bool(b)),
            Ok(Value::Bool(_)) => Ok(()),
            Ok(other) => return Err(expected_bool(&other).at(l.pos)),
            Err(e) => Err(e),
        };
        match self.eval(r) {
            Ok(Value::Bool(b)) if b == decisive => Ok(Value::Bool(b)),
            Ok(Value::Bool(b)) => left.map(|()| Value::Bool(b)),
            Ok(other) => Err(expected_bool(&other).at(r.pos)),
            Err(e) => Err(left.err().unwrap_or(e)),
        }
    }

    fn call(&mut self, call: &'a Call) -> Result<Value> {
        if call.func == Func::Ref {
            return self.reference(call);
        }
        let mut args = Vec::with_capacity(call.args.len() + 1);
        if let Some(target) = &call.target {
            args.push(self.eval(target)?);
        }
        for arg in &call.args {
            args.push(self.eval(arg)?);
        }
        funcs::call(call.func, &call.name, &args, call.regex.as_deref(), self.env)
    }

    /// `x.ref(path)`: asks the environment, which knows the entity behind variable `x`. The
    /// server strips `$user.` from `auth.ref` paths before looking them up; so does this.
    fn reference(&mut self, call: &'a Call) -> Result<Value> {
        let receiver = match call.target.as_deref().map(|t| &t.kind) {
            Some(Kind::Ident(name)) if !self.locals.iter().any(|(n, _)| n == name) => name,
            _ => {
                let target = call.target.as_deref().map(|t| self.eval(t)).transpose()?;
                let args: Vec<Value> = target.into_iter().collect();
                return Err(funcs::no_overload("ref", &args));
            }
        };
        let mut values = vec![self.variable(receiver)?];
        for arg in &call.args {
            values.push(self.eval(arg)?);
        }
        let path = match values.as_slice() {
            [Value::Map(_), Value::String(path)] => path.clone(),
            _ => return Err(funcs::no_overload("ref", &values)),
        };
        let path = if receiver == "auth" { path.strip_prefix("$user.").unwrap_or(&path) } else { &path };
        Ok(Value::List(self.env.reference(receiver, path)?.into()))
    }

    fn comprehension(&mut self, l: &'a Loop) -> Result<Value> {
        let range = self.eval(&l.range)?;
        let items: Arc<[Value]> = match &range {
            Value::List(items) => items.clone(),
            Value::Map(map) => map.iter().map(|(k, _)| k.to_value()).collect(),
            other => {
                let message = format!("expected a list or a map for iteration range but got '{}'", other.type_name());
                return Err(EvalError::new(message).at(l.range.pos));
            }
        };
        match l.kind {
            LoopKind::All | LoopKind::Exists => {
                // Like `&&`/`||` folded over the items: a deciding item wins over errors.
                let decisive = l.kind == LoopKind::Exists;
                let mut error = None;
                for item in items.iter().cloned() {
                    match self.scoped(&l.var, item, |me| me.eval(&l.body)) {
                        Ok(Value::Bool(b)) if b == decisive => return Ok(Value::Bool(b)),
                        Ok(Value::Bool(_)) => {}
                        Ok(other) => return Err(expected_bool(&other).at(l.body.pos)),
                        Err(e) => {
                            error.get_or_insert(e);
                        }
                    }
                }
                error.map_or(Ok(Value::Bool(!decisive)), Err)
            }
            LoopKind::ExistsOne => {
                let mut count = 0;
                for item in items.iter().cloned() {
                    if self.predicate(l, &l.body, item)? {
                        count += 1;
                    }
                }
                Ok(Value::Bool(count == 1))
            }
            LoopKind::Filter => {
                let mut kept = Vec::new();
                for item in items.iter() {
                    if self.predicate(l, &l.body, item.clone())? {
                        kept.push(item.clone());
                    }
                }
                Ok(Value::List(kept.into()))
            }
            LoopKind::Map => {
                let mut mapped = Vec::with_capacity(items.len());
                for item in items.iter().cloned() {
                    if let Some(filter) = &l.filter {
                        if !self.predicate(l, filter, item.clone())? {
                            continue;
                        }
                    }
                    mapped.push(self.scoped(&l.var, item, |me| me.eval(&l.body))?);
                }
                Ok(Value::List(mapped.into()))
            }
        }
    }

    /// A strict boolean predicate of a comprehension.
    fn predicate(&mut self, l: &'a Loop, predicate: &'a Expr, item: Value) -> Result<bool> {
        match self.scoped(&l.var, item, |me| me.eval(predicate))? {
            Value::Bool(b) => Ok(b),
            other => Err(expected_bool(&other).at(predicate.pos)),
        }
    }
}

/// `value.field`, or `has(value.field)` when `test`.
fn select(value: &Value, field: &str, test: bool) -> Result<Value> {
    match value {
        Value::Map(map) => Ok(match (map.get_str(field), test) {
            (Some(_), true) => Value::Bool(true),
            (None, true) => Value::Bool(map.is_lenient()),
            (Some(v), false) => v.clone(),
            (None, false) if map.is_lenient() => Value::Null,
            (None, false) => return Err(EvalError::new(format!("key '{field}' is not present in map."))),
        }),
        _ => Err(EvalError::new(format!(
            "Error resolving field '{field}'. Field selections must be performed on messages or maps, found: {}",
            value.type_name()
        ))),
    }
}
