//! Signing in to the console through the provider (the console is its client), and out.

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use std::net::SocketAddr;

use super::{BASE, ConsoleForm, LOGIN_COOKIE, SESSION_COOKIE, failure_page, message};
use crate::admin::console::{self, LoginError};
use crate::http::pages::lang_of;
use crate::http::pages::response::redirect;
use crate::http::{AppState, cookies, i18n_console};
use crate::oauth::params::Params;

/// Sends the browser to the provider's authorization endpoint, asking for a second factor.
pub async fn start(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let https = state.provider.config.is_https();
    match console::start_login(&state.provider).await {
        Ok((binding, authorize)) => {
            (jar.add(cookies::build(LOGIN_COOKIE, binding, https)), redirect(&authorize)).into_response()
        }
        Err(e) => failure_page(&state, lang_of(&headers), None, &e),
    }
}

/// The provider's answer: a code to redeem, or an error.
pub async fn callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let lang = lang_of(&headers);
    let c = i18n_console::texts(lang);
    let https = state.provider.config.is_https();
    let params = Params::parse(query.unwrap_or_default().as_bytes()).unwrap_or_default();
    let binding = jar.get(&cookies::name(LOGIN_COOKIE, https)).map(|c| c.value().to_owned());
    let jar = jar.add(cookies::removal(LOGIN_COOKIE, https));
    let again = || Some((format!("{BASE}/login"), c.sign_in));
    // The state must be the one this browser started with (RFC 9700 §4.7: CSRF on the callback).
    let state_ok = match (params.get("state"), binding.as_deref()) {
        (Some(returned), Some(started)) => crate::secrets::constant_time_eq(returned, started),
        _ => false,
    };
    if !state_ok {
        return (jar, message(&state, lang, StatusCode::BAD_REQUEST, c.expired_title, c.expired_text, again()))
            .into_response();
    }
    let Some(code) = params.get("code") else {
        let why = params.get("error").unwrap_or("invalid_request").to_owned();
        let text = format!("{} ({why})", c.refused_text);
        return (jar, message(&state, lang, StatusCode::FORBIDDEN, c.refused_title, &text, again())).into_response();
    };
    let origin = Some(state.client_ip(peer, &headers).to_string());
    let binding = binding.unwrap_or_default();
    match console::finish_login(&state.provider, &binding, code, origin).await {
        Ok(opened) => {
            let jar = jar.add(cookies::build(SESSION_COOKIE, opened.session_id, https));
            (jar, redirect(BASE)).into_response()
        }
        Err(e) => {
            let page = match e {
                LoginError::Expired => {
                    message(&state, lang, StatusCode::BAD_REQUEST, c.expired_title, c.expired_text, again())
                }
                LoginError::SecondFactorRequired => {
                    let account = Some(("/account".to_owned(), c.my_account));
                    message(&state, lang, StatusCode::FORBIDDEN, c.mfa_title, c.mfa_text, account)
                }
                LoginError::NotAnAdministrator => {
                    message(&state, lang, StatusCode::FORBIDDEN, c.not_admin_title, c.not_admin_text, None)
                }
                LoginError::Admin(e) => failure_page(&state, lang, None, &e),
            };
            (jar, page).into_response()
        }
    }
}

/// Ends the console session.
pub async fn sign_out(State(state): State<AppState>, jar: CookieJar, form: ConsoleForm) -> Response {
    // The form's token checked: another site cannot sign an administrator out.
    let console = form.console;
    let c = i18n_console::texts(console.lang);
    if let Err(e) = console::end(&state.provider, &console.session_id, &console.session, &console.caller).await {
        return console.failed(&state, &e);
    }
    let https = state.provider.config.is_https();
    let jar = jar.add(cookies::removal(SESSION_COOKIE, https)).add(cookies::removal(cookies::SESSION, https));
    let again = Some((format!("{BASE}/login"), c.sign_in));
    (jar, message(&state, console.lang, StatusCode::OK, c.signed_out_title, c.signed_out_text, again)).into_response()
}
