//! Compile-time issues and evaluation errors, formatted the way cel-java prints them.

use std::fmt;

/// One problem found while compiling a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// The bare message, e.g. `undeclared reference to 'foo' (in container '')`. This is what the
    /// server puts in a rule validation error (`CelIssue.getMessage`).
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

/// Why a rule did not compile: syntax errors, type errors, undeclared names, validation errors.
///
/// `Display` renders every issue as cel-java does (`ERROR: <input>:1:5: message` followed by the
/// source line and a caret), which is the text of a `CelValidationException`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    source: String,
    issues: Vec<Issue>,
}

impl CompileError {
    /// Builds an error from `(byte offset, message)` pairs in `source`.
    pub(crate) fn new(source: &str, problems: Vec<(usize, String)>) -> CompileError {
        let issues = problems
            .into_iter()
            .map(|(offset, message)| {
                let (line, column) = line_column(source, offset);
                Issue { message, line, column }
            })
            .collect();
        CompileError { source: source.to_string(), issues }
    }

    /// An error placed at line 1, column 1, as cel-java places limit errors.
    pub(crate) fn at_start(source: &str, message: String) -> CompileError {
        CompileError { source: source.to_string(), issues: vec![Issue { message, line: 1, column: 1 }] }
    }

    /// Every issue, in source order of discovery.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// The bare messages of every issue (what the server lists in a validation error).
    pub fn messages(&self) -> Vec<String> {
        self.issues.iter().map(|i| i.message.clone()).collect()
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, issue) in self.issues.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            write!(f, "ERROR: <input>:{}:{}: {}", issue.line, issue.column, issue.message)?;
            if let Some(snippet) = self.source.split('\n').nth(issue.line - 1) {
                let snippet = snippet.trim_end_matches('\r').replace('\t', " ");
                let dots: String = ".".repeat(issue.column - 1);
                write!(f, "\n | {snippet}\n | {dots}^")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

/// 1-based line and character column of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Why evaluating a rule failed (the server answers `permission-evaluation-failed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    message: String,
    /// Character offset of the failing expression in the source, once known.
    position: Option<usize>,
}

impl EvalError {
    /// An error with a message and no position (for `Env` implementations).
    pub fn new(message: impl Into<String>) -> EvalError {
        EvalError { message: message.into(), position: None }
    }

    /// The bare message, e.g. `/ by zero`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Character offset in the rule source of the expression that failed, when known.
    pub fn position(&self) -> Option<usize> {
        self.position
    }

    /// Places the error at a byte offset unless it already has a place (the innermost wins).
    pub(crate) fn at(mut self, byte_offset: usize) -> EvalError {
        if self.position.is_none() {
            self.position = Some(byte_offset);
        }
        self
    }

    /// Converts the stored byte offset into a character offset of `source`.
    pub(crate) fn with_char_position(mut self, source: &str) -> EvalError {
        if let Some(byte) = self.position {
            self.position = Some(source.get(..byte.min(source.len())).map_or(byte, |s| s.chars().count()));
        }
        self
    }
}

impl fmt::Display for EvalError {
    /// cel-java's `CelEvaluationException` text: `evaluation error at <input>:12: / by zero`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "evaluation error at <input>:{p}: {}", self.message),
            None => write!(f, "evaluation error: {}", self.message),
        }
    }
}

impl std::error::Error for EvalError {}
