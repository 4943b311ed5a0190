//! Consent statistics for administrators: per service and per partner, how many residents
//! granted, refused, withdrew or let expire their consent, and the share who accepted — counts
//! from the journal and the live decisions, never a resident's data.

use std::collections::BTreeMap;

use serde::Serialize;

use super::journal::{EXPIRED, GIVEN, REFUSED, WITHDRAWN};
use crate::store::{Db, StoreError, clients, consent_items, journal};

/// One service's (or one partner's) figures since the period's start.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub given: i64,
    pub refused: i64,
    pub withdrawn: i64,
    pub expired: i64,
    /// Consents live now (resident × service).
    pub live_consents: i64,
    /// given ÷ (given + refused), when anyone was asked.
    pub acceptance_rate: Option<f64>,
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.given += other.given;
        self.refused += other.refused;
        self.withdrawn += other.withdrawn;
        self.expired += other.expired;
        self.live_consents += other.live_consents;
    }

    fn rate(mut self) -> Self {
        let asked = self.given + self.refused;
        self.acceptance_rate = (asked > 0).then(|| self.given as f64 / asked as f64);
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientFigures {
    pub client_id: String,
    pub client_name: String,
    pub partner_id: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartnerFigures {
    pub partner_id: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct Statistics {
    pub since: i64,
    pub clients: Vec<ClientFigures>,
    pub partners: Vec<PartnerFigures>,
}

/// Figures for every client (of `partner_id` only, when given) since `since`.
pub async fn compute(db: &Db, partner_id: Option<&str>, since: i64, now: i64) -> Result<Statistics, StoreError> {
    let mut by_client: BTreeMap<String, Figures> = BTreeMap::new();
    for (client_id, action, count) in journal::count_by_client(db, "consent.", since).await? {
        let figures = by_client.entry(client_id).or_default();
        match action.as_str() {
            GIVEN => figures.given = count,
            REFUSED => figures.refused = count,
            WITHDRAWN => figures.withdrawn = count,
            EXPIRED => figures.expired = count,
            _ => {}
        }
    }
    for (client_id, residents) in consent_items::residents_by_client(db, now).await? {
        by_client.entry(client_id).or_default().live_consents = residents;
    }
    let mut clients_out = Vec::new();
    let mut partners: BTreeMap<String, Figures> = BTreeMap::new();
    for row in clients::list(db).await? {
        if partner_id.is_some_and(|p| p != row.partner_id) {
            continue;
        }
        let figures = by_client.remove(&row.id).unwrap_or_default();
        partners.entry(row.partner_id.clone()).or_default().add(&figures);
        clients_out.push(ClientFigures {
            client_id: row.id,
            client_name: row.name,
            partner_id: row.partner_id,
            figures: figures.rate(),
        });
    }
    Ok(Statistics {
        since,
        clients: clients_out,
        partners: partners
            .into_iter()
            .map(|(partner_id, figures)| PartnerFigures { partner_id, figures: figures.rate() })
            .collect(),
    })
}
