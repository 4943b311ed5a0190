//! ID tokens (OIDC Core §2, §3.1.3.6).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};

use super::client::Client;
use super::error::OAuthError;
use crate::provider::Provider;
use crate::signing::{SigningAlg, VerifiedJwt};

/// The facts an ID token states about one authentication.
#[derive(Debug)]
pub struct IdTokenFacts<'a> {
    pub sub: &'a str,
    pub nonce: Option<&'a str>,
    pub auth_time: i64,
    pub acr: &'a str,
    pub amr: &'a [String],
    pub sid: &'a str,
    pub access_token: Option<&'a str>,
    /// Claims asked for the ID token through the claims parameter.
    pub extra: Map<String, Value>,
}

/// Signs an ID token for `client` with the algorithm it registered (RS256 by default).
pub fn issue(provider: &Provider, client: &Client, facts: IdTokenFacts<'_>) -> Result<String, OAuthError> {
    let now = provider.now();
    let mut claims = facts.extra;
    let standard = json!({
        "iss": provider.issuer(),
        "sub": facts.sub,
        "aud": client.client_id,
        "exp": now + provider.config.lifetimes.id_token,
        "iat": now,
        "auth_time": facts.auth_time,
        "acr": facts.acr,
        "amr": facts.amr,
        "sid": facts.sid,
    });
    if let Value::Object(standard) = standard {
        claims.extend(standard);
    }
    if let Some(nonce) = facts.nonce {
        claims.insert("nonce".into(), nonce.into());
    }
    if let Some(at) = facts.access_token {
        claims.insert("at_hash".into(), token_hash(client.id_token_alg, at).into());
    }
    Ok(provider.keys().sign(client.id_token_alg, None, &claims)?)
}

/// An `id_token_hint` (OIDC Core §3.1.2.1, RP-Initiated Logout §2): an ID token this
/// provider issued, expired or not — and nothing else it signs. Our other JWTs name their kind
/// in `typ` (`at+jwt`, `logout+jwt`, receipts, events, checkpoints: RFC 8725 §3.11), and a
/// signed userinfo answer lacks the ID token's `exp`, `iat` and `auth_time`, so none of them
/// passes for one (cross-JWT confusion, RFC 8725 §2.8).
pub fn verify_hint(provider: &Provider, hint: &str) -> Option<VerifiedJwt> {
    let token = provider.keys().verify(hint).ok()?;
    let untyped = token.typ().is_none_or(|typ| typ.eq_ignore_ascii_case("JWT"));
    let shaped = ["exp", "iat", "auth_time"].iter().all(|claim| token.int_claim(claim).is_some())
        && token.str_claim("sub").is_some()
        && !token.claims.contains_key("events");
    (untyped && shaped && token.str_claim("iss") == Some(provider.issuer())).then_some(token)
}

/// OIDC Core §3.1.3.6: base64url of the left half of the hash of the token, with the hash of
/// the signing algorithm (SHA-512 for Ed25519, as OpenID's EdDSA registration specifies).
pub fn token_hash(alg: SigningAlg, token: &str) -> String {
    let digest: Vec<u8> = match alg {
        SigningAlg::RS256 | SigningAlg::ES256 => Sha256::digest(token.as_bytes()).to_vec(),
        SigningAlg::EdDSA => Sha512::digest(token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core Appendix A.3's access token and at_hash (RS256).
        assert_eq!(
            token_hash(SigningAlg::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
