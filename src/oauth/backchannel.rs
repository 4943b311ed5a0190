//! OpenID Connect Back-Channel Logout 1.0: a signed logout token POSTed to each client of an
//! ended session, in parallel, with a timeout and a few retries.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::client::Client;
use super::error::OAuthError;
use crate::provider::Provider;

pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How many times a delivery is attempted.
const ATTEMPTS: u32 = 3;

/// The logout token for `client` (§2.4): `typ: logout+jwt`, signed like the client's ID
/// tokens, with `sid` and `sub`, an `events` member and no `nonce`.
pub fn logout_token(provider: &Provider, client: &Client, sub: &str, sid: &str) -> Result<String, OAuthError> {
    let now = provider.now();
    let claims = json!({
        "iss": provider.issuer(),
        "aud": client.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": uuid::Uuid::new_v4().to_string(),
        "sub": sub,
        "sid": sid,
        "events": { EVENT: {} },
    });
    let claims: Map<String, Value> = match claims {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    Ok(provider.keys().sign(client.id_token_alg, Some("logout+jwt"), &claims)?)
}

/// Outbound logout URIs must be https to a public address, except loopback http when the
/// issuer itself is a loopback http URL (local runs and tests).
pub fn may_call(uri: &str, provider: &Provider) -> bool {
    crate::outbound::url_allowed(uri, provider.config.is_loopback_http())
}

/// POSTs `token` to `uri`; retries on network errors and 5xx. Returns whether it was accepted.
pub async fn deliver(http: reqwest::Client, uri: String, token: String) -> bool {
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * 3u64.pow(attempt - 1))).await;
        }
        match http.post(&uri).form(&[("logout_token", token.as_str())]).send().await {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) if r.status().is_client_error() => {
                tracing::warn!(%uri, status = r.status().as_u16(), "back-channel logout refused by the client");
                return false;
            }
            Ok(r) => tracing::warn!(%uri, status = r.status().as_u16(), attempt, "back-channel logout failed"),
            Err(e) => tracing::warn!(%uri, error = %e, attempt, "back-channel logout failed"),
        }
    }
    false
}
