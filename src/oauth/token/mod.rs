//! The token endpoint (RFC 6749 §3.2, §5): authenticate the client, then run its grant.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use serde::Serialize;

use super::client::GrantType;
use super::client_auth;
use super::discovery::paths;
use super::dpop;
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

/// The `token_type` of a response (RFC 9449 §5.1): `DPoP` when the access token is bound.
fn token_type(jkt: Option<&str>) -> &'static str {
    if jkt.is_some() { "DPoP" } else { "Bearer" }
}

/// Runs a token request; `dpop` is the request's `DPoP` header, if any.
pub async fn exchange(
    provider: &Provider,
    authorization: Option<&str>,
    dpop: Option<&str>,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = params.required("grant_type")?;
    let grant = GrantType::parse(grant_type)
        .ok_or_else(|| OAuthError::new(ErrorCode::UnsupportedGrantType, "unsupported grant_type"))?;
    let client = client_auth::authenticate(provider, authorization, params).await?;
    if !client.allows(grant) {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "this client may not use this grant type"));
    }
    let jkt = match dpop {
        Some(proof) => {
            let target = dpop::Target { method: "POST", url: &provider.url(paths::TOKEN), access_token: None };
            Some(dpop::verify(provider, proof, target).await?)
        }
        None if client.metadata.dpop_bound_access_tokens => {
            return Err(OAuthError::new(ErrorCode::InvalidDpopProof, "this client must send a DPoP proof"));
        }
        None => None,
    };
    let jkt = jkt.as_deref();
    let response = match grant {
        GrantType::AuthorizationCode => authorization_code::exchange(provider, &client, params, jkt).await,
        GrantType::RefreshToken => refresh_token::exchange(provider, &client, params, jkt).await,
        GrantType::ClientCredentials => client_credentials::exchange(provider, &client, params, jkt).await,
    }?;
    crate::telemetry::token_issued(grant.as_str());
    Ok(response)
}

/// The audience of a resident's access token: the resource asked for, or our userinfo API.
fn user_token_audience(provider: &Provider, resource: Option<&str>) -> Vec<String> {
    vec![resource.unwrap_or(provider.issuer()).to_owned()]
}
