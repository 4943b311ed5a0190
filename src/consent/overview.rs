//! What a resident shares, as "Mes autorisations" shows it: every partner and service that has
//! a decision of theirs, each piece of data with its purpose and whether it is granted, and
//! when the service last received data (its latest grant).

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalogue;
use crate::store::{Db, StoreError, clients, consent_items, grants};

#[derive(Debug, Clone, Serialize)]
pub struct SharedPiece {
    pub key: String,
    pub label: String,
    pub purpose: String,
    pub granted: bool,
    pub decided_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SharedService {
    pub client_id: String,
    pub name: String,
    /// When the service last obtained tokens for the resident.
    pub last_received: Option<i64>,
    pub pieces: Vec<SharedPiece>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SharedPartner {
    pub partner_id: String,
    pub name: String,
    pub services: Vec<SharedService>,
}

fn label(key: &str, english: bool) -> String {
    let item = if key == catalogue::IDENTITY.key { Some(&catalogue::IDENTITY) } else { catalogue::find(key) };
    match item {
        Some(item) if english => item.label_en.to_owned(),
        Some(item) => item.label_fr.to_owned(),
        None => key.to_owned(),
    }
}

/// Every partner and service the resident decided about, partners and services by name.
pub async fn overview(db: &Db, user_id: &str, now: i64, english: bool) -> Result<Vec<SharedPartner>, StoreError> {
    let decisions = consent_items::of_user(db, user_id).await?;
    let grants = grants::list_of_user(db, user_id).await?;
    let mut by_client: BTreeMap<String, Vec<SharedPiece>> = BTreeMap::new();
    for d in decisions.into_iter().filter(|d| d.expires_at > now) {
        let label = match super::links::source_of(&d.item) {
            Some(source) => {
                let name =
                    crate::partners::find(db, source).await?.map(|p| p.name).unwrap_or_else(|| source.to_owned());
                super::links::label(&name, english)
            }
            None => label(&d.item, english),
        };
        by_client.entry(d.client_id.clone()).or_default().push(SharedPiece {
            label,
            key: d.item,
            purpose: d.purpose,
            granted: d.granted,
            decided_at: d.decided_at,
            expires_at: d.expires_at,
        });
    }
    let mut partners: BTreeMap<String, SharedPartner> = BTreeMap::new();
    for (client_id, pieces) in by_client {
        let Some(client) = clients::find_by_id(db, &client_id).await? else { continue };
        let last_received = grants.iter().filter(|g| g.client_id == client_id).map(|g| g.created_at).max();
        let partner = match partners.get_mut(&client.partner_id) {
            Some(partner) => partner,
            None => {
                let name = crate::partners::find(db, &client.partner_id)
                    .await?
                    .map(|p| p.name)
                    .unwrap_or_else(|| client.partner_id.clone());
                let partner = SharedPartner { partner_id: client.partner_id.clone(), name, services: Vec::new() };
                partners.entry(client.partner_id.clone()).or_insert(partner)
            }
        };
        partner.services.push(SharedService { client_id, name: client.name, last_received, pieces });
    }
    let mut list: Vec<SharedPartner> = partners.into_values().collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    for partner in &mut list {
        partner.services.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(list)
}
