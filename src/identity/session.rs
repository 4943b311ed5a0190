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
    /// The `sid`s those clients were given, each a key leading back here: deleted with the
    /// session, so a logout leaves nothing behind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_sids: Vec<String>,
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
    lifetimes.session_idle.min(absolute_left(session, now, lifetimes))
}

/// The longest the session may still live, however active it stays.
fn absolute_left(session: &Session, now: i64, lifetimes: &Lifetimes) -> i64 {
    (session.created_at + lifetimes.session_absolute - now).max(1)
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
        client_sids: Vec::new(),
        upstream: upstream.cloned(),
    };
    save(store, &session, now, lifetimes).await?;
    store.add_member(&user_sessions_key(user_id), &session.handle, lifetimes.session_absolute).await?;
    // Each login renews the set of the resident's sessions: without this, the handles of
    // sessions that ended by timing out would pile up in it for as long as the resident keeps
    // logging in. Reading them all costs a few look-ups beside an argon2 hash.
    of_user(store, user_id, now, lifetimes).await?;
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
    // The mapping lives as long as the session can, its idle window renewed or not.
    let ttl = absolute_left(session, now, lifetimes);
    store.put(&client_sid_key(client_sid), session.handle.clone(), ttl).await?;
    // Re-read: another tab may have added a client meanwhile.
    let mut current = by_handle(store, &session.handle, now, lifetimes).await?.unwrap_or_else(|| session.clone());
    let new_client = !current.clients.iter().any(|c| c == client_id);
    let new_sid = !current.client_sids.iter().any(|s| s == client_sid);
    if new_client {
        current.clients.push(client_id.to_owned());
    }
    if new_sid {
        current.client_sids.push(client_sid.to_owned());
    }
    if new_client || new_sid {
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

/// Ends the session, and forgets every key that led to it: its clients' `sid`s and its place
/// among the resident's sessions.
pub async fn end(store: &ShortLived, session: &Session) -> Result<(), EphemeralError> {
    // The stored copy may name a client that a later hop, in another tab, added.
    let stored = store.get(&key(&session.handle)).await?.and_then(|json| serde_json::from_str::<Session>(&json).ok());
    let mut client_sids = session.client_sids.clone();
    client_sids.extend(stored.into_iter().flat_map(|s| s.client_sids));
    client_sids.sort_unstable();
    client_sids.dedup();
    store.delete(&key(&session.handle)).await?;
    for client_sid in &client_sids {
        store.delete(&client_sid_key(client_sid)).await?;
    }
    store.remove_member(&user_sessions_key(&session.user_id), &session.handle).await
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

    /// A clock, a store on it, and lifetimes of 600 s idle and 1000 s absolute.
    fn fixture() -> (Arc<ShiftedClock>, ShortLived, Lifetimes) {
        let clock = Arc::new(ShiftedClock::default());
        let store = ShortLived::in_memory(clock.clone());
        (clock, store, Lifetimes { session_idle: 600, session_absolute: 1000, ..Lifetimes::default() })
    }

    #[tokio::test]
    async fn ending_a_session_forgets_every_key_that_led_to_it() {
        let (clock, store, lifetimes) = fixture();
        let (_, session) = start(&store, "u", "glc:basic", &["pwd"], None, clock.now(), &lifetimes).await.unwrap();
        record_client(&store, &session, "commune-a", "sid-a", clock.now(), &lifetimes).await.unwrap();
        // Another tab adds a client: the caller's copy of the session does not know it.
        record_client(&store, &session, "commune-b", "sid-b", clock.now(), &lifetimes).await.unwrap();
        assert_eq!(handle_of_client_sid(&store, "sid-b").await.unwrap().as_deref(), Some(session.handle.as_str()));

        end(&store, &session).await.unwrap();
        assert_eq!(handle_of_client_sid(&store, "sid-a").await.unwrap(), None);
        assert_eq!(handle_of_client_sid(&store, "sid-b").await.unwrap(), None);
        assert!(store.members(&user_sessions_key("u")).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_login_drops_the_sessions_that_timed_out_from_the_residents_list() {
        let (clock, store, lifetimes) = fixture();
        start(&store, "u", "glc:basic", &["pwd"], None, clock.now(), &lifetimes).await.unwrap();
        clock.advance(lifetimes.session_idle);
        let (_, second) = start(&store, "u", "glc:basic", &["pwd"], None, clock.now(), &lifetimes).await.unwrap();
        assert_eq!(store.members(&user_sessions_key("u")).await.unwrap(), [second.handle]);
    }

    #[tokio::test]
    async fn a_clients_sid_leads_to_its_session_for_as_long_as_the_session_may_live() {
        let (clock, store, lifetimes) = fixture();
        let (cookie, session) = start(&store, "u", "glc:basic", &["pwd"], None, clock.now(), &lifetimes).await.unwrap();
        clock.advance(400);
        record_client(&store, &session, "commune-a", "sid-a", clock.now(), &lifetimes).await.unwrap();
        // Kept alive past the idle window that was left when the client joined.
        for _ in 0..4 {
            clock.advance(120);
            assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_some());
            assert!(handle_of_client_sid(&store, "sid-a").await.unwrap().is_some());
        }
        // Not a second beyond the absolute lifetime.
        clock.advance(lifetimes.session_absolute - 400 - 4 * 120);
        assert_eq!(handle_of_client_sid(&store, "sid-a").await.unwrap(), None);
    }
}
