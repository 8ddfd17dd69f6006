//! The syntax tree: what the parser builds, the checker annotates and the evaluator walks.

use std::sync::Arc;

use super::value::Value;

/// One expression node and the byte offset the server would report for it.
#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub pos: usize,
    /// Height of the subtree (a leaf is 1); bounded so that checking and evaluation, which
    /// recurse, cannot overflow the stack.
    pub depth: u16,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Lit(Value),
    Ident(String),
    /// `operand.field`; `test` marks the `has(operand.field)` macro.
    Select {
        operand: Box<Expr>,
        field: String,
        test: bool,
    },
    /// Functions, methods and operators (named as cel-java names them: `_+_`, `!_`, `@in`, ...).
    Call(Call),
    /// `_&&_` and `_||_`, which absorb errors instead of propagating them.
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `cond ? then : otherwise`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    /// The comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`).
    Loop(Box<Loop>),
    /// `cel.bind(var, init, body)`.
    Bind {
        var: String,
        init: Box<Expr>,
        body: Box<Expr>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub name: String,
    pub target: Option<Box<Expr>>,
    pub args: Vec<Expr>,
    /// Set by the checker; the evaluator dispatches on it instead of on `name`.
    pub func: Func,
    /// `matches` with a literal pattern: compiled once, at check time.
    pub regex: Option<Arc<regex_lite::Regex>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoopKind {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

/// `range.kind(var, body)`, or `range.map(var, filter, body)` when `filter` is set.
#[derive(Clone, Debug)]
pub(crate) struct Loop {
    pub kind: LoopKind,
    pub var: String,
    pub range: Expr,
    pub filter: Option<Expr>,
    pub body: Expr,
}

/// The builtin a call resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Unresolved,
    Not,
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    In,
    Index,
    Size,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    ToInt,
    ToUint,
    ToDouble,
    ToString,
    ToBytes,
    ToBool,
    ToDuration,
    ToTimestamp,
    Dyn,
    TypeOf,
    GetFullYear,
    GetMonth,
    GetDayOfYear,
    GetDayOfMonth,
    GetDate,
    GetDayOfWeek,
    GetHours,
    GetMinutes,
    GetSeconds,
    GetMilliseconds,
    GetTime,
    Ref,
    Limit,
    CharAt,
    IndexOf,
    LastIndexOf,
    LowerAscii,
    UpperAscii,
    Replace,
    Split,
    Substring,
    Trim,
    Join,
    Greatest,
    Least,
    Abs,
    Sign,
    Ceil,
    Floor,
    Round,
    Trunc,
    IsNaN,
    IsInf,
    IsFinite,
}

impl Expr {
    /// Children in evaluation order (used by the tree walks that collect facts).
    pub(crate) fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            Kind::Lit(_) | Kind::Ident(_) => vec![],
            Kind::Select { operand, .. } => vec![operand],
            Kind::Call(c) => c.target.iter().map(|t| &**t).chain(c.args.iter()).collect(),
            Kind::And(a, b) | Kind::Or(a, b) => vec![a, b],
            Kind::Cond(a, b, c) => vec![a, b, c],
            Kind::List(items) => items.iter().collect(),
            Kind::Map(entries) => entries.iter().flat_map(|(k, v)| [k, v]).collect(),
            Kind::Loop(l) => [Some(&l.range), l.filter.as_ref(), Some(&l.body)].into_iter().flatten().collect(),
            Kind::Bind { init, body, .. } => vec![init, body],
        }
    }
}
