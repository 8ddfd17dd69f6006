//! The token side (platform spec §2.4–§2.6): codes and refresh tokens exchanged for access
//! tokens, token info, revocation. Errors are the server's ordinary Instant errors, not RFC
//! 6749's `{error, error_description}`.

use serde_json::{json, Value};
use uuid::Uuid;

use super::pkce::verify;
use super::{expired, get_optional_param, get_param, non_blank, scope_text, uuid_value, Code, OAuth, Params};
use crate::error::{ApiError, ApiResult};
use crate::platform::identity::{
    generate_access_token, generate_refresh_token, lookup_key, AccessToken, LookupKey, Scope, ACCESS_TOKEN_LIFETIME_MS,
    ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX,
};
use crate::Store;

fn custom(error_type: &'static str, message: &str, hint: Value) -> ApiError {
    ApiError::bad_request(error_type, message, hint)
}

/// `POST /platform/oauth/token`. `params` is the JSON body's object or the form's (and query's)
/// pairs; empty for any other content type, so `grant_type` is missing.
///
/// Without `client_secret` only the PKCE code exchange exists; with one, the client is the
/// secret's (whatever `client_id` says) and the grant is a code exchange (plus a refresh token,
/// PKCE not checked) or a refresh.
pub fn token(store: &mut Store, params: &Params) -> ApiResult<Value> {
    let grant_type = get_param(params, &["grant_type"], non_blank)?;
    let client_id = get_param(params, &["client_id"], uuid_value)?;
    let secret = get_optional_param(params, &["client_secret"], non_blank)?;
    let now = store.now_ms();
    let Some(secret) = secret else {
        if grant_type != "authorization_code" {
            return Err(custom(
                "param-malformed",
                "Unrecognized `grant_type` parameter only `authorization_code` is allowed for the PKCE flow.",
                json!({"input": grant_type}),
            ));
        }
        return pkce_exchange(store, client_id, params, now);
    };
    let client = store.platform.oauth.client_by_secret(&secret).map(|c| c.client_id);
    let client =
        client.ok_or_else(|| ApiError::record_not_found("oauth-app-client", json!({"args": [{"client-id": client_id.to_string()}]})))?;
    match grant_type.as_str() {
        "authorization_code" => code_exchange(store, client, params, now),
        "refresh_token" => refresh(store, client, params, now),
        _ => Err(custom(
            "param-malformed",
            "Unrecognized `grant_type` parameter, expected either `authorization_code` or `refresh_token`",
            json!({"input": grant_type}),
        )),
    }
}

/// `claim-code!`: the code is taken out first, so whatever fails next, it is spent.
fn claim_code(oauth: &mut OAuth, code: Uuid, now: i64) -> ApiResult<Code> {
    // The server's hint also names the code; a spent credential is still not echoed here.
    let record = oauth.take_code(code).ok_or_else(|| ApiError::record_not_found("oauth-code", json!({})))?;
    if record.expires_at <= now {
        return Err(expired("oauth-code", record.expires_at));
    }
    Ok(record)
}

/// The code (after `redirect_uri` and `code` are read) must be `client_id`'s and sent to the same
/// redirect URL, byte for byte.
fn claim_code_for(store: &mut Store, client_id: Uuid, params: &Params, now: i64) -> ApiResult<Code> {
    let redirect_uri = get_param(params, &["redirect_uri"], non_blank)?;
    let code = get_param(params, &["code"], uuid_value)?;
    let record = claim_code(&mut store.platform.oauth, code, now)?;
    if record.request.client_id != client_id {
        return Err(custom("param-malformed", "Invalid client_id parameter", json!({"input": client_id.to_string()})));
    }
    if record.request.redirect_uri != redirect_uri {
        return Err(custom("param-malformed", "Invalid redirect_uri parameter", json!({"input": redirect_uri})));
    }
    Ok(record)
}

/// `complete-pkce-access-token-request`: no refresh token; the answer's key is `scopes`.
fn pkce_exchange(store: &mut Store, client_id: Uuid, params: &Params, now: i64) -> ApiResult<Value> {
    let record = claim_code_for(store, client_id, params, now)?;
    let Some((challenge, method)) = &record.request.challenge else {
        return Err(custom(
            "param-missing",
            "You must provide the client_secret from a secure server or use the client-side PKCE flow to exchange the OAuth code for a token.",
            Value::Null,
        ));
    };
    let verifier = get_param(params, &["code_verifier"], non_blank)?;
    if let Err(failure) = verify(*method, challenge, &verifier) {
        // The server's hint echoes the verifier as `input`; it stays out of answers here.
        return Err(ApiError::validation("oauth-code", json!({}), vec![json!({"message": failure.message()})]));
    }
    let scopes = record.request.scopes;
    let (access_token, expires_at) = mint_access_token(store, record.user_id, scopes.clone(), None, now);
    Ok(json!({
        "access_token": access_token,
        "expires_in": issued_expires_in(expires_at, now),
        "token_type": "Bearer",
        "scopes": scope_text(&scopes),
    }))
}

/// `complete-access-token-request`: an access token and a refresh token (the oldest of the
/// (client, user)'s beyond five go, with their access tokens); the answer's key is `scopes`.
fn code_exchange(store: &mut Store, client_id: Uuid, params: &Params, now: i64) -> ApiResult<Value> {
    let record = claim_code_for(store, client_id, params, now)?;
    let (user_id, scopes) = (record.user_id, record.request.scopes);
    let refresh_token = generate_refresh_token();
    let refresh_key = store.platform.oauth.insert_refresh_token(&refresh_token, client_id, user_id, scopes.clone());
    let (access_token, expires_at) = mint_access_token(store, user_id, scopes.clone(), Some(refresh_key), now);
    for orphan in store.platform.oauth.trim_refresh_tokens(client_id, user_id) {
        store.platform.identity.revoke_access_token_key(&orphan);
    }
    Ok(json!({
        "access_token": access_token,
        "expires_in": issued_expires_in(expires_at, now),
        "token_type": "Bearer",
        "refresh_token": refresh_token,
        "scopes": scope_text(&scopes),
    }))
}

/// `complete-refresh-token-request`: a new access token on the refresh token's grant; the
/// refresh token is not rotated, and the answer's key is `scope`.
fn refresh(store: &mut Store, client_id: Uuid, params: &Params, now: i64) -> ApiResult<Value> {
    let token = get_param(params, &["refresh_token"], non_blank)?;
    let key = lookup_key(&token);
    let record = store.platform.oauth.refresh_tokens.get(&key).filter(|r| r.client_id == client_id);
    let (user_id, scopes) =
        record.map(|r| (r.user_id, r.scopes.clone())).ok_or_else(|| ApiError::record_not_found("oauth-refresh-token", Value::Null))?;
    let (access_token, expires_at) = mint_access_token(store, user_id, scopes.clone(), Some(key), now);
    Ok(json!({
        "access_token": access_token,
        "expires_in": issued_expires_in(expires_at, now),
        "token_type": "Bearer",
        "scope": scope_text(&scopes),
    }))
}

/// A new `pat_` token for two weeks, linked to the refresh token it came from (if any) so it
/// goes when that one does; the token and its expiry.
fn mint_access_token(store: &mut Store, user_id: Uuid, scopes: Vec<Scope>, refresh: Option<LookupKey>, now: i64) -> (String, i64) {
    let token = generate_access_token();
    let expires_at = now.saturating_add(ACCESS_TOKEN_LIFETIME_MS);
    store.platform.identity.insert_access_token(&token, AccessToken { user_id, scopes, expires_at });
    if let Some(record) = refresh.and_then(|key| store.platform.oauth.refresh_tokens.get_mut(&key)) {
        record.access_tokens.push(lookup_key(&token));
    }
    (token, expires_at)
}

/// Whole seconds left, truncated (`access-token-expires-in`).
fn expires_in(expires_at: i64, now: i64) -> i64 {
    (expires_at - now) / 1000
}

/// `expires_in` as the token endpoint answers it: the server stamps the expiry in the database
/// and reads its own clock a moment later, so a fresh token has 1209599 s, never 1209600.
fn issued_expires_in(expires_at: i64, now: i64) -> i64 {
    expires_in(expires_at - 1, now)
}

/// `GET /platform/oauth/token-info?access_token=pat_…`: what a live access token may do and for
/// how long.
pub fn token_info(store: &Store, params: &Params) -> ApiResult<Value> {
    let token = get_param(params, &["access_token"], non_blank)?;
    if !token.starts_with(ACCESS_TOKEN_PREFIX) {
        return Err(ApiError::validation(
            "access_token",
            json!({}),
            vec![json!({"message": "The access_token is not a valid platform OAuth access token."})],
        ));
    }
    let grant =
        store.platform.identity.access_token(&token).ok_or_else(|| ApiError::record_not_found("oauth-access-token", Value::Null))?;
    let now = store.now_ms();
    if grant.expires_at <= now {
        return Err(expired("oauth-access-token", grant.expires_at));
    }
    Ok(json!({"expires_in": expires_in(grant.expires_at, now), "token_type": "Bearer", "scopes": scope_text(&grant.scopes)}))
}

/// `POST /platform/oauth/revoke?token=…`: a refresh token goes with every access token minted
/// from it, an access token alone; unknown tokens are no error.
pub fn revoke(store: &mut Store, params: &Params) -> ApiResult<Value> {
    let token = get_param(params, &["params", "token"], non_blank)?;
    if token.starts_with(REFRESH_TOKEN_PREFIX) {
        if let Some(record) = store.platform.oauth.refresh_tokens.remove(&lookup_key(&token)) {
            for key in record.access_tokens {
                store.platform.identity.revoke_access_token_key(&key);
            }
        }
    } else if token.starts_with(ACCESS_TOKEN_PREFIX) {
        store.platform.identity.revoke_access_token(&token);
    } else {
        return Err(custom("param-malformed", "Token is not a access token or a refresh token.", Value::Null));
    }
    Ok(json!({}))
}
