//! A FranceConnect login in progress: `state` (32 random bytes) and `nonce` are made here,
//! remembered in the short-lived store under the digest of the state and of a cookie set on
//! this browser, and taken once when FC sends the resident back. A callback from
//! another browser, a replayed one, or one for a login started elsewhere finds nothing.

use serde::{Deserialize, Serialize};

use super::client::{FcError, FcIdentity};
use super::outage;
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
}

#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    nonce: String,
    back: Return,
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

pub async fn start(provider: &Provider, back: Return) -> Result<Started, FcError> {
    let fc = provider.franceconnect.as_ref().ok_or_else(|| unavailable("FranceConnect is not configured"))?;
    let (state, nonce, binding) = (secrets::random_token(32), secrets::random_token(32), secrets::new_secret());
    let pending = Pending { nonce: nonce.clone(), back };
    let json = serde_json::to_string(&pending).map_err(unavailable)?;
    let key = key(&state, &binding);
    provider.ephemeral.put_single_use(&key, json, String::new(), PENDING_SECONDS).await.map_err(unavailable)?;
    let url = match fc.authorization_url(&state, &nonce).await {
        Ok(url) => url,
        Err(e) => return Err(noted(provider, e).await),
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
    let fc = provider.franceconnect.as_ref().ok_or_else(|| unavailable("FranceConnect is not configured"))?;
    let Some(pending) = take_pending(provider, callback.state, binding).await? else { return Ok(None) };
    if callback.iss != Some(fc.issuer()) {
        return Err(FcError::Refused(format!("callback from issuer {:?}", callback.iss)));
    }
    let identity = match fc.complete(callback.code, &pending.nonce).await {
        Ok(identity) => identity,
        Err(e) => return Err(noted(provider, e).await),
    };
    outage::record_success(provider).await;
    Ok(Some((identity, pending.back)))
}

/// An unavailable FranceConnect counts towards an outage (a refused answer does not).
async fn noted(provider: &Provider, e: FcError) -> FcError {
    if matches!(e, FcError::Unavailable(_)) {
        outage::record_failure(provider).await;
    }
    e
}
