//! The `consent_items` table: a resident's decision on one piece of data for one client.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ConsentItemRow {
    pub user_id: String,
    pub client_id: String,
    pub item: String,
    pub granted: bool,
    pub purpose: String,
    pub policy_version: String,
    pub decided_at: i64,
    pub expires_at: i64,
}

pub async fn of_client(db: &Db, user_id: &str, client_id: &str) -> StoreResult<Vec<ConsentItemRow>> {
    const SQL: &str = "SELECT user_id, client_id, item, granted, purpose, policy_version, decided_at, expires_at \
        FROM consent_items WHERE user_id = $1 AND client_id = $2 ORDER BY item";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).bind(client_id).fetch_all(pool).await)?)
}

/// Every decision of a resident (their page, their data export).
pub async fn of_user(db: &Db, user_id: &str) -> StoreResult<Vec<ConsentItemRow>> {
    const SQL: &str = "SELECT user_id, client_id, item, granted, purpose, policy_version, decided_at, expires_at \
        FROM consent_items WHERE user_id = $1 ORDER BY client_id, item";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await)?)
}

/// Records decisions, each replacing the one before on the same item, all or none.
pub async fn upsert_all(db: &Db, rows: &[ConsentItemRow]) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO consent_items (user_id, client_id, item, granted, purpose, policy_version, \
        decided_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
        ON CONFLICT (user_id, client_id, item) DO UPDATE SET granted = excluded.granted, \
        purpose = excluded.purpose, policy_version = excluded.policy_version, decided_at = excluded.decided_at, \
        expires_at = excluded.expires_at";
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        for row in rows {
            sqlx::query(SQL)
                .bind(&row.user_id)
                .bind(&row.client_id)
                .bind(&row.item)
                .bind(row.granted)
                .bind(&row.purpose)
                .bind(&row.policy_version)
                .bind(row.decided_at)
                .bind(row.expires_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }.await)?;
    Ok(())
}

/// Forgets every decision of a resident for a client; returns how many there were.
pub async fn delete_of_client(db: &Db, user_id: &str, client_id: &str) -> StoreResult<u64> {
    const SQL: &str = "DELETE FROM consent_items WHERE user_id = $1 AND client_id = $2";
    Ok(
        on_pool!(db, pool => sqlx::query(SQL).bind(user_id).bind(client_id).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}

/// Decisions whose expiry has passed: (user_id, client_id) pairs, at most `limit`.
pub async fn expired_pairs(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<(String, String)>> {
    const SQL: &str = "SELECT DISTINCT user_id, client_id FROM consent_items WHERE expires_at <= $1 \
        ORDER BY user_id, client_id LIMIT $2";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(now).bind(limit).fetch_all(pool).await)?)
}

/// Forgets a resident's expired decisions for a client; returns the items that went.
pub async fn delete_expired(db: &Db, user_id: &str, client_id: &str, now: i64) -> StoreResult<Vec<String>> {
    const SQL: &str =
        "DELETE FROM consent_items WHERE user_id = $1 AND client_id = $2 AND expires_at <= $3 RETURNING item";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).bind(client_id).bind(now).fetch_all(pool).await)?)
}

/// How many residents have a live grant with each client: (client_id, residents).
pub async fn residents_by_client(db: &Db, now: i64) -> StoreResult<Vec<(String, i64)>> {
    const SQL: &str = "SELECT client_id, COUNT(DISTINCT user_id) FROM consent_items \
        WHERE granted AND expires_at > $1 GROUP BY client_id ORDER BY client_id";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(now).fetch_all(pool).await)?)
}
