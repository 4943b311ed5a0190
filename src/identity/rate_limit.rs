//! Login throttling: growing delays rather than a lockout an attacker could trigger at will.
//!
//! Failures are counted per (account, address), per account and per address, in the shared
//! short-lived store (so every instance sees them) for an hour. Each count past its threshold
//! imposes a delay that doubles with every further failure, up to a cap; while a delay runs,
//! attempts are refused before the password is even checked, with the wait time shown. A
//! resident on their own address is slowed only by their own mistakes until someone hammers
//! their account from many addresses (then everyone waits, at most 15 minutes). Unknown emails
//! are counted the same way, so the throttle tells nothing about which accounts exist.

use std::net::IpAddr;

use crate::secrets;
use crate::store::ephemeral::{EphemeralError, ShortLived};

/// How long failures are remembered.
const WINDOW_SECONDS: i64 = 3600;

/// One scope of counting: failures beyond `free` double the delay from `base`, up to `cap`.
struct Rule {
    scope: &'static str,
    free: i64,
    base: i64,
    cap: i64,
}

/// A resident mistyping: 3 free tries, then 1 s, 2 s, 4 s… up to 5 minutes.
const PAIR: Rule = Rule { scope: "pair", free: 3, base: 1, cap: 300 };
/// One account attacked from many addresses.
const ACCOUNT: Rule = Rule { scope: "account", free: 20, base: 5, cap: 900 };
/// One address trying many accounts (credential stuffing).
const ADDRESS: Rule = Rule { scope: "address", free: 50, base: 1, cap: 900 };

impl Rule {
    fn delay(&self, failures: i64) -> i64 {
        if failures <= self.free {
            return 0;
        }
        let doublings = u32::try_from((failures - self.free - 1).min(20)).unwrap_or(20);
        self.base.saturating_mul(1_i64 << doublings).min(self.cap)
    }
}

fn keys(email: &str, ip: IpAddr) -> [(&'static Rule, String); 3] {
    let account = secrets::digest(&crate::identity::user::normalize_email(email));
    [(&PAIR, format!("{account}:{ip}")), (&ACCOUNT, account), (&ADDRESS, ip.to_string())]
}

fn failures_key(rule: &Rule, key: &str) -> String {
    format!("login_failures:{}:{key}", rule.scope)
}

fn next_attempt_key(rule: &Rule, key: &str) -> String {
    format!("login_next:{}:{key}", rule.scope)
}

/// Seconds to wait before a login for `email` from `ip` is considered; 0 when it may proceed.
pub async fn wait_seconds(store: &ShortLived, email: &str, ip: IpAddr, now: i64) -> Result<i64, EphemeralError> {
    let mut wait = 0;
    for (rule, key) in keys(email, ip) {
        if let Some(next) = store.get(&next_attempt_key(rule, &key)).await?.and_then(|v| v.parse::<i64>().ok()) {
            wait = wait.max(next - now);
        }
    }
    Ok(wait.max(0))
}

/// Counts a failed login and sets the delays it earns; returns the longest.
pub async fn record_failure(store: &ShortLived, email: &str, ip: IpAddr, now: i64) -> Result<i64, EphemeralError> {
    let mut longest = 0;
    for (rule, key) in keys(email, ip) {
        let failures = store.incr(&failures_key(rule, &key), WINDOW_SECONDS).await?;
        let delay = rule.delay(failures);
        if delay > 0 {
            store.put(&next_attempt_key(rule, &key), (now + delay).to_string(), delay).await?;
            longest = longest.max(delay);
        }
    }
    Ok(longest)
}

/// A successful login clears the resident's own mistakes (not the account's or address's
/// counts: an attacker's one success must not reset the others).
pub async fn record_success(store: &ShortLived, email: &str, ip: IpAddr) -> Result<(), EphemeralError> {
    let (rule, key) = &keys(email, ip)[0];
    store.delete(&failures_key(rule, key)).await?;
    store.delete(&next_attempt_key(rule, key)).await
}

/// Seconds before anyone may try to log in to `email`'s account (the account-wide delay that
/// hammering from many addresses earns); 0 when none.
pub async fn account_wait(store: &ShortLived, email: &str, now: i64) -> Result<i64, EphemeralError> {
    let account = secrets::digest(&crate::identity::user::normalize_email(email));
    let next = store.get(&next_attempt_key(&ACCOUNT, &account)).await?.and_then(|v| v.parse::<i64>().ok());
    Ok(next.map_or(0, |n| (n - now).max(0)))
}

/// Lifts the account-wide delay (the help desk, once the resident is who they say). The
/// per-address delays stay: they are at most 5 minutes for a resident's own mistakes.
pub async fn lift(store: &ShortLived, email: &str) -> Result<(), EphemeralError> {
    let account = secrets::digest(&crate::identity::user::normalize_email(email));
    store.delete(&failures_key(&ACCOUNT, &account)).await?;
    store.delete(&next_attempt_key(&ACCOUNT, &account)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_attempts_up_to_the_cap() {
        assert_eq!((1..=3).map(|f| PAIR.delay(f)).collect::<Vec<_>>(), [0, 0, 0]);
        assert_eq!((4..=7).map(|f| PAIR.delay(f)).collect::<Vec<_>>(), [1, 2, 4, 8]);
        assert_eq!(PAIR.delay(100), 300);
        assert_eq!(ACCOUNT.delay(21), 5);
        assert_eq!(ACCOUNT.delay(1000), 900);
    }

    #[tokio::test]
    async fn waits_are_shared_by_the_address_and_cleared_by_success() {
        let clock = std::sync::Arc::new(crate::clock::ShiftedClock::default());
        let store = ShortLived::in_memory(clock.clone());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let now = crate::clock::Clock::now(clock.as_ref());
        for _ in 0..3 {
            assert_eq!(record_failure(&store, "a@lyon.fr", ip, now).await.unwrap(), 0);
        }
        assert_eq!(record_failure(&store, "A@Lyon.fr ", ip, now).await.unwrap(), 1, "one account whatever the case");
        assert_eq!(wait_seconds(&store, "a@lyon.fr", ip, now).await.unwrap(), 1);
        assert_eq!(wait_seconds(&store, "a@lyon.fr", "192.0.2.2".parse().unwrap(), now).await.unwrap(), 0);
        record_success(&store, "a@lyon.fr", ip).await.unwrap();
        assert_eq!(wait_seconds(&store, "a@lyon.fr", ip, now).await.unwrap(), 0);
    }
}
