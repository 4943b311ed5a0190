//! Proof Key for Code Exchange (RFC 7636), S256 only.
//!
//! `plain` is refused (RFC 9700 §2.1.1: it protects nothing against an attacker who reads the
//! authorization request).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::OAuthError;

/// RFC 7636 §4.1/§4.2: 43–128 characters of `[A-Za-z0-9-._~]`.
fn is_pkce_string(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Validates the `code_challenge` / `code_challenge_method` pair of an authorization request.
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<Option<String>, OAuthError> {
    match (challenge, method) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(OAuthError::invalid_request("code_challenge_method without code_challenge")),
        // RFC 7636 §4.3: an absent method means `plain`, which we do not support.
        (Some(_), None) | (Some(_), Some("plain")) => {
            Err(OAuthError::invalid_request("code_challenge_method must be S256 (plain is not supported)"))
        }
        (Some(_), Some(m)) if m != "S256" => Err(OAuthError::invalid_request("unsupported code_challenge_method")),
        (Some(c), Some(_)) if !is_pkce_string(c) => Err(OAuthError::invalid_request("malformed code_challenge")),
        (Some(c), Some(_)) => Ok(Some(c.to_owned())),
    }
}

/// The token-endpoint check (RFC 7636 §4.6), including the downgrade rule of RFC 9700
/// §4.8.2: a `code_verifier` for a code issued without a challenge is refused.
pub fn verify(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => {
            Err(OAuthError::invalid_grant("code_verifier sent for a code issued without code_challenge"))
        }
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier required")),
        (Some(_), Some(v)) if !is_pkce_string(v) => Err(OAuthError::invalid_grant("malformed code_verifier")),
        (Some(c), Some(v)) => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
            if computed.as_bytes().ct_eq(c.as_bytes()).into() {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant("code_verifier does not match code_challenge"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies() {
        assert!(verify(Some(CHALLENGE), Some(VERIFIER)).is_ok());
        assert!(verify(Some(CHALLENGE), Some(&VERIFIER.replace('d', "e"))).is_err());
    }

    #[test]
    fn plain_missing_method_and_downgrade_are_refused() {
        assert!(check_challenge(Some(CHALLENGE), None).is_err());
        assert!(check_challenge(Some(CHALLENGE), Some("plain")).is_err());
        assert!(check_challenge(Some("short"), Some("S256")).is_err());
        assert_eq!(check_challenge(Some(CHALLENGE), Some("S256")).unwrap().as_deref(), Some(CHALLENGE));
        assert!(verify(None, Some(VERIFIER)).is_err());
        assert!(verify(Some(CHALLENGE), None).is_err());
        assert!(verify(None, None).is_ok());
    }
}
