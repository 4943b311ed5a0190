//! Passwordless login with a passkey: within an authorization request
//! (`/login/{interaction}/passkey`) or on the account page (`/account/passkey/…`). Each is two
//! POSTs: the ceremony's options (JSON, fetched by `static/passkeys.js`), then the form carrying
//! the authenticator's answer, which ends like a password login.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::login::{self, Problem};
use super::{account_home, csrf_checked_form, lang_of};
use crate::http::AppState;
use crate::identity::passkeys::{self, PasskeyError, Purpose, Started};
use crate::identity::user::User;
use crate::oauth::error::{OAuthError, PageError};
use crate::oauth::interaction::Authentication;
use crate::oauth::params::Params;
use crate::telemetry;

/// A ceremony's options as JSON for the script, or why there are none.
pub(super) fn options_response(started: Result<Started, PasskeyError>) -> Response {
    let (status, body) = match started {
        Ok(started) => {
            let mut response = Json(started).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return response;
        }
        Err(PasskeyError::Unsupported) => (StatusCode::NOT_FOUND, "passkeys_unavailable"),
        Err(PasskeyError::TooMany) => (StatusCode::CONFLICT, "too_many_passkeys"),
        Err(PasskeyError::Refused(_)) => (StatusCode::BAD_REQUEST, "no_passkey"),
        Err(e) => {
            tracing::error!(error = %e, "passkey ceremony could not start");
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
    };
    (status, Json(serde_json::json!({ "error": body }))).into_response()
}

/// `POST /login/{interaction}/passkey/options`
pub async fn options(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    match login::posted_form(&state, &id, &headers, &jar, &body).await {
        Ok(_) => options_response(passkeys::start_login(&state.provider, &Purpose::Login { interaction: &id }).await),
        Err(page) => page,
    }
}

/// What the answer to a passwordless ceremony gave.
enum Outcome {
    LoggedIn(Box<User>),
    /// Shown on the login page again.
    Refused,
    /// The page to show instead.
    Page(Response),
}

async fn finish(state: &AppState, purpose: &Purpose<'_>, fields: &Params, lang: &str) -> Outcome {
    let (ceremony, answer) = (fields.get("ceremony").unwrap_or_default(), fields.get("credential").unwrap_or_default());
    match passkeys::finish_login(&state.provider, purpose, ceremony, answer).await {
        Ok(user) => {
            telemetry::login("passkey", "success");
            Outcome::LoggedIn(Box::new(user))
        }
        Err(PasskeyError::Refused(why)) => {
            telemetry::login("passkey", "failure");
            tracing::info!(reason = %why, "passkey login refused");
            Outcome::Refused
        }
        Err(PasskeyError::NoCeremony) => Outcome::Page(state.views.error(&PageError::expired(), lang)),
        Err(e) => {
            tracing::error!(error = %e, "passkey login failed");
            Outcome::Page(state.views.error(&OAuthError::unavailable().into(), lang))
        }
    }
}

/// `POST /login/{interaction}/passkey`: the answer; a verified passkey is a complete
/// (multi-factor) login.
pub async fn login(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let (interaction, client, fields) = match login::posted_form(&state, &id, &headers, &jar, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    match finish(&state, &Purpose::Login { interaction: &id }, &fields, &interaction.locale).await {
        Outcome::LoggedIn(user) => {
            login::finish_login(&state, jar, &id, interaction, &client, &user.id, Authentication::PASSKEY).await
        }
        Outcome::Refused => login::render_page(&state, &id, &interaction, &client, "", Problem::PasskeyRefused).await,
        Outcome::Page(page) => page,
    }
}

/// `POST /account/passkey/options`
pub async fn account_options(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    match csrf_checked_form(&state, &headers, &jar, &body) {
        Ok(_) => options_response(passkeys::start_login(&state.provider, &Purpose::AccountLogin).await),
        Err(page) => page,
    }
}

/// `POST /account/passkey/login`
pub async fn account_login(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar, body: Bytes) -> Response {
    let lang = lang_of(&headers);
    let fields = match csrf_checked_form(&state, &headers, &jar, &body) {
        Ok(fields) => fields,
        Err(page) => return page,
    };
    match finish(&state, &Purpose::AccountLogin, &fields, lang).await {
        Outcome::LoggedIn(user) => {
            account_home::start_session(&state, lang, jar, &user.id, Authentication::PASSKEY, "/account").await
        }
        Outcome::Refused => account_home::sign_in_page(&state, lang, jar, "", Problem::PasskeyRefused).await,
        Outcome::Page(page) => page,
    }
}
