//! Registered clients kept in memory between requests: every token, introspection and userinfo
//! request names a client, and reading it from the database each time was the largest cost of
//! a `client_credentials` grant after its signature (`docs/performance.md`).
//!
//! A copy is served only while no change to any client has been made by this process since it
//! was read (`store::clients::changes`), and for two seconds at most: a change made by another
//! process — `glc client …` on the same database — reaches a running server within that time.
//! Only with the in-process short-lived store, i.e. one instance: several instances sharing
//! Redis read the database each time, so that a change made on one is seen at once by all.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::client::{self, Client};
use crate::store::{Db, StoreError, clients};

/// How long a copy may be served without reading the database again.
const LIFETIME: Duration = Duration::from_secs(2);
/// Beyond this many clients the cache starts afresh (there are a few hundred clients at most;
/// this only bounds memory).
const CAPACITY: usize = 4096;

#[derive(Debug)]
pub struct ClientCache {
    enabled: bool,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    client: Client,
    changes: u64,
    read_at: Instant,
}

impl ClientCache {
    /// `enabled` only for a single instance (see the module's documentation).
    pub fn new(enabled: bool) -> Self {
        Self { enabled, entries: Mutex::new(HashMap::new()) }
    }

    /// The client `client_id`, as `client::find` would read it now.
    pub async fn find(&self, db: &Db, client_id: &str) -> Result<Option<Client>, StoreError> {
        if !self.enabled {
            return client::find(db, client_id).await;
        }
        let changes = clients::changes();
        if let Some(client) = self.fresh(client_id, changes) {
            return Ok(Some(client));
        }
        let found = client::find(db, client_id).await?;
        // A change made while reading may or may not be in what was read: keep it only if none.
        if let Some(client) = &found
            && clients::changes() == changes
            && let Ok(mut entries) = self.entries.lock()
        {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(client_id.to_owned(), Entry { client: client.clone(), changes, read_at: Instant::now() });
        }
        Ok(found)
    }

    fn fresh(&self, client_id: &str, changes: u64) -> Option<Client> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(client_id)?;
        (entry.changes == changes && entry.read_at.elapsed() < LIFETIME).then(|| entry.client.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::client::{ClientSpec, GrantType};
    use crate::store::PoolSettings;

    async fn database() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("glc.db").display());
        let settings = PoolSettings { max_connections: 2, acquire_timeout: std::time::Duration::from_secs(5) };
        let db = Db::connect(&url, &settings).await.unwrap();
        db.migrate().await.unwrap();
        (dir, db)
    }

    fn spec(name: &str) -> ClientSpec {
        ClientSpec {
            name: name.into(),
            redirect_uris: vec!["https://service.example/cb".into()],
            grant_types: vec![GrantType::AuthorizationCode],
            ..ClientSpec::default()
        }
    }

    #[tokio::test]
    async fn a_copy_is_served_while_no_client_changed_and_for_two_seconds_at_most() {
        let (_dir, db) = database().await;
        let cache = ClientCache::new(true);
        let client = client::register(&db, spec("Cantine"), 1_800_000_000).await.unwrap().client;
        let id = client.client_id.clone();
        let entry = |changes, age| Entry { client: client.clone(), changes, read_at: Instant::now() - age };
        cache.entries.lock().unwrap().insert(id.clone(), entry(7, Duration::ZERO));
        assert_eq!(cache.fresh(&id, 7).unwrap().name, "Cantine");
        assert!(cache.fresh(&id, 8).is_none(), "a client changed since: read again");
        cache.entries.lock().unwrap().insert(id.clone(), entry(7, LIFETIME));
        assert!(cache.fresh(&id, 7).is_none(), "too old: read again");
    }

    #[tokio::test]
    async fn a_change_made_by_this_process_is_seen_at_once() {
        let (_dir, db) = database().await;
        let cache = ClientCache::new(true);
        let id = client::register(&db, spec("Cantine"), 1_800_000_000).await.unwrap().client.client_id;
        assert_eq!(cache.find(&db, &id).await.unwrap().unwrap().name, "Cantine");
        // Changed behind the cache's back (as another process would), then any change made
        // here to any client: the copy is not served any more.
        sqlx_rename(&db, &id, "Piscine").await;
        client::register(&db, spec("Autre service"), 1_800_000_000).await.unwrap();
        assert_eq!(cache.find(&db, &id).await.unwrap().unwrap().name, "Piscine");
        clients::delete(&db, &id).await.unwrap();
        assert!(cache.find(&db, &id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_disabled_cache_reads_the_database_each_time() {
        let (_dir, db) = database().await;
        let cache = ClientCache::new(false);
        let id = client::register(&db, spec("Cantine"), 1_800_000_000).await.unwrap().client.client_id;
        assert_eq!(cache.find(&db, &id).await.unwrap().unwrap().name, "Cantine");
        sqlx_rename(&db, &id, "Piscine").await;
        assert_eq!(cache.find(&db, &id).await.unwrap().unwrap().name, "Piscine");
    }

    /// A change the cache cannot know of (made by another process).
    async fn sqlx_rename(db: &Db, id: &str, name: &str) {
        let Db::Sqlite(pool) = db else { unreachable!("the tests use SQLite") };
        sqlx::query("UPDATE clients SET name = $1 WHERE id = $2").bind(name).bind(id).execute(pool).await.unwrap();
    }
}
