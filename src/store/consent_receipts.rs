//! The `consent_receipts` table: the signed receipt of each consent given or withdrawn.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ReceiptRow {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    /// `given` or `withdrawn`.
    pub kind: String,
    pub jwt: String,
    pub created_at: i64,
}

pub async fn insert(db: &Db, row: &ReceiptRow) -> StoreResult<()> {
    const SQL: &str =
        "INSERT INTO consent_receipts (id, user_id, client_id, kind, jwt, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.id)
        .bind(&row.user_id)
        .bind(&row.client_id)
        .bind(&row.kind)
        .bind(&row.jwt)
        .bind(row.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A resident's receipts, newest first.
pub async fn of_user(db: &Db, user_id: &str) -> StoreResult<Vec<ReceiptRow>> {
    const SQL: &str = "SELECT id, user_id, client_id, kind, jwt, created_at FROM consent_receipts \
        WHERE user_id = $1 ORDER BY created_at DESC, id DESC";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await)?)
}
