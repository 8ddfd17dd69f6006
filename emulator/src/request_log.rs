//! What reached the emulator (`GET /__emulator/requests`): the newest [`CAPACITY`] requests,
//! with their headers and the status they were answered, so client tests can check what their
//! code actually sent (per-call headers, the app id, the method) and users can debug it.
//! Not part of Instant's API.
//!
//! Recorded: every request except those to the control surface (paths starting with
//! `/__emulator`, the benchmark's static route and the `$files` downloads among them), so reading
//! the log does not fill it. Requests answered by an injected fault are recorded with the
//! fault's status. Bodies are never kept, only the request line and headers.
//!
//! Secrets are never stored: the values of exactly `authorization`, `as-token`, `cookie` and
//! `proxy-authorization` are replaced by `"[redacted]"`. The header's name stays, so a test can
//! still see it was sent. Every other header is kept as sent: custom ones like `x-proxy-key`
//! are what tests come to read, so no name pattern is redacted. The query string is kept with
//! the values of exactly `access_token`, `token`, `refresh_token`, `client_secret`, `code` and
//! `code_verifier` redacted: the Platform OAuth routes take credentials there
//! (`/platform/oauth/token-info?access_token=`, `/platform/oauth/revoke?token=`).

use std::collections::VecDeque;

use serde_json::{json, Map, Value};

/// How many records the log keeps; older ones are dropped first.
pub const CAPACITY: usize = 256;

/// What a redacted header's value reads as.
pub const REDACTED: &str = "[redacted]";

/// Headers whose values are never stored (see the module doc).
const SECRET_HEADERS: [&str; 4] = ["authorization", "as-token", "cookie", "proxy-authorization"];

/// Query parameters whose values are never stored (see the module doc).
const SECRET_PARAMS: [&str; 6] = ["access_token", "token", "refresh_token", "client_secret", "code", "code_verifier"];

/// `query` with the values of [`SECRET_PARAMS`] replaced by [`REDACTED`]; everything else as sent.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_PARAMS.contains(&form_decode(key).as_str()) => format!("{key}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One request as it reached the emulator, and the status it was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// Position in the log: strictly increasing, from 1, and never reused (not even after a
    /// clear), so a test can ask for what came after a record it saw.
    pub seq: u64,
    /// The method, as sent (`POST`).
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string (still percent-encoded; empty when there is none), secret
    /// parameters' values redacted.
    pub query: String,
    /// The app the request named: the `app-id` header, else the `app_id` query parameter, else
    /// `app-id` (the first non-blank one, trimmed); the same precedence as the server's.
    pub app_id: Option<String>,
    /// Header names (lower case) and values, in the order the HTTP stack keeps them: as
    /// received, except that a repeated name's values sit together at its first place. Secret
    /// values are redacted.
    pub headers: Vec<(String, String)>,
    /// The answer's status.
    pub status: u16,
}

impl RequestRecord {
    /// A record of a request (its `seq` is set when it is logged). Header values that are not
    /// UTF-8 are kept lossily: the log is for reading, not for replaying.
    pub fn new<'a>(
        method: &str,
        path: &str,
        query: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        status: u16,
    ) -> RequestRecord {
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .map(|(name, value)| {
                let name = name.to_ascii_lowercase();
                let value =
                    if SECRET_HEADERS.contains(&name.as_str()) { REDACTED.to_owned() } else { String::from_utf8_lossy(value).into_owned() };
                (name, value)
            })
            .collect();
        let from_header = headers.iter().find(|(name, _)| name == "app-id").map(|(_, value)| value.as_str());
        let app_id = app_id_of(from_header, query);
        RequestRecord { seq: 0, method: method.to_owned(), path: path.to_owned(), query: redact_query(query), app_id, headers, status }
    }

    /// The record as `GET /__emulator/requests` shows it: `headers` as an object, a repeated
    /// name's values joined with `", "` (as HTTP allows folding them).
    pub fn to_wire(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            match headers.get_mut(name) {
                Some(Value::String(joined)) => {
                    joined.push_str(", ");
                    joined.push_str(value);
                }
                _ => {
                    headers.insert(name.clone(), Value::String(value.clone()));
                }
            }
        }
        json!({
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "app-id": self.app_id,
            "headers": headers,
            "status": self.status,
        })
    }
}

/// Whether a request to `path` is recorded: the control surface is not.
pub fn is_recorded(path: &str) -> bool {
    !path.starts_with("/__emulator")
}

/// The newest [`CAPACITY`] records, oldest first.
#[derive(Debug, Default)]
pub struct RequestLog {
    records: VecDeque<RequestRecord>,
    last_seq: u64,
}

impl RequestLog {
    /// Logs `record` under the next `seq`, dropping the oldest record when full; returns the
    /// `seq`.
    pub fn push(&mut self, mut record: RequestRecord) -> u64 {
        self.last_seq += 1;
        record.seq = self.last_seq;
        if self.records.len() >= CAPACITY {
            self.records.pop_front();
        }
        self.records.push_back(record);
        self.last_seq
    }

    /// The records, oldest first, of the app `app_id` (compared ignoring ASCII case, as app ids
    /// are UUIDs) and/or whose path starts with `path_prefix`; `None` does not filter.
    pub fn list(&self, app_id: Option<&str>, path_prefix: Option<&str>) -> Vec<&RequestRecord> {
        self.records
            .iter()
            .filter(|r| app_id.is_none_or(|id| r.app_id.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(id.trim()))))
            .filter(|r| path_prefix.is_none_or(|prefix| r.path.starts_with(prefix)))
            .collect()
    }

    /// Forgets every record (`seq` keeps counting); returns how many there were.
    pub fn clear(&mut self) -> usize {
        std::mem::take(&mut self.records).len()
    }
}

/// The app a request names: its `app-id` header, else its `app_id` (or `app-id`) query
/// parameter. Faults scoped to an app match on it too.
pub fn app_id_of(header: Option<&str>, query: &str) -> Option<String> {
    non_blank(header)
        .or_else(|| non_blank(query_param(query, "app_id").as_deref()))
        .or_else(|| non_blank(query_param(query, "app-id").as_deref()))
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The first value of `name` in a raw query string, form-decoded (`+` is a space, `%XX` a
/// byte), as the server's parameter parsing reads it.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(key) == name).then(|| form_decode(value))
    })
}

/// `application/x-www-form-urlencoded` decoding; a `%` not followed by two hex digits stays as
/// it is, as lenient parsers keep it.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let escaped = if byte == b'%' { bytes.get(at + 1..at + 3).and_then(hex_byte) } else { None };
        match (byte, escaped) {
            (_, Some(decoded)) => {
                out.push(decoded);
                at += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                at += 1;
            }
            (other, None) => {
                out.push(other);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Two hex digits as a byte; `from_str_radix` alone would also take a sign (`%+1`).
fn hex_byte(hex: &[u8]) -> Option<u8> {
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &str, query: &str, headers: &[(&str, &str)]) -> RequestRecord {
        RequestRecord::new("POST", path, query, headers.iter().map(|(n, v)| (*n, v.as_bytes())), 200)
    }

    #[test]
    fn secrets_are_redacted_by_exact_name_and_custom_headers_kept() {
        let r = record(
            "/admin/query",
            "",
            &[
                ("Authorization", "Bearer t"),
                ("as-token", "u"),
                ("cookie", "c=1"),
                ("proxy-authorization", "Basic x"),
                ("x-proxy-key", "abc"),
                ("x-token-ish", "kept"),
            ],
        );
        let value = |name: &str| r.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        for secret in SECRET_HEADERS {
            assert_eq!(value(secret), Some(REDACTED), "{secret}");
        }
        assert_eq!(value("x-proxy-key"), Some("abc"));
        assert_eq!(value("x-token-ish"), Some("kept"));
        let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "authorization", "names lower-cased, order kept");
    }

    #[test]
    fn credentials_in_the_query_are_redacted() {
        let r = record("/platform/oauth/revoke", "token=prt_abc&x=1&access%5Ftoken=pat_x&codes=kept&code", &[]);
        assert_eq!(r.query, "token=[redacted]&x=1&access%5Ftoken=[redacted]&codes=kept&code");
        assert_eq!(record("/a", "", &[]).query, "");
    }

    #[test]
    fn the_app_id_comes_from_the_header_then_the_query() {
        assert_eq!(record("/a", "app_id=q", &[("app-id", " h ")]).app_id.as_deref(), Some("h"));
        assert_eq!(record("/a", "x=1&app_id=a%2Db+c", &[]).app_id.as_deref(), Some("a-b c"));
        assert_eq!(record("/a", "app-id=d", &[("app-id", "")]).app_id.as_deref(), Some("d"));
        assert_eq!(record("/a", "app_id=&bad=%zz%", &[]).app_id, None);
        assert_eq!(form_decode("%e2%9c%93%"), "✓%");
        assert_eq!(form_decode("%+1%4"), "% 1%4", "a sign is no hex digit");
    }

    #[test]
    fn repeated_headers_join_on_the_wire() {
        let r = record("/a", "", &[("x-a", "1"), ("x-b", "2"), ("x-a", "3")]);
        assert_eq!(r.to_wire()["headers"], json!({"x-a": "1, 3", "x-b": "2"}));
    }

    #[test]
    fn the_ring_keeps_the_newest_records() {
        let mut log = RequestLog::default();
        for n in 0..CAPACITY + 10 {
            log.push(record(&format!("/p{n}"), "", &[]));
        }
        let all = log.list(None, None);
        assert_eq!(all.len(), CAPACITY);
        assert_eq!((all[0].seq, all[0].path.as_str()), (11, "/p10"));
        assert_eq!(all[CAPACITY - 1].seq, (CAPACITY + 10) as u64);
        assert_eq!(log.clear(), CAPACITY);
        assert!(log.list(None, None).is_empty());
        assert_eq!(log.push(record("/again", "", &[])), (CAPACITY + 11) as u64, "seq keeps counting");
    }

    #[test]
    fn filters_by_app_and_path_prefix() {
        let mut log = RequestLog::default();
        log.push(record("/admin/query", "", &[("app-id", "ABC")]));
        log.push(record("/admin/transact", "", &[("app-id", "abc")]));
        log.push(record("/admin/query", "", &[("app-id", "other")]));
        log.push(record("/admin/query", "", &[]));
        let seqs = |app: Option<&str>, prefix: Option<&str>| log.list(app, prefix).iter().map(|r| r.seq).collect::<Vec<_>>();
        assert_eq!(seqs(Some("abc"), None), [1, 2]);
        assert_eq!(seqs(None, Some("/admin/q")), [1, 3, 4]);
        assert_eq!(seqs(Some("abc"), Some("/admin/query")), [1]);
        assert_eq!(seqs(None, None), [1, 2, 3, 4]);
    }

    #[test]
    fn the_control_surface_is_not_recorded() {
        assert!(!is_recorded("/__emulator/requests"));
        assert!(!is_recorded("/__emulator/bench/static"));
        assert!(is_recorded("/admin/query"));
    }
}
