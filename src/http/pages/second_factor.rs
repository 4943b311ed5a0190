//! `/login/second-factor`: after the password, one of the resident's passkeys or the code of
//! their authenticator app (or one of their recovery codes), for a resident who has either. The
//! pending login is
//! bound to the browser by a cookie and lives five minutes; wrong codes are throttled like
//! passwords.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::response::redirect;
use super::{account_home, login};
use crate::http::request::form;
use crate::http::views::{csp, passkey_csp};
use crate::http::{AppState, cookies};
use crate::identity::login::{LoginFailure, with_second_factor};
use crate::identity::mfa;
use crate::identity::passkeys::{self, PasskeyError};
use crate::oauth::error::{OAuthError, PageError};
use crate::oauth::interaction::Authentication;
use crate::oauth::params::Params;
use crate::secrets;

const COOKIE: &str = "glc_mfa";
const PENDING_SECONDS: i64 = 300;

/// Where a completed login goes on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Resume {
    /// The authorization request of this interaction.
    Interaction { id: String },
    /// The account page.
    Account,
}

#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    user_id: String,
    resume: Resume,
    csrf: String,
    lang: String,
}

fn key(cookie_value: &str) -> String {
    format!("mfa_pending:{}", secrets::digest(cookie_value))
}

/// The password was right and the resident has a second factor: ask for it.
pub async fn ask(state: &AppState, jar: CookieJar, user_id: &str, resume: Resume, lang: &str) -> Response {
    let provider = &state.provider;
    let cookie_value = secrets::new_secret();
    let pending = Pending { user_id: user_id.to_owned(), resume, csrf: secrets::new_secret(), lang: lang.to_owned() };
    let Ok(json) = serde_json::to_string(&pending) else {
        return state.views.error(&OAuthError::server_error().into(), lang);
    };
    if let Err(e) = provider.ephemeral.put(&key(&cookie_value), json, PENDING_SECONDS).await {
        return state.views.error(&OAuthError::from(e).into(), lang);
    }
    let jar = jar.add(cookies::build(COOKIE, cookie_value, provider.config.is_https()));
    (jar, redirect("/login/second-factor")).into_response()
}

async fn pending(state: &AppState, jar: &CookieJar) -> Result<Option<(String, Pending)>, OAuthError> {
    let Some(cookie) = jar.get(&cookies::name(COOKIE, state.provider.config.is_https())) else { return Ok(None) };
    let value = cookie.value().to_owned();
    if value.len() > 64 {
        return Ok(None);
    }
    let Some(json) = state.provider.ephemeral.get(&key(&value)).await? else { return Ok(None) };
    Ok(serde_json::from_str(&json).ok().map(|p| (value, p)))
}

/// What the second-factor page shows besides its forms.
#[derive(Default)]
struct Problem {
    /// A wrong code.
    failed: bool,
    /// A passkey that did not verify.
    passkey_refused: bool,
    /// Throttled: seconds to wait.
    wait: Option<i64>,
}

async fn form_page(state: &AppState, pending: &Pending, status: StatusCode, problem: Problem) -> Response {
    let factors = match mfa::second_factors(&state.provider, &pending.user_id).await {
        Ok(factors) => factors,
        Err(e) => {
            tracing::error!(error = %e, "second factor lookup failed");
            return state.views.error(&OAuthError::unavailable().into(), &pending.lang);
        }
    };
    // A resident whose only factor is a passkey still gets the code form if they have no
    // passkey-capable browser: they will not get further, but the page is never empty.
    let totp = factors.totp || !factors.passkey;
    let (nonce, policy) = if factors.passkey { passkey_csp(None) } else { (String::new(), csp(None, None)) };
    let ctx = context! {
        csrf => &pending.csrf, failed => problem.failed, wait => problem.wait, passkey_refused => problem.passkey_refused,
        totp, passkey => factors.passkey, passkey_nonce => nonce,
    };
    state.views.page(status, "account/second_factor.html", &pending.lang, ctx, policy)
}

pub async fn get(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    match pending(&state, &jar).await {
        Ok(Some((_, pending))) => form_page(&state, &pending, StatusCode::OK, Problem::default()).await,
        Ok(None) => state.views.error(&PageError::expired(), super::lang_of(&headers)),
        Err(e) => state.views.error(&e.into(), super::lang_of(&headers)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let lang = super::lang_of(&headers);
    let (cookie_value, pending, fields) = match checked(&state, &headers, &jar, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let provider = &state.provider;
    let ip = state.client_ip(peer, &headers);
    let code = fields.get("code").unwrap_or_default();
    match with_second_factor(provider, &pending.user_id, code, ip).await {
        Ok(()) => complete(&state, jar, &cookie_value, pending, Authentication::PASSWORD_AND_OTP).await,
        Err(LoginFailure::Wrong) => {
            form_page(&state, &pending, StatusCode::BAD_REQUEST, Problem { failed: true, ..Problem::default() }).await
        }
        Err(LoginFailure::Throttled(wait)) => {
            let problem = Problem { wait: Some(wait), ..Problem::default() };
            form_page(&state, &pending, StatusCode::TOO_MANY_REQUESTS, problem).await
        }
        Err(LoginFailure::Unavailable(e)) => {
            tracing::error!(error = %e, "second factor check failed");
            state.views.error(&OAuthError::unavailable().into(), lang)
        }
    }
}

/// The pending login and the posted form, its CSRF token checked; otherwise the page to show.
async fn checked(
    state: &AppState,
    headers: &HeaderMap,
    jar: &CookieJar,
    body: &Bytes,
) -> Result<(String, Pending, Params), Response> {
    let lang = super::lang_of(headers);
    let (cookie_value, pending) = match pending(state, jar).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(state.views.error(&PageError::expired(), lang)),
        Err(e) => return Err(state.views.error(&e.into(), lang)),
    };
    match form(headers, body) {
        Ok(f) if f.get("csrf").is_some_and(|c| secrets::constant_time_eq(c, &pending.csrf)) => {
            Ok((cookie_value, pending, f))
        }
        Ok(_) => Err(state.views.error(&PageError::expired(), lang)),
        Err(e) => Err(state.views.error(&PageError::bad_request(e.description), lang)),
    }
}

/// `POST /login/second-factor/passkey/options`: a passkey ceremony for the pending resident.
pub async fn passkey_options(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    match checked(&state, &headers, &jar, &body).await {
        Ok((_, pending, _)) => super::passkey_login::options_response(
            passkeys::start_second_factor(&state.provider, &pending.user_id).await,
        ),
        Err(page) => page,
    }
}

/// `POST /login/second-factor/passkey`: the authenticator's answer.
pub async fn passkey(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar, body: Bytes) -> Response {
    let (cookie_value, pending, fields) = match checked(&state, &headers, &jar, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let (ceremony, answer) = (fields.get("ceremony").unwrap_or_default(), fields.get("credential").unwrap_or_default());
    match passkeys::finish_second_factor(&state.provider, &pending.user_id, ceremony, answer).await {
        Ok(()) => complete(&state, jar, &cookie_value, pending, Authentication::PASSWORD_AND_PASSKEY).await,
        Err(PasskeyError::Refused(why)) => {
            tracing::info!(reason = %why, "passkey refused as a second factor");
            let problem = Problem { passkey_refused: true, ..Problem::default() };
            form_page(&state, &pending, StatusCode::BAD_REQUEST, problem).await
        }
        Err(PasskeyError::NoCeremony) => state.views.error(&PageError::expired(), &pending.lang),
        Err(e) => {
            tracing::error!(error = %e, "passkey second factor failed");
            state.views.error(&OAuthError::unavailable().into(), &pending.lang)
        }
    }
}

/// The second factor was right: the pending login ends and the session starts, for the
/// authorization request or the account page.
async fn complete(
    state: &AppState,
    jar: CookieJar,
    cookie_value: &str,
    pending: Pending,
    how: Authentication<'_>,
) -> Response {
    let provider = &state.provider;
    let _ = provider.ephemeral.delete(&key(cookie_value)).await;
    let jar = jar.add(cookies::removal(COOKIE, provider.config.is_https()));
    match pending.resume {
        Resume::Interaction { id } => match login::resume(state, &id, &jar).await {
            Ok((interaction, client)) => {
                login::finish_login(state, jar, &id, interaction, &client, &pending.user_id, how).await
            }
            Err(e) => state.views.error(&e, &pending.lang),
        },
        Resume::Account => {
            account_home::start_session(state, &pending.lang, jar, &pending.user_id, how, "/account").await
        }
    }
}
