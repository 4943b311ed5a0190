//! Reading protocol parameters from a request: the query of a GET, the form body of a POST.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri, header};

use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::params::Params;

/// Parameters of an endpoint that accepts GET (query) and POST (form body), as OIDC Core
/// §3.1.2.1 requires of the authorization endpoint.
pub fn params(method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Result<Params, OAuthError> {
    if method == Method::POST { form(headers, body) } else { Params::parse(uri.query().unwrap_or_default().as_bytes()) }
}

/// A form body; the content type must be `application/x-www-form-urlencoded`.
pub fn form(headers: &HeaderMap, body: &Bytes) -> Result<Params, OAuthError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    if !is_form {
        return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    Params::parse(body)
}

pub fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1), if any; another scheme or an
/// empty token is `invalid_request`.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    match header_str(headers, header::AUTHORIZATION).map(|h| h.split_once(' ')) {
        None => Ok(None),
        Some(Some((scheme, token))) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim()))
        }
        Some(_) => Err(OAuthError::invalid_request("malformed Authorization header")),
    }
}

/// Whether the body is declared as JSON (`application/json`, any parameters).
pub fn is_json(headers: &HeaderMap) -> bool {
    header_str(headers, header::CONTENT_TYPE)
        .map(|v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false)
}

/// The `DPoP` header (RFC 9449 §4.1): at most one, and text.
pub fn dpop_header(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    let mut values = headers.get_all("dpop").iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(OAuthError::new(ErrorCode::InvalidDpopProof, "more than one DPoP header"));
    }
    first
        .map(|v| v.to_str().map_err(|_| OAuthError::new(ErrorCode::InvalidDpopProof, "the DPoP header is not text")))
        .transpose()
}
