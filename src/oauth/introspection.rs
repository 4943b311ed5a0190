//! Token introspection (RFC 7662). Only the token's own client, or a resource server named in
//! its audience, learns anything: to anyone else every token is `{"active": false}` (§4).

use serde_json::{Value, json};

use super::error::OAuthError;
use super::params::Params;
use super::{access_token, client_auth, grant};
use crate::provider::Provider;
use crate::secrets;
use crate::store::refresh_tokens;

pub async fn introspect(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
) -> Result<Value, OAuthError> {
    let caller = client_auth::authenticate(provider, authorization, params).await?;
    let token = params.required("token")?;
    let inactive = json!({ "active": false });

    if let Ok(at) = access_token::verify(provider, token) {
        let entitled = at.client_id == caller.client_id || at.aud.iter().any(|a| a == &caller.client_id);
        if !entitled || access_token::is_revoked(provider, &at).await? {
            return Ok(inactive);
        }
        let mut active = json!({
            "active": true,
            "token_type": if at.jkt.is_some() { "DPoP" } else { "Bearer" },
            "client_id": at.client_id,
            "sub": at.sub,
            "scope": at.scope.to_string(),
            "aud": at.aud,
            "iss": provider.issuer(),
            "exp": at.exp,
            "iat": at.iat,
            "jti": at.jti,
        });
        // RFC 9449 §6.2: the key a bound token is confirmed by.
        if let Some(jkt) = &at.jkt {
            active["cnf"] = json!({ "jkt": jkt });
        }
        return Ok(active);
    }
    let now = provider.now();
    let Some(row) = refresh_tokens::find_by_digest(&provider.db, &secrets::digest(token)).await? else {
        return Ok(inactive);
    };
    let Some(grant) = grant::find_active(provider, &row.grant_id).await? else { return Ok(inactive) };
    if grant.client_id != caller.client_id || row.expires_at <= now || row.rotated_at.is_some() {
        return Ok(inactive);
    }
    Ok(json!({
        "active": true,
        "token_type": "refresh_token",
        "client_id": grant.client_id,
        "scope": grant.scopes,
        "iss": provider.issuer(),
        "exp": row.expires_at,
        "iat": row.created_at,
    }))
}
