//! InstaQL parsing and option validation (spec §5.2–§5.4, §5.6): turns the query JSON into
//! [`Form`]s or the exact validation error the server gives.

use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};

/// One namespace in the query with its options and nested link forms.
#[derive(Debug)]
pub struct Form {
    /// The key as written (namespace at top level, link label below).
    pub key: String,
    /// Validated `$` options.
    pub options: Options,
    /// Nested link forms.
    pub children: Vec<Form>,
    /// Path of this form inside the query (for error `in`).
    pub path: Vec<String>,
}

/// Validated `$` options (spec §5.3).
#[derive(Debug, Default)]
pub struct Options {
    pub conds: Vec<Cond>,
    pub order: Option<Order>,
    pub limit: Option<u64>,
    pub last: Option<u64>,
    pub offset: Option<u64>,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    pub after_inclusive: bool,
    pub before_inclusive: bool,
    pub aggregate: bool,
    pub fields: Option<Vec<String>>,
}

impl Options {
    /// Whether the top-level form paginates (so its `order` is checked, spec §5.5).
    pub fn paginates(&self) -> bool {
        self.limit.is_some()
            || self.last.is_some()
            || self.offset.is_some()
            || self.after.is_some()
            || self.before.is_some()
            || self.order.is_some()
    }
}

/// `order: {key: "asc" | "desc"}`.
#[derive(Debug, Clone)]
pub struct Order {
    pub key: String,
    pub desc: bool,
}

/// A page cursor `[entity-id, attr-id, value, created-at]`.
#[derive(Debug, Clone)]
pub struct Cursor {
    pub entity: Value,
    pub attr: uuid::Uuid,
    pub value: Value,
    pub created_at: Option<i64>,
}

/// A `where` condition.
#[derive(Debug, Clone)]
pub enum Cond {
    /// `{path: op}`.
    Path {
        path: Vec<String>,
        op: Op,
        key: String,
    },
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// A condition on the value at the end of a path.
#[derive(Debug, Clone)]
pub enum Op {
    Eq(Value),
    In(Vec<Value>),
    Not(Value),
    IsNull(bool),
    Compare(Comparison, Value),
    Like { pattern: Value, case_insensitive: bool },
}

/// `$gt`, `$gte`, `$lt`, `$lte`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Op {
    /// The operator name used in error paths.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Eq(_) => "",
            Op::In(_) => "$in",
            Op::Not(_) => "$not",
            Op::IsNull(_) => "$isNull",
            Op::Compare(Comparison::Gt, _) => "$gt",
            Op::Compare(Comparison::Gte, _) => "$gte",
            Op::Compare(Comparison::Lt, _) => "$lt",
            Op::Compare(Comparison::Lte, _) => "$lte",
            Op::Like { case_insensitive: false, .. } => "$like",
            Op::Like { case_insensitive: true, .. } => "$ilike",
        }
    }
}

const OPTION_KEYS: [&str; 12] =
    ["where", "order", "limit", "first", "last", "offset", "before", "after", "beforeInclusive", "afterInclusive", "aggregate", "fields"];

/// Parses a whole query (already stripped of `$$ruleParams`).
pub fn parse(query: &Map<String, Value>) -> ApiResult<Vec<Form>> {
    let root = Value::Object(query.clone());
    let parser = Parser { root: &root };
    parser.forms(query, &[], 0)
}

struct Parser<'a> {
    root: &'a Value,
}

/// An option that is given: `null` and `false` read as absent, as on the server.
fn present<'v>(raw: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    raw.get(key).filter(|v| !v.is_null() && **v != Value::Bool(false))
}

fn path_with(path: &[String], more: &[&str]) -> Vec<String> {
    let mut out = path.to_vec();
    out.extend(more.iter().map(|s| (*s).to_owned()));
    out
}

impl Parser<'_> {
    fn error(&self, errors: Vec<Value>) -> ApiError {
        ApiError::validation("query", self.root.clone(), errors)
    }

    fn fail(&self, expected: &str, path: Vec<String>, message: impl Into<String>) -> ApiError {
        self.error(vec![json!({"expected": expected, "in": path, "message": message.into()})])
    }

    fn expect_map<'v>(&self, value: &'v Value, path: &[String]) -> ApiResult<&'v Map<String, Value>> {
        value.as_object().ok_or_else(|| self.error(vec![json!({"expected": "map?", "in": path})]))
    }

    fn forms(&self, map: &Map<String, Value>, path: &[String], level: usize) -> ApiResult<Vec<Form>> {
        let mut forms = Vec::new();
        for (key, value) in map {
            let form_path = path_with(path, &[key]);
            let body = self.expect_map(value, &form_path)?;
            let options_path = path_with(&form_path, &["$"]);
            let options = match body.get("$") {
                None => Options::default(),
                Some(raw) => {
                    let raw = self.expect_map(raw, &options_path)?;
                    self.options(raw, &options_path, level)?
                }
            };
            let children_map: Map<String, Value> = body.iter().filter(|(k, _)| *k != "$").map(|(k, v)| (k.clone(), v.clone())).collect();
            let children = self.forms(&children_map, &form_path, level + 1)?;
            forms.push(Form { key: key.clone(), options, children, path: form_path });
        }
        Ok(forms)
    }

    /// Reads `$`. The steps run in the server's order, so the first error reported is the one
    /// it reports.
    fn options(&self, raw: &Map<String, Value>, path: &[String], level: usize) -> ApiResult<Options> {
        let mut options = Options::default();
        if let Some(where_) = present(raw, "where") {
            let where_ = self.expect_map(where_, &path_with(path, &["where"]))?;
            options.conds = self.conds(where_, path)?;
        }
        if let Some(order) = present(raw, "order") {
            let order_path = path_with(path, &["order"]);
            let order = self.expect_map(order, &order_path)?;
            options.order = self.order(order, &order_path)?;
        }
        let limit = self.positive(present(raw, "limit"), path, "limit")?;
        let first = self.positive(present(raw, "first"), path, "first")?;
        let last = self.positive(present(raw, "last"), path, "last")?;
        options.offset = self.offset(present(raw, "offset"), path)?;
        self.cursors(raw, path, &mut options)?;
        options.aggregate = self.aggregate(present(raw, "aggregate"), path)?;
        options.fields = self.fields(present(raw, "fields"), path)?;
        self.check_option_keys(raw, &options, path, level)?;
        options.limit = self.one_limit(limit, first, last, path)?;
        options.last = last;
        Ok(options)
    }

    fn offset(&self, offset: Option<&Value>, path: &[String]) -> ApiResult<Option<u64>> {
        let Some(offset) = offset else { return Ok(None) };
        match offset.as_u64() {
            Some(n) if offset.is_u64() => Ok(Some(n)),
            _ => Err(self.fail(
                "supported-options?",
                path_with(path, &["offset"]),
                format!("The offset field must be a non-negative integer. Got {offset}."),
            )),
        }
    }

    /// `after`, `afterInclusive`, `before`, `beforeInclusive`. The inclusive flags are read even
    /// when `false`: only `null` counts as absent for them.
    fn cursors(&self, raw: &Map<String, Value>, path: &[String], options: &mut Options) -> ApiResult<()> {
        if let Some(after) = present(raw, "after") {
            options.after = Some(self.cursor(after, path_with(path, &["after"]))?);
        }
        if let Some(flag) = raw.get("afterInclusive").filter(|v| !v.is_null()) {
            options.after_inclusive = self.boolean(flag, path_with(path, &["afterInclusive"]))?;
        }
        if let Some(before) = present(raw, "before") {
            options.before = Some(self.cursor(before, path_with(path, &["before"]))?);
        }
        if let Some(flag) = raw.get("beforeInclusive").filter(|v| !v.is_null()) {
            options.before_inclusive = self.boolean(flag, path_with(path, &["beforeInclusive"]))?;
        }
        Ok(())
    }

    fn aggregate(&self, aggregate: Option<&Value>, path: &[String]) -> ApiResult<bool> {
        let Some(aggregate) = aggregate else { return Ok(false) };
        if aggregate != "count" {
            return Err(self.fail(
                "supported-options?",
                path_with(path, &["aggregate"]),
                format!("The aggregate field only accepts \"count\", got {aggregate}."),
            ));
        }
        Ok(true)
    }

    fn fields(&self, fields: Option<&Value>, path: &[String]) -> ApiResult<Option<Vec<String>>> {
        let Some(fields) = fields else { return Ok(None) };
        let Some(items) = fields.as_array() else {
            return Err(self.fail("array?", path_with(path, &["fields"]), "The `fields` property should be an array of field names."));
        };
        Ok(Some(items.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect()))
    }

    /// No unknown option, and pagination only on a top-level form.
    fn check_option_keys(&self, raw: &Map<String, Value>, options: &Options, path: &[String], level: usize) -> ApiResult<()> {
        if raw.keys().any(|k| !OPTION_KEYS.contains(&k.as_str())) {
            return Err(self.fail(
                "supported-options?",
                path.to_vec(),
                "We only support `where`, `order`, `limit`, `offset`, `before`, and `after` clauses.",
            ));
        }
        if level > 0 && (options.offset.is_some() || options.after.is_some() || options.before.is_some()) {
            return Err(self.fail(
                "supported-options?",
                path.to_vec(),
                "We currently only support `offset`, `before`, and `after` clauses on the top-level field. Limit fields will be ignored",
            ));
        }
        Ok(())
    }

    /// `limit` and `first` mean the same; at most one of them and `last` may be given.
    fn one_limit(&self, limit: Option<u64>, first: Option<u64>, last: Option<u64>, path: &[String]) -> ApiResult<Option<u64>> {
        let given: Vec<&str> =
            [(limit, "`limit`"), (first, "`first`"), (last, "`last`")].iter().filter(|(v, _)| v.is_some()).map(|(_, name)| *name).collect();
        if given.len() > 1 {
            return Err(self.fail("supported-options?", path.to_vec(), format!("Only provide one of {}.", given.join(" or "))));
        }
        Ok(limit.or(first))
    }

    fn positive(&self, value: Option<&Value>, path: &[String], name: &str) -> ApiResult<Option<u64>> {
        let Some(value) = value else { return Ok(None) };
        match value.as_u64() {
            Some(n) if n > 0 && value.is_u64() => Ok(Some(n)),
            _ => Err(self.fail(
                "supported-options?",
                path_with(path, &[name]),
                format!("The {name} field must be a positive integer. Got {value}."),
            )),
        }
    }

    fn boolean(&self, value: &Value, path: Vec<String>) -> ApiResult<bool> {
        value.as_bool().ok_or_else(|| self.error(vec![json!({"expected": "boolean?", "in": path})]))
    }

    fn order(&self, order: &Map<String, Value>, path: &[String]) -> ApiResult<Option<Order>> {
        match order.len() {
            0 => Ok(None),
            1 => {
                let (key, direction) = order.iter().next().map(|(k, v)| (k.clone(), v)).unwrap_or_default();
                match direction.as_str() {
                    Some("asc") => Ok(Some(Order { key, desc: false })),
                    Some("desc") => Ok(Some(Order { key, desc: true })),
                    _ => Err(self.fail(
                        "valid-direction?",
                        path_with(path, &[&key]),
                        format!("We only support \"asc\" or \"desc\" in the `order` clause. Got {direction}."),
                    )),
                }
            }
            _ => {
                let keys: Vec<&str> = order.keys().map(String::as_str).collect();
                Err(self.fail(
                    "single-key?",
                    path.to_vec(),
                    format!("We only support a single key in the `order` clause. Got {}.", keys.join(",")),
                ))
            }
        }
    }

    fn cursor(&self, raw: &Value, path: Vec<String>) -> ApiResult<Cursor> {
        let fail = |message: String| self.fail("join-row?", path.clone(), message);
        let Some(items) = raw.as_array() else {
            return Err(fail(format!("Expected a join row for the cursor, got {raw}.")));
        };
        if items.len() != 3 && items.len() != 4 {
            return Err(fail(format!("Expected a join row with 4 items for the cursor, got {raw}.")));
        }
        let attr = items[1]
            .as_str()
            .and_then(crate::values::coerce_uuid)
            .ok_or_else(|| fail(format!("Expected a join row with a uuid attribute id in the second position, got {}.", items[1])))?;
        let created_at = match items.get(3) {
            None | Some(Value::Null) => None,
            Some(t) => Some(
                t.as_i64()
                    .filter(|_| t.is_i64() || t.is_u64())
                    .ok_or_else(|| fail(format!("Expected a join row with an integer created_at in the last position, got {t}.")))?,
            ),
        };
        Ok(Cursor { entity: items[0].clone(), attr, value: items[2].clone(), created_at })
    }

    fn conds(&self, where_: &Map<String, Value>, path: &[String]) -> ApiResult<Vec<Cond>> {
        let mut conds = Vec::new();
        for (key, value) in where_ {
            if key == "or" || key == "and" {
                let Some(list) = value.as_array() else {
                    return Err(self.error(vec![json!({"expected": "coll?", "in": path_with(path, &["where", key])})]));
                };
                let mut branches = Vec::new();
                for (at, item) in list.iter().enumerate() {
                    let item_path = path_with(path, &["where", key, &at.to_string()]);
                    let item = self.expect_map(item, &item_path)?;
                    branches.push(Cond::And(self.conds(item, path)?));
                }
                if branches.is_empty() {
                    return Err(self.fail(
                        "non-empty-list?",
                        path_with(path, &[key]),
                        format!("The list of `{key}` conditions can't be empty."),
                    ));
                }
                conds.push(if key == "or" { Cond::Or(branches) } else { Cond::And(branches) });
                continue;
            }
            let op = self.op(value, path_with(path, &["where", key]))?;
            let segments = key.split('.').map(str::to_owned).collect();
            conds.push(Cond::Path { path: segments, op, key: key.clone() });
        }
        Ok(conds)
    }

    fn op(&self, value: &Value, path: Vec<String>) -> ApiResult<Op> {
        let spec_error = |expected: &str| self.error(vec![json!({"expected": expected, "in": path.clone()})]);
        let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
        if scalar(value) {
            return Ok(Op::Eq(value.clone()));
        }
        let Some(map) = value.as_object() else {
            return Err(spec_error("where-value-valid?"));
        };
        const KEYS: [&str; 12] =
            ["in", "$in", "$not", "$ne", "$isNull", "$gt", "$gte", "$lt", "$lte", "$like", "$ilike", "$entityIdStartsWith"];
        if map.is_empty() || map.keys().any(|k| !KEYS.contains(&k.as_str())) {
            return Err(spec_error("where-value-valid-keys?"));
        }
        if let Some(v) = map.get("$not").or_else(|| map.get("$ne")) {
            return if scalar(v) { Ok(Op::Not(v.clone())) } else { Err(spec_error("where-value-valid?")) };
        }
        if let Some(v) = map.get("$isNull") {
            return v.as_bool().map(Op::IsNull).ok_or_else(|| spec_error("boolean?"));
        }
        let (key, v) = map.iter().next().map(|(k, v)| (k.as_str(), v)).unwrap_or(("", value));
        match key {
            "in" | "$in" => {
                let Some(items) = v.as_array() else { return Err(spec_error("vector?")) };
                if items.iter().any(|i| !(scalar(i) || i.is_null())) {
                    return Err(spec_error("in-value-valid?"));
                }
                Ok(Op::In(items.clone()))
            }
            "$gt" | "$gte" | "$lt" | "$lte" | "$like" | "$ilike" if !scalar(v) => Err(spec_error("comparator?")),
            "$gt" => Ok(Op::Compare(Comparison::Gt, v.clone())),
            "$gte" => Ok(Op::Compare(Comparison::Gte, v.clone())),
            "$lt" => Ok(Op::Compare(Comparison::Lt, v.clone())),
            "$lte" => Ok(Op::Compare(Comparison::Lte, v.clone())),
            "$like" => Ok(Op::Like { pattern: v.clone(), case_insensitive: false }),
            "$ilike" => Ok(Op::Like { pattern: v.clone(), case_insensitive: true }),
            _ => Err(spec_error("where-value-valid-keys?")),
        }
    }
}
