//! The consent-withdrawal Security Event Token (RFC 8417), pushed to the endpoint a client
//! registered (`consent_withdrawal_uri`) as RFC 8935 delivers SETs: a JWT with its own `typ`
//! (`secevent+jwt`, so it is never mistaken for an ID or logout token, RFC 8725 §3.11), signed
//! with our ES256 key, naming the resident by the client's own `sub` (RFC 9493 `iss_sub`), and
//! one event whose payload says what was withdrawn and when. The client's duty on receipt is in
//! `docs/consent-events.md`: stop using the data withdrawn, delete what it no longer may keep.

use serde_json::{Map, Value, json};

use super::client::Client;
use super::subject;
use crate::provider::Provider;
use crate::signing::SigningAlg;

/// The event's type: stable, ours.
pub const CONSENT_WITHDRAWN: &str = "urn:fr:grandlyon:connect:secevent:consent-withdrawn";
pub const TYP: &str = "secevent+jwt";

/// What was withdrawn: some pieces of data, or everything the client had.
#[derive(Debug, Clone)]
pub struct Withdrawal<'a> {
    pub user_id: &'a str,
    /// The pieces withdrawn; empty: all of them (the service, or the partner, as a whole).
    pub items: &'a [String],
}

/// The SET for `withdrawal`, addressed to `client`.
pub fn token(provider: &Provider, client: &Client, withdrawal: &Withdrawal<'_>) -> Option<String> {
    let now = provider.now();
    let sub = subject::for_client(client, withdrawal.user_id, provider.keys().pairwise_secret());
    let event = if withdrawal.items.is_empty() {
        json!({ "scope": "all", "withdrawn_at": now })
    } else {
        json!({ "scope": "items", "items": withdrawal.items, "withdrawn_at": now })
    };
    let claims: Map<String, Value> = serde_json::from_value(json!({
        "iss": provider.issuer(),
        "aud": client.client_id,
        "iat": now,
        "jti": uuid::Uuid::now_v7().to_string(),
        "sub_id": { "format": "iss_sub", "iss": provider.issuer(), "sub": sub },
        "events": { CONSENT_WITHDRAWN: event },
    }))
    .ok()?;
    provider.keys().sign(SigningAlg::ES256, Some(TYP), &claims).ok()
}

/// Pushes the SET to the client's endpoint, if it registered one (in the background: the
/// resident does not wait on the client; retried as logout tokens are).
pub fn push(provider: &Provider, client: &Client, withdrawal: &Withdrawal<'_>) {
    let Some(uri) = client.metadata.consent_withdrawal_uri.clone() else { return };
    if !super::backchannel::may_call(&uri, provider) {
        return;
    }
    let Some(set) = token(provider, client, withdrawal) else {
        tracing::error!(client_id = %client.client_id, "consent withdrawal event not signed");
        return;
    };
    let http = provider.http.clone();
    let client_id = client.client_id.clone();
    tokio::spawn(async move {
        let sent = http
            .post(&uri)
            .header(reqwest::header::CONTENT_TYPE, "application/secevent+jwt")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(set)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => tracing::info!(%client_id, "consent withdrawal event delivered"),
            Ok(r) => tracing::warn!(%client_id, status = %r.status(), "consent withdrawal event refused"),
            Err(e) => tracing::warn!(%client_id, error = %e, "consent withdrawal event not delivered"),
        }
    });
}
