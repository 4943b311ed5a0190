//! Compact JWS (RFC 7515) signing and verification with the provider's own keys.
//!
//! The header is always `{alg, kid, typ?}` from a key of our set; verification selects the key
//! by `kid` and refuses any `alg` other than that key's (RFC 8725 §2.1, §3.1), so `none` and
//! algorithm confusion are impossible by construction. Claims checks (`exp`, `iss`, `aud`)
//! belong to the caller, which knows the token's purpose and the clock.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::keys::{KeySet, SigningAlg};

/// Tokens larger than this are refused before any decoding.
pub const MAX_JWT_LEN: usize = 16 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("malformed token")]
    Malformed,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
    #[error("no signing key for {0}")]
    NoKey(&'static str),
    #[error("signing failed: {0}")]
    Signing(String),
}

#[derive(Debug, Clone)]
pub struct VerifiedJwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

impl VerifiedJwt {
    pub fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn int_claim(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }

    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }
}

impl KeySet {
    /// Signs `claims` with the active key of `alg`.
    pub fn sign(&self, alg: SigningAlg, typ: Option<&str>, claims: &Map<String, Value>) -> Result<String, JwtError> {
        let key = self.active(alg).ok_or(JwtError::NoKey(alg.as_str()))?;
        let mut header = Map::new();
        header.insert("alg".into(), alg.as_str().into());
        header.insert("kid".into(), key.kid.clone().into());
        if let Some(typ) = typ {
            header.insert("typ".into(), typ.into());
        }
        let mut token = String::with_capacity(512);
        URL_SAFE_NO_PAD.encode_string(Value::Object(header).to_string(), &mut token);
        token.push('.');
        let claims = serde_json::to_vec(claims).map_err(|e| JwtError::Signing(e.to_string()))?;
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let signature = key.signer.sign(token.as_bytes()).map_err(|e| JwtError::Signing(e.to_string()))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    /// Verifies a token signed by one of our keys (any age: the caller checks `exp`).
    pub fn verify(&self, token: &str) -> Result<VerifiedJwt, JwtError> {
        let (header, claims, signing_input, signature) = split(token)?;
        let kid = header.get("kid").and_then(Value::as_str).ok_or(JwtError::UnknownKey)?;
        let key = self.by_kid(kid).ok_or(JwtError::UnknownKey)?;
        if header.get("alg").and_then(Value::as_str) != Some(key.alg.as_str()) {
            return Err(JwtError::BadSignature);
        }
        key.verifier.verify(signing_input.as_bytes(), &signature).map_err(|_| JwtError::BadSignature)?;
        Ok(VerifiedJwt { header, claims })
    }
}

/// A compact JWS decoded but not verified.
type Parts<'a> = (Map<String, Value>, Map<String, Value>, &'a str, Vec<u8>);

/// Decodes a compact JWS without verifying it: header, claims, signing input, signature.
pub fn split(token: &str) -> Result<Parts<'_>, JwtError> {
    if token.len() > MAX_JWT_LEN {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    let decode_object = |part: &str| -> Result<Map<String, Value>, JwtError> {
        let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::Malformed)?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(JwtError::Malformed),
        }
    };
    let header = decode_object(h)?;
    let claims = decode_object(p)?;
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
    let signing_input = &token[..h.len() + 1 + p.len()];
    Ok((header, claims, signing_input, signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys() -> (tempfile::TempDir, KeySet) {
        let dir = tempfile::tempdir().unwrap();
        let set = KeySet::load_or_generate(dir.path(), 1).unwrap();
        (dir, set)
    }

    #[test]
    fn every_algorithm_round_trips() {
        let (_d, set) = keys();
        let claims = json!({"sub": "a"}).as_object().unwrap().clone();
        for alg in SigningAlg::ALL {
            let token = set.sign(alg, Some("at+jwt"), &claims).unwrap();
            let verified = set.verify(&token).unwrap();
            assert_eq!(verified.str_claim("sub"), Some("a"));
            assert_eq!(verified.typ(), Some("at+jwt"));
        }
    }

    #[test]
    fn tampering_alg_none_and_garbage_are_refused() {
        let (_d, set) = keys();
        let claims = json!({"sub": "a"}).as_object().unwrap().clone();
        let token = set.sign(SigningAlg::ES256, None, &claims).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"b"}"#);
        assert_eq!(
            set.verify(&format!("{}.{}.{}", parts[0], forged_claims, parts[2])).unwrap_err(),
            JwtError::BadSignature
        );
        let kid = set.active(SigningAlg::ES256).unwrap().kid.clone();
        let none_header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": kid}).to_string());
        assert_eq!(set.verify(&format!("{none_header}.{}.", parts[1])).unwrap_err(), JwtError::BadSignature);
        assert_eq!(set.verify("a.b").unwrap_err(), JwtError::Malformed);
        assert_eq!(set.verify("!!.??.**").unwrap_err(), JwtError::Malformed);
        assert_eq!(set.verify(&"a.".repeat(20_000)).unwrap_err(), JwtError::Malformed);
    }
}
