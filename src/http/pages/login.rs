//! `GET|POST /login/{interaction}`: the password form.

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::response::{deliver, redirect};
use super::second_factor;
use super::{flow_binding, lang_of};
use crate::http::request::form;
use crate::http::views::{csp, passkey_csp};
use crate::http::{AppState, cookies};
use crate::identity::login::{self, LoginFailure};
use crate::identity::mfa;
use crate::oauth::client::Client;
use crate::oauth::error::{OAuthError, PageError, PageErrorKind};
use crate::oauth::interaction::{self, Authentication, Interaction, Step};
use crate::oauth::params::Params;
use crate::oauth::response::AuthorizationResponse;
use crate::{secrets, telemetry};

/// The interaction of this browser and its client, or the page explaining why not.
pub(super) async fn resume(state: &AppState, id: &str, jar: &CookieJar) -> Result<(Interaction, Client), PageError> {
    let interaction =
        interaction::load(&state.provider, id, flow_binding(state, jar)).await?.ok_or_else(PageError::expired)?;
    let client = state
        .provider
        .clients
        .find(&state.provider.db, &interaction.request.client_id)
        .await?
        .ok_or_else(|| PageError::new(400, PageErrorKind::InvalidClient, "the client no longer exists"))?;
    Ok((interaction, client))
}

/// The interaction of this browser and a form posted within it, its CSRF token checked;
/// otherwise the page to show instead.
pub(super) async fn posted_form(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
    jar: &CookieJar,
    body: &Bytes,
) -> Result<(Interaction, Client, Params), Response> {
    let (interaction, client) = match resume(state, id, jar).await {
        Ok(found) => found,
        Err(e) => return Err(state.views.error(&e, lang_of(headers))),
    };
    match form(headers, body) {
        Ok(f) if f.get("csrf").is_some_and(|c| secrets::constant_time_eq(c, &interaction.csrf)) => {
            Ok((interaction, client, f))
        }
        Ok(_) => Err(state.views.error(&PageError::expired(), &interaction.locale)),
        Err(e) => Err(state.views.error(&PageError::bad_request(e.description), &interaction.locale)),
    }
}

pub(super) fn redirect_origin(interaction: &Interaction) -> String {
    AuthorizationResponse {
        redirect_uri: interaction.request.target.redirect_uri.clone(),
        mode: interaction.request.target.mode,
        params: vec![],
    }
    .origin()
}

/// What went wrong with the previous attempt, shown above the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Problem {
    None,
    WrongPassword,
    /// Too many failures: seconds to wait (429, with `Retry-After`).
    Throttled(i64),
    PasskeyRefused,
    /// Back from FranceConnect, where the resident cancelled.
    FranceConnectCancelled,
}

async fn render(
    state: &AppState,
    id: &str,
    interaction: &Interaction,
    client: &Client,
    email: &str,
    failed: bool,
) -> Response {
    let problem = if failed { Problem::WrongPassword } else { Problem::None };
    render_page(state, id, interaction, client, email, problem).await
}

pub(super) async fn render_page(
    state: &AppState,
    id: &str,
    interaction: &Interaction,
    client: &Client,
    email: &str,
    problem: Problem,
) -> Response {
    let wait = match problem {
        Problem::Throttled(wait) => Some(wait),
        _ => None,
    };
    let wanted = crate::oauth::interaction::wanted_eidas_level(&state.provider, &interaction.request);
    let platform = super::franceconnect::sign_in_platform(state, wanted.as_deref());
    let fc_buttons = super::franceconnect::buttons(state, platform).await;
    let passkeys = state.provider.webauthn.is_some();
    // Forms may lead to the client (a form_post response) and, through our redirect, to
    // FranceConnect: CSP's form-action covers redirects after a submission.
    let mut origins = redirect_origin(interaction);
    if let Some(fc) = super::franceconnect::origins(state) {
        origins = format!("{origins} {fc}");
    }
    let (nonce, policy) =
        if passkeys { passkey_csp(Some(&origins)) } else { (String::new(), csp(Some(&origins), None)) };
    let ctx = context! {
        interaction_id => id, csrf => &interaction.csrf, client_name => &client.name, email => email,
        failed => problem == Problem::WrongPassword, wait => wait, passkey_refused => problem == Problem::PasskeyRefused,
        passkeys, passkey_nonce => nonce, fc_buttons => minijinja::value::Serde(&fc_buttons), fc_back => id,
        fc_cancelled => problem == Problem::FranceConnectCancelled,
        // The service asks for FranceConnect's level: FranceConnect is the way in.
        fc_required => wanted.is_some(),
    };
    let status = match problem {
        Problem::None => StatusCode::OK,
        Problem::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        Problem::WrongPassword | Problem::PasskeyRefused | Problem::FranceConnectCancelled => StatusCode::OK,
    };
    let mut response = state.views.page(status, "login/login.html", &interaction.locale, ctx, policy);
    if let Some(value) = wait.and_then(|w| axum::http::HeaderValue::from_str(&w.to_string()).ok()) {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    match resume(&state, &id, &jar).await {
        Ok((interaction, client)) => {
            let hint = interaction.request.login_hint.clone().filter(|h| h.contains('@')).unwrap_or_default();
            render(&state, &id, &interaction, &client, &hint, false).await
        }
        Err(e) => state.views.error(&e, lang_of(&headers)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let (interaction, client, fields) = match posted_form(&state, &id, &headers, &jar, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let email = fields.get("email").unwrap_or_default();
    let password = fields.get("password").unwrap_or_default();
    let provider = &state.provider;
    let ip = state.client_ip(peer, &headers);
    let user = match login::with_password(provider, email, password, ip).await {
        Ok(user) => {
            telemetry::login("password", "success");
            user
        }
        Err(LoginFailure::Wrong) => {
            telemetry::login("password", "failure");
            return render(&state, &id, &interaction, &client, email, true).await;
        }
        Err(LoginFailure::Throttled(wait)) => {
            telemetry::login("password", "throttled");
            return render_page(&state, &id, &interaction, &client, email, Problem::Throttled(wait)).await;
        }
        Err(LoginFailure::Unavailable(e)) => {
            tracing::error!(error = %e, "password login failed");
            return state.views.error(&OAuthError::unavailable().into(), &interaction.locale);
        }
    };
    // A resident with a second factor gives it on the next page before anything goes on.
    match mfa::second_factors(provider, &user.id).await {
        Ok(factors) if !factors.any() => {}
        Ok(_) => {
            let resume = second_factor::Resume::Interaction { id: id.clone() };
            return second_factor::ask(&state, jar, &user.id, resume, &interaction.locale).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "second factor lookup failed");
            return state.views.error(&OAuthError::unavailable().into(), &interaction.locale);
        }
    }
    finish_login(&state, jar, &id, interaction, &client, &user.id, Authentication::PASSWORD).await
}

/// The resident is authenticated within interaction `id`: a new session, then consent or the
/// response to the client.
pub(super) async fn finish_login(
    state: &AppState,
    jar: CookieJar,
    id: &str,
    mut interaction: Interaction,
    client: &Client,
    user_id: &str,
    how: Authentication<'_>,
) -> Response {
    let provider = &state.provider;
    let outcome = interaction::authenticated(provider, id, &mut interaction, client, user_id, how);
    let (cookie_value, step) = match outcome.await {
        Ok(done) => done,
        Err(e) => return state.views.error(&e.into(), &interaction.locale),
    };
    let jar = jar.add(cookies::build(cookies::SESSION, cookie_value, provider.config.is_https()));
    match step {
        Step::Consent => (jar, redirect(&format!("/consent/{id}"))).into_response(),
        Step::Login => (jar, render(state, id, &interaction, client, "", true).await).into_response(),
        Step::Respond(response) => {
            let _ = interaction::finish(provider, id).await;
            let jar = jar.add(cookies::removal(cookies::FLOW, provider.config.is_https()));
            (jar, deliver(state, &response, &interaction.locale)).into_response()
        }
    }
}
