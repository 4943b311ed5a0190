//! A circuit breaker for FranceConnect: when it fails to answer several times within a few
//! minutes (shared across instances), the login pages show a banner instead of the button, so
//! residents are not sent into a failure at each click; a success, or the window running out,
//! brings the button back.

use crate::provider::Provider;

/// Failures (FC unreachable or erring) that make an outage…
const FAILURES: i64 = 3;
/// …within this window, which is also how long the button stays away.
const WINDOW_SECONDS: i64 = 300;
const FAILURES_KEY: &str = "fc_failures";
const DOWN_KEY: &str = "fc_down";

/// Counts a failure of FranceConnect to answer.
pub async fn record_failure(provider: &Provider) {
    let store = &provider.ephemeral;
    match store.incr(FAILURES_KEY, WINDOW_SECONDS).await {
        Ok(n) if n >= FAILURES => {
            tracing::error!(failures = n, "FranceConnect is down: its button gives way to a banner");
            // The end of the outage in the value too: our clock decides, not the store's.
            let until = provider.now() + WINDOW_SECONDS;
            let _ = store.put(DOWN_KEY, until.to_string(), WINDOW_SECONDS).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "FranceConnect outage counter unavailable"),
    }
}

/// FranceConnect answered: no outage.
pub async fn record_success(provider: &Provider) {
    let _ = provider.ephemeral.delete(FAILURES_KEY).await;
    let _ = provider.ephemeral.delete(DOWN_KEY).await;
}

/// Whether FranceConnect is down (a store failure counts as up: the button stays).
pub async fn is_down(provider: &Provider) -> bool {
    match provider.ephemeral.get(DOWN_KEY).await {
        Ok(Some(until)) => until.parse::<i64>().is_ok_and(|until| until > provider.now()),
        _ => false,
    }
}
