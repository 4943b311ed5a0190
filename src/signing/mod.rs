//! Signing keys and JSON Web Tokens: the only user of josekit.
//!
//! [`keys`] generates, stores and loads the key set (RS256, ES256, Ed25519 to sign; RSA-OAEP-256
//! and ECDH-ES to receive encrypted tokens; each with a `kid` that is its RFC 7638 thumbprint); [`jwt`] signs and verifies compact JWS with it. Only
//! asymmetric algorithms exist here: `none` and HS* can be neither produced nor accepted
//! (RFC 8725 §3.1).

pub mod client_keys;
pub mod jwe;
pub mod jwt;
pub mod keys;
pub mod ring;

pub use jwt::{JwtError, VerifiedJwt};
pub use keys::{EncryptionAlg, KeyAlg, KeyError, KeySet, SigningAlg};
pub use ring::KeyRing;
