//! The login recipes the pages share: a password, or a second factor, each behind the
//! throttle (`rate_limit`): refused without a check while a delay runs, counted when wrong,
//! the resident's own count cleared when right.

use std::net::IpAddr;

use super::user::{self, LoginError, User};
use super::{mfa, rate_limit};
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

/// Runs `check` for the throttling key `key` from `ip`.
async fn throttled<T, F>(provider: &Provider, key: &str, ip: IpAddr, check: F) -> Result<T, LoginFailure>
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
        None => match rate_limit::record_failure(store, key, ip, provider.now()).await.map_err(unavailable)? {
            0 => Err(LoginFailure::Wrong),
            wait => Err(LoginFailure::Throttled(wait)),
        },
    }
}

/// An email and password from `ip`.
pub async fn with_password(provider: &Provider, email: &str, password: &str, ip: IpAddr) -> Result<User, LoginFailure> {
    throttled(provider, email, ip, async || {
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
    throttled(provider, &format!("mfa:{user_id}"), ip, async || match mfa::verify(provider, user_id, code).await {
        Ok(()) => Ok(Some(())),
        Err(mfa::MfaError::WrongCode) => Ok(None),
        Err(e) => Err(unavailable(e)),
    })
    .await
}
