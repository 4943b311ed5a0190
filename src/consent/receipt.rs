//! Consent receipts, following the Kantara Initiative's Consent Receipt Specification v1.1:
//! for each consent given or withdrawn, who the controller is (the service's partner), for which
//! service and purposes, which categories of data, when, under which policy version, and how it
//! was collected. Each is a JWT signed with our ES256 key, with a `typ` of its own
//! (`consent-receipt+jwt`, RFC 8725 §3.11: it can never be taken for another token), that the
//! resident downloads from "Mes autorisations" and any partner verifies against our JWKS.

use serde_json::{Map, Value, json};

use super::catalogue;
use crate::oauth::client::Client;
use crate::oauth::subject;
use crate::provider::Provider;
use crate::signing::SigningAlg;
use crate::store::consent_items::ConsentItemRow;
use crate::store::consent_receipts::{self, ReceiptRow};

pub const TYP: &str = "consent-receipt+jwt";
pub const VERSION: &str = "KI-CR-v1.1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Given,
    Withdrawn,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Given => "given",
            Kind::Withdrawn => "withdrawn",
        }
    }
}

fn label(key: &str) -> &str {
    if key == catalogue::IDENTITY.key {
        return catalogue::IDENTITY.label_fr;
    }
    catalogue::find(key).map_or(key, |i| i.label_fr)
}

/// The receipt's claims for `decisions` (one service's, all taken at once).
fn claims(provider: &Provider, client: &Client, partner: &str, decisions: &[ConsentItemRow], kind: Kind) -> Value {
    let now = provider.now();
    let sub = subject::for_client(client, &decisions[0].user_id, provider.keys().pairwise_secret());
    // One purpose entry per declared purpose, with the categories of data it covers.
    let mut purposes: Vec<(String, Vec<&ConsentItemRow>)> = Vec::new();
    for d in decisions {
        match purposes.iter_mut().find(|(p, _)| *p == d.purpose) {
            Some((_, items)) => items.push(d),
            None => purposes.push((d.purpose.clone(), vec![d])),
        }
    }
    let sensitive = decisions
        .iter()
        .filter_map(|d| catalogue::find(&d.item))
        .any(|i| i.sensitivity >= catalogue::Sensitivity::Moderate);
    json!({
        "iss": provider.issuer(),
        "iat": now,
        "jti": uuid::Uuid::now_v7().to_string(),
        "version": VERSION,
        "jurisdiction": "FR",
        "consentTimestamp": decisions.iter().map(|d| d.decided_at).max().unwrap_or(now),
        "collectionMethod": match kind {
            Kind::Given => "page de consentement de GrandLyon Connect",
            Kind::Withdrawn => "retrait sur la page « Mes autorisations » de GrandLyon Connect",
        },
        "consentReceiptID": uuid::Uuid::now_v7().to_string(),
        "language": "fr",
        "piiPrincipalId": sub,
        "piiControllers": [{ "piiController": partner, "onBehalf": false }],
        "policyUrl": provider.url("/confidentialite"),
        "services": [{
            "service": client.name,
            "purposes": purposes.iter().map(|(purpose, items)| json!({
                "purpose": purpose,
                "purposeCategory": ["service public local"],
                "consentType": "EXPLICIT",
                "piiCategory": items.iter().filter(|d| d.granted).map(|d| label(&d.item)).collect::<Vec<_>>(),
                "primaryPurpose": true,
                "termination": "retrait depuis « Mes autorisations », ou expiration",
                "thirdPartyDisclosure": false,
            })).collect::<Vec<_>>(),
        }],
        "sensitive": sensitive,
        "spiCat": [],
        // What the specification leaves to the issuer: the decision, piece by piece.
        "glc": {
            "kind": kind.as_str(),
            "client_id": client.client_id,
            "policy_version": decisions[0].policy_version,
            "items": decisions.iter().map(|d| json!({
                "item": d.item, "granted": d.granted && kind == Kind::Given, "expires_at": d.expires_at,
            })).collect::<Vec<_>>(),
        },
    })
}

/// Signs and keeps the receipt of `decisions` (a failure is logged: the consent stands).
pub async fn issue(provider: &Provider, client: &Client, decisions: &[ConsentItemRow], kind: Kind) {
    let Some(first) = decisions.first() else { return };
    let partner = match crate::partners::find(&provider.db, &client.partner_id).await {
        Ok(Some(p)) => p.name,
        _ => client.partner_id.clone(),
    };
    let claims: Map<String, Value> = match claims(provider, client, &partner, decisions, kind) {
        Value::Object(map) => map,
        _ => return,
    };
    let jwt = match provider.keys().sign(SigningAlg::ES256, Some(TYP), &claims) {
        Ok(jwt) => jwt,
        Err(e) => return tracing::error!(error = %e, "consent receipt not signed"),
    };
    let row = ReceiptRow {
        id: claims.get("consentReceiptID").and_then(Value::as_str).unwrap_or_default().to_owned(),
        user_id: first.user_id.clone(),
        client_id: client.client_id.clone(),
        kind: kind.as_str().to_owned(),
        jwt,
        created_at: provider.now(),
    };
    if let Err(e) = consent_receipts::insert(&provider.db, &row).await {
        tracing::error!(error = %e, "consent receipt not kept");
    }
}
