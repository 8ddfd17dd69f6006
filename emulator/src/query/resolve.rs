//! `where` against real attributes (spec §5.4): resolves dotted paths to link hops and a final
//! attribute, applies the typed-attribute checks the server makes, then tests entities.

use serde_json::{json, Value};
use uuid::Uuid;

use super::parse::{Comparison, Cond, Op};
use crate::error::{ApiError, ApiResult};
use crate::store::{ref_target, App, Attr, DataType};
use crate::values;

/// Resolves and tests conditions for one app.
pub struct Walk<'a> {
    pub app: &'a App,
    pub root: &'a Value,
}

/// Conditions ready to test, or `Missing` when they name an attribute or link that does not
/// exist — the namespace then returns `[]` (spec §5.4 `guarded-where-query`).
pub enum Resolved {
    Ready(Vec<RCond>),
    Missing,
}

/// A resolved condition. `Path`'s last attribute is boxed: an `Attr` is large, and `And`/`Or`
/// hold many conditions.
pub enum RCond {
    Path { hops: Vec<(Attr, bool)>, last: Box<(Attr, bool)>, op: ROp },
    And(Vec<RCond>),
    Or(Vec<RCond>),
}

/// A resolved operator with literals coerced to the attribute's type.
pub enum ROp {
    Eq(Value),
    In { values: Vec<Value>, null: bool },
    Not(Value),
    IsNull(bool),
    Compare(Comparison, Value),
    Like { pattern: String, case_insensitive: bool },
}

struct Missing;

fn json_type(value: &Value) -> &'static str {
    values::type_name(value)
}

impl Walk<'_> {
    fn error(&self, expected_key: &str, expected: &str, path: Vec<String>, message: String) -> ApiError {
        ApiError::validation("query", self.root.clone(), vec![json!({expected_key: expected, "in": path, "message": message})])
    }

    /// Resolves `conds` on namespace `etype`.
    pub fn resolve(&self, etype: &str, conds: &[Cond], form_path: &[String]) -> ApiResult<Resolved> {
        let mut out = Vec::new();
        for cond in conds {
            match self.resolve_one(etype, cond, form_path)? {
                Ok(c) => out.push(c),
                Err(Missing) => return Ok(Resolved::Missing),
            }
        }
        Ok(Resolved::Ready(out))
    }

    fn resolve_one(&self, etype: &str, cond: &Cond, form_path: &[String]) -> ApiResult<Result<RCond, Missing>> {
        let many = |conds: &[Cond]| -> ApiResult<Result<Vec<RCond>, Missing>> {
            let mut out = Vec::new();
            for c in conds {
                match self.resolve_one(etype, c, form_path)? {
                    Ok(c) => out.push(c),
                    Err(missing) => return Ok(Err(missing)),
                }
            }
            Ok(Ok(out))
        };
        match cond {
            Cond::And(conds) => Ok(many(conds)?.map(RCond::And)),
            Cond::Or(conds) => Ok(many(conds)?.map(RCond::Or)),
            Cond::Path { path, op, key } => self.resolve_path(etype, path, op, key, form_path),
        }
    }

    fn resolve_path(&self, etype: &str, path: &[String], op: &Op, key: &str, form_path: &[String]) -> ApiResult<Result<RCond, Missing>> {
        let mut current = etype.to_owned();
        let mut hops = Vec::new();
        let (last_label, links) = path.split_last().map(|(l, r)| (l.as_str(), r)).unwrap_or((key, &[]));
        for label in links {
            let Some((attr, forward)) = self.attr_named(&current, label) else {
                return Ok(Err(Missing));
            };
            if !attr.is_ref() {
                return Err(ApiError::validation_msg("attr", attr.to_wire(), format!("{current}.{label} needs to be a link")));
            }
            current = if forward { attr.target_etype().unwrap_or_default().to_owned() } else { attr.forward.etype.clone() };
            hops.push((attr, forward));
        }
        let Some((attr, forward)) = self.attr_named(&current, last_label) else {
            return Ok(Err(Missing));
        };
        let mut where_path = form_path.to_vec();
        where_path.extend(["$".to_owned(), "where".to_owned(), last_label.to_owned()]);
        let op = if attr.is_ref() { self.ref_op(op, last_label, &where_path)? } else { self.blob_op(&attr, op, &where_path)? };
        if let ROp::In { null: true, .. } = op {
            let indexed = forward && attr.indexed;
            if !indexed {
                let mut in_path = form_path.to_vec();
                in_path.extend(["$".to_owned(), "where".to_owned(), "$in".to_owned()]);
                return Err(self.error(
                    "expected?",
                    "indexed?",
                    in_path,
                    format!(
                        "Only indexed attrs can check for `nil` in `$in`. {}.{} is not indexed.",
                        attr.forward.etype, attr.forward.label
                    ),
                ));
            }
        }
        Ok(Ok(RCond::Path { hops, last: Box::new((attr, forward)), op }))
    }

    fn attr_named(&self, etype: &str, label: &str) -> Option<(Attr, bool)> {
        if let Some(attr) = self.app.attrs.fwd(etype, label) {
            return Some((attr.clone(), true));
        }
        self.app.attrs.rev(etype, label).map(|a| (a.clone(), false))
    }

    /// Link values must be UUIDs (`Expected owner to be a uuid, got "x"`).
    fn ref_op(&self, op: &Op, label: &str, path: &[String]) -> ApiResult<ROp> {
        let as_uuid = |v: &Value| v.as_str().and_then(crate::values::coerce_uuid).map(|u| json!(u.to_string()));
        let not_uuid =
            |shown: String| self.error("expected", "uuid?", path.to_vec(), format!("Expected {label} to be a uuid, got {shown}"));
        Ok(match op {
            Op::Eq(v) => ROp::Eq(as_uuid(v).ok_or_else(|| not_uuid(v.to_string()))?),
            Op::Not(v) => ROp::Not(as_uuid(v).ok_or_else(|| not_uuid(json!({"$not": v}).to_string()))?),
            Op::IsNull(b) => ROp::IsNull(*b),
            Op::In(items) => {
                let mut values = Vec::new();
                let mut null = false;
                for item in items {
                    if item.is_null() {
                        null = true;
                        continue;
                    }
                    values.push(as_uuid(item).ok_or_else(|| {
                        self.error(
                            "expected",
                            "uuid?",
                            path.to_vec(),
                            format!("Expected {label} to match on a uuid, found {item} in {}", Value::Array(items.clone())),
                        )
                    })?);
                }
                ROp::In { values, null }
            }
            Op::Compare(_, value) | Op::Like { pattern: value, .. } => {
                return Err(not_uuid(json!({ op.name(): value }).to_string()));
            }
        })
    }

    fn blob_op(&self, attr: &Attr, op: &Op, path: &[String]) -> ApiResult<ROp> {
        Ok(match op {
            Op::Eq(v) => ROp::Eq(self.typed_literal(attr, v, path)?),
            Op::Not(v) => ROp::Not(self.typed_literal(attr, v, path)?),
            Op::IsNull(b) => ROp::IsNull(*b),
            Op::In(items) => {
                let mut values = Vec::new();
                let mut null = false;
                for item in items {
                    if item.is_null() {
                        null = true;
                    } else {
                        values.push(self.typed_literal(attr, item, path)?);
                    }
                }
                ROp::In { values, null }
            }
            Op::Compare(_, v) | Op::Like { pattern: v, .. } => self.ordered_op(attr, op, v, path)?,
        })
    }

    /// Literals in equality, `$in` and `$not` are checked against the enforced type; `null`
    /// always passes, as it means "no value".
    fn typed_literal(&self, attr: &Attr, v: &Value, path: &[String]) -> ApiResult<Value> {
        let Some(data_type) = attr.checked_type else { return Ok(v.clone()) };
        if v.is_null() {
            return Ok(v.clone());
        }
        match data_type {
            DataType::Date => match v {
                Value::Number(_) => Ok(v.clone()),
                Value::String(s) if values::parse_date(s).is_some() => Ok(v.clone()),
                Value::String(_) => Err(self.bad_date(attr, v, path)),
                _ => Err(self.type_mismatch(attr, data_type, v, path)),
            },
            _ if values::fits_type(v, data_type) => Ok(v.clone()),
            _ => Err(self.type_mismatch(attr, data_type, v, path)),
        }
    }

    /// `$gt`/`$gte`/`$lt`/`$lte` and `$like`/`$ilike`: only on an indexed, typed attribute, with
    /// a literal of that type; the error path names the operator.
    fn ordered_op(&self, attr: &Attr, op: &Op, v: &Value, path: &[String]) -> ApiResult<ROp> {
        let mut op_path = path.to_vec();
        op_path.push(op.name().to_owned());
        let data_type = self.comparable_type(attr, &op_path)?;
        if let Op::Like { case_insensitive, .. } = op {
            return self.like_op(attr, data_type, v, *case_insensitive, op_path);
        }
        let fits = match data_type {
            DataType::Date => values::date_millis(v).is_some(),
            other => values::fits_type(v, other),
        };
        if !fits {
            return Err(if data_type == DataType::Date && (v.is_string() || v.is_number()) {
                self.bad_date(attr, v, &op_path)
            } else {
                self.type_mismatch(attr, data_type, v, &op_path)
            });
        }
        Ok(match op {
            Op::Compare(comparison, _) => ROp::Compare(*comparison, v.clone()),
            _ => ROp::Eq(v.clone()),
        })
    }

    /// The pattern must be a string, and the attribute a string one: the server checks the
    /// pattern first.
    fn like_op(&self, attr: &Attr, data_type: DataType, v: &Value, case_insensitive: bool, op_path: Vec<String>) -> ApiResult<ROp> {
        let Value::String(pattern) = v else {
            return Err(self.error(
                "expected?",
                "string?",
                op_path,
                format!(
                    "The $like value for `{}` must be a string, but the query got the value `{v}` of type `{}`.",
                    attr.ident_name(),
                    json_type(v)
                ),
            ));
        };
        if data_type != DataType::String {
            return Err(self.type_mismatch(attr, data_type, v, &op_path));
        }
        Ok(ROp::Like { pattern: pattern.clone(), case_insensitive })
    }

    fn type_mismatch(&self, attr: &Attr, data_type: DataType, v: &Value, path: &[String]) -> ApiError {
        self.error(
            "expected?",
            &format!("{}?", data_type.name()),
            path.to_vec(),
            format!(
                "The data type of `{}` is `{}`, but the query got the value `{v}` of type `{}`.",
                attr.ident_name(),
                data_type.name(),
                json_type(v)
            ),
        )
    }

    /// A number reads as a timestamp and a string as a date string: the server names which one
    /// it expected by what it got.
    fn bad_date(&self, attr: &Attr, v: &Value, path: &[String]) -> ApiError {
        self.error(
            "expected?",
            if v.is_number() { "timestamp?" } else { "date-string?" },
            path.to_vec(),
            format!("The data type of `{}` is `date`, but the query got value `{v}` of type `{}`.", attr.ident_name(), json_type(v)),
        )
    }

    /// Comparison operators need an indexed, typed attribute (spec §5.4).
    fn comparable_type(&self, attr: &Attr, path: &[String]) -> ApiResult<DataType> {
        let name = attr.ident_name();
        if !attr.indexed {
            return Err(self.error(
                "expected?",
                "indexed?",
                path.to_vec(),
                format!("The `{name}` attribute must be indexed to use comparison operators."),
            ));
        }
        attr.checked_type.ok_or_else(|| {
            self.error(
                "expected?",
                "checked-data-type?",
                path.to_vec(),
                format!("The `{name}` attribute must have an enforced type to use comparison operators."),
            )
        })
    }

    /// Whether `entity` satisfies `cond`.
    pub fn holds(&self, entity: Uuid, cond: &RCond) -> bool {
        match cond {
            RCond::And(conds) => conds.iter().all(|c| self.holds(entity, c)),
            RCond::Or(conds) => conds.iter().any(|c| self.holds(entity, c)),
            RCond::Path { hops, last, op } => self.path_holds(entity, hops, last, op),
        }
    }

    fn linked(&self, entity: Uuid, attr: &Attr, forward: bool) -> Vec<Uuid> {
        if forward {
            self.app.triples.values(entity, attr.id).iter().filter_map(|s| ref_target(&s.value)).collect()
        } else {
            self.app.triples.sources(attr.id, entity).collect()
        }
    }

    /// Existential join along the path; `$not` and `$isNull: true` also hold where a link on the
    /// way is missing (spec §5.4).
    fn path_holds(&self, entity: Uuid, hops: &[(Attr, bool)], last: &(Attr, bool), op: &ROp) -> bool {
        if let Some(((attr, forward), rest)) = hops.split_first() {
            let next = self.linked(entity, attr, *forward);
            if next.is_empty() {
                return matches!(op, ROp::Not(_) | ROp::IsNull(true));
            }
            return next.into_iter().any(|n| self.path_holds(n, rest, last, op));
        }
        let (attr, forward) = last;
        let found: Vec<Value> = if attr.is_ref() {
            self.linked(entity, attr, *forward).into_iter().map(|u| json!(u.to_string())).collect()
        } else {
            self.app.triples.values(entity, attr.id).iter().map(|s| s.value.clone()).collect()
        };
        let data_type = attr.checked_type;
        let equal = |a: &Value, b: &Value| match data_type {
            Some(DataType::Date) => match (values::date_millis(a), values::date_millis(b)) {
                (Some(x), Some(y)) => x == y,
                _ => values::json_eq(a, b),
            },
            _ => values::json_eq(a, b),
        };
        // Values stored before a type was enforced are never ordered against typed literals.
        let fits = |x: &Value| !x.is_null() && data_type.is_none_or(|t| values::fits_type(x, t));
        match op {
            ROp::Eq(v) => found.iter().any(|x| equal(x, v)),
            ROp::In { values, null } => {
                (*null && (found.is_empty() || found.iter().any(Value::is_null)))
                    || found.iter().any(|x| values.iter().any(|v| equal(x, v)))
            }
            ROp::Not(v) => found.is_empty() || found.iter().any(|x| !equal(x, v)),
            ROp::IsNull(true) => found.iter().all(Value::is_null),
            ROp::IsNull(false) => found.iter().any(|x| !x.is_null()),
            ROp::Compare(comparison, v) => found.iter().filter(|x| fits(x)).any(|x| {
                let ordering = values::compare(x, v, data_type);
                match comparison {
                    Comparison::Gt => ordering.is_gt(),
                    Comparison::Gte => ordering.is_ge(),
                    Comparison::Lt => ordering.is_lt(),
                    Comparison::Lte => ordering.is_le(),
                }
            }),
            ROp::Like { pattern, case_insensitive } => {
                found.iter().filter_map(Value::as_str).any(|x| values::like(x, pattern, *case_insensitive))
            }
        }
    }
}
