//! The provider's keys, as the Métropole's administrator manages them: list, rotate (the new key
//! published ahead of signing, so no client meets an unknown `kid`), retire the replaced ones
//! once every token they signed has expired. Key rotations are security events, journaled. The
//! key files stay where they are (`keys_dir`); nothing secret is ever shown.

use serde_json::json;

use super::caller::Caller;
use super::error::AdminError;
use super::roles::Permission;
use crate::audit::{self, Event};
use crate::provider::Provider;
use crate::signing::keys::{ManifestEntry, retired_key_grace};
use crate::signing::{KeyAlg, KeyError, KeySet};

fn failed(e: KeyError) -> AdminError {
    AdminError::Internal(e.to_string())
}

pub fn list(provider: &Provider, caller: &Caller) -> Result<Vec<ManifestEntry>, AdminError> {
    caller.require(Permission::ManageKeys)?;
    KeySet::list(&provider.config.keys_dir).map_err(failed)
}

/// Adds a key for each of `algs` (all when empty), signing from `keys_publish_ahead_seconds`
/// on, or at once when `immediately`.
pub async fn rotate(
    provider: &Provider,
    caller: &Caller,
    algs: &[KeyAlg],
    immediately: bool,
) -> Result<Vec<ManifestEntry>, AdminError> {
    caller.require(Permission::ManageKeys)?;
    let algs: Vec<KeyAlg> = if algs.is_empty() { KeyAlg::all().collect() } else { algs.to_vec() };
    let now = provider.now();
    let activates_at = if immediately { now } else { now + provider.config.keys_publish_ahead_seconds };
    let added = KeySet::rotate(&provider.config.keys_dir, &algs, now, activates_at).map_err(failed)?;
    provider.keys.reload_if_changed(now).map_err(failed)?;
    journaled(provider, caller, "keys.rotated", &added).await?;
    Ok(added)
}

/// Removes the keys replaced long enough ago that nothing they signed is still valid.
pub async fn retire(provider: &Provider, caller: &Caller) -> Result<Vec<ManifestEntry>, AdminError> {
    caller.require(Permission::ManageKeys)?;
    let now = provider.now();
    let removed =
        KeySet::prune(&provider.config.keys_dir, now, retired_key_grace(&provider.config.lifetimes)).map_err(failed)?;
    provider.keys.reload_if_changed(now).map_err(failed)?;
    if !removed.is_empty() {
        journaled(provider, caller, "keys.retired", &removed).await?;
    }
    Ok(removed)
}

async fn journaled(
    provider: &Provider,
    caller: &Caller,
    action: &'static str,
    keys: &[ManifestEntry],
) -> Result<(), AdminError> {
    let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
    let event = Event {
        origin: caller.origin.as_deref(),
        details: json!({ "kids": kids }),
        ..Event::new(caller.actor(), action)
    };
    audit::record(provider, event).await?;
    Ok(())
}
