//! Sign-up and email verification. The answer to a sign-up is the same whether the address
//! already has an account or not (no enumeration): a new account gets a verification link, an
//! existing one a mail saying so. An account is usable at once, but its `email_verified` stays
//! false (and services that need a verified address see it) until the link is opened.

use serde::{Deserialize, Serialize};

use super::password_policy::Weakness;
use super::user::{self, NewUser, UserError};
use crate::mail::compose::{Template, compose};
use crate::provider::Provider;
use crate::secrets;
use crate::store::ephemeral::{EphemeralError, Taken};
use crate::store::{StoreError, users};

/// How long a verification link works.
pub const VERIFICATION_LIFETIME: i64 = 24 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    #[error("not an email address")]
    InvalidEmail,
    #[error(transparent)]
    WeakPassword(#[from] Weakness),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ephemeral(#[from] EphemeralError),
    #[error("the mail could not be sent: {0}")]
    Mail(String),
    #[error("{0}")]
    Internal(String),
}

/// What a verification link stands for.
#[derive(Debug, Serialize, Deserialize)]
struct Verification {
    user_id: String,
    email: String,
}

fn verification_key(token: &str) -> String {
    format!("email_verification:{}", secrets::digest(token))
}

/// Creates the account (or tells the existing one) and sends the mail.
pub async fn sign_up(provider: &Provider, new: NewUser) -> Result<(), SignUpError> {
    let email = user::normalize_email(&new.email);
    let created = user::create(&provider.db, &provider.passwords, new, provider.now()).await;
    let mail = match created {
        Ok(account) => {
            let link = verification_link(provider, &account.id, &account.email).await?;
            compose(&email, Template::VerifyEmail { link: &link })
        }
        Err(UserError::EmailTaken) => {
            let forgot = provider.url("/password/forgot");
            compose(&email, Template::AccountExists { forgot: &forgot })
        }
        Err(UserError::Invalid(_)) => return Err(SignUpError::InvalidEmail),
        Err(UserError::WeakPassword(w)) => return Err(SignUpError::WeakPassword(w)),
        Err(UserError::Store(e)) => return Err(SignUpError::Store(e)),
        Err(UserError::Password(e)) => return Err(SignUpError::Internal(e.to_string())),
    }
    .map_err(|e| SignUpError::Mail(e.to_string()))?;
    provider.mailer.send(mail).await.map_err(|e| SignUpError::Mail(e.to_string()))
}

/// A fresh single-use link that verifies `email` for the account `user_id`.
pub async fn verification_link(provider: &Provider, user_id: &str, email: &str) -> Result<String, SignUpError> {
    let token = secrets::new_secret();
    let value = serde_json::to_string(&Verification { user_id: user_id.to_owned(), email: email.to_owned() })
        .map_err(|e| SignUpError::Internal(e.to_string()))?;
    provider.ephemeral.put_single_use(&verification_key(&token), value, String::new(), VERIFICATION_LIFETIME).await?;
    Ok(provider.url(&format!("/verify-email?token={token}")))
}

/// Opens a verification link; returns whether it verified an address. A link sent to a new
/// address (an address change on the account page) moves the account to it, unless another
/// account took it meanwhile.
pub async fn verify(provider: &Provider, token: &str) -> Result<bool, SignUpError> {
    if token.len() > 128 {
        return Ok(false);
    }
    let Taken::Value(value) = provider.ephemeral.take(&verification_key(token), 60).await? else { return Ok(false) };
    let Ok(link) = serde_json::from_str::<Verification>(&value) else { return Ok(false) };
    let now = provider.now();
    let Some(account) = users::find_by_id(&provider.db, &link.user_id).await? else { return Ok(false) };
    if account.email == link.email {
        return Ok(users::verify_email(&provider.db, &link.user_id, &link.email, now).await?);
    }
    match users::change_email(&provider.db, &link.user_id, &link.email, now).await {
        Ok(changed) => Ok(changed),
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Starts an address change: a link to the new address (the account keeps the old one until
/// it is opened). Nothing is said of an address already taken: the link simply fails.
pub async fn request_email_change(provider: &Provider, user_id: &str, new_email: &str) -> Result<(), SignUpError> {
    let email = user::normalize_email(new_email);
    user::check_email(&email).map_err(|_| SignUpError::InvalidEmail)?;
    let link = verification_link(provider, user_id, &email).await?;
    let mail = compose(&email, Template::VerifyEmail { link: &link }).map_err(|e| SignUpError::Mail(e.to_string()))?;
    provider.mailer.send(mail).await.map_err(|e| SignUpError::Mail(e.to_string()))
}
