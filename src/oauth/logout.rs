//! OpenID Connect RP-Initiated Logout 1.0, and what ending a session sets in motion:
//! back-channel logout tokens to every client of the session, and the front-channel iframes.
//!
//! The session to end is found on the server side from the `sid` of the `id_token_hint`, so a
//! cross-site POST that carries no `SameSite=Lax` cookie still ends it. Each client sees its own
//! `sid` ([`client_sid`]), derived from the session and the client, so two communes cannot join
//! on it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::client::{self, Client};
use super::error::{PageError, PageErrorKind};
use super::params::Params;
use super::{backchannel, subject};
use crate::identity::session::{self, Session};
use crate::provider::Provider;

/// The `sid` that `client_id` sees for the session `session_sid`.
pub fn client_sid(secret: &[u8], session_sid: &str, client_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(secret);
    hasher.update(b"\0sid\0");
    hasher.update(session_sid.as_bytes());
    hasher.update([0]);
    hasher.update(client_id.as_bytes());
    URL_SAFE_NO_PAD.encode(&hasher.finalize()[..16])
}

/// A validated end-session request.
#[derive(Debug)]
pub struct EndSessionRequest {
    /// The client named by a valid `id_token_hint` or `client_id`.
    pub client: Option<Client>,
    /// The `sid` of a valid `id_token_hint`, if it had one.
    pub hint_sid: Option<String>,
    /// Proof that the request comes from the client: a valid `id_token_hint`. Without it the
    /// resident is asked to confirm and is not redirected.
    pub from_client: bool,
    /// Where to send the resident afterwards, `state` included.
    pub redirect: Option<String>,
    pub ui_locales: Vec<String>,
}

fn bad(detail: &'static str) -> PageError {
    PageError::bad_request(detail)
}

pub async fn validate(provider: &Provider, params: &Params) -> Result<EndSessionRequest, PageError> {
    let mut client = match params.get("client_id") {
        Some(id) => Some(
            client::find(&provider.db, id)
                .await?
                .ok_or_else(|| PageError::new(400, PageErrorKind::InvalidClient, "unknown client_id"))?,
        ),
        None => None,
    };
    let mut hint_sid = None;
    let from_client = match params.get("id_token_hint") {
        Some(hint) => {
            let invalid = || bad("id_token_hint is not an ID token issued by this provider");
            let token = super::id_token::verify_hint(provider, hint).ok_or_else(invalid)?;
            let audience = match token.claims.get("aud") {
                Some(Value::String(a)) => Some(a.clone()),
                Some(Value::Array(a)) if a.len() == 1 => a[0].as_str().map(str::to_owned),
                _ => None,
            }
            .ok_or_else(invalid)?;
            if client.as_ref().is_some_and(|c| c.client_id != audience) {
                return Err(bad("client_id does not match the id_token_hint"));
            }
            if client.is_none() {
                client = Some(client::find(&provider.db, &audience).await?.ok_or_else(invalid)?);
            }
            hint_sid = token.str_claim("sid").map(str::to_owned);
            true
        }
        None => false,
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            // Exact match against the client's registered URIs; never redirect anywhere else.
            let registered = client.as_ref().is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return Err(PageError::new(
                    400,
                    PageErrorKind::InvalidRedirectUri,
                    "post_logout_redirect_uri is not registered",
                ));
            }
            let mut url = url::Url::parse(uri).map_err(|_| bad("post_logout_redirect_uri is not a URL"))?;
            if let Some(state) = params.get("state") {
                url.query_pairs_mut().append_pair("state", state);
            }
            from_client.then(|| url.to_string())
        }
    };
    let ui_locales =
        params.get("ui_locales").unwrap_or_default().split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    Ok(EndSessionRequest { client, hint_sid, from_client, redirect, ui_locales })
}

/// The session a validated request ends: the one its `id_token_hint` names, else the browser's.
pub async fn session_to_end(
    provider: &Provider,
    request: &EndSessionRequest,
    browser_session: Option<Session>,
) -> Result<Option<Session>, PageError> {
    if let Some(sid) = &request.hint_sid
        && let Some(handle) = session::handle_of_client_sid(&provider.ephemeral, sid).await?
        && let Some(found) =
            session::by_handle(&provider.ephemeral, &handle, provider.now(), &provider.config.lifetimes).await?
    {
        return Ok(Some(found));
    }
    Ok(browser_session)
}

/// Ends `session`: deletes it, sends the back-channel logout tokens (waiting a short while for
/// them, then letting them finish in the background) and returns the front-channel iframe URLs.
pub async fn end(provider: &Provider, session: &Session) -> Result<Vec<String>, PageError> {
    session::end(&provider.ephemeral, session).await?;
    let mut deliveries = Vec::new();
    let mut frames = Vec::new();
    for client_id in &session.clients {
        let Some(client) = client::find(&provider.db, client_id).await? else { continue };
        deliveries.extend(send_backchannel(provider, session, &client)?);
        frames.extend(frontchannel_frame(provider, session, &client));
    }
    wait_briefly(deliveries).await;
    Ok(frames)
}

/// Ends every session of a resident, each with its back-channel notifications (an
/// administrator's action on a compromised or closed account; there is no browser for
/// front-channel frames). Returns how many sessions ended.
pub async fn end_all_sessions(provider: &Provider, user_id: &str) -> Result<usize, PageError> {
    let sessions = session::of_user(&provider.ephemeral, user_id, provider.now(), &provider.config.lifetimes).await?;
    for session in &sessions {
        end(provider, session).await?;
    }
    Ok(sessions.len())
}

/// Tells one client, by back-channel, that the resident's session with it is over (their
/// consent to it was withdrawn); the session goes on for the other clients.
pub async fn end_for_client(provider: &Provider, user_id: &str, client: &Client) -> Result<(), PageError> {
    let (now, lifetimes) = (provider.now(), &provider.config.lifetimes);
    let mut deliveries = Vec::new();
    for session in session::of_user(&provider.ephemeral, user_id, now, lifetimes).await? {
        if session.clients.contains(&client.client_id) {
            deliveries.extend(send_backchannel(provider, &session, client)?);
            session::forget_client(&provider.ephemeral, &session, &client.client_id, now, lifetimes).await?;
        }
    }
    wait_briefly(deliveries).await;
    Ok(())
}

/// Starts the delivery of a logout token to `client` for `session`, if it registered a
/// back-channel logout URI.
fn send_backchannel(
    provider: &Provider,
    session: &Session,
    client: &Client,
) -> Result<Option<tokio::task::JoinHandle<bool>>, PageError> {
    let Some(uri) = client.backchannel_logout_uri.as_deref().filter(|u| backchannel::may_call(u, provider)) else {
        return Ok(None);
    };
    let secret = provider.keys().pairwise_secret().to_vec();
    let sid = client_sid(&secret, &session.sid, &client.client_id);
    let sub = subject::for_client(client, &session.user_id, &secret);
    let token = backchannel::logout_token(provider, client, &sub, &sid)?;
    Ok(Some(tokio::spawn(backchannel::deliver(provider.http.clone(), uri.to_owned(), token))))
}

/// The front-channel logout URL of `client` for `session`, with `iss` and its `sid`.
fn frontchannel_frame(provider: &Provider, session: &Session, client: &Client) -> Option<String> {
    let uri = client.frontchannel_logout_uri.as_deref().filter(|u| backchannel::may_call(u, provider))?;
    let mut url = url::Url::parse(uri).ok()?;
    let sid = client_sid(provider.keys().pairwise_secret(), &session.sid, &client.client_id);
    url.query_pairs_mut().append_pair("iss", provider.issuer()).append_pair("sid", &sid);
    Some(url.to_string())
}

/// Never hold a page for long: what has not answered in 2 s goes on alone.
async fn wait_briefly(deliveries: Vec<tokio::task::JoinHandle<bool>>) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), futures_join_all(deliveries)).await;
}

async fn futures_join_all(handles: Vec<tokio::task::JoinHandle<bool>>) {
    for handle in handles {
        let _ = handle.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_sees_its_own_sid() {
        let a = client_sid(b"k", "session", "bron-portal");
        assert_eq!(a, client_sid(b"k", "session", "bron-portal"));
        assert_ne!(a, client_sid(b"k", "session", "lyon-portal"));
        assert_ne!(a, client_sid(b"k", "other", "bron-portal"));
    }
}

/// A logout waiting for the resident's confirmation (the request did not prove it came from
/// the client), bound to the browser like an interaction.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PendingLogout {
    pub csrf: String,
    pub binding_digest: String,
    pub locale: String,
    pub expires_at: i64,
}

fn pending_key(id: &str) -> String {
    format!("logout:{id}")
}

/// Stores a pending logout; returns its id, the binding cookie value and the pending logout.
pub async fn ask_confirmation(provider: &Provider, locale: &str) -> Result<(String, String, PendingLogout), PageError> {
    let id = crate::secrets::random_token(24);
    let binding = crate::secrets::new_secret();
    let pending = PendingLogout {
        csrf: crate::secrets::new_secret(),
        binding_digest: crate::secrets::digest(&binding),
        locale: locale.to_owned(),
        expires_at: provider.now() + provider.config.lifetimes.interaction,
    };
    let json =
        serde_json::to_string(&pending).map_err(|_| PageError::from(super::error::OAuthError::server_error()))?;
    provider.ephemeral.put(&pending_key(&id), json, provider.config.lifetimes.interaction).await?;
    Ok((id, binding, pending))
}

/// Takes the pending logout `id` if this browser (`binding`) started it and `csrf` matches.
pub async fn take_confirmation(
    provider: &Provider,
    id: &str,
    binding: Option<&str>,
    csrf: &str,
) -> Result<PendingLogout, PageError> {
    if id.len() > 64 {
        return Err(PageError::expired());
    }
    let json = provider.ephemeral.get(&pending_key(id)).await?.ok_or_else(PageError::expired)?;
    let pending: PendingLogout = serde_json::from_str(&json).map_err(|_| PageError::expired())?;
    let bound = binding.is_some_and(|b| crate::secrets::matches_digest(b, &pending.binding_digest));
    if !bound || !crate::secrets::constant_time_eq(csrf, &pending.csrf) || pending.expires_at <= provider.now() {
        return Err(PageError::expired());
    }
    provider.ephemeral.delete(&pending_key(id)).await?;
    Ok(pending)
}
