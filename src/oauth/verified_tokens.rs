//! Access tokens whose signature was verified recently: an API calling userinfo or
//! introspection presents the same token many times during its few minutes of life, and an
//! ES256 verification is the largest cost of those requests (`docs/performance.md`).
//!
//! A token is found again only by its exact text, so only a token that passed every check once
//! is ever served from here; its expiry is checked again at each use by the caller, revocation
//! is never cached (it is checked at each use), and a change of the signing keys (a reload of
//! the keys directory) forgets everything verified under the previous set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::access_token::AccessToken;
use crate::signing::KeySet;

/// At most this many tokens are kept (about 1 KB each); beyond, the cache starts afresh.
const CAPACITY: usize = 2048;

#[derive(Debug, Default)]
pub struct VerifiedTokens(Mutex<Cache>);

#[derive(Debug, Default)]
struct Cache {
    /// The key set the tokens were verified with (held, so that no other set takes its place
    /// at the same address).
    keys: Option<Arc<KeySet>>,
    tokens: HashMap<Box<str>, AccessToken>,
}

impl VerifiedTokens {
    /// What `token` said when it was verified with `keys`, if it was.
    pub fn get(&self, keys: &Arc<KeySet>, token: &str) -> Option<AccessToken> {
        let cache = self.0.lock().ok()?;
        if !cache.keys.as_ref().is_some_and(|verified_with| Arc::ptr_eq(verified_with, keys)) {
            return None;
        }
        cache.tokens.get(token).cloned()
    }

    /// Remembers that `token`, verified with `keys`, says `claims`.
    pub fn put(&self, keys: &Arc<KeySet>, token: &str, claims: &AccessToken) {
        let Ok(mut cache) = self.0.lock() else { return };
        let same_keys = cache.keys.as_ref().is_some_and(|verified_with| Arc::ptr_eq(verified_with, keys));
        if !same_keys || cache.tokens.len() >= CAPACITY {
            cache.tokens.clear();
            cache.keys = Some(keys.clone());
        }
        cache.tokens.insert(token.into(), claims.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::scope::Scopes;

    fn claims(jti: &str) -> AccessToken {
        AccessToken {
            jti: jti.into(),
            client_id: "cantine".into(),
            sub: "resident".into(),
            aud: vec!["https://connect.grandlyon.example".into()],
            scope: Scopes::parse("openid").unwrap(),
            exp: 1_800_000_300,
            iat: 1_800_000_000,
            grant_id: None,
            jkt: None,
        }
    }

    fn key_set(dir: &std::path::Path) -> Arc<KeySet> {
        Arc::new(KeySet::load_or_generate(dir, 1_800_000_000).unwrap())
    }

    #[test]
    fn a_token_is_found_by_its_exact_text_under_the_same_keys_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VerifiedTokens::default();
        let keys = key_set(dir.path());
        cache.put(&keys, "a.b.c", &claims("1"));
        assert_eq!(cache.get(&keys, "a.b.c").unwrap().jti, "1");
        assert!(cache.get(&keys, "a.b.d").is_none(), "another signature is another token");
        let reloaded = key_set(dir.path());
        assert!(cache.get(&reloaded, "a.b.c").is_none(), "keys reloaded: verify again");
        cache.put(&reloaded, "x.y.z", &claims("2"));
        assert!(cache.get(&keys, "a.b.c").is_none() && cache.get(&reloaded, "a.b.c").is_none());
        assert_eq!(cache.get(&reloaded, "x.y.z").unwrap().jti, "2");
    }

    #[test]
    fn the_cache_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VerifiedTokens::default();
        let keys = key_set(dir.path());
        for n in 0..CAPACITY + 10 {
            cache.put(&keys, &format!("token-{n}"), &claims(&n.to_string()));
        }
        assert!(cache.0.lock().unwrap().tokens.len() <= CAPACITY);
    }
}
