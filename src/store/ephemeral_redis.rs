//! The Redis implementation of the short-lived store, shared by every instance. Expiry is
//! Redis's own (`EX`); single-use entries are taken by a Lua script, so two instances
//! redeeming one code at the same instant cannot both win.
//!
//! Values carry a one-byte tag: `v` a plain value, `u` a single-use value (`u<tombstone>\n<value>`),
//! `t` the tombstone left by taking one.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::ephemeral::{EphemeralError, Taken};

const TAKE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return false end
local tag = string.sub(v, 1, 1)
if tag == 'u' then
  local nl = string.find(v, '\n', 2, true)
  local tombstone = string.sub(v, 2, nl - 1)
  redis.call('SET', KEYS[1], 't' .. tombstone, 'EX', ARGV[1])
  return 'v' .. string.sub(v, nl + 1)
elseif tag == 't' then
  return v
end
return false
";

const INCR: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
";

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    take: redis::Script,
    incr: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

fn unavailable(e: redis::RedisError) -> EphemeralError {
    EphemeralError::Unavailable(e.to_string())
}

impl RedisStore {
    /// Connects (failing fast if Redis is unreachable). Every command then times out after
    /// `timeout`, and a lost connection is re-established in the background: a Redis restart
    /// costs the requests made while it is down, not the process.
    pub async fn connect(url: &str, prefix: &str, timeout: Duration) -> Result<RedisStore, EphemeralError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_with_config(client, config).await.map_err(unavailable)?;
        Ok(RedisStore {
            connection,
            prefix: prefix.to_owned(),
            take: redis::Script::new(TAKE),
            incr: redis::Script::new(INCR),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn set(&self, key: &str, value: String, ttl_seconds: i64) -> Result<(), EphemeralError> {
        let mut c = self.connection.clone();
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("EX")
            .arg(ttl_seconds.max(1))
            .query_async::<()>(&mut c)
            .await
            .map_err(unavailable)
    }

    pub async fn put(&self, key: &str, value: String, ttl_seconds: i64) -> Result<(), EphemeralError> {
        self.set(key, format!("v{value}"), ttl_seconds).await
    }

    pub async fn put_single_use(
        &self,
        key: &str,
        value: String,
        tombstone: String,
        ttl: i64,
    ) -> Result<(), EphemeralError> {
        debug_assert!(!tombstone.contains('\n'));
        self.set(key, format!("u{tombstone}\n{value}"), ttl).await
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, EphemeralError> {
        let mut c = self.connection.clone();
        let value: Option<String> =
            redis::cmd("GET").arg(self.key(key)).query_async(&mut c).await.map_err(unavailable)?;
        Ok(value.and_then(|v| v.strip_prefix('v').map(str::to_owned)))
    }

    pub async fn delete(&self, key: &str) -> Result<(), EphemeralError> {
        let mut c = self.connection.clone();
        redis::cmd("DEL").arg(self.key(key)).query_async::<()>(&mut c).await.map_err(unavailable)
    }

    pub async fn take(&self, key: &str, tombstone_ttl: i64) -> Result<Taken, EphemeralError> {
        let mut c = self.connection.clone();
        let value: Option<String> =
            self.take.key(self.key(key)).arg(tombstone_ttl.max(1)).invoke_async(&mut c).await.map_err(unavailable)?;
        Ok(match value {
            None => Taken::Missing,
            Some(v) => match v.split_at_checked(1) {
                Some(("v", rest)) => Taken::Value(rest.to_owned()),
                Some(("t", rest)) => Taken::AlreadyTaken(rest.to_owned()),
                _ => Taken::Missing,
            },
        })
    }

    pub async fn incr(&self, key: &str, ttl_seconds: i64) -> Result<i64, EphemeralError> {
        let mut c = self.connection.clone();
        self.incr.key(self.key(key)).arg(ttl_seconds.max(1)).invoke_async(&mut c).await.map_err(unavailable)
    }

    pub async fn counter(&self, key: &str) -> Result<i64, EphemeralError> {
        let mut c = self.connection.clone();
        let value: Option<i64> = redis::cmd("GET").arg(self.key(key)).query_async(&mut c).await.map_err(unavailable)?;
        Ok(value.unwrap_or(0))
    }

    pub async fn add_member(&self, key: &str, member: &str, ttl_seconds: i64) -> Result<(), EphemeralError> {
        let mut c = self.connection.clone();
        let key = self.key(key);
        redis::pipe()
            .atomic()
            .cmd("SADD")
            .arg(&key)
            .arg(member)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ttl_seconds.max(1))
            .ignore()
            .query_async::<()>(&mut c)
            .await
            .map_err(unavailable)
    }

    pub async fn members(&self, key: &str) -> Result<Vec<String>, EphemeralError> {
        let mut c = self.connection.clone();
        redis::cmd("SMEMBERS").arg(self.key(key)).query_async(&mut c).await.map_err(unavailable)
    }

    pub async fn remove_member(&self, key: &str, member: &str) -> Result<(), EphemeralError> {
        let mut c = self.connection.clone();
        redis::cmd("SREM").arg(self.key(key)).arg(member).query_async::<()>(&mut c).await.map_err(unavailable)
    }

    pub async fn ping(&self) -> Result<(), EphemeralError> {
        let mut c = self.connection.clone();
        redis::cmd("PING").query_async::<()>(&mut c).await.map_err(unavailable)
    }
}
