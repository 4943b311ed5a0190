//! The composition root: configuration in, a running provider out.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::http::{AppState, router};
use crate::identity::password::PasswordHasherPool;
use crate::oauth::client_cache::ClientCache;
use crate::provider::Provider;
use crate::signing::KeyRing;
use crate::store::ephemeral::ShortLived;
use crate::store::ephemeral_redis::RedisStore;
use crate::store::{Db, PoolSettings};

/// Connects the database (applying migrations), loads or generates the keys, and assembles
/// the provider.
pub async fn build_provider(config: Config, clock: SharedClock) -> anyhow::Result<Arc<Provider>> {
    let db = open_database(&config).await?;
    let keys = KeyRing::load(&config.keys_dir, clock.now())
        .with_context(|| format!("loading signing keys from {}", config.keys_dir.display()))?;
    let passwords = PasswordHasherPool::new(config.hash_concurrency()).context("initialising the password hasher")?;
    let ephemeral = match &config.redis_url {
        Some(url) => {
            let timeout = Duration::from_millis(config.redis_timeout_ms);
            let redis =
                RedisStore::connect(url, &config.redis_key_prefix, timeout).await.context("connecting to Redis")?;
            ShortLived::Redis(redis)
        }
        None => ShortLived::in_memory(clock.clone()),
    };
    let http = crate::outbound::client(config.is_loopback_http()).context("building the outbound HTTP client")?;
    let mailer = crate::mail::Mailer::new(&config.mail).context("configuring mail")?;
    let webauthn = crate::identity::passkeys::relying_party(&config.issuer);
    if webauthn.is_none() {
        tracing::warn!(issuer = %config.issuer, "passkeys are off: WebAuthn needs an issuer with a host name, not an IP address");
    }
    let upstream = |section: &Option<crate::config::FranceConnectConfig>, platform| match section {
        Some(fc) => crate::federation::FranceConnect::new(fc.clone(), platform, &config.issuer).map(Some),
        None => Ok(None),
    };
    let franceconnect = crate::federation::Upstreams {
        fc: upstream(&config.franceconnect, crate::federation::Platform::FranceConnect)
            .context("FranceConnect client")?,
        fcplus: upstream(&config.franceconnect_plus, crate::federation::Platform::FranceConnectPlus)
            .context("FranceConnect+ client")?,
    };
    // One instance (no Redis shared with others): clients can be kept in memory.
    let clients = ClientCache::new(matches!(ephemeral, ShortLived::Memory(_)));
    let provider = Arc::new(Provider {
        config,
        db,
        ephemeral: Arc::new(ephemeral),
        keys,
        clock,
        passwords,
        http,
        mailer,
        webauthn,
        franceconnect,
        clients,
        verified_tokens: Default::default(),
    });
    crate::admin::console::ensure_client(&provider).await.context("registering the administration console")?;
    Ok(provider)
}

/// Opens the configured database and brings its schema up to date.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let settings = PoolSettings {
        max_connections: config.database_max_connections,
        acquire_timeout: Duration::from_secs(config.database_acquire_timeout_seconds),
    };
    let db = Db::connect(&config.database_url, &settings).await.context("connecting to the database")?;
    db.migrate().await.context("applying database migrations")?;
    Ok(db)
}

/// Serves `provider` on `listener` until `shutdown` completes; then stops accepting and lets
/// in-flight requests finish for up to `shutdown_grace_seconds`.
pub async fn serve(
    provider: Arc<Provider>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    crate::telemetry::handle();
    spawn_key_reloader(&provider);
    let grace = Duration::from_secs(provider.config.shutdown_grace_seconds);
    let head_timeout = Duration::from_secs(provider.config.request_head_timeout_seconds);
    let state = AppState::new(provider).context("loading page templates")?;
    let signalled = Arc::new(tokio::sync::Notify::new());
    let notify = signalled.clone();
    let server = crate::http::server::serve(listener, router(state), head_timeout, async move {
        shutdown.await;
        notify.notify_one();
    });
    let deadline = async {
        signalled.notified().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        () = server => Ok(()),
        () = deadline => {
            tracing::warn!(grace_seconds = grace.as_secs(), "in-flight requests still running after the grace period: exiting");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// Rereads the keys directory every `keys_reload_seconds`, so a rotation made on any instance
/// (or by `glc keys rotate`) is published and used by all. Stops with the provider.
fn spawn_key_reloader(provider: &Arc<Provider>) {
    let weak = Arc::downgrade(provider);
    let every = Duration::from_secs(provider.config.keys_reload_seconds.max(1));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(provider) = weak.upgrade() else { return };
            match provider.keys.reload_if_changed(provider.now()) {
                Ok(true) => tracing::info!("signing keys reloaded"),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "signing keys could not be reloaded; keeping the current ones"),
            }
        }
    });
}
