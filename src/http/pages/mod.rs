//! Pages a person sees: login, consent, the form-post response, errors.

pub mod account;
pub mod account_authorizations;
pub mod account_home;
pub mod account_passkeys;
pub mod consent;
pub mod developers;
mod failure;
pub mod franceconnect;
pub mod franceconnect_reconcile;
pub mod login;
pub mod logout;
pub mod passkey_login;
pub mod public;
pub mod response;
pub mod second_factor;

use axum::http::{HeaderMap, header};
use axum_extra::extract::CookieJar;

use super::cookies;
use super::request::header_str;
use crate::http::AppState;
use crate::identity::session::{self, Session};
use crate::oauth::error::OAuthError;

/// The language of a page shown outside an interaction.
pub fn lang_of(headers: &HeaderMap) -> &'static str {
    super::i18n::choose(&[], header_str(headers, header::ACCEPT_LANGUAGE))
}

/// The browser's live SSO session, if any.
pub async fn current_session(state: &AppState, jar: &CookieJar) -> Result<Option<Session>, OAuthError> {
    let provider = &state.provider;
    let name = cookies::name(cookies::SESSION, provider.config.is_https());
    match jar.get(&name) {
        Some(cookie) => {
            Ok(session::resume(&provider.ephemeral, cookie.value(), provider.now(), &provider.config.lifetimes).await?)
        }
        None => Ok(None),
    }
}

/// The value of the interaction-binding cookie.
pub fn flow_binding<'a>(state: &AppState, jar: &'a CookieJar) -> Option<&'a str> {
    jar.get(&cookies::name(cookies::FLOW, state.provider.config.is_https())).map(|c| c.value())
}

/// A form outside any interaction (sign-up, recovery, the account page): parsed, and its
/// double-submit CSRF token checked; otherwise the page to show instead (a response is large,
/// but this runs once per request and is answered at once).
#[allow(clippy::result_large_err)]
pub fn csrf_checked_form(
    state: &AppState,
    headers: &HeaderMap,
    jar: &CookieJar,
    body: &axum::body::Bytes,
) -> Result<crate::oauth::params::Params, axum::response::Response> {
    let lang = lang_of(headers);
    match super::request::form(headers, body) {
        Ok(f) if super::csrf::verify(jar, state.provider.config.is_https(), f.get("csrf")) => Ok(f),
        Ok(_) => Err(state.views.error(&crate::oauth::error::PageError::expired(), lang)),
        Err(e) => Err(state.views.error(&crate::oauth::error::PageError::bad_request(e.description), lang)),
    }
}
