//! Service groups: a partner declares several of its services as serving one purpose, and a
//! resident's consent to one of them holds for all (OIDC leaves consent scope to the provider;
//! this is the partnership agreement's "one grant per purpose"). Each member's decisions are
//! still stored per service, so the resident sees and withdraws them as usual; giving or
//! withdrawing consent to one member does it for every member. A service that joins a group
//! later is not covered by consents given before it joined: its residents are asked once.

use serde::Serialize;

use crate::store::partner_purposes::{self, GroupRow};
use crate::store::{Db, StoreError, clients};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceGroup {
    pub id: String,
    pub partner_id: String,
    pub name: String,
    pub purpose: String,
    /// Client ids, the group's services.
    pub members: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("{0}: no such partner")]
    UnknownPartner(String),
    #[error("{0}: no such client of this partner")]
    NotOfPartner(String),
    #[error(
        "a group needs an id (letters, digits, '-'), a name and a purpose (1 to 500 characters), and two services at least"
    )]
    Invalid,
    #[error("{0}: this group belongs to another partner")]
    OtherPartner(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a partner declares.
#[derive(Debug, Clone)]
pub struct GroupDeclaration<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub purpose: &'a str,
    pub members: &'a [String],
}

/// Creates or redefines `partner_id`'s group. Residents who consented to a member for another
/// purpose are asked again (the purpose is part of what they agreed to).
pub async fn declare(
    db: &Db,
    partner_id: &str,
    declared: GroupDeclaration<'_>,
    now: i64,
) -> Result<ServiceGroup, GroupError> {
    let valid_id = !declared.id.is_empty()
        && declared.id.len() <= 64
        && declared.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let purpose = declared.purpose.trim();
    let name = declared.name.trim();
    if !valid_id || name.is_empty() || purpose.is_empty() || purpose.chars().count() > 500 || declared.members.len() < 2
    {
        return Err(GroupError::Invalid);
    }
    if crate::partners::find(db, partner_id).await?.is_none() {
        return Err(GroupError::UnknownPartner(partner_id.to_owned()));
    }
    if let Some(existing) = partner_purposes::find_group(db, declared.id).await?
        && existing.partner_id != partner_id
    {
        return Err(GroupError::OtherPartner(declared.id.to_owned()));
    }
    for client_id in declared.members {
        match clients::find_by_id(db, client_id).await? {
            Some(client) if client.partner_id == partner_id => {}
            _ => return Err(GroupError::NotOfPartner(client_id.clone())),
        }
    }
    let row = GroupRow {
        id: declared.id.to_owned(),
        partner_id: partner_id.to_owned(),
        name: name.to_owned(),
        purpose: purpose.to_owned(),
        created_at: now,
    };
    let mut members = declared.members.to_vec();
    members.sort();
    members.dedup();
    partner_purposes::replace_group(db, &row, &members).await?;
    Ok(ServiceGroup { id: row.id, partner_id: row.partner_id, name: row.name, purpose: row.purpose, members })
}

/// The group `client_id` belongs to, with its members.
pub async fn of_client(db: &Db, client_id: &str) -> Result<Option<ServiceGroup>, StoreError> {
    let Some(row) = partner_purposes::group_of(db, client_id).await? else { return Ok(None) };
    let members = partner_purposes::members(db, &row.id).await?;
    Ok(Some(ServiceGroup { id: row.id, partner_id: row.partner_id, name: row.name, purpose: row.purpose, members }))
}

/// `client_id` and the other services its consent holds for.
pub async fn covered_with(db: &Db, client_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(match of_client(db, client_id).await? {
        Some(group) => group.members,
        None => vec![client_id.to_owned()],
    })
}

pub async fn of_partner(db: &Db, partner_id: &str) -> Result<Vec<ServiceGroup>, StoreError> {
    let mut out = Vec::new();
    for row in partner_purposes::groups_of_partner(db, partner_id).await? {
        let members = partner_purposes::members(db, &row.id).await?;
        out.push(ServiceGroup {
            id: row.id,
            partner_id: row.partner_id,
            name: row.name,
            purpose: row.purpose,
            members,
        });
    }
    Ok(out)
}
