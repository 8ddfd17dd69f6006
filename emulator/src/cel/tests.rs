//! Tests for the CEL module: grammar, checker, evaluator and Instant's semantics.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{json, Value as Json};

use super::*;

/// Every variable any action declares.
const ALL: &[&str] = &["data", "auth", "ruleParams", "request", "rateLimit", "newData", "linkedData", "actions"];
const VIEW: &[&str] = &["data", "auth", "ruleParams", "request", "rateLimit"];

/// An environment from JSON variables, with canned `ref` answers that records its calls.
#[derive(Default)]
struct TestEnv {
    vars: HashMap<String, Value>,
    refs: HashMap<(String, String), Vec<Json>>,
    calls: RefCell<Vec<(String, String)>>,
}

impl TestEnv {
    fn new(vars: Json) -> TestEnv {
        let mut env = TestEnv::default();
        for (k, v) in vars.as_object().expect("object of variables") {
            env.vars.insert(k.clone(), Value::from_json(v));
        }
        env
    }

    fn with_ref(mut self, receiver: &str, path: &str, values: Json) -> TestEnv {
        let values = values.as_array().expect("array").clone();
        self.refs.insert((receiver.to_string(), path.to_string()), values);
        self
    }

    fn with_var(mut self, name: &str, value: Value) -> TestEnv {
        self.vars.insert(name.to_string(), value);
        self
    }
}

impl Env for TestEnv {
    fn var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }

    fn reference(&self, receiver: &str, path: &str) -> Result<Vec<Value>, EvalError> {
        self.calls.borrow_mut().push((receiver.to_string(), path.to_string()));
        match self.refs.get(&(receiver.to_string(), path.to_string())) {
            Some(values) => Ok(values.iter().map(Value::from_json).collect()),
            None => Err(EvalError::new(format!("no ref {receiver}.{path}"))),
        }
    }
}

fn run_in(source: &str, env: &TestEnv) -> Result<Json, String> {
    let program = compile(source, ALL).map_err(|e| format!("compile: {e}"))?;
    program.eval(env).map(|v| v.to_json()).map_err(|e| format!("eval: {}", e.message()))
}

/// Evaluates with JSON variables; errors come back as "compile: ..." or "eval: ...".
fn run(source: &str, vars: Json) -> Result<Json, String> {
    run_in(source, &TestEnv::new(vars))
}

fn eval(source: &str) -> Json {
    run(source, json!({})).unwrap_or_else(|e| panic!("{source}: {e}"))
}

fn is_true(source: &str, vars: Json) -> bool {
    match run(source, vars) {
        Ok(Json::Bool(b)) => b,
        other => panic!("{source}: not a bool: {other:?}"),
    }
}

fn eval_err(source: &str) -> String {
    match run(source, json!({})) {
        Err(e) if e.starts_with("eval: ") => e["eval: ".len()..].to_string(),
        other => panic!("{source}: expected an evaluation error, got {other:?}"),
    }
}

fn compile_err(source: &str, declared: &[&str]) -> Vec<String> {
    match compile(source, declared) {
        Err(e) => e.messages(),
        Ok(_) => panic!("{source}: compiled"),
    }
}

// ---- grammar and precedence ----

#[test]
fn literals() {
    assert_eq!(eval("42"), json!(42));
    assert_eq!(eval("0x1F"), json!(31));
    assert_eq!(eval("-9223372036854775808"), json!(i64::MIN));
    assert_eq!(eval("7u"), json!(7));
    assert_eq!(eval("0xFFu"), json!(255));
    assert_eq!(eval("1.5"), json!(1.5));
    assert_eq!(eval(".5"), json!(0.5));
    assert_eq!(eval("1e3"), json!(1000.0));
    assert_eq!(eval("2.5E-1"), json!(0.25));
    assert_eq!(eval("-1.5"), json!(-1.5));
    assert_eq!(eval("true"), json!(true));
    assert_eq!(eval("null"), json!(null));
    assert_eq!(eval("'single'"), json!("single"));
    assert_eq!(eval("\"double\""), json!("double"));
    assert_eq!(eval("'''tri\nple'''"), json!("tri\nple"));
    assert_eq!(eval("\"\"\"say \"hi\" \"\"\""), json!("say \"hi\" "));
    assert_eq!(eval(r"r'a\nb'"), json!("a\\nb"));
    assert_eq!(eval(r"R'\d+'"), json!("\\d+"));
    assert_eq!(eval(r"'a\tb\\c\'d\x41\101\u00e9\U0001F600'"), json!("a\tb\\c'dAAé😀"));
    assert_eq!(eval("size(b'abc')"), json!(3));
    assert_eq!(eval(r"b'\xff' == b'\377'"), json!(true));
    assert_eq!(eval("'héllo'"), json!("héllo"));
    assert_eq!(eval("[1, 'a', null,]"), json!([1, "a", null]));
    assert_eq!(eval("{'a': 1, 'b': [true],}"), json!({"a": 1, "b": [true]}));
    assert_eq!(eval("{1: 'x'}[1]"), json!("x"));
    assert_eq!(eval("[]"), json!([]));
    assert_eq!(eval("{}"), json!({}));
    assert_eq!(eval("// a comment\n 1 // another\n + 2"), json!(3));
}

#[test]
fn precedence() {
    assert_eq!(eval("1 + 2 * 3"), json!(7));
    assert_eq!(eval("(1 + 2) * 3"), json!(9));
    assert_eq!(eval("10 - 4 - 3"), json!(3));
    assert_eq!(eval("100 / 10 / 5"), json!(2));
    assert_eq!(eval("7 % 4 * 2"), json!(6));
    assert_eq!(eval("-2 * 3"), json!(-6));
    assert_eq!(eval("- (2 + 3)"), json!(-5));
    assert_eq!(eval("--5"), json!(5));
    assert_eq!(eval("1 + 2 == 3"), json!(true));
    assert_eq!(eval("1 < 2 == true"), json!(true));
    assert_eq!(eval("true || false && false"), json!(true));
    assert_eq!(eval("(true || false) && false"), json!(false));
    assert_eq!(eval("!true || true"), json!(true));
    assert_eq!(eval("!(true || true)"), json!(false));
    assert_eq!(eval("!!true"), json!(true));
    assert_eq!(eval("true ? 1 : 2"), json!(1));
    assert_eq!(eval("false ? 1 : true ? 2 : 3"), json!(2));
    assert_eq!(eval("1 > 2 || 3 > 2 ? 'yes' : 'no'"), json!("yes"));
    assert_eq!(eval("2 in [1, 2] && 'a' in {'a': 1}"), json!(true));
    assert_eq!(eval("[1, 2, 3][1] + {'k': [10, 20]}.k[1]"), json!(22));
    assert_eq!(eval("'abc'.size() + size('de')"), json!(5));
    assert_eq!(eval("  1\n+\t2  "), json!(3));
}

#[test]
fn long_logical_chains_are_balanced() {
    // 400 operands would exceed the depth limit as a left-leaning tree.
    let chain = vec!["false"; 400].join(" || ") + " || true";
    assert_eq!(eval(&chain), json!(true));
    let chain = vec!["true"; 400].join(" && ");
    assert_eq!(eval(&chain), json!(true));
}

#[test]
fn syntax_errors_are_reported_with_position() {
    let err = compile("1 + ", VIEW).unwrap_err();
    assert_eq!(err.issues()[0].line, 1);
    assert_eq!(err.issues()[0].column, 5);
    assert!(err.messages()[0].starts_with("mismatched input '<EOF>' expecting {'['"), "{err}");
    assert_eq!(
        err.to_string(),
        "ERROR: <input>:1:5: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', \
         NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | 1 + \n | ....^"
    );
    assert_eq!(compile_err("a b", &["a"]), vec!["extraneous input 'b' expecting <EOF>"]);
    assert_eq!(compile_err("1 + $", VIEW), vec!["token recognition error at: '$'"]);
    assert_eq!(compile_err("a | b", &["a", "b"]), vec!["token recognition error at: '| '"]);
    assert_eq!(compile_err("if", VIEW), vec!["reserved identifier: if"]);
    assert_eq!(compile_err("'unterminated", VIEW), vec!["token recognition error at: ''unterminated'"]);
    assert_eq!(compile_err(r"'\q'", VIEW), vec![r"token recognition error at: ''\q'"]);
    assert_eq!(compile_err("9223372036854775808", VIEW), vec!["invalid int literal"]);
    assert_eq!(compile_err("f(1,", VIEW)[0], "mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}");
    assert_eq!(compile_err("[1, 2", VIEW), vec!["mismatched input '<EOF>' expecting ']'"]);
    assert_eq!(compile_err("data.?x", VIEW), vec!["unsupported syntax '.?'"]);
    let err = compile("data.a &&\n  data.b ==", VIEW).unwrap_err();
    assert_eq!((err.issues()[0].line, err.issues()[0].column), (2, 12));
    assert!(err.to_string().ends_with("\n |   data.b ==\n | ...........^"), "{err}");
}

#[test]
fn macro_argument_errors() {
    assert_eq!(compile_err("[1].all(1, true)", VIEW), vec!["The argument must be a simple name"]);
    assert_eq!(
        compile_err("[1].exists(__result__, true)", VIEW),
        vec!["The iteration variable __result__ overwrites accumulator variable"]
    );
    assert_eq!(compile_err("has(data)", VIEW), vec!["invalid argument to has() macro"]);
    assert_eq!(compile_err("cel.bind(1, 2, 3)", VIEW), vec!["cel.bind() variable names must be simple identifiers"]);
}

// ---- names and types ----

#[test]
fn undeclared_idents() {
    assert_eq!(compile_err("foo", VIEW), vec!["undeclared reference to 'foo' (in container '')"]);
    assert_eq!(compile_err("newData.isFavorite", VIEW), vec!["undeclared reference to 'newData' (in container '')"]);
    assert!(compile("newData.isFavorite", ALL).is_ok());
    assert_eq!(compile_err("foo(1)", VIEW), vec!["undeclared reference to 'foo' (in container '')"]);
    assert_eq!(compile_err("data.x.frobnicate()", VIEW), vec!["undeclared reference to 'frobnicate' (in container '')"]);
    // Comprehension and bind variables are declared inside their scope only.
    assert!(compile("[1].all(x, x > 0)", VIEW).is_ok());
    assert_eq!(compile_err("[1].all(x, x > 0) && x", VIEW), vec!["undeclared reference to 'x' (in container '')"]);
    assert!(compile("cel.bind(y, 1, y + 1)", VIEW).is_ok());
    assert_eq!(compile_err("cel.bind(y, y, 1)", VIEW), vec!["undeclared reference to 'y' (in container '')"]);
    // Several problems are all reported.
    assert_eq!(compile_err("a || b", VIEW).len(), 2);
}

#[test]
fn type_errors_match_the_server() {
    assert_eq!(compile_err("request.hello", ALL), vec!["undefined field 'hello'"]);
    assert_eq!(
        compile_err("request.modifiedFields == 1", ALL),
        vec!["found no matching overload for '_==_' applied to '(list(string), int)'"]
    );
    assert_eq!(
        compile_err("request.modifiedFields != 1", ALL),
        vec!["found no matching overload for '_!=_' applied to '(list(string), int)'"]
    );
    assert_eq!(
        compile_err("1 in request.modifiedFields", ALL),
        vec!["found no matching overload for '@in' applied to '(int, list(string))'"]
    );
    assert!(compile("\"likes\" in request.modifiedFields", ALL).is_ok());
    assert_eq!(compile_err("1 == 'a'", VIEW), vec!["found no matching overload for '_==_' applied to '(int, string)'"]);
    assert_eq!(compile_err("1 < 1.5", VIEW), vec!["found no matching overload for '_<_' applied to '(int, double)'"]);
    assert_eq!(compile_err("'a' + 1", VIEW), vec!["found no matching overload for '_+_' applied to '(string, int)'"]);
    assert_eq!(compile_err("size(1)", VIEW), vec!["found no matching overload for 'size' applied to '(int)'"]);
    assert_eq!(compile_err("'a'.startsWith(1)", VIEW), vec!["found no matching overload for 'startsWith' applied to 'string.(int)'"]);
    assert_eq!(compile_err("1 ? 2 : 3", VIEW), vec!["found no matching overload for '_?_:_' applied to '(int, int, int)'"]);
    assert_eq!(compile_err("true && 1", VIEW), vec!["found no matching overload for '_&&_' applied to '(bool, int)'"]);
    assert_eq!(compile_err("[1].all(x, x)", VIEW), vec!["found no matching overload for '_&&_' applied to '(bool, int)'"]);
    assert_eq!(
        compile_err("1.all(x, true)", VIEW)[0],
        "expression of type 'int' cannot be range of a comprehension (must be list, map, or dynamic)"
    );
    assert_eq!(compile_err("'abc'.ref('x')", VIEW), vec!["found no matching overload for 'ref' applied to 'string.(string)'"]);
    assert_eq!(compile_err("1.x", VIEW), vec!["type 'int' does not support field selection"]);
    assert_eq!(compile_err("'a' == null", VIEW), vec!["found no matching overload for '_==_' applied to '(string, null_type)'"]);
    // Anything read from a map variable is dyn, so these wait for runtime.
    assert!(compile("data.count < 1.5 && data.name == 1 && data.x + 1 > 0", VIEW).is_ok());
    assert!(compile("request.time == null && request.ip == '1.2.3.4'", VIEW).is_ok());
    assert!(compile("type(data.x) == string && type(1) == int", VIEW).is_ok());
    assert!(compile("rateLimit.posts.limit(auth.id)", VIEW).is_ok());
}

// ---- Instant's map semantics ----

#[test]
fn missing_keys_read_as_null() {
    let guest = json!({"auth": {}, "data": {"a": null, "nested": {"x": 1}}});
    assert!(!is_true("auth.id != null", guest.clone()));
    assert!(is_true("auth.id == null", guest.clone()));
    assert!(is_true("data.missing == null", guest.clone()));
    assert!(is_true("data.nested.missing == null", guest.clone()));
    assert!(is_true("data['missing'] == null", guest.clone()));
    assert!(is_true("data.nested.x == 1", guest.clone()));
    // Selecting through a null is an error.
    assert!(run("data.a.b", guest.clone()).unwrap_err().contains("Field selections must be performed on messages or maps"));
    assert!(run("data.missing.b == null", guest.clone()).is_err());
    // The server's maps claim every key.
    assert!(is_true("has(data.missing) && has(auth.id) && has(data.nested.nope)", guest.clone()));
    assert!(is_true("'nope' in data", guest.clone()));
    // Map literals are strict.
    assert!(is_true("has({'a': 1}.a) && !has({'a': 1}.b) && !('b' in {'a': 1})", json!({})));
    assert_eq!(eval_err("{'a': 1}.b"), "key 'b' is not present in map.");
    assert_eq!(eval_err("{'a': 1}['b']"), "key 'b' is not present in map.");
}

#[test]
fn null_variable_maps_read_as_empty_maps() {
    let vars = json!({"auth": null, "ruleParams": null, "data": {"x": null}});
    assert!(is_true("auth.id == null && dyn(auth) != null && ruleParams.k == null", vars.clone()));
    // Only the server's map variables: a null field is still null.
    assert!(run("data.x.y", vars).is_err());
}

#[test]
fn unknown_variables_error_at_runtime() {
    // Declared but not supplied (the server: newData absent).
    let err = run("newData.x == 1", json!({})).unwrap_err();
    assert_eq!(err, "eval: Tried to evaluate a cel program that used unknown variables");
}

// ---- operators ----

#[test]
fn logical_operators_absorb_errors() {
    assert_eq!(eval("false && 1 / 0 == 1"), json!(false));
    assert_eq!(eval("1 / 0 == 1 && false"), json!(false));
    assert_eq!(eval("true || 1 / 0 == 1"), json!(true));
    assert_eq!(eval("1 / 0 == 1 || true"), json!(true));
    assert_eq!(eval_err("true && 1 / 0 == 1"), "/ by zero");
    assert_eq!(eval_err("1 / 0 == 1 && true"), "/ by zero");
    assert_eq!(eval_err("false || 1 / 0 == 1"), "/ by zero");
    // The first error wins when both sides fail.
    assert_eq!(eval_err("1 / 0 == 1 || {'a': true}.b"), "/ by zero");
    // A non-bool operand is an error, even next to a deciding one (cel-java).
    let vars = json!({"data": {"s": "x"}});
    assert!(run("data.s && false", vars.clone()).unwrap_err().contains("expected boolean value, found: \"x\""));
    assert_eq!(run("false && data.s", vars.clone()), Ok(json!(false)));
    assert!(run("true && data.s", vars.clone()).unwrap_err().contains("expected boolean value"));
    assert!(run("data.s ? 1 : 2", vars).unwrap_err().contains("expected boolean value"));
    assert_eq!(eval("false ? 1 / 0 : 2"), json!(2));
}

#[test]
fn numbers() {
    let vars = json!({"data": {"i": 1, "d": 1.0, "half": 1.5, "big": 18446744073709551615u64}});
    assert!(is_true("data.i == data.d", vars.clone()));
    assert!(is_true("data.i == 1.0 && 1u == data.i && data.d == 1", vars.clone()));
    assert!(is_true("data.i != data.half", vars.clone()));
    assert!(is_true("data.d < data.half && data.i < 2", vars.clone()));
    assert!(is_true("data.big > 1.0", vars.clone()));
    assert!(is_true("1.0 in [data.i] && data.i in [1.0] && [data.i] == [1.0]", vars.clone()));
    assert!(is_true("{1: 'a'}[dyn(1.0)] == 'a' && {1u: 'a'}[dyn(1)] == 'a'", vars.clone()));
    // Ordering across int and double is not an overload on the server.
    let err = run("data.i < data.half", vars.clone()).unwrap_err();
    assert!(err.contains("No matching overload for function '_<_'"), "{err}");
    assert!(run("data.i < 'a'", vars.clone()).unwrap_err().contains("No matching overload"));
    // Cross-type equality is just false.
    assert!(is_true("data.i != 'a' && data.i != null && dyn([1]) != {'a': 1}", vars));
    assert_eq!(eval("7 / 2"), json!(3));
    assert_eq!(eval("-7 / 2"), json!(-3));
    assert_eq!(eval("-7 % 3"), json!(-1));
    assert_eq!(eval("7.0 / 2.0"), json!(3.5));
    assert_eq!(eval("5u - 2u"), json!(3));
    assert_eq!(eval_err("1 / 0"), "/ by zero");
    assert_eq!(eval_err("1 % 0"), "/ by zero");
    assert_eq!(eval_err("9223372036854775807 + 1"), "long overflow");
    assert_eq!(eval_err("-9223372036854775808 - 1"), "long overflow");
    assert_eq!(eval_err("9223372036854775807 * 2"), "long overflow");
    assert_eq!(eval_err("-9223372036854775808 / -1"), "long overflow");
    assert_eq!(eval_err("-(-9223372036854775808)"), "long overflow");
    assert_eq!(eval_err("1u - 2u"), "unsigned subtraction underflow");
    assert_eq!(eval("1.0 / 0.0 > 1e308"), json!(true));
}

#[test]
fn strings_lists_maps() {
    assert_eq!(eval("'ab' + 'cd'"), json!("abcd"));
    assert_eq!(eval("[1] + [2, 3]"), json!([1, 2, 3]));
    assert_eq!(eval("'b' < 'c' && 'B' < 'b'"), json!(true));
    assert_eq!(eval("size({'a': 1, 'b': 2}) + {'a': 1}.size() + [1, 2, 3].size()"), json!(6));
    assert_eq!(eval("size('héllo')"), json!(5));
    assert_eq!(eval_err("[1, 2][2]"), "Index out of bounds: 2");
    assert_eq!(eval_err("{'a': 1, 'a': 2}"), "duplicate map key [\"a\"]");
    assert_eq!(eval("{'k': dyn(1)} == {'k': 1.0} && {'a': 1} != {'b': 1}"), json!(true));
    let vars = json!({"data": {"tags": ["a", "b"], "meta": {"k": "v"}}});
    assert!(is_true("'a' in data.tags && !('c' in data.tags) && data.tags[1] == 'b'", vars.clone()));
    assert!(is_true("data.meta == {'k': 'v'}", vars));
}

// ---- macros ----

#[test]
fn comprehension_macros() {
    assert_eq!(eval("[1, 2, 3].all(x, x > 0)"), json!(true));
    assert_eq!(eval("[1, 2, 3].all(x, x > 1)"), json!(false));
    assert_eq!(eval("[].all(x, x > 1)"), json!(true));
    assert_eq!(eval("[1, 2, 3].exists(x, x > 2)"), json!(true));
    assert_eq!(eval("[].exists(x, true)"), json!(false));
    assert_eq!(eval("[1, 2, 3].exists_one(x, x > 2)"), json!(true));
    assert_eq!(eval("[1, 2, 3].exists_one(x, x > 1)"), json!(false));
    assert_eq!(eval("[1, 2, 3].map(x, x * 2)"), json!([2, 4, 6]));
    assert_eq!(eval("[1, 2, 3, 4].map(x, x % 2 == 0, x * 10)"), json!([20, 40]));
    assert_eq!(eval("[1, 2, 3, 4].filter(x, x % 2 == 0)"), json!([2, 4]));
    assert_eq!(eval("{'a': 1, 'b': 2}.map(k, k + '!')"), json!(["a!", "b!"]));
    assert_eq!(eval("{'a': 1, 'b': 2}.filter(k, k == 'b')"), json!(["b"]));
    assert_eq!(eval("{'a': 1, 'b': 2}.all(k, k in ['a', 'b'])"), json!(true));
    assert_eq!(eval("[[1, 2], [3]].map(l, l.map(x, x + 1))"), json!([[2, 3], [4]]));
    assert_eq!(eval("[1, 2].exists(x, [3, 4].exists(y, x + y == 6))"), json!(true));
    // Shadowing: the inner variable wins inside, the outer one is back afterwards.
    assert_eq!(eval("[1].map(x, [10].map(x, x)[0] + x)"), json!([11]));
    // all/exists absorb errors like && and ||.
    assert_eq!(eval("[0, 1].exists(x, 1 / x == 1)"), json!(true));
    assert_eq!(eval("[0, 1].all(x, 1 / x == 5)"), json!(false));
    assert_eq!(eval_err("[0, 1].all(x, 1 / x == 1)"), "/ by zero");
    assert_eq!(eval_err("[0, 1].exists_one(x, 1 / x == 1)"), "/ by zero");
    assert!(run("data.x.all(y, true)", json!({"data": {"x": 1}})).unwrap_err().contains("expected a list or a map for iteration range"));
    assert!(run("data.xs.all(y, y)", json!({"data": {"xs": [1]}})).unwrap_err().contains("expected boolean value, found: 1"));
    assert!(is_true("request.modifiedFields.all(f, f in ['title', 'done'])", json!({"request": {"modifiedFields": ["done"]}})));
    assert!(!is_true("request.modifiedFields.all(f, f in ['title', 'done'])", json!({"request": {"modifiedFields": ["done", "owner"]}})));
}

#[test]
fn has_macro() {
    assert_eq!(eval("has({'name': 'Alice'}.name)"), json!(true));
    assert_eq!(eval("has({'name': 'Alice'}.age)"), json!(false));
    assert!(is_true("has(data.anything)", json!({"data": {}})));
    assert!(run("has(data.a.b)", json!({"data": {"a": 1}})).unwrap_err().contains("Field selections"));
}

#[test]
fn bind_macro() {
    assert_eq!(eval("cel.bind(x, 2, x * x)"), json!(4));
    assert_eq!(eval("cel.bind(a, 1, cel.bind(b, a + 1, a + b))"), json!(3));
    assert_eq!(eval("cel.bind(x, 1, cel.bind(x, x + 10, x))"), json!(11));
    assert_eq!(eval("cel.bind(xs, [1, 2], xs.map(x, x + size(xs)))"), json!([3, 4]));
    // The way the server wraps binds around a rule: outer binds may be used by inner ones.
    let rule = "isOwner || newData.public";
    let wrapped = format!("cel.bind(isOwner, auth.id == data.creatorId, {rule})");
    let wrapped = format!("cel.bind(unused, auth.id, {wrapped})");
    let vars = json!({"auth": {"id": "u1"}, "data": {"creatorId": "u1"}, "newData": {"public": false}});
    assert!(is_true(&wrapped, vars));
    let vars = json!({"auth": {"id": "u2"}, "data": {"creatorId": "u1"}, "newData": {"public": true}});
    assert!(is_true(&wrapped, vars));
    // A bind's init is evaluated eagerly, like the comprehension it expands to.
    assert_eq!(eval_err("cel.bind(x, 1 / 0, true)"), "/ by zero");
}

#[test]
fn math_extension() {
    assert_eq!(eval("math.greatest(1, 5, 3)"), json!(5));
    assert_eq!(eval("math.least([4, 2, 8])"), json!(2));
    assert_eq!(eval("math.greatest(1, 2.5)"), json!(2.5));
    assert_eq!(eval("math.abs(-3) + math.abs(2)"), json!(5));
    assert_eq!(eval("math.ceil(1.2) + math.floor(1.8) + math.round(2.5) + math.trunc(-1.7)"), json!(5.0));
    assert_eq!(eval("math.sign(-4)"), json!(-1));
    assert_eq!(eval("math.isNaN(0.0 / 0.0) && math.isInf(1.0 / 0.0) && math.isFinite(1.0)"), json!(true));
    assert_eq!(compile_err("math.greatest()", VIEW), vec!["math.greatest() requires at least one argument"]);
    assert_eq!(compile_err("math.greatest('a')", VIEW), vec!["found no matching overload for 'math.@max' applied to '(string)'"]);
    assert_eq!(eval_err("math.abs(-9223372036854775808)"), "long overflow");
}

// ---- functions ----

#[test]
fn string_functions() {
    assert_eq!(eval("'hello'.contains('ell') && 'hello'.startsWith('he') && 'hello'.endsWith('lo')"), json!(true));
    assert_eq!(eval("'abc123'.matches('^[a-z]+\\\\d+$')"), json!(true));
    assert_eq!(eval("matches('abc', 'b')"), json!(true));
    assert_eq!(eval("'user@example.com'.matches(r'@example\\.com$')"), json!(true));
    assert!(eval_err("'a'.matches('(')").starts_with("invalid regular expression '('"));
    assert!(is_true("data.p.matches(data.re)", json!({"data": {"p": "x1", "re": "x[0-9]"}})));
    assert_eq!(eval("'MiXeD'.lowerAscii() + 'MiXeD'.upperAscii()"), json!("mixedMIXED"));
    assert_eq!(eval("'  pad \\n'.trim()"), json!("pad"));
    assert_eq!(eval("'a,b,,c'.split(',')"), json!(["a", "b", "", "c"]));
    assert_eq!(eval("'a,b,c'.split(',', 2)"), json!(["a", "b,c"]));
    assert_eq!(eval("'abc'.split('')"), json!(["a", "b", "c"]));
    assert_eq!(eval("['a', 'b'].join() + ['a', 'b'].join('-')"), json!("aba-b"));
    assert_eq!(eval("'hello hello'.replace('l', 'L')"), json!("heLLo heLLo"));
    assert_eq!(eval("'hello hello'.replace('l', 'L', 1)"), json!("heLlo hello"));
    assert_eq!(eval("'abc'.replace('', '-')"), json!("-a-b-c-"));
    assert_eq!(eval("'hello'.indexOf('l') + 'hello'.lastIndexOf('l') + 'hello'.indexOf('z')"), json!(4));
    assert_eq!(eval("'hello'.indexOf('l', 3) + 'hello'.lastIndexOf('l', 2)"), json!(5));
    assert_eq!(eval("'héllo'.indexOf('l')"), json!(2));
    assert_eq!(eval("'hello'.substring(1) + '|' + 'hello'.substring(1, 3)"), json!("ello|el"));
    assert_eq!(eval("'héllo'.charAt(1) + 'abc'.charAt(3)"), json!("é"));
    assert_eq!(eval_err("'abc'.charAt(4)"), "charAt failure: Index out of range: 4");
    assert_eq!(eval_err("'abc'.substring(2, 1)"), "substring failure: Range [2, 1) out of bounds");
    assert_eq!(eval_err("'abc'.indexOf('a', 5)"), "indexOf failure: Offset out of range: 5");
    assert!(run("data.x.startsWith('a')", json!({"data": {"x": null}}))
        .unwrap_err()
        .contains("No matching overload for function 'startsWith'"));
}

#[test]
fn conversions_and_types() {
    assert_eq!(eval("int('42') + int(2.9) + int(3u)"), json!(47));
    assert_eq!(eval("uint(5) + uint('6')"), json!(11));
    assert_eq!(eval("double(1) + double('0.5')"), json!(1.5));
    assert_eq!(eval("string(1) + string(1.5) + string(true) + string(2u) + string(1.0)"), json!("11.5true21.0"));
    assert_eq!(eval("bool('true') && !bool('false')"), json!(true));
    assert_eq!(eval("string(bytes('hé'))"), json!("hé"));
    assert_eq!(eval("dyn(1) == 1"), json!(true));
    assert_eq!(eval("type(1) == int && type('a') == string && type(null) == null_type && type([]) == list"), json!(true));
    assert_eq!(eval("type({}) == map && type(1.0) == double && type(true) == bool && type(type(1)) == type"), json!(true));
    assert_eq!(eval("type(1) != string"), json!(true));
    assert!(is_true("type(data.id) == string", json!({"data": {"id": "x"}})));
    assert_eq!(eval_err("int('x')"), "For input string: \"x\"");
    assert_eq!(eval_err("int(1e100)"), "double is out of range for int");
    assert_eq!(eval_err("uint(-1)"), "int out of uint range");
}

// ---- timestamps and durations ----

fn at_millis(ms: i64) -> Value {
    Value::Timestamp(Timestamp::from_millis(ms).expect("in range"))
}

#[test]
fn timestamps() {
    // 2026-02-06T22:36:52.157Z
    let now = 1_770_417_412_157;
    let env =
        |data: Json| TestEnv::new(json!({"data": data})).with_var("request", Value::map_of([("time".to_string(), at_millis(now))], true));
    let yes = |src: &str, data: Json| run_in(src, &env(data)) == Ok(json!(true));
    assert!(yes("request.time > timestamp(data.created)", json!({"created": 0})));
    assert!(yes("request.time > timestamp(data.created)", json!({"created": "2026-02-06T22:36:52.156999Z"})));
    assert!(yes("request.time == timestamp(data.created)", json!({"created": "2026-02-06T22:36:52.157Z"})));
    assert!(yes("request.time < timestamp(data.created)", json!({"created": "2026-02-06T22:36:52.157181Z"})));
    assert!(yes("request.time == timestamp(data.created)", json!({"created": now})));
    assert!(yes("request.time.getTime() == data.ms", json!({"ms": now})));
    assert!(yes("timestamp(data.d) == timestamp('2025-01-01T00:00:00Z')", json!({"d": "2025-01-01"})));
    assert!(yes("request.time - duration('1h') < request.time", json!({})));
    assert!(yes("request.time - timestamp(data.d) == duration('1h30m')", json!({"d": now - 5_400_000})));
    assert!(yes("math.abs((request.time - timestamp(data.updatedAt)).getMinutes()) <= 1", json!({"updatedAt": now - 30_000})));
    assert!(!yes("math.abs((request.time - timestamp(data.updatedAt)).getMinutes()) <= 1", json!({"updatedAt": now - 300_000})));
    assert!(yes("request.time.getFullYear() == 2026 && request.time.getMonth() == 1 && request.time.getDate() == 6", json!({})));
    assert!(yes("request.time.getDayOfMonth() == 5 && request.time.getDayOfWeek() == 5 && request.time.getDayOfYear() == 36", json!({})));
    assert!(yes("request.time.getHours() == 22 && request.time.getMinutes() == 36 && request.time.getSeconds() == 52", json!({})));
    assert!(yes("request.time.getMilliseconds() == 157 && request.time.getHours('+02:00') == 0", json!({})));
    assert!(yes("request.time.getDate('-23:00') == 5 && request.time.getHours('UTC') == 22", json!({})));
    assert_eq!(eval("string(timestamp('2025-01-02T03:04:05.5+01:00'))"), json!("2025-01-02T02:04:05.500Z"));
    assert_eq!(eval("timestamp(86400000)"), json!("1970-01-02T00:00:00Z"));
    assert_eq!(eval("int(timestamp(86400000))"), json!(86400));
    assert_eq!(eval("duration('1h30m') + duration('-30m')"), json!("3600s"));
    assert_eq!(eval("duration('1.5s').getMilliseconds() + duration('2h').getHours()"), json!(502));
    assert_eq!(eval("string(duration('100ms'))"), json!("0.100s"));
    assert_eq!(eval("timestamp('2025-01-01') + duration('24h') == timestamp('2025-01-02')"), json!(true));
    assert_eq!(eval("timestamp('1/2/2025') == timestamp('2025-01-02')"), json!(true));
    assert_eq!(eval("timestamp('Sat, 05 Apr 2025 18:00:31 GMT') == timestamp('2025-04-05T18:00:31Z')"), json!(true));
    assert_eq!(eval("timestamp('8/4/2025, 11:02:31 PM') == timestamp('2025-08-04 23:02:31')"), json!(true));
    assert_eq!(eval("timestamp('\"2025-01-15 20:53:08\"') == timestamp('2025-01-15T20:53:08Z')"), json!(true));
    assert_eq!(eval_err("timestamp('soon')"), "Function '_timestamp_from_string' failed with arg(s) 'soon'");
    assert_eq!(eval_err("timestamp('2025-02-30')"), "Function '_timestamp_from_string' failed with arg(s) '2025-02-30'");
    assert_eq!(eval_err("timestamp(dyn(1.5))"), "No matching overload for function 'timestamp'. Argument types: (double)");
    assert_eq!(eval_err("timestamp('9999-12-31T23:59:59Z') + duration('1s')"), "timestamp out of range");
    assert_eq!(eval_err("duration('1x')"), "invalid duration format: 1x");
    assert!(eval_err("timestamp('2025-01-01').getHours('America/New_York')").contains("unsupported time zone"));
    assert_eq!(
        compile_err("timestamp(timestamp(1))", VIEW),
        vec!["found no matching overload for 'timestamp' applied to '(google.protobuf.Timestamp)'"]
    );
}

#[test]
fn custom_date_parser_is_used() {
    struct Fixed;
    impl Env for Fixed {
        fn var(&self, _: &str) -> Option<Value> {
            None
        }
        fn reference(&self, _: &str, _: &str) -> Result<Vec<Value>, EvalError> {
            Ok(vec![])
        }
        fn parse_date(&self, text: &str) -> Option<Timestamp> {
            (text == "now").then(|| Timestamp::from_millis(5).expect("in range"))
        }
    }
    let program = compile("timestamp('now').getTime()", VIEW).unwrap();
    assert_eq!(program.eval(&Fixed).unwrap().to_json(), json!(5));
}

// ---- ref ----

#[test]
fn ref_is_delegated_to_the_environment() {
    let env = TestEnv::new(json!({"auth": {"id": "u1", "email": "a@b.c"}, "data": {"id": "d1"}}))
        .with_ref("data", "owner.id", json!(["u1"]))
        .with_ref("data", "members.email", json!(["x@y.z", "a@b.c"]))
        .with_ref("auth", "role.type", json!(["admin"]));
    assert_eq!(run_in("auth.id in data.ref('owner.id')", &env), Ok(json!(true)));
    assert_eq!(run_in("auth.id != null && auth.email in data.ref('members.email')", &env), Ok(json!(true)));
    assert_eq!(run_in("'admin' in auth.ref('$user.role.type')", &env), Ok(json!(true)));
    assert_eq!(run_in("size(data.ref('owner.id')) == 1 && data.ref('owner.id')[0] == auth.id", &env), Ok(json!(true)));
    assert_eq!(run_in("data.ref('nope.id')", &env), Err("eval: no ref data.nope.id".to_string()));
    // Non-literal paths are evaluated and still delegated.
    assert_eq!(run_in("data.ref('owner' + '.id') == ['u1']", &env), Ok(json!(true)));
    assert_eq!(
        env.calls.borrow().as_slice()[..3],
        [("data".into(), "owner.id".into()), ("data".into(), "members.email".into()), ("auth".into(), "role.type".into())]
    );
    // The receiver must be the variable itself.
    assert!(run_in("data.x.ref('owner.id')", &env).unwrap_err().contains("No matching overload for function 'ref'"));
    assert!(run_in("[data].all(d, d.ref('owner.id') == [])", &env).unwrap_err().contains("No matching overload for function 'ref'"));
}

#[test]
fn ref_uses_and_auth_ref_validation() {
    let program = compile(
        "auth.id in data.ref('owner.id') || [1].exists(x, 'admin' in auth.ref('$user.role.type')) || auth.id in data.ref('owner.id') \
         || linkedData.ref(\"a.b\") == [] || data.ref('x' + 'y') == []",
        ALL,
    )
    .unwrap();
    let expected: Vec<(String, String)> =
        vec![("data".into(), "owner.id".into()), ("auth".into(), "role.type".into()), ("linkedData".into(), "a.b".into())];
    assert_eq!(program.ref_uses(), expected);
    assert_eq!(compile_err("'admin' in auth.ref('role.type')", VIEW), vec!["auth.ref arg must start with `$user.`"]);
    assert_eq!(compile_err("'admin' in auth.ref('$user' + '.role')", VIEW), vec!["auth.ref arg must start with `$user.`"]);
    let err = compile("auth.ref('x') == []", VIEW).unwrap_err();
    assert_eq!((err.issues()[0].line, err.issues()[0].column), (1, 10));
}

#[test]
fn idents_for_binds() {
    let found = idents("isOwner || data.public && [1].all(x, x > 0) && has(auth.id) && math.abs(1) > 0").unwrap();
    let expected: Vec<&str> = vec!["auth", "data", "isOwner", "math", "x"];
    assert_eq!(found.iter().map(String::as_str).collect::<Vec<_>>(), expected);
    assert!(idents("a +").is_err());
    let program = compile("cel.bind(isOwner, auth.id == data.creatorId, isOwner || newData.public)", ALL).unwrap();
    assert_eq!(program.idents().into_iter().collect::<Vec<_>>(), vec!["auth", "data", "isOwner", "newData"]);
    assert_eq!(program.source(), "cel.bind(isOwner, auth.id == data.creatorId, isOwner || newData.public)");
}

// ---- rules from Instant's permissions docs ----

#[test]
fn documented_rules() {
    let owner = TestEnv::new(json!({
        "auth": {"id": "u1", "email": "joe@instantdb.com"},
        "data": {"id": "d1", "creatorId": "u1", "visibility": "private", "secret": "s3"},
        "newData": {"public": false, "likes": 3, "title": "short"},
        "ruleParams": {"secret": "s3", "knownDocId": "d1", "knownDocIds": ["d0", "d1"]},
        "request": {"modifiedFields": ["likes"], "ip": "", "origin": ""},
    }))
    .with_ref("data", "owner.id", json!(["u1"]))
    .with_ref("data", "creator.id", json!(["u1"]))
    .with_ref("data", "users.email", json!(["joe@instantdb.com"]))
    .with_ref("data", "members.email", json!(["joe@instantdb.com"]))
    .with_ref("data", "docLinks.secret", json!(["s3"]))
    .with_ref("auth", "role.type", json!(["member"]));
    let guest = TestEnv::new(json!({"auth": {}, "data": {"id": "d1", "visibility": "public"}, "ruleParams": {}}))
        .with_ref("data", "owner.id", json!(["u1"]))
        .with_ref("auth", "role.type", json!([]));
    let rules_for_owner = [
        "auth.id in data.ref('owner.id')",
        "auth.id != null && auth.email in data.ref('members.email')",
        "cel.bind(isOwner, auth.id == data.creatorId, isOwner || newData.public)",
        "request.modifiedFields.all(f, f in ['title', 'done', 'likes'])",
        "data.visibility == 'public' || ruleParams.secret == data.secret",
        "auth.id in data.ref('creator.id')",
        "'joe@instantdb.com' in data.ref('users.email')",
        "data.id == ruleParams.knownDocId",
        "data.id in ruleParams.knownDocIds",
        "ruleParams.secret in data.ref('docLinks.secret')",
        "!('featured' in request.modifiedFields)",
        "!('likes' in request.modifiedFields) || newData.likes >= 0",
        "!('title' in request.modifiedFields) || size(newData.title) <= 100",
        "auth.id == data.id || auth.id == data.creatorId || (data.linkedPrimaryUser != null && auth.id == data.linkedPrimaryUser)",
    ];
    for rule in rules_for_owner {
        assert_eq!(run_in(rule, &owner), Ok(json!(true)), "{rule}");
    }
    assert_eq!(run_in("'admin' in auth.ref('$user.role.type')", &owner), Ok(json!(false)));
    let rules_for_guest = [
        ("auth.id in data.ref('owner.id')", false),
        ("auth.id != null", false),
        ("data.visibility == 'public' || ruleParams.secret == data.secret", true),
        ("data.id == ruleParams.knownDocId", false),
        ("'admin' in auth.ref('$user.role.type')", false),
        ("true", true),
        ("false", false),
    ];
    for (rule, expected) in rules_for_guest {
        assert_eq!(run_in(rule, &guest), Ok(json!(expected)), "{rule}");
    }
}

#[test]
fn server_tests() {
    // From the server's cel_test.clj.
    assert!(is_true("data.isFavorite == false", json!({"data": {"isFavorite": false}})));
    assert_eq!(run("data.isFavorite", json!({"data": {"isFavorite": false}})), Ok(json!(false)));
    assert_eq!(run("!data.isFavorite", json!({"data": {"isFavorite": false}})), Ok(json!(true)));
    assert!(compile("request.modifiedFields.all(f, f in ['likes'])", ALL).is_ok());
    assert_eq!(eval("[1, 2, 3].map(x, x * 2)"), json!([2, 4, 6]));
}

// ---- robustness ----

#[test]
fn depth_is_capped() {
    let deep = "(".repeat(300) + "1" + &")".repeat(300);
    assert_eq!(compile_err(&deep, VIEW), vec!["Expression recursion limit exceeded. limit: 250"]);
    let deep = "(".repeat(100_000);
    assert_eq!(compile_err(&deep, VIEW), vec!["Expression recursion limit exceeded. limit: 250"]);
    let deep = "[".repeat(5_000) + &"]".repeat(5_000);
    assert!(compile(&deep, VIEW).is_err());
    let chain = "data".to_string() + &".a".repeat(1_000);
    assert_eq!(compile_err(&chain, VIEW), vec!["Expression recursion limit exceeded. limit: 250"]);
    let sum = vec!["1"; 1_000].join(" + ");
    assert!(compile(&sum, VIEW).is_err());
    let nots = "!".repeat(100_001) + "true";
    assert!(compile(&nots, VIEW).is_err(), "over the size limit");
    let nots = "!".repeat(10_001) + "true";
    assert_eq!(eval(&nots), json!(false));
    // Just under the limit compiles and evaluates.
    let nested = "[".repeat(200) + &"]".repeat(200);
    assert!(compile(&nested, VIEW).is_ok());
    let sum = vec!["1"; 200].join(" + ");
    assert_eq!(eval(&sum), json!(200));
    let ok = "(".repeat(200) + "1" + &")".repeat(200);
    assert_eq!(eval(&ok), json!(1));
}

/// A small deterministic generator, so the fuzz test needs no extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn garbage_never_panics() {
    let env = TestEnv::new(json!({"auth": {"id": "u"}, "data": {"a": [1, 2], "s": "x", "n": null, "m": {"k": 1.5}}})).with_ref(
        "data",
        "a.b",
        json!([1]),
    );
    let pieces = [
        "data",
        "auth",
        ".",
        "a",
        "s",
        "m",
        "k",
        "n",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ":",
        ",",
        "?",
        "!",
        "-",
        "+",
        "*",
        "/",
        "%",
        "<",
        "<=",
        "==",
        "!=",
        "&&",
        "||",
        " in ",
        "1",
        "0",
        "-9223372036854775808",
        "1u",
        "2.5",
        "'x'",
        "\"y\"",
        "r'\\d'",
        "b'z'",
        "true",
        "null",
        "size",
        "has",
        "all",
        "exists",
        "map",
        "filter",
        "exists_one",
        "cel.bind",
        "math.greatest",
        "ref('a.b')",
        "timestamp",
        "duration",
        "'1h'",
        "matches",
        "'('",
        "int",
        "string",
        "type",
        " ",
        "\n",
        "'''",
        "\\",
        "$",
        "é",
        "`",
        "0x",
        "1e",
        "..",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = 1 + rng.next() % 12;
        let source: String = (0..len).map(|_| rng.pick(&pieces)).collect();
        if let Ok(program) = compile(&source, ALL) {
            let _ = program.eval(&env);
        }
        let _ = idents(&source);
    }
    // Raw bytes, including invalid positions for multi-byte characters.
    for _ in 0..5_000 {
        let len = rng.next() % 16;
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 128) as u8).collect();
        let source = String::from_utf8_lossy(&bytes).to_string() + "é'\"";
        let _ = compile(&source, ALL).map(|p| p.eval(&env));
    }
}

#[test]
fn date_and_duration_parsers_never_panic() {
    let pieces = [
        "2025",
        "-",
        "01",
        "1",
        "T",
        " ",
        ":",
        "59",
        ".",
        "123456789123",
        "Z",
        "+",
        "08",
        "/",
        ",",
        "PM",
        "Sat,",
        "Apr",
        "GMT",
        "9999999999999",
        "h",
        "m",
        "s",
        "ms",
        "us",
        "ns",
        "1.2.3",
        "\"",
        "é",
    ];
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let len = 1 + rng.next() % 10;
        let text: String = (0..len).map(|_| rng.pick(&pieces)).collect();
        let _ = parse_date(&text);
        let _ = time::Duration::parse(&text);
        for zone in [&text[..], "+99:99", "-0000"] {
            let _ = time::parse_offset(zone);
        }
    }
    assert!(parse_date("99999999-01-01").is_none());
    assert!(time::Duration::parse("1.2.3s").is_none());
    assert_eq!(time::Duration::parse("1.5h").map(|d| d.nanos()), Some(5_400_000_000_000));
    assert_eq!(time::Duration::parse("-2m3.5s").map(|d| d.nanos()), Some(-123_500_000_000));
    assert_eq!(time::Duration::parse("315576000001s"), None);
}

#[test]
fn json_round_trip() {
    let input = json!({"s": "x", "i": -3, "f": 2.5, "big": 1e300, "u": 18446744073709551615u64, "l": [null, true], "o": {"z": 1, "a": 2}});
    let value = Value::from_json(&input);
    let output = value.to_json();
    assert_eq!(output["s"], json!("x"));
    assert_eq!(output["i"], json!(-3));
    assert_eq!(output["u"], json!(18446744073709551615.0));
    assert_eq!(output["l"], json!([null, true]));
    // Object key order is preserved.
    assert_eq!(output["o"].as_object().unwrap().keys().collect::<Vec<_>>(), vec!["z", "a"]);
    assert_eq!(eval("{1: 'a', true: 'b'}"), json!({"1": "a", "true": "b"}));
    assert_eq!(eval("b'hi'"), json!("aGk="));
    assert_eq!(eval("int"), json!("int"));
}

#[test]
fn building_values() {
    let mut request = Value::from_json(&json!({"ip": "", "modifiedFields": []}));
    let shared = request.clone();
    request.insert("time", Value::timestamp_ms(1_000));
    request.insert("ip", Value::from("1.2.3.4"));
    assert_eq!(request.to_json(), json!({"ip": "1.2.3.4", "modifiedFields": [], "time": "1970-01-01T00:00:01Z"}));
    assert_eq!(shared.to_json(), json!({"ip": "", "modifiedFields": []}));
    assert!(matches!(Value::timestamp_ms(i64::MAX), Value::Null));
    let env = TestEnv::default().with_var("request", request);
    assert_eq!(run_in("request.time.getTime() == 1000 && request.ip == '1.2.3.4'", &env), Ok(json!(true)));
}

#[test]
fn programs_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Program>();
    assert_send_sync::<Value>();
    let program = compile("data.n > 1", VIEW).unwrap();
    for n in 0..3 {
        let result = program.eval(&TestEnv::new(json!({"data": {"n": n}}))).unwrap();
        assert_eq!(result.as_bool(), Some(n > 1));
    }
}

#[test]
fn eval_errors_carry_positions() {
    let program = compile("true && 1 / 0 == 1", VIEW).unwrap();
    let err = program.eval(&TestEnv::default()).unwrap_err();
    assert_eq!(err.position(), Some(10));
    assert_eq!(err.to_string(), "evaluation error at <input>:10: / by zero");
    let program = compile("'é' == 'é' && 1 / 0 == 1", VIEW).unwrap();
    assert_eq!(program.eval(&TestEnv::default()).unwrap_err().position(), Some(16));
}
