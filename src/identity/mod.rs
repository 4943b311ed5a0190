//! Residents and how they prove who they are: accounts, passwords, the SSO session.

pub mod account;
pub mod inactivity;
pub mod login;
pub mod mfa;
pub mod passkeys;
pub mod password;
pub mod password_policy;
pub mod rate_limit;
pub mod recovery;
pub mod session;
pub mod signup;
pub mod totp;
pub mod user;

/// The authentication context of a password login (one factor); FranceConnect logins will
/// carry FranceConnect's `eidas1`.
pub const ACR_BASIC: &str = "glc:basic";
/// RFC 8176 authentication method reference for a password.
pub const AMR_PASSWORD: &str = "pwd";
/// A password and a second factor (an authenticator app's code, or a recovery code).
pub const ACR_MFA: &str = "glc:mfa";
/// RFC 8176: a one-time password.
pub const AMR_OTP: &str = "otp";
/// RFC 8176: proof of possession of a hardware-secured key (a passkey, which also verified
/// the resident: `mfa`).
pub const AMR_PASSKEY: &str = "hwk";
/// RFC 8176: several factors were used.
pub const AMR_MFA: &str = "mfa";
/// Every `acr` value this provider can currently satisfy (advertised in discovery).
pub const ACR_VALUES_SUPPORTED: [&str; 2] = [ACR_BASIC, ACR_MFA];
