//! Security events in the journal: failed logins, with the address they came from, and every
//! change to how an account signs in (password, authenticator app, passkeys). An auditor sees
//! an attack, or an account taken over, after the fact; the help desk sees why a resident is
//! locked out.

use std::net::IpAddr;

use serde_json::json;

use super::{Actor, Event};
use crate::provider::Provider;
use crate::store::StoreError;

/// Which step of a login failed.
#[derive(Debug, Clone, Copy)]
pub enum LoginStep {
    Password,
    SecondFactor,
}

/// A login that failed a check (wrong password or code; refusals while throttled are not
/// journaled one by one: the failure that started the delay was). `account` is the account
/// the attempt named, if it exists (an unknown address is not journaled: it is nobody's).
pub async fn login_failed(
    provider: &Provider,
    account: Option<&str>,
    step: LoginStep,
    throttled_for: i64,
    from: IpAddr,
) -> Result<(), StoreError> {
    let origin = from.to_string();
    let step = match step {
        LoginStep::Password => "password",
        LoginStep::SecondFactor => "second_factor",
    };
    let event = Event {
        subject: account,
        origin: Some(&origin),
        details: json!({ "step": step, "known_account": account.is_some(), "throttled_for": throttled_for }),
        ..Event::new(Actor::Anonymous, "security.login_failed")
    };
    super::record(provider, event).await.map(drop)
}

/// How an account signs in changed.
#[derive(Debug, Clone, Copy)]
pub enum FactorChange {
    PasswordChanged,
    PasswordReset,
    TotpEnabled,
    TotpDisabled,
    PasskeyAdded,
    PasskeyRemoved,
}

impl FactorChange {
    pub fn action(self) -> &'static str {
        match self {
            FactorChange::PasswordChanged => "security.password_changed",
            FactorChange::PasswordReset => "security.password_reset",
            FactorChange::TotpEnabled => "security.totp_enabled",
            FactorChange::TotpDisabled => "security.totp_disabled",
            FactorChange::PasskeyAdded => "security.passkey_added",
            FactorChange::PasskeyRemoved => "security.passkey_removed",
        }
    }
}

/// The resident changed one of their factors (from their account page or a mailed link).
pub async fn factor_changed(provider: &Provider, user_id: &str, change: FactorChange) -> Result<(), StoreError> {
    let event = Event { subject: Some(user_id), ..Event::new(Actor::Resident(user_id), change.action()) };
    super::record(provider, event).await.map(drop)
}
