//! The `totp_credentials` and `recovery_codes` tables: a resident's second factor.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpRow {
    pub user_id: String,
    /// Sealed (`identity::mfa`), never the secret itself.
    pub secret: String,
    pub last_step: Option<i64>,
    pub created_at: i64,
}

pub async fn find_totp(db: &Db, user_id: &str) -> StoreResult<Option<TotpRow>> {
    const SQL: &str = "SELECT user_id, secret, last_step, created_at FROM totp_credentials WHERE user_id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_optional(pool).await)?)
}

/// Stores the credential and its recovery codes together (replacing earlier ones).
pub async fn enrol(db: &Db, row: &TotpRow, code_digests: &[String]) -> StoreResult<()> {
    const DELETE_TOTP: &str = "DELETE FROM totp_credentials WHERE user_id = $1";
    const DELETE_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
    const INSERT_TOTP: &str =
        "INSERT INTO totp_credentials (user_id, secret, last_step, created_at) VALUES ($1, $2, $3, $4)";
    const INSERT_CODE: &str = "INSERT INTO recovery_codes (user_id, digest, used_at) VALUES ($1, $2, NULL)";
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query(DELETE_TOTP).bind(&row.user_id).execute(&mut *tx).await?;
        sqlx::query(DELETE_CODES).bind(&row.user_id).execute(&mut *tx).await?;
        sqlx::query(INSERT_TOTP).bind(&row.user_id).bind(&row.secret).bind(row.last_step).bind(row.created_at).execute(&mut *tx).await?;
        for digest in code_digests {
            sqlx::query(INSERT_CODE).bind(&row.user_id).bind(digest).execute(&mut *tx).await?;
        }
        tx.commit().await
    }.await)?;
    Ok(())
}

/// Records `step` as used if it is later than the last one; returns whether it was (two
/// instances racing on one code: one wins).
pub async fn use_step(db: &Db, user_id: &str, step: i64) -> StoreResult<bool> {
    const SQL: &str =
        "UPDATE totp_credentials SET last_step = $1 WHERE user_id = $2 AND (last_step IS NULL OR last_step < $1)";
    let n =
        on_pool!(db, pool => sqlx::query(SQL).bind(step).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Uses a recovery code once; returns whether it was a live one.
pub async fn use_recovery_code(db: &Db, user_id: &str, digest: &str, now: i64) -> StoreResult<bool> {
    const SQL: &str = "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND digest = $3 AND used_at IS NULL";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(now).bind(user_id).bind(digest).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn remove(db: &Db, user_id: &str) -> StoreResult<()> {
    const DELETE_TOTP: &str = "DELETE FROM totp_credentials WHERE user_id = $1";
    const DELETE_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query(DELETE_TOTP).bind(user_id).execute(&mut *tx).await?;
        sqlx::query(DELETE_CODES).bind(user_id).execute(&mut *tx).await?;
        tx.commit().await
    }.await)?;
    Ok(())
}
