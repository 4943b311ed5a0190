//! What a resident does on their own account page: change their password, export their data,
//! delete the account. Ending sessions is `oauth::logout`'s (it notifies the services).

use serde_json::{Value, json};

use super::password_policy::{self, Weakness};
use super::user::{self, User};
use crate::mail::compose::{Template, compose};
use crate::provider::Provider;
use crate::store::{StoreError, grants, users};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error(transparent)]
    WeakPassword(#[from] Weakness),
    /// Another account signs in with this address: it cannot be this one's too.
    #[error("the address signs another account in")]
    AddressTaken,
    #[error(transparent)]
    Profile(ProfileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// Checks the resident's current password (a change or a deletion needs it). An account made
/// from FranceConnect may have none: its signed-in session is then the only proof there is.
async fn confirm_password(provider: &Provider, account: &User, password: &str) -> Result<(), AccountError> {
    if account.password_hash.is_none() {
        return Ok(());
    }
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
    match users::update_password(&provider.db, &account.id, &hash, now).await {
        Ok(_) => {}
        // A FranceConnect account's address is a password account's sign-in already.
        Err(StoreError::Conflict { .. }) => return Err(AccountError::AddressTaken),
        Err(e) => return Err(e.into()),
    }
    grants::revoke_all_of_user(&provider.db, &account.id, now).await?;
    let change = crate::audit::security::FactorChange::PasswordChanged;
    crate::audit::security::factor_changed(provider, &account.id, change).await?;
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
    let consents = crate::store::consent_items::of_user(&provider.db, &account.id).await?;
    let receipts = crate::store::consent_receipts::of_user(&provider.db, &account.id).await?;
    let passkeys = crate::store::passkeys::of_user(&provider.db, &account.id).await?;
    let certified = crate::store::federation::certified_of(&provider.db, &account.id).await?;
    let app = crate::store::second_factors::find_totp(&provider.db, &account.id).await?;
    Ok(json!({
        "account": account,
        // What FranceConnect certified, with its provenance; the passkeys' public parts stay out
        // (they say nothing about the resident), their names and dates are in.
        "franceconnect": certified,
        "passkeys": passkeys.iter().map(|p| json!({
            "name": p.name, "created_at": p.created_at, "last_used_at": p.last_used_at,
        })).collect::<Vec<_>>(),
        "authenticator_app_since": app.map(|a| a.created_at),
        "consent_receipts": receipts,
        "consents": consents.iter().map(|c| json!({
            "client_id": c.client_id, "item": c.item, "granted": c.granted, "purpose": c.purpose,
            "policy_version": c.policy_version, "decided_at": c.decided_at, "expires_at": c.expires_at,
        })).collect::<Vec<_>>(),
        "grants": grants.iter().map(|g| json!({
            "client_id": g.client_id, "scopes": g.scopes, "created_at": g.created_at, "revoked_at": g.revoked_at,
        })).collect::<Vec<_>>(),
        "exported_at": provider.now(),
    }))
}

/// Checks the password of a deletion (nothing is done before it is right); the deletion itself,
/// services told first, is `oauth::withdrawal::delete_account`.
pub async fn confirm_deletion(provider: &Provider, account: &User, password: &str) -> Result<(), AccountError> {
    confirm_password(provider, account, password).await
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

/// What the resident may edit on their profile (certified data, later from FranceConnect, is not
/// editable).
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub given_name: String,
    pub family_name: String,
    /// "Nom d'usage": the name the resident goes by, given as `preferred_username`.
    pub usage_name: String,
    pub phone_number: String,
    pub street_address: String,
    pub postal_code: String,
    pub locality: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("not a phone number")]
    Phone,
    #[error("a field is too long")]
    TooLong,
}

/// A French or international number as E.164 (`04 72 00 00 00` → `+33472000000`).
pub fn phone_e164(typed: &str) -> Result<String, ProfileError> {
    let compact: String = typed.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match compact.strip_prefix('+') {
        Some(rest) if (8..=15).contains(&rest.len()) && digits(rest) => Ok(compact),
        None if compact.len() == 10 && compact.starts_with('0') && digits(&compact) => {
            Ok(format!("+33{}", &compact[1..]))
        }
        _ => Err(ProfileError::Phone),
    }
}

pub async fn update_profile(provider: &Provider, account: &User, input: ProfileInput) -> Result<(), AccountError> {
    let fields = [
        &input.given_name,
        &input.family_name,
        &input.usage_name,
        &input.street_address,
        &input.postal_code,
        &input.locality,
    ];
    if fields.iter().any(|f| f.chars().count() > 200) {
        return Err(AccountError::Profile(ProfileError::TooLong));
    }
    let clean = |v: &str| Some(v.trim().to_owned()).filter(|s| !s.is_empty());
    let phone = match clean(&input.phone_number) {
        Some(typed) => Some(phone_e164(&typed).map_err(AccountError::Profile)?),
        None => None,
    };
    let address = (clean(&input.street_address).is_some()
        || clean(&input.postal_code).is_some()
        || clean(&input.locality).is_some())
    .then(|| {
        let parts: Vec<String> =
            [&input.street_address, &format!("{} {}", input.postal_code.trim(), input.locality.trim())]
                .iter()
                .filter_map(|p| clean(p))
                .collect();
        json!({
            "street_address": clean(&input.street_address),
            "postal_code": clean(&input.postal_code),
            "locality": clean(&input.locality),
            "country": "France",
            "formatted": parts.join("\n"),
        })
    });
    // Names FranceConnect certified are FranceConnect's to change, not the resident's.
    let certified = crate::store::federation::certified_of(&provider.db, &account.id).await?.is_some();
    let (given_name, family_name) = if certified {
        (account.given_name.clone(), account.family_name.clone())
    } else {
        (clean(&input.given_name), clean(&input.family_name))
    };
    let profile = user::Profile {
        given_name,
        family_name,
        preferred_username: clean(&input.usage_name),
        birthdate: account.birthdate.clone(),
        gender: account.gender.clone(),
        locale: account.locale.clone(),
        phone_number: phone,
        address,
    };
    user::update_profile(&provider.db, &account.id, profile, provider.now())
        .await
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_e164() {
        assert_eq!(phone_e164("04 72 00 00 00").unwrap(), "+33472000000");
        assert_eq!(phone_e164("06.12.34.56.78").unwrap(), "+33612345678");
        assert_eq!(phone_e164("+44 20 7946 0000").unwrap(), "+442079460000");
        assert!(phone_e164("12345").is_err());
        assert!(phone_e164("04 72 00 00 0x").is_err());
    }
}
