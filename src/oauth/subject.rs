//! Subject identifiers (OIDC Core §8): public (the account id) or pairwise per sector.
//!
//! The sector of a client registered by an administrator is its partner: every service of one
//! commune sees the same `sub`, two communes see unrelated ones and cannot join on it. A
//! dynamically registered client's sector is the host of its redirect URIs (or of its
//! `sector_identifier_uri`), as OIDC Core §8.1 says.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::client::{Client, SubjectType};

/// OIDC Core §8.1: `sub = hash(sector_identifier, local_account_id, salt)`, with a secret salt
/// so nobody can compute a resident's identifier in another sector.
pub fn pairwise(sector: &str, user_id: &str, secret: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(secret);
    hasher.update([0]);
    hasher.update(sector.as_bytes());
    hasher.update([0]);
    hasher.update(user_id.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// The `sub` that `client` sees for the resident `user_id`.
pub fn for_client(client: &Client, user_id: &str, secret: &[u8]) -> String {
    match client.subject_type {
        SubjectType::Public => user_id.to_owned(),
        // A host sector is prefixed so it can never equal a partner id.
        SubjectType::Pairwise => match &client.metadata.sector {
            Some(host) => pairwise(&format!("host:{host}"), user_id, secret),
            None => pairwise(&client.partner_id, user_id, secret),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_differs_by_sector_and_is_stable() {
        let s = b"secret";
        assert_eq!(pairwise("bron", "u1", s), pairwise("bron", "u1", s));
        assert_ne!(pairwise("bron", "u1", s), pairwise("lyon", "u1", s));
        assert_ne!(pairwise("bron", "u1", s), pairwise("bron", "u1", b"other"));
        // The delimiter keeps ("ab","c") and ("a","bc") apart.
        assert_ne!(pairwise("ab", "c", s), pairwise("a", "bc", s));
    }
}
