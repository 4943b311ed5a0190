//! What the fuzz targets share: the provider's keys, generated once per process into a
//! throwaway directory, and (for `http_request`) a whole provider on an embedded store.

pub mod provider;

use std::sync::{Arc, OnceLock};

use glc::signing::KeySet;

/// A key set of every algorithm the provider signs and decrypts with.
pub fn keys() -> Arc<KeySet> {
    static KEYS: OnceLock<(tempfile::TempDir, Arc<KeySet>)> = OnceLock::new();
    let (_, keys) = KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let keys = KeySet::load_or_generate(dir.path(), 1_700_000_000).expect("generated keys");
        (dir, Arc::new(keys))
    });
    keys.clone()
}

/// Splits `data` at its first NUL: (`first`, `rest`), or (`data`, "") without one.
pub fn two_parts(data: &[u8]) -> Option<(&str, &str)> {
    let text = std::str::from_utf8(data).ok()?;
    Some(text.split_once('\0').unwrap_or((text, "")))
}
