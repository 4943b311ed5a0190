//! GrandLyon Connect: the single resident account of the Métropole de Lyon's guichet
//! numérique, an OpenID Connect provider.
//!
//! Layers, dependencies pointing one way:
//! `http` (decode/encode) → domain (`oauth`, `identity`, `consent`, `partners`) →
//! adapters (`store`, `signing`), wired once in `app` and shared through `provider::Provider`.
//! Time comes from `clock`, so every rule is testable without sleeping.

pub mod admin;
pub mod app;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod consent;
pub mod federation;
pub mod http;
pub mod identity;
pub mod mail;
pub mod oauth;
pub mod outbound;
pub mod partners;
pub mod provider;
pub mod secrets;
pub mod signing;
pub mod store;
pub mod telemetry;
