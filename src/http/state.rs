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
}

impl AppState {
    pub fn new(provider: Arc<Provider>) -> Result<AppState, minijinja::Error> {
        let discovery = crate::oauth::discovery::metadata(provider.issuer()).to_string();
        Ok(AppState { views: Arc::new(Views::new()?), discovery: Arc::new(discovery), provider })
    }
}
