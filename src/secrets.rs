//! High-entropy values handed out by the provider (client secrets, codes, refresh tokens,
//! session and interaction ids) and the digests under which they are stored: a value with 256
//! bits of entropy needs no slow hash, and a digest cannot be replayed from a database dump.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A random value of `bytes` bytes, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    URL_SAFE_NO_PAD.encode(buf)
}

/// 256-bit token: codes, refresh tokens, client secrets, session ids.
pub fn new_secret() -> String {
    random_token(32)
}

/// The storage form of a secret: SHA-256, base64url.
pub fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// Compares a presented secret with a stored digest in constant time.
pub fn matches_digest(presented: &str, stored_digest: &str) -> bool {
    digest(presented).as_bytes().ct_eq(stored_digest.as_bytes()).into()
}

/// Constant-time equality of two strings (CSRF tokens, bindings).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_distinct_and_checked_by_digest() {
        let a = new_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_secret());
        assert!(matches_digest(&a, &digest(&a)));
        assert!(!matches_digest("other", &digest(&a)));
    }
}
