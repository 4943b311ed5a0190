//! The partner registry, its fees and its consent statistics, as administrators see them: the
//! Métropole's administrator sees every partner, a commune's administrator only their own.
//! Every change is journaled with who made it, from where, and which fields changed.

use serde_json::json;

use super::caller::Caller;
use super::error::AdminError;
use super::roles::Permission;
use crate::audit::{self, Event};
use crate::consent::statistics::{self, Statistics};
use crate::partners::{self, Partner, PartnerChanges, report};
use crate::provider::Provider;

/// The partners the caller may read: all for the Métropole's administrator, their own for a
/// commune's.
pub async fn partners(provider: &Provider, caller: &Caller) -> Result<Vec<Partner>, AdminError> {
    let all = partners::list(&provider.db).await?;
    let visible: Vec<Partner> =
        all.into_iter().filter(|p| caller.require(Permission::ViewPartner { partner: &p.id }).is_ok()).collect();
    if visible.is_empty() {
        // Says why: the scope, or the role.
        caller.require(Permission::ViewPartner { partner: "" })?;
    }
    Ok(visible)
}

pub async fn partner(provider: &Provider, caller: &Caller, id: &str) -> Result<Partner, AdminError> {
    caller.require(Permission::ViewPartner { partner: id }).or_else(|e| match e {
        // Another commune's record does not exist for a commune's administrator.
        AdminError::Forbidden if caller.admin.partners().is_some_and(|own| !own.is_empty()) => Ok(()),
        other => Err(other),
    })?;
    match partners::find(&provider.db, id).await? {
        Some(p) if caller.sees_partner(&p.id) => Ok(p),
        _ => Err(AdminError::NotFound(format!("partner {id}"))),
    }
}

/// The names of the fields `changes` sets, for the journal.
fn changed_fields(changes: &PartnerChanges) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut note = |set: bool, name| {
        if set {
            fields.push(name);
        }
    };
    note(changes.name.is_some(), "name");
    note(changes.insee_code.is_some(), "insee_code");
    note(changes.population.is_some(), "population");
    note(changes.offer.is_some(), "offer");
    note(changes.pilot.is_some(), "pilot");
    note(changes.joined_on.is_some(), "joined_on");
    note(changes.contacts.is_some(), "contacts");
    fields
}

pub async fn create_partner(
    provider: &Provider,
    caller: &Caller,
    changes: PartnerChanges,
) -> Result<Partner, AdminError> {
    caller.require(Permission::ManagePartners)?;
    let fields = changed_fields(&changes);
    let created = partners::create_commune(&provider.db, changes, provider.now()).await?;
    let event = Event {
        partner_id: Some(&created.id),
        origin: caller.origin.as_deref(),
        details: json!({ "fields": fields }),
        ..Event::new(caller.actor(), "partner.created")
    };
    audit::record(provider, event).await?;
    Ok(created)
}

/// Changes a partner made on `version` (the `If-Match`); a stale version is refused.
pub async fn update_partner(
    provider: &Provider,
    caller: &Caller,
    id: &str,
    changes: PartnerChanges,
    version: i64,
) -> Result<Partner, AdminError> {
    caller.require(Permission::ManagePartners)?;
    let fields = changed_fields(&changes);
    let offer = changes.offer;
    let updated = partners::update(&provider.db, id, changes, Some(version), provider.now()).await?;
    let event = Event {
        partner_id: Some(&updated.id),
        origin: caller.origin.as_deref(),
        details: json!({ "fields": fields, "offer": offer.map(|o| o.as_str()) }),
        ..Event::new(caller.actor(), "partner.updated")
    };
    audit::record(provider, event).await?;
    Ok(updated)
}

/// The participation of every partner the caller may see the fees of, for `year`.
pub async fn fees(provider: &Provider, caller: &Caller, year: i32) -> Result<report::FeeReport, AdminError> {
    if !(2000..=2100).contains(&year) {
        return Err(AdminError::invalid("year", "a fiscal year, e.g. 2026"));
    }
    let visible: Vec<Partner> = partners::list(&provider.db)
        .await?
        .into_iter()
        .filter(|p| caller.require(Permission::ViewFees { partner: &p.id }).is_ok())
        .collect();
    if visible.is_empty() {
        // Says why: the scope, or the role.
        caller.require(Permission::ViewFees { partner: "" })?;
    }
    Ok(report::fee_report(&visible, year))
}

/// Consent statistics of `partner` (all the caller may see when `None`) since `since`.
pub async fn consent_statistics(
    provider: &Provider,
    caller: &Caller,
    partner: Option<&str>,
    since: i64,
) -> Result<Statistics, AdminError> {
    let own = caller.admin.partners();
    let partner = match (partner, own.as_deref()) {
        (Some(p), _) => Some(p),
        // A commune's administrator: their commune, whether they said so or not.
        (None, Some([only])) => Some(*only),
        (None, _) => None,
    };
    match partner {
        Some(p) => {
            // Another commune does not exist for a commune's administrator.
            if caller.sees_partner(p) {
                caller.require(Permission::ViewConsentStatistics { partner: p })?;
            }
            if !caller.sees_partner(p) || partners::find(&provider.db, p).await?.is_none() {
                return Err(AdminError::NotFound(format!("partner {p}")));
            }
        }
        None => caller.require(Permission::ViewConsentStatistics { partner: crate::partners::METROPOLE_ID })?,
    }
    Ok(statistics::compute(&provider.db, partner, since, provider.now()).await?)
}
