//! The `client_purposes` table: what a client declares, per scope, of its use of the data.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct PurposeRow {
    pub client_id: String,
    pub scope: String,
    pub purpose: String,
    pub retention: String,
    pub essential: bool,
}

pub async fn of_client(db: &Db, client_id: &str) -> StoreResult<Vec<PurposeRow>> {
    const SQL: &str = "SELECT client_id, scope, purpose, retention, essential FROM client_purposes WHERE client_id = $1 ORDER BY scope";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(client_id).fetch_all(pool).await)?)
}

/// Replaces a client's declarations with `rows`, all or none.
pub async fn replace(db: &Db, client_id: &str, rows: &[PurposeRow]) -> StoreResult<()> {
    const DELETE: &str = "DELETE FROM client_purposes WHERE client_id = $1";
    const INSERT: &str =
        "INSERT INTO client_purposes (client_id, scope, purpose, retention, essential) VALUES ($1, $2, $3, $4, $5)";
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query(DELETE).bind(client_id).execute(&mut *tx).await?;
        for row in rows {
            sqlx::query(INSERT)
                .bind(client_id)
                .bind(&row.scope)
                .bind(&row.purpose)
                .bind(&row.retention)
                .bind(row.essential)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }.await)?;
    Ok(())
}
