//! The single sign-on session: who is logged in on this browser, since when, and how.
//!
//! The browser holds only a random session id in an `HttpOnly` cookie; the store holds the
//! session under the id's digest, with an idle and an absolute lifetime. A login always
//! creates a new id (no session fixation).

use serde::{Deserialize, Serialize};

use crate::config::Lifetimes;
use crate::federation::UpstreamLogin;
use crate::secrets;
use crate::store::ephemeral::{EphemeralError, ShortLived};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Where the session is stored: the digest of the cookie value (never the value itself).
    pub handle: String,
    /// Secret-free identifier of the session; each client sees its own `sid` derived from it
    /// (`oauth::logout::client_sid`), so two communes cannot join on it.
    pub sid: String,
    pub user_id: String,
    /// When the resident last actively authenticated (OIDC `auth_time`).
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub last_seen: i64,
    /// The clients that received tokens in this session: the ones to notify at logout.
    #[serde(default)]
    pub clients: Vec<String>,
    /// For a login through FranceConnect, its platform and ID token: the `id_token_hint` that
    /// ends the FC session at logout. Kept here only, never stored for long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamLogin>,
}

fn key(handle: &str) -> String {
    format!("session:{handle}")
}

/// The handles of a resident's sessions, so an administrator can end them all.
fn user_sessions_key(user_id: &str) -> String {
    format!("user_sessions:{user_id}")
}

fn client_sid_key(client_sid: &str) -> String {
    format!("client_sid:{client_sid}")
}

fn ttl(session: &Session, now: i64, lifetimes: &Lifetimes) -> i64 {
    let absolute_left = session.created_at + lifetimes.session_absolute - now;
    lifetimes.session_idle.min(absolute_left).max(1)
}

/// Starts a session after a successful authentication; returns the cookie value.
pub async fn start(
    store: &ShortLived,
    user_id: &str,
    acr: &str,
    amr: &[&str],
    upstream: Option<&UpstreamLogin>,
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<(String, Session), EphemeralError> {
    let cookie_value = secrets::new_secret();
    let session = Session {
        handle: secrets::digest(&cookie_value),
        sid: secrets::random_token(16),
        user_id: user_id.to_owned(),
        auth_time: now,
        acr: acr.to_owned(),
        amr: amr.iter().map(|s| (*s).to_owned()).collect(),
        created_at: now,
        last_seen: now,
        clients: Vec::new(),
        upstream: upstream.cloned(),
    };
    save(store, &session, now, lifetimes).await?;
    store.add_member(&user_sessions_key(user_id), &session.handle, lifetimes.session_absolute).await?;
    Ok((cookie_value, session))
}

async fn save(store: &ShortLived, session: &Session, now: i64, lifetimes: &Lifetimes) -> Result<(), EphemeralError> {
    let json = serde_json::to_string(session).unwrap_or_default();
    store.put(&key(&session.handle), json, ttl(session, now, lifetimes)).await
}

/// The live session of this cookie, its idle lifetime renewed; `None` if unknown or expired.
pub async fn resume(
    store: &ShortLived,
    cookie_value: &str,
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<Option<Session>, EphemeralError> {
    if cookie_value.len() > 128 {
        return Ok(None);
    }
    keep_alive(store, &secrets::digest(cookie_value), now, lifetimes).await
}

/// The live session stored under `handle`, its idle lifetime renewed: activity in it, on our
/// pages or in the console (a client living in the session), keeps it open.
pub async fn keep_alive(
    store: &ShortLived,
    handle: &str,
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<Option<Session>, EphemeralError> {
    let Some(mut session) = by_handle(store, handle, now, lifetimes).await? else {
        return Ok(None);
    };
    // Renew the idle window at most once a minute: one write per minute per resident, not one
    // per request.
    if now - session.last_seen >= 60 {
        session.last_seen = now;
        save(store, &session, now, lifetimes).await?;
    }
    Ok(Some(session))
}

/// The live session stored under `handle`.
pub async fn by_handle(
    store: &ShortLived,
    handle: &str,
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<Option<Session>, EphemeralError> {
    let Some(json) = store.get(&key(handle)).await? else { return Ok(None) };
    let Ok(session) = serde_json::from_str::<Session>(&json) else { return Ok(None) };
    if now - session.last_seen >= lifetimes.session_idle || now - session.created_at >= lifetimes.session_absolute {
        store.delete(&key(handle)).await?;
        return Ok(None);
    }
    Ok(Some(session))
}

/// Records that `client_id` received tokens in this session under `client_sid`, so a logout
/// can notify it and a logout request naming that `sid` finds the session.
pub async fn record_client(
    store: &ShortLived,
    session: &Session,
    client_id: &str,
    client_sid: &str,
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<(), EphemeralError> {
    let ttl = ttl(session, now, lifetimes).max(lifetimes.session_absolute);
    store.put(&client_sid_key(client_sid), session.handle.clone(), ttl).await?;
    // Re-read: another tab may have added a client meanwhile.
    let mut current = by_handle(store, &session.handle, now, lifetimes).await?.unwrap_or_else(|| session.clone());
    if !current.clients.iter().any(|c| c == client_id) {
        current.clients.push(client_id.to_owned());
        save(store, &current, now, lifetimes).await?;
    }
    Ok(())
}

/// Every live session of a resident; the handles of ended ones are dropped on the way.
pub async fn of_user(
    store: &ShortLived,
    user_id: &str,
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<Vec<Session>, EphemeralError> {
    let mut live = Vec::new();
    for handle in store.members(&user_sessions_key(user_id)).await? {
        match by_handle(store, &handle, now, lifetimes).await? {
            Some(session) => live.push(session),
            None => store.remove_member(&user_sessions_key(user_id), &handle).await?,
        }
    }
    Ok(live)
}

/// Forgets that `client_id` is part of the session (its consent was withdrawn): a later logout
/// does not notify it again.
pub async fn forget_client(
    store: &ShortLived,
    session: &Session,
    client_id: &str,
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<(), EphemeralError> {
    if let Some(mut current) = by_handle(store, &session.handle, now, lifetimes).await? {
        current.clients.retain(|c| c != client_id);
        save(store, &current, now, lifetimes).await?;
    }
    Ok(())
}

/// The session a client's `sid` belongs to.
pub async fn handle_of_client_sid(store: &ShortLived, client_sid: &str) -> Result<Option<String>, EphemeralError> {
    if client_sid.len() > 128 {
        return Ok(None);
    }
    store.get(&client_sid_key(client_sid)).await
}

/// Ends the session (its `client_sid` mappings expire on their own and lead nowhere).
pub async fn end(store: &ShortLived, handle: &str) -> Result<(), EphemeralError> {
    store.delete(&key(handle)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ShiftedClock};
    use std::sync::Arc;

    #[tokio::test]
    async fn sessions_end_after_idle_and_absolute_lifetimes() {
        let clock = Arc::new(ShiftedClock::default());
        let store = ShortLived::in_memory(clock.clone());
        let lifetimes = Lifetimes { session_idle: 600, session_absolute: 1000, ..Lifetimes::default() };
        let (cookie, _) = start(&store, "u", "glc:basic", &["pwd"], None, clock.now(), &lifetimes).await.unwrap();
        clock.advance(500);
        assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_some());
        clock.advance(450);
        assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_some(), "idle renewed");
        clock.advance(60);
        assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_none(), "absolute reached");

        let (cookie, _) = start(&store, "u", "glc:basic", &["pwd"], None, clock.now(), &lifetimes).await.unwrap();
        clock.advance(600);
        assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_none(), "idle reached");
    }
}
