//! The authorization code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3.2).

use super::{TokenResponse, user_token_audience};
use crate::identity::user;
use crate::oauth::access_token::{self, NewAccessToken};
use crate::oauth::authorize::check_resource;
use crate::oauth::claims;
use crate::oauth::client::{Client, GrantType};
use crate::oauth::code::{self, Redemption};
use crate::oauth::error::OAuthError;
use crate::oauth::id_token::{self, IdTokenFacts};
use crate::oauth::params::Params;
use crate::oauth::scope::{OFFLINE_ACCESS, OPENID};
use crate::oauth::{grant, pkce, subject};
use crate::provider::Provider;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let presented = params.required("code")?;
    let code = match code::redeem(provider, presented).await? {
        Redemption::Fresh(code) => code,
        Redemption::Replayed { grant_id } => {
            tracing::warn!(client_id = %client.client_id, %grant_id, "authorization code replayed: grant revoked");
            grant::revoke(provider, &grant_id).await?;
            return Err(OAuthError::invalid_grant("the authorization code was already used"));
        }
        Redemption::Unknown => return Err(OAuthError::invalid_grant("unknown or expired authorization code")),
    };
    // The code is bound to the client it was issued to and to the redirect URI it went to.
    if code.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    if params.get("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant("redirect_uri does not match the authorization request"));
    }
    pkce::verify(code.code_challenge.as_deref(), params.get("code_verifier"))?;
    // RFC 9449 §10: a code requested for a DPoP key is redeemed with a proof of that key.
    if code.dpop_jkt.is_some() && code.dpop_jkt.as_deref() != jkt {
        return Err(OAuthError::invalid_grant("the authorization code is bound to another DPoP key"));
    }
    let resource = match (params.get("resource"), &code.resource) {
        (Some(asked), Some(authorized)) if asked != authorized => {
            return Err(OAuthError::new(
                crate::oauth::error::ErrorCode::InvalidTarget,
                "resource differs from the authorized one",
            ));
        }
        (Some(asked), None) => Some(check_resource(client, asked)?),
        (_, authorized) => authorized.clone(),
    };
    let user = user::find(&provider.db, &code.user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| OAuthError::invalid_grant("the account is no longer active"))?;
    grant::create(provider, &code, jkt).await?;

    let sub = subject::for_client(client, &user.id, provider.keys().pairwise_secret());
    let (access_token, expires_in) = access_token::issue(
        provider,
        NewAccessToken {
            client_id: &client.client_id,
            sub: &sub,
            audience: user_token_audience(provider, resource.as_deref()),
            scope: &code.scopes,
            grant_id: Some(&code.grant_id),
            auth_time: Some(code.auth_time),
            acr: Some(&code.acr),
            jkt,
        },
    )?;
    let id_token = if code.scopes.contains(OPENID) {
        let mut extra = claims::values(&user, code.claims.id_token.keys());
        crate::federation::assurance::add(&provider.db, &user.id, &code.claims.id_token, &mut extra).await?;
        let granted = crate::consent::granted(&provider.db, &user.id, &client.client_id, provider.now()).await?;
        crate::consent::withhold(&mut extra, &granted);
        Some(id_token::issue(
            provider,
            client,
            IdTokenFacts {
                sub: &sub,
                nonce: code.nonce.as_deref(),
                auth_time: code.auth_time,
                acr: &code.acr,
                amr: &code.amr,
                sid: &code.sid,
                access_token: Some(&access_token),
                extra,
            },
        )?)
    } else {
        None
    };
    // Encrypted for the client when it registered for it (OIDC Core §10.2).
    let id_token = match id_token {
        Some(signed) => Some(crate::oauth::encryption::seal_id_token(provider, client, signed).await?),
        None => None,
    };
    let refresh_token = if code.scopes.contains(OFFLINE_ACCESS) && client.allows(GrantType::RefreshToken) {
        Some(grant::issue_refresh_token(provider, &code.grant_id).await?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: super::token_type(jkt),
        expires_in,
        id_token,
        refresh_token,
        scope: code.scopes.to_string(),
    })
}
