//! Builtin functions and operators on evaluated arguments (strict: every argument is a value).

use std::cmp::Ordering;

use super::ast::Func;
use super::error::EvalError;
use super::time::{parse_offset, Duration, Timestamp};
use super::value::{compare, compare_numbers, equals, format_double, Key, Value};
use super::Env;

type Result<T> = std::result::Result<T, EvalError>;

/// The runtime's answer when no overload accepts the argument types.
pub(crate) fn no_overload(name: &str, args: &[Value]) -> EvalError {
    let types: Vec<&str> = args.iter().map(Value::type_name).collect();
    EvalError::new(format!("No matching overload for function '{name}'. Argument types: ({})", types.join(", ")))
}

fn overflow() -> EvalError {
    EvalError::new("long overflow")
}

fn string(s: impl Into<String>) -> Value {
    Value::from(s.into())
}

fn int(i: usize) -> Value {
    Value::Int(i as i64)
}

/// Calls builtin `func` (named `name` in messages) on `args`, the receiver first for methods.
pub(crate) fn call(func: Func, name: &str, args: &[Value], regex: Option<&regex_lite::Regex>, env: &dyn Env) -> Result<Value> {
    use Value::*;
    let fail = || no_overload(name, args);
    Ok(match (func, args) {
        (Func::Not, [Bool(b)]) => Bool(!b),
        (Func::Neg, [Int(i)]) => Int(i.checked_neg().ok_or_else(overflow)?),
        (Func::Neg, [Double(d)]) => Double(-d),
        (Func::Add | Func::Sub | Func::Mul | Func::Div | Func::Rem, [a, b]) => return arithmetic(func, a, b).ok_or_else(fail)?,
        (Func::Lt | Func::Le | Func::Gt | Func::Ge, [a, b]) => {
            let order = compare(a, b).map_err(|()| fail())?;
            Bool(match (func, order) {
                (_, None) => false,
                (Func::Lt, Some(o)) => o == Ordering::Less,
                (Func::Le, Some(o)) => o != Ordering::Greater,
                (Func::Gt, Some(o)) => o == Ordering::Greater,
                (_, Some(o)) => o != Ordering::Less,
            })
        }
        (Func::Eq, [a, b]) => Bool(equals(a, b)),
        (Func::Ne, [a, b]) => Bool(!equals(a, b)),
        (Func::In, [x, List(items)]) => Bool(items.iter().any(|item| equals(item, x))),
        // A lenient map claims every key, as the server's `CelMap.containsKey` does.
        (Func::In, [x, Map(map)]) => Bool(map.is_lenient() || Key::lookup(x).is_some_and(|k| map.get(&k).is_some())),
        (Func::Index, [List(items), index]) => {
            let i = match index {
                Int(i) => *i,
                Uint(u) => i64::try_from(*u).unwrap_or(i64::MAX),
                Double(d) if d.fract() == 0.0 => *d as i64,
                _ => return Err(fail()),
            };
            let item = usize::try_from(i).ok().and_then(|i| items.get(i));
            item.cloned().ok_or_else(|| EvalError::new(format!("Index out of bounds: {i}")))?
        }
        (Func::Index, [Map(map), key]) => match Key::lookup(key).and_then(|k| map.get(&k)) {
            Some(v) => v.clone(),
            None if map.is_lenient() => Null,
            None => return Err(EvalError::new(format!("key '{}' is not present in map.", key_text(key)))),
        },
        (Func::Size, [String(s)]) => int(s.chars().count()),
        (Func::Size, [Bytes(b)]) => int(b.len()),
        (Func::Size, [List(items)]) => int(items.len()),
        (Func::Size, [Map(map)]) => int(map.len()),
        (Func::Contains, [String(s), String(t)]) => Bool(s.contains(&**t)),
        (Func::StartsWith, [String(s), String(t)]) => Bool(s.starts_with(&**t)),
        (Func::EndsWith, [String(s), String(t)]) => Bool(s.ends_with(&**t)),
        (Func::Matches, [String(s), String(pattern)]) => Bool(match regex {
            Some(re) => re.is_match(s),
            None => regex_lite::Regex::new(pattern)
                .map_err(|e| EvalError::new(format!("invalid regular expression '{pattern}': {e}")))?
                .is_match(s),
        }),
        (Func::Dyn, [x]) => x.clone(),
        (Func::TypeOf, [x]) => Type(x.type_name()),
        (Func::ToTimestamp, [String(s)]) => match env.parse_date(s) {
            Some(t) => Timestamp(t),
            None => return Err(EvalError::new(format!("Function '_timestamp_from_string' failed with arg(s) '{s}'"))),
        },
        (Func::ToTimestamp, [Int(ms)]) => {
            Timestamp(super::time::Timestamp::from_millis(*ms).ok_or_else(|| EvalError::new("timestamp out of range"))?)
        }
        (Func::ToInt | Func::ToUint | Func::ToDouble | Func::ToString | Func::ToBytes | Func::ToBool | Func::ToDuration, [x]) => {
            return convert(func, x).ok_or_else(fail)?
        }
        (Func::GetTime, [Timestamp(t)]) => Int(t.millis()),
        (Func::GetFullYear | Func::GetMonth | Func::GetDayOfYear | Func::GetDayOfMonth | Func::GetDate | Func::GetDayOfWeek, _)
        | (Func::GetHours | Func::GetMinutes | Func::GetSeconds | Func::GetMilliseconds, _) => {
            return time_part(func, args).ok_or_else(fail)?
        }
        (Func::Limit, _) => return Err(EvalError::new("rateLimit buckets are not supported by the emulator")),
        (Func::CharAt | Func::IndexOf | Func::LastIndexOf | Func::Replace | Func::Split | Func::Substring, _) => {
            return strings(func, args).ok_or_else(fail)?
        }
        (Func::LowerAscii, [String(s)]) => string(s.to_ascii_lowercase()),
        (Func::UpperAscii, [String(s)]) => string(s.to_ascii_uppercase()),
        (Func::Trim, [String(s)]) => string(s.trim_matches(char::is_whitespace)),
        (Func::Join, [List(items), rest @ ..]) => {
            let separator = match rest {
                [] => "",
                [String(sep)] => sep,
                _ => return Err(fail()),
            };
            let mut parts = Vec::with_capacity(items.len());
            for item in items.iter() {
                match item {
                    String(s) => parts.push(&**s),
                    _ => return Err(fail()),
                }
            }
            string(parts.join(separator))
        }
        (Func::Greatest | Func::Least, _) => return extremum(func, name, args),
        (
            Func::Abs | Func::Sign | Func::Ceil | Func::Floor | Func::Round | Func::Trunc | Func::IsNaN | Func::IsInf | Func::IsFinite,
            [x],
        ) => return math(func, x).ok_or_else(fail)?,
        _ => return Err(fail()),
    })
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// `+ - * / %`; None when no overload applies.
fn arithmetic(func: Func, a: &Value, b: &Value) -> Option<Result<Value>> {
    use Value::*;
    let range = |t: Option<super::time::Timestamp>| t.map(Timestamp).ok_or_else(|| EvalError::new("timestamp out of range"));
    let span = |d: Option<super::time::Duration>| d.map(Duration).ok_or_else(|| EvalError::new("duration out of range"));
    Some(match (func, a, b) {
        (Func::Add, Int(x), Int(y)) => x.checked_add(*y).map(Int).ok_or_else(overflow),
        (Func::Sub, Int(x), Int(y)) => x.checked_sub(*y).map(Int).ok_or_else(overflow),
        (Func::Mul, Int(x), Int(y)) => x.checked_mul(*y).map(Int).ok_or_else(overflow),
        (Func::Div | Func::Rem, Int(_), Int(0)) | (Func::Div | Func::Rem, Uint(_), Uint(0)) => Err(EvalError::new("/ by zero")),
        (Func::Div, Int(x), Int(y)) => x.checked_div(*y).map(Int).ok_or_else(overflow),
        // i64::MIN % -1 is 0 in Java (and mathematically); Rust's checked_rem says None.
        (Func::Rem, Int(x), Int(y)) => Ok(Int(x.checked_rem(*y).unwrap_or(0))),
        (Func::Add, Uint(x), Uint(y)) => x.checked_add(*y).map(Uint).ok_or_else(|| EvalError::new("range overflow on unsigned addition")),
        (Func::Sub, Uint(x), Uint(y)) => x.checked_sub(*y).map(Uint).ok_or_else(|| EvalError::new("unsigned subtraction underflow")),
        (Func::Mul, Uint(x), Uint(y)) => {
            x.checked_mul(*y).map(Uint).ok_or_else(|| EvalError::new("multiply out of unsigned integer range"))
        }
        (Func::Div, Uint(x), Uint(y)) => Ok(Uint(x / y)),
        (Func::Rem, Uint(x), Uint(y)) => Ok(Uint(x % y)),
        (Func::Add, Double(x), Double(y)) => Ok(Double(x + y)),
        (Func::Sub, Double(x), Double(y)) => Ok(Double(x - y)),
        (Func::Mul, Double(x), Double(y)) => Ok(Double(x * y)),
        (Func::Div, Double(x), Double(y)) => Ok(Double(x / y)),
        (Func::Add, String(x), String(y)) => Ok(Value::from(format!("{x}{y}"))),
        (Func::Add, Bytes(x), Bytes(y)) => Ok(Bytes(x.iter().chain(y.iter()).copied().collect())),
        (Func::Add, List(x), List(y)) => Ok(List(x.iter().chain(y.iter()).cloned().collect())),
        (Func::Add, Timestamp(t), Duration(d)) | (Func::Add, Duration(d), Timestamp(t)) => range(t.add(*d)),
        (Func::Sub, Timestamp(t), Duration(d)) => range(t.add(d.negate())),
        (Func::Sub, Timestamp(t), Timestamp(u)) => span(t.since(*u)),
        (Func::Add, Duration(d), Duration(e)) => span(d.add(*e)),
        (Func::Sub, Duration(d), Duration(e)) => span(d.add(e.negate())),
        _ => return None,
    })
}

/// `int()`, `uint()`, `double()`, `string()`, `bytes()`, `bool()`, `duration()`.
fn convert(func: Func, x: &Value) -> Option<Result<Value>> {
    use Value::*;
    let err = |m: std::string::String| Err(EvalError::new(m));
    Some(match (func, x) {
        (Func::ToInt, Int(i)) => Ok(Int(*i)),
        (Func::ToInt, Uint(u)) => i64::try_from(*u).map(Int).or_else(|_| err("unsigned out of int range".into())),
        (Func::ToInt, Double(d)) => {
            // Doubles at or beyond +-2^63 (and NaN) do not fit.
            if d.is_nan() || *d <= -9.223_372_036_854_776e18 || *d >= 9.223_372_036_854_776e18 {
                err("double is out of range for int".into())
            } else {
                Ok(Int(d.trunc() as i64))
            }
        }
        (Func::ToInt, String(s)) => s.parse().map(Int).or_else(|_| err(format!("For input string: \"{s}\""))),
        (Func::ToInt, Timestamp(t)) => Ok(Int(t.seconds())),
        (Func::ToUint, Int(i)) => u64::try_from(*i).map(Uint).or_else(|_| err("int out of uint range".into())),
        (Func::ToUint, Uint(u)) => Ok(Uint(*u)),
        (Func::ToUint, Double(d)) => {
            if d.is_nan() || *d < 0.0 || *d >= 1.844_674_407_370_955_2e19 {
                err("double out of uint range".into())
            } else {
                Ok(Uint(d.trunc() as u64))
            }
        }
        (Func::ToUint, String(s)) => s.parse().map(Uint).or_else(|_| err(format!("For input string: \"{s}\""))),
        (Func::ToDouble, Int(i)) => Ok(Double(*i as f64)),
        (Func::ToDouble, Uint(u)) => Ok(Double(*u as f64)),
        (Func::ToDouble, Double(d)) => Ok(Double(*d)),
        (Func::ToDouble, String(s)) => parse_double(s).map(Double).ok_or(()).or_else(|()| err(format!("For input string: \"{s}\""))),
        (Func::ToString, Int(i)) => Ok(string(i.to_string())),
        (Func::ToString, Uint(u)) => Ok(string(u.to_string())),
        (Func::ToString, Double(d)) => Ok(string(format_double(*d))),
        (Func::ToString, Bool(b)) => Ok(string(b.to_string())),
        (Func::ToString, String(s)) => Ok(String(s.clone())),
        (Func::ToString, Bytes(b)) => std::str::from_utf8(b).map(string).or_else(|_| err("invalid UTF-8 in bytes".into())),
        (Func::ToString, Timestamp(t)) => Ok(string(t.to_string())),
        (Func::ToString, Duration(d)) => Ok(string(d.to_string())),
        (Func::ToBytes, Bytes(b)) => Ok(Bytes(b.clone())),
        (Func::ToBytes, String(s)) => Ok(Bytes(s.as_bytes().into())),
        (Func::ToBool, Bool(b)) => Ok(Bool(*b)),
        (Func::ToBool, String(s)) => match &**s {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Bool(true)),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Bool(false)),
            _ => err(format!("Type conversion error from 'string' to 'bool': [{s}]")),
        },
        (Func::ToDuration, Duration(d)) => Ok(Duration(*d)),
        (Func::ToDuration, String(s)) => {
            super::time::Duration::parse(s).map(Duration).ok_or(()).or_else(|()| err(format!("invalid duration format: {s}")))
        }
        _ => return None,
    })
}

/// Java's `Double.parseDouble` for the spellings rules would use.
fn parse_double(s: &str) -> Option<f64> {
    match s.trim() {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        t if t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) => t.parse().ok(),
        _ => None,
    }
}

/// Timestamp accessors (optionally at a time zone) and duration accessors.
fn time_part(func: Func, args: &[Value]) -> Option<Result<Value>> {
    match args {
        [Value::Duration(d)] => Some(Ok(Value::Int(duration_part(func, *d)?))),
        [Value::Timestamp(t)] => Some(Ok(Value::Int(timestamp_part(func, t, 0)))),
        [Value::Timestamp(t), Value::String(zone)] => Some(match parse_offset(zone) {
            Some(offset) => Ok(Value::Int(timestamp_part(func, t, offset))),
            None => Err(EvalError::new(format!("unsupported time zone '{zone}' (only UTC and fixed offsets such as +05:30)"))),
        }),
        _ => None,
    }
}

fn timestamp_part(func: Func, t: &Timestamp, offset: i64) -> i64 {
    let c = t.fields(offset);
    match func {
        Func::GetFullYear => c.year,
        Func::GetMonth => c.month - 1,
        Func::GetDayOfYear => c.day_of_year,
        Func::GetDayOfMonth => c.day - 1,
        Func::GetDate => c.day,
        Func::GetDayOfWeek => c.day_of_week,
        Func::GetHours => c.hour,
        Func::GetMinutes => c.minute,
        Func::GetSeconds => c.second,
        _ => c.nano / 1_000_000,
    }
}

/// `java.time.Duration` accessors: whole hours/minutes/seconds, and the millisecond part.
fn duration_part(func: Func, d: Duration) -> Option<i64> {
    let seconds = d.nanos().div_euclid(1_000_000_000) as i64;
    let nanos = d.nanos().rem_euclid(1_000_000_000) as i64;
    Some(match func {
        Func::GetHours => seconds / 3600,
        Func::GetMinutes => seconds / 60,
        Func::GetSeconds => seconds,
        Func::GetMilliseconds => (seconds * 1000 + nanos / 1_000_000) % 1000,
        _ => return None,
    })
}

/// Index arguments of the strings extension must fit Java's int.
fn int32(i: i64, what: &str, func: &str) -> Result<i64> {
    if i32::try_from(i).is_ok() {
        Ok(i)
    } else {
        Err(EvalError::new(format!("{func} failure: {what} must not exceed the int32 range: {i}")))
    }
}

/// Position of `needle` in `hay` at or after `from`, in code points (-1 if absent).
fn find_from(hay: &[char], needle: &[char], from: usize) -> i64 {
    if needle.len() > hay.len() {
        return -1;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()] == *needle).map_or(-1, |i| i as i64)
}

/// The strings extension functions that work on code point positions, following cel-java.
fn strings(func: Func, args: &[Value]) -> Option<Result<Value>> {
    use Value::{Int, String as Str};
    let chars = |s: &str| s.chars().collect::<Vec<char>>();
    let text = |c: &[char]| Value::from(c.iter().collect::<String>());
    Some((|| -> Result<Value> {
        match (func, args) {
            (Func::CharAt, [Str(s), Int(i)]) => {
                let i = int32(*i, "Index", "charAt")?;
                let cs = chars(s);
                if i == cs.len() as i64 {
                    return Ok(Value::from(""));
                }
                match usize::try_from(i).ok().and_then(|i| cs.get(i)) {
                    Some(c) => Ok(Value::from(c.to_string())),
                    None => Err(EvalError::new(format!("charAt failure: Index out of range: {i}"))),
                }
            }
            (Func::IndexOf, [Str(s), Str(sub), rest @ ..]) => {
                let offset = match rest {
                    [] => 0,
                    [Int(o)] => int32(*o, "Offset", "indexOf")?,
                    _ => return Err(no_overload("indexOf", args)),
                };
                if sub.is_empty() {
                    return Ok(Int(offset));
                }
                let cs = chars(s);
                if offset < 0 || offset >= cs.len() as i64 {
                    return Err(EvalError::new(format!("indexOf failure: Offset out of range: {offset}")));
                }
                Ok(Int(find_from(&cs, &chars(sub), offset as usize)))
            }
            (Func::LastIndexOf, [Str(s), Str(sub), rest @ ..]) => {
                let (cs, subs) = (chars(s), chars(sub));
                let offset = match rest {
                    [] if subs.is_empty() => return Ok(Int(cs.len() as i64)),
                    [] if cs.len() < subs.len() => return Ok(Int(-1)),
                    [] => cs.len() as i64 - 1,
                    [Int(o)] => *o,
                    _ => return Err(no_overload("lastIndexOf", args)),
                };
                if subs.is_empty() {
                    return Ok(Int(offset));
                }
                let offset = int32(offset, "Offset", "lastIndexOf")?;
                if offset < 0 || offset >= cs.len() as i64 {
                    return Err(EvalError::new(format!("lastIndexOf failure: Offset out of range: {offset}")));
                }
                let last_start = (cs.len() as i64 - subs.len() as i64).min(offset);
                let found = (0..=last_start).rev().find(|&i| cs[i as usize..i as usize + subs.len()] == *subs);
                Ok(Int(found.unwrap_or(-1)))
            }
            (Func::Replace, [Str(s), Str(from), Str(to), rest @ ..]) => {
                let limit = match rest {
                    [] => -1,
                    [Int(n)] => int32(*n, "Index", "replace")?,
                    _ => return Err(no_overload("replace", args)),
                };
                Ok(Value::from(replace(s, from, to, limit)))
            }
            (Func::Split, [Str(s), Str(sep), rest @ ..]) => {
                let limit = match rest {
                    [] => i64::from(i32::MAX),
                    [Int(n)] => int32(*n, "Limit", "split")?,
                    _ => return Err(no_overload("split", args)),
                };
                Ok(Value::List(split(s, sep, limit).into_iter().map(Value::from).collect()))
            }
            (Func::Substring, [Str(s), Int(begin), rest @ ..]) => {
                let cs = chars(s);
                let end = match rest {
                    [] => cs.len() as i64,
                    [Int(e)] => int32(*e, "Indices", "substring")?,
                    _ => return Err(no_overload("substring", args)),
                };
                let begin = int32(*begin, "Index", "substring")?;
                if begin < 0 || begin > end || end > cs.len() as i64 {
                    return Err(EvalError::new(format!("substring failure: Range [{begin}, {end}) out of bounds")));
                }
                Ok(text(&cs[begin as usize..end as usize]))
            }
            _ => Err(no_overload("strings", args)),
        }
    })())
}

/// cel-java's `replace`: at most `limit` replacements (negative: all), scanning left to right.
fn replace(text: &str, from: &str, to: &str, limit: i64) -> String {
    if from == to || limit == 0 {
        return text.to_string();
    }
    if text.is_empty() {
        return if from.is_empty() { to.to_string() } else { String::new() };
    }
    let (cs, fs): (Vec<char>, Vec<char>) = (text.chars().collect(), from.chars().collect());
    let mut out = String::new();
    let mut start = 0;
    let mut end = find_from(&cs, &fs, 0);
    let mut remaining = limit;
    if end < 0 {
        return text.to_string();
    }
    loop {
        out.extend(&cs[start..end as usize]);
        out.push_str(to);
        start = end as usize + fs.len();
        remaining -= 1;
        if remaining == 0 {
            break;
        }
        let next = end as usize + fs.len().max(1);
        if next > cs.len() {
            break;
        }
        end = find_from(&cs, &fs, next);
        if end <= 0 {
            break;
        }
    }
    out.extend(&cs[start.min(cs.len())..]);
    out
}

/// cel-java's `split` (Guava's splitter with a limit; an empty separator splits code points).
fn split(s: &str, sep: &str, limit: i64) -> Vec<String> {
    if limit == 0 {
        return vec![];
    }
    if limit == 1 {
        return vec![s.to_string()];
    }
    let limit = if limit < 0 { s.chars().count() as i64 } else { limit } as usize;
    if sep.is_empty() {
        let cs: Vec<char> = s.chars().collect();
        let head = cs.len().min(limit.saturating_sub(1));
        let mut parts: Vec<String> = cs[..head].iter().map(char::to_string).collect();
        if cs.len() > head {
            parts.push(cs[head..].iter().collect());
        }
        return parts;
    }
    s.splitn(limit.max(1), sep).map(str::to_string).collect()
}

/// `math.greatest` / `math.least` over numbers or one list of numbers.
fn extremum(func: Func, name: &str, args: &[Value]) -> Result<Value> {
    let items: &[Value] = match args {
        [Value::List(items)] => items,
        _ => args,
    };
    let Some(mut best) = items.first() else {
        return Err(EvalError::new(format!("{name}(list) argument must not be empty")));
    };
    for item in items {
        let order = compare_numbers(item, best).ok_or_else(|| no_overload(name, args))?;
        let better = match func {
            Func::Greatest => order == Some(Ordering::Greater),
            _ => order == Some(Ordering::Less),
        };
        if better {
            best = item;
        }
    }
    compare_numbers(best, best).ok_or_else(|| no_overload(name, args))?;
    Ok(best.clone())
}

/// The math extension's single-argument functions.
fn math(func: Func, x: &Value) -> Option<Result<Value>> {
    use Value::*;
    Some(Ok(match (func, x) {
        (Func::Abs, Int(i)) => return Some(i.checked_abs().map(Int).ok_or_else(overflow)),
        (Func::Abs, Uint(u)) => Uint(*u),
        (Func::Abs, Double(d)) => Double(d.abs()),
        (Func::Sign, Int(i)) => Int(i.signum()),
        (Func::Sign, Uint(u)) => Uint(u64::from(*u > 0)),
        (Func::Sign, Double(d)) => Double(if *d == 0.0 || d.is_nan() { *d } else { d.signum() }),
        (Func::Ceil, Double(d)) => Double(d.ceil()),
        (Func::Floor, Double(d)) => Double(d.floor()),
        (Func::Round, Double(d)) => Double(d.round()),
        (Func::Trunc, Double(d)) => Double(d.trunc()),
        (Func::IsNaN, Double(d)) => Bool(d.is_nan()),
        (Func::IsInf, Double(d)) => Bool(d.is_infinite()),
        (Func::IsFinite, Double(d)) => Bool(d.is_finite()),
        _ => return None,
    }))
}
