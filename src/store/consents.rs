//! The `consents` table: what a resident agreed to share with a client.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRow {
    pub user_id: String,
    pub client_id: String,
    pub scopes: String,
    pub granted_at: i64,
    pub expires_at: i64,
}

pub async fn find(db: &Db, user_id: &str, client_id: &str) -> StoreResult<Option<ConsentRow>> {
    const SQL: &str = "SELECT user_id, client_id, scopes, granted_at, expires_at FROM consents \
        WHERE user_id = $1 AND client_id = $2";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).bind(client_id).fetch_optional(pool).await)?)
}

/// Records or replaces the consent of a resident to a client.
pub async fn upsert(db: &Db, row: &ConsentRow) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO consents (user_id, client_id, scopes, granted_at, expires_at) \
        VALUES ($1, $2, $3, $4, $5) \
        ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, \
        granted_at = excluded.granted_at, expires_at = excluded.expires_at";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.user_id)
        .bind(&row.client_id)
        .bind(&row.scopes)
        .bind(row.granted_at)
        .bind(row.expires_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Returns whether a consent was deleted.
pub async fn delete(db: &Db, user_id: &str, client_id: &str) -> StoreResult<bool> {
    const SQL: &str = "DELETE FROM consents WHERE user_id = $1 AND client_id = $2";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(user_id).bind(client_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Every consent of a resident (for their data export).
pub async fn list_of_user(db: &Db, user_id: &str) -> StoreResult<Vec<ConsentRow>> {
    const SQL: &str = "SELECT user_id, client_id, scopes, granted_at, expires_at FROM consents WHERE user_id = $1 \
        ORDER BY granted_at DESC";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await)?)
}
