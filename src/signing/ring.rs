//! The key set in use, reloaded when the keys directory's manifest changes, so a key added by
//! `glc keys rotate` (on any machine sharing the directory) is published and used by every
//! running instance without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use super::keys::{KeyError, KeySet};

/// What identifies a version of the manifest.
type Stamp = Option<(SystemTime, u64)>;

pub struct KeyRing {
    dir: PathBuf,
    current: RwLock<Arc<KeySet>>,
    stamp: Mutex<Stamp>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn stamp(dir: &Path) -> Stamp {
    let meta = std::fs::metadata(dir.join("keys.json")).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl KeyRing {
    pub fn load(dir: &Path, now: i64) -> Result<KeyRing, KeyError> {
        let set = KeySet::load_or_generate(dir, now)?;
        Ok(KeyRing { dir: dir.to_owned(), current: RwLock::new(Arc::new(set)), stamp: Mutex::new(stamp(dir)) })
    }

    /// The key set to sign and verify with now.
    pub fn current(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads the key set if the manifest changed since the last load, or a published key's
    /// activation time has come; returns whether it did.
    pub fn reload_if_changed(&self, now: i64) -> Result<bool, KeyError> {
        let latest = stamp(&self.dir);
        let mut seen = self.stamp.lock().unwrap_or_else(|p| p.into_inner());
        let activation_due = self.current().next_activation().is_some_and(|t| now >= t);
        if latest == *seen && !activation_due {
            return Ok(false);
        }
        let set = KeySet::load_or_generate(&self.dir, now)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        *seen = latest;
        Ok(true)
    }
}
