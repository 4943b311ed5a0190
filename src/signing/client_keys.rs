//! Clients' public keys (a registered JWK set) and the verification of JWTs they sign
//! (`private_key_jwt` client assertions, RFC 7523). Only asymmetric algorithms: a key set
//! with private or symmetric members is refused at registration (RFC 8725 §3.1).

use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{ES256, EdDSA, JwsVerifier, PS256, RS256};
use serde_json::Value;

use super::jwt::{JwtError, VerifiedJwt, split};

/// The algorithms a client may sign with.
pub const CLIENT_SIGNING_ALGS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

/// Checks a JWK set a client registers: parseable, at least one key, public asymmetric keys only.
pub fn validate_jwks(json: &str) -> Result<(), String> {
    let set = JwkSet::from_bytes(json.as_bytes()).map_err(|e| format!("not a JWK set: {e}"))?;
    if set.keys().is_empty() {
        return Err("the JWK set has no key".into());
    }
    for key in set.keys() {
        let map: &serde_json::Map<String, Value> = key.as_ref();
        if ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|m| map.contains_key(*m)) {
            return Err("the JWK set must contain public keys only".into());
        }
        if !matches!(key.key_type(), "RSA" | "EC" | "OKP") {
            return Err(format!("unsupported key type {}", key.key_type()));
        }
    }
    Ok(())
}

fn verifier(alg: &str, jwk: &Jwk) -> Option<Box<dyn JwsVerifier>> {
    if jwk.algorithm().is_some_and(|a| a != alg) {
        return None;
    }
    Some(match alg {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).ok()?),
        "PS256" => Box::new(PS256.verifier_from_jwk(jwk).ok()?),
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk).ok()?),
        "EdDSA" => Box::new(EdDSA.verifier_from_jwk(jwk).ok()?),
        _ => return None,
    })
}

/// Verifies a compact JWS against a client's registered JWK set: the key named by `kid`, or
/// any key that fits the algorithm when there is no `kid`.
pub fn verify_with_jwks(token: &str, jwks_json: &str) -> Result<VerifiedJwt, JwtError> {
    let (header, claims, signing_input, signature) = split(token)?;
    let alg = header.get("alg").and_then(Value::as_str).ok_or(JwtError::Malformed)?;
    if !CLIENT_SIGNING_ALGS.contains(&alg) {
        return Err(JwtError::BadSignature);
    }
    let set = JwkSet::from_bytes(jwks_json.as_bytes()).map_err(|_| JwtError::UnknownKey)?;
    let candidates: Vec<&Jwk> = match header.get("kid").and_then(Value::as_str) {
        Some(kid) => set.get(kid),
        None => set.keys(),
    };
    let verified = candidates
        .into_iter()
        .filter_map(|jwk| verifier(alg, jwk))
        .any(|v| v.verify(signing_input.as_bytes(), &signature).is_ok());
    if verified { Ok(VerifiedJwt { header, claims }) } else { Err(JwtError::BadSignature) }
}

/// Verifies a signature with a public key carried in the token itself (a DPoP proof's `jwk`
/// header, RFC 9449 §4.2): only the client algorithms, only a public key.
pub fn verify_with_embedded_jwk(
    alg: &str,
    jwk: serde_json::Map<String, Value>,
    signing_input: &[u8],
    signature: &[u8],
) -> bool {
    if !CLIENT_SIGNING_ALGS.contains(&alg) || ["d", "p", "q", "k"].iter().any(|m| jwk.contains_key(*m)) {
        return false;
    }
    let Ok(jwk) = Jwk::from_map(jwk) else { return false };
    verifier(alg, &jwk).is_some_and(|v| v.verify(signing_input, signature).is_ok())
}
