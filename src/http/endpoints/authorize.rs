//! `GET|POST /authorize` (RFC 6749 §3.1, OIDC Core §3.1.2).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use crate::http::pages::response::{deliver, redirect};
use crate::http::pages::{current_session, lang_of};
use crate::http::request::{header_str, params};
use crate::http::{AppState, cookies, i18n};
use crate::oauth::authorize;
use crate::oauth::error::{AuthorizeError, PageError};
use crate::oauth::interaction::{self, Step};

pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let page_lang = lang_of(&headers);
    // Repeated or oversized parameters: nothing can be trusted yet, not even redirect_uri.
    let params = match params(&method, &uri, &headers, &body) {
        Ok(p) => p,
        Err(e) => return state.views.error(&PageError::bad_request(e.description), page_lang),
    };
    let provider = &state.provider;
    let (client, request) = match authorize::validate(provider, &params).await {
        Ok(ok) => ok,
        Err(AuthorizeError::Page(e)) => return state.views.error(&e, page_lang),
        Err(AuthorizeError::Redirect { target, error }) => {
            return deliver(&state, &target.error(&error, provider.issuer()), page_lang);
        }
    };
    let lang = i18n::choose(&request.ui_locales, header_str(&headers, header::ACCEPT_LANGUAGE));
    let outcome = async {
        let session = current_session(&state, &jar).await?;
        let step = interaction::next_step(provider, &client, &request, session.as_ref(), false, false).await?;
        let page = match step {
            Step::Respond(response) => return Ok(deliver(&state, &response, lang)),
            Step::Login => "login",
            Step::Consent => "consent",
        };
        let (id, binding, _) = interaction::start(provider, request.clone(), lang).await?;
        let cookie = cookies::build(cookies::FLOW, binding, provider.config.is_https());
        Ok((jar.add(cookie), redirect(&format!("/{page}/{id}"))).into_response())
    };
    match outcome.await {
        Ok(response) => response,
        // The redirect URI is verified: infrastructure failures go back to the client too.
        Err(error) => deliver(&state, &request.target.error(&error, provider.issuer()), lang),
    }
}
