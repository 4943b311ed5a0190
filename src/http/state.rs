//! What every handler can reach: the provider and the page renderer, shared read-only.

use std::sync::Arc;

use axum::body::Bytes;

use crate::provider::Provider;

use super::views::Views;

/// Cloned for every request by every layer that holds it: one reference count to move, not one
/// per part.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub provider: Arc<Provider>,
    pub views: Views,
    /// The discovery document, serialised once.
    pub discovery: Bytes,
    /// The load balancers whose forwarding headers are believed (parsed once).
    pub trusted_proxies: Vec<super::client_address::Network>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(provider: Arc<Provider>) -> Result<AppState, minijinja::Error> {
        let discovery =
            crate::oauth::discovery::metadata(provider.issuer(), &provider.franceconnect.levels()).to_string();
        let trusted_proxies = provider.config.trusted_networks();
        Ok(AppState(Arc::new(Shared {
            views: Views::new()?,
            discovery: Bytes::from(discovery),
            provider,
            trusted_proxies,
        })))
    }

    /// The address of the person behind a request (through trusted proxies only).
    pub fn client_ip(&self, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
        let https = self.provider.config.is_https();
        super::client_address::resolve(peer.ip(), headers, &self.trusted_proxies, https).ip
    }
}
