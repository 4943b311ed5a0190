//! Compact JWE: responses encrypted to a client's registered public key (RSA-OAEP-256, ECDH-ES;
//! OIDC Core §10.2), and secrets sealed at rest with a key of ours (`dir` + A256GCM).

use josekit::jwe::{Dir, ECDH_ES, JweDecrypter, JweHeader, RSA_OAEP_256};
use josekit::jwk::{Jwk, JwkSet};

use super::{JwtError, KeySet};

/// Key management algorithms a client may register.
pub const KEY_ALGS: [&str; 2] = ["RSA-OAEP-256", "ECDH-ES"];
/// Content encryption algorithms offered.
pub const CONTENT_ALGS: [&str; 2] = ["A256GCM", "A128CBC-HS256"];

/// A public key of the set that can receive `alg`: marked for encryption (or unmarked), of the
/// right type, and not tied to another algorithm.
fn key_for(jwks: &str, alg: &str) -> Option<Jwk> {
    let set = JwkSet::from_bytes(jwks.as_bytes()).ok()?;
    set.keys()
        .into_iter()
        .find(|key| {
            let fits_type = match alg {
                "RSA-OAEP-256" => key.key_type() == "RSA",
                "ECDH-ES" => {
                    matches!((key.key_type(), key.curve()), ("EC", Some("P-256")) | ("OKP", Some("X25519")))
                }
                _ => false,
            };
            fits_type && key.key_use().is_none_or(|u| u == "enc") && key.algorithm().is_none_or(|a| a == alg)
        })
        .cloned()
}

/// Whether the JWK set holds a key that can receive `alg`.
pub fn has_key_for(jwks: &str, alg: &str) -> bool {
    key_for(jwks, alg).is_some()
}

/// Encrypts `payload` to the set's key for `alg`, with `enc`; `nested` marks a signed JWT
/// inside (`cty: JWT`). `Ok(None)` when the set has no key for `alg`.
pub fn encrypt_to(jwks: &str, alg: &str, enc: &str, payload: &[u8], nested: bool) -> Result<Option<String>, JwtError> {
    let Some(key) = key_for(jwks, alg) else { return Ok(None) };
    let mut header = JweHeader::new();
    header.set_content_encryption(enc);
    if nested {
        header.set_content_type("JWT");
    }
    if let Some(kid) = key.key_id() {
        header.set_key_id(kid);
    }
    let failed = |e: josekit::JoseError| JwtError::Signing(e.to_string());
    let sealed = match alg {
        "RSA-OAEP-256" => {
            josekit::jwe::serialize_compact(payload, &header, &RSA_OAEP_256.encrypter_from_jwk(&key).map_err(failed)?)
        }
        "ECDH-ES" => {
            josekit::jwe::serialize_compact(payload, &header, &ECDH_ES.encrypter_from_jwk(&key).map_err(failed)?)
        }
        _ => return Ok(None),
    };
    sealed.map(Some).map_err(failed)
}

/// Whether `token` has the five parts of a compact JWE (a JWS has three).
pub fn is_compact_jwe(token: &str) -> bool {
    token.split('.').count() == 5
}

/// Opens a compact JWE sent to one of our encryption keys: the one its `kid` names (or, when
/// the sender named none, our newest key for its `alg`), with `A256GCM` content encryption
/// only — what FranceConnect+ sends. Anything else is refused, never guessed at.
pub fn decrypt_for_us(keys: &KeySet, token: &str) -> Result<Vec<u8>, JwtError> {
    let ours = keys.decryption_keys();
    let selector = |header: &JweHeader| -> Result<Option<&dyn JweDecrypter>, josekit::JoseError> {
        if header.content_encryption() != Some("A256GCM") {
            return Ok(None);
        }
        let alg = header.algorithm();
        let key = match header.key_id() {
            Some(kid) => ours.iter().find(|k| k.kid == kid),
            None => ours.iter().rev().find(|k| Some(k.alg.as_str()) == alg),
        };
        Ok(key.filter(|k| Some(k.alg.as_str()) == alg).map(|k| k.decrypter.as_ref()))
    };
    josekit::jwe::deserialize_compact_with_selector(token, selector)
        .map(|(plain, _)| plain)
        .map_err(|_| JwtError::Malformed)
}

/// Seals `plaintext` with a 256-bit key of ours (AES-256-GCM).
pub fn seal(key: &[u8; 32], plaintext: &[u8]) -> Result<String, JwtError> {
    let failed = |e: josekit::JoseError| JwtError::Signing(e.to_string());
    let encrypter = Dir.encrypter_from_bytes(key).map_err(failed)?;
    let mut header = JweHeader::new();
    header.set_content_encryption("A256GCM");
    josekit::jwe::serialize_compact(plaintext, &header, &encrypter).map_err(failed)
}

/// Opens what [`seal`] sealed with the same key.
pub fn unseal(key: &[u8; 32], sealed: &str) -> Result<Vec<u8>, JwtError> {
    let decrypter = Dir.decrypter_from_bytes(key).map_err(|e| JwtError::Signing(e.to_string()))?;
    josekit::jwe::deserialize_compact(sealed, &decrypter).map(|(plain, _)| plain).map_err(|_| JwtError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_encrypted_to_our_published_keys_opens_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeySet::load_or_generate(dir.path(), 100).unwrap();
        for alg in KEY_ALGS {
            let sealed = encrypt_to(keys.jwks_json(), alg, "A256GCM", b"inner.jws.token", true).unwrap().unwrap();
            assert!(is_compact_jwe(&sealed));
            assert_eq!(decrypt_for_us(&keys, &sealed).unwrap(), b"inner.jws.token", "{alg}");
            // Another content encryption than FranceConnect+'s is refused.
            let cbc = encrypt_to(keys.jwks_json(), alg, "A128CBC-HS256", b"x", true).unwrap().unwrap();
            assert!(decrypt_for_us(&keys, &cbc).is_err(), "{alg} with A128CBC-HS256");
        }
        // Encrypted to someone else's key: not ours to open.
        let other_dir = tempfile::tempdir().unwrap();
        let other = KeySet::load_or_generate(other_dir.path(), 100).unwrap();
        let theirs = encrypt_to(other.jwks_json(), "RSA-OAEP-256", "A256GCM", b"x", true).unwrap().unwrap();
        assert!(decrypt_for_us(&keys, &theirs).is_err());
        assert!(decrypt_for_us(&keys, "a.b.c.d.e").is_err());
        assert!(!is_compact_jwe("header.payload.signature"));
    }

    #[test]
    fn sealed_secrets_open_with_their_key_only() {
        let sealed = seal(&[7; 32], b"secret").unwrap();
        assert_eq!(unseal(&[7; 32], &sealed).unwrap(), b"secret");
        assert!(unseal(&[8; 32], &sealed).is_err());
    }
}
