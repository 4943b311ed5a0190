//! Grants and their refresh tokens: what a code redemption leaves behind, and how it ends.

use super::code::CodeGrant;
use super::error::OAuthError;
use crate::provider::Provider;
use crate::secrets;
use crate::store::grants::{self, GrantRow};
use crate::store::refresh_tokens::{self, RefreshTokenRow};

/// Stores the grant a fresh code stands for; `dpop_jkt` is the key its first tokens are bound to.
pub async fn create(provider: &Provider, code: &CodeGrant, dpop_jkt: Option<&str>) -> Result<GrantRow, OAuthError> {
    let row = GrantRow {
        id: code.grant_id.clone(),
        user_id: code.user_id.clone(),
        client_id: code.client_id.clone(),
        scopes: code.scopes.to_string(),
        claims: serde_json::to_string(&code.claims).unwrap_or_else(|_| "{}".into()),
        resource: code.resource.clone(),
        auth_time: code.auth_time,
        acr: code.acr.clone(),
        amr: code.amr.join(" "),
        sid: code.sid.clone(),
        created_at: provider.now(),
        revoked_at: None,
        dpop_jkt: dpop_jkt.map(str::to_owned),
    };
    grants::insert(&provider.db, &row).await?;
    Ok(row)
}

/// The grant `id` if it exists and is not revoked.
pub async fn find_active(provider: &Provider, id: &str) -> Result<Option<GrantRow>, OAuthError> {
    Ok(grants::find_by_id(&provider.db, id).await?.filter(|g| g.revoked_at.is_none()))
}

/// Revokes a grant: its refresh tokens stop working at once, and its access tokens are refused
/// by userinfo and introspection (which check the grant).
pub async fn revoke(provider: &Provider, id: &str) -> Result<(), OAuthError> {
    grants::revoke(&provider.db, id, provider.now()).await?;
    Ok(())
}

/// Issues a new refresh token for `grant_id`; returns its value (only its digest is stored).
pub async fn issue_refresh_token(provider: &Provider, grant_id: &str) -> Result<String, OAuthError> {
    let now = provider.now();
    let token = secrets::new_secret();
    let row = RefreshTokenRow {
        digest: secrets::digest(&token),
        grant_id: grant_id.to_owned(),
        created_at: now,
        expires_at: now + provider.config.lifetimes.refresh_token,
        rotated_at: None,
    };
    refresh_tokens::insert(&provider.db, &row).await?;
    Ok(token)
}
