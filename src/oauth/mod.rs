//! The OAuth 2.0 / OpenID Connect protocol: plain domain code, no HTTP and no SQL.
//!
//! Requests are parsed at the boundary into typed values ([`params`], [`scope`],
//! [`authorize::AuthorizationRequest`]); each rule lives in the module named after the spec's
//! concept; every error is an [`error::OAuthError`] from the spec's vocabulary.

pub mod access_token;
pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod client;
pub mod client_auth;
pub mod client_cache;
pub mod client_jwks;
pub mod client_metadata;
pub mod code;
pub mod consent_event;
pub mod discovery;
pub mod dpop;
pub mod encryption;
pub mod error;
pub mod grant;
pub mod id_token;
pub mod interaction;
pub mod introspection;
pub mod logout;
pub mod par;
pub mod params;
pub mod pkce;
pub mod registration;
pub mod request_object;
pub mod response;
pub mod revocation;
pub mod scope;
pub mod subject;
pub mod token;
pub mod userinfo;
pub mod verified_tokens;
pub mod withdrawal;
