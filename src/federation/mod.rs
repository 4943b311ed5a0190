//! FranceConnect: we are its OpenID Connect client upstream (`client`), remember each
//! browser's pending login (`flow`), and turn the identity it certifies into an account
//! (`accounts`). `standin` is a FranceConnect look-alike for development and tests, never
//! served by `serve`.

pub mod accounts;
pub mod assurance;
pub mod client;
pub mod flow;
pub mod outage;
pub mod standin;

pub use client::{FcError, FcIdentity, FranceConnect};

/// The `amr` of a login through FranceConnect (FC's own value); its `acr` is the eIDAS level FC
/// returned.
pub const AMR_FRANCECONNECT: &str = "fc";
