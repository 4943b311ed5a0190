//! Pushed authorization requests (RFC 9126): the client sends its authorization request
//! straight to us, authenticated, and gets a one-time `request_uri` to send the browser with.
//! The request is validated now (errors in the response, not in a browser) and again when
//! used.

use serde::Serialize;

use super::authorize;
use super::client_auth;
use super::discovery::paths;
use super::dpop;
use super::error::{AuthorizeError, ErrorCode, OAuthError, PageErrorKind};
use super::params::Params;
use super::request_object::{self, PUSHED_LIFETIME_SECONDS};
use crate::provider::Provider;

/// RFC 9126 §2.2.
#[derive(Debug, Serialize)]
pub struct PushedResponse {
    pub request_uri: String,
    pub expires_in: i64,
}

/// Validates and stores a pushed request; `dpop` is the request's `DPoP` header, which binds
/// the future code to its key (RFC 9449 §10.1).
pub async fn push(
    provider: &Provider,
    authorization: Option<&str>,
    dpop: Option<&str>,
    form: &Params,
) -> Result<PushedResponse, OAuthError> {
    let client = client_auth::authenticate(provider, authorization, form).await?;
    let mut params = request_object::pushed_params(provider, &client, form).await?;
    if let Some(proof) = dpop {
        let target = dpop::Target { method: "POST", url: &provider.url(paths::PAR), access_token: None };
        let jkt = dpop::verify(provider, proof, target).await?;
        if params.get("dpop_jkt").is_some_and(|asked| asked != jkt) {
            return Err(OAuthError::new(ErrorCode::InvalidDpopProof, "dpop_jkt is not the proof's key"));
        }
        params.insert("dpop_jkt", jkt);
    }
    authorize::validate_for(provider, &client, &params).await.map_err(|e| match e {
        AuthorizeError::Redirect { error, .. } => error,
        AuthorizeError::Page(page) if page.kind == PageErrorKind::InvalidClient => {
            OAuthError::new(ErrorCode::UnauthorizedClient, page.detail)
        }
        AuthorizeError::Page(page) => OAuthError::invalid_request(page.detail),
    })?;
    let request_uri = request_object::push(provider, &client, params).await?;
    Ok(PushedResponse { request_uri, expires_in: PUSHED_LIFETIME_SECONDS })
}
