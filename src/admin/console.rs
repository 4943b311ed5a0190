//! The administration console's sign-in and sessions. The console is a client of this very
//! provider (`glc-console`, the Métropole's, registered at every start): it signs
//! administrators in with the authorization code flow, PKCE and a nonce, asks for multi-factor
//! (`acr_values=glc:mfa`) and refuses an ID token without it. The code is redeemed by the token
//! endpoint's own function, in process (the console never calls itself over HTTP). Then the
//! console keeps its own short session, which ends with the grant behind it (the administrator
//! signed out everywhere, or was disabled) and whose roles are read again at every request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::caller::{Acting, Caller};
use super::error::AdminError;
use super::roles::{self, ADMIN_SCOPES};
use crate::audit::{self, Actor, Event};
use crate::identity::{ACR_MFA, session, user};
use crate::oauth::client::{self, AuthMethod, ClientSpec, GrantType, RegistrationError, SubjectType};
use crate::oauth::error::ErrorCode;
use crate::oauth::params::Params;
use crate::oauth::scope::Scopes;
use crate::oauth::{access_token, grant};
use crate::provider::Provider;
use crate::secrets;

/// The console's client id.
pub const CLIENT_ID: &str = "glc-console";
/// Where the provider sends the administrator back with the code.
pub const CALLBACK_PATH: &str = "/admin/console/callback";
/// How long a console session lasts, whatever happens in it (an administrator's session is
/// short: one hour, then a new sign-in with the second factor).
pub const SESSION_SECONDS: i64 = 3600;
/// How long a sign-in may take between the console and the provider's pages.
const LOGIN_SECONDS: i64 = 600;

fn login_key(state: &str) -> String {
    format!("console-login:{state}")
}

fn session_key(id: &str) -> String {
    format!("console-session:{id}")
}

/// What the console's registration must be; re-applied at every start, so the redirect URI
/// follows the issuer and nobody can leave the console misconfigured.
fn spec(provider: &Provider) -> Result<ClientSpec, RegistrationError> {
    let scopes =
        Scopes::parse("openid").map_err(|_| RegistrationError::Invalid { field: "scope", why: "openid".into() })?;
    Ok(ClientSpec {
        client_id: Some(CLIENT_ID.to_owned()),
        name: "Console d’administration GrandLyon Connect".to_owned(),
        partner_id: Some(crate::partners::METROPOLE_ID.to_owned()),
        redirect_uris: vec![provider.url(CALLBACK_PATH)],
        grant_types: vec![GrantType::AuthorizationCode],
        auth_method: AuthMethod::None,
        scopes: Some(scopes),
        subject_type: SubjectType::Public,
        require_pkce: true,
        ..ClientSpec::default()
    })
}

/// Registers the console as a client, or puts its registration back as it must be.
pub async fn ensure_client(provider: &Provider) -> Result<(), RegistrationError> {
    let wanted = spec(provider)?;
    for _ in 0..3 {
        match client::find(&provider.db, CLIENT_ID).await? {
            Some(current) => {
                let actual = current.to_spec();
                if actual.redirect_uris == wanted.redirect_uris
                    && actual.grant_types == wanted.grant_types
                    && actual.auth_method == wanted.auth_method
                    && actual.scopes == wanted.scopes
                    && actual.require_pkce
                {
                    return Ok(());
                }
                match client::update_by_admin(&provider.db, &current, wanted.clone(), current.version).await {
                    Ok(_) => return Ok(()),
                    // Another instance repaired it meanwhile: look again.
                    Err(client::AdminUpdateError::Changed) => continue,
                    Err(client::AdminUpdateError::Invalid(e)) => return Err(e),
                }
            }
            None => match client::register(&provider.db, wanted.clone(), provider.now()).await {
                Ok(_) => return Ok(()),
                // Another instance registered it meanwhile: look again.
                Err(RegistrationError::Store(crate::store::StoreError::Conflict { .. })) => continue,
                Err(e) => return Err(e),
            },
        }
    }
    Ok(())
}

/// A sign-in under way: what the callback checks the answer against.
#[derive(Serialize, Deserialize)]
struct PendingLogin {
    nonce: String,
    verifier: String,
}

/// Starts a sign-in: the `state` that binds it to the browser, and where to send the browser.
pub async fn start_login(provider: &Provider) -> Result<(String, String), AdminError> {
    let state = secrets::random_token(32);
    let pending = PendingLogin { nonce: secrets::random_token(32), verifier: secrets::random_token(48) };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pending.verifier.as_bytes()));
    let value = serde_json::to_string(&pending).map_err(|e| AdminError::Internal(e.to_string()))?;
    provider.ephemeral.put(&login_key(&state), value, LOGIN_SECONDS).await.map_err(unavailable)?;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", &provider.url(CALLBACK_PATH))
        .append_pair("scope", "openid")
        .append_pair("state", &state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("acr_values", ACR_MFA)
        .finish();
    let authorize = format!("{}?{query}", provider.url(crate::oauth::discovery::paths::AUTHORIZE));
    Ok((state, authorize))
}

/// Why a sign-in did not open a console session.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Too late, replayed, or not this browser's sign-in: start again.
    #[error("the sign-in expired or was not started here")]
    Expired,
    /// Signed in without a second factor.
    #[error("the console needs a sign-in with a second factor")]
    SecondFactorRequired,
    /// Signed in, but holds no administrative role.
    #[error("this account has no administrative role")]
    NotAnAdministrator,
    #[error(transparent)]
    Admin(#[from] AdminError),
}

fn unavailable(e: impl std::fmt::Display) -> AdminError {
    AdminError::Unavailable(e.to_string())
}

/// A console session just opened: its id (the cookie) and its CSRF token.
pub struct Opened {
    pub session_id: String,
    pub session: ConsoleSession,
}

/// Finishes the sign-in `state` (the browser's) with the provider's `code`: redeems it, checks
/// the ID token as any relying party would, and opens a console session.
pub async fn finish_login(
    provider: &Provider,
    state: &str,
    code: &str,
    origin: Option<String>,
) -> Result<Opened, LoginError> {
    let key = login_key(state);
    let pending = provider.ephemeral.get(&key).await.map_err(unavailable)?.ok_or(LoginError::Expired)?;
    provider.ephemeral.delete(&key).await.map_err(unavailable)?;
    let pending: PendingLogin = serde_json::from_str(&pending).map_err(|_| LoginError::Expired)?;
    let redirect_uri = provider.url(CALLBACK_PATH);
    let params = Params::from_pairs([
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", pending.verifier.as_str()),
    ]);
    let tokens = crate::oauth::token::exchange(provider, None, None, &params).await.map_err(|e| match e.code {
        ErrorCode::InvalidGrant | ErrorCode::InvalidRequest => LoginError::Expired,
        _ => LoginError::Admin(unavailable(e.description)),
    })?;
    let id_token = tokens.id_token.ok_or(LoginError::Expired)?;
    let claims = provider.keys().verify(&id_token).map_err(|_| LoginError::Expired)?.claims;
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == CLIENT_ID,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(CLIENT_ID)),
        _ => false,
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let fresh = claims.get("exp").and_then(Value::as_i64).is_some_and(|exp| exp > provider.now());
    if text("iss") != Some(provider.issuer())
        || !audience_ok
        || !fresh
        || !secrets::constant_time_eq(text("nonce").unwrap_or_default(), &pending.nonce)
    {
        return Err(LoginError::Expired);
    }
    if text("acr") != Some(ACR_MFA) {
        return Err(LoginError::SecondFactorRequired);
    }
    // The console's subjects are public: the account id.
    let user_id = text("sub").ok_or(LoginError::Expired)?.to_owned();
    let grant_id = access_token::verify(provider, &tokens.access_token)
        .ok()
        .and_then(|at| at.grant_id)
        .ok_or(LoginError::Expired)?;
    if roles::admin(&provider.db, &user_id).await.map_err(AdminError::from)?.is_none() {
        // The grant is of no use to anyone else.
        grant::revoke(provider, &grant_id).await.map_err(|e| unavailable(e.description))?;
        return Err(LoginError::NotAnAdministrator);
    }
    // The provider's session this sign-in belongs to: the console's ends with it.
    let sid = text("sid").ok_or(LoginError::Expired)?.to_owned();
    let email =
        user::find(&provider.db, &user_id).await.map_err(AdminError::from)?.map(|u| u.email).unwrap_or_default();
    let session = ConsoleSession {
        user_id,
        email,
        sid,
        grant_id,
        csrf: secrets::random_token(32),
        expires_at: provider.now() + SESSION_SECONDS,
    };
    let session_id = secrets::random_token(32);
    let value = serde_json::to_string(&session).map_err(|e| AdminError::Internal(e.to_string()))?;
    provider.ephemeral.put(&session_key(&session_id), value, SESSION_SECONDS).await.map_err(unavailable)?;
    let event = Event {
        client_id: Some(CLIENT_ID),
        origin: origin.as_deref(),
        details: json!({ "acr": ACR_MFA }),
        ..Event::new(Actor::Admin(&session.user_id), "console.signed_in")
    };
    audit::record(provider, event).await.map_err(AdminError::from)?;
    Ok(Opened { session_id, session })
}

/// A console session: whose, the grant it rests on, and the token its forms carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsoleSession {
    pub user_id: String,
    /// Shown in the console's header.
    pub email: String,
    /// The ID token's `sid`: the provider's session it came from.
    pub sid: String,
    pub grant_id: String,
    pub csrf: String,
    pub expires_at: i64,
}

/// The session `session_id` and its administrator, while the session, its grant, the account
/// and at least one role last; `None` otherwise (the session is then forgotten).
pub async fn resume(
    provider: &Provider,
    session_id: &str,
    origin: Option<String>,
) -> Result<Option<(ConsoleSession, Caller)>, AdminError> {
    if session_id.len() != 43 {
        return Ok(None);
    }
    let key = session_key(session_id);
    let Some(stored) = provider.ephemeral.get(&key).await.map_err(unavailable)? else { return Ok(None) };
    let Ok(session) = serde_json::from_str::<ConsoleSession>(&stored) else { return Ok(None) };
    let (now, lifetimes) = (provider.now(), &provider.config.lifetimes);
    let live = session.expires_at > now
        && provider_session_lives(provider, &session.sid, now, lifetimes).await?
        && grant::find_active(provider, &session.grant_id).await.map_err(|e| unavailable(e.description))?.is_some()
        && user::find(&provider.db, &session.user_id).await?.is_some_and(|u| !u.disabled);
    let admin = if live { roles::admin(&provider.db, &session.user_id).await? } else { None };
    let Some(admin) = admin else {
        provider.ephemeral.delete(&key).await.map_err(unavailable)?;
        return Ok(None);
    };
    let scopes = Scopes::parse(&ADMIN_SCOPES.join(" ")).map_err(|e| AdminError::Internal(e.description.into()))?;
    let caller = Caller { admin, scopes, acting: Acting::Account(session.user_id.clone()), origin };
    Ok(Some((session, caller)))
}

/// Whether the provider's session behind `sid` is still open (signing out of the provider, on
/// any device or everywhere, ends the console's session too); activity in the console keeps it
/// open, as activity on the provider's pages does.
async fn provider_session_lives(
    provider: &Provider,
    sid: &str,
    now: i64,
    lifetimes: &crate::config::Lifetimes,
) -> Result<bool, AdminError> {
    let Some(handle) = session::handle_of_client_sid(&provider.ephemeral, sid).await.map_err(unavailable)? else {
        return Ok(false);
    };
    Ok(session::keep_alive(&provider.ephemeral, &handle, now, lifetimes).await.map_err(unavailable)?.is_some())
}

/// Signs out of the console and of the provider's session it came from (RP-initiated logout:
/// on a shared computer, nobody may walk back into the console with one click); the other
/// services of that session are told by back-channel.
pub async fn end(
    provider: &Provider,
    session_id: &str,
    console: &ConsoleSession,
    caller: &Caller,
) -> Result<(), AdminError> {
    provider.ephemeral.delete(&session_key(session_id)).await.map_err(unavailable)?;
    let (now, lifetimes) = (provider.now(), &provider.config.lifetimes);
    if let Some(handle) = session::handle_of_client_sid(&provider.ephemeral, &console.sid).await.map_err(unavailable)?
        && let Some(sso) =
            session::by_handle(&provider.ephemeral, &handle, now, lifetimes).await.map_err(unavailable)?
    {
        crate::oauth::logout::end(provider, &sso).await.map_err(|e| unavailable(e.detail))?;
    }
    let event = Event {
        client_id: Some(CLIENT_ID),
        origin: caller.origin.as_deref(),
        ..Event::new(caller.actor(), "console.signed_out")
    };
    audit::record(provider, event).await?;
    Ok(())
}
