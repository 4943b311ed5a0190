//! The `grants` table: one resident's authorization of one client.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub scopes: String,
    pub claims: String,
    pub resource: Option<String>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: String,
    pub sid: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub dpop_jkt: Option<String>,
}

macro_rules! grant_columns {
    () => {
        "id, user_id, client_id, scopes, claims, resource, auth_time, acr, amr, sid, created_at, revoked_at, dpop_jkt"
    };
}

pub async fn insert(db: &Db, row: &GrantRow) -> StoreResult<()> {
    const SQL: &str = concat!(
        "INSERT INTO grants (",
        grant_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    );
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.id)
        .bind(&row.user_id)
        .bind(&row.client_id)
        .bind(&row.scopes)
        .bind(&row.claims)
        .bind(&row.resource)
        .bind(row.auth_time)
        .bind(&row.acr)
        .bind(&row.amr)
        .bind(&row.sid)
        .bind(row.created_at)
        .bind(row.revoked_at)
        .bind(&row.dpop_jkt)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find_by_id(db: &Db, id: &str) -> StoreResult<Option<GrantRow>> {
    const SQL: &str = concat!("SELECT ", grant_columns!(), " FROM grants WHERE id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

/// Revokes every live grant of a resident to a client; returns how many.
pub async fn revoke_all_of(db: &Db, user_id: &str, client_id: &str, now: i64) -> StoreResult<u64> {
    const SQL: &str = "UPDATE grants SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL";
    Ok(
        on_pool!(db, pool => sqlx::query(SQL).bind(now).bind(user_id).bind(client_id).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}

/// Marks the grant revoked (idempotent: the first revocation time is kept).
pub async fn revoke(db: &Db, id: &str, now: i64) -> StoreResult<()> {
    const SQL: &str = "UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
    on_pool!(db, pool => sqlx::query(SQL).bind(now).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Revokes every live grant of a resident (their password was reset); returns how many.
pub async fn revoke_all_of_user(db: &Db, user_id: &str, now: i64) -> StoreResult<u64> {
    const SQL: &str = "UPDATE grants SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL";
    Ok(on_pool!(db, pool => sqlx::query(SQL).bind(now).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?)
}

/// Every grant of a resident, newest first (for their data export).
pub async fn list_of_user(db: &Db, user_id: &str) -> StoreResult<Vec<GrantRow>> {
    const SQL: &str = concat!("SELECT ", grant_columns!(), " FROM grants WHERE user_id = $1 ORDER BY created_at DESC");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await)?)
}
