//! The account page's passkeys: add one (a ceremony: options as JSON, then the form with the
//! authenticator's answer and the name the resident chose), rename one, remove one.

use axum::extract::{FromRequest, Request, State};
use axum::response::Response;

use super::account_home::{AccountForm, Feedback, home};
use super::passkey_login::options_response;
use crate::http::AppState;
use crate::http::i18n_passkeys;
use crate::identity::passkeys::{self, PasskeyError};
use crate::oauth::error::OAuthError;

/// `POST /account/passkeys/options`
pub async fn options(State(state): State<AppState>, request: Request) -> Response {
    match AccountForm::from_request(request, &state).await {
        Ok(form) => options_response(passkeys::start_registration(&state.provider, &form.account).await),
        Err(page) => page,
    }
}

fn failed(state: &AppState, lang: &str, e: PasskeyError) -> Response {
    tracing::error!(error = %e, "passkey management failed");
    state.views.error(&OAuthError::server_error().into(), lang)
}

/// `POST /account/passkeys`: the answer to the ceremony, and the passkey's name.
pub async fn add(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let k = i18n_passkeys::texts(lang);
    let (ceremony, answer) = (fields.get("ceremony").unwrap_or_default(), fields.get("credential").unwrap_or_default());
    let name = fields.get("name").unwrap_or_default();
    let refused = |error| Feedback { error: Some(error), field: "passkey_name", ..Feedback::default() };
    let feedback = match passkeys::finish_registration(&state.provider, &account, ceremony, answer, name).await {
        Ok(_) => Feedback { notice: Some(k.added), ..Feedback::default() },
        Err(PasskeyError::Name) => refused(k.invalid_name),
        Err(PasskeyError::AlreadyRegistered) => refused(k.already_registered),
        Err(PasskeyError::TooMany) => refused(k.too_many),
        Err(PasskeyError::Refused(why)) => {
            tracing::info!(reason = %why, "passkey registration refused");
            refused(k.failed)
        }
        Err(PasskeyError::NoCeremony) => refused(k.failed),
        Err(e) => return failed(&state, lang, e),
    };
    home(&state, lang, jar, &account, feedback).await
}

/// `POST /account/passkeys/rename`
pub async fn rename(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let k = i18n_passkeys::texts(lang);
    let (id, name) = (fields.get("id").unwrap_or_default(), fields.get("name").unwrap_or_default());
    let feedback = match passkeys::rename(&state.provider, &account.id, id, name).await {
        Ok(()) => Feedback { notice: Some(k.renamed), ..Feedback::default() },
        Err(PasskeyError::Name) => Feedback { error: Some(k.invalid_name), ..Feedback::default() },
        // Not one of theirs (a stale page): nothing to rename, the list shows what there is.
        Err(PasskeyError::Refused(_)) => Feedback::default(),
        Err(e) => return failed(&state, lang, e),
    };
    home(&state, lang, jar, &account, feedback).await
}

/// `POST /account/passkeys/remove`
pub async fn remove(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let k = i18n_passkeys::texts(lang);
    let feedback = match passkeys::remove(&state.provider, &account.id, fields.get("id").unwrap_or_default()).await {
        Ok(()) => Feedback { notice: Some(k.removed), ..Feedback::default() },
        Err(PasskeyError::Refused(_)) => Feedback::default(),
        Err(e) => return failed(&state, lang, e),
    };
    home(&state, lang, jar, &account, feedback).await
}
