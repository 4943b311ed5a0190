//! Partners' applications, as administrators manage them: the Métropole's administrator any
//! partner's, a commune's administrator only their commune's (another commune's clients do
//! not exist for them). Creation, changes, secret rotation with overlap, deletion and
//! registration tokens are journaled; secrets are shown once and never kept.

use serde::Serialize;
use serde_json::json;

use super::caller::Caller;
use super::error::AdminError;
use super::roles::Permission;
use crate::audit::{self, Event};
use crate::oauth::client::{self, AdminUpdateError, Client, ClientSpec, RegisteredClient, RegistrationError};
use crate::provider::Provider;

impl From<RegistrationError> for AdminError {
    fn from(e: RegistrationError) -> Self {
        match e {
            RegistrationError::Invalid { field, why } => AdminError::invalid(field, why),
            RegistrationError::UnknownPartner(p) => AdminError::invalid("partner_id", format!("{p}: no such partner")),
            RegistrationError::Store(crate::store::StoreError::Conflict { .. }) => {
                AdminError::Conflict("a client with this client_id already exists".into())
            }
            RegistrationError::Store(e) => AdminError::Store(e),
        }
    }
}

impl From<AdminUpdateError> for AdminError {
    fn from(e: AdminUpdateError) -> Self {
        match e {
            AdminUpdateError::Invalid(e) => e.into(),
            AdminUpdateError::Changed => AdminError::PreconditionFailed,
        }
    }
}

async fn journal(
    provider: &Provider,
    caller: &Caller,
    action: &'static str,
    client: &Client,
    details: serde_json::Value,
) -> Result<(), AdminError> {
    let event = Event {
        client_id: Some(&client.client_id),
        partner_id: Some(&client.partner_id),
        origin: caller.origin.as_deref(),
        details,
        ..Event::new(caller.actor(), action)
    };
    audit::record(provider, event).await?;
    Ok(())
}

/// The clients the caller manages, of `partner` only when given.
pub async fn list(provider: &Provider, caller: &Caller, partner: Option<&str>) -> Result<Vec<Client>, AdminError> {
    if let Some(p) = partner
        && !caller.sees_partner(p)
    {
        return Err(AdminError::NotFound(format!("partner {p}")));
    }
    // Says why nothing can be listed: the scope, or the role.
    let own = caller.admin.partners();
    let probe = partner.or(own.as_deref().and_then(|o| o.first().copied())).unwrap_or(crate::partners::METROPOLE_ID);
    caller.require(Permission::ManageClients { partner: probe })?;
    let mut out = Vec::new();
    for row in crate::store::clients::list(&provider.db).await? {
        let wanted = partner.is_none_or(|p| p == row.partner_id);
        if wanted
            && caller.require(Permission::ManageClients { partner: &row.partner_id }).is_ok()
            && let Some(found) = client::find(&provider.db, &row.id).await?
        {
            out.push(found);
        }
    }
    Ok(out)
}

/// One client the caller manages.
pub async fn get(provider: &Provider, caller: &Caller, client_id: &str) -> Result<Client, AdminError> {
    let not_found = || AdminError::NotFound(format!("client {client_id}"));
    let found = client::find(&provider.db, client_id).await?.ok_or_else(not_found)?;
    if !caller.sees_partner(&found.partner_id) {
        return Err(not_found());
    }
    caller.require(Permission::ManageClients { partner: &found.partner_id })?;
    Ok(found)
}

/// The partner's offer must allow the scopes (a restricted commune: no GRU scope).
async fn offer_allows(
    provider: &Provider,
    partner: &str,
    scopes: &crate::oauth::scope::Scopes,
) -> Result<(), AdminError> {
    use crate::partners::offer::{OfferError, check_registration};
    check_registration(&provider.db, &provider.config.gru, partner, scopes).await.map_err(|e| match e {
        OfferError::Store(s) => AdminError::Store(s),
        OfferError::Refused(r) => AdminError::invalid("scope", r.to_string()),
    })
}

/// The partner a new client belongs to: the one named, else a commune administrator's own,
/// else the Métropole.
fn owner(caller: &Caller, named: Option<&str>) -> String {
    match (named, caller.admin.partners()) {
        (Some(p), _) => p.to_owned(),
        (None, Some(own)) if own.len() == 1 => own[0].to_owned(),
        _ => crate::partners::METROPOLE_ID.to_owned(),
    }
}

pub async fn create(
    provider: &Provider,
    caller: &Caller,
    mut spec: ClientSpec,
) -> Result<RegisteredClient, AdminError> {
    let partner = owner(caller, spec.partner_id.as_deref());
    if !caller.sees_partner(&partner) {
        return Err(AdminError::invalid("partner_id", format!("{partner}: not a partner you administer")));
    }
    caller.require(Permission::ManageClients { partner: &partner })?;
    if let Some(scopes) = &spec.scopes {
        offer_allows(provider, &partner, scopes).await?;
    }
    spec.partner_id = Some(partner);
    let registered = client::register(&provider.db, spec, provider.now()).await?;
    journal(provider, caller, "client.created", &registered.client, json!({})).await?;
    Ok(registered)
}

/// Changes a client made on `version`; `fields` names what changed, for the journal.
pub async fn update(
    provider: &Provider,
    caller: &Caller,
    current: &Client,
    spec: ClientSpec,
    version: i64,
    fields: &[String],
) -> Result<RegisteredClient, AdminError> {
    caller.require(Permission::ManageClients { partner: &current.partner_id })?;
    if let Some(scopes) = &spec.scopes {
        offer_allows(provider, &current.partner_id, scopes).await?;
    }
    let (updated, secret) = client::update_by_admin(&provider.db, current, spec, version).await?;
    journal(provider, caller, "client.updated", &updated, json!({ "fields": fields })).await?;
    Ok(RegisteredClient { client: updated, client_secret: secret })
}

/// A new secret, shown once.
#[derive(Debug, Serialize)]
pub struct NewSecret {
    pub client_id: String,
    pub client_secret: String,
    /// Until when the previous secret still works (Unix time), if the administrator kept it.
    pub previous_secret_expires_at: Option<i64>,
}

/// Issues a new secret; the previous one keeps working for `keep_previous_for` seconds.
pub async fn rotate_secret(
    provider: &Provider,
    caller: &Caller,
    current: &Client,
    keep_previous_for: Option<i64>,
) -> Result<NewSecret, AdminError> {
    caller.require(Permission::ManageClients { partner: &current.partner_id })?;
    if keep_previous_for.is_some_and(|s| !(1..=client::MAX_SECRET_OVERLAP).contains(&s)) {
        return Err(AdminError::invalid("keep_previous_for", format!("1 to {} seconds", client::MAX_SECRET_OVERLAP)));
    }
    let until = keep_previous_for.map(|s| provider.now() + s);
    let secret = client::rotate_secret(&provider.db, &current.client_id, until)
        .await?
        .ok_or_else(|| AdminError::Conflict("this client authenticates without a secret".into()))?;
    journal(provider, caller, "client.secret_rotated", current, json!({ "previous_secret_expires_at": until })).await?;
    Ok(NewSecret { client_id: current.client_id.clone(), client_secret: secret, previous_secret_expires_at: until })
}

/// Deletes a client; never the one the caller is acting as (a script would lock itself out),
/// nor the console's (it is registered again at the next start anyway).
pub async fn delete(provider: &Provider, caller: &Caller, current: &Client) -> Result<(), AdminError> {
    caller.require(Permission::ManageClients { partner: &current.partner_id })?;
    if caller.acting == super::caller::Acting::Client(current.client_id.clone()) {
        return Err(AdminError::Conflict("a client cannot delete itself".into()));
    }
    if current.client_id == super::console::CLIENT_ID {
        return Err(AdminError::Conflict("the console's client cannot be deleted".into()));
    }
    crate::store::clients::delete(&provider.db, &current.client_id).await?;
    journal(provider, caller, "client.deleted", current, json!({})).await
}

/// An initial access token for dynamic registration (RFC 7591 §3), for `partner`, shown once.
pub async fn registration_token(
    provider: &Provider,
    caller: &Caller,
    partner: Option<&str>,
    uses: i64,
    lifetime: i64,
) -> Result<String, AdminError> {
    let partner = owner(caller, partner);
    if !caller.sees_partner(&partner) {
        return Err(AdminError::invalid("partner_id", format!("{partner}: not a partner you administer")));
    }
    caller.require(Permission::ManageClients { partner: &partner })?;
    let token =
        crate::oauth::registration::issue_initial_token(&provider.db, &partner, uses, lifetime, provider.now()).await?;
    let event = Event {
        partner_id: Some(&partner),
        origin: caller.origin.as_deref(),
        details: json!({ "uses": uses, "expires_in": lifetime }),
        ..Event::new(caller.actor(), "registration_token.issued")
    };
    audit::record(provider, event).await?;
    Ok(token)
}

impl From<crate::consent::DeclarationError> for AdminError {
    fn from(e: crate::consent::DeclarationError) -> Self {
        use crate::consent::DeclarationError as D;
        match e {
            D::NotRequestable(scope) => {
                AdminError::invalid("scope", format!("{scope}: not a scope this client may request"))
            }
            D::BadPurpose => {
                AdminError::invalid("purpose", "say what the service does with the data, in 1 to 500 characters")
            }
            D::Store(e) => AdminError::Store(e),
        }
    }
}

/// What the client says it does with each scope's data (its own words, its group's, or the
/// catalogue's where it said nothing): what the consent page shows residents.
pub async fn purposes(
    provider: &Provider,
    caller: &Caller,
    current: &Client,
) -> Result<Vec<crate::consent::Declaration>, AdminError> {
    caller.require(Permission::ManageClients { partner: &current.partner_id })?;
    Ok(crate::consent::declarations(&provider.db, current).await?)
}

/// Declares the purpose of one scope; residents who consented for another purpose are asked
/// again. Returns every declaration.
pub async fn declare_purpose(
    provider: &Provider,
    caller: &Caller,
    current: &Client,
    declaration: crate::consent::Declaration,
) -> Result<Vec<crate::consent::Declaration>, AdminError> {
    caller.require(Permission::ManageClients { partner: &current.partner_id })?;
    let scope = declaration.scope.clone();
    let essential = declaration.essential;
    crate::consent::declare_one(&provider.db, current, declaration).await?;
    journal(provider, caller, "client.purpose_declared", current, json!({ "scope": scope, "essential": essential }))
        .await?;
    purposes(provider, caller, current).await
}
