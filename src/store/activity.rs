//! The `account_activity` table: when a resident last signed in, and whether they were warned
//! that their inactive account would be deleted.

use super::{Db, StoreResult, on_pool};

/// A sign-in: the account is active now, and any warning is void.
pub async fn touch(db: &Db, user_id: &str, now: i64) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO account_activity (user_id, last_active_at, warned_at) VALUES ($1, $2, NULL) \
        ON CONFLICT (user_id) DO UPDATE SET last_active_at = excluded.last_active_at, warned_at = NULL";
    on_pool!(db, pool => sqlx::query(SQL).bind(user_id).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Accounts inactive since before `cutoff` and not warned yet: (id, email), at most `limit`.
pub async fn to_warn(db: &Db, cutoff: i64, limit: i64) -> StoreResult<Vec<(String, String)>> {
    const SQL: &str = "SELECT u.id, u.email FROM users u LEFT JOIN account_activity a ON a.user_id = u.id \
        WHERE COALESCE(a.last_active_at, u.created_at) < $1 AND a.warned_at IS NULL ORDER BY u.id LIMIT $2";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(cutoff).bind(limit).fetch_all(pool).await)?)
}

/// Records the warning (the account's last activity stays what it was).
pub async fn mark_warned(db: &Db, user_id: &str, now: i64) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO account_activity (user_id, last_active_at, warned_at) \
        SELECT id, created_at, $2 FROM users WHERE id = $1 \
        ON CONFLICT (user_id) DO UPDATE SET warned_at = excluded.warned_at";
    on_pool!(db, pool => sqlx::query(SQL).bind(user_id).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Accounts warned before `cutoff` and not signed in since.
pub async fn to_delete(db: &Db, cutoff: i64) -> StoreResult<Vec<String>> {
    const SQL: &str = "SELECT user_id FROM account_activity WHERE warned_at IS NOT NULL AND warned_at < $1 \
        AND last_active_at <= warned_at ORDER BY user_id";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(cutoff).fetch_all(pool).await)?)
}

/// When the resident last signed in, if recorded.
pub async fn last_active(db: &Db, user_id: &str) -> StoreResult<Option<i64>> {
    const SQL: &str = "SELECT last_active_at FROM account_activity WHERE user_id = $1";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_optional(pool).await)?)
}
