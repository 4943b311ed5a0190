//! Residents and how they prove who they are: accounts, passwords, the SSO session.

pub mod account;
pub mod password;
pub mod password_policy;
pub mod rate_limit;
pub mod recovery;
pub mod session;
pub mod signup;
pub mod user;

/// The authentication context of a password login (one factor). The accounts issue adds
/// `glc:mfa`; FranceConnect logins carry FranceConnect's `eidas1`.
pub const ACR_BASIC: &str = "glc:basic";
/// RFC 8176 authentication method reference for a password.
pub const AMR_PASSWORD: &str = "pwd";
/// Every `acr` value this provider can currently satisfy (advertised in discovery).
pub const ACR_VALUES_SUPPORTED: [&str; 1] = [ACR_BASIC];
