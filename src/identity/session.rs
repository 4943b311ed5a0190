//! The single sign-on session: who is logged in on this browser, since when, and how.
//!
//! The browser holds only a random session id in an `HttpOnly` cookie; the store holds the
//! session under the id's digest, with an idle and an absolute lifetime. A login always
//! creates a new id (no session fixation).

use serde::{Deserialize, Serialize};

use crate::config::Lifetimes;
use crate::secrets;
use crate::store::ephemeral::{EphemeralError, ShortLived};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Public identifier of the session (the `sid` of ID tokens); not the cookie value.
    pub sid: String,
    pub user_id: String,
    /// When the resident last actively authenticated (OIDC `auth_time`).
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub last_seen: i64,
}

fn key(cookie_value: &str) -> String {
    format!("session:{}", secrets::digest(cookie_value))
}

fn ttl(session: &Session, now: i64, lifetimes: &Lifetimes) -> i64 {
    let absolute_left = session.created_at + lifetimes.session_absolute - now;
    lifetimes.session_idle.min(absolute_left)
}

/// Starts a session after a successful authentication; returns the cookie value.
pub async fn start(
    store: &ShortLived,
    user_id: &str,
    acr: &str,
    amr: &[&str],
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<(String, Session), EphemeralError> {
    let cookie_value = secrets::new_secret();
    let session = Session {
        sid: secrets::random_token(16),
        user_id: user_id.to_owned(),
        auth_time: now,
        acr: acr.to_owned(),
        amr: amr.iter().map(|s| (*s).to_owned()).collect(),
        created_at: now,
        last_seen: now,
    };
    save(store, &cookie_value, &session, now, lifetimes).await?;
    Ok((cookie_value, session))
}

async fn save(
    store: &ShortLived,
    cookie_value: &str,
    session: &Session,
    now: i64,
    lifetimes: &Lifetimes,
) -> Result<(), EphemeralError> {
    let json = serde_json::to_string(session).unwrap_or_default();
    store.put(&key(cookie_value), json, ttl(session, now, lifetimes)).await
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
    let Some(json) = store.get(&key(cookie_value)).await? else { return Ok(None) };
    let Ok(mut session) = serde_json::from_str::<Session>(&json) else { return Ok(None) };
    if now - session.last_seen >= lifetimes.session_idle || now - session.created_at >= lifetimes.session_absolute {
        end(store, cookie_value).await?;
        return Ok(None);
    }
    // Renew the idle window at most once a minute: one write per minute per resident, not one
    // per request.
    if now - session.last_seen >= 60 {
        session.last_seen = now;
        save(store, cookie_value, &session, now, lifetimes).await?;
    }
    Ok(Some(session))
}

pub async fn end(store: &ShortLived, cookie_value: &str) -> Result<(), EphemeralError> {
    store.delete(&key(cookie_value)).await
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
        let (cookie, _) = start(&store, "u", "glc:basic", &["pwd"], clock.now(), &lifetimes).await.unwrap();
        clock.advance(500);
        assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_some());
        clock.advance(450);
        assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_some(), "idle renewed");
        clock.advance(60);
        assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_none(), "absolute reached");

        let (cookie, _) = start(&store, "u", "glc:basic", &["pwd"], clock.now(), &lifetimes).await.unwrap();
        clock.advance(600);
        assert!(resume(&store, &cookie, clock.now(), &lifetimes).await.unwrap().is_none(), "idle reached");
    }
}
