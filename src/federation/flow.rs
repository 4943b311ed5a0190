//! A FranceConnect login in progress: `state` (32 random bytes) and `nonce` are made here,
//! remembered in the short-lived store under the digest of the state and of a cookie set on
//! this browser, and taken once when FC sends the resident back. A callback from
//! another browser, a replayed one, or one for a login started elsewhere finds nothing.

use serde::{Deserialize, Serialize};

use super::client::{FcError, FcIdentity};
use super::{Platform, outage};
use crate::provider::Provider;
use crate::secrets;
use crate::store::ephemeral::Taken;

/// FC's interaction lasts 30 minutes; a login at FC takes a few.
const PENDING_SECONDS: i64 = 30 * 60;

/// Where the resident goes once FranceConnect vouched for them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Return {
    /// The authorization request of this interaction.
    Interaction { id: String },
    /// The account page.
    Account,
    /// Linking FranceConnect to this signed-in account (from the account page).
    Link { user_id: String },
    /// Proving, through FranceConnect, that the account a FranceConnect+ identity matched is
    /// the resident's (`reconcile`).
    Reconcile,
}

#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    nonce: String,
    back: Return,
    platform: Platform,
    /// The eIDAS level asked for: the least accepted back.
    acr: String,
}

fn key(state: &str, binding: &str) -> String {
    format!("fc_flow:{}", secrets::digest(&format!("{state}|{binding}")))
}

/// A started login: FC's URL to send the browser to, and the value of the cookie binding the
/// login to it.
pub struct Started {
    pub url: String,
    pub binding: String,
}

fn unavailable(e: impl std::fmt::Display) -> FcError {
    FcError::Unavailable(e.to_string())
}

fn upstream(provider: &Provider, platform: Platform) -> Result<&super::FranceConnect, FcError> {
    provider.franceconnect.get(platform).ok_or_else(|| unavailable(format!("{platform:?} is not configured")))
}

/// Starts a login on `platform` at eIDAS level `wanted` (or the platform's own, if higher).
pub async fn start(
    provider: &Provider,
    platform: Platform,
    back: Return,
    wanted: Option<&str>,
) -> Result<Started, FcError> {
    let fc = upstream(provider, platform)?;
    let (state, nonce, binding) = (secrets::random_token(32), secrets::random_token(32), secrets::new_secret());
    let acr = fc.level_for(wanted);
    let pending = Pending { nonce: nonce.clone(), back, platform, acr: acr.clone() };
    let json = serde_json::to_string(&pending).map_err(unavailable)?;
    let key = key(&state, &binding);
    provider.ephemeral.put_single_use(&key, json, String::new(), PENDING_SECONDS).await.map_err(unavailable)?;
    let url = match fc.authorization_url(&state, &nonce, &acr).await {
        Ok(url) => url,
        Err(e) => return Err(noted(provider, platform, e).await),
    };
    Ok(Started { url, binding })
}

/// What the callback carried.
pub struct Callback<'a> {
    pub state: &'a str,
    pub code: &'a str,
    pub iss: Option<&'a str>,
}

/// The pending login `state` names, if it belongs to the browser presenting `binding`
/// (taken: a second callback with the same state finds nothing).
pub async fn take(provider: &Provider, state: &str, binding: Option<&str>) -> Result<Option<Return>, FcError> {
    Ok(take_pending(provider, state, binding).await?.map(|p| p.back))
}

async fn take_pending(provider: &Provider, state: &str, binding: Option<&str>) -> Result<Option<Pending>, FcError> {
    if state.is_empty() || state.len() > 128 {
        return Ok(None);
    }
    // The key includes the browser's binding: a callback from another browser finds nothing
    // and leaves this browser's login alone.
    let Some(binding) = binding else { return Ok(None) };
    match provider.ephemeral.take(&key(state, binding), PENDING_SECONDS).await.map_err(unavailable)? {
        Taken::Value(json) => Ok(serde_json::from_str(&json).ok()),
        Taken::AlreadyTaken(_) | Taken::Missing => Ok(None),
    }
}

/// Finishes the login `callback` names: the issuer checked (RFC 9207, against mix-up), the
/// code redeemed, the identity verified. `Ok(None)`: no such login for this browser.
pub async fn finish(
    provider: &Provider,
    callback: Callback<'_>,
    binding: Option<&str>,
) -> Result<Option<(FcIdentity, Return)>, FcError> {
    let Some(pending) = take_pending(provider, callback.state, binding).await? else { return Ok(None) };
    // The platform this login was started on: its issuer only may answer (a mix-up otherwise).
    let fc = upstream(provider, pending.platform)?;
    if callback.iss != Some(fc.issuer()) {
        return Err(FcError::Refused(format!("callback from issuer {:?}", callback.iss)));
    }
    let keys = provider.keys();
    let identity = match fc.complete(callback.code, &pending.nonce, &pending.acr, &keys).await {
        Ok(identity) => identity,
        Err(e) => return Err(noted(provider, pending.platform, e).await),
    };
    outage::record_success(provider, pending.platform).await;
    Ok(Some((identity, pending.back)))
}

/// An unavailable FranceConnect counts towards an outage (a refused answer does not).
async fn noted(provider: &Provider, platform: Platform, e: FcError) -> FcError {
    if matches!(e, FcError::Unavailable(_)) {
        outage::record_failure(provider, platform).await;
    }
    e
}
