//! Authorization codes (RFC 6749 §4.1.2): 256-bit, single use, short-lived, stored by digest.
//!
//! Redemption atomically replaces the code by a tombstone naming its grant, so a replay is
//! refused *and* revokes every token the first redemption issued (RFC 6749 §4.1.2: "SHOULD
//! revoke (when possible) all tokens previously issued based on that authorization code").

use serde::{Deserialize, Serialize};

use super::authorize::AuthorizationRequest;
use super::claims::ClaimsRequest;
use super::client::Client;
use super::error::OAuthError;
use super::scope::Scopes;
use crate::identity::session::{self, Session};
use crate::provider::Provider;
use crate::secrets;
use crate::store::ephemeral::Taken;

/// What a code stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    /// Chosen at issuance, so the tombstone can name it before the grant row exists.
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scopes: Scopes,
    pub claims: ClaimsRequest,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    pub sid: String,
    pub code_challenge: Option<String>,
    pub resource: Option<String>,
    /// RFC 9449 §10: the DPoP key the code must be redeemed with.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    pub expires_at: i64,
}

fn key(code: &str) -> String {
    format!("code:{}", secrets::digest(code))
}

pub async fn issue(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    session: &Session,
) -> Result<String, OAuthError> {
    let now = provider.now();
    let lifetime = provider.config.lifetimes.authorization_code;
    let grant = CodeGrant {
        grant_id: uuid::Uuid::now_v7().to_string(),
        client_id: client.client_id.clone(),
        redirect_uri: request.target.redirect_uri.clone(),
        user_id: session.user_id.clone(),
        scopes: request.scopes.clone(),
        claims: request.claims.clone(),
        nonce: request.nonce.clone(),
        auth_time: session.auth_time,
        acr: session.acr.clone(),
        amr: session.amr.clone(),
        sid: super::logout::client_sid(provider.keys().pairwise_secret(), &session.sid, &client.client_id),
        code_challenge: request.code_challenge.clone(),
        resource: request.resource.clone(),
        dpop_jkt: request.dpop_jkt.clone(),
        expires_at: now + lifetime,
    };
    // Remember that this client is part of the session (to notify it at logout) under the sid
    // it alone sees.
    session::record_client(
        &provider.ephemeral,
        session,
        &client.client_id,
        &grant.sid,
        now,
        &provider.config.lifetimes,
    )
    .await?;
    let code = secrets::new_secret();
    let json = serde_json::to_string(&grant).map_err(|_| OAuthError::server_error())?;
    provider.ephemeral.put_single_use(&key(&code), json, grant.grant_id.clone(), lifetime).await?;
    Ok(code)
}

/// The outcome of presenting a code.
#[derive(Debug)]
pub enum Redemption {
    Fresh(Box<CodeGrant>),
    /// Already redeemed: the grant issued by the first redemption.
    Replayed {
        grant_id: String,
    },
    Unknown,
}

pub async fn redeem(provider: &Provider, code: &str) -> Result<Redemption, OAuthError> {
    if code.len() > 128 {
        return Ok(Redemption::Unknown);
    }
    let lifetimes = &provider.config.lifetimes;
    // The tombstone outlives the code: as long as tokens from the first redemption are valid.
    let tombstone_ttl = lifetimes.authorization_code.max(lifetimes.access_token);
    match provider.ephemeral.take(&key(code), tombstone_ttl).await? {
        Taken::Missing => Ok(Redemption::Unknown),
        Taken::AlreadyTaken(grant_id) => Ok(Redemption::Replayed { grant_id }),
        Taken::Value(json) => {
            let grant: CodeGrant = serde_json::from_str(&json).map_err(|_| OAuthError::server_error())?;
            if grant.expires_at <= provider.now() {
                return Ok(Redemption::Unknown);
            }
            Ok(Redemption::Fresh(Box::new(grant)))
        }
    }
}
