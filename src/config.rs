//! [`Config`]: the app id, admin token and API base, checked before anything is sent.

use crate::prelude::*;
use core::fmt;

use crate::error::{Error, Result};
use crate::schema::Schema;
use crate::uuid::is_uuid;

/// The base URL of Instant Cloud, which shuts down on 2027-08-31. Used only when asked for by
/// name ([`Config::cloud`]) or by the JS `init` when neither `apiURI` nor `INSTANT_API_URI` is given,
/// as `@instantdb/admin` does.
pub const CLOUD_API_URI: &str = "https://api.instantdb.com";

/// An admin token. `Debug` and `Display` print `***`; the token is only ever written into the
/// `authorization` header of requests to the configured API base.
///
/// ```
/// use instant_edge::AdminToken;
/// let token = AdminToken::new("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap();
/// assert_eq!(format!("{token:?} {token}"), "AdminToken(***) ***");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl AdminToken {
    /// Checks the token can travel in a header (non-empty, no control characters). The error
    /// never contains the token.
    pub fn new(token: impl Into<String>) -> Result<AdminToken> {
        let token = token.into();
        let trimmed = token.trim();
        // A header carries Latin-1 only: anything else would fail in `fetch`, after the call
        // started, as a confusing network error.
        if trimmed.is_empty() || trimmed.chars().any(|c| c.is_control() || u32::from(c) > 0xFF) {
            return Err(Error::invalid("adminToken", "must be a non-empty token of printable Latin-1 characters"));
        }
        Ok(AdminToken(trimmed.to_owned()))
    }

    /// The token itself, to hand to where it is needed (a new app's token from the Platform API
    /// to [`crate::InstantBuilder::admin_token`], a secret store): the one way to read it.
    ///
    /// ```
    /// use instant_edge::AdminToken;
    /// assert_eq!(AdminToken::new("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0").unwrap().expose(), "0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(***)")
    }
}

impl fmt::Display for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What a client needs to reach an app.
///
/// ```
/// use instant_edge::Config;
/// let config = Config::new("8aa64e4c-64f9-472e-8a61-3fa28870e6cb", "http://127.0.0.1:8888//").unwrap();
/// assert_eq!(config.api_uri(), "http://127.0.0.1:8888");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    app_id: String,
    api_uri: String,
    pub(crate) admin_token: Option<AdminToken>,
    /// Sends `inference?: true` / `throw-on-missing-attrs?: true`, as `@instantdb/admin` does when
    /// it was given a schema.
    pub(crate) has_schema: bool,
    /// The schema queries and transactions are checked against before they are sent, as
    /// `@instantdb/admin` checks them (none: not checked, or `disableValidation`).
    pub(crate) schema: Option<Schema>,
    /// Per-call timeout unless a call sets its own; 0 = none.
    pub(crate) timeout_ms: u32,
    /// Extra attempts for idempotent calls.
    pub(crate) retries: u32,
}

/// Default per-call timeout.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// Default number of retries of idempotent calls.
pub const DEFAULT_RETRIES: u32 = 3;

impl Config {
    /// An app on the server at `api_uri` (trailing slashes are dropped).
    pub fn new(app_id: &str, api_uri: &str) -> Result<Config> {
        if !is_uuid(app_id) {
            return Err(Error::invalid("appId", "must be a UUID (the app id from the dashboard or the emulator)"));
        }
        Ok(Config {
            // Sent as given, as the official client does (the server parses it case-insensitively).
            app_id: app_id.to_owned(),
            api_uri: normalise_api_uri(api_uri)?,
            admin_token: None,
            has_schema: false,
            schema: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            retries: DEFAULT_RETRIES,
        })
    }

    /// An app on Instant Cloud ([`CLOUD_API_URI`]).
    pub fn cloud(app_id: &str) -> Result<Config> {
        Config::new(app_id, CLOUD_API_URI)
    }

    /// With an admin token (checked; never shown).
    pub fn with_admin_token(mut self, token: impl Into<String>) -> Result<Config> {
        self.admin_token = Some(AdminToken::new(token)?);
        Ok(self)
    }

    /// As if `@instantdb/admin` had a schema: sends `inference?` and `throw-on-missing-attrs?` as `true`.
    #[must_use]
    pub fn with_schema(mut self, has_schema: bool) -> Config {
        self.has_schema = has_schema;
        self
    }

    /// With `schema`: queries and transactions are checked against it before they are sent
    /// ([`crate::schema::check_query`], [`crate::schema::check_steps`]), and `inference?` /
    /// `throw-on-missing-attrs?` are sent as `true`. `validate: false` is `disableValidation`:
    /// only the flags.
    #[must_use]
    pub fn with_schema_def(mut self, schema: Schema, validate: bool) -> Config {
        self.has_schema = true;
        self.schema = validate.then_some(schema);
        self
    }

    /// The schema calls are checked against, if any.
    pub fn schema(&self) -> Option<&Schema> {
        self.schema.as_ref()
    }

    /// Default per-call timeout in milliseconds (0 = none).
    #[must_use]
    pub fn with_timeout_ms(mut self, timeout_ms: u32) -> Config {
        self.timeout_ms = timeout_ms;
        self
    }

    /// How many times an idempotent call is retried.
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> Config {
        self.retries = retries;
        self
    }

    /// The app id, as given.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The API base, without a trailing slash.
    pub fn api_uri(&self) -> &str {
        &self.api_uri
    }

    /// Whether an admin token is set.
    pub fn has_admin_token(&self) -> bool {
        self.admin_token.is_some()
    }
}

/// `http(s)://host[:port][/path]` without trailing slashes, query or fragment.
pub(crate) fn normalise_api_uri(raw: &str) -> Result<String> {
    let uri = raw.trim().trim_end_matches('/');
    let rest = uri.strip_prefix("https://").or_else(|| uri.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
    if !host_ok || uri.contains(['?', '#']) || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("apiURI", "must be an http:// or https:// URL without query or fragment"));
    }
    Ok(uri.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "8aa64e4c-64f9-472e-8a61-3fa28870e6cb";

    #[test]
    fn api_uri_is_normalised() {
        for (raw, want) in [
            ("http://127.0.0.1:8888", "http://127.0.0.1:8888"),
            ("http://127.0.0.1:8888/", "http://127.0.0.1:8888"),
            (" https://instant.example.com/base/// ", "https://instant.example.com/base"),
        ] {
            assert_eq!(Config::new(APP, raw).unwrap().api_uri(), want);
        }
        for bad in ["", "127.0.0.1:8888", "ftp://x", "http://", "http:///x", "http://x?y=1", "http://x#f"] {
            assert_eq!(Config::new(APP, bad).unwrap_err().kind(), "invalid-argument", "{bad}");
        }
    }

    #[test]
    fn app_id_must_be_a_uuid() {
        let err = Config::new("my-app", "http://x").unwrap_err();
        assert!(err.to_string().starts_with("invalid appId:"), "{err}");
        assert_eq!(Config::new(&APP.to_uppercase(), "http://x").unwrap().app_id(), APP.to_uppercase());
        assert!(Config::new(&format!(" {APP}"), "http://x").is_err(), "no silent trimming");
    }

    #[test]
    fn token_never_shows() {
        let secret = "0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0";
        let mut config = Config::new(APP, "http://x").unwrap();
        config.admin_token = Some(AdminToken::new(secret).unwrap());
        assert!(!format!("{config:?}").contains(secret));
        let err = AdminToken::new("bad\ntoken").unwrap_err();
        assert!(!err.to_string().contains("bad"));
    }
}
