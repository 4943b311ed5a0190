//! The public keys a `private_key_jwt` client authenticates with: registered inline, or
//! fetched from its `jwks_uri` (through the SSRF-guarded outbound client, 64 KiB at most),
//! cached five minutes in the shared store, and refetched at most once a minute when an
//! assertion names a key the cached set lacks (the client rotated).

use super::client::Client;
use super::error::OAuthError;
use crate::provider::Provider;
use crate::signing::client_keys::validate_jwks;

const MAX_JWKS_BYTES: usize = 64 * 1024;
const CACHE_SECONDS: i64 = 300;
const REFETCH_INTERVAL_SECONDS: i64 = 60;

fn cache_key(client: &Client) -> String {
    format!("client_jwks:{}", client.client_id)
}

/// The client's key set; `refresh` bypasses the cache (rate-limited per client).
pub async fn keys_of(provider: &Provider, client: &Client, refresh: bool) -> Result<Option<String>, OAuthError> {
    if let Some(inline) = &client.jwks {
        return Ok(Some(inline.clone()));
    }
    let Some(uri) = &client.jwks_uri else { return Ok(None) };
    if !refresh && let Some(cached) = provider.ephemeral.get(&cache_key(client)).await? {
        return Ok(Some(cached));
    }
    if refresh {
        let key = format!("client_jwks_refetch:{}", client.client_id);
        if provider.ephemeral.incr(&key, REFETCH_INTERVAL_SECONDS).await? > 1 {
            return Ok(None);
        }
    }
    let body = crate::outbound::get_bounded(&provider.http, uri, provider.config.is_loopback_http(), MAX_JWKS_BYTES)
        .await
        .map_err(|e| {
            tracing::warn!(client_id = %client.client_id, %uri, error = %e, "client JWKS could not be fetched");
            OAuthError::invalid_client("the client's keys could not be fetched")
        })?;
    let text = String::from_utf8(body).map_err(|_| OAuthError::invalid_client("the client's JWKS is not text"))?;
    validate_jwks(&text).map_err(|_| OAuthError::invalid_client("the client's JWKS is not a public JWK set"))?;
    provider.ephemeral.put(&cache_key(client), text.clone(), CACHE_SECONDS).await?;
    Ok(Some(text))
}
