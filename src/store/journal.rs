//! The `audit_journal` and `journal_pseudonyms` tables.

use super::{Db, StoreResult, on_pool};

/// One journal entry as stored; `hash` covers every other column (see `audit::chain`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct JournalRow {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub partner_id: Option<String>,
    pub reason: Option<String>,
    pub origin: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

macro_rules! journal_columns {
    () => {
        "seq, at, actor, action, subject, client_id, partner_id, reason, origin, details, prev_hash, hash"
    };
}

/// The last entry: where the next one chains on.
pub async fn head(db: &Db) -> StoreResult<Option<(i64, String)>> {
    const SQL: &str = "SELECT seq, hash FROM audit_journal ORDER BY seq DESC LIMIT 1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).fetch_optional(pool).await)?)
}

/// Appends one entry; a `Conflict` on `audit_journal_pkey` means another writer took its place.
pub async fn insert(db: &Db, row: &JournalRow) -> StoreResult<()> {
    const SQL: &str = concat!(
        "INSERT INTO audit_journal (",
        journal_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(row.seq)
        .bind(row.at)
        .bind(&row.actor)
        .bind(&row.action)
        .bind(&row.subject)
        .bind(&row.client_id)
        .bind(&row.partner_id)
        .bind(&row.reason)
        .bind(&row.origin)
        .bind(&row.details)
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Entries from `after_seq` on, in order, at most `limit`.
pub async fn page(db: &Db, after_seq: i64, limit: i64) -> StoreResult<Vec<JournalRow>> {
    const SQL: &str =
        concat!("SELECT ", journal_columns!(), " FROM audit_journal WHERE seq > $1 ORDER BY seq LIMIT $2");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(after_seq).bind(limit).fetch_all(pool).await)?)
}

/// Removes every entry up to `seq` (retention, by whole segments: `audit::retention`); how many.
pub async fn delete_through(db: &Db, seq: i64) -> StoreResult<i64> {
    const SQL: &str = "DELETE FROM audit_journal WHERE seq <= $1";
    let done = on_pool!(db, pool => sqlx::query(SQL).bind(seq).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(i64::try_from(done).unwrap_or(i64::MAX))
}

/// Which entries to read: after a sequence number, optionally one action (or a prefix ending in
/// `.`), one client, one partner, a time window.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub after: i64,
    pub limit: i64,
    pub action: Option<String>,
    pub client_id: Option<String>,
    pub partner_id: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

pub async fn filtered(db: &Db, f: &JournalFilter) -> StoreResult<Vec<JournalRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        journal_columns!(),
        " FROM audit_journal WHERE seq > $1 AND ($2 IS NULL OR action = $2 OR action LIKE $3) \
        AND ($4 IS NULL OR client_id = $4) AND ($5 IS NULL OR partner_id = $5) \
        AND at >= $6 AND at < $7 ORDER BY seq LIMIT $8"
    );
    // "consent." selects every consent event; "consent.given" that one only.
    let prefix = f.action.as_deref().filter(|a| a.ends_with('.')).map(|a| format!("{a}%"));
    Ok(on_pool!(db, pool => sqlx::query_as(SQL)
        .bind(f.after)
        .bind(&f.action)
        .bind(&prefix)
        .bind(&f.client_id)
        .bind(&f.partner_id)
        .bind(f.since.unwrap_or(i64::MIN))
        .bind(f.until.unwrap_or(i64::MAX))
        .bind(f.limit)
        .fetch_all(pool)
        .await)?)
}

/// How many entries of each action each client has, for actions starting with `prefix` and
/// entries since `since`: (client_id, action, count).
pub async fn count_by_client(db: &Db, prefix: &str, since: i64) -> StoreResult<Vec<(String, String, i64)>> {
    const SQL: &str = "SELECT client_id, action, COUNT(*) FROM audit_journal \
        WHERE client_id IS NOT NULL AND action LIKE $1 AND at >= $2 GROUP BY client_id, action ORDER BY client_id, action";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(format!("{prefix}%")).bind(since).fetch_all(pool).await)?)
}

/// The resident's pseudonym in the journal, made on first use.
pub async fn pseudonym(db: &Db, user_id: &str, fresh: &str) -> StoreResult<String> {
    const INSERT: &str = "INSERT INTO journal_pseudonyms (user_id, pseudonym) SELECT id, $2 FROM users WHERE id = $1 \
        ON CONFLICT (user_id) DO NOTHING";
    const SELECT: &str = "SELECT pseudonym FROM journal_pseudonyms WHERE user_id = $1";
    on_pool!(db, pool => sqlx::query(INSERT).bind(user_id).bind(fresh).execute(pool).await.map(|r| r.rows_affected()))?;
    let found: Option<String> =
        on_pool!(db, pool => sqlx::query_scalar(SELECT).bind(user_id).fetch_optional(pool).await)?;
    // An account deleted meanwhile keeps the fresh pseudonym, linked to nobody.
    Ok(found.unwrap_or_else(|| fresh.to_owned()))
}

/// The account behind a pseudonym, while the account exists (the help desk, the resident's page).
pub async fn user_of_pseudonym(db: &Db, pseudonym: &str) -> StoreResult<Option<String>> {
    const SQL: &str = "SELECT user_id FROM journal_pseudonyms WHERE pseudonym = $1";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(pseudonym).fetch_optional(pool).await)?)
}

/// The entries about one resident (by pseudonym) whose action starts with `prefix`, newest
/// first, at most `limit` (the resident's own page shows the help desk's interventions).
pub async fn of_subject(db: &Db, subject: &str, prefix: &str, limit: i64) -> StoreResult<Vec<JournalRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        journal_columns!(),
        " FROM audit_journal WHERE subject = $1 AND action LIKE $2 ORDER BY seq DESC LIMIT $3"
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as(SQL).bind(subject).bind(format!("{prefix}%")).bind(limit).fetch_all(pool).await)?,
    )
}
