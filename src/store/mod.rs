//! Durable storage: the only module that speaks SQL.
//!
//! Two typed backends share one set of SQL text: SQLite (the embedded default) and PostgreSQL
//! (production). Every query is written once and run on whichever pool is configured through
//! [`on_pool!`]; the two migration folders (`migrations/sqlite`, `migrations/postgres`) are kept
//! in step by a test. Timestamps are Unix seconds (`BIGINT`), lists are JSON text, so the row
//! types decode identically on both engines.
//!
//! Short-lived state (sessions, codes, interactions, revocation lists) lives in
//! [`ephemeral`], not here.

pub mod activity;
pub mod admin_roles;
pub mod client_purposes;
pub mod clients;
pub mod consent_items;
pub mod consent_receipts;
pub mod ephemeral;
pub mod ephemeral_redis;
pub mod federation;
pub mod grants;
pub mod initial_access_tokens;
pub mod journal;
pub mod partner_purposes;
pub mod partners;
pub mod passkeys;
pub mod refresh_tokens;
pub mod second_factors;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// Why a storage operation failed, in terms the domain can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or primary-key constraint refused the write; `constraint` names it
    /// (`users.email`, `partners_pkey`, …) so the domain can say what already exists.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// The database could not be reached or timed out: the request may be retried later.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Anything else: a bug or a corrupted row.
    #[error("database error: {0}")]
    Backend(#[source] sqlx::Error),
    #[error("corrupted row: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => {
                let constraint = db
                    .constraint()
                    .map(str::to_owned)
                    // SQLite names no constraint, only "UNIQUE constraint failed: users.email".
                    .or_else(|| db.message().rsplit(": ").next().map(str::to_owned))
                    .unwrap_or_default();
                StoreError::Conflict { constraint }
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => StoreError::Unavailable(err),
            _ => StoreError::Backend(err),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The configured durable database.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same expression against whichever pool is configured: the body is compiled once
/// per backend, so one SQL string and one `FromRow` type serve both.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Pool settings, from the configuration.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Db {
    /// Connects to `url` (`sqlite:…` or `postgres://…`), creating the SQLite file and its
    /// folder when missing.
    pub async fn connect(url: &str, settings: &PoolSettings) -> StoreResult<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect(url)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            create_private_dir(dir).map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))?;
        }
        // Creating the file and switching it to WAL must not happen twice at once either.
        let _lock = lock_beside(options.get_filename()).await?;
        // A local file cannot drop a connection the way a server can: pinging each connection
        // before handing it out (sqlx's default) would only double every query's round trip to
        // SQLite's worker thread.
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    /// Applies the migrations of this backend. PostgreSQL takes an advisory lock, so instances
    /// starting together do not race.
    pub async fn migrate(&self) -> StoreResult<()> {
        let result = match self {
            Db::Sqlite(pool) => {
                // sqlx takes no lock on SQLite: processes starting together on one file would
                // both create the tables. A lock file beside the database serialises them.
                let _lock = lock_beside(pool.connect_options().get_filename()).await?;
                sqlx::migrate!("migrations/sqlite").run(pool).await
            }
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        };
        result.map_err(|e| StoreError::Backend(sqlx::Error::Migrate(Box::new(e))))
    }

    /// Which engine this is, for logs and readiness.
    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Connections open in the pool, and how many of them are idle.
    pub fn pool_usage(&self) -> (u32, usize) {
        on_pool!(self, pool => (pool.size(), pool.num_idle()))
    }

    /// How many of this backend's migrations the database has not applied.
    pub async fn pending_migrations(&self) -> StoreResult<usize> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success";
        let (migrator, applied): (sqlx::migrate::Migrator, Vec<i64>) = match self {
            Db::Sqlite(pool) => (sqlx::migrate!("migrations/sqlite"), sqlx::query_scalar(SQL).fetch_all(pool).await?),
            Db::Postgres(pool) => {
                (sqlx::migrate!("migrations/postgres"), sqlx::query_scalar(SQL).fetch_all(pool).await?)
            }
        };
        Ok(migrator.iter().filter(|m| !applied.contains(&m.version)).count())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// An exclusive lock on `<database>.lock`, taken on the blocking pool (released on drop).
async fn lock_beside(database: &std::path::Path) -> StoreResult<Option<std::fs::File>> {
    if database.as_os_str().is_empty() || database.to_string_lossy().contains(":memory:") {
        return Ok(None);
    }
    let mut path = database.as_os_str().to_owned();
    path.push(".lock");
    let locked = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    locked.map(Some).map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))
}

/// The database folder holds password hashes and secret digests: readable by the service only.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Lists are stored as JSON text so both engines share one column type.
pub(crate) fn to_json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn from_json_list(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("list column: {e}")))
}

/// A round trip to the database (readiness).
pub async fn ping(db: &Db) -> StoreResult<()> {
    on_pool!(db, pool => sqlx::query("SELECT 1").execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The SQL of a migration without its comments.
    fn statements(sql: &str) -> Vec<String> {
        sql.lines()
            .map(|l| l.split("--").next().unwrap_or_default().trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// The SQLite rebuild of `users` (0009) on a database holding an account and its
    /// dependants: every row kept, foreign keys still pointing at the table and still enforced,
    /// and the address unique only among accounts with a password.
    #[tokio::test]
    async fn rebuilding_the_users_table_keeps_every_account_and_its_dependants() {
        use sqlx::{Connection, Executor};
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:").await.unwrap();
        db.execute("PRAGMA foreign_keys = ON").await.unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        let (before, after): (Vec<_>, Vec<_>) = names.into_iter().partition(|n| n.as_str() < "0009");
        for name in &before {
            db.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(std::fs::read_to_string(format!("{dir}/{name}")).unwrap())))
                .await
                .unwrap();
        }
        db.execute(
            "INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ('u1', 'a@lyon.fr', 'h', 1, 1);
             INSERT INTO totp_credentials (user_id, secret, created_at) VALUES ('u1', 's', 1);
             INSERT INTO passkeys (id, user_id, credential_id, name, passkey, created_at) VALUES ('p1', 'u1', 'c', 'n', '{}', 1);",
        )
        .await
        .unwrap();
        for name in &after {
            db.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(std::fs::read_to_string(format!("{dir}/{name}")).unwrap())))
                .await
                .unwrap();
        }
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
        assert_eq!(count("SELECT COUNT(*) FROM users WHERE email = 'a@lyon.fr'").fetch_one(&mut db).await.unwrap(), 1);
        assert_eq!(count("SELECT COUNT(*) FROM totp_credentials").fetch_one(&mut db).await.unwrap(), 1);
        assert_eq!(count("SELECT COUNT(*) FROM passkeys").fetch_one(&mut db).await.unwrap(), 1);
        // A second password account with the address: refused; a FranceConnect one: welcome.
        let duplicate = "INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ('u2', 'a@lyon.fr', 'h', 1, 1)";
        assert!(db.execute(duplicate).await.is_err());
        db.execute("INSERT INTO users (id, email, created_at, updated_at) VALUES ('u3', 'a@lyon.fr', 1, 1)")
            .await
            .unwrap();
        // The dependants still follow their account.
        assert!(db.execute("INSERT INTO passkeys (id, user_id, credential_id, name, passkey, created_at) VALUES ('p2', 'nobody', 'c2', 'n', '{}', 1)").await.is_err());
        db.execute("DELETE FROM users WHERE id = 'u1'").await.unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM passkeys").fetch_one(&mut db).await.unwrap(), 0, "cascade");
        assert_eq!(count("SELECT COUNT(*) FROM totp_credentials").fetch_one(&mut db).await.unwrap(), 0, "cascade");
    }

    #[test]
    fn both_migration_folders_are_kept_in_step() {
        let sqlite = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).unwrap();
        let mut names: Vec<String> = sqlite.map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert!(!names.is_empty());
        for name in names {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
            let lite = std::fs::read_to_string(format!("{dir}/sqlite/{name}")).unwrap();
            let pg = std::fs::read_to_string(format!("{dir}/postgres/{name}"))
                .unwrap_or_else(|_| panic!("migrations/postgres/{name} is missing"));
            // Same statements, except where a difference is marked `-- engine-specific`.
            if !lite.contains("engine-specific") {
                assert_eq!(statements(&lite), statements(&pg), "{name} differs between engines");
            }
        }
    }
}
