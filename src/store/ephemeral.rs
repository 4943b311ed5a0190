//! Short-lived state: browser sessions, interactions, authorization codes, revocation lists,
//! rate counters. Every entry has a time to live; nothing here must survive a restart for the
//! provider to stay correct (a resident may have to log in again, nothing more).
//!
//! One small interface with an in-process implementation (the embedded default); the Redis
//! implementation shares it so several instances see the same state.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::ephemeral_redis::RedisStore;
use crate::clock::{SharedClock, UnixTime};

#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    #[error("short-lived store unavailable: {0}")]
    Unavailable(String),
}

/// The outcome of [`ShortLived::take`].
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    /// The entry was live; it is now replaced by its tombstone.
    Value(String),
    /// The entry was already taken: here is the tombstone left by the first taker.
    AlreadyTaken(String),
    /// No such entry (never existed, or expired).
    Missing,
}

/// The configured short-lived store. Callers also check the expiry they store in values
/// against the injected clock, so behaviour does not depend on which store expires first.
#[derive(Debug)]
pub enum ShortLived {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl ShortLived {
    pub fn in_memory(clock: SharedClock) -> Self {
        ShortLived::Memory(MemoryStore::new(clock))
    }

    pub fn engine(&self) -> &'static str {
        match self {
            ShortLived::Memory(_) => "memory",
            ShortLived::Redis(_) => "redis",
        }
    }

    /// Reachability, for readiness.
    pub async fn ping(&self) -> Result<(), EphemeralError> {
        match self {
            ShortLived::Memory(_) => Ok(()),
            ShortLived::Redis(r) => r.ping().await,
        }
    }

    pub async fn put(&self, key: &str, value: String, ttl_seconds: i64) -> Result<(), EphemeralError> {
        match self {
            ShortLived::Memory(m) => {
                m.put(key, Slot::Live(value), ttl_seconds);
                Ok(())
            }
            ShortLived::Redis(r) => r.put(key, value, ttl_seconds).await,
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, EphemeralError> {
        match self {
            ShortLived::Memory(m) => Ok(m.get_live(key)),
            ShortLived::Redis(r) => r.get(key).await,
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), EphemeralError> {
        match self {
            ShortLived::Memory(m) => {
                m.delete(key);
                Ok(())
            }
            ShortLived::Redis(r) => r.delete(key).await,
        }
    }

    /// Stores a single-use entry and the tombstone that replaces it once taken.
    pub async fn put_single_use(
        &self,
        key: &str,
        value: String,
        tombstone: String,
        ttl_seconds: i64,
    ) -> Result<(), EphemeralError> {
        match self {
            ShortLived::Memory(m) => {
                m.put(key, Slot::SingleUse { value, tombstone }, ttl_seconds);
                Ok(())
            }
            ShortLived::Redis(r) => r.put_single_use(key, value, tombstone, ttl_seconds).await,
        }
    }

    /// Atomically takes a single-use entry, leaving its tombstone in its place for
    /// `tombstone_ttl` seconds (authorization codes: a replay finds the tombstone and can revoke
    /// what the first redemption issued, RFC 6749 §4.1.2).
    pub async fn take(&self, key: &str, tombstone_ttl: i64) -> Result<Taken, EphemeralError> {
        match self {
            ShortLived::Memory(m) => Ok(m.take(key, tombstone_ttl)),
            ShortLived::Redis(r) => r.take(key, tombstone_ttl).await,
        }
    }

    /// Adds `member` to the set at `key`, which then lives `ttl_seconds` from now.
    pub async fn add_member(&self, key: &str, member: &str, ttl_seconds: i64) -> Result<(), EphemeralError> {
        match self {
            ShortLived::Memory(m) => {
                m.add_member(key, member, ttl_seconds);
                Ok(())
            }
            ShortLived::Redis(r) => r.add_member(key, member, ttl_seconds).await,
        }
    }

    /// The members of the set at `key` (none if it expired).
    pub async fn members(&self, key: &str) -> Result<Vec<String>, EphemeralError> {
        match self {
            ShortLived::Memory(m) => Ok(m.members(key)),
            ShortLived::Redis(r) => r.members(key).await,
        }
    }

    pub async fn remove_member(&self, key: &str, member: &str) -> Result<(), EphemeralError> {
        match self {
            ShortLived::Memory(m) => {
                m.remove_member(key, member);
                Ok(())
            }
            ShortLived::Redis(r) => r.remove_member(key, member).await,
        }
    }

    /// The value of a counter [`ShortLived::incr`] keeps; 0 when there is none.
    pub async fn counter(&self, key: &str) -> Result<i64, EphemeralError> {
        match self {
            ShortLived::Memory(m) => Ok(m.get_live(key).and_then(|v| v.parse().ok()).unwrap_or(0)),
            ShortLived::Redis(r) => r.counter(key).await,
        }
    }

    /// Increments a counter that starts at 1 and expires `ttl_seconds` after its creation.
    pub async fn incr(&self, key: &str, ttl_seconds: i64) -> Result<i64, EphemeralError> {
        match self {
            ShortLived::Memory(m) => Ok(m.incr(key, ttl_seconds)),
            ShortLived::Redis(r) => r.incr(key, ttl_seconds).await,
        }
    }
}

#[derive(Debug, Clone)]
enum Slot {
    Live(String),
    SingleUse { value: String, tombstone: String },
    Tombstone(String),
    Set(BTreeSet<String>),
}

#[derive(Debug)]
struct Entry {
    slot: Slot,
    expires_at: UnixTime,
}

/// The in-process store: a map behind a mutex, expired lazily on reads and swept by writes.
#[derive(Debug)]
pub struct MemoryStore {
    clock: SharedClock,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// When a write next drops every expired entry.
    next_sweep: UnixTime,
}

/// How long an expired entry may stay in memory, at most, while writes go on (seconds). One
/// sweep visits every entry: each ten seconds, that costs far less than any request, where
/// sweeping only once the map is large lets expired entries fill it and then makes every
/// write pay for a whole sweep while the live ones keep it large.
const SWEEP_INTERVAL: i64 = 10;

impl Entries {
    fn sweep_if_due(&mut self, now: UnixTime) {
        if now >= self.next_sweep {
            self.map.retain(|_, e| e.expires_at > now);
            self.next_sweep = now + SWEEP_INTERVAL;
        }
    }
}

impl MemoryStore {
    pub fn new(clock: SharedClock) -> Self {
        Self { clock, inner: Mutex::new(Entries::default()) }
    }

    /// The entries, expired ones swept first when a sweep is due.
    fn lock_for_write(&self, now: UnixTime) -> std::sync::MutexGuard<'_, Entries> {
        let mut entries = self.lock();
        entries.sweep_if_due(now);
        entries
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A poisoned lock only means another thread panicked mid-update of a plain map entry;
        // the map itself is still consistent.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn put(&self, key: &str, slot: Slot, ttl_seconds: i64) {
        let now = self.clock.now();
        self.lock_for_write(now).map.insert(key.to_owned(), Entry { slot, expires_at: now + ttl_seconds });
    }

    fn get_live(&self, key: &str) -> Option<String> {
        let now = self.clock.now();
        match self.lock().map.get(key) {
            Some(Entry { slot: Slot::Live(v), expires_at }) if *expires_at > now => Some(v.clone()),
            _ => None,
        }
    }

    fn delete(&self, key: &str) {
        self.lock().map.remove(key);
    }

    fn take(&self, key: &str, tombstone_ttl: i64) -> Taken {
        let now = self.clock.now();
        let map = &mut self.lock().map;
        let Some(entry) = map.get_mut(key) else { return Taken::Missing };
        if entry.expires_at <= now {
            map.remove(key);
            return Taken::Missing;
        }
        match &entry.slot {
            Slot::Tombstone(t) => Taken::AlreadyTaken(t.clone()),
            Slot::Live(_) | Slot::Set(_) => Taken::Missing,
            Slot::SingleUse { value, tombstone } => {
                let value = value.clone();
                entry.slot = Slot::Tombstone(tombstone.clone());
                entry.expires_at = now + tombstone_ttl;
                Taken::Value(value)
            }
        }
    }

    fn add_member(&self, key: &str, member: &str, ttl_seconds: i64) {
        let now = self.clock.now();
        let map = &mut self.lock_for_write(now).map;
        let expires_at = now + ttl_seconds;
        match map.get_mut(key) {
            Some(Entry { slot: Slot::Set(set), expires_at: e }) if *e > now => {
                set.insert(member.to_owned());
                *e = expires_at;
            }
            _ => {
                let set = BTreeSet::from([member.to_owned()]);
                map.insert(key.to_owned(), Entry { slot: Slot::Set(set), expires_at });
            }
        }
    }

    fn members(&self, key: &str) -> Vec<String> {
        let now = self.clock.now();
        match self.lock().map.get(key) {
            Some(Entry { slot: Slot::Set(set), expires_at }) if *expires_at > now => set.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }

    fn remove_member(&self, key: &str, member: &str) {
        if let Some(Entry { slot: Slot::Set(set), .. }) = self.lock().map.get_mut(key) {
            set.remove(member);
        }
    }

    fn incr(&self, key: &str, ttl_seconds: i64) -> i64 {
        let now = self.clock.now();
        let map = &mut self.lock_for_write(now).map;
        let entry = map
            .entry(key.to_owned())
            .or_insert(Entry { slot: Slot::Live("0".to_owned()), expires_at: now + ttl_seconds });
        if entry.expires_at <= now {
            *entry = Entry { slot: Slot::Live("0".to_owned()), expires_at: now + ttl_seconds };
        }
        let next = match &entry.slot {
            Slot::Live(v) => v.parse::<i64>().unwrap_or(0) + 1,
            Slot::SingleUse { .. } | Slot::Tombstone(_) | Slot::Set(_) => 1,
        };
        entry.slot = Slot::Live(next.to_string());
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ShiftedClock;
    use std::sync::Arc;

    fn store() -> (Arc<ShiftedClock>, ShortLived) {
        let clock = Arc::new(ShiftedClock::default());
        (clock.clone(), ShortLived::in_memory(clock))
    }

    #[tokio::test]
    async fn take_leaves_a_tombstone_that_a_second_take_finds() {
        let (_, s) = store();
        s.put_single_use("code:a", "grant".into(), "g1".into(), 60).await.unwrap();
        assert_eq!(s.take("code:a", 60).await.unwrap(), Taken::Value("grant".into()));
        assert_eq!(s.take("code:a", 60).await.unwrap(), Taken::AlreadyTaken("g1".into()));
        assert_eq!(s.get("code:a").await.unwrap(), None);
    }

    #[tokio::test]
    async fn entries_expire_with_the_clock() {
        let (clock, s) = store();
        s.put("k", "v".into(), 10).await.unwrap();
        clock.advance(9);
        assert_eq!(s.get("k").await.unwrap(), Some("v".into()));
        clock.advance(1);
        assert_eq!(s.get("k").await.unwrap(), None);
        assert_eq!(s.take("k", 10).await.unwrap(), Taken::Missing, "a plain entry is not single-use");
    }

    #[tokio::test]
    async fn sets_gather_members_and_expire_together() {
        let (clock, s) = store();
        s.add_member("s", "a", 10).await.unwrap();
        clock.advance(5);
        s.add_member("s", "b", 10).await.unwrap();
        clock.advance(6);
        assert_eq!(s.members("s").await.unwrap(), ["a", "b"], "each addition renews the set");
        s.remove_member("s", "a").await.unwrap();
        assert_eq!(s.members("s").await.unwrap(), ["b"]);
        clock.advance(10);
        assert!(s.members("s").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn expired_entries_leave_memory_within_the_sweep_interval() {
        let clock = Arc::new(ShiftedClock::default());
        let memory = MemoryStore::new(clock.clone());
        memory.put("first", Slot::Live("v".into()), 1);
        for i in 0..100 {
            memory.put(&format!("code:{i}"), Slot::Live("v".into()), 1);
            memory.incr(&format!("quota:{i}"), 1);
            memory.add_member(&format!("set:{i}"), "m", 1);
        }
        memory.put("long", Slot::Live("v".into()), 3600);
        assert_eq!(memory.lock().map.len(), 302);
        clock.advance(SWEEP_INTERVAL);
        // Far fewer entries than any size that would call for a sweep: time alone calls for it.
        memory.put("next", Slot::Live("v".into()), 60);
        let mut left: Vec<String> = memory.lock().map.keys().cloned().collect();
        left.sort();
        assert_eq!(left, ["long", "next"]);
    }

    #[tokio::test]
    async fn writes_do_not_sweep_again_before_the_interval() {
        let clock = Arc::new(ShiftedClock::default());
        let memory = MemoryStore::new(clock.clone());
        memory.put("a", Slot::Live("v".into()), 60);
        memory.put("short", Slot::Live("v".into()), 1);
        clock.advance(2);
        memory.put("b", Slot::Live("v".into()), 60);
        assert_eq!(memory.lock().map.len(), 3, "the expired entry waits for the next sweep");
        assert_eq!(memory.get_live("short"), None, "yet reads never see it");
    }

    #[tokio::test]
    async fn counters_reset_after_their_window() {
        let (clock, s) = store();
        assert_eq!(s.incr("c", 5).await.unwrap(), 1);
        assert_eq!(s.incr("c", 5).await.unwrap(), 2);
        clock.advance(5);
        assert_eq!(s.incr("c", 5).await.unwrap(), 1);
    }
}
