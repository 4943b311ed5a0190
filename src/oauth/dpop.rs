//! DPoP (RFC 9449): proofs of possession of a client-held key, which bind access and refresh
//! tokens to it, so a stolen token is useless without the key.
//!
//! A proof is a JWT the client signs for one request: `typ: dpop+jwt`, its public key in the
//! `jwk` header, `jti`, `htm` and `htu` naming the request, a fresh `iat`, and at a resource
//! `ath`, the hash of the access token it accompanies. Each `jti` is accepted once (shared
//! replay cache). The key is named by its RFC 7638 thumbprint, `jkt`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::signing::client_keys::verify_with_embedded_jwk;
use crate::signing::jwt::split;

/// The algorithms a proof may be signed with (asymmetric only, RFC 9449 §4.2).
pub const SIGNING_ALGS: [&str; 4] = ["ES256", "PS256", "RS256", "EdDSA"];
/// How far a proof's `iat` may be from our clock: proofs are made just before the request.
const IAT_WINDOW: i64 = 60;
/// Longest accepted proof.
const MAX_PROOF_LEN: usize = 8 * 1024;

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, description)
}

/// The request a proof must name.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub method: &'a str,
    pub url: &'a str,
    /// The access token the proof accompanies at a resource.
    pub access_token: Option<&'a str>,
}

/// How an access token reached a resource (RFC 9449 §7).
#[derive(Debug, Clone, Copy)]
pub struct Presentation<'a> {
    /// `Authorization: DPoP` rather than `Bearer` (or the form body).
    pub dpop_scheme: bool,
    /// The request's `DPoP` header.
    pub proof: Option<&'a str>,
    pub method: &'a str,
    pub url: &'a str,
}

/// RFC 9449 §7: a DPoP-bound token must come with the `DPoP` scheme and a proof of its key;
/// an unbound one is a bearer token and cannot claim to be bound.
pub async fn check_presentation(
    provider: &Provider,
    bound_to: Option<&str>,
    token: &str,
    presented: Presentation<'_>,
) -> Result<(), OAuthError> {
    match (bound_to, presented.dpop_scheme) {
        (None, false) => Ok(()),
        (None, true) => Err(OAuthError::invalid_token("the access token is not DPoP-bound")),
        (Some(_), false) => {
            Err(OAuthError::invalid_token("a DPoP-bound access token needs the DPoP scheme and a proof"))
        }
        (Some(jkt), true) => {
            let proof = presented.proof.ok_or_else(|| invalid("a DPoP proof is required"))?;
            let target = Target { method: presented.method, url: presented.url, access_token: Some(token) };
            if verify(provider, proof, target).await? == jkt {
                Ok(())
            } else {
                Err(invalid("the DPoP proof is made with another key than the token's"))
            }
        }
    }
}

/// Verifies a `DPoP` header for `target`; returns the key's thumbprint.
pub async fn verify(provider: &Provider, proof: &str, target: Target<'_>) -> Result<String, OAuthError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(invalid("the DPoP proof is too long"));
    }
    let (header, claims, signing_input, signature) =
        split(proof).map_err(|_| invalid("the DPoP proof is not a JWT"))?;
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err(invalid("the DPoP proof's typ must be dpop+jwt"));
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let jwk = match header.get("jwk") {
        Some(Value::Object(map)) => map.clone(),
        _ => return Err(invalid("the DPoP proof has no jwk header")),
    };
    let jkt = thumbprint(&jwk).ok_or_else(|| invalid("the DPoP proof's jwk is not a public key"))?;
    if !SIGNING_ALGS.contains(&alg) {
        return Err(invalid("the DPoP proof's algorithm is not supported"));
    }
    if !verify_with_embedded_jwk(alg, jwk, signing_input.as_bytes(), &signature) {
        return Err(invalid("the DPoP proof's signature is invalid"));
    }
    check_claims(provider, &claims, target)?;
    // Each proof once (RFC 9449 §11.1), across every instance.
    let jti = claims.get("jti").and_then(Value::as_str).unwrap_or_default();
    let key = format!("dpop_jti:{jkt}:{}", crate::secrets::digest(jti));
    if provider.ephemeral.incr(&key, 2 * IAT_WINDOW + 1).await? > 1 {
        return Err(invalid("the DPoP proof was already used"));
    }
    Ok(jkt)
}

fn check_claims(provider: &Provider, claims: &Map<String, Value>, target: Target<'_>) -> Result<(), OAuthError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if !text("jti").is_some_and(|j| !j.is_empty() && j.len() <= 256) {
        return Err(invalid("the DPoP proof has no jti"));
    }
    if text("htm") != Some(target.method) {
        return Err(invalid("the DPoP proof's htm is not this request's method"));
    }
    if !text("htu").is_some_and(|htu| same_uri(htu, target.url)) {
        return Err(invalid("the DPoP proof's htu is not this endpoint"));
    }
    let iat = claims.get("iat").and_then(Value::as_i64).ok_or_else(|| invalid("the DPoP proof has no iat"))?;
    if (iat - provider.now()).abs() > IAT_WINDOW {
        return Err(invalid("the DPoP proof's iat is too far from now"));
    }
    if let Some(token) = target.access_token {
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        if text("ath") != Some(expected.as_str()) {
            return Err(invalid("the DPoP proof's ath does not match the access token"));
        }
    }
    Ok(())
}

/// RFC 9449 §4.3: `htu` compared without query and fragment, after normalisation.
fn same_uri(htu: &str, endpoint: &str) -> bool {
    let strip = |u: &str| {
        url::Url::parse(u).ok().map(|mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        })
    };
    matches!((strip(htu), strip(endpoint)), (Some(a), Some(b)) if a == b)
}

/// RFC 7638: SHA-256 over the key's required members, in lexicographic order, no whitespace.
/// `None` for a private or unsupported key.
pub fn thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    if ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|m| jwk.contains_key(*m)) {
        return None;
    }
    let members: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = Map::new();
    for member in members {
        canonical.insert((*member).to_owned(), Value::String(jwk.get(*member)?.as_str()?.to_owned()));
    }
    // serde_json's map is ordered by key here (no `preserve_order`), and writes no whitespace.
    let json = serde_json::to_string(&canonical).ok()?;
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(json.as_bytes())))
}

/// Whether `value` can be a thumbprint (a `dpop_jkt` parameter): base64url of 32 bytes.
pub fn is_thumbprint(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1.
        let jwk: Map<String, Value> = serde_json::from_str(
            r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
        )
        .unwrap();
        assert_eq!(thumbprint(&jwk).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        let mut private = jwk.clone();
        private.insert("d".into(), "x".into());
        assert!(thumbprint(&private).is_none());
    }

    #[test]
    fn htu_ignores_query_and_fragment_only() {
        assert!(same_uri("https://op.fr/token?x=1#y", "https://op.fr/token"));
        assert!(same_uri("HTTPS://OP.FR:443/token", "https://op.fr/token"));
        assert!(!same_uri("https://op.fr/token/", "https://op.fr/token"));
        assert!(!same_uri("https://evil.fr/token", "https://op.fr/token"));
    }
}
