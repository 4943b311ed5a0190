//! The protocol's error vocabulary, each code cited from the spec that defines it.
//!
//! [`OAuthError`] is what the protocol domain returns; `http::error` is the one place that
//! turns it into a status, headers and a body. An authorization-endpoint error additionally
//! knows whether it may be sent to the client's `redirect_uri` ([`AuthorizeError`]).

use std::borrow::Cow;

use crate::store::StoreError;
use crate::store::ephemeral::EphemeralError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// RFC 6749 §4.1.2.1, §5.2: missing, invalid, repeated or unsupported parameter.
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed (401 with `WWW-Authenticate`).
    InvalidClient,
    /// RFC 6749 §5.2: the code, refresh token or credentials are invalid, expired or revoked.
    InvalidGrant,
    /// RFC 6749 §4.1.2.1, §5.2: the client may not use this grant or method.
    UnauthorizedClient,
    /// RFC 6749 §5.2.
    UnsupportedGrantType,
    /// RFC 6749 §4.1.2.1, §5.2.
    InvalidScope,
    /// RFC 6749 §4.1.2.1: the resident or the server refused.
    AccessDenied,
    /// RFC 6749 §4.1.2.1.
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1.
    ServerError,
    /// RFC 6749 §4.1.2.1 (503 on the other endpoints).
    TemporarilyUnavailable,
    /// OIDC Core §3.1.2.6.
    InteractionRequired,
    /// OIDC Core §3.1.2.6.
    LoginRequired,
    /// OIDC Core §3.1.2.6.
    AccountSelectionRequired,
    /// OIDC Core §3.1.2.6.
    ConsentRequired,
    /// OIDC Core §3.1.2.6.
    RequestNotSupported,
    /// OIDC Core §3.1.2.6.
    RequestUriNotSupported,
    /// OIDC Core §3.1.2.6.
    RegistrationNotSupported,
    /// OIDC Core §3.1.2.6, RFC 9101 §6.2: the request object is invalid.
    InvalidRequestObject,
    /// OIDC Core §3.1.2.6, RFC 9126 §4: the `request_uri` is invalid, expired or used.
    InvalidRequestUri,
    /// RFC 7591 §3.2.2.
    InvalidRedirectUri,
    /// RFC 9449 §5, §7.1: the DPoP proof is missing, invalid or replayed.
    InvalidDpopProof,
    /// RFC 7591 §3.2.2.
    InvalidClientMetadata,
    /// RFC 8707 §2: the requested resource is unknown or not allowed to the client.
    InvalidTarget,
    /// RFC 6750 §3.1: the access token is invalid, expired or revoked (401).
    InvalidToken,
    /// RFC 6750 §3.1 (403).
    InsufficientScope,
    /// RFC 7009 §2.2.1.
    UnsupportedTokenType,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::AccountSelectionRequired => "account_selection_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::RegistrationNotSupported => "registration_not_supported",
            ErrorCode::InvalidRequestObject => "invalid_request_object",
            ErrorCode::InvalidRequestUri => "invalid_request_uri",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
        }
    }
}

/// A protocol error: a code from the spec and a description safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError { code, description: description.into() }
    }
    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_token(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, d)
    }
    pub fn server_error() -> Self {
        Self::new(ErrorCode::ServerError, "the server could not complete the request")
    }
    pub fn unavailable() -> Self {
        Self::new(ErrorCode::TemporarilyUnavailable, "the service is temporarily unavailable, retry later")
    }
}

/// Infrastructure failures become `server_error` or `temporarily_unavailable`; the cause is
/// logged here, once, and never sent to the client.
impl From<StoreError> for OAuthError {
    fn from(err: StoreError) -> Self {
        crate::telemetry::backend_error("database");
        match err {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %err, "database unavailable");
                OAuthError::unavailable()
            }
            _ => {
                tracing::error!(error = %err, "database error");
                OAuthError::server_error()
            }
        }
    }
}

/// A partner's offer refusing a request: an unavailable scope, or an API out of reach.
impl From<crate::partners::offer::OfferError> for OAuthError {
    fn from(err: crate::partners::offer::OfferError) -> Self {
        use crate::partners::offer::{OfferError, OfferRefusal};
        match err {
            OfferError::Refused(refusal @ OfferRefusal::ReservedScope { .. }) => {
                OAuthError::new(ErrorCode::InvalidScope, refusal.to_string())
            }
            OfferError::Refused(refusal @ OfferRefusal::RestrictedPartner { .. }) => {
                OAuthError::new(ErrorCode::InvalidTarget, refusal.to_string())
            }
            OfferError::Store(e) => e.into(),
        }
    }
}

impl From<EphemeralError> for OAuthError {
    fn from(err: EphemeralError) -> Self {
        crate::telemetry::backend_error("redis");
        tracing::warn!(error = %err, "short-lived store unavailable");
        OAuthError::unavailable()
    }
}

impl From<crate::signing::JwtError> for OAuthError {
    fn from(err: crate::signing::JwtError) -> Self {
        tracing::error!(error = %err, "signing failed");
        OAuthError::server_error()
    }
}

/// Where an authorization-endpoint error goes (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or its `redirect_uri` could not be verified: show our own page, never
    /// redirect (an open redirector otherwise).
    Page(PageError),
    /// Send the error to the verified `redirect_uri`.
    Redirect { target: super::response::ResponseTarget, error: OAuthError },
}

/// An error shown to a person on our own page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    pub status: u16,
    pub kind: PageErrorKind,
    /// Technical detail for the developer of the client (never a secret).
    pub detail: Cow<'static, str>,
}

/// The reasons a page error can have, each with a translated explanation for the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageErrorKind {
    InvalidClient,
    InvalidRedirectUri,
    BadRequest,
    ExpiredInteraction,
    Unavailable,
    Internal,
}

impl PageError {
    pub fn new(status: u16, kind: PageErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        PageError { status, kind, detail: detail.into() }
    }
    pub fn bad_request(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(400, PageErrorKind::BadRequest, detail)
    }
    pub fn expired() -> Self {
        Self::new(400, PageErrorKind::ExpiredInteraction, "unknown or expired interaction")
    }
}

impl From<OAuthError> for PageError {
    fn from(err: OAuthError) -> Self {
        match err.code {
            ErrorCode::TemporarilyUnavailable => PageError::new(503, PageErrorKind::Unavailable, err.description),
            ErrorCode::ServerError => PageError::new(500, PageErrorKind::Internal, err.description),
            _ => PageError::new(400, PageErrorKind::BadRequest, err.description),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        OAuthError::from(err).into()
    }
}

impl From<EphemeralError> for PageError {
    fn from(err: EphemeralError) -> Self {
        OAuthError::from(err).into()
    }
}
