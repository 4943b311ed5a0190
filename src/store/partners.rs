//! The `partners` table.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct PartnerRow {
    pub id: String,
    pub name: String,
    pub insee_code: Option<String>,
    pub kind: String,
    pub created_at: i64,
}

pub async fn insert(db: &Db, row: &PartnerRow) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO partners (id, name, insee_code, kind, created_at) VALUES ($1, $2, $3, $4, $5)";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.insee_code)
        .bind(&row.kind)
        .bind(row.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find_by_id(db: &Db, id: &str) -> StoreResult<Option<PartnerRow>> {
    const SQL: &str = "SELECT id, name, insee_code, kind, created_at FROM partners WHERE id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

pub async fn list(db: &Db) -> StoreResult<Vec<PartnerRow>> {
    const SQL: &str = "SELECT id, name, insee_code, kind, created_at FROM partners ORDER BY created_at, name";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
}
