//! The authorization flow between a validated request and its response: decide whether the
//! resident must log in, must consent, or can be sent back to the client with a code, and
//! keep the request across the login and consent pages as an *interaction*.

use serde::{Deserialize, Serialize};

use super::authorize::AuthorizationRequest;
use super::client::Client;
use super::error::{ErrorCode, OAuthError};
use super::response::AuthorizationResponse;
use super::subject;
use crate::consent;
use crate::identity::session::Session;
use crate::provider::Provider;
use crate::secrets;

/// An authorization request waiting for the resident, stored short-lived under a random id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Interaction {
    pub request: AuthorizationRequest,
    /// Echoed by the login and consent forms (CSRF).
    pub csrf: String,
    /// Digest of the value of the binding cookie set on the browser that started the flow: an
    /// interaction id leaked or planted elsewhere is useless without it.
    pub binding_digest: String,
    /// `fr` or `en`, chosen once from `ui_locales` then `Accept-Language`.
    pub locale: String,
    /// Set once the resident authenticated within this interaction (so `prompt=login` and
    /// `max_age` are satisfied by that login and do not loop).
    pub authenticated: bool,
    pub expires_at: i64,
}

fn key(id: &str) -> String {
    format!("interaction:{id}")
}

/// Stores a new interaction; returns its id and the binding cookie value.
pub async fn start(
    provider: &Provider,
    request: AuthorizationRequest,
    locale: &str,
) -> Result<(String, String, Interaction), OAuthError> {
    let id = secrets::random_token(24);
    let binding = secrets::new_secret();
    let interaction = Interaction {
        request,
        csrf: secrets::new_secret(),
        binding_digest: secrets::digest(&binding),
        locale: locale.to_owned(),
        authenticated: false,
        expires_at: provider.now() + provider.config.lifetimes.interaction,
    };
    save(provider, &id, &interaction).await?;
    Ok((id, binding, interaction))
}

pub async fn save(provider: &Provider, id: &str, interaction: &Interaction) -> Result<(), OAuthError> {
    let json = serde_json::to_string(interaction).map_err(|_| OAuthError::server_error())?;
    let ttl = (interaction.expires_at - provider.now()).max(1);
    provider.ephemeral.put(&key(id), json, ttl).await?;
    Ok(())
}

/// The interaction `id`, if it exists and belongs to the browser presenting `binding`.
pub async fn load(provider: &Provider, id: &str, binding: Option<&str>) -> Result<Option<Interaction>, OAuthError> {
    if id.len() > 64 {
        return Ok(None);
    }
    let Some(json) = provider.ephemeral.get(&key(id)).await? else { return Ok(None) };
    let Ok(interaction) = serde_json::from_str::<Interaction>(&json) else { return Ok(None) };
    if interaction.expires_at <= provider.now() {
        return Ok(None);
    }
    match binding {
        Some(b) if secrets::matches_digest(b, &interaction.binding_digest) => Ok(Some(interaction)),
        _ => Ok(None),
    }
}

pub async fn finish(provider: &Provider, id: &str) -> Result<(), OAuthError> {
    Ok(provider.ephemeral.delete(&key(id)).await?)
}

/// What happens next for a request.
#[derive(Debug)]
pub enum Step {
    Login,
    Consent,
    Respond(AuthorizationResponse),
}

/// Decides the next step for `request` given the browser's session.
///
/// `authenticated_here`: the resident just logged in for this very request; `consented_here`:
/// they just agreed on the consent page.
pub async fn next_step(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    session: Option<&Session>,
    authenticated_here: bool,
    consented_here: bool,
) -> Result<Step, OAuthError> {
    let now = provider.now();
    let issuer = provider.issuer();
    let refuse = |code: ErrorCode, description: &'static str| {
        Ok(Step::Respond(request.target.error(&OAuthError::new(code, description), issuer)))
    };
    let session = match session {
        Some(s) if authenticated_here || session_satisfies(provider, client, request, s, now) => s,
        Some(_) | None if request.prompt.none => return refuse(ErrorCode::LoginRequired, "the resident must log in"),
        _ => return Ok(Step::Login),
    };
    // A client asking for FranceConnect's level (`eidas1`…) gets the resident sent through
    // FranceConnect when the session is weaker (step-up).
    if let Some(level) = wanted_eidas_level(provider, request)
        && !authenticated_here
        && (!crate::federation::client::acr_satisfies(&session.acr, &level)
            || provider.franceconnect.level_expired(&level, session.auth_time, now))
    {
        if request.prompt.none {
            return refuse(ErrorCode::InteractionRequired, "the client asks for a FranceConnect login");
        }
        return Ok(Step::Login);
    }
    // A client asking for multi-factor gets a new login with the second factor from a resident
    // who has one (a resident without one goes on with the password alone).
    let wants_mfa = request.acr_values.iter().any(|v| v == crate::identity::ACR_MFA)
        || request.claims.essential_acr_values().is_some_and(|v| v.iter().any(|a| a == crate::identity::ACR_MFA));
    if wants_mfa
        && session.acr != crate::identity::ACR_MFA
        && !authenticated_here
        && crate::identity::mfa::second_factors(provider, &session.user_id)
            .await
            .map_err(|_| OAuthError::unavailable())?
            .any()
    {
        if request.prompt.none {
            return refuse(ErrorCode::InteractionRequired, "the client asks for a second factor");
        }
        return Ok(Step::Login);
    }
    if let Some(values) = request.claims.essential_acr_values()
        && !values.contains(&session.acr)
    {
        // OIDC Core §5.5.1.1: an unmet essential acr is a failed authentication.
        return refuse(ErrorCode::AccessDenied, "the requested authentication context cannot be satisfied");
    }
    let asked = asked_pieces(provider, client, request).await?;
    let policy = &provider.config.consent.policy_version;
    let remembered = consent::covers(&provider.db, &session.user_id, &client.client_id, &asked, policy, now).await?;
    if !consented_here && (!remembered || request.prompt.consent) {
        if request.prompt.none {
            return refuse(ErrorCode::ConsentRequired, "the resident must consent");
        }
        return Ok(Step::Consent);
    }
    // Only what the resident granted: a scope none of whose pieces they granted goes.
    let granted = consent::granted(&provider.db, &session.user_id, &client.client_id, now).await?;
    let mut request = request.clone();
    request.scopes = consent::effective_scopes(&request.scopes, &granted);
    let code = super::code::issue(provider, client, &request, session).await?;
    Ok(Step::Respond(request.target.code(code, issuer)))
}

/// The eIDAS level `request` asks for (`acr_values` or an essential `acr`), when a FranceConnect
/// platform is there to reach it; of several, the lowest (as FranceConnect+ does).
pub fn wanted_eidas_level(provider: &Provider, request: &AuthorizationRequest) -> Option<String> {
    let essential = request.claims.essential_acr_values().unwrap_or_default();
    let mut reachable: Vec<&String> = request
        .acr_values
        .iter()
        .chain(essential.iter())
        .filter(|v| provider.franceconnect.for_level(v).is_some())
        .collect();
    reachable.sort();
    reachable.first().map(|v| (*v).clone())
}

/// Whether an existing session may answer `request` without a new login (OIDC Core §3.1.2.3).
fn session_satisfies(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    session: &Session,
    now: i64,
) -> bool {
    if request.prompt.login || request.prompt.select_account {
        return false;
    }
    if let Some(max_age) = request.max_age
        && now - session.auth_time > max_age
    {
        return false;
    }
    if let Some(hint) = &request.hint_subject
        && *hint != subject::for_client(client, &session.user_id, provider.keys().pairwise_secret())
    {
        return false;
    }
    true
}

/// After a successful password check within interaction `id`: starts a new SSO session (a new
/// id, never the old one: no fixation), notes that the resident authenticated for this very
/// request, and decides what follows. Returns the session cookie value and the next step.
pub async fn authenticated(
    provider: &Provider,
    id: &str,
    interaction: &mut Interaction,
    client: &Client,
    user_id: &str,
    how: Authentication<'_>,
) -> Result<(String, Step), OAuthError> {
    let (cookie_value, session) = how.start_session(provider, user_id).await?;
    interaction.authenticated = true;
    save(provider, id, interaction).await?;
    let step = next_step(provider, client, &interaction.request, Some(&session), true, false).await?;
    Ok((cookie_value, step))
}

/// How the resident just authenticated (OIDC `acr`, RFC 8176 `amr`).
#[derive(Debug, Clone, Copy)]
pub struct Authentication<'a> {
    pub acr: &'a str,
    pub amr: &'a [&'a str],
    /// The login through FranceConnect, if that is how (to end its session at logout).
    pub upstream: Option<&'a crate::federation::UpstreamLogin>,
}

impl Authentication<'_> {
    /// A new SSO session for `user_id`, authenticated this way (a new id: no fixation).
    /// Returns the cookie value and the session.
    pub async fn start_session(
        &self,
        provider: &Provider,
        user_id: &str,
    ) -> Result<(String, Session), crate::store::ephemeral::EphemeralError> {
        let lifetimes = &provider.config.lifetimes;
        // A sign-in keeps the account from being purged as inactive.
        if let Err(e) = crate::store::activity::touch(&provider.db, user_id, provider.now()).await {
            tracing::error!(error = %e, %user_id, "account activity not recorded");
        }
        crate::identity::session::start(
            &provider.ephemeral,
            user_id,
            self.acr,
            self.amr,
            self.upstream,
            provider.now(),
            lifetimes,
        )
        .await
    }
}

impl Authentication<'static> {
    pub const PASSWORD: Authentication<'static> =
        Authentication { acr: crate::identity::ACR_BASIC, amr: &[crate::identity::AMR_PASSWORD], upstream: None };
    pub const PASSWORD_AND_OTP: Authentication<'static> = Authentication {
        acr: crate::identity::ACR_MFA,
        amr: &[crate::identity::AMR_PASSWORD, crate::identity::AMR_OTP, crate::identity::AMR_MFA],
        upstream: None,
    };
    /// A passkey alone: possession of the key and the resident's verification on it (PIN or
    /// biometrics, required), two factors.
    pub const PASSKEY: Authentication<'static> = Authentication {
        acr: crate::identity::ACR_MFA,
        amr: &[crate::identity::AMR_PASSKEY, crate::identity::AMR_MFA],
        upstream: None,
    };
    pub const PASSWORD_AND_PASSKEY: Authentication<'static> = Authentication {
        acr: crate::identity::ACR_MFA,
        amr: &[crate::identity::AMR_PASSWORD, crate::identity::AMR_PASSKEY, crate::identity::AMR_MFA],
        upstream: None,
    };
}

/// The pieces of data `request` asks the resident for, with `client`'s declared purposes.
pub async fn asked_pieces(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
) -> Result<Vec<consent::Asked>, OAuthError> {
    let declared = consent::declarations(&provider.db, client).await?;
    let mut scopes = request.consent_scopes();
    scopes.insert(super::scope::OPENID);
    Ok(consent::asked(&scopes, &declared))
}

/// Records a consent, journals it and gives the resident its receipt.
async fn remember_consent(
    provider: &Provider,
    user_id: &str,
    client: &Client,
    asked: &[consent::Asked],
    refused: &std::collections::BTreeSet<String>,
) -> Result<(), OAuthError> {
    let terms = consent::Terms {
        policy_version: &provider.config.consent.policy_version,
        now: provider.now(),
        lifetime: provider.config.lifetimes.consent,
    };
    let decided = consent::record(&provider.db, user_id, &client.client_id, asked, refused, terms).await?;
    consent::journal::given(provider, user_id, client, &decided).await?;
    consent::receipt::issue(provider, client, &decided, consent::receipt::Kind::Given).await;
    Ok(())
}

/// The resident's answer on the consent page: allowed, without the optional pieces they
/// unticked, or denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentDecision {
    Allow { refused: std::collections::BTreeSet<String> },
    Deny,
}

/// Applies the resident's decision: an allowed consent is remembered, then the request goes on;
/// a refusal is `access_denied` for the client (RFC 6749 §4.1.2.1). `None` if the session
/// ended meanwhile and the resident must log in again.
pub async fn decide_consent(
    provider: &Provider,
    client: &Client,
    interaction: &Interaction,
    session: &Session,
    decision: ConsentDecision,
) -> Result<Option<AuthorizationResponse>, OAuthError> {
    let request = &interaction.request;
    let refused = match decision {
        ConsentDecision::Deny => {
            let asked = asked_pieces(provider, client, request).await?;
            let keys: Vec<String> = asked.into_iter().map(|piece| piece.key).collect();
            consent::journal::refused(provider, &session.user_id, client, &keys).await?;
            let refused = OAuthError::new(ErrorCode::AccessDenied, "the resident denied the request");
            return Ok(Some(request.target.error(&refused, provider.issuer())));
        }
        ConsentDecision::Allow { refused } => refused,
    };
    let asked = asked_pieces(provider, client, request).await?;
    remember_consent(provider, &session.user_id, client, &asked, &refused).await?;
    // A service of a group: the consent holds for the group's other services, for what each
    // of them may ask among what was asked.
    for member_id in consent::groups::covered_with(&provider.db, &client.client_id).await? {
        if member_id == client.client_id {
            continue;
        }
        let Some(member) = super::client::find(&provider.db, &member_id).await? else { continue };
        let declared = consent::declarations(&provider.db, &member).await?;
        let mut scopes = request.consent_scopes().intersect(&member.scopes);
        scopes.insert(super::scope::OPENID);
        let member_asked = consent::asked(&scopes, &declared);
        remember_consent(provider, &session.user_id, &member, &member_asked, &refused).await?;
    }
    match next_step(provider, client, request, Some(session), interaction.authenticated, true).await? {
        Step::Respond(response) => Ok(Some(response)),
        // Consent was just given: only a vanished session can lead back to login.
        Step::Login | Step::Consent => Ok(None),
    }
}
