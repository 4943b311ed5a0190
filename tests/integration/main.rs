//! The one integration-test binary: the real server on an ephemeral port per test, driven as
//! clients and browsers drive it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod abuse;
mod accessibility;
mod accounts;
mod admin;
mod basic_op;
mod browser_flow;
mod cli;
mod client_assertion;
mod config_op;
mod consent;
mod consent_sharing;
mod console;
mod dpop;
mod durability;
mod dynamic_op;
mod encryption;
mod faults;
mod flows;
mod form_post_op;
mod franceconnect;
mod franceconnect_plus;
mod instances;
mod logout_op;
mod malformed;
mod operations;
mod partners;
mod passkeys;
mod request_objects;
mod rp;
mod security;
mod support;
mod tls;
