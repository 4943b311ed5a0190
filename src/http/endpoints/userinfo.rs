//! `GET|POST /userinfo` (OIDC Core §5.3). The token comes in the `Authorization` header
//! (`Bearer`, or `DPoP` with a proof, RFC 9449 §7) or, for POST, the `access_token` form field
//! (RFC 6750 §2.2); never the query.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::BearerError;
use crate::http::request::{dpop_header, form, header_str};
use crate::oauth::discovery::paths;
use crate::oauth::dpop::Presentation;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::userinfo::{self, UserInfo};

/// The access token and whether it came with the `DPoP` scheme.
fn access_token(method: &Method, headers: &HeaderMap, body: &Bytes) -> Result<(String, bool), BearerError> {
    let from_header = header_str(headers, header::AUTHORIZATION)
        .map(|h| match h.split_once(' ') {
            Some((scheme, token)) if !token.trim().is_empty() && scheme.eq_ignore_ascii_case("bearer") => {
                Ok((token.trim().to_owned(), false))
            }
            Some((scheme, token)) if !token.trim().is_empty() && scheme.eq_ignore_ascii_case("dpop") => {
                Ok((token.trim().to_owned(), true))
            }
            _ => Err(BearerError::Protocol(OAuthError::invalid_request("malformed Authorization header"))),
        })
        .transpose()?;
    let from_body = if method == Method::POST && !body.is_empty() {
        form(headers, body)?.get("access_token").map(|t| (t.to_owned(), false))
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => {
            Err(BearerError::Protocol(OAuthError::invalid_request("use only one way to send the token")))
        }
        (Some(t), None) | (None, Some(t)) => Ok(t),
        (None, None) => Err(BearerError::Missing),
    }
}

pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, BearerError> {
    let (token, dpop_scheme) = access_token(&method, &headers, &body)?;
    let challenge = |e: OAuthError| {
        if dpop_scheme || e.code == ErrorCode::InvalidDpopProof {
            BearerError::Dpop(e)
        } else {
            BearerError::Protocol(e)
        }
    };
    let url = state.provider.url(paths::USERINFO);
    let presented = Presentation {
        dpop_scheme,
        proof: dpop_header(&headers).map_err(challenge)?,
        method: method.as_str(),
        url: &url,
    };
    let mut response = match userinfo::respond(&state.provider, &token, presented).await.map_err(challenge)? {
        UserInfo::Claims(claims) => Json(claims).into_response(),
        UserInfo::Jwt(jwt) => ([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response(),
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
