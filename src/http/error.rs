//! The one mapping of protocol errors to HTTP responses.
//!
//! - JSON endpoints (token, introspection, revocation): RFC 6749 §5.2 bodies; 401 with
//!   `WWW-Authenticate` for `invalid_client`; 503 with `Retry-After` when a dependency is down.
//! - Bearer-protected endpoints (userinfo): RFC 6750 §3 `WWW-Authenticate: Bearer` challenges.
//! - Pages: `views::Views::error`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::oauth::error::{ErrorCode, OAuthError};

/// An error of a JSON endpoint.
#[derive(Debug)]
pub struct JsonError(pub OAuthError);

impl From<OAuthError> for JsonError {
    fn from(e: OAuthError) -> Self {
        JsonError(e)
    }
}

fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn retry_after(response: &mut Response, code: ErrorCode) {
    if code == ErrorCode::TemporarilyUnavailable {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let code = self.0.code;
        let body = json!({ "error": code.as_str(), "error_description": self.0.description });
        let mut response = (status_of(code), Json(body)).into_response();
        no_store(&mut response);
        retry_after(&mut response, code);
        if code == ErrorCode::InvalidClient {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"GrandLyon Connect\""));
        }
        response
    }
}

/// Too many requests from one address (`http::throttle`): 429 with `Retry-After`, and the
/// closest OAuth error code, since RFC 6749 has none for it.
#[derive(Debug)]
pub struct TooManyRequests {
    pub retry_after_seconds: i64,
}

impl IntoResponse for TooManyRequests {
    fn into_response(self) -> Response {
        let seconds = self.retry_after_seconds.max(1);
        let description = format!("too many requests from this address: retry in {seconds} seconds");
        let body = json!({ "error": ErrorCode::InvalidRequest.as_str(), "error_description": description });
        let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        no_store(&mut response);
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// An error of a bearer-token-protected endpoint (RFC 6750 §3).
#[derive(Debug)]
pub enum BearerError {
    /// No token at all: a bare challenge, no error code (RFC 6750 §3.1).
    Missing,
    Protocol(OAuthError),
    /// An error about a DPoP-presented or DPoP-bound token: a `DPoP` challenge (RFC 9449 §7.1).
    Dpop(OAuthError),
}

impl From<OAuthError> for BearerError {
    fn from(e: OAuthError) -> Self {
        BearerError::Protocol(e)
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let dpop_algs = crate::oauth::dpop::SIGNING_ALGS.join(" ");
        let is_dpop = matches!(self, BearerError::Dpop(_));
        let (status, challenge, body) = match self {
            BearerError::Missing => (StatusCode::UNAUTHORIZED, "Bearer realm=\"GrandLyon Connect\"".to_owned(), None),
            BearerError::Protocol(e) | BearerError::Dpop(e) => {
                let scheme = if is_dpop {
                    format!("DPoP algs=\"{dpop_algs}\",")
                } else {
                    "Bearer realm=\"GrandLyon Connect\",".to_owned()
                };
                let challenge = format!(
                    "{scheme} error=\"{}\", error_description=\"{}\"",
                    e.code.as_str(),
                    e.description.replace(['"', '\\'], "'")
                );
                (
                    // At a resource a bad proof is a 401 (RFC 9449 §7.1), at the token endpoint a 400.
                    if e.code == ErrorCode::InvalidDpopProof { StatusCode::UNAUTHORIZED } else { status_of(e.code) },
                    challenge,
                    Some(json!({ "error": e.code.as_str(), "error_description": e.description })),
                )
            }
        };
        let mut response = match body {
            Some(b) => (status, Json(b)).into_response(),
            None => status.into_response(),
        };
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if status == StatusCode::UNAUTHORIZED
            && challenge.starts_with("Bearer realm=\"GrandLyon Connect\"")
            && !challenge.contains("error=")
            && let Ok(v) = HeaderValue::from_str(&format!("DPoP algs=\"{dpop_algs}\""))
        {
            // No token at all: either scheme may be used.
            response.headers_mut().append(header::WWW_AUTHENTICATE, v);
        }
        no_store(&mut response);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            retry_after(&mut response, ErrorCode::TemporarilyUnavailable);
        }
        response
    }
}

/// The admin API's errors: RFC 6750 challenges for the token, then a JSON body with an `error`
/// code, a description, and the `field` at fault for a validation error.
impl IntoResponse for crate::admin::AdminError {
    fn into_response(self) -> Response {
        use crate::admin::AdminError as E;
        let description = self.to_string();
        let (status, code, field) = match self {
            E::NoToken => return BearerError::Missing.into_response(),
            E::Token(e) if e.code == ErrorCode::InvalidDpopProof => return BearerError::Dpop(e).into_response(),
            E::Token(e) => return BearerError::Protocol(e).into_response(),
            E::InsufficientScope(scope) => {
                let mut response = (
                    StatusCode::FORBIDDEN,
                    Json(json!({ "error": "insufficient_scope", "error_description": description, "scope": scope })),
                )
                    .into_response();
                let challenge =
                    format!("Bearer realm=\"GrandLyon Connect\", error=\"insufficient_scope\", scope=\"{scope}\"");
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                return response;
            }
            E::Forbidden => (StatusCode::FORBIDDEN, "forbidden", None),
            E::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            E::Invalid { field, .. } => (StatusCode::BAD_REQUEST, "invalid_request", Some(field)),
            E::Conflict(_) => (StatusCode::CONFLICT, "conflict", None),
            E::PreconditionRequired => (StatusCode::PRECONDITION_REQUIRED, "precondition_required", None),
            E::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, "precondition_failed", None),
            E::Store(e) => return JsonError(e.into()).into_response(),
            E::Unavailable(cause) => {
                tracing::warn!(%cause, "admin API: a dependency is unavailable");
                return JsonError(OAuthError::new(ErrorCode::TemporarilyUnavailable, "try again shortly"))
                    .into_response();
            }
            E::Internal(cause) => {
                tracing::error!(%cause, "admin API: internal error");
                return JsonError(OAuthError::server_error()).into_response();
            }
        };
        let mut body = json!({ "error": code, "error_description": description });
        if let Some(field) = field {
            body["field"] = field.into();
        }
        let mut response = (status, Json(body)).into_response();
        no_store(&mut response);
        response
    }
}
