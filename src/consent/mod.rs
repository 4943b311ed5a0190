//! Consent: what a resident agreed to share with a client, remembered until it expires, asked
//! again when a client asks for more. The partners-and-consent issue adds purposes, per-claim
//! choices, receipts and withdrawal.

use crate::oauth::scope::Scopes;
use crate::store::consents::{self, ConsentRow};
use crate::store::{Db, StoreError};

/// Whether a live consent of `user_id` to `client_id` covers every scope of `requested`.
pub async fn covers(db: &Db, user_id: &str, client_id: &str, requested: &Scopes, now: i64) -> Result<bool, StoreError> {
    let Some(row) = consents::find(db, user_id, client_id).await? else { return Ok(false) };
    if row.expires_at <= now {
        return Ok(false);
    }
    let granted = Scopes::parse(&row.scopes).unwrap_or_default();
    Ok(requested.is_subset(&granted))
}

/// Records the resident's agreement to `scopes`, added to what a live consent already covers.
pub async fn record(
    db: &Db,
    user_id: &str,
    client_id: &str,
    scopes: &Scopes,
    now: i64,
    lifetime: i64,
) -> Result<(), StoreError> {
    let previous = consents::find(db, user_id, client_id)
        .await?
        .filter(|row| row.expires_at > now)
        .and_then(|row| Scopes::parse(&row.scopes).ok())
        .unwrap_or_default();
    let row = ConsentRow {
        user_id: user_id.to_owned(),
        client_id: client_id.to_owned(),
        scopes: previous.union(scopes).to_string(),
        granted_at: now,
        expires_at: now + lifetime,
    };
    consents::upsert(db, &row).await
}
