//! Access tokens: RFC 9068 JWTs signed ES256 with `typ: at+jwt`.
//!
//! Stateless: issuing one writes nothing. Revocation is checked where tokens are consumed here
//! (userinfo, introspection) against the revoked-`jti` list and the grant; a resource server
//! that validates offline accepts a revoked token until it expires, which is why the access
//! token lifetime is short.

use serde_json::{Map, Value, json};

use super::error::{ErrorCode, OAuthError};
use super::scope::Scopes;
use crate::provider::Provider;
use crate::signing::{KeySet, SigningAlg};

pub const TYP: &str = "at+jwt";

/// What an access token says.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub jti: String,
    pub client_id: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub scope: Scopes,
    pub exp: i64,
    pub iat: i64,
    /// The grant of a resident's token; `None` for client credentials.
    pub grant_id: Option<String>,
    /// The thumbprint of the DPoP key the token is bound to (`cnf.jkt`, RFC 9449 §6.1).
    pub jkt: Option<String>,
}

/// What to put in a new access token.
#[derive(Debug)]
pub struct NewAccessToken<'a> {
    pub client_id: &'a str,
    pub sub: &'a str,
    pub audience: Vec<String>,
    pub scope: &'a Scopes,
    pub grant_id: Option<&'a str>,
    pub auth_time: Option<i64>,
    pub acr: Option<&'a str>,
    pub jkt: Option<&'a str>,
}

/// Signs a new access token; returns it with its lifetime in seconds.
pub fn issue(provider: &Provider, spec: NewAccessToken<'_>) -> Result<(String, i64), OAuthError> {
    let now = provider.now();
    let lifetime = provider.config.lifetimes.access_token;
    let aud: Value = match spec.audience.as_slice() {
        [single] => single.clone().into(),
        many => many.to_vec().into(),
    };
    let mut claims = match json!({
        "iss": provider.issuer(),
        "exp": now + lifetime,
        "aud": aud,
        "sub": spec.sub,
        "client_id": spec.client_id,
        "iat": now,
        "jti": uuid::Uuid::new_v4().to_string(),
        "scope": spec.scope.to_string(),
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Some(grant_id) = spec.grant_id {
        claims.insert("grant_id".into(), grant_id.into());
    }
    if let Some(auth_time) = spec.auth_time {
        claims.insert("auth_time".into(), auth_time.into());
    }
    if let Some(acr) = spec.acr {
        claims.insert("acr".into(), acr.into());
    }
    if let Some(jkt) = spec.jkt {
        claims.insert("cnf".into(), json!({ "jkt": jkt }));
    }
    let token = provider.keys().sign(SigningAlg::ES256, Some(TYP), &claims)?;
    Ok((token, lifetime))
}

fn invalid() -> OAuthError {
    OAuthError::new(ErrorCode::InvalidToken, "the access token is invalid or expired")
}

/// Verifies signature, type, issuer and expiry (RFC 9068 §4). Does not check revocation.
pub fn verify(provider: &Provider, token: &str) -> Result<AccessToken, OAuthError> {
    let keys = provider.keys();
    let claims = match provider.verified_tokens.get(&keys, token) {
        Some(claims) => claims,
        None => {
            let claims = verify_signed(provider, &keys, token)?;
            provider.verified_tokens.put(&keys, token, &claims);
            claims
        }
    };
    if claims.exp <= provider.now() {
        return Err(invalid());
    }
    Ok(claims)
}

/// Everything but the expiry: signature, type, issuer, claims.
fn verify_signed(provider: &Provider, keys: &KeySet, token: &str) -> Result<AccessToken, OAuthError> {
    let jwt = keys.verify(token).map_err(|_| invalid())?;
    let typ_ok = jwt.typ().is_some_and(|t| t.eq_ignore_ascii_case(TYP) || t.eq_ignore_ascii_case("application/at+jwt"));
    if !typ_ok || jwt.str_claim("iss") != Some(provider.issuer()) {
        return Err(invalid());
    }
    let exp = jwt.int_claim("exp").ok_or_else(invalid)?;
    let aud = match jwt.claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => return Err(invalid()),
    };
    let string = |name: &str| jwt.str_claim(name).map(str::to_owned).ok_or_else(invalid);
    Ok(AccessToken {
        jti: string("jti")?,
        client_id: string("client_id")?,
        sub: string("sub")?,
        scope: Scopes::parse(jwt.str_claim("scope").unwrap_or_default()).map_err(|_| invalid())?,
        exp,
        iat: jwt.int_claim("iat").unwrap_or_default(),
        grant_id: jwt.str_claim("grant_id").map(str::to_owned),
        jkt: jwt.claims.get("cnf").and_then(|c| c.get("jkt")).and_then(Value::as_str).map(str::to_owned),
        aud,
    })
}

fn revoked_key(jti: &str) -> String {
    format!("revoked:jti:{jti}")
}

/// Adds the token to the revoked list until it expires (RFC 7009).
pub async fn revoke(provider: &Provider, token: &AccessToken) -> Result<(), OAuthError> {
    let ttl = (token.exp - provider.now()).max(1);
    provider.ephemeral.put(&revoked_key(&token.jti), String::new(), ttl).await?;
    Ok(())
}

/// Whether the token itself was revoked (not through its grant: see `is_revoked`).
pub async fn is_revoked_itself(provider: &Provider, token: &AccessToken) -> Result<bool, OAuthError> {
    Ok(provider.ephemeral.get(&revoked_key(&token.jti)).await?.is_some())
}

/// Whether the token was revoked, itself or through its grant.
pub async fn is_revoked(provider: &Provider, token: &AccessToken) -> Result<bool, OAuthError> {
    if is_revoked_itself(provider, token).await? {
        return Ok(true);
    }
    match &token.grant_id {
        Some(grant_id) => Ok(super::grant::find_active(provider, grant_id).await?.is_none()),
        None => Ok(false),
    }
}
