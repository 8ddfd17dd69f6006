//! Injected failures for client tests (`POST /__emulator/faults`): requests whose path starts
//! with a prefix answer a chosen status with an Instant-shaped error body, for a while or for a
//! number of requests. Not part of Instant's API; the control surface itself is never faulted.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One armed fault.
#[derive(Clone, Debug)]
pub struct Fault {
    /// Requests whose path starts with this fail.
    pub path_prefix: String,
    /// Only requests with this method (upper case) fail; any when `None`.
    pub method: Option<String>,
    /// Only requests naming this app fail (see [`crate::request_log::app_id_of`]); any when
    /// `None`. Lets tests running side by side fault their own app only.
    pub app_id: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// The body's `type`.
    pub error_type: String,
    /// The body's `message`.
    pub message: String,
    /// Until when (monotonic clock, so the emulator's test clock does not move it).
    pub until: Option<Instant>,
    /// How many more requests fail.
    pub remaining: Option<u64>,
}

/// The body's `type` and `message` for `status`, unless the fault names its own: the types
/// the server uses where it has one (`rate-limited`, `unknown`), descriptive ones otherwise.
pub fn default_error(status: u16) -> (&'static str, &'static str) {
    match status {
        401 => ("unauthorized", "Unauthorized (a fault injected by instant-emulator)."),
        403 => ("forbidden", "Forbidden (a fault injected by instant-emulator)."),
        404 => ("not-found", "Not found (a fault injected by instant-emulator)."),
        429 => ("rate-limited", "You're making too many requests. Please email support@instantdb.com or ask for help in the Discord."),
        500 => ("unknown", "Something went wrong. Sorry about this!"),
        502 => ("bad-gateway", "Bad gateway (a fault injected by instant-emulator)."),
        503 => ("service-unavailable", "Service unavailable (a fault injected by instant-emulator)."),
        504 => ("gateway-timeout", "Gateway timeout (a fault injected by instant-emulator)."),
        _ => ("injected-fault", "A fault injected by instant-emulator."),
    }
}

impl Fault {
    /// Parses a `POST /__emulator/faults` body: `{"path-prefix", "status", "for-ms"?, "count"?,
    /// "method"?, "app-id"?, "type"?, "message"?}`. Without `for-ms` and `count` the fault lasts until
    /// cleared; with both it ends at whichever comes first.
    pub fn parse(body: &Value, now: Instant) -> Result<Fault, String> {
        let Some(fields) = body.as_object() else { return Err("the body must be a JSON object".into()) };
        const KEYS: [&str; 8] = ["path-prefix", "status", "for-ms", "count", "method", "app-id", "type", "message"];
        if let Some(unknown) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!("unknown fault field `{unknown}`"));
        }
        let path_prefix = fields
            .get("path-prefix")
            .and_then(Value::as_str)
            .filter(|p| p.starts_with('/'))
            .ok_or("`path-prefix` must be a path starting with `/`")?
            .to_owned();
        if path_prefix.starts_with("/__emulator") {
            return Err("the control surface (`/__emulator/`) cannot be faulted".into());
        }
        let status = fields
            .get("status")
            .and_then(Value::as_u64)
            .filter(|s| (400..=599).contains(s))
            .ok_or("`status` must be an HTTP error status (400-599)")? as u16;
        let positive = |key: &str| -> Result<Option<u64>, String> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_u64().filter(|n| *n > 0).map(Some).ok_or(format!("`{key}` must be a positive integer")),
            }
        };
        let until = positive("for-ms")?.map(|ms| now + Duration::from_millis(ms));
        let remaining = positive("count")?;
        let text = |key: &str| -> Result<Option<String>, String> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_str().map(|s| Some(s.to_owned())).ok_or(format!("`{key}` must be a string")),
            }
        };
        let (default_type, default_message) = default_error(status);
        Ok(Fault {
            path_prefix,
            method: text("method")?.map(|m| m.to_ascii_uppercase()),
            app_id: text("app-id")?,
            status,
            error_type: text("type")?.unwrap_or_else(|| default_type.to_owned()),
            message: text("message")?.unwrap_or_else(|| default_message.to_owned()),
            until,
            remaining,
        })
    }

    fn expired(&self, now: Instant) -> bool {
        self.until.is_some_and(|until| now >= until) || self.remaining == Some(0)
    }

    /// The fault as the control surface shows it (`for-ms` and `count` are what is left).
    pub fn to_wire(&self, now: Instant) -> Value {
        json!({
            "path-prefix": self.path_prefix,
            "method": self.method,
            "app-id": self.app_id,
            "status": self.status,
            "type": self.error_type,
            "message": self.message,
            "for-ms": self.until.map(|until| until.saturating_duration_since(now).as_millis() as u64),
            "count": self.remaining,
        })
    }
}

/// The armed faults, first armed first matched.
#[derive(Debug, Default)]
pub struct Faults {
    list: Vec<Fault>,
}

impl Faults {
    /// Arms a fault.
    pub fn add(&mut self, fault: Fault) {
        self.list.push(fault);
    }

    /// Disarms every fault; returns how many were armed.
    pub fn clear(&mut self) -> usize {
        std::mem::take(&mut self.list).len()
    }

    /// The faults still armed.
    pub fn active(&mut self, now: Instant) -> &[Fault] {
        self.list.retain(|f| !f.expired(now));
        &self.list
    }

    /// The fault a request to `method path` runs into, if any (spending one of its `count`).
    pub fn hit(&mut self, method: &str, path: &str, app_id: Option<&str>, now: Instant) -> Option<Fault> {
        self.list.retain(|f| !f.expired(now));
        if path.starts_with("/__emulator/") {
            return None;
        }
        let fault = self.list.iter_mut().find(|f| {
            path.starts_with(&f.path_prefix)
                && f.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.app_id.as_deref().is_none_or(|id| app_id.is_some_and(|app| app.eq_ignore_ascii_case(id)))
        })?;
        if let Some(left) = fault.remaining.as_mut() {
            *left -= 1;
        }
        Some(fault.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_run_out_and_timed_ones_expire() {
        let now = Instant::now();
        let mut faults = Faults::default();
        faults.add(Fault::parse(&json!({"path-prefix": "/admin/query", "status": 401, "count": 2}), now).unwrap());
        faults.add(Fault::parse(&json!({"path-prefix": "/admin/", "status": 503, "for-ms": 100}), now).unwrap());
        let hit = |faults: &mut Faults, path, at| faults.hit("POST", path, None, at).map(|f| (f.status, f.error_type));
        assert_eq!(hit(&mut faults, "/admin/query", now), Some((401, "unauthorized".into())));
        assert_eq!(hit(&mut faults, "/admin/query", now), Some((401, "unauthorized".into())));
        assert_eq!(hit(&mut faults, "/admin/query", now), Some((503, "service-unavailable".into())));
        assert_eq!(hit(&mut faults, "/admin/transact", now + Duration::from_millis(99)).map(|f| f.0), Some(503));
        assert_eq!(hit(&mut faults, "/admin/transact", now + Duration::from_millis(100)), None);
        assert!(faults.active(now).is_empty());
    }

    #[test]
    fn app_scoped_faults_hit_only_their_app() {
        let now = Instant::now();
        let mut faults = Faults::default();
        let app = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";
        faults.add(Fault::parse(&json!({"path-prefix": "/admin/", "status": 503, "app-id": app}), now).unwrap());
        assert!(faults.hit("POST", "/admin/query", None, now).is_none());
        assert!(faults.hit("POST", "/admin/query", Some("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0"), now).is_none());
        assert!(faults.hit("POST", "/admin/query", Some(&app.to_uppercase()), now).is_some());
    }

    #[test]
    fn bad_bodies_are_refused() {
        let now = Instant::now();
        for body in [
            json!({"status": 503}),
            json!({"path-prefix": "admin", "status": 503}),
            json!({"path-prefix": "/admin", "status": 200}),
            json!({"path-prefix": "/admin", "status": 503, "count": 0}),
            json!({"path-prefix": "/admin", "status": 503, "for-ms": "1"}),
            json!({"path-prefix": "/__emulator/reset", "status": 503}),
            json!({"path-prefix": "/admin", "status": 503, "colour": "red"}),
        ] {
            assert!(Fault::parse(&body, now).is_err(), "{body}");
        }
    }

    #[test]
    fn the_control_surface_is_never_faulted() {
        let now = Instant::now();
        let mut faults = Faults::default();
        faults.add(Fault::parse(&json!({"path-prefix": "/", "status": 500}), now).unwrap());
        assert!(faults.hit("POST", "/__emulator/faults", None, now).is_none());
        assert!(faults.hit("GET", "/admin/users", None, now).is_some());
    }
}
