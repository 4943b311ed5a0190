//! Client authentication at the token, introspection and revocation endpoints (RFC 6749
//! §2.3.1, OIDC Core §9): `client_secret_basic`, `client_secret_post`, or `none` for a public
//! client that only identifies itself. Exactly one method per request, and the one the client
//! registered.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::client::{self, AuthMethod, Client};
use super::error::OAuthError;
use super::params::Params;
use crate::provider::Provider;
use crate::secrets;

/// Credentials as presented, before any lookup.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    Basic { client_id: String, secret: String },
    Post { client_id: String, secret: String },
    None { client_id: String },
}

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
        Presented::Basic { client_id, .. } | Presented::Post { client_id, .. } | Presented::None { client_id } => {
            client_id
        }
    };
    let failed = || OAuthError::invalid_client("client authentication failed");
    let client = client::find(&provider.db, client_id).await?.ok_or_else(failed)?;
    let secret_ok = |secret: &str| client.secret_digest.as_deref().is_some_and(|d| secrets::matches_digest(secret, d));
    let ok = match (&presented, client.auth_method) {
        (Presented::Basic { secret, .. }, AuthMethod::ClientSecretBasic) => secret_ok(secret),
        (Presented::Post { secret, .. }, AuthMethod::ClientSecretPost) => secret_ok(secret),
        (Presented::None { .. }, AuthMethod::None) => true,
        _ => false,
    };
    if ok { Ok(client) } else { Err(failed()) }
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
