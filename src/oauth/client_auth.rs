//! Client authentication at the token, introspection and revocation endpoints (RFC 6749
//! §2.3.1, OIDC Core §9): `client_secret_basic`, `client_secret_post`, `private_key_jwt`
//! (RFC 7523), or `none` for a public client that only identifies itself. Exactly one method
//! per request, and the one the client registered.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::client::{AuthMethod, Client};
use super::error::OAuthError;
use super::params::Params;
use crate::provider::Provider;
use crate::secrets;

/// Credentials as presented, before any lookup.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    Basic { client_id: String, secret: String },
    Post { client_id: String, secret: String },
    Assertion { client_id: String, assertion: String },
    None { client_id: String },
}

/// RFC 7523 §2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn form_decode(value: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8().ok().map(|s| s.into_owned())
}

/// Parses `Authorization: Basic` as RFC 6749 §2.3.1 defines it: both parts form-url-encoded.
fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let bad = || OAuthError::invalid_client("malformed Basic credentials");
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    Ok((form_decode(id).ok_or_else(bad)?, form_decode(secret).ok_or_else(bad)?))
}

fn presented(authorization: Option<&str>, params: &Params) -> Result<Presented, OAuthError> {
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if params.get("client_assertion").is_some() || params.get("client_assertion_type").is_some() {
        if authorization.is_some() || body_secret.is_some() {
            return Err(OAuthError::invalid_request("use only one client authentication method"));
        }
        if params.get("client_assertion_type") != Some(JWT_BEARER) {
            return Err(OAuthError::invalid_request("client_assertion_type must be the JWT bearer type"));
        }
        let assertion = params.required("client_assertion")?.to_owned();
        // The client is named by client_id, or else by the assertion's (not yet verified) sub.
        let client_id = match body_id {
            Some(id) => id.to_owned(),
            None => crate::signing::jwt::split(&assertion)
                .ok()
                .and_then(|(_, claims, _, _)| claims.get("sub").and_then(|v| v.as_str()).map(str::to_owned))
                .ok_or_else(|| OAuthError::invalid_client("client assertion without sub"))?,
        };
        return Ok(Presented::Assertion { client_id, assertion });
    }
    match (authorization, body_secret) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request("use only one client authentication method")),
        (Some(header), None) => {
            let (client_id, secret) = parse_basic(header)?;
            if body_id.is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request("client_id does not match the Authorization header"));
            }
            Ok(Presented::Basic { client_id, secret })
        }
        (None, Some(secret)) => {
            let client_id = body_id.ok_or_else(|| OAuthError::invalid_request("missing client_id"))?;
            Ok(Presented::Post { client_id: client_id.to_owned(), secret: secret.to_owned() })
        }
        (None, None) => match body_id {
            Some(client_id) => Ok(Presented::None { client_id: client_id.to_owned() }),
            None => Err(OAuthError::invalid_client("client authentication required")),
        },
    }
}

/// Authenticates the calling client; every failure is `invalid_client` (401).
pub async fn authenticate(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
) -> Result<Client, OAuthError> {
    let presented = presented(authorization, params)?;
    let client_id = match &presented {
        Presented::Basic { client_id, .. }
        | Presented::Post { client_id, .. }
        | Presented::Assertion { client_id, .. }
        | Presented::None { client_id } => client_id,
    };
    let failed = || OAuthError::invalid_client("client authentication failed");
    let client = provider.clients.find(&provider.db, client_id).await?.ok_or_else(failed)?;
    let current = |secret: &str| client.secret_digest.as_deref().is_some_and(|d| secrets::matches_digest(secret, d));
    // After a rotation with overlap, the previous secret until the administrator's deadline.
    let secret_ok = async |secret: &str| {
        if current(secret) {
            return Ok::<bool, OAuthError>(true);
        }
        let previous = crate::store::clients::previous_secret(&provider.db, &client.client_id, provider.now()).await?;
        Ok(previous.is_some_and(|(digest, _)| secrets::matches_digest(secret, &digest)))
    };
    let ok = match (&presented, client.auth_method) {
        (Presented::Basic { secret, .. }, AuthMethod::ClientSecretBasic) => secret_ok(secret).await?,
        (Presented::Post { secret, .. }, AuthMethod::ClientSecretPost) => secret_ok(secret).await?,
        (Presented::None { .. }, AuthMethod::None) => true,
        (Presented::Assertion { assertion, .. }, AuthMethod::PrivateKeyJwt) => {
            check_assertion(provider, &client, assertion).await?;
            true
        }
        _ => false,
    };
    if ok { Ok(client) } else { Err(failed()) }
}

/// Longest lifetime accepted for a client assertion: it is single use and made just before
/// the request.
const MAX_ASSERTION_LIFETIME: i64 = 600;
/// Clock skew tolerated on `nbf` and `iat`.
const SKEW: i64 = 60;

/// RFC 7523 §3 with OIDC Core §9: signed by one of the client's registered keys, `iss` and
/// `sub` the client, `aud` this provider, unexpired, not yet used (`jti`).
async fn check_assertion(provider: &Provider, client: &Client, assertion: &str) -> Result<(), OAuthError> {
    let failed = |why: &'static str| OAuthError::invalid_client(why);
    use crate::signing::client_keys::verify_with_jwks;
    let unsigned = || failed("the client assertion is not signed by a registered key");
    let jwks = super::client_jwks::keys_of(provider, client, false).await?.ok_or_else(unsigned)?;
    let jwt = match verify_with_jwks(assertion, &jwks) {
        Ok(jwt) => jwt,
        // The client may have rotated its published keys: fetch them again, once.
        Err(_) if client.jwks_uri.is_some() => {
            let fresh = super::client_jwks::keys_of(provider, client, true).await?.ok_or_else(unsigned)?;
            verify_with_jwks(assertion, &fresh).map_err(|_| unsigned())?
        }
        Err(_) => return Err(unsigned()),
    };
    if jwt.str_claim("iss") != Some(client.client_id.as_str())
        || jwt.str_claim("sub") != Some(client.client_id.as_str())
    {
        return Err(failed("the client assertion's iss and sub must be the client_id"));
    }
    use super::discovery::paths;
    let accepted: Vec<String> = std::iter::once(provider.issuer().to_owned())
        .chain([paths::TOKEN, paths::INTROSPECT, paths::REVOKE, paths::PAR].iter().map(|p| provider.url(p)))
        .collect();
    let audience_ok = match jwt.claims.get("aud") {
        Some(serde_json::Value::String(a)) => accepted.contains(a),
        Some(serde_json::Value::Array(a)) => {
            a.iter().any(|v| v.as_str().is_some_and(|a| accepted.iter().any(|x| x == a)))
        }
        _ => false,
    };
    if !audience_ok {
        return Err(failed("the client assertion is not addressed to this provider"));
    }
    let now = provider.now();
    let exp = jwt.int_claim("exp").ok_or_else(|| failed("the client assertion has no exp"))?;
    if exp <= now || exp > now + MAX_ASSERTION_LIFETIME {
        return Err(failed("the client assertion is expired or lives too long"));
    }
    if jwt.int_claim("nbf").is_some_and(|nbf| nbf > now + SKEW)
        || jwt.int_claim("iat").is_some_and(|iat| iat > now + SKEW)
    {
        return Err(failed("the client assertion is not valid yet"));
    }
    let jti = jwt
        .str_claim("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| failed("the client assertion has no jti"))?;
    // Single use (shared by every instance): a replay within its lifetime is refused.
    let key = format!("assertion_jti:{}:{}", client.client_id, crate::secrets::digest(jti));
    if provider.ephemeral.incr(&key, exp - now + SKEW).await? > 1 {
        return Err(failed("the client assertion was already used"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%3Aclient:s%2Bcr+t"));
        assert_eq!(parse_basic(&header).unwrap(), ("my:client".to_owned(), "s+cr t".to_owned()));
        assert!(parse_basic("Bearer abc").is_err());
        assert!(parse_basic("Basic !!!").is_err());
        assert!(parse_basic(&format!("Basic {}", STANDARD.encode("nocolon"))).is_err());
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let params = Params::from_pairs([("client_id", "a"), ("client_secret", "b")]);
        let header = format!("Basic {}", STANDARD.encode("a:b"));
        assert!(presented(Some(&header), &params).is_err());
        assert_eq!(
            presented(None, &Params::from_pairs([("client_id", "a")])).unwrap(),
            Presented::None { client_id: "a".into() }
        );
    }
}
