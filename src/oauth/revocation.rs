//! Token revocation (RFC 7009). Revoking a refresh token revokes its grant, hence every access
//! token of that grant (§2.1 "SHOULD also invalidate all access tokens based on the same
//! authorization grant"); revoking an access token puts its `jti` on the revoked list until it
//! expires. Unknown tokens are answered with success (§2.2).

use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::{access_token, client_auth, grant};
use crate::provider::Provider;
use crate::secrets;
use crate::store::refresh_tokens;

pub async fn revoke(provider: &Provider, authorization: Option<&str>, params: &Params) -> Result<(), OAuthError> {
    let caller = client_auth::authenticate(provider, authorization, params).await?;
    let token = params.required("token")?;
    match params.get("token_type_hint") {
        None | Some("access_token") | Some("refresh_token") => {}
        Some(_) => return Err(OAuthError::new(ErrorCode::UnsupportedTokenType, "unsupported token_type_hint")),
    }
    let not_yours = || OAuthError::invalid_request("this token was not issued to the calling client");

    if let Ok(at) = access_token::verify(provider, token) {
        if at.client_id != caller.client_id {
            return Err(not_yours());
        }
        return access_token::revoke(provider, &at).await;
    }
    if let Some(row) = refresh_tokens::find_by_digest(&provider.db, &secrets::digest(token)).await?
        && let Some(grant_row) = grant::find_active(provider, &row.grant_id).await?
    {
        if grant_row.client_id != caller.client_id {
            return Err(not_yours());
        }
        grant::revoke(provider, &grant_row.id).await?;
    }
    Ok(())
}
