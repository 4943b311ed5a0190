//! The help desk: find a resident and help them, with a reason for every look-up and action,
//! each journaled with the resident as its subject — the resident sees these interventions on
//! their account page. The help desk sees a resident's status, never a secret: whether the
//! address is verified, the account disabled or throttled, FranceConnect linked, which factors
//! are enrolled.

use serde::Serialize;

use super::caller::Caller;
use super::error::AdminError;
use super::roles::Permission;
use crate::audit::{self, Event};
use crate::identity::user::{self, User};
use crate::provider::Provider;
use crate::store::{activity, federation, passkeys, second_factors, users};

/// What the help desk sees of a resident.
#[derive(Debug, Clone, Serialize)]
pub struct ResidentStatus {
    pub account_id: String,
    pub email: String,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub created_at: i64,
    pub last_active_at: Option<i64>,
    pub disabled: bool,
    /// Seconds before anyone may try to log in to the account (0: not throttled).
    pub throttled_for: i64,
    /// `franceconnect`, `franceconnect_plus`.
    pub linked_to: Vec<String>,
    pub has_password: bool,
    pub totp: bool,
    pub passkeys: i64,
}

/// A reason is required, 3 to 500 characters, for the journal.
fn reason(text: &str) -> Result<&str, AdminError> {
    let text = text.trim();
    if (3..=500).contains(&text.chars().count()) {
        Ok(text)
    } else {
        Err(AdminError::invalid("reason", "say why, in 3 to 500 characters"))
    }
}

async fn journal(
    provider: &Provider,
    caller: &Caller,
    action: &'static str,
    resident: &str,
    why: &str,
) -> Result<(), AdminError> {
    let event = Event {
        subject: Some(resident),
        reason: Some(why),
        origin: caller.origin.as_deref(),
        ..Event::new(caller.actor(), action)
    };
    audit::record(provider, event).await?;
    Ok(())
}

async fn status(provider: &Provider, account: &User) -> Result<ResidentStatus, AdminError> {
    let db = &provider.db;
    Ok(ResidentStatus {
        account_id: account.id.clone(),
        email: account.email.clone(),
        email_verified: account.email_verified,
        given_name: account.given_name.clone(),
        family_name: account.family_name.clone(),
        created_at: account.created_at,
        last_active_at: activity::last_active(db, &account.id).await?,
        disabled: account.disabled,
        throttled_for: crate::identity::rate_limit::account_wait(&provider.ephemeral, &account.email, provider.now())
            .await
            .map_err(|e| AdminError::Unavailable(e.to_string()))?,
        linked_to: federation::linked_platforms(db, &account.id).await?,
        has_password: account.password_hash.is_some(),
        totp: second_factors::find_totp(db, &account.id).await?.is_some(),
        passkeys: passkeys::count_of_user(db, &account.id).await?,
    })
}

/// Residents whose account id or email is `query`, or whose name contains it; each one found
/// is a look-up, journaled.
pub async fn find(
    provider: &Provider,
    caller: &Caller,
    query: &str,
    why: &str,
) -> Result<Vec<ResidentStatus>, AdminError> {
    caller.require(Permission::AssistResidents)?;
    let why = reason(why)?;
    let query = query.trim();
    if !(2..=254).contains(&query.chars().count()) {
        return Err(AdminError::invalid("q", "an account id, an email address, or 2 letters of a name at least"));
    }
    let name = if query.contains('@') { "" } else { query };
    let mut found = Vec::new();
    for row in users::search(&provider.db, query, name, 20).await? {
        let account = User::from(row);
        journal(provider, caller, "helpdesk.looked_up", &account.id, why).await?;
        found.push(status(provider, &account).await?);
    }
    Ok(found)
}

/// What the help desk can do for a resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assistance {
    ResendVerification,
    LiftThrottling,
    Disable,
    Enable,
    /// The current password stops working and a reset link is mailed; sessions end.
    ForcePasswordReset,
    UnlinkFranceConnect,
}

impl Assistance {
    pub fn parse(name: &str) -> Option<Assistance> {
        Some(match name {
            "resend_verification" => Assistance::ResendVerification,
            "lift_throttling" => Assistance::LiftThrottling,
            "disable" => Assistance::Disable,
            "enable" => Assistance::Enable,
            "force_password_reset" => Assistance::ForcePasswordReset,
            "unlink_franceconnect" => Assistance::UnlinkFranceConnect,
            _ => return None,
        })
    }

    pub fn action(&self) -> &'static str {
        match self {
            Assistance::ResendVerification => "helpdesk.resent_verification",
            Assistance::LiftThrottling => "helpdesk.lifted_throttling",
            Assistance::Disable => "helpdesk.disabled",
            Assistance::Enable => "helpdesk.enabled",
            Assistance::ForcePasswordReset => "helpdesk.forced_password_reset",
            Assistance::UnlinkFranceConnect => "helpdesk.unlinked_franceconnect",
        }
    }
}

/// Mail, the short-lived store, password hashing: a dependency that failed, to retry later.
fn unavailable(e: impl std::fmt::Display) -> AdminError {
    AdminError::Unavailable(e.to_string())
}

/// Does `what` for the resident `account_id`; returns their status after it.
pub async fn assist(
    provider: &Provider,
    caller: &Caller,
    account_id: &str,
    what: Assistance,
    why: &str,
) -> Result<ResidentStatus, AdminError> {
    caller.require(Permission::AssistResidents)?;
    let why = reason(why)?;
    let not_found = || AdminError::NotFound(format!("account {account_id}"));
    let account = user::find(&provider.db, account_id).await?.ok_or_else(not_found)?;
    let now = provider.now();
    match what {
        Assistance::ResendVerification => {
            if account.email_verified {
                return Err(AdminError::Conflict("the address is already verified".into()));
            }
            let link = crate::identity::signup::verification_link(provider, &account.id, &account.email)
                .await
                .map_err(unavailable)?;
            let mail = crate::mail::compose::compose(
                &account.email,
                crate::mail::compose::Template::VerifyEmail { link: &link },
            )
            .map_err(unavailable)?;
            provider.mailer.send(mail).await.map_err(unavailable)?;
        }
        Assistance::LiftThrottling => {
            crate::identity::rate_limit::lift(&provider.ephemeral, &account.email).await.map_err(unavailable)?;
        }
        Assistance::Disable => {
            users::update_disabled(&provider.db, &account.id, true, now).await?;
            crate::oauth::logout::end_all_sessions(provider, &account.id)
                .await
                .map_err(|e| unavailable(format!("{e:?}")))?;
        }
        Assistance::Enable => {
            users::update_disabled(&provider.db, &account.id, false, now).await?;
        }
        Assistance::ForcePasswordReset => {
            if account.password_hash.is_none() {
                return Err(AdminError::Conflict("the account has no password (FranceConnect or passkey only)".into()));
            }
            // A password nobody knows: the old one stops working, the reset link sets a new one.
            let unusable = provider.passwords.hash(crate::secrets::new_secret()).await.map_err(unavailable)?;
            users::update_password(&provider.db, &account.id, &unusable, now).await?;
            crate::oauth::logout::end_all_sessions(provider, &account.id)
                .await
                .map_err(|e| unavailable(format!("{e:?}")))?;
            crate::identity::recovery::request(provider, &account.email).await.map_err(unavailable)?;
        }
        Assistance::UnlinkFranceConnect => {
            if federation::linked_platforms(&provider.db, &account.id).await?.is_empty() {
                return Err(AdminError::Conflict("the account is not linked to FranceConnect".into()));
            }
            crate::federation::accounts::unlink(provider, &account)
                .await
                .map_err(|e| AdminError::Conflict(e.to_string()))?;
        }
    }
    journal(provider, caller, what.action(), &account.id, why).await?;
    let after = user::find(&provider.db, account_id).await?.ok_or_else(not_found)?;
    status(provider, &after).await
}

/// What the help desk did on the resident's account, newest first (their account page).
#[derive(Debug, Clone, Serialize)]
pub struct Intervention {
    pub at: i64,
    pub action: String,
    pub reason: Option<String>,
}

pub async fn interventions_on(
    provider: &Provider,
    user_id: &str,
) -> Result<Vec<Intervention>, crate::store::StoreError> {
    let pseudonym = audit::pseudonym(&provider.db, user_id).await?;
    let rows = crate::store::journal::of_subject(&provider.db, &pseudonym, "helpdesk.", 50).await?;
    Ok(rows.into_iter().map(|r| Intervention { at: r.at, action: r.action, reason: r.reason }).collect())
}
