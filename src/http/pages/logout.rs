//! `GET|POST /end_session` (RP-Initiated Logout) and `POST /end_session/confirm`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::response::redirect;
use super::{current_session, flow_binding, lang_of};
use crate::http::request::{form, header_str, params};
use crate::http::views::csp;
use crate::http::{AppState, cookies, i18n};
use crate::oauth::error::PageError;
use crate::oauth::logout;

pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let provider = &state.provider;
    let page_lang = lang_of(&headers);
    let request = match params(&method, &uri, &headers, &body) {
        Ok(p) => logout::validate(provider, &p).await,
        Err(e) => Err(PageError::bad_request(e.description)),
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => return state.views.error(&e, page_lang),
    };
    let lang = i18n::choose(&request.ui_locales, header_str(&headers, header::ACCEPT_LANGUAGE));
    if !request.from_client {
        // Not provably from the client: ask the resident rather than log out on anyone's word.
        return match logout::ask_confirmation(provider, lang).await {
            Ok((id, binding, pending)) => {
                let ctx = context! { logout_id => id, csrf => pending.csrf };
                // Confirming may lead on to FranceConnect's logout (form-action covers redirects).
                let policy = csp(super::franceconnect::origins(&state).as_deref(), None);
                let page = state.views.page(StatusCode::OK, "logout/confirm.html", lang, ctx, policy);
                (jar.add(cookies::build(cookies::FLOW, binding, provider.config.is_https())), page).into_response()
            }
            Err(e) => state.views.error(&e, lang),
        };
    }
    let outcome = async {
        let browser_session = current_session(&state, &jar).await?;
        match logout::session_to_end(provider, &request, browser_session).await? {
            Some(session) => Ok((logout::end(provider, &session).await?, session.upstream)),
            None => Ok::<_, PageError>((Vec::new(), None)),
        }
    };
    match outcome.await {
        Ok((frames, Some(upstream))) => {
            let ending = Ending { frames, back_to: request.redirect, lang: lang.to_owned() };
            super::franceconnect::end_upstream(&state, jar, &upstream, ending).await
        }
        Ok((frames, None)) => done(&state, jar, frames, request.redirect, lang),
        Err(e) => state.views.error(&e, lang),
    }
}

pub async fn confirm(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar, body: Bytes) -> Response {
    let provider = &state.provider;
    let lang = lang_of(&headers);
    let fields = match form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return state.views.error(&PageError::bad_request(e.description), lang),
    };
    let outcome = async {
        let pending = logout::take_confirmation(
            provider,
            fields.get("logout").unwrap_or_default(),
            flow_binding(&state, &jar),
            fields.get("csrf").unwrap_or_default(),
        )
        .await?;
        let (frames, upstream) = match current_session(&state, &jar).await? {
            Some(session) => (logout::end(provider, &session).await?, session.upstream),
            None => (Vec::new(), None),
        };
        Ok::<_, PageError>((pending.locale, frames, upstream))
    };
    match outcome.await {
        Ok((locale, frames, Some(upstream))) => {
            let ending = Ending { frames, back_to: None, lang: locale };
            super::franceconnect::end_upstream(&state, jar, &upstream, ending).await
        }
        Ok((locale, frames, None)) => done(&state, jar, frames, None, &locale),
        Err(e) => state.views.error(&e, lang),
    }
}

/// What is left of a logout once FranceConnect's session is ended too: the front-channel
/// iframes, where to go back, in which language.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Ending {
    pub frames: Vec<String>,
    pub back_to: Option<String>,
    pub lang: String,
}

/// The logged-out page: it loads each client's front-channel logout URI in an iframe, then
/// goes back to the client when it asked for it. Without iframes, a plain redirect.
pub(super) fn done(
    state: &AppState,
    jar: CookieJar,
    frames: Vec<String>,
    back_to: Option<String>,
    lang: &str,
) -> Response {
    let https = state.provider.config.is_https();
    let jar = jar.add(cookies::removal(cookies::SESSION, https)).add(cookies::removal(cookies::FLOW, https));
    if frames.is_empty()
        && let Some(location) = &back_to
    {
        return (jar, redirect(location)).into_response();
    }
    let nonce = crate::secrets::random_token(16);
    let mut origins: Vec<String> =
        frames.iter().filter_map(|f| url::Url::parse(f).ok()).map(|u| u.origin().ascii_serialization()).collect();
    origins.dedup();
    let mut policy = csp(None, Some(&nonce));
    if !origins.is_empty() {
        policy.push_str(&format!("; frame-src {}", origins.join(" ")));
    }
    let ctx = context! { frames => frames, redirect => back_to, nonce => nonce };
    (jar, state.views.page(StatusCode::OK, "logout/done.html", lang, ctx, policy)).into_response()
}
