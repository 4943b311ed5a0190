//! What every handler can reach: the provider and the page renderer, shared read-only.

use std::sync::Arc;

use crate::provider::Provider;

use super::views::Views;

#[derive(Clone, Debug)]
pub struct AppState {
    pub provider: Arc<Provider>,
    pub views: Arc<Views>,
    /// The discovery document, serialised once.
    pub discovery: Arc<String>,
    /// The load balancers whose forwarding headers are believed (parsed once).
    pub trusted_proxies: Arc<Vec<super::client_address::Network>>,
}

impl AppState {
    pub fn new(provider: Arc<Provider>) -> Result<AppState, minijinja::Error> {
        let discovery =
            crate::oauth::discovery::metadata(provider.issuer(), &provider.franceconnect.levels()).to_string();
        let trusted_proxies = Arc::new(provider.config.trusted_networks());
        Ok(AppState { views: Arc::new(Views::new()?), discovery: Arc::new(discovery), provider, trusted_proxies })
    }

    /// The address of the person behind a request (through trusted proxies only).
    pub fn client_ip(&self, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
        let https = self.provider.config.is_https();
        super::client_address::resolve(peer.ip(), headers, &self.trusted_proxies, https).ip
    }
}
