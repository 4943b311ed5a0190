//! The `passkeys` table: a resident's WebAuthn credentials.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    /// The authenticator's credential id, base64url.
    pub credential_id: String,
    /// The resident's name for it ("Téléphone", "Clé USB").
    pub name: String,
    /// webauthn-rs's credential as JSON (public key and counter).
    pub passkey: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Adds a passkey; a credential id already registered (to anyone) is a `Conflict`.
pub async fn insert(db: &Db, row: &PasskeyRow) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO passkeys (id, user_id, credential_id, name, passkey, created_at, last_used_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.id).bind(&row.user_id).bind(&row.credential_id).bind(&row.name).bind(&row.passkey)
        .bind(row.created_at).bind(row.last_used_at)
        .execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// The resident's passkeys, oldest first.
pub async fn of_user(db: &Db, user_id: &str) -> StoreResult<Vec<PasskeyRow>> {
    const SQL: &str = "SELECT id, user_id, credential_id, name, passkey, created_at, last_used_at \
                       FROM passkeys WHERE user_id = $1 ORDER BY created_at, id";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await)?)
}

pub async fn count_of_user(db: &Db, user_id: &str) -> StoreResult<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM passkeys WHERE user_id = $1";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_one(pool).await)?)
}

pub async fn by_credential_id(db: &Db, credential_id: &str) -> StoreResult<Option<PasskeyRow>> {
    const SQL: &str = "SELECT id, user_id, credential_id, name, passkey, created_at, last_used_at \
                       FROM passkeys WHERE credential_id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(credential_id).fetch_optional(pool).await)?)
}

/// After a use: the updated credential (its counter) and when.
pub async fn record_use(db: &Db, id: &str, passkey: &str, now: i64) -> StoreResult<()> {
    const SQL: &str = "UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3";
    on_pool!(db, pool => sqlx::query(SQL).bind(passkey).bind(now).bind(id).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Renames one of the resident's passkeys; returns whether it was theirs.
pub async fn rename(db: &Db, user_id: &str, id: &str, name: &str) -> StoreResult<bool> {
    const SQL: &str = "UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(name).bind(id).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Removes one of the resident's passkeys; returns whether it was theirs.
pub async fn remove(db: &Db, user_id: &str, id: &str) -> StoreResult<bool> {
    const SQL: &str = "DELETE FROM passkeys WHERE id = $1 AND user_id = $2";
    let n =
        on_pool!(db, pool => sqlx::query(SQL).bind(id).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
