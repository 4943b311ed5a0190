//! The `partners` and `resource_servers` tables.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct PartnerRow {
    pub id: String,
    pub name: String,
    pub insee_code: Option<String>,
    pub kind: String,
    pub created_at: i64,
    pub population: Option<i64>,
    pub offer: String,
    pub pilot: bool,
    /// `YYYY-MM-DD`.
    pub joined_on: Option<String>,
    /// JSON list of contacts.
    pub contacts: String,
    pub updated_at: i64,
    /// Bumped by every update.
    pub version: i64,
}

/// The columns of a [`PartnerRow`], in its order.
macro_rules! partner_columns {
    () => {
        "id, name, insee_code, kind, created_at, population, offer, pilot, joined_on, contacts, updated_at, version"
    };
}

pub async fn insert(db: &Db, row: &PartnerRow) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO partners (id, name, insee_code, kind, created_at, population, offer, pilot, \
        joined_on, contacts, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.insee_code)
        .bind(&row.kind)
        .bind(row.created_at)
        .bind(row.population)
        .bind(&row.offer)
        .bind(row.pilot)
        .bind(&row.joined_on)
        .bind(&row.contacts)
        .bind(row.updated_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes every field but the id, kind and creation time, if the stored version is still
/// `row.version`, and bumps it; `false` when no such partner at that version.
pub async fn update(db: &Db, row: &PartnerRow) -> StoreResult<bool> {
    const SQL: &str = "UPDATE partners SET name = $1, insee_code = $2, population = $3, offer = $4, pilot = $5, \
        joined_on = $6, contacts = $7, updated_at = $8, version = version + 1 WHERE id = $9 AND version = $10";
    let n = on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.name)
        .bind(&row.insee_code)
        .bind(row.population)
        .bind(&row.offer)
        .bind(row.pilot)
        .bind(&row.joined_on)
        .bind(&row.contacts)
        .bind(row.updated_at)
        .bind(&row.id)
        .bind(row.version)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

pub async fn find_by_id(db: &Db, id: &str) -> StoreResult<Option<PartnerRow>> {
    const SQL: &str = concat!("SELECT ", partner_columns!(), " FROM partners WHERE id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

pub async fn list(db: &Db) -> StoreResult<Vec<PartnerRow>> {
    const SQL: &str = concat!("SELECT ", partner_columns!(), " FROM partners ORDER BY created_at, name");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
}

/// One of a partner's APIs.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ResourceServerRow {
    pub uri: String,
    pub partner_id: String,
    pub name: String,
    pub created_at: i64,
}

pub async fn insert_resource_server(db: &Db, row: &ResourceServerRow) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO resource_servers (uri, partner_id, name, created_at) VALUES ($1, $2, $3, $4)";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.uri)
        .bind(&row.partner_id)
        .bind(&row.name)
        .bind(row.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_resource_server(db: &Db, uri: &str) -> StoreResult<bool> {
    const SQL: &str = "DELETE FROM resource_servers WHERE uri = $1";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(uri).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

pub async fn resource_servers_of(db: &Db, partner_id: &str) -> StoreResult<Vec<ResourceServerRow>> {
    const SQL: &str =
        "SELECT uri, partner_id, name, created_at FROM resource_servers WHERE partner_id = $1 ORDER BY uri";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(partner_id).fetch_all(pool).await)?)
}

pub async fn resource_server(db: &Db, uri: &str) -> StoreResult<Option<ResourceServerRow>> {
    const SQL: &str = "SELECT uri, partner_id, name, created_at FROM resource_servers WHERE uri = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(uri).fetch_optional(pool).await)?)
}
