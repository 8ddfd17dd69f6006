//! OAuth with Instant (spec platform §2), pure: PKCE verifiers and challenges (the digest is
//! the host's), the authorization URL, the token requests and their answers. The client sends
//! them ([`crate::client::platform::Platform::exchange_code`]).

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::http::{encode_uri_component, form_encode, HttpRequest, Payload};
use crate::Value;

/// The six scopes a token can hold (space-separated on the wire). `*-write` implies `*-read`.
pub const SCOPES: [&str; 6] = ["apps-read", "apps-write", "data-read", "data-write", "storage-read", "storage-write"];

/// The verifier's alphabet, as the official client's (`alphabet[byte % 66]`).
const VERIFIER_ALPHABET: &[u8; 66] = b"0123456789AaBbCcDdEeFfGgHhIiJjKkLlMmNnOoPpQqRrSsTtUuVvWwXxYyZz-._~";

/// A PKCE verifier from random bytes (64 of them, for 64 characters): one character of RFC
/// 7636's unreserved set per byte.
///
/// ```
/// let verifier = instant_edge::platform::oauth::pkce_verifier(&[0; 64]);
/// assert_eq!(verifier, "0".repeat(64));
/// ```
pub fn pkce_verifier(random: &[u8]) -> String {
    random.iter().map(|byte| char::from(VERIFIER_ALPHABET[usize::from(*byte) % VERIFIER_ALPHABET.len()])).collect()
}

/// The S256 challenge of a verifier whose SHA-256 digest is `digest`: base64url, no padding.
///
/// ```
/// // RFC 7636 appendix B.
/// let digest = [19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120, 173, 109, 241, 68, 86, 110, 225, 137, 74, 203, 112, 249, 195];
/// assert_eq!(instant_edge::platform::oauth::pkce_challenge(&digest), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// ```
pub fn pkce_challenge(digest: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in digest.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, byte)| n | u32::from(*byte) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Checks `scopes` (each one of [`SCOPES`]) and joins them with spaces.
pub fn scope_list(scopes: &[&str]) -> Result<String> {
    if scopes.is_empty() || scopes.iter().any(|scope| !SCOPES.contains(scope)) {
        return Err(Error::invalid(
            "scopes",
            "each must be one of apps-read, apps-write, data-read, data-write, storage-read, storage-write",
        ));
    }
    // Not `join`: its generic copy loop is ~1 KB of wasm.
    let mut list = String::new();
    for scope in scopes {
        if !list.is_empty() {
            list.push(' ');
        }
        list.push_str(scope);
    }
    Ok(list)
}

/// Where to send the user's browser: `GET <api>/platform/oauth/start?…`, the parameters in the
/// official client's order, form-encoded (a space is `+`).
///
/// ```
/// use instant_edge::platform::oauth::authorize_url;
/// let url = authorize_url("http://127.0.0.1:8888", "c1", "http://localhost:3000/cb", &["apps-read", "apps-write"], "s1", Some("ch")).unwrap();
/// assert_eq!(url, "http://127.0.0.1:8888/platform/oauth/start?client_id=c1&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&scope=apps-read+apps-write&state=s1&response_type=code&code_challenge=ch&code_challenge_method=S256");
/// ```
pub fn authorize_url(
    api_uri: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
    state: &str,
    challenge: Option<&str>,
) -> Result<String> {
    if state.trim().is_empty() {
        return Err(Error::invalid("state", "must not be blank"));
    }
    let scope = scope_list(scopes)?;
    let mut url = String::from(api_uri);
    url.push_str("/platform/oauth/start");
    let mut params =
        vec![("client_id", client_id), ("redirect_uri", redirect_uri), ("scope", &scope), ("state", state), ("response_type", "code")];
    if let Some(challenge) = challenge {
        params.push(("code_challenge", challenge));
        params.push(("code_challenge_method", "S256"));
    }
    for (i, (key, value)) in params.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(key);
        url.push('=');
        form_encode(value, &mut url);
    }
    Ok(url)
}

/// How a code is exchanged: with the client secret (a server; a refresh token comes back) or
/// with the PKCE verifier (a browser or a CLI; no refresh token).
#[derive(Clone, PartialEq, Eq)]
pub enum CodeProof {
    /// The OAuth client's secret.
    Secret(String),
    /// The PKCE verifier whose challenge started the flow.
    Verifier(String),
}

impl core::fmt::Debug for CodeProof {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CodeProof::Secret(_) => "Secret(***)",
            CodeProof::Verifier(_) => "Verifier(***)",
        })
    }
}

/// `POST <api>/platform/oauth/token` with the `authorization_code` grant (JSON, as the official
/// helpers send it). The code and the proof are the request's secrets.
pub fn code_exchange_request(api_uri: &str, code: &str, client_id: &str, redirect_uri: &str, proof: &CodeProof) -> HttpRequest {
    let text = |s: &str| Payload::Value(Value::from(s));
    let mut body = vec![
        ("grant_type", text("authorization_code")),
        ("code", text(code)),
        ("redirect_uri", text(redirect_uri)),
        ("client_id", text(client_id)),
    ];
    let secret = match proof {
        CodeProof::Secret(secret) => {
            body.push(("client_secret", text(secret)));
            secret
        }
        CodeProof::Verifier(verifier) => {
            body.push(("code_verifier", text(verifier)));
            verifier
        }
    };
    let mut url = String::from(api_uri);
    url.push_str("/platform/oauth/token");
    let mut request = HttpRequest::new("POST", url, vec![("Content-Type", "application/json".to_owned())]);
    request.body = Some(Payload::Object(body));
    request.secret = Some(secret.clone());
    request
}

/// `POST <api>/platform/oauth/revoke?token=…`: a refresh token with every access token it
/// minted, or one access token. The token is the request's secret.
pub fn revoke_request(api_uri: &str, token: &str) -> HttpRequest {
    let mut url = String::from(api_uri);
    url.push_str("/platform/oauth/revoke?token=");
    encode_uri_component(token, &mut url);
    let mut request = HttpRequest::new("POST", url, Vec::new());
    request.secret = Some(token.to_owned());
    request
}

/// A token the token endpoint granted.
#[derive(Clone, PartialEq)]
pub struct TokenGrant {
    /// The access token (`pat_…`), valid two weeks.
    pub access_token: String,
    /// The refresh token (`prt_…`): code exchanges with the client secret only.
    pub refresh_token: Option<String>,
    /// When the access token expires (ms since the epoch, 30 s early).
    pub expires_at_ms: f64,
    /// Its scopes, space-separated (`scopes` on a code exchange, `scope` on a refresh: both read).
    pub scopes: Option<String>,
    /// `Bearer`, as the server says.
    pub token_type: Option<String>,
}

impl core::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenGrant").field("expires_at_ms", &self.expires_at_ms).field("scopes", &self.scopes).finish_non_exhaustive()
    }
}

/// Reads a token answer received at `now_ms` (wall clock).
pub fn token_grant(answer: &Value, now_ms: f64) -> Result<TokenGrant> {
    let text = |key: &str| answer.get(key).and_then(Value::as_str).map(str::to_owned);
    let access_token =
        text("access_token").ok_or_else(|| Error::Decode { message: "the token endpoint answered no access_token".into() })?;
    let expires_in = answer.get("expires_in").and_then(Value::as_f64).unwrap_or(0.0);
    Ok(TokenGrant {
        access_token,
        refresh_token: text("refresh_token"),
        expires_at_ms: now_ms + (expires_in - 30.0) * 1000.0,
        scopes: text("scope").or_else(|| text("scopes")),
        token_type: text("token_type"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_pad_nothing_and_use_the_url_alphabet() {
        assert_eq!(pkce_challenge(&[0xfb, 0xff]), "-_8");
        assert_eq!(pkce_challenge(&[]), "");
        assert_eq!(pkce_verifier(&[65; 64]), "~".repeat(64));
        assert_eq!(pkce_verifier(&[66; 64]), "0".repeat(64), "byte % 66, as the official client");
    }

    #[test]
    fn code_exchanges_keep_their_proof_secret() {
        let request = code_exchange_request("http://h", "code-1", "c1", "http://localhost/cb", &CodeProof::Verifier("v".repeat(64)));
        assert!(request.body.as_ref().unwrap().to_json().contains(r#""code_verifier":"vvvv"#));
        assert!(!format!("{request:?}").contains("vvvv"));
        let grant = token_grant(&crate::value!({ "access_token": "pat_1", "expires_in": 100, "scope": "apps-read" }), 1_000.0).unwrap();
        assert_eq!((grant.expires_at_ms, grant.scopes.as_deref()), (71_000.0, Some("apps-read")));
        assert!(!format!("{grant:?}").contains("pat_1"));
        assert!(scope_list(&["apps-read", "admin"]).is_err());
    }
}
