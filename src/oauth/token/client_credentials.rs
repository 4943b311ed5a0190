//! The client credentials grant (RFC 6749 §4.4): a confidential client acting on its own
//! behalf, for the APIs it registered. No resident, so no ID token, no refresh token, and none
//! of the OpenID Connect scopes.

use super::TokenResponse;
use crate::oauth::access_token::{self, NewAccessToken};
use crate::oauth::authorize::check_resource;
use crate::oauth::client::Client;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::params::Params;
use crate::oauth::scope::{STANDARD_SCOPES, Scopes};
use crate::provider::Provider;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "public clients cannot use client_credentials"));
    }
    let mut allowed = client.scopes.clone();
    for user_scope in STANDARD_SCOPES {
        allowed.remove(user_scope);
    }
    let scopes = match params.get("scope") {
        Some(asked) => {
            let asked = Scopes::parse(asked)?;
            if !asked.is_subset(&allowed) {
                return Err(OAuthError::new(ErrorCode::InvalidScope, "scope not allowed for client credentials"));
            }
            asked
        }
        None => allowed,
    };
    let audience = match params.get("resource") {
        Some(resource) => vec![check_resource(client, resource)?],
        None => match client.resources.first() {
            Some(default) => vec![default.clone()],
            None => vec![provider.issuer().to_owned()],
        },
    };
    crate::partners::offer::check(&provider.db, &provider.config.gru, client, &scopes, &audience).await?;
    let (access_token, expires_in) = access_token::issue(
        provider,
        NewAccessToken {
            client_id: &client.client_id,
            sub: &client.client_id,
            audience,
            scope: &scopes,
            grant_id: None,
            auth_time: None,
            acr: None,
            jkt,
        },
    )?;
    Ok(TokenResponse {
        access_token,
        token_type: super::token_type(jkt),
        expires_in,
        id_token: None,
        refresh_token: None,
        scope: scopes.to_string(),
    })
}
