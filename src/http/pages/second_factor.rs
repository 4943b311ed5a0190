//! `/login/second-factor`: after the password, the code of the resident's authenticator app
//! (or one of their recovery codes), for a resident who enrolled one. The pending login is
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
use crate::http::views::csp;
use crate::http::{AppState, cookies};
use crate::identity::login::{LoginFailure, with_second_factor};
use crate::oauth::error::{OAuthError, PageError};
use crate::oauth::interaction::Authentication;
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

fn form_page(state: &AppState, pending: &Pending, status: StatusCode, failed: bool, wait: Option<i64>) -> Response {
    let ctx = context! { csrf => &pending.csrf, failed, wait };
    state.views.page(status, "account/second_factor.html", &pending.lang, ctx, csp(None, None))
}

pub async fn get(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    match pending(&state, &jar).await {
        Ok(Some((_, pending))) => form_page(&state, &pending, StatusCode::OK, false, None),
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
    let (cookie_value, pending) = match pending(&state, &jar).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.views.error(&PageError::expired(), lang),
        Err(e) => return state.views.error(&e.into(), lang),
    };
    let fields = match form(&headers, &body) {
        Ok(f) if f.get("csrf").is_some_and(|c| secrets::constant_time_eq(c, &pending.csrf)) => f,
        Ok(_) => return state.views.error(&PageError::expired(), lang),
        Err(e) => return state.views.error(&PageError::bad_request(e.description), lang),
    };
    let provider = &state.provider;
    let ip = state.client_ip(peer, &headers);
    let code = fields.get("code").unwrap_or_default();
    match with_second_factor(provider, &pending.user_id, code, ip).await {
        Ok(()) => {}
        Err(LoginFailure::Wrong) => return form_page(&state, &pending, StatusCode::BAD_REQUEST, true, None),
        Err(LoginFailure::Throttled(wait)) => {
            return form_page(&state, &pending, StatusCode::TOO_MANY_REQUESTS, false, Some(wait));
        }
        Err(LoginFailure::Unavailable(e)) => {
            tracing::error!(error = %e, "second factor check failed");
            return state.views.error(&OAuthError::unavailable().into(), lang);
        }
    }
    let store = &provider.ephemeral;
    let _ = store.delete(&key(&cookie_value)).await;
    let jar = jar.add(cookies::removal(COOKIE, provider.config.is_https()));
    match pending.resume {
        Resume::Interaction { id } => match login::resume(&state, &id, &jar).await {
            Ok((interaction, client)) => {
                login::finish_login(
                    &state,
                    jar,
                    &id,
                    interaction,
                    &client,
                    &pending.user_id,
                    Authentication::PASSWORD_AND_OTP,
                )
                .await
            }
            Err(e) => state.views.error(&e, lang),
        },
        Resume::Account => {
            account_home::start_session(
                &state,
                &pending.lang,
                jar,
                &pending.user_id,
                Authentication::PASSWORD_AND_OTP,
                "/account",
            )
            .await
        }
    }
}
