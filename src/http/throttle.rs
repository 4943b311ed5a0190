//! Quotas per client address on the endpoints a script could hammer: failed client
//! authentications and grants at the token endpoint (guessing secrets or codes), dynamic
//! registrations, sign-ups. Counted in the short-lived store, so every instance sees the same
//! counts, in a window opened by an address's first counted use; past a quota the answer is
//! 429 with `Retry-After` until that window ends. Logins have their own growing delays
//! (`identity::rate_limit`).

use std::net::IpAddr;

use crate::store::ephemeral::{EphemeralError, ShortLived};

#[derive(Debug, Clone, Copy)]
pub struct Quota {
    name: &'static str,
    pub limit: i64,
    pub window_seconds: i64,
}

/// Failed token requests (bad client credentials, codes, refresh tokens) from one address in a
/// minute: a confidential client gets its secret right; guessing needs millions.
pub const TOKEN_FAILURES: Quota = Quota { name: "token_failures", limit: 60, window_seconds: 60 };
/// Open dynamic registrations (RFC 7591, without an initial access token) from one address in
/// an hour.
pub const REGISTRATIONS: Quota = Quota { name: "registrations", limit: 20, window_seconds: 3600 };
/// Sign-up forms sent from one address in an hour (a library's or a town hall's shared
/// address included).
pub const SIGN_UPS: Quota = Quota { name: "sign_ups", limit: 30, window_seconds: 3600 };

fn count_key(quota: &Quota, ip: IpAddr) -> String {
    format!("quota:{}:{ip}", quota.name)
}

fn start_key(quota: &Quota, ip: IpAddr) -> String {
    format!("quota_start:{}:{ip}", quota.name)
}

/// Seconds left in the window `ip` opened with its first counted use.
async fn rest_of_window(store: &ShortLived, quota: &Quota, ip: IpAddr, now: i64) -> Result<i64, EphemeralError> {
    let started = store.get(&start_key(quota, ip)).await?.and_then(|v| v.parse::<i64>().ok()).unwrap_or(now);
    Ok((started + quota.window_seconds - now).clamp(1, quota.window_seconds))
}

/// Seconds before `ip` may be served under `quota` again; 0 when it may be now.
pub async fn wait_seconds(store: &ShortLived, quota: &Quota, ip: IpAddr, now: i64) -> Result<i64, EphemeralError> {
    let used = store.counter(&count_key(quota, ip)).await?;
    if used < quota.limit {
        return Ok(0);
    }
    rest_of_window(store, quota, ip, now).await
}

/// Counts one use by `ip` (the first opens a window of `window_seconds`); returns the seconds
/// to wait when that use was over the quota, 0 otherwise.
pub async fn spend(store: &ShortLived, quota: &Quota, ip: IpAddr, now: i64) -> Result<i64, EphemeralError> {
    let used = store.incr(&count_key(quota, ip), quota.window_seconds).await?;
    if used == 1 {
        store.put(&start_key(quota, ip), now.to_string(), quota.window_seconds).await?;
    }
    if used <= quota.limit {
        return Ok(0);
    }
    rest_of_window(store, quota, ip, now).await
}
