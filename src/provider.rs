//! The provider's dependencies, built once by `app` and shared by every request: the
//! configuration, the durable store, the short-lived store, the signing keys, the clock and
//! the password hasher. Domain flows take `&Provider`; nothing reads a global.

use crate::clock::{SharedClock, UnixTime};
use crate::config::Config;
use crate::identity::password::PasswordHasherPool;
use crate::mail::Mailer;
use std::sync::Arc;

use crate::signing::{KeyRing, KeySet};
use crate::store::Db;
use crate::store::ephemeral::ShortLived;

#[derive(Debug)]
pub struct Provider {
    pub config: Config,
    pub db: Db,
    pub ephemeral: Arc<ShortLived>,
    pub keys: KeyRing,
    pub clock: SharedClock,
    pub passwords: PasswordHasherPool,
    /// Outbound HTTP (back-channel logout): short timeouts, no redirects followed.
    pub http: reqwest::Client,
    /// Mail to residents (SMTP or the outbox folder).
    pub mailer: Mailer,
    /// The WebAuthn relying party (passkeys); `None` for an issuer on an IP address.
    pub webauthn: Option<webauthn_rs::Webauthn>,
    /// Our clients of FranceConnect and FranceConnect+, each there only when configured.
    pub franceconnect: crate::federation::Upstreams,
    /// Registered clients kept between requests (one instance only).
    pub clients: crate::oauth::client_cache::ClientCache,
    /// Access tokens whose signature was verified recently.
    pub verified_tokens: crate::oauth::verified_tokens::VerifiedTokens,
}

impl Provider {
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// The signing keys in use (reloaded when the keys directory changes).
    pub fn keys(&self) -> Arc<KeySet> {
        self.keys.current()
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// The absolute URL of one of our endpoints.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.issuer)
    }
}
