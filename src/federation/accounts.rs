//! From a FranceConnect identity to an account. The link is keyed on (platform, FC `sub`),
//! never on the email: a first login with an unknown identity makes a new account with no
//! password (FC-only accounts are first class) even when another account uses the same
//! address, since spouses and carers share one. Each login records what FC certified, with its
//! provenance, and the certified names and birth data replace the profile's.

use super::client::{FcError, FcIdentity};
use crate::identity::user::User;
use crate::mail::compose::{Template, compose};
use crate::provider::Provider;
use crate::store::federation::{self, CertifiedRow};
use crate::store::users::{self, UserRow};

fn unavailable(e: impl std::fmt::Display) -> FcError {
    FcError::Unavailable(e.to_string())
}

fn certified_row(user_id: &str, identity: &FcIdentity, now: i64) -> CertifiedRow {
    CertifiedRow {
        user_id: user_id.to_owned(),
        platform: identity.platform.clone(),
        family_name: identity.family_name.clone(),
        given_name: identity.given_name.clone(),
        given_name_array: serde_json::to_string(&identity.given_name_array).ok(),
        birthdate: identity.birthdate.clone(),
        idp_birthdate: identity.idp_birthdate.clone(),
        gender: identity.gender.clone(),
        // FC sends an empty birthplace for people born abroad: kept as empty, not absent.
        birthplace: identity.birthplace.clone(),
        birthcountry: identity.birthcountry.clone(),
        preferred_username: identity.preferred_username.clone(),
        email: identity.email.clone(),
        acr: identity.acr.clone(),
        idp_id: identity.idp_id.clone(),
        verified_at: now,
    }
}

/// Whether the account was made just now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Existing,
    Created,
}

/// The account of `identity`, made on its first login; `Refused` for a disabled account.
pub async fn sign_in(provider: &Provider, identity: &FcIdentity) -> Result<(User, Outcome), FcError> {
    let now = provider.now();
    let db = &provider.db;
    let linked = federation::linked_user(db, &identity.platform, &identity.subject).await.map_err(unavailable)?;
    let outcome = match linked {
        Some(user_id) => {
            let certified = certified_row(&user_id, identity, now);
            federation::record_login(db, &identity.subject, &certified).await.map_err(unavailable)?;
            (user_id, Outcome::Existing)
        }
        None => {
            let user = new_account(identity, now);
            let certified = certified_row(&user.id, identity, now);
            match federation::create_account(db, &user, &identity.subject, &certified).await {
                Ok(()) => (user.id, Outcome::Created),
                // The same identity arriving twice at once (two tabs): the other one made it.
                Err(crate::store::StoreError::Conflict { .. }) => {
                    let user_id = federation::linked_user(db, &identity.platform, &identity.subject)
                        .await
                        .map_err(unavailable)?
                        .ok_or_else(|| unavailable("identity link vanished"))?;
                    (user_id, Outcome::Existing)
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
    };
    let (user_id, outcome) = outcome;
    let user = users::find_by_id(db, &user_id).await.map_err(unavailable)?.map(User::from);
    match user {
        Some(user) if !user.disabled => Ok((user, outcome)),
        Some(_) => Err(FcError::Refused("the account is disabled".into())),
        None => Err(unavailable("the linked account is gone")),
    }
}

fn new_account(identity: &FcIdentity, now: i64) -> UserRow {
    UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        // A contact address, FranceConnect's identity provider's; no password signs in with it.
        email: identity.email.clone().unwrap_or_default(),
        // Not re-verified (FC's good practice): the identity providers behind FC verify it.
        email_verified: identity.email.is_some(),
        password_hash: None,
        given_name: Some(identity.given_name.clone()),
        family_name: Some(identity.family_name.clone()),
        preferred_username: identity.preferred_username.clone(),
        birthdate: identity.birthdate.clone(),
        gender: identity.gender.clone(),
        locale: None,
        phone_number: None,
        phone_number_verified: false,
        address: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// This FranceConnect identity already belongs to another account.
    #[error("this FranceConnect identity is linked to another account")]
    LinkedElsewhere,
    /// The account already has a FranceConnect identity.
    #[error("the account is already linked to FranceConnect")]
    AlreadyLinked,
    /// Unlinking would leave the account with no way to sign in.
    #[error("the account has no other way to sign in")]
    NoOtherWayIn,
    #[error(transparent)]
    Fc(#[from] FcError),
}

/// Links `identity` to `account`, whose owner just proved it by signing in (password or
/// passkey) in this very browser; they are told by mail.
pub async fn link(provider: &Provider, account: &User, identity: &FcIdentity) -> Result<(), LinkError> {
    let db = &provider.db;
    if let Some(owner) =
        federation::linked_user(db, &identity.platform, &identity.subject).await.map_err(unavailable)?
    {
        return Err(if owner == account.id { LinkError::AlreadyLinked } else { LinkError::LinkedElsewhere });
    }
    let certified = certified_row(&account.id, identity, provider.now());
    match federation::link(db, &identity.subject, &certified).await {
        Ok(()) => {}
        Err(crate::store::StoreError::Conflict { .. }) => return Err(LinkError::AlreadyLinked),
        Err(e) => return Err(unavailable(e).into()),
    }
    let account_url = provider.url("/account");
    if let Ok(mail) = compose(&account.email, Template::FranceConnectLinked { account: &account_url })
        && let Err(e) = provider.mailer.send(mail).await
    {
        tracing::error!(error = %e, "FranceConnect link notification not sent");
    }
    Ok(())
}

/// Unlinks FranceConnect from `account`, which must keep another way in (a password or a
/// passkey); what FC certified is no longer marked so.
pub async fn unlink(provider: &Provider, account: &User) -> Result<(), LinkError> {
    let has_passkey = crate::store::passkeys::count_of_user(&provider.db, &account.id).await.map_err(unavailable)? > 0;
    if account.password_hash.is_none() && !has_passkey {
        return Err(LinkError::NoOtherWayIn);
    }
    federation::unlink(&provider.db, &account.id).await.map_err(unavailable)?;
    Ok(())
}
