//! The UserInfo endpoint (OIDC Core §5.3): the resident's claims for a valid access token.

use serde_json::{Map, Value};

use super::access_token;
use super::claims::{self, ClaimsRequest};
use super::client;
use super::dpop::{self, Presentation};
use super::encryption;
use super::error::{ErrorCode, OAuthError};
use super::scope::OPENID;
use super::{grant, subject};
use crate::identity::user;
use crate::provider::Provider;
use crate::signing::SigningAlg;

/// What the endpoint answers: JSON claims, or a JWT (`application/jwt`, OIDC Core §5.3.2) for a
/// client that registered `userinfo_signed_response_alg` (signed) and/or
/// `userinfo_encrypted_response_alg` (encrypted, signed first when both).
#[derive(Debug)]
pub enum UserInfo {
    Claims(Map<String, Value>),
    Jwt(String),
}

pub async fn respond(provider: &Provider, token: &str, presented: Presentation<'_>) -> Result<UserInfo, OAuthError> {
    let (mut claims, client) = claims_for(provider, token, presented).await?;
    let signing = client.metadata.userinfo_signed_response_alg.as_deref().and_then(SigningAlg::parse);
    let encryption = client.metadata.userinfo_encrypted_response_alg.as_deref();
    if signing.is_none() && encryption.is_none() {
        return Ok(UserInfo::Claims(claims));
    }
    // A signed or encrypted response names its issuer and audience (OIDC Core §5.3.2).
    claims.insert("iss".into(), provider.issuer().into());
    claims.insert("aud".into(), client.client_id.clone().into());
    let signed = signing.map(|alg| provider.keys().sign(alg, None, &claims)).transpose()?;
    let Some(alg) = encryption else {
        return Ok(UserInfo::Jwt(signed.unwrap_or_default()));
    };
    let enc = client.metadata.userinfo_encrypted_response_enc.as_deref();
    let sealed = match &signed {
        Some(jwt) => encryption::encrypt(provider, &client, alg, enc, jwt.as_bytes(), true).await?,
        None => {
            let json = serde_json::to_vec(&claims).map_err(|_| OAuthError::server_error())?;
            encryption::encrypt(provider, &client, alg, enc, &json, false).await?
        }
    };
    Ok(UserInfo::Jwt(sealed))
}

async fn claims_for(
    provider: &Provider,
    token: &str,
    presented: Presentation<'_>,
) -> Result<(Map<String, Value>, client::Client), OAuthError> {
    let invalid = || OAuthError::invalid_token("the access token is invalid, expired or revoked");
    let at = access_token::verify(provider, token)?;
    dpop::check_presentation(provider, at.jkt.as_deref(), token, presented).await?;
    // Only tokens whose audience is this provider's own API are accepted here: a token minted
    // for a commune's API (RFC 8707) is not a userinfo token.
    if !at.aud.iter().any(|a| a == provider.issuer()) {
        return Err(invalid());
    }
    if !at.scope.contains(OPENID) {
        return Err(OAuthError::new(ErrorCode::InsufficientScope, "the access token lacks the openid scope"));
    }
    let grant_id = at.grant_id.as_deref().ok_or_else(invalid)?;
    // Revoked itself, or through its grant (which is read here anyway).
    if access_token::is_revoked_itself(provider, &at).await? {
        return Err(invalid());
    }
    let grant = grant::find_active(provider, grant_id).await?.ok_or_else(invalid)?;
    let user = user::find(&provider.db, &grant.user_id).await?.filter(|u| !u.disabled).ok_or_else(invalid)?;
    let client = provider.clients.find(&provider.db, &grant.client_id).await?.ok_or_else(invalid)?;
    let claims_request: ClaimsRequest = serde_json::from_str(&grant.claims).unwrap_or_default();
    let mut out = claims::values(&user, claims::userinfo_claim_names(&at.scope, &claims_request));
    crate::federation::assurance::add(&provider.db, &user.id, &claims_request.userinfo, &mut out).await?;
    // Only what the resident grants today: a piece withdrawn since the token was issued is not
    // released any more.
    let granted = crate::consent::granted(&provider.db, &user.id, &client.client_id, provider.now()).await?;
    crate::consent::withhold(&mut out, &granted);
    let keys = provider.keys();
    let secret = keys.pairwise_secret();
    let linked: std::collections::BTreeSet<String> =
        granted.into_iter().filter(|item| at.scope.contains(item)).collect();
    crate::consent::links::release(&mut out, &linked, &user.id, secret);
    out.insert("sub".into(), subject::for_client(&client, &user.id, secret).into());
    Ok((out, client))
}
