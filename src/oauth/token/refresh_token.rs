//! The refresh token grant (RFC 6749 §6, OIDC Core §12), with rotation and reuse detection
//! (RFC 9700 §4.14.2): each use returns a new refresh token; presenting a rotated one again
//! (outside the client's grace window) revokes the whole grant, since either the client or an
//! attacker holds a stolen copy.

use super::{TokenResponse, user_token_audience};
use crate::identity::user;
use crate::oauth::access_token::{self, NewAccessToken};
use crate::oauth::claims::{self, ClaimsRequest};
use crate::oauth::client::Client;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::id_token::{self, IdTokenFacts};
use crate::oauth::params::Params;
use crate::oauth::scope::{OPENID, Scopes};
use crate::oauth::{grant, subject};
use crate::provider::Provider;
use crate::secrets;
use crate::store::refresh_tokens;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let presented = params.required("refresh_token")?;
    let invalid = || OAuthError::invalid_grant("invalid, expired or revoked refresh token");
    let now = provider.now();
    let row = refresh_tokens::find_by_digest(&provider.db, &secrets::digest(presented)).await?.ok_or_else(invalid)?;
    let grant_row = grant::find_active(provider, &row.grant_id).await?.ok_or_else(invalid)?;
    // A refresh token is bound to the client it was issued to (RFC 6749 §10.4).
    if grant_row.client_id != client.client_id || row.expires_at <= now {
        return Err(invalid());
    }
    // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key.
    let bound_key = grant_row.dpop_jkt.as_deref().filter(|_| client.is_public());
    if bound_key.is_some() && bound_key != jkt {
        return Err(OAuthError::new(ErrorCode::InvalidDpopProof, "the refresh token is bound to another DPoP key"));
    }
    // The resident's decisions as they are now: a consent expired or withdrawn ends the grant.
    let consented = crate::consent::granted(&provider.db, &grant_row.user_id, &client.client_id, now).await?;
    if !consented.contains(crate::consent::catalogue::IDENTITY.key) {
        return Err(OAuthError::invalid_grant("the resident's consent expired or was withdrawn"));
    }
    // Sender-constrained refresh tokens cannot be replayed by a thief: they are not rotated
    // (FAPI 2.0 §5.3.2.1), everyone else's are.
    let rotate = client.rotate_refresh_tokens && bound_key.is_none() && !client.metadata.dpop_bound_access_tokens;
    if rotate {
        let within_grace =
            client.refresh_grace_seconds > 0 && row.rotated_at.is_some_and(|t| now - t <= client.refresh_grace_seconds);
        let won = row.rotated_at.is_none() && refresh_tokens::mark_rotated(&provider.db, &row.digest, now).await?;
        if !won && !within_grace {
            tracing::warn!(client_id = %client.client_id, grant_id = %grant_row.id, "refresh token reuse: grant revoked");
            grant::revoke(provider, &grant_row.id).await?;
            return Err(OAuthError::invalid_grant("refresh token already used"));
        }
    }
    let granted = Scopes::parse(&grant_row.scopes).map_err(|_| OAuthError::server_error())?;
    let scopes = match params.get("scope") {
        Some(asked) => {
            let asked = Scopes::parse(asked)?;
            if !asked.is_subset(&granted) {
                return Err(OAuthError::new(ErrorCode::InvalidScope, "scope exceeds the original grant"));
            }
            asked
        }
        None => granted,
    };
    let scopes = crate::consent::effective_scopes(&scopes, &consented);
    // The partner's offer, as it is today: a change holds for the next token.
    let audience = user_token_audience(provider, grant_row.resource.as_deref());
    crate::partners::offer::check(&provider.db, &provider.config.gru, client, &scopes, &audience).await?;
    let user = user::find(&provider.db, &grant_row.user_id).await?.filter(|u| !u.disabled).ok_or_else(invalid)?;
    let sub = subject::for_client(client, &user.id, provider.keys().pairwise_secret());
    let (access_token, expires_in) = access_token::issue(
        provider,
        NewAccessToken {
            client_id: &client.client_id,
            sub: &sub,
            audience,
            scope: &scopes,
            grant_id: Some(&grant_row.id),
            auth_time: Some(grant_row.auth_time),
            acr: Some(&grant_row.acr),
            jkt,
        },
    )?;
    let amr: Vec<String> = grant_row.amr.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let id_token = if scopes.contains(OPENID) {
        let claims_request: ClaimsRequest = serde_json::from_str(&grant_row.claims).unwrap_or_default();
        let mut extra = claims::values(&user, claims_request.id_token.keys());
        crate::federation::assurance::add(&provider.db, &user.id, &claims_request.id_token, &mut extra).await?;
        crate::consent::withhold(&mut extra, &consented);
        Some(id_token::issue(
            provider,
            client,
            IdTokenFacts {
                sub: &sub,
                nonce: None,
                auth_time: grant_row.auth_time,
                acr: &grant_row.acr,
                amr: &amr,
                sid: &grant_row.sid,
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
    let refresh_token = if rotate { Some(grant::issue_refresh_token(provider, &grant_row.id).await?) } else { None };
    Ok(TokenResponse {
        access_token,
        token_type: super::token_type(jkt),
        expires_in,
        id_token,
        refresh_token,
        scope: scopes.to_string(),
    })
}
