//! Withdrawing a resident's consent: one piece of data, one service, or every service of one
//! partner. The resident's "Mes autorisations" page and the administrators' API call this. The
//! decisions go (a withdrawn optional piece is remembered as refused, so it is not asked for
//! again at once); every grant of the resident to the service is revoked — its refresh tokens
//! stop at once, its access tokens at userinfo and introspection (an API that validates them
//! offline sees them until they expire, `lifetimes.access_token`); the service learns by
//! back-channel logout that the resident's sessions with it are over, and by a consent-withdrawal
//! Security Event Token (`consent_event`) what was withdrawn. The resident's other services are
//! untouched.

use super::client::{self, Client};
use super::consent_event::{self, Withdrawal};
use super::error::PageError;
use super::logout;
use crate::consent::receipt;
use crate::provider::Provider;
use crate::store::consent_items::{self, ConsentItemRow};
use crate::store::grants;

/// What a withdrawal ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Withdrawn {
    pub consent: bool,
    pub grants: u64,
}

/// Revokes the resident's grants to `client`, ends their sessions with it and tells it.
async fn stop_sharing(provider: &Provider, user_id: &str, client: &Client, items: &[String]) -> Result<u64, PageError> {
    let grants = grants::revoke_all_of(&provider.db, user_id, &client.client_id, provider.now()).await?;
    logout::end_for_client(provider, user_id, client).await?;
    consent_event::push(provider, client, &Withdrawal { user_id, items });
    Ok(grants)
}

/// Withdraws everything the resident consented to `client_id`.
pub async fn withdraw_consent(provider: &Provider, user_id: &str, client_id: &str) -> Result<Withdrawn, PageError> {
    let decisions = consent_items::of_client(&provider.db, user_id, client_id).await?;
    let consent = consent_items::delete_of_client(&provider.db, user_id, client_id).await? > 0;
    let grants = match client::find(&provider.db, client_id).await? {
        Some(client) => {
            receipt::issue(provider, &client, &decisions, receipt::Kind::Withdrawn).await;
            stop_sharing(provider, user_id, &client, &[]).await?
        }
        None => 0,
    };
    tracing::info!(%client_id, grants, "consent withdrawn");
    Ok(Withdrawn { consent, grants })
}

/// Withdraws one piece of data from `client_id`. A piece the service declared essential takes
/// the whole consent with it (the service cannot work without it).
pub async fn withdraw_piece(
    provider: &Provider,
    user_id: &str,
    client_id: &str,
    item: &str,
) -> Result<Withdrawn, PageError> {
    let Some(client) = client::find(&provider.db, client_id).await? else {
        return Ok(Withdrawn { consent: false, grants: 0 });
    };
    let decisions = consent_items::of_client(&provider.db, user_id, client_id).await?;
    let Some(decision) = decisions.into_iter().find(|d| d.item == item && d.granted) else {
        return Ok(Withdrawn { consent: false, grants: 0 });
    };
    let declared = crate::consent::declarations(&provider.db, &client).await?;
    let essential = item == crate::consent::catalogue::IDENTITY.key
        || crate::consent::catalogue::find(item)
            .map(|i| i.scope)
            .or(Some(item))
            .is_some_and(|scope| declared.iter().any(|d| d.scope == scope && d.essential));
    if essential {
        return withdraw_consent(provider, user_id, client_id).await;
    }
    let refused = ConsentItemRow { granted: false, decided_at: provider.now(), ..decision };
    consent_items::upsert_all(&provider.db, std::slice::from_ref(&refused)).await?;
    receipt::issue(provider, &client, &[refused], receipt::Kind::Withdrawn).await;
    let grants = stop_sharing(provider, user_id, &client, &[item.to_owned()]).await?;
    tracing::info!(%client_id, %item, grants, "consent to one piece withdrawn");
    Ok(Withdrawn { consent: true, grants })
}

/// Withdraws everything from every service the resident shared with or authorized (before
/// their account is deleted).
pub async fn withdraw_all(provider: &Provider, user_id: &str) -> Result<Withdrawn, PageError> {
    let mut clients: std::collections::BTreeSet<String> =
        consent_items::of_user(&provider.db, user_id).await?.into_iter().map(|d| d.client_id).collect();
    clients.extend(grants::list_of_user(&provider.db, user_id).await?.into_iter().map(|g| g.client_id));
    let mut total = Withdrawn { consent: false, grants: 0 };
    for client_id in clients {
        let withdrawn = withdraw_consent(provider, user_id, &client_id).await?;
        total.consent |= withdrawn.consent;
        total.grants += withdrawn.grants;
    }
    Ok(total)
}

/// Deletes a resident's account, every service it shared with told first: consent withdrawn
/// (grants revoked, a withdrawal event), every session ended (back-channel logout), then the
/// account and all that hangs on it. Returns whether there was an account to delete.
pub async fn delete_account(provider: &Provider, user_id: &str) -> Result<bool, PageError> {
    withdraw_all(provider, user_id).await?;
    logout::end_all_sessions(provider, user_id).await?;
    let deleted = crate::store::users::delete(&provider.db, user_id).await?;
    Ok(deleted)
}

/// Withdraws everything the resident consented to any service of `partner_id`.
pub async fn withdraw_partner(provider: &Provider, user_id: &str, partner_id: &str) -> Result<Withdrawn, PageError> {
    let mut total = Withdrawn { consent: false, grants: 0 };
    let decided: std::collections::BTreeSet<String> =
        consent_items::of_user(&provider.db, user_id).await?.into_iter().map(|d| d.client_id).collect();
    for client_id in decided {
        if let Some(client) = client::find(&provider.db, &client_id).await?
            && client.partner_id == partner_id
        {
            let withdrawn = withdraw_consent(provider, user_id, &client_id).await?;
            total.consent |= withdrawn.consent;
            total.grants += withdrawn.grants;
        }
    }
    Ok(total)
}
