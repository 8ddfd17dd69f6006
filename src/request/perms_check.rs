//! `POST /admin/query_perms_check` and `POST /admin/transact_perms_check` (spec §3.4, §3.5):
//! a query or a transaction run as the impersonated user, answering every permission check
//! with its result, as `@instantdb/admin`'s `debugQuery` / `debugTransact` send them. The
//! query and the steps are checked as for [`super::query`] and [`super::transact`].
//!
//! The server requires the admin token *and* an impersonation on these routes; like the
//! official client, neither is demanded here beyond what `query` demands, so a call without
//! `asUser` is sent and the server answers 400 (`Cannot test perms as admin`).

use crate::prelude::*;

use super::{admin_url, HttpRequest, Impersonation};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::Payload;
use crate::json::{JsonView, Kind};
use crate::Value;

/// What a permission check runs with instead of the app's own, and how: the body's
/// `rules-override`, `ip-override`, `origin-override`, `inference?` and `dangerously-commit-tx`.
///
/// ```
/// use instant_edge::{request::perms_check::{rules, CheckOptions}, value};
/// let checks = CheckOptions {
///     rules: Some(rules(&&value!({ "goals": { "allow": { "view": "false" } } })).unwrap()),
///     ip: Some("203.0.113.7".into()),
///     ..CheckOptions::default()
/// };
/// assert_eq!(checks.origin, None);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckOptions {
    /// A whole rules document used instead of the app's stored rules, checked by [`rules`].
    pub rules: Option<Payload>,
    /// `request.ip` as the rules see it (an empty string is not sent, as in the official client).
    pub ip: Option<String>,
    /// `request.origin` as the rules see it (an empty string is not sent).
    pub origin: Option<String>,
    /// `debugQuery`'s `cardinalityInference`: `inference?` instead of "has a schema".
    pub inference: Option<bool>,
    /// `debugTransact`'s private `__dangerouslyCommit`: keep the transaction when every check
    /// passes (by default it is always rolled back).
    pub commit: Option<bool>,
}

/// A rules document as the `rules-override` part: an object, or `null` (the stored rules),
/// which `JSON.stringify` sends as is.
///
/// ```
/// use instant_edge::{request::perms_check::rules, value};
/// assert!(rules(&&value!({ "goals": { "allow": { "view": "true" } } })).is_ok());
/// assert!(rules(&&value!("allow everything")).is_err());
/// ```
pub fn rules<J: JsonView>(rules: &J) -> Result<Payload> {
    match rules.kind() {
        Kind::Object | Kind::Null => Ok(rules.payload()),
        _ => Err(Error::invalid("rules", "must be an object of rules")),
    }
}

/// `POST /admin/query_perms_check?app_id=…` with `{"query", "rules-override"?, "inference?",
/// "ip-override"?, "origin-override"?}`: [`super::query`]'s request (its checks, headers, rule
/// params first inside the query) on another route. Read-only, so retried like a query.
///
/// ```
/// use instant_edge::{host, value, Config, Impersonation};
/// use instant_edge::request::perms_check::{query_perms_check, rules, CheckOptions};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let rules = rules(&&value!({ "goals": { "allow": { "view": "auth.id != null" } } })).unwrap();
/// let checks = CheckOptions { rules: Some(rules), ..CheckOptions::default() };
/// let req = query_perms_check(&config, Some(&Impersonation::Guest), &&value!({ "goals": {} }), None, checks).unwrap();
/// assert!(req.url.ends_with("/admin/query_perms_check?app_id=8aa64e4c-64f9-472e-8a61-3fa28870e6cb"));
/// assert_eq!(req.header("as-guest"), Some("true"));
/// assert_eq!(
///     host::native::body_text(&req).as_deref(),
///     Some(r#"{"query":{"goals":{}},"rules-override":{"goals":{"allow":{"view":"auth.id != null"}}},"inference?":false}"#)
/// );
/// ```
pub fn query_perms_check<J: JsonView>(
    config: &Config,
    who: Option<&Impersonation>,
    query: &J,
    rule_params: Option<&J>,
    checks: CheckOptions,
) -> Result<HttpRequest> {
    Ok(checked(config, super::query(config, who, query, rule_params)?, true, checks))
}

/// `POST /admin/transact_perms_check?app_id=…` with `{"steps", "rules-override"?,
/// "dangerously-commit-tx"?, "ip-override"?, "origin-override"?}`: [`super::transact`]'s
/// request on another route, without `throw-on-missing-attrs?` (the official client sends
/// none here). Retried like a transaction: it may commit.
///
/// ```
/// use instant_edge::{host, value, Config, Impersonation};
/// use instant_edge::request::perms_check::{transact_perms_check, CheckOptions};
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888").unwrap()
///     .with_admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// let steps = value!([["delete", "goals", "11111111-2222-4333-8444-555555555555", null]]);
/// let checks = CheckOptions { origin: Some("https://example.com".into()), ..CheckOptions::default() };
/// let req = transact_perms_check(&config, Some(&Impersonation::Guest), &&steps, checks).unwrap();
/// assert_eq!(
///     host::native::body_text(&req).as_deref(),
///     Some(r#"{"steps":[["delete","goals","11111111-2222-4333-8444-555555555555",null]],"origin-override":"https://example.com"}"#)
/// );
/// ```
pub fn transact_perms_check<J: JsonView>(
    config: &Config,
    who: Option<&Impersonation>,
    steps: &J,
    checks: CheckOptions,
) -> Result<HttpRequest> {
    Ok(checked(config, super::transact(config, who, steps)?, false, checks))
}

/// A [`super::query`] (`is_query`) or [`super::transact`] request, whose body is `[query or
/// steps, flag]`, as its permission check: the other route, and the body in the official
/// order — the first part, the rules, `inference?` (queries) or `dangerously-commit-tx`
/// (transactions, when given) in place of the flag, then the request overrides, sent only when
/// non-empty (`if (opts?.ip)`). Not generic, and the JS exports call it once for both.
pub(crate) fn checked(config: &Config, mut request: HttpRequest, is_query: bool, checks: CheckOptions) -> HttpRequest {
    let (route, middle) = match is_query {
        true => ("query_perms_check", Some(("inference?", checks.inference.unwrap_or(config.has_schema)))),
        false => ("transact_perms_check", checks.commit.map(|commit| ("dangerously-commit-tx", commit))),
    };
    request.url = admin_url(config, route);
    if let Some(Payload::Object(parts)) = &mut request.body {
        parts.truncate(1);
        if let Some(rules) = checks.rules {
            parts.push(("rules-override", rules));
        }
        if let Some((key, flag)) = middle {
            parts.push((key, Payload::Value(Value::Bool(flag))));
        }
        if let Some(ip) = checks.ip.filter(|ip| !ip.is_empty()) {
            parts.push(("ip-override", Payload::Value(Value::String(ip))));
        }
        if let Some(origin) = checks.origin.filter(|origin| !origin.is_empty()) {
            parts.push(("origin-override", Payload::Value(Value::String(origin))));
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::native::body_text;
    use crate::value;

    const APP: &str = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
    const TOKEN: &str = "0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0";
    const GOAL: &str = "11111111-2222-4333-8444-555555555555";

    fn config() -> Config {
        Config::new(APP, "http://127.0.0.1:8888").unwrap().with_admin_token(TOKEN).unwrap()
    }

    fn goals() -> Value {
        value!({ "goals": {} })
    }

    #[test]
    fn every_query_option_in_the_official_order() {
        let checks = CheckOptions {
            rules: Some(rules(&&value!({ "goals": { "allow": { "view": "ruleParams.k == 'v'" } } })).unwrap()),
            ip: Some("203.0.113.7".into()),
            origin: Some("https://a.example".into()),
            inference: Some(true),
            commit: Some(true),
        };
        let who = Impersonation::Email("alyssa@example.com".into());
        let req = query_perms_check(&config(), Some(&who), &&goals(), Some(&&value!({ "k": "v" })), checks).unwrap();
        assert_eq!((req.method, req.idempotent), ("POST", true));
        assert_eq!(req.url, format!("http://127.0.0.1:8888/admin/query_perms_check?app_id={APP}"));
        assert_eq!(req.header("as-email"), Some("alyssa@example.com"));
        assert_eq!(req.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
        assert_eq!(
            body_text(&req).as_deref(),
            Some(concat!(
                r#"{"query":{"$$ruleParams":{"k":"v"},"goals":{}},"#,
                r#""rules-override":{"goals":{"allow":{"view":"ruleParams.k == 'v'"}}},"inference?":true,"#,
                r#""ip-override":"203.0.113.7","origin-override":"https://a.example"}"#
            )),
            "no dangerously-commit-tx for queries"
        );
    }

    #[test]
    fn inference_follows_the_schema_unless_given() {
        let schema = config().with_schema(true);
        let req = query_perms_check(&schema, None, &&goals(), None, CheckOptions::default()).unwrap();
        assert_eq!(body_text(&req).as_deref(), Some(r#"{"query":{"goals":{}},"inference?":true}"#));
        let off = CheckOptions { inference: Some(false), ..CheckOptions::default() };
        let req = query_perms_check(&schema, None, &&goals(), None, off).unwrap();
        assert_eq!(body_text(&req).as_deref(), Some(r#"{"query":{"goals":{}},"inference?":false}"#));
    }

    #[test]
    fn empty_overrides_are_not_sent_and_null_rules_are() {
        let checks = CheckOptions {
            rules: Some(rules(&&Value::Null).unwrap()),
            ip: Some(String::new()),
            origin: Some(String::new()),
            ..CheckOptions::default()
        };
        let req = transact_perms_check(&config().with_schema(true), Some(&Impersonation::Guest), &&value!([]), checks).unwrap();
        assert_eq!(body_text(&req).as_deref(), Some(r#"{"steps":[],"rules-override":null}"#), "no throw-on-missing-attrs? either");
        assert!(!req.idempotent, "it may commit: retried like a transaction");
    }

    #[test]
    fn every_transact_option_in_the_official_order() {
        let checks = CheckOptions {
            rules: Some(rules(&&value!({ "goals": { "allow": { "delete": "false" } } })).unwrap()),
            ip: Some("::1".into()),
            origin: Some("o".into()),
            inference: Some(true),
            commit: Some(false),
        };
        let steps = value!([["delete", "goals", GOAL, null]]);
        let req = transact_perms_check(&config(), Some(&Impersonation::Guest), &&steps, checks).unwrap();
        assert_eq!(req.url, format!("http://127.0.0.1:8888/admin/transact_perms_check?app_id={APP}"));
        assert_eq!(
            body_text(&req).as_deref(),
            Some(concat!(
                r#"{"steps":[["delete","goals","11111111-2222-4333-8444-555555555555",null]],"#,
                r#""rules-override":{"goals":{"allow":{"delete":"false"}}},"dangerously-commit-tx":false,"ip-override":"::1","origin-override":"o"}"#
            )),
            "no inference? for transactions"
        );
    }

    #[test]
    fn bad_input_is_rejected_before_sending() {
        let none = CheckOptions::default;
        let invalid = |result: Result<HttpRequest>| match result {
            Err(Error::InvalidArgument { what, .. }) => what,
            other => panic!("expected invalid-argument, got {other:?}"),
        };
        assert_eq!(invalid(query_perms_check(&config(), None, &&value!([]), None, none())), "query");
        assert_eq!(invalid(query_perms_check(&config(), None, &&value!({ "goals": 1 }), None, none())), "query.goals");
        assert_eq!(invalid(query_perms_check(&config(), None, &&goals(), Some(&&value!([])), none())), "ruleParams");
        assert_eq!(invalid(transact_perms_check(&config(), None, &&value!([["update", "goals", "goal-1", {}]]), none())), "steps[0][2]");
        assert_eq!(invalid(transact_perms_check(&config(), None, &&value!({}), none())), "steps");
        assert_eq!(invalid(rules(&&value!("allow everything")).map(|_| HttpRequest::new("GET", String::new(), vec![]))), "rules");
        assert_eq!(invalid(rules(&&value!([])).map(|_| HttpRequest::new("GET", String::new(), vec![]))), "rules");
        let no_token = Config::new(APP, "http://x").unwrap();
        assert_eq!(invalid(query_perms_check(&no_token, None, &&goals(), None, none())), "adminToken");
    }

    #[test]
    fn token_and_guest_impersonation_go_without_the_admin_token_as_for_query() {
        // The server wants the token on these routes; the official client sends without it and
        // the server answers 400, so this does too.
        let no_token = Config::new(APP, "http://x").unwrap();
        let req = transact_perms_check(&no_token, Some(&Impersonation::Guest), &&value!([]), CheckOptions::default()).unwrap();
        assert_eq!((req.header("authorization"), req.header("as-guest")), (None, Some("true")));
    }
}
