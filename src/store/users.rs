//! The `users` table: residents.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub password_hash: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
    pub birthdate: Option<String>,
    pub gender: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    pub address: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! user_columns {
    () => {
        "id, email, email_verified, password_hash, given_name, family_name, \
    preferred_username, birthdate, gender, locale, phone_number, phone_number_verified, address, \
    disabled, created_at, updated_at"
    };
}

pub(crate) const INSERT_SQL: &str = concat!(
    "INSERT INTO users (",
    user_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
);

/// Binds a row's columns to `INSERT_SQL`, in its order.
macro_rules! bind_user {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.id)
            .bind(&$row.email)
            .bind($row.email_verified)
            .bind(&$row.password_hash)
            .bind(&$row.given_name)
            .bind(&$row.family_name)
            .bind(&$row.preferred_username)
            .bind(&$row.birthdate)
            .bind(&$row.gender)
            .bind(&$row.locale)
            .bind(&$row.phone_number)
            .bind($row.phone_number_verified)
            .bind(&$row.address)
            .bind($row.disabled)
            .bind($row.created_at)
            .bind($row.updated_at)
    };
}
pub(crate) use bind_user;

pub async fn insert(db: &Db, row: &UserRow) -> StoreResult<()> {
    on_pool!(db, pool => bind_user!(sqlx::query(INSERT_SQL), row).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find_by_id(db: &Db, id: &str) -> StoreResult<Option<UserRow>> {
    const SQL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

/// `email` must already be normalised (lower-cased, trimmed).
/// The account that signs in with `email` (one with a password: an account made from a
/// FranceConnect identity holds its address as a contact only, shared or not).
pub async fn find_by_email(db: &Db, email: &str) -> StoreResult<Option<UserRow>> {
    const SQL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1 AND password_hash IS NOT NULL");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(email).fetch_optional(pool).await)?)
}

pub async fn list(db: &Db, limit: i64, offset: i64) -> StoreResult<Vec<UserRow>> {
    const SQL: &str = concat!("SELECT ", user_columns!(), " FROM users ORDER BY created_at, email LIMIT $1 OFFSET $2");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(limit).bind(offset).fetch_all(pool).await)?)
}

/// Returns whether a row was changed.
pub async fn update_disabled(db: &Db, id: &str, disabled: bool, now: i64) -> StoreResult<bool> {
    const SQL: &str = "UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3";
    let done = on_pool!(db, pool => sqlx::query(SQL).bind(disabled).bind(now).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// The attributes a resident (or an administrator for them) may change.
#[derive(Debug, Clone, Default)]
pub struct ProfileFields {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
    pub birthdate: Option<String>,
    pub gender: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub address: Option<String>,
}

/// Returns whether a row was changed.
pub async fn update_profile(db: &Db, id: &str, p: &ProfileFields, now: i64) -> StoreResult<bool> {
    const SQL: &str = "UPDATE users SET given_name = $1, family_name = $2, preferred_username = $3, \
        birthdate = $4, gender = $5, locale = $6, phone_number = $7, address = $8, updated_at = $9 WHERE id = $10";
    let n = on_pool!(db, pool => sqlx::query(SQL)
        .bind(&p.given_name)
        .bind(&p.family_name)
        .bind(&p.preferred_username)
        .bind(&p.birthdate)
        .bind(&p.gender)
        .bind(&p.locale)
        .bind(&p.phone_number)
        .bind(&p.address)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Replaces the password hash; returns whether the account exists.
pub async fn update_password(db: &Db, id: &str, password_hash: &str, now: i64) -> StoreResult<bool> {
    const SQL: &str = "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(password_hash).bind(now).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Marks the email verified, if it is still `email` (an address changed since the link was
/// sent is not verified by it); returns whether it was.
pub async fn verify_email(db: &Db, id: &str, email: &str, now: i64) -> StoreResult<bool> {
    const SQL: &str = "UPDATE users SET email_verified = TRUE, updated_at = $1 WHERE id = $2 AND email = $3";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(now).bind(id).bind(email).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Deletes the account; its grants, refresh tokens and consents go with it (foreign keys).
pub async fn delete(db: &Db, id: &str) -> StoreResult<bool> {
    const SQL: &str = "DELETE FROM users WHERE id = $1";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Moves the account to a new, verified address (its owner opened the link sent there). A
/// conflict means another account took the address meanwhile.
pub async fn change_email(db: &Db, id: &str, email: &str, now: i64) -> StoreResult<bool> {
    const SQL: &str = "UPDATE users SET email = $1, email_verified = TRUE, updated_at = $2 WHERE id = $3";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(email).bind(now).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Accounts for the help desk: the one with this id or email, or whose name contains `name`
/// (case-insensitive), at most `limit`.
pub async fn search(db: &Db, exact: &str, name: &str, limit: i64) -> StoreResult<Vec<UserRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1 OR email = LOWER($1) \
        OR ($2 <> '' AND LOWER(COALESCE(given_name, '') || ' ' || COALESCE(family_name, '')) LIKE $2) \
        ORDER BY email LIMIT $3"
    );
    let pattern = if name.is_empty() { String::new() } else { format!("%{}%", name.to_lowercase()) };
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(exact).bind(pattern).bind(limit).fetch_all(pool).await)?)
}
