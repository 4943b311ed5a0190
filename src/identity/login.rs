//! The login recipes the pages share: a password, or a second factor, each behind the
//! throttle (`rate_limit`): refused without a check while a delay runs, counted when wrong,
//! the resident's own count cleared when right.

use std::net::IpAddr;

use super::user::{self, LoginError, User};
use super::{mfa, rate_limit};
use crate::audit::security::{self, LoginStep};
use crate::provider::Provider;

#[derive(Debug, thiserror::Error)]
pub enum LoginFailure {
    /// Wrong credentials (or unknown account: the same answer).
    #[error("wrong credentials")]
    Wrong,
    /// Too many failures: retry in this many seconds.
    #[error("throttled for {0} s")]
    Throttled(i64),
    #[error("login unavailable: {0}")]
    Unavailable(String),
}

fn unavailable(e: impl std::fmt::Display) -> LoginFailure {
    LoginFailure::Unavailable(e.to_string())
}

/// The account a login attempt is about, for the journal.
enum Attempted<'a> {
    /// By address (a password): the account, if there is one.
    Email(&'a str),
    /// By id (a second factor).
    Account(&'a str),
}

/// Runs `check` for the throttling key `key` from `ip`; a failed check is journaled.
async fn throttled<T, F>(
    provider: &Provider,
    key: &str,
    ip: IpAddr,
    attempted: (Attempted<'_>, LoginStep),
    check: F,
) -> Result<T, LoginFailure>
where
    F: AsyncFnOnce() -> Result<Option<T>, LoginFailure>,
{
    let store = &provider.ephemeral;
    match rate_limit::wait_seconds(store, key, ip, provider.now()).await.map_err(unavailable)? {
        0 => {}
        wait => return Err(LoginFailure::Throttled(wait)),
    }
    match check().await? {
        Some(value) => {
            rate_limit::record_success(store, key, ip).await.map_err(unavailable)?;
            Ok(value)
        }
        None => {
            let wait = rate_limit::record_failure(store, key, ip, provider.now()).await.map_err(unavailable)?;
            let (who, step) = attempted;
            let account = match who {
                Attempted::Email(email) => {
                    user::id_of_sign_in_address(&provider.db, email).await.map_err(unavailable)?
                }
                Attempted::Account(id) => Some(id.to_owned()),
            };
            security::login_failed(provider, account.as_deref(), step, wait, ip).await.map_err(unavailable)?;
            match wait {
                0 => Err(LoginFailure::Wrong),
                wait => Err(LoginFailure::Throttled(wait)),
            }
        }
    }
}

/// An email and password from `ip`.
pub async fn with_password(provider: &Provider, email: &str, password: &str, ip: IpAddr) -> Result<User, LoginFailure> {
    throttled(provider, email, ip, (Attempted::Email(email), LoginStep::Password), async || {
        match user::authenticate(&provider.db, &provider.passwords, email, password).await {
            Ok(user) => Ok(Some(user)),
            Err(LoginError::InvalidCredentials) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    })
    .await
}

/// The second factor of `user_id` from `ip` (throttled per account, apart from passwords).
pub async fn with_second_factor(
    provider: &Provider,
    user_id: &str,
    code: &str,
    ip: IpAddr,
) -> Result<(), LoginFailure> {
    let attempted = (Attempted::Account(user_id), LoginStep::SecondFactor);
    throttled(provider, &format!("mfa:{user_id}"), ip, attempted, async || {
        match mfa::verify(provider, user_id, code).await {
            Ok(()) => Ok(Some(())),
            Err(mfa::MfaError::WrongCode) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    })
    .await
}
