//! The token endpoint (RFC 6749 §3.2, §5): authenticate the client, then run its grant.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use serde::Serialize;

use super::client::GrantType;
use super::client_auth;
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use crate::provider::Provider;

/// RFC 6749 §5.1.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

pub async fn exchange(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = params.required("grant_type")?;
    let grant = GrantType::parse(grant_type)
        .ok_or_else(|| OAuthError::new(ErrorCode::UnsupportedGrantType, "unsupported grant_type"))?;
    let client = client_auth::authenticate(provider, authorization, params).await?;
    if !client.allows(grant) {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "this client may not use this grant type"));
    }
    let response = match grant {
        GrantType::AuthorizationCode => authorization_code::exchange(provider, &client, params).await,
        GrantType::RefreshToken => refresh_token::exchange(provider, &client, params).await,
        GrantType::ClientCredentials => client_credentials::exchange(provider, &client, params).await,
    }?;
    crate::telemetry::token_issued(grant.as_str());
    Ok(response)
}

/// The audience of a resident's access token: the resource asked for, or our userinfo API.
fn user_token_audience(provider: &Provider, resource: Option<&str>) -> Vec<String> {
    vec![resource.unwrap_or(provider.issuer()).to_owned()]
}
