//! Withdrawing a resident's consent to a client. The resident's "Mes autorisations" page
//! (issue 7) and the administrators' API (issue 8) call this: the consent record goes, every
//! grant of the resident to the client is revoked (its refresh tokens stop at once, its access
//! tokens at userinfo and introspection), and the client learns by back-channel logout that the
//! resident's sessions with it are over. The resident's other clients are untouched.

use super::client;
use super::error::PageError;
use super::logout;
use crate::provider::Provider;
use crate::store::{consent_items, grants};

/// What a withdrawal ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Withdrawn {
    pub consent: bool,
    pub grants: u64,
}

pub async fn withdraw_consent(provider: &Provider, user_id: &str, client_id: &str) -> Result<Withdrawn, PageError> {
    let consent = consent_items::delete_of_client(&provider.db, user_id, client_id).await? > 0;
    let grants = grants::revoke_all_of(&provider.db, user_id, client_id, provider.now()).await?;
    if let Some(client) = client::find(&provider.db, client_id).await? {
        logout::end_for_client(provider, user_id, &client).await?;
    }
    tracing::info!(%client_id, grants, "consent withdrawn");
    Ok(Withdrawn { consent, grants })
}
