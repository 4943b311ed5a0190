//! The `clients` table: relying parties.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: String,
    pub partner_id: String,
    pub name: String,
    pub secret_digest: Option<String>,
    pub auth_method: String,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: Option<String>,
    pub frontchannel_logout_uri: Option<String>,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub grant_types: String,
    pub scopes: String,
    pub resources: String,
    pub subject_type: String,
    pub id_token_alg: String,
    pub require_pkce: bool,
    pub rotate_refresh_tokens: bool,
    pub refresh_grace_seconds: i64,
    pub created_at: i64,
    /// JSON object: `oauth::client_metadata::ClientMetadata`.
    pub metadata: String,
    pub registration_token_digest: Option<String>,
}

macro_rules! client_columns {
    () => {
        "id, partner_id, name, secret_digest, auth_method, redirect_uris, \
    post_logout_redirect_uris, backchannel_logout_uri, frontchannel_logout_uri, jwks, jwks_uri, grant_types, scopes, resources, \
    subject_type, id_token_alg, require_pkce, rotate_refresh_tokens, refresh_grace_seconds, created_at, \
    metadata, registration_token_digest"
    };
}

pub async fn insert(db: &Db, row: &ClientRow) -> StoreResult<()> {
    const SQL: &str = concat!(
        "INSERT INTO clients (",
        client_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    );
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.id)
        .bind(&row.partner_id)
        .bind(&row.name)
        .bind(&row.secret_digest)
        .bind(&row.auth_method)
        .bind(&row.redirect_uris)
        .bind(&row.post_logout_redirect_uris)
        .bind(&row.backchannel_logout_uri)
        .bind(&row.frontchannel_logout_uri)
        .bind(&row.jwks)
        .bind(&row.jwks_uri)
        .bind(&row.grant_types)
        .bind(&row.scopes)
        .bind(&row.resources)
        .bind(&row.subject_type)
        .bind(&row.id_token_alg)
        .bind(row.require_pkce)
        .bind(row.rotate_refresh_tokens)
        .bind(row.refresh_grace_seconds)
        .bind(row.created_at)
        .bind(&row.metadata)
        .bind(&row.registration_token_digest)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find_by_id(db: &Db, id: &str) -> StoreResult<Option<ClientRow>> {
    const SQL: &str = concat!("SELECT ", client_columns!(), " FROM clients WHERE id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

pub async fn list(db: &Db) -> StoreResult<Vec<ClientRow>> {
    const SQL: &str = concat!("SELECT ", client_columns!(), " FROM clients ORDER BY created_at, id");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
}

/// Returns whether a row was changed.
pub async fn update_secret_digest(db: &Db, id: &str, digest: &str) -> StoreResult<bool> {
    const SQL: &str = "UPDATE clients SET secret_digest = $1 WHERE id = $2 AND secret_digest IS NOT NULL";
    let n =
        on_pool!(db, pool => sqlx::query(SQL).bind(digest).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Returns whether a row was deleted. Grants, refresh tokens and consents go with it.
pub async fn delete(db: &Db, id: &str) -> StoreResult<bool> {
    const SQL: &str = "DELETE FROM clients WHERE id = $1";
    let n = on_pool!(db, pool => sqlx::query(SQL).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Every registered redirect URI list (JSON text), for the CORS origins of browser apps.
pub async fn all_redirect_uris(db: &Db) -> StoreResult<Vec<String>> {
    const SQL: &str = "SELECT redirect_uris FROM clients";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).fetch_all(pool).await)?)
}

/// Replaces what a client may change about itself (RFC 7592 §2.2): everything but its id,
/// partner, secret, creation time and registration token. Returns whether a row was changed.
pub async fn update_metadata(db: &Db, row: &ClientRow) -> StoreResult<bool> {
    const SQL: &str = "UPDATE clients SET name = $2, auth_method = $3, redirect_uris = $4, \
        post_logout_redirect_uris = $5, backchannel_logout_uri = $6, frontchannel_logout_uri = $7, jwks = $8, \
        jwks_uri = $9, grant_types = $10, scopes = $11, subject_type = $12, id_token_alg = $13, metadata = $14 \
        WHERE id = $1";
    let n = on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.auth_method)
        .bind(&row.redirect_uris)
        .bind(&row.post_logout_redirect_uris)
        .bind(&row.backchannel_logout_uri)
        .bind(&row.frontchannel_logout_uri)
        .bind(&row.jwks)
        .bind(&row.jwks_uri)
        .bind(&row.grant_types)
        .bind(&row.scopes)
        .bind(&row.subject_type)
        .bind(&row.id_token_alg)
        .bind(&row.metadata)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
