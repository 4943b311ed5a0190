//! Recognising, at a first FranceConnect+ login, a resident FranceConnect already certified:
//! the two platforms give one person two different `sub`s, so the identity is what can tell.
//! FranceConnect+ sends the identity as its identity provider gave it, and with the `rnipp_*`
//! claims the identity as the national register (RNIPP) has it — which is what FranceConnect
//! certifies. Those claims are compared with the identities FranceConnect certified, and used
//! for nothing else: never stored, never released.
//!
//! A match links nothing by itself (FranceConnect's rule: reconciliation needs the resident's
//! proof). The FranceConnect+ identity is held, for this browser only and a few minutes, while
//! the resident either proves the account is theirs by signing in to it through FranceConnect —
//! then both are linked — or chooses a separate account.

use serde::{Deserialize, Serialize};

use super::client::{FcError, FcIdentity};
use super::flow::Return;
use super::{Platform, UpstreamLogin};
use crate::provider::Provider;
use crate::secrets;
use crate::store::federation;

/// How long the resident has to choose.
const HELD_SECONDS: i64 = 10 * 60;

fn unavailable(e: impl std::fmt::Display) -> FcError {
    FcError::Unavailable(e.to_string())
}

/// The account whose FranceConnect-certified identity is the one the RNIPP gives for this
/// FranceConnect+ identity, when exactly one is, and the FC+ identity is linked to nobody yet.
pub async fn matching_account(provider: &Provider, identity: &FcIdentity) -> Result<Option<String>, FcError> {
    let Some(rnipp) = identity.rnipp.as_ref().filter(|_| identity.platform == Platform::FranceConnectPlus.as_str())
    else {
        return Ok(None);
    };
    let db = &provider.db;
    if federation::linked_user(db, &identity.platform, &identity.subject).await.map_err(unavailable)?.is_some() {
        return Ok(None);
    }
    let pivot = federation::Pivot {
        family_name: &rnipp.family_name,
        given_name: &rnipp.given_name,
        birthdate: rnipp.birthdate.as_deref(),
        gender: rnipp.gender.as_deref(),
        birthplace: rnipp.birthplace.as_deref(),
        birthcountry: rnipp.birthcountry.as_deref(),
    };
    let found =
        federation::certified_with_pivot(db, Platform::FranceConnect.as_str(), &pivot).await.map_err(unavailable)?;
    // Two accounts with one birth identity: no guess between them.
    Ok(if found.len() == 1 { found.into_iter().next() } else { None })
}

/// A FranceConnect+ identity waiting for the resident's choice.
#[derive(Debug, Serialize, Deserialize)]
pub struct Held {
    pub identity: FcIdentity,
    /// FC+'s signed ID token (not in `identity`'s serialised form), for logout.
    pub id_token: String,
    /// The account it matches.
    pub user_id: String,
    /// Where the resident was going.
    pub back: Return,
    /// Proves a choice was made on our page.
    pub csrf: String,
}

impl Held {
    pub fn upstream(&self) -> UpstreamLogin {
        UpstreamLogin { platform: Platform::FranceConnectPlus, id_token: self.id_token.clone() }
    }
}

fn key(token: &str) -> String {
    format!("fc_held:{}", secrets::digest(token))
}

/// Holds `identity` for the browser that will present the returned value (a cookie).
pub async fn hold(
    provider: &Provider,
    mut identity: FcIdentity,
    user_id: String,
    back: Return,
) -> Result<(String, Held), FcError> {
    // The RNIPP identity did its work: it is not kept, even for a few minutes.
    identity.rnipp = None;
    let token = secrets::new_secret();
    let id_token = identity.id_token.clone();
    let held = Held { identity, id_token, user_id, back, csrf: secrets::random_token(24) };
    let json = serde_json::to_string(&held).map_err(unavailable)?;
    provider.ephemeral.put(&key(&token), json, HELD_SECONDS).await.map_err(unavailable)?;
    Ok((token, held))
}

/// The identity held for `token`; with `csrf`, only if it is the one shown with it (a form of
/// our page), without, for the FranceConnect callback (its own state proves the browser).
pub async fn find(provider: &Provider, token: Option<&str>, csrf: Option<&str>) -> Result<Option<Held>, FcError> {
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else { return Ok(None) };
    let Some(json) = provider.ephemeral.get(&key(token)).await.map_err(unavailable)? else { return Ok(None) };
    let mut held: Held = match serde_json::from_str(&json) {
        Ok(held) => held,
        Err(_) => return Ok(None),
    };
    held.identity.id_token = held.id_token.clone();
    Ok(csrf.is_none_or(|csrf| secrets::constant_time_eq(&held.csrf, csrf)).then_some(held))
}

/// The choice is made: the held identity goes.
pub async fn release(provider: &Provider, token: &str) {
    let _ = provider.ephemeral.delete(&key(token)).await;
}
