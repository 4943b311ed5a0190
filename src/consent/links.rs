//! Knowing a resident across partners, with their consent. Pairwise subjects give each partner
//! its own identifier for a resident, so two partners cannot link them. A partner may declare
//! why one of its services needs to know the resident is the same person as at another partner
//! (a commune continuing a procedure the Métropole started); its services then ask with the
//! scope `link:{partner}`, the consent page says so in plain words, and if the resident agrees
//! the service receives, at userinfo, `linked_subjects`: `{ partner: the identifier that
//! partner's services know the resident by }`. That consent is a decision like any other:
//! listed on "Mes autorisations", withdrawable, journaled, with a receipt.

use serde_json::{Map, Value};

use crate::oauth::subject;
use crate::store::partner_purposes::{self, LinkRow};
use crate::store::{Db, StoreError};

/// The scope (and the consent item) prefix.
pub const PREFIX: &str = "link:";
/// The claim released when a link is granted.
pub const CLAIM: &str = "linked_subjects";

/// The partner a `link:` scope or item names.
pub fn source_of(scope: &str) -> Option<&str> {
    scope.strip_prefix(PREFIX).filter(|p| !p.is_empty())
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{0}: no such partner")]
    UnknownPartner(String),
    #[error("a partner cannot link a resident with itself")]
    SamePartner,
    #[error("the purpose must say, in 1 to 500 characters, why the link is needed")]
    BadPurpose,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `partner_id` declares why its services need to know a resident as at `source_partner_id`.
pub async fn declare(
    db: &Db,
    partner_id: &str,
    source_partner_id: &str,
    purpose: &str,
    now: i64,
) -> Result<LinkRow, LinkError> {
    let purpose = purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 500 {
        return Err(LinkError::BadPurpose);
    }
    if partner_id == source_partner_id {
        return Err(LinkError::SamePartner);
    }
    for id in [partner_id, source_partner_id] {
        if crate::partners::find(db, id).await?.is_none() {
            return Err(LinkError::UnknownPartner(id.to_owned()));
        }
    }
    let row = LinkRow {
        partner_id: partner_id.to_owned(),
        source_partner_id: source_partner_id.to_owned(),
        purpose: purpose.to_owned(),
        created_at: now,
    };
    partner_purposes::upsert_link(db, &row).await?;
    Ok(row)
}

/// How the consent page and "Mes autorisations" name a link to `source_name`.
pub fn label(source_name: &str, english: bool) -> String {
    if english {
        format!("That you are the same person as at {source_name}")
    } else {
        format!("Le fait que vous êtes la même personne que chez {source_name}")
    }
}

/// What a service of `partner_id` may say it needs `scope` (`link:{source}`) for, if declared.
pub async fn declared(db: &Db, partner_id: &str, scope: &str) -> Result<Option<LinkRow>, StoreError> {
    match source_of(scope) {
        Some(source) => partner_purposes::find_link(db, partner_id, source).await,
        None => Ok(None),
    }
}

/// Adds `linked_subjects` for every link the resident granted: the partner-sector pairwise
/// identifier, the one that partner's registered services see.
pub fn release(
    claims: &mut Map<String, Value>,
    granted: &std::collections::BTreeSet<String>,
    user_id: &str,
    secret: &[u8],
) {
    let linked: Map<String, Value> = granted
        .iter()
        .filter_map(|item| source_of(item))
        .map(|partner| (partner.to_owned(), Value::String(subject::pairwise(partner, user_id, secret))))
        .collect();
    if !linked.is_empty() {
        claims.insert(CLAIM.to_owned(), Value::Object(linked));
    }
}
