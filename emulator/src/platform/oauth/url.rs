//! URLs the way the server's URI library (lambdaisland/uri) reads and writes them, for redirect
//! URLs (platform spec §2.1): RFC 3986's splitting regex with no normalisation at all, so a
//! `/..` stays in the path where a WHATWG parser would have resolved it away, and a query
//! re-encoded with `+` for spaces when code, state and scope are added to it.

/// A URL in parts. Absent parts are `None`; an empty path is `None` too, as the library keeps
/// it. A string the splitting regex refuses (a line break in the fragment) has every part
/// `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Uri {
    /// `https`.
    pub scheme: Option<String>,
    /// The part of the user info before `:`.
    pub user: Option<String>,
    /// The part of the user info after `:`.
    pub password: Option<String>,
    /// The host, as written.
    pub host: Option<String>,
    /// The port digits (possibly empty: `host:`).
    pub port: Option<String>,
    /// The path, as written.
    pub path: Option<String>,
    /// The raw query, without `?`.
    pub query: Option<String>,
    /// The raw fragment, without `#`.
    pub fragment: Option<String>,
}

/// What Java's `.` does not match, so a fragment holding one fails the whole regex.
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

impl Uri {
    /// Splits `text` as `\A(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)?(\?([^#]*))?(#(.*))?\z` does.
    pub fn parse(text: &str) -> Uri {
        let mut uri = Uri::default();
        let mut rest = text;
        if let Some(at) = rest.find([':', '/', '?', '#']) {
            if at > 0 && rest.as_bytes()[at] == b':' {
                uri.scheme = Some(rest[..at].to_owned());
                rest = &rest[at + 1..];
            }
        }
        let mut authority = None;
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            authority = Some(&after[..end]);
            rest = &after[end..];
        }
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        let path = &rest[..end];
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix('?') {
            let end = after.find('#').unwrap_or(after.len());
            uri.query = Some(after[..end].to_owned());
            rest = &after[end..];
        }
        if let Some(after) = rest.strip_prefix('#') {
            if after.chars().any(is_line_terminator) {
                return Uri::default();
            }
            uri.fragment = Some(after.to_owned());
        }
        uri.path = Some(path.to_owned()).filter(|p| !p.is_empty());
        if let Some((user, password, host, port)) = authority.and_then(split_authority) {
            (uri.user, uri.password, uri.host, uri.port) = (user, password, Some(host), port);
        }
        uri
    }

    /// The URL written back: `scheme:` `//[user[:password]@]host[:port]` path `?query`
    /// `#fragment`, each part only when present (no authority without a host).
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        if let Some(scheme) = &self.scheme {
            text.push_str(scheme);
            text.push(':');
        }
        if let Some(host) = &self.host {
            text.push_str("//");
            if let Some(user) = &self.user {
                text.push_str(user);
                if let Some(password) = &self.password {
                    text.push(':');
                    text.push_str(password);
                }
                text.push('@');
            }
            text.push_str(host);
            if let Some(port) = &self.port {
                text.push(':');
                text.push_str(port);
            }
        }
        text.push_str(self.path.as_deref().unwrap_or(""));
        if let Some(query) = &self.query {
            text.push('?');
            text.push_str(query);
        }
        if let Some(fragment) = &self.fragment {
            text.push('#');
            text.push_str(fragment);
        }
        text
    }
}

type Authority = (Option<String>, Option<String>, String, Option<String>);

/// `\A(([^:]*)(:(.*))?@)?([^:]*)(:(\d*))?\z` with Java's backtracking order: the longest user
/// first, with a password (longest first) before without, and no user info at all last.
/// Positions are byte offsets of ASCII separators, so every slice is on a char boundary.
fn split_authority(text: &str) -> Option<Authority> {
    let bytes = text.as_bytes();
    let first_colon = text.find(':').unwrap_or(text.len());
    let host_port = |from: usize| -> Option<(String, Option<String>)> {
        let tail = &text[from..];
        match tail.split_once(':') {
            None => Some((tail.to_owned(), None)),
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => Some((host.to_owned(), Some(port.to_owned()))),
            Some(_) => None,
        }
    };
    if first_colon < bytes.len() {
        // With a password: it runs from the colon to an `@`, the last one that works first, and
        // may hold no line break (`.`).
        let start = first_colon + 1;
        let limit = text[start..].find(is_line_terminator).map_or(bytes.len(), |at| start + at);
        for at in (start..limit.min(bytes.len())).rev().filter(|at| bytes[*at] == b'@') {
            if let Some((host, port)) = host_port(at + 1) {
                return Some((Some(text[..first_colon].to_owned()), Some(text[start..at].to_owned()), host, port));
            }
        }
    }
    for at in (0..first_colon.min(bytes.len())).rev().filter(|at| bytes[*at] == b'@') {
        if let Some((host, port)) = host_port(at + 1) {
            return Some((Some(text[..at].to_owned()), None, host, port));
        }
    }
    host_port(0).map(|(host, port)| (None, None, host, port))
}

/// Why `url` may not be a redirect URL (`redirect-url-validation-errors`), in the server's
/// order; empty when it may. Localhost (`localhost` or `127.0.0.1`, http or https) is allowed
/// only when `allow_localhost` (non-public OAuth apps); everything else must be https.
pub fn redirect_url_errors(url: &str, allow_localhost: bool) -> Vec<&'static str> {
    let uri = Uri::parse(url);
    let localhost = matches!(uri.host.as_deref(), Some("localhost" | "127.0.0.1"));
    let scheme = uri.scheme.as_deref();
    let mut errors = Vec::new();
    if uri.user.is_some() || uri.password.is_some() {
        errors.push("redirect uri may not contain user or password");
    }
    if uri.path.as_deref().is_some_and(|p| p.contains("/..") || p.contains("\\.")) {
        errors.push("redirect uri may not contain a path traversal");
    }
    if uri.fragment.is_some() {
        errors.push("redirect uri may not contain the fragment component");
    }
    if localhost && !allow_localhost {
        errors.push("redirect uri may not be localhost");
    }
    if !localhost && scheme != Some("https") {
        errors.push("redirect uri must use the HTTPS scheme");
    }
    if localhost && !matches!(scheme, Some("http" | "https")) {
        errors.push("redirect uri must use either the HTTP or HTTPS scheme");
    }
    errors
}

/// `url` with `params` set in its query (`add-query-params`): the existing query is decoded
/// into keys (a repeated key keeps all its values, at its first place), a param replaces its
/// key's values or is appended, and the whole query is encoded again.
pub fn add_query_params(url: &str, params: &[(&str, &str)]) -> String {
    let mut uri = Uri::parse(url);
    let mut entries: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(query) = uri.query.as_deref().filter(|q| !q.trim().is_empty()) {
        for pair in query.split('&') {
            let mut pieces = pair.split('=');
            let key = percent_decode(pieces.next().unwrap_or(""));
            let value = percent_decode(&pieces.next().unwrap_or("").replace('+', " "));
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(value),
                None => entries.push((key, vec![value])),
            }
        }
    }
    for (key, value) in params {
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) => *values = vec![(*value).to_owned()],
            None => entries.push(((*key).to_owned(), vec![(*value).to_owned()])),
        }
    }
    let pairs: Vec<String> =
        entries.iter().flat_map(|(key, values)| values.iter().map(move |v| format!("{}={}", query_encode(key), query_encode(v)))).collect();
    uri.query = (!pairs.is_empty()).then(|| pairs.join("&"));
    uri.to_text()
}

/// `query-encode`: a space is `+`; letters, digits and `-._~@/` stay; every other character is
/// its UTF-8 bytes as `%XX` (upper-case hex).
pub fn query_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ' ' => out.push('+'),
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '.' | '_' | '~' | '@' | '/' => out.push(c),
            _ => {
                let mut buffer = [0u8; 4];
                for byte in c.encode_utf8(&mut buffer).bytes() {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
        }
    }
    out
}

/// `%XX` sequences decoded as UTF-8 (lossily); a `%` not followed by two hex digits stays.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| bytes.get(at + 1..at + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space), as ring's `form-decode` reads a
/// query string or form body: a pair without `=` has the value `""`, and a text with no `=` at
/// all holds no pairs.
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    if !text.contains('=') {
        return Vec::new();
    }
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(&key.replace('+', " ")), percent_decode(&value.replace('+', " ")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_the_rfc_regex_without_normalising() {
        let uri = Uri::parse("https://user:pw@example.com:8443/a/../b?x=1#frag");
        assert_eq!(uri.scheme.as_deref(), Some("https"));
        assert_eq!((uri.user.as_deref(), uri.password.as_deref()), (Some("user"), Some("pw")));
        assert_eq!((uri.host.as_deref(), uri.port.as_deref()), (Some("example.com"), Some("8443")));
        assert_eq!(uri.path.as_deref(), Some("/a/../b"), "no dot-segment removal");
        assert_eq!((uri.query.as_deref(), uri.fragment.as_deref()), (Some("x=1"), Some("frag")));
        assert_eq!(uri.to_text(), "https://user:pw@example.com:8443/a/../b?x=1#frag");
        let bare = Uri::parse("https://example.com");
        assert_eq!((bare.path, bare.query, bare.fragment), (None, None, None));
        assert_eq!(Uri::parse("https://x.co/#").fragment.as_deref(), Some(""), "an empty fragment is still one");
        assert_eq!(Uri::parse("https://x.co/#a\nb"), Uri::default(), "the regex refuses it");
        let at = Uri::parse("https://localhost@evil.com/cb");
        assert_eq!((at.user.as_deref(), at.host.as_deref()), (Some("localhost"), Some("evil.com")));
        let twice = Uri::parse("https://a@b@c.com/");
        assert_eq!((twice.user.as_deref(), twice.host.as_deref()), (Some("a@b"), Some("c.com")));
        assert_eq!(Uri::parse("https://a:b:c/").host, None, "not an authority the regex takes");
        assert_eq!(Uri::parse("localhost:3000/cb").scheme.as_deref(), Some("localhost"));
    }

    #[test]
    fn redirect_url_rules() {
        assert!(redirect_url_errors("https://app.example.com/oauth/callback", false).is_empty());
        assert!(redirect_url_errors("http://localhost:3000/cb", true).is_empty());
        assert!(redirect_url_errors("https://127.0.0.1/cb", true).is_empty());
        assert_eq!(redirect_url_errors("http://localhost:3000/cb", false), ["redirect uri may not be localhost"]);
        assert_eq!(redirect_url_errors("http://app.example.com/cb", true), ["redirect uri must use the HTTPS scheme"]);
        assert_eq!(redirect_url_errors("ftp://localhost/cb", true), ["redirect uri must use either the HTTP or HTTPS scheme"]);
        assert_eq!(redirect_url_errors("https://u:p@app.example.com/cb", false), ["redirect uri may not contain user or password"]);
        assert_eq!(redirect_url_errors("https://@app.example.com/cb", false), ["redirect uri may not contain user or password"]);
        assert_eq!(redirect_url_errors("https://app.example.com/a/../cb", false), ["redirect uri may not contain a path traversal"]);
        assert_eq!(redirect_url_errors("https://app.example.com/a\\.x", false), ["redirect uri may not contain a path traversal"]);
        assert_eq!(redirect_url_errors("https://app.example.com/cb#x", false), ["redirect uri may not contain the fragment component"]);
        assert_eq!(
            redirect_url_errors("http://u@localhost/a/..#", false),
            [
                "redirect uri may not contain user or password",
                "redirect uri may not contain a path traversal",
                "redirect uri may not contain the fragment component",
                "redirect uri may not be localhost",
            ]
        );
        assert_eq!(redirect_url_errors("not a url", true), ["redirect uri must use the HTTPS scheme"]);
        assert_eq!(redirect_url_errors("https://LOCALHOST/cb", false), Vec::<&str>::new(), "host compared as written");
    }

    #[test]
    fn query_params_are_added_and_encoded_as_the_server_does() {
        let url = add_query_params("https://app.example.com/cb", &[("code", "c"), ("state", "s t"), ("scope", "apps-read apps-write")]);
        assert_eq!(url, "https://app.example.com/cb?code=c&state=s+t&scope=apps-read+apps-write");
        let merged = add_query_params("http://localhost:3000/cb?state=old&keep=a%20b&x=1&x=2", &[("state", "new"), ("error", "é&=")]);
        assert_eq!(merged, "http://localhost:3000/cb?state=new&keep=a+b&x=1&x=2&error=%C3%A9%26%3D");
        assert_eq!(query_encode("a-._~@/*+:"), "a-._~@/%2A%2B%3A");
    }

    #[test]
    fn form_pairs_decode_plus_and_percent() {
        assert_eq!(form_pairs("a=1+2&b=%41%zz&c"), [("a".into(), "1 2".into()), ("b".into(), "A%zz".into()), ("c".into(), "".into())]);
        assert!(form_pairs("noequals").is_empty());
    }
}
