//! What an administrative request can fail with, in the admin API's terms; mapped once to HTTP
//! in `http::error`.

use crate::oauth::error::OAuthError;
use crate::partners::PartnerError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No token at all (RFC 6750 §3.1: a bare challenge).
    #[error("an access token is required")]
    NoToken,
    /// No valid bearer token (RFC 6750 §3.1: 401 with a challenge).
    #[error("{}", .0.description)]
    Token(OAuthError),
    /// The token lacks the scope the operation needs (RFC 6750 §3.1: 403 `insufficient_scope`).
    #[error("this operation needs the scope {0}")]
    InsufficientScope(&'static str),
    /// The account's (or client's) role does not allow it.
    #[error("your role does not allow this operation")]
    Forbidden,
    /// Nothing there, or nothing the caller may see (a commune's administrator is not told
    /// whether another commune's things exist).
    #[error("{0}: not found")]
    NotFound(String),
    /// A member of the request is wrong: `field` names it.
    #[error("{field}: {why}")]
    Invalid { field: String, why: String },
    #[error("{0}")]
    Conflict(String),
    /// An update without `If-Match` (RFC 6585 §3: 428).
    #[error("send If-Match with the ETag of the version you changed")]
    PreconditionRequired,
    /// An update on a stale version (RFC 9110 §13.1.1: 412).
    #[error("it changed since you read it: read it again, then retry")]
    PreconditionFailed,
    /// A dependency other than the database is unreachable (mail, the short-lived store):
    /// retry later (503).
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// Our fault, not the caller's (a key file unreadable…): logged, 500.
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AdminError {
    pub fn invalid(field: &str, why: impl Into<String>) -> Self {
        AdminError::Invalid { field: field.to_owned(), why: why.into() }
    }
}

impl From<PartnerError> for AdminError {
    fn from(e: PartnerError) -> Self {
        match e {
            PartnerError::Invalid { field, why } => AdminError::invalid(field, why),
            PartnerError::Changed { .. } => AdminError::PreconditionFailed,
            PartnerError::Exists(what) => AdminError::Conflict(format!("a partner with this {what} already exists")),
            PartnerError::NotFound(id) => AdminError::NotFound(id),
            PartnerError::Store(e) => AdminError::Store(e),
        }
    }
}

impl From<OAuthError> for AdminError {
    fn from(e: OAuthError) -> Self {
        AdminError::Token(e)
    }
}
