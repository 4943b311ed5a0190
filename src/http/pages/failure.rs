//! The error page for a failure behind a resident's page: a database or Redis that is down is
//! a 503 ("try again in a moment", with `Retry-After`), anything else a 500 — never a 500 for
//! an outage the resident can simply wait out.

use axum::response::Response;

use crate::http::AppState;
use crate::identity::account::AccountError;
use crate::identity::login::LoginFailure;
use crate::identity::mfa::MfaError;
use crate::identity::passkeys::PasskeyError;
use crate::identity::recovery::RecoveryError;
use crate::identity::signup::SignUpError;
use crate::oauth::error::OAuthError;
use crate::store::StoreError;
use crate::store::ephemeral::EphemeralError;

/// What went wrong, as the error page says it.
pub(super) struct Failure(OAuthError);

pub(super) fn failed(state: &AppState, lang: &str, e: impl Into<Failure>) -> Response {
    state.views.error(&e.into().0.into(), lang)
}

/// A failure that is nobody's fault but ours: logged, a 500.
fn internal(e: impl std::fmt::Display) -> Failure {
    tracing::error!(error = %e, "account page failed");
    Failure(OAuthError::server_error())
}

impl From<OAuthError> for Failure {
    fn from(e: OAuthError) -> Self {
        Failure(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure(e.into())
    }
}

impl From<EphemeralError> for Failure {
    fn from(e: EphemeralError) -> Self {
        Failure(e.into())
    }
}

impl From<SignUpError> for Failure {
    fn from(e: SignUpError) -> Self {
        match e {
            SignUpError::Store(e) => e.into(),
            SignUpError::Ephemeral(e) => e.into(),
            other => internal(other),
        }
    }
}

impl From<RecoveryError> for Failure {
    fn from(e: RecoveryError) -> Self {
        match e {
            RecoveryError::Store(e) => e.into(),
            RecoveryError::Ephemeral(e) => e.into(),
            other => internal(other),
        }
    }
}

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(e) => e.into(),
            other => internal(other),
        }
    }
}

impl From<MfaError> for Failure {
    fn from(e: MfaError) -> Self {
        match e {
            MfaError::Store(e) => e.into(),
            MfaError::Ephemeral(e) => e.into(),
            other => internal(other),
        }
    }
}

impl From<PasskeyError> for Failure {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Store(e) => e.into(),
            PasskeyError::Ephemeral(e) => e.into(),
            other => internal(other),
        }
    }
}

impl From<LoginFailure> for Failure {
    fn from(e: LoginFailure) -> Self {
        match e {
            LoginFailure::Unavailable(reason) => {
                tracing::warn!(%reason, "login unavailable");
                Failure(OAuthError::unavailable())
            }
            other => internal(other),
        }
    }
}

impl From<crate::federation::accounts::LinkError> for Failure {
    fn from(e: crate::federation::accounts::LinkError) -> Self {
        internal(e)
    }
}
