//! What FranceConnect certified, released downstream as OpenID Connect for Identity Assurance
//! 1.0 `verified_claims` to a client that asks for them (the `claims` parameter) and was
//! consented to their scope: trust framework `eidas`, the assurance level of FC's `acr`
//! (eidas1 → low, eidas2 → substantial, eidas3 → high), when, and evidence naming the platform.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::oauth::claims::{ClaimSpec, VERIFIED_CLAIMS};
use crate::store::federation::CertifiedRow;
use crate::store::{Db, StoreError, federation};

/// The claims a verified identity can carry (their scope, `profile`, covers consent).
pub const CLAIMS_IN_VERIFIED_CLAIMS: [&str; 4] = ["given_name", "family_name", "birthdate", "gender"];
pub const TRUST_FRAMEWORK: &str = "eidas";
pub const EVIDENCE: &str = "electronic_record";

fn assurance_level(acr: &str) -> Option<&'static str> {
    match acr {
        "eidas1" => Some("low"),
        "eidas2" => Some("substantial"),
        "eidas3" => Some("high"),
        _ => None,
    }
}

fn platform_name(platform: &str) -> &'static str {
    if platform == "fcplus" { "FranceConnect+" } else { "FranceConnect" }
}

/// The `verified_claims` object for `request` from `certified`, or `None` when nothing asked
/// for is certified (or another trust framework is required).
pub fn build(certified: &CertifiedRow, request: &ClaimSpec) -> Option<Value> {
    if let Some(wanted) = request.verification.as_ref().and_then(|v| v.pointer("/trust_framework/value"))
        && wanted.as_str() != Some(TRUST_FRAMEWORK)
    {
        return None;
    }
    let mut claims = Map::new();
    for name in request.verified_claim_names() {
        let value = match name {
            "given_name" => Some(certified.given_name.clone()),
            "family_name" => Some(certified.family_name.clone()),
            "birthdate" => certified.birthdate.clone(),
            "gender" => certified.gender.clone(),
            _ => None,
        };
        if let Some(value) = value {
            claims.insert(name.to_owned(), value.into());
        }
    }
    if claims.is_empty() {
        return None;
    }
    let time = time::OffsetDateTime::from_unix_timestamp(certified.verified_at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
    Some(json!({
        "verification": {
            "trust_framework": TRUST_FRAMEWORK,
            "assurance_level": assurance_level(&certified.acr),
            "time": time,
            "evidence": [{
                "type": EVIDENCE,
                "record": { "type": "eid", "source": { "name": platform_name(&certified.platform) } },
            }],
        },
        "claims": claims,
    }))
}

/// Adds `verified_claims` to `out` when `requested` (a claims request member) asks for them
/// and the resident has a certified identity.
pub async fn add(
    db: &Db,
    user_id: &str,
    requested: &BTreeMap<String, Option<ClaimSpec>>,
    out: &mut Map<String, Value>,
) -> Result<(), StoreError> {
    let Some(Some(spec)) = requested.get(VERIFIED_CLAIMS) else { return Ok(()) };
    if let Some(certified) = federation::certified_of(db, user_id).await?
        && let Some(verified) = build(&certified, spec)
    {
        out.insert(VERIFIED_CLAIMS.to_owned(), verified);
    }
    Ok(())
}
