//! Consent events in the audit journal: every grant, refusal, withdrawal and expiry, with the
//! pieces of data concerned (never their values). The statistics (`statistics`) count these.

use serde_json::json;

use crate::audit::{self, Actor, Event};
use crate::oauth::client::Client;
use crate::provider::Provider;
use crate::store::StoreError;
use crate::store::consent_items::ConsentItemRow;

pub const GIVEN: &str = "consent.given";
pub const REFUSED: &str = "consent.refused";
pub const WITHDRAWN: &str = "consent.withdrawn";
pub const EXPIRED: &str = "consent.expired";

fn about<'a>(actor: Actor<'a>, action: &'static str, user_id: &'a str, client: &'a Client) -> Event<'a> {
    Event {
        subject: Some(user_id),
        client_id: Some(&client.client_id),
        partner_id: Some(&client.partner_id),
        ..Event::new(actor, action)
    }
}

/// The resident answered the consent page: what they granted and what they unticked.
pub async fn given(
    provider: &Provider,
    user_id: &str,
    client: &Client,
    decided: &[ConsentItemRow],
) -> Result<(), StoreError> {
    let pick =
        |granted: bool| decided.iter().filter(|d| d.granted == granted).map(|d| d.item.as_str()).collect::<Vec<_>>();
    let policy = decided.first().map(|d| d.policy_version.as_str());
    let event = Event {
        details: json!({ "granted": pick(true), "refused": pick(false), "policy_version": policy }),
        ..about(Actor::Resident(user_id), GIVEN, user_id, client)
    };
    audit::record(provider, event).await.map(drop)
}

/// The resident refused the whole request on the consent page.
pub async fn refused(provider: &Provider, user_id: &str, client: &Client, asked: &[String]) -> Result<(), StoreError> {
    let event =
        Event { details: json!({ "asked": asked }), ..about(Actor::Resident(user_id), REFUSED, user_id, client) };
    audit::record(provider, event).await.map(drop)
}

/// Consent withdrawn: `items` empty for everything the service had.
pub async fn withdrawn(
    provider: &Provider,
    by: Actor<'_>,
    user_id: &str,
    client: &Client,
    items: &[String],
) -> Result<(), StoreError> {
    let scope = if items.is_empty() { json!("all") } else { json!(items) };
    let event = Event { details: json!({ "items": scope }), ..about(by, WITHDRAWN, user_id, client) };
    audit::record(provider, event).await.map(drop)
}

/// Decisions that reached their expiry and were cleared.
pub async fn expired(provider: &Provider, user_id: &str, client: &Client, items: &[String]) -> Result<(), StoreError> {
    let event = Event { details: json!({ "items": items }), ..about(Actor::System, EXPIRED, user_id, client) };
    audit::record(provider, event).await.map(drop)
}
