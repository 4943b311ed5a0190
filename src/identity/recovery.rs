//! Password recovery: a single-use link, valid 30 minutes, sent only if the account exists
//! (the page says the same either way). Choosing the new password ends every session of the
//! account and revokes every grant (refresh tokens at once, access tokens where checked), and
//! a mail tells the resident. Any password change makes older links useless.

use serde::{Deserialize, Serialize};

use super::password_policy::{self, Weakness};
use super::user;
use crate::mail::compose::{Template, compose};
use crate::provider::Provider;
use crate::secrets;
use crate::store::ephemeral::{EphemeralError, Taken};
use crate::store::{StoreError, grants, users};

pub const RESET_LIFETIME: i64 = 30 * 60;

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error("the link is unknown, expired or already used")]
    InvalidLink,
    #[error(transparent)]
    WeakPassword(#[from] Weakness),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ephemeral(#[from] EphemeralError),
    #[error("{0}")]
    Internal(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct Reset {
    user_id: String,
    /// The digest of the password hash when the link was made: a change since voids it.
    password: String,
    /// Checked on our clock as well as by the store's expiry.
    expires_at: i64,
}

fn reset_key(token: &str) -> String {
    format!("password_reset:{}", secrets::digest(token))
}

fn fingerprint(password_hash: Option<&str>) -> String {
    secrets::digest(password_hash.unwrap_or_default())
}

/// Sends a reset link if `email` has an account; nothing otherwise.
pub async fn request(provider: &Provider, email: &str) -> Result<(), RecoveryError> {
    if email.len() > 254 {
        return Ok(());
    }
    let Some(account) = users::find_by_email(&provider.db, &user::normalize_email(email)).await? else {
        return Ok(());
    };
    if account.disabled {
        return Ok(());
    }
    let token = secrets::new_secret();
    let reset = Reset {
        user_id: account.id.clone(),
        password: fingerprint(account.password_hash.as_deref()),
        expires_at: provider.now() + RESET_LIFETIME,
    };
    let value = serde_json::to_string(&reset).map_err(|e| RecoveryError::Internal(e.to_string()))?;
    provider.ephemeral.put_single_use(&reset_key(&token), value, String::new(), RESET_LIFETIME).await?;
    let link = provider.url(&format!("/password/reset?token={token}"));
    let mail = compose(&account.email, Template::ResetPassword { link: &link })
        .map_err(|e| RecoveryError::Internal(e.to_string()))?;
    // A mail that cannot leave is logged, not shown: the page must not differ.
    if let Err(e) = provider.mailer.send(mail).await {
        tracing::error!(error = %e, "password reset mail not sent");
    }
    Ok(())
}

/// Sets the new password through a reset link; returns the account id. The caller ends the
/// account's sessions (`oauth::logout::end_all_sessions`).
pub async fn reset(provider: &Provider, token: &str, new_password: &str) -> Result<String, RecoveryError> {
    if token.len() > 128 {
        return Err(RecoveryError::InvalidLink);
    }
    let key = reset_key(token);
    let Taken::Value(value) = provider.ephemeral.take(&key, 60).await? else { return Err(RecoveryError::InvalidLink) };
    let reset: Reset = serde_json::from_str(&value).map_err(|_| RecoveryError::InvalidLink)?;
    let now = provider.now();
    if reset.expires_at <= now {
        return Err(RecoveryError::InvalidLink);
    }
    let account = users::find_by_id(&provider.db, &reset.user_id).await?.ok_or(RecoveryError::InvalidLink)?;
    if account.disabled || fingerprint(account.password_hash.as_deref()) != reset.password {
        return Err(RecoveryError::InvalidLink);
    }
    if let Err(weakness) = password_policy::check(new_password, &account.email) {
        // Put the link back for what is left of its life: the resident tries another password.
        provider.ephemeral.put_single_use(&key, value, String::new(), reset.expires_at - now).await?;
        return Err(weakness.into());
    }
    let hash =
        provider.passwords.hash(new_password.to_owned()).await.map_err(|e| RecoveryError::Internal(e.to_string()))?;
    users::update_password(&provider.db, &account.id, &hash, now).await?;
    grants::revoke_all_of_user(&provider.db, &account.id, now).await?;
    let change = crate::audit::security::FactorChange::PasswordReset;
    crate::audit::security::factor_changed(provider, &account.id, change).await?;
    let forgot = provider.url("/password/forgot");
    match compose(&account.email, Template::PasswordChanged { forgot: &forgot }) {
        Ok(mail) => {
            if let Err(e) = provider.mailer.send(mail).await {
                tracing::error!(error = %e, "password change notification not sent");
            }
        }
        Err(e) => tracing::error!(error = %e, "password change notification not composed"),
    }
    Ok(account.id)
}
