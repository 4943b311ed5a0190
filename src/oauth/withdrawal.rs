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
use crate::audit::Actor;
use crate::consent::{journal, receipt};
use crate::provider::Provider;
use crate::store::consent_items::{self, ConsentItemRow};
use crate::store::grants;

/// What a withdrawal ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Withdrawn {
    pub consent: bool,
    pub grants: u64,
}

impl Withdrawn {
    fn add(&mut self, other: Withdrawn) {
        self.consent |= other.consent;
        self.grants += other.grants;
    }
}

/// Revokes the resident's grants to `client`, ends their sessions with it and tells it.
async fn stop_sharing(provider: &Provider, user_id: &str, client: &Client, items: &[String]) -> Result<u64, PageError> {
    let grants = grants::revoke_all_of(&provider.db, user_id, &client.client_id, provider.now()).await?;
    logout::end_for_client(provider, user_id, client).await?;
    consent_event::push(provider, client, &Withdrawal { user_id, items });
    Ok(grants)
}

/// Withdraws everything the resident consented to `client_id` (and to the other services of
/// its group: it was one consent). `by`: the resident on their page, the system (an inactive
/// account's purge), an administrator.
pub async fn withdraw_consent(
    provider: &Provider,
    by: Actor<'_>,
    user_id: &str,
    client_id: &str,
) -> Result<Withdrawn, PageError> {
    let mut total = Withdrawn { consent: false, grants: 0 };
    for member in crate::consent::groups::covered_with(&provider.db, client_id).await? {
        total.add(withdraw_from_service(provider, by.clone(), user_id, &member).await?);
    }
    Ok(total)
}

async fn withdraw_from_service(
    provider: &Provider,
    by: Actor<'_>,
    user_id: &str,
    client_id: &str,
) -> Result<Withdrawn, PageError> {
    let decisions = consent_items::of_client(&provider.db, user_id, client_id).await?;
    let consent = consent_items::delete_of_client(&provider.db, user_id, client_id).await? > 0;
    let grants = match client::find(&provider.db, client_id).await? {
        Some(client) => {
            if consent {
                journal::withdrawn(provider, by, user_id, &client, &[]).await?;
            }
            receipt::issue(provider, &client, &decisions, receipt::Kind::Withdrawn).await;
            stop_sharing(provider, user_id, &client, &[]).await?
        }
        None => 0,
    };
    tracing::info!(%client_id, grants, "consent withdrawn");
    Ok(Withdrawn { consent, grants })
}

/// Withdraws one piece of data from `client_id` (and from the other services of its group). A
/// piece the service declared essential takes the whole consent with it (the service cannot
/// work without it).
pub async fn withdraw_piece(
    provider: &Provider,
    by: Actor<'_>,
    user_id: &str,
    client_id: &str,
    item: &str,
) -> Result<Withdrawn, PageError> {
    let mut total = Withdrawn { consent: false, grants: 0 };
    for member in crate::consent::groups::covered_with(&provider.db, client_id).await? {
        total.add(withdraw_piece_from_service(provider, by.clone(), user_id, &member, item).await?);
    }
    Ok(total)
}

async fn withdraw_piece_from_service(
    provider: &Provider,
    by: Actor<'_>,
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
        return withdraw_from_service(provider, by, user_id, client_id).await;
    }
    let refused = ConsentItemRow { granted: false, decided_at: provider.now(), ..decision };
    consent_items::upsert_all(&provider.db, std::slice::from_ref(&refused)).await?;
    journal::withdrawn(provider, by, user_id, &client, &[item.to_owned()]).await?;
    receipt::issue(provider, &client, &[refused], receipt::Kind::Withdrawn).await;
    let grants = stop_sharing(provider, user_id, &client, &[item.to_owned()]).await?;
    tracing::info!(%client_id, %item, grants, "consent to one piece withdrawn");
    Ok(Withdrawn { consent: true, grants })
}

/// Withdraws everything from every service the resident shared with or authorized (before
/// their account is deleted).
pub async fn withdraw_all(provider: &Provider, by: Actor<'_>, user_id: &str) -> Result<Withdrawn, PageError> {
    let mut clients: std::collections::BTreeSet<String> =
        consent_items::of_user(&provider.db, user_id).await?.into_iter().map(|d| d.client_id).collect();
    clients.extend(grants::list_of_user(&provider.db, user_id).await?.into_iter().map(|g| g.client_id));
    let mut total = Withdrawn { consent: false, grants: 0 };
    for client_id in clients {
        total.add(withdraw_from_service(provider, by.clone(), user_id, &client_id).await?);
    }
    Ok(total)
}

/// Deletes a resident's account, every service it shared with told first: consent withdrawn
/// (grants revoked, a withdrawal event), every session ended (back-channel logout), then the
/// account and all that hangs on it. Returns whether there was an account to delete.
pub async fn delete_account(provider: &Provider, by: Actor<'_>, user_id: &str) -> Result<bool, PageError> {
    withdraw_all(provider, by.clone(), user_id).await?;
    logout::end_all_sessions(provider, user_id).await?;
    let journaled = crate::audit::Event { subject: Some(user_id), ..crate::audit::Event::new(by, "account.deleted") };
    crate::audit::record(provider, journaled).await?;
    let deleted = crate::store::users::delete(&provider.db, user_id).await?;
    Ok(deleted)
}

/// Withdraws everything the resident consented to any service of `partner_id`.
pub async fn withdraw_partner(
    provider: &Provider,
    by: Actor<'_>,
    user_id: &str,
    partner_id: &str,
) -> Result<Withdrawn, PageError> {
    let mut total = Withdrawn { consent: false, grants: 0 };
    let decided: std::collections::BTreeSet<String> =
        consent_items::of_user(&provider.db, user_id).await?.into_iter().map(|d| d.client_id).collect();
    for client_id in decided {
        if let Some(client) = client::find(&provider.db, &client_id).await?
            && client.partner_id == partner_id
        {
            total.add(withdraw_from_service(provider, by.clone(), user_id, &client_id).await?);
        }
    }
    Ok(total)
}

/// Clears the decisions that reached their expiry, each one journaled, and ends the grants
/// they covered (the service's refresh tokens stop; the resident is asked again next time).
/// Run daily (`glc consent expire`); returns how many resident × service consents expired.
pub async fn expire(provider: &Provider) -> Result<u64, PageError> {
    const BATCH: i64 = 500;
    let now = provider.now();
    let mut expired = 0;
    loop {
        let pairs = consent_items::expired_pairs(&provider.db, now, BATCH).await?;
        let last_batch = (pairs.len() as i64) < BATCH;
        for (user_id, client_id) in pairs {
            let items = consent_items::delete_expired(&provider.db, &user_id, &client_id, now).await?;
            if let Some(client) = client::find(&provider.db, &client_id).await? {
                journal::expired(provider, &user_id, &client, &items).await?;
                grants::revoke_all_of(&provider.db, &user_id, &client_id, now).await?;
            }
            expired += 1;
        }
        if last_batch {
            return Ok(expired);
        }
    }
}
