//! A circuit breaker for each FranceConnect platform: when it fails to answer several times
//! within a few minutes (shared across instances), the login pages show a banner instead of its
//! button, so residents are not sent into a failure at each click; a success, or the window
//! running out, brings the button back.

use super::Platform;
use crate::provider::Provider;

/// Failures (FC unreachable or erring) that make an outage…
const FAILURES: i64 = 3;
/// …within this window, which is also how long the button stays away.
const WINDOW_SECONDS: i64 = 300;
/// The failure counter's key and the outage's (`fc_failures`, `fc_down` for FranceConnect).
fn keys(platform: Platform) -> (String, String) {
    (format!("{}_failures", platform.as_str()), format!("{}_down", platform.as_str()))
}

/// Counts a failure of `platform` to answer.
pub async fn record_failure(provider: &Provider, platform: Platform) {
    let store = &provider.ephemeral;
    let (failures_key, down_key) = keys(platform);
    match store.incr(&failures_key, WINDOW_SECONDS).await {
        Ok(n) if n >= FAILURES => {
            tracing::error!(failures = n, ?platform, "FranceConnect is down: its button gives way to a banner");
            // The end of the outage in the value too: our clock decides, not the store's.
            let until = provider.now() + WINDOW_SECONDS;
            let _ = store.put(&down_key, until.to_string(), WINDOW_SECONDS).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "FranceConnect outage counter unavailable"),
    }
}

/// `platform` answered: no outage.
pub async fn record_success(provider: &Provider, platform: Platform) {
    let (failures_key, down_key) = keys(platform);
    let _ = provider.ephemeral.delete(&failures_key).await;
    let _ = provider.ephemeral.delete(&down_key).await;
}

/// Whether `platform` is down (a store failure counts as up: the button stays).
pub async fn is_down(provider: &Provider, platform: Platform) -> bool {
    match provider.ephemeral.get(&keys(platform).1).await {
        Ok(Some(until)) => until.parse::<i64>().is_ok_and(|until| until > provider.now()),
        _ => false,
    }
}
