//! HTTP: decode requests, call one domain function, encode the result. No protocol decisions
//! here (they live in `oauth`, `identity`, …), and [`error`] is the one place that maps errors
//! to statuses and bodies.

pub mod admin_api;
pub mod client_address;
pub mod console;
pub mod cookies;
pub mod cors;
pub mod csrf;
pub mod endpoints;
pub mod error;
pub mod i18n;
pub mod i18n_account;
pub mod i18n_console;
pub mod i18n_federation;
pub mod i18n_passkeys;
pub mod pages;
pub mod qr;
pub mod request;
pub mod router;
pub mod server;
pub mod state;
pub mod throttle;
pub mod views;

pub use router::router;
pub use state::AppState;
