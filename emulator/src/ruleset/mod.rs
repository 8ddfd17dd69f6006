//! A rules document and its compiled programs (spec §9.2): finding the rule that governs an
//! action, wrapping it in the document's binds and compiling it once per document
//! (`get-program!`, `with-binds` in the real server's `rule.clj`), and validating whole
//! documents ([`document`]). Below the store, which holds each app's [`Rules`]; evaluating
//! them against data is `rules`' job.

pub mod document;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::cel;
use crate::error::{ApiError, ApiResult};

/// The server's system namespaces (`system-catalog/all-etypes`): the ones with fallback rules.
pub const SYSTEM_ETYPES: [&str; 10] = [
    "$users",
    "$magicCodes",
    "$userRefreshTokens",
    "$oauthProviders",
    "$oauthUserLinks",
    "$oauthClients",
    "$oauthCodes",
    "$oauthRedirects",
    "$files",
    "$streams",
];

/// Variables a rule for `action` may use (the server declares a compiler per action).
pub fn declared_vars(action: &str) -> &'static [&'static str] {
    match action {
        "view" | "delete" => &["data", "auth", "ruleParams", "request", "rateLimit"],
        "link" => &["data", "auth", "ruleParams", "request", "rateLimit", "newData", "linkedData", "actions"],
        "unlink" => &["data", "auth", "ruleParams", "request", "rateLimit", "newData", "linkedData"],
        _ => &["data", "auth", "ruleParams", "request", "rateLimit", "newData"],
    }
}

/// A compiled rule, with the texts a perms check reports.
#[derive(Debug)]
pub struct RuleProgram {
    /// The namespace the rule was looked up for.
    pub etype: String,
    /// The action it governs (`view`, `create`, ..., `link`, `unlink`).
    pub action: String,
    /// The code evaluated: the rule wrapped in the binds it uses.
    pub code: String,
    /// The rule as written (or the system fallback's name).
    pub display_code: String,
    program: cel::Program,
}

impl RuleProgram {
    /// The compiled program.
    pub fn program(&self) -> &cel::Program {
        &self.program
    }

    /// `{"etype", "action", "code", "display-code"}` as the perms-check routes report a program.
    pub fn describe(&self) -> Value {
        json!({"etype": self.etype, "action": self.action, "code": self.code, "display-code": self.display_code})
    }
}

/// A rules document with its compiled programs, cached by lookup (the real server caches by
/// document and paths). Shared between copies of an app; replaced when the rules change.
#[derive(Debug, Default)]
pub struct Rules {
    document: Value,
    cache: Mutex<HashMap<String, Option<Arc<RuleProgram>>>>,
}

impl Clone for Rules {
    fn clone(&self) -> Self {
        Rules::new(self.document.clone())
    }
}

/// Where a lookup may find its rule, in order: a path into the document, or the system
/// fallback for an action.
enum Source {
    Path(Vec<String>),
    Fallback,
}

impl Rules {
    /// Rules from a (validated) document; `{}` means none.
    pub fn new(document: Value) -> Rules {
        Rules { document, cache: Mutex::new(HashMap::new()) }
    }

    /// The document as set.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The program for `action` on `etype`: `<etype>.allow.<action>` → `<etype>.allow.$default`
    /// → `$default.allow.<action>` → `$default.allow.$default` → the system fallback. `None`:
    /// no rule applies (allowed).
    pub fn program(&self, etype: &str, action: &str) -> ApiResult<Option<Arc<RuleProgram>>> {
        let paths =
            [[etype, "allow", action], [etype, "allow", "$default"], ["$default", "allow", action], ["$default", "allow", "$default"]];
        let mut sources: Vec<Source> = paths.iter().map(|p| Source::Path(p.iter().map(|s| s.to_string()).collect())).collect();
        sources.push(Source::Fallback);
        self.lookup(etype, action, sources)
    }

    /// The `link`/`unlink` program of `namespace`'s `label` (`<ns>.allow.link.<label>` →
    /// `<ns>.allow.link.$default`), compiled with `etype`'s binds as the server does.
    pub fn link_program(&self, etype: &str, action: &str, namespace: &str, label: &str) -> ApiResult<Option<Arc<RuleProgram>>> {
        let sources = [label, "$default"]
            .into_iter()
            .map(|last| Source::Path(vec![namespace.to_owned(), "allow".to_owned(), action.to_owned(), last.to_owned()]))
            .collect();
        self.lookup(etype, action, sources)
    }

    /// The `fields` rule hiding `field` of `etype` from viewers, if any.
    pub fn field_program(&self, etype: &str, field: &str) -> ApiResult<Option<Arc<RuleProgram>>> {
        let path = vec![etype.to_owned(), "fields".to_owned(), field.to_owned()];
        if field == "id" && at(&self.document, &path).is_some() {
            return Err(ApiError::validation("permission", json!(path), vec![json!({"message": id_field_message(etype)})]));
        }
        self.lookup(etype, "view", vec![Source::Path(path)])
    }

    /// Labels of `etype` that have a `fields` rule.
    pub fn field_labels(&self, etype: &str) -> Vec<String> {
        let fields = self.document.get(etype).and_then(|ns| ns.get("fields")).and_then(Value::as_object);
        fields.map(|f| f.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.clone()).collect()).unwrap_or_default()
    }

    fn lookup(&self, etype: &str, action: &str, sources: Vec<Source>) -> ApiResult<Option<Arc<RuleProgram>>> {
        let key = cache_key(etype, action, &sources);
        if let Some(found) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(found.clone());
        }
        let found = self.find(etype, action, &sources)?.map(Arc::new);
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, found.clone());
        Ok(found)
    }

    fn find(&self, etype: &str, action: &str, sources: &[Source]) -> ApiResult<Option<RuleProgram>> {
        for source in sources {
            match source {
                Source::Path(path) => {
                    let Some(rule) = at(&self.document, path) else { continue };
                    let display_code = patch_code(rule).ok_or_else(|| unexpected(path))?;
                    let code = with_binds(&self.document, etype, &display_code).map_err(|messages| permission_error(path, messages))?;
                    let program = cel::compile(&code, declared_vars(action)).map_err(|e| permission_error(path, e.messages()))?;
                    return Ok(Some(RuleProgram { etype: etype.into(), action: action.into(), code, display_code, program }));
                }
                Source::Fallback => return Ok(fallback(etype, action)),
            }
        }
        Ok(None)
    }
}

fn cache_key(etype: &str, action: &str, sources: &[Source]) -> String {
    let mut key = format!("{etype}\u{0}{action}");
    for source in sources {
        match source {
            Source::Path(path) => {
                key.push('\u{1}');
                key.push_str(&path.join("\u{0}"));
            }
            Source::Fallback => key.push('\u{2}'),
        }
    }
    key
}

/// The value at `path`, `None` when absent or JSON `null` (unset, as in `get-program!`).
fn at<'a>(document: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(document, |value, key| value.get(key)).filter(|v| !v.is_null())
}

/// A rule's source text: strings as written, JSON booleans as `"true"`/`"false"` (`patch-code`).
pub fn patch_code(rule: &Value) -> Option<String> {
    match rule {
        Value::String(code) => Some(code.clone()),
        Value::Bool(pass) => Some(pass.to_string()),
        _ => None,
    }
}

/// The message for a `fields` rule on `id`.
pub fn id_field_message(etype: &str) -> String {
    format!("You cannot set field rules for `id`. Use {etype} -> allow -> view instead")
}

fn unexpected(path: &[String]) -> ApiError {
    ApiError::validation("permission", json!(path), vec![json!({"message": "There was an unexpected error evaluating the rules"})])
}

fn permission_error(path: &[String], messages: Vec<String>) -> ApiError {
    ApiError::validation("permission", json!(path), messages.into_iter().map(|m| json!({ "message": m })).collect())
}

/// `bind` as a flat list `[name, expr, ...]` (object or array form).
pub fn normalize_bind(bind: &Value) -> Vec<Value> {
    match bind {
        Value::Object(map) => map.iter().flat_map(|(k, v)| [json!(k), v.clone()]).collect(),
        Value::Array(items) => items.clone(),
        _ => Vec::new(),
    }
}

/// Wraps `expr` in `cel.bind(name, bindExpr, ...)` for each bind of `$default` and `etype` it
/// uses, directly or through other binds, dependencies outermost (`with-binds`). Errors are
/// the messages a rules document reports.
pub fn with_binds(document: &Value, etype: &str, expr: &str) -> Result<String, Vec<String>> {
    let mut binds = normalize_bind(document.get("$default").and_then(|d| d.get("bind")).unwrap_or(&Value::Null));
    binds.extend(normalize_bind(document.get(etype).and_then(|d| d.get("bind")).unwrap_or(&Value::Null)));
    if binds.len() % 2 != 0 {
        return Err(vec!["bind should have an even number of elements".to_owned()]);
    }
    if binds.is_empty() {
        return Ok(expr.to_owned());
    }
    let mut bind_map: HashMap<String, String> = HashMap::new();
    let mut names = Vec::new();
    for pair in binds.chunks(2) {
        let name = pair[0].as_str().map(str::to_owned).unwrap_or_else(|| pair[0].to_string());
        let body = pair[1].as_str().map(str::to_owned).unwrap_or_else(|| pair[1].to_string());
        if !bind_map.contains_key(&name) {
            names.push(name.clone());
        }
        bind_map.insert(name, body);
    }
    let keys: BTreeSet<String> = bind_map.keys().cloned().collect();
    let uses = |code: &str| -> Result<BTreeSet<String>, Vec<String>> {
        let idents = cel::idents(code).map_err(|e| e.messages())?;
        Ok(idents.intersection(&keys).cloned().collect())
    };
    // Breadth-first from the rule: which binds are used, and what each bind uses.
    let mut used: Vec<String> = Vec::new();
    let mut references: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut queue: Vec<(Option<String>, String)> = vec![(None, expr.to_owned())];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    while !queue.is_empty() {
        let (source, code) = queue.remove(0);
        let found = uses(&code)?;
        if let Some(source) = source {
            references.insert(source, found.clone());
        }
        for name in found {
            if seen.insert(name.clone()) {
                used.push(name.clone());
                queue.push((Some(name.clone()), bind_map[&name].clone()));
            }
        }
    }
    let order = sort_binds(&used, &references)?;
    let mut code = expr.to_owned();
    for name in order {
        code = format!("cel.bind({name}, {}, {code})", bind_map[&name]);
    }
    Ok(code)
}

/// Binds in wrapping order (innermost first): a bind comes before the binds it depends on.
fn sort_binds(used: &[String], references: &HashMap<String, BTreeSet<String>>) -> Result<Vec<String>, Vec<String>> {
    fn visit(
        name: &str,
        path: &mut Vec<String>,
        references: &HashMap<String, BTreeSet<String>>,
        seen: &mut BTreeSet<String>,
        visiting: &mut BTreeSet<String>,
        finished: &mut Vec<String>,
    ) -> Result<(), Vec<String>> {
        if seen.contains(name) {
            return Ok(());
        }
        if !visiting.insert(name.to_owned()) {
            return Err(vec![format!("The binds have a cyclic dependency {}", path.join(" -> "))]);
        }
        for dependency in references.get(name).into_iter().flatten() {
            path.push(dependency.clone());
            visit(dependency, path, references, seen, visiting, finished)?;
            path.pop();
        }
        seen.insert(name.to_owned());
        finished.push(name.to_owned());
        Ok(())
    }
    let (mut seen, mut visiting, mut finished) = (BTreeSet::new(), BTreeSet::new(), Vec::new());
    for name in used {
        visit(name, &mut vec![name.clone()], references, &mut seen, &mut visiting, &mut finished)?;
    }
    finished.reverse();
    Ok(finished)
}

/// The system namespaces' built-in rules (`fallback-program`); `None` for app namespaces.
fn fallback(etype: &str, action: &str) -> Option<RuleProgram> {
    if !SYSTEM_ETYPES.contains(&etype) {
        return None;
    }
    let users_self = "auth.id == data.id || (data.linkedPrimaryUser != null && auth.id == data.linkedPrimaryUser)";
    let (code, display_code) = match (etype, action) {
        ("$users", "create") => ("true".to_owned(), "true".to_owned()),
        ("$users", "view" | "update") => (users_self.to_owned(), users_self.to_owned()),
        ("$files", "view" | "create" | "update" | "delete") => ("false".to_owned(), "false".to_owned()),
        _ => ("false".to_owned(), format!("disallow_{action}_on_system_tables")),
    };
    let program = cel::compile(&code, declared_vars(action)).ok()?;
    Some(RuleProgram { etype: etype.into(), action: action.into(), code, display_code, program })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order_follows_get_program() {
        let rules = Rules::new(json!({
            "goals": {"allow": {"view": "true", "$default": "false", "create": null}},
            "$default": {"allow": {"delete": "auth.id != null", "$default": "1 == 1"}}
        }));
        let code = |etype: &str, action: &str| rules.program(etype, action).unwrap().map(|p| p.display_code.clone());
        assert_eq!(code("goals", "view").as_deref(), Some("true"));
        assert_eq!(code("goals", "create").as_deref(), Some("false"), "null is unset");
        assert_eq!(code("todos", "delete").as_deref(), Some("auth.id != null"));
        assert_eq!(code("todos", "update").as_deref(), Some("1 == 1"));
        assert_eq!(Rules::new(json!({})).program("todos", "view").unwrap().map(|p| p.code.clone()), None);
        let fallback = Rules::new(json!({})).program("$users", "view").unwrap().unwrap();
        assert!(fallback.code.starts_with("auth.id == data.id"));
        let closed = Rules::new(json!({})).program("$streams", "update").unwrap().unwrap();
        assert_eq!((closed.code.as_str(), closed.display_code.as_str()), ("false", "disallow_update_on_system_tables"));
    }

    #[test]
    fn binds_wrap_what_the_rule_uses_dependencies_outermost() {
        let document = json!({
            "$default": {"bind": ["isSignedIn", "auth.id != null"]},
            "todos": {"bind": {"isOwner": "isSignedIn && auth.id == data.ownerId", "unused": "false"}}
        });
        let code = with_binds(&document, "todos", "isOwner || data.public").unwrap();
        assert_eq!(
            code,
            "cel.bind(isSignedIn, auth.id != null, cel.bind(isOwner, isSignedIn && auth.id == data.ownerId, isOwner || data.public))"
        );
        assert_eq!(with_binds(&document, "todos", "true").unwrap(), "true");
        let cyclic = json!({"todos": {"bind": ["a", "b", "b", "a"]}});
        assert_eq!(with_binds(&cyclic, "todos", "a").unwrap_err(), vec!["The binds have a cyclic dependency a -> b -> a".to_owned()]);
        let odd = json!({"todos": {"bind": ["a"]}});
        assert_eq!(with_binds(&odd, "todos", "a").unwrap_err(), vec!["bind should have an even number of elements".to_owned()]);
    }

    #[test]
    fn field_rules_on_id_are_refused() {
        let rules = Rules::new(json!({"users": {"fields": {"id": "false", "email": "auth.id == data.id"}}}));
        assert_eq!(rules.field_program("users", "id").unwrap_err().error_type(), Some("validation-failed"));
        assert!(rules.field_program("users", "email").unwrap().is_some());
        assert_eq!(rules.field_labels("users"), vec!["id".to_owned(), "email".to_owned()]);
    }
}
