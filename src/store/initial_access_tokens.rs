//! The `initial_access_tokens` table: what an administrator hands a developer so that one (or a
//! few) clients can register themselves (RFC 7591 §3). Stored as digests only.

use super::{Db, StoreResult, on_pool};

pub async fn insert(
    db: &Db,
    digest: &str,
    partner_id: &str,
    uses: i64,
    expires_at: i64,
    created_at: i64,
) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO initial_access_tokens (digest, partner_id, uses_left, expires_at, created_at) \
                       VALUES ($1, $2, $3, $4, $5)";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(digest)
        .bind(partner_id)
        .bind(uses)
        .bind(expires_at)
        .bind(created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Uses the token once, atomically (two registrations racing for the last use: one wins);
/// returns the partner the new client will belong to.
pub async fn consume(db: &Db, digest: &str, now: i64) -> StoreResult<Option<String>> {
    const SQL: &str = "UPDATE initial_access_tokens SET uses_left = uses_left - 1 \
                       WHERE digest = $1 AND uses_left > 0 AND expires_at > $2 RETURNING partner_id";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(digest).bind(now).fetch_optional(pool).await)?)
}

/// The partner of a token that can still be used, without using it.
pub async fn find_usable(db: &Db, digest: &str, now: i64) -> StoreResult<Option<String>> {
    const SQL: &str =
        "SELECT partner_id FROM initial_access_tokens WHERE digest = $1 AND uses_left > 0 AND expires_at > $2";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(digest).bind(now).fetch_optional(pool).await)?)
}
