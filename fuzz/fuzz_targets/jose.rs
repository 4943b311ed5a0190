//! JWS, JWE and JWK parsing: tokens verified with the provider's own keys (`id_token_hint`,
//! access tokens, logout and consent tokens), JWEs opened with our encryption keys
//! (FranceConnect+), sealed values (cookies' and interactions' sealed state), clients' JWTs
//! verified against a registered JWK set (client assertions, request objects), and a DPoP
//! proof's embedded key. Input: `token NUL jwks-or-jwk`. Nothing may panic, and nothing
//! unsigned, `none`-signed or signed with a symmetric key may ever verify.
#![no_main]

use glc::signing::{client_keys, jwe, jwt};
use glc_fuzz::{keys, two_parts};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// What a verified token's header may name: never `none`, never an HMAC (RFC 8725 §3.1).
fn assert_asymmetric(header: &Map<String, Value>) {
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    assert!(["RS256", "PS256", "ES256", "EdDSA"].contains(&alg), "verified with alg {alg}");
}

fuzz_target!(|data: &[u8]| {
    let Some((token, jwks)) = two_parts(data) else { return };
    let ours = keys();

    let _ = jwt::split(token);
    if let Ok(verified) = ours.verify(token) {
        assert_asymmetric(&verified.header);
    }
    if jwe::is_compact_jwe(token) {
        let _ = jwe::decrypt_for_us(&ours, token);
    }
    let _ = jwe::unseal(&[7u8; 32], token);

    if client_keys::validate_jwks(jwks).is_ok()
        && let Ok(verified) = client_keys::verify_with_jwks(token, jwks)
    {
        assert_asymmetric(&verified.header);
    }

    // A DPoP proof carries its public key: thumbprint it and verify with it.
    if let Ok(Value::Object(jwk)) = serde_json::from_str::<Value>(jwks) {
        let _ = glc::oauth::dpop::thumbprint(&jwk);
        if let Ok((header, _, signing_input, signature)) = jwt::split(token) {
            let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default().to_owned();
            let verified =
                client_keys::verify_with_embedded_jwk(&alg, jwk, signing_input.as_bytes(), &signature);
            if verified {
                assert_asymmetric(&header);
            }
        }
    }
});
