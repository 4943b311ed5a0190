//! The `refresh_tokens` table, keyed by the SHA-256 digest of the token.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub digest: String,
    pub grant_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
}

pub async fn insert(db: &Db, row: &RefreshTokenRow) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO refresh_tokens (digest, grant_id, created_at, expires_at, rotated_at) \
        VALUES ($1, $2, $3, $4, $5)";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.digest)
        .bind(&row.grant_id)
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(row.rotated_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find_by_digest(db: &Db, digest: &str) -> StoreResult<Option<RefreshTokenRow>> {
    const SQL: &str = "SELECT digest, grant_id, created_at, expires_at, rotated_at \
        FROM refresh_tokens WHERE digest = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(digest).fetch_optional(pool).await)?)
}

/// Marks the token rotated if nobody has yet; returns whether this caller won the race, so
/// two concurrent refreshes with one token cannot both succeed.
pub async fn mark_rotated(db: &Db, digest: &str, now: i64) -> StoreResult<bool> {
    const SQL: &str = "UPDATE refresh_tokens SET rotated_at = $1 WHERE digest = $2 AND rotated_at IS NULL";
    let n =
        on_pool!(db, pool => sqlx::query(SQL).bind(now).bind(digest).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
