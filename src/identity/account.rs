//! What a resident does on their own account page: change their password, export their data,
//! delete the account. Ending sessions is `oauth::logout`'s (it notifies the services).

use serde_json::{Value, json};

use super::password_policy::{self, Weakness};
use super::user::{self, User};
use crate::mail::compose::{Template, compose};
use crate::provider::Provider;
use crate::store::{StoreError, consents, grants, users};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error(transparent)]
    WeakPassword(#[from] Weakness),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// Checks the resident's current password (a change or a deletion needs it).
async fn confirm_password(provider: &Provider, account: &User, password: &str) -> Result<(), AccountError> {
    let ok = provider
        .passwords
        .verify(password.to_owned(), account.password_hash.clone())
        .await
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    if ok { Ok(()) } else { Err(AccountError::WrongPassword) }
}

/// Changes the password and revokes every grant (the caller ends the sessions, then starts a
/// new one for this browser); the resident is told by mail.
pub async fn change_password(
    provider: &Provider,
    account: &User,
    current: &str,
    new: &str,
) -> Result<(), AccountError> {
    confirm_password(provider, account, current).await?;
    password_policy::check(new, &account.email)?;
    let hash = provider.passwords.hash(new.to_owned()).await.map_err(|e| AccountError::Internal(e.to_string()))?;
    let now = provider.now();
    users::update_password(&provider.db, &account.id, &hash, now).await?;
    grants::revoke_all_of_user(&provider.db, &account.id, now).await?;
    let forgot = provider.url("/password/forgot");
    if let Ok(mail) = compose(&account.email, Template::PasswordChanged { forgot: &forgot })
        && let Err(e) = provider.mailer.send(mail).await
    {
        tracing::error!(error = %e, "password change notification not sent");
    }
    Ok(())
}

/// Everything the provider holds about the resident (GDPR art. 15 and 20), as JSON.
pub async fn export(provider: &Provider, account: &User) -> Result<Value, AccountError> {
    let grants = grants::list_of_user(&provider.db, &account.id).await?;
    let consents = consents::list_of_user(&provider.db, &account.id).await?;
    Ok(json!({
        "account": account,
        "consents": consents.iter().map(|c| json!({
            "client_id": c.client_id, "scopes": c.scopes, "granted_at": c.granted_at, "expires_at": c.expires_at,
        })).collect::<Vec<_>>(),
        "grants": grants.iter().map(|g| json!({
            "client_id": g.client_id, "scopes": g.scopes, "created_at": g.created_at, "revoked_at": g.revoked_at,
        })).collect::<Vec<_>>(),
        "exported_at": provider.now(),
    }))
}

/// Deletes the account after checking its password (the caller has ended its sessions).
pub async fn delete(provider: &Provider, account: &User, password: &str) -> Result<(), AccountError> {
    confirm_password(provider, account, password).await?;
    users::delete(&provider.db, &account.id).await?;
    tracing::info!(user_id = %account.id, "account deleted by its owner");
    Ok(())
}

/// Removes the second factor after checking the password.
pub async fn remove_second_factor(provider: &Provider, account: &User, password: &str) -> Result<(), AccountError> {
    confirm_password(provider, account, password).await?;
    super::mfa::remove(provider, &account.id).await.map_err(|e| AccountError::Internal(e.to_string()))
}

/// The account a session belongs to, if it is still active.
pub async fn of_session(provider: &Provider, user_id: &str) -> Result<Option<User>, StoreError> {
    Ok(user::find(&provider.db, user_id).await?.filter(|u| !u.disabled))
}
