//! The `admin_roles` table: which accounts administer what.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct RoleRow {
    pub user_id: String,
    pub role: String,
    pub partner_id: Option<String>,
    pub granted_at: i64,
    pub granted_by: String,
}

/// Grants a role (granting it again changes the commune and keeps one row).
pub async fn upsert(db: &Db, row: &RoleRow) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO admin_roles (user_id, role, partner_id, granted_at, granted_by) \
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, role) DO UPDATE SET partner_id = excluded.partner_id, \
        granted_at = excluded.granted_at, granted_by = excluded.granted_by";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.user_id)
        .bind(&row.role)
        .bind(&row.partner_id)
        .bind(row.granted_at)
        .bind(&row.granted_by)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Takes a role away; whether the account had it.
pub async fn delete(db: &Db, user_id: &str, role: &str) -> StoreResult<bool> {
    const SQL: &str = "DELETE FROM admin_roles WHERE user_id = $1 AND role = $2";
    let deleted =
        on_pool!(db, pool => sqlx::query(SQL).bind(user_id).bind(role).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(deleted > 0)
}

pub async fn of_user(db: &Db, user_id: &str) -> StoreResult<Vec<RoleRow>> {
    const SQL: &str = "SELECT user_id, role, partner_id, granted_at, granted_by FROM admin_roles \
        WHERE user_id = $1 ORDER BY role";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await)?)
}

pub async fn list(db: &Db) -> StoreResult<Vec<RoleRow>> {
    const SQL: &str =
        "SELECT user_id, role, partner_id, granted_at, granted_by FROM admin_roles ORDER BY user_id, role";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
}
