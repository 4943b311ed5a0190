//! From a FranceConnect identity to an account. The link is keyed on (platform, FC `sub`),
//! never on the email: a first login with an unknown identity makes a new account with no
//! password (FC-only accounts are first class) even when another account uses the same
//! address, since spouses and carers share one. Each login records what FC certified, with its
//! provenance, and the certified names and birth data replace the profile's.

use super::client::{FcError, FcIdentity};
use crate::identity::user::User;
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
