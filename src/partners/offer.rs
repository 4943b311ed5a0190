//! What a commune's offer allows. A commune on the restricted offer has no GRU tool (the
//! citizen-relations tool of the global offer): its clients are never granted the scopes
//! reserved to the GRU, and the GRU tool's clients get no token for its APIs. Checked at every
//! authorization and token request, so a change of offer holds for the next token at once.

use serde::{Deserialize, Serialize};

use super::{Offer, Partner, find, partner_of_resource};
use crate::oauth::client::Client;
use crate::oauth::scope::Scopes;
use crate::store::{Db, StoreError};

/// Which scopes and clients belong to the GRU tool (configuration `[gru]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GruConfig {
    /// Scopes only the global offer's GRU integration may be granted.
    pub reserved_scopes: Vec<String>,
    /// The client ids of the GRU tool itself.
    pub clients: Vec<String>,
}

impl Default for GruConfig {
    fn default() -> Self {
        GruConfig { reserved_scopes: vec!["gru:read".into(), "gru:write".into()], clients: Vec::new() }
    }
}

/// Why the offer refuses a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OfferRefusal {
    /// A GRU-reserved scope asked for by a client of a restricted-offer partner.
    #[error("the scope {scope} is reserved to the GRU tool, which {partner}'s offer does not include")]
    ReservedScope { scope: String, partner: String },
    /// The GRU tool asking for a token for the API of a restricted-offer partner.
    #[error("{partner}'s offer does not include the GRU tool, which may not obtain tokens for its APIs")]
    RestrictedPartner { partner: String },
}

#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    #[error(transparent)]
    Refused(#[from] OfferRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn restricted(partner: &Partner) -> bool {
    partner.is_commune() && partner.offer == Offer::Restricted
}

/// Whether a client of `partner_id` may register for `scopes` under the partner's offer
/// today (said at registration; a later change of offer is caught at every token by `check`).
pub async fn check_registration(db: &Db, gru: &GruConfig, partner_id: &str, scopes: &Scopes) -> Result<(), OfferError> {
    if let Some(scope) = gru.reserved_scopes.iter().find(|s| scopes.contains(s))
        && let Some(partner) = find(db, partner_id).await?
        && restricted(&partner)
    {
        return Err(OfferRefusal::ReservedScope { scope: scope.clone(), partner: partner.name }.into());
    }
    Ok(())
}

/// Whether `client` may be granted `scopes` for the APIs `resources`, under today's offers.
pub async fn check(
    db: &Db,
    gru: &GruConfig,
    client: &Client,
    scopes: &Scopes,
    resources: &[String],
) -> Result<(), OfferError> {
    check_registration(db, gru, &client.partner_id, scopes).await?;
    if gru.clients.contains(&client.client_id) {
        for resource in resources {
            if let Some(partner) = partner_of_resource(db, resource).await?
                && restricted(&partner)
            {
                return Err(OfferRefusal::RestrictedPartner { partner: partner.name }.into());
            }
        }
    }
    Ok(())
}
