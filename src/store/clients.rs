//! The `clients` table: relying parties.

use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Bumped by every change (not written by `insert`: a new client is at version 1).
    pub version: i64,
}

macro_rules! client_columns {
    () => {
        "id, partner_id, name, secret_digest, auth_method, redirect_uris, \
    post_logout_redirect_uris, backchannel_logout_uri, frontchannel_logout_uri, jwks, jwks_uri, grant_types, scopes, resources, \
    subject_type, id_token_alg, require_pkce, rotate_refresh_tokens, refresh_grace_seconds, created_at, \
    metadata, registration_token_digest"
    };
}

/// Bumped after every change to a client (committed or not: over-invalidating is harmless), so
/// that a copy kept in memory (`oauth::client_cache`) taken before the change is never served
/// again by this process.
static CHANGES: AtomicU64 = AtomicU64::new(0);

/// How many changes to clients this process has made so far.
pub fn changes() -> u64 {
    CHANGES.load(Ordering::Acquire)
}

fn changed<T>(result: T) -> T {
    CHANGES.fetch_add(1, Ordering::AcqRel);
    result
}

pub async fn insert(db: &Db, row: &ClientRow) -> StoreResult<()> {
    const SQL: &str = concat!(
        "INSERT INTO clients (",
        client_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    );
    let inserted = on_pool!(db, pool => sqlx::query(SQL)
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
        .map(|r| r.rows_affected()));
    changed(inserted)?;
    Ok(())
}

pub async fn find_by_id(db: &Db, id: &str) -> StoreResult<Option<ClientRow>> {
    const SQL: &str = concat!("SELECT ", client_columns!(), ", version FROM clients WHERE id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

pub async fn list(db: &Db) -> StoreResult<Vec<ClientRow>> {
    const SQL: &str = concat!("SELECT ", client_columns!(), ", version FROM clients ORDER BY created_at, id");
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
}

/// Replaces the secret; the one it replaces stays valid until `previous_until` when given (and
/// in the future), else stops at once. All or nothing; returns whether the client has a secret.
pub async fn update_secret_digest(db: &Db, id: &str, digest: &str, previous_until: Option<i64>) -> StoreResult<bool> {
    const KEEP: &str = "INSERT INTO client_previous_secrets (client_id, secret_digest, expires_at) \
        SELECT id, secret_digest, $2 FROM clients WHERE id = $1 AND secret_digest IS NOT NULL \
        ON CONFLICT (client_id) DO UPDATE SET secret_digest = excluded.secret_digest, expires_at = excluded.expires_at";
    const FORGET: &str = "DELETE FROM client_previous_secrets WHERE client_id = $1";
    const SQL: &str =
        "UPDATE clients SET secret_digest = $1, version = version + 1 WHERE id = $2 AND secret_digest IS NOT NULL";
    let n = on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        match previous_until {
            Some(until) => sqlx::query(KEEP).bind(id).bind(until).execute(&mut *tx).await?,
            None => sqlx::query(FORGET).bind(id).execute(&mut *tx).await?,
        };
        let n = sqlx::query(SQL).bind(digest).bind(id).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(n)
    }.await);
    let n = changed(n)?;
    Ok(n == 1)
}

/// The client's previous secret still accepted (digest), if any and not expired at `now`.
pub async fn previous_secret(db: &Db, id: &str, now: i64) -> StoreResult<Option<(String, i64)>> {
    const SQL: &str =
        "SELECT secret_digest, expires_at FROM client_previous_secrets WHERE client_id = $1 AND expires_at > $2";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(id).bind(now).fetch_optional(pool).await)?)
}

/// What an administrator changes: everything `update_metadata` does, and what only an
/// administrator sets (the APIs it may get tokens for, its PKCE and refresh-token rules), in one
/// statement, if the client is still at `row.version`; bumps the version.
pub async fn update_by_admin(db: &Db, row: &ClientRow) -> StoreResult<bool> {
    const SQL: &str = "UPDATE clients SET name = $2, redirect_uris = $3, post_logout_redirect_uris = $4, \
        backchannel_logout_uri = $5, frontchannel_logout_uri = $6, jwks = $7, jwks_uri = $8, grant_types = $9, \
        scopes = $10, metadata = $11, resources = $12, require_pkce = $13, rotate_refresh_tokens = $14, \
        refresh_grace_seconds = $15, auth_method = $17, secret_digest = $18, version = version + 1 \
        WHERE id = $1 AND version = $16";
    let n = on_pool!(db, pool => sqlx::query(SQL)
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.redirect_uris)
        .bind(&row.post_logout_redirect_uris)
        .bind(&row.backchannel_logout_uri)
        .bind(&row.frontchannel_logout_uri)
        .bind(&row.jwks)
        .bind(&row.jwks_uri)
        .bind(&row.grant_types)
        .bind(&row.scopes)
        .bind(&row.metadata)
        .bind(&row.resources)
        .bind(row.require_pkce)
        .bind(row.rotate_refresh_tokens)
        .bind(row.refresh_grace_seconds)
        .bind(row.version)
        .bind(&row.auth_method)
        .bind(&row.secret_digest)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()));
    let n = changed(n)?;
    Ok(n == 1)
}

/// Returns whether a row was deleted. Grants, refresh tokens and consents go with it.
pub async fn delete(db: &Db, id: &str) -> StoreResult<bool> {
    const SQL: &str = "DELETE FROM clients WHERE id = $1";
    let n = changed(on_pool!(db, pool => sqlx::query(SQL).bind(id).execute(pool).await.map(|r| r.rows_affected())))?;
    Ok(n == 1)
}

/// Every registered redirect URI list (JSON text), for the CORS origins of browser apps.
pub async fn all_redirect_uris(db: &Db) -> StoreResult<Vec<String>> {
    const SQL: &str = "SELECT redirect_uris FROM clients";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).fetch_all(pool).await)?)
}

/// Replaces what a client may change about itself (RFC 7592 §2.2): everything but its id,
/// partner, secret, creation time and registration token, if it is still at `row.version`;
/// bumps the version. Returns whether a row was changed.
pub async fn update_metadata(db: &Db, row: &ClientRow) -> StoreResult<bool> {
    const SQL: &str = "UPDATE clients SET name = $2, auth_method = $3, redirect_uris = $4, \
        post_logout_redirect_uris = $5, backchannel_logout_uri = $6, frontchannel_logout_uri = $7, jwks = $8, \
        jwks_uri = $9, grant_types = $10, scopes = $11, subject_type = $12, id_token_alg = $13, metadata = $14, \
        version = version + 1 WHERE id = $1 AND version = $15";
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
        .bind(row.version)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()));
    let n = changed(n)?;
    Ok(n == 1)
}
