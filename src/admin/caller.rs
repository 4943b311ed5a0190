//! Who calls the admin API, from their access token (RFC 9068): an administrator's account
//! (a token from the console's login, with the roles of that account), or a client acting for its
//! partner (`client_credentials`, for scripts: the Métropole's clients act as the Métropole's
//! administrator, a commune's as that commune's). Either way the token's scopes narrow what the
//! role allows: each permission has its scope (`Permission::scope`).

use super::error::AdminError;
use super::roles::{self, Admin, Permission, Role};
use crate::audit::Actor;
use crate::oauth::dpop::{self, Presentation};
use crate::oauth::error::OAuthError;
use crate::oauth::scope::Scopes;
use crate::oauth::{access_token, client, grant};
use crate::provider::Provider;

/// Who the caller is, for the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acting {
    Account(String),
    Client(String),
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub admin: Admin,
    pub scopes: Scopes,
    pub acting: Acting,
    /// The request's address, for the journal.
    pub origin: Option<String>,
}

impl Caller {
    /// Allowed by the role and by the token's scope; otherwise says which is missing.
    pub fn require(&self, permission: Permission<'_>) -> Result<(), AdminError> {
        if !self.scopes.contains(permission.scope()) {
            return Err(AdminError::InsufficientScope(permission.scope()));
        }
        if !self.admin.may(permission) {
            return Err(AdminError::Forbidden);
        }
        Ok(())
    }

    pub fn actor(&self) -> Actor<'_> {
        match &self.acting {
            Acting::Account(id) => Actor::Admin(id),
            Acting::Client(id) => Actor::Client(id),
        }
    }

    /// Whether the caller may see `partner_id`'s things at all.
    pub fn sees_partner(&self, partner_id: &str) -> bool {
        self.admin.partners().is_none_or(|own| own.contains(&partner_id))
    }
}

/// The caller behind `token`, or why there is none.
pub async fn from_token(
    provider: &Provider,
    token: &str,
    presented: Presentation<'_>,
    origin: Option<String>,
) -> Result<Caller, AdminError> {
    let invalid = || AdminError::Token(OAuthError::invalid_token("the access token is invalid, expired or revoked"));
    let at = access_token::verify(provider, token).map_err(|_| invalid())?;
    // A DPoP-bound token needs its proof (RFC 9449 §7).
    dpop::check_presentation(provider, at.jkt.as_deref(), token, presented).await?;
    // A token for a commune's API (RFC 8707) is not a token for ours.
    if !at.aud.iter().any(|a| a == provider.issuer()) || access_token::is_revoked(provider, &at).await? {
        return Err(invalid());
    }
    let (admin, acting) = match &at.grant_id {
        Some(grant_id) => {
            let grant = grant::find_active(provider, grant_id).await?.ok_or_else(invalid)?;
            let user = crate::identity::user::find(&provider.db, &grant.user_id).await?;
            if user.is_none_or(|u| u.disabled) {
                return Err(invalid());
            }
            let admin = roles::admin(&provider.db, &grant.user_id).await?.ok_or(AdminError::Forbidden)?;
            (admin, Acting::Account(grant.user_id))
        }
        None => {
            let found = client::find(&provider.db, &at.client_id).await?.ok_or_else(invalid)?;
            let role = if found.partner_id == crate::partners::METROPOLE_ID {
                Role::MetropoleAdmin
            } else {
                Role::CommuneAdmin(found.partner_id.clone())
            };
            (Admin { user_id: String::new(), roles: vec![role] }, Acting::Client(found.client_id))
        }
    };
    Ok(Caller { admin, scopes: at.scope, acting, origin })
}
