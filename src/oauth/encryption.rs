//! Encrypted responses (OIDC Core §10.2, OIDC Registration §2): a client that registered
//! `id_token_encrypted_response_alg` or `userinfo_encrypted_response_alg` receives its ID
//! tokens or userinfo as a JWE made with its registered public encryption key, so only it can
//! read the resident's claims, even if the response is logged or leaked on the way.
//!
//! Signed, then encrypted (a nested JWT, `cty: JWT`), as OIDC Core §10.2 requires of ID tokens.
//! The JWE itself is `signing::jwe`'s.

use super::client::Client;
use super::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::signing::jwe;

/// Key management algorithms offered: RSA-OAEP-256 (RSA keys) and ECDH-ES (P-256, X25519).
pub const ALGS: [&str; 2] = jwe::KEY_ALGS;
/// Content encryption: A256GCM, and A128CBC-HS256, the registration default.
pub const ENCS: [&str; 2] = jwe::CONTENT_ALGS;
/// OIDC Registration §2: the `enc` when only the `alg` is registered.
pub const DEFAULT_ENC: &str = "A128CBC-HS256";

/// Checks a registered `alg`/`enc` pair against the client's keys (inline ones are searched for
/// a key that fits; keys behind a `jwks_uri` are checked when used).
pub fn check_registration(
    what: &str,
    alg: Option<&str>,
    enc: Option<&str>,
    jwks: Option<&str>,
    has_jwks_uri: bool,
) -> Result<(), String> {
    let Some(alg) = alg else {
        return match enc {
            Some(_) => Err(format!("{what}_encrypted_response_enc needs {what}_encrypted_response_alg")),
            None => Ok(()),
        };
    };
    if !ALGS.contains(&alg) {
        return Err(format!("{what} encryption algorithm {alg} is not supported ({})", ALGS.join(", ")));
    }
    if let Some(enc) = enc
        && !ENCS.contains(&enc)
    {
        return Err(format!("{what} content encryption {enc} is not supported ({})", ENCS.join(", ")));
    }
    match jwks {
        Some(set) if !jwe::has_key_for(set, alg) => Err(format!("the client's keys include none for {alg}")),
        Some(_) => Ok(()),
        None if has_jwks_uri => Ok(()),
        None => Err(format!("{what} encryption needs the client's public keys (jwks or jwks_uri)")),
    }
}

fn no_key() -> OAuthError {
    OAuthError::new(ErrorCode::UnauthorizedClient, "the client has no public key to encrypt its responses with")
}

/// Encrypts `payload` for `client` with `alg`/`enc`; `nested` marks a signed JWT inside.
pub async fn encrypt(
    provider: &Provider,
    client: &Client,
    alg: &str,
    enc: Option<&str>,
    payload: &[u8],
    nested: bool,
) -> Result<String, OAuthError> {
    use super::client_jwks::keys_of;
    let enc = enc.unwrap_or(DEFAULT_ENC);
    let attempt = |jwks: Option<String>| jwks.map(|set| jwe::encrypt_to(&set, alg, enc, payload, nested)).transpose();
    let mut sealed = attempt(keys_of(provider, client, false).await?)?.flatten();
    // The client may have rotated the keys it publishes: fetch them again, once.
    if sealed.is_none() && client.jwks_uri.is_some() {
        sealed = attempt(keys_of(provider, client, true).await?)?.flatten();
    }
    sealed.ok_or_else(no_key)
}

/// The ID token as the client receives it: signed, and encrypted if it registered for it.
pub async fn seal_id_token(provider: &Provider, client: &Client, signed: String) -> Result<String, OAuthError> {
    match client.metadata.id_token_encrypted_response_alg.as_deref() {
        None => Ok(signed),
        Some(alg) => {
            let enc = client.metadata.id_token_encrypted_response_enc.as_deref();
            encrypt(provider, client, alg, enc, signed.as_bytes(), true).await
        }
    }
}
