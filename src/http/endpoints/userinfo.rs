//! `GET|POST /userinfo` (OIDC Core §5.3). The token comes in the `Authorization: Bearer` header
//! or, for POST, the `access_token` form field (RFC 6750 §2.1–2.2); never the query.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::BearerError;
use crate::http::request::{form, header_str};
use crate::oauth::error::OAuthError;
use crate::oauth::userinfo::{self, UserInfo};

fn bearer_token(method: &Method, headers: &HeaderMap, body: &Bytes) -> Result<String, BearerError> {
    let from_header = header_str(headers, header::AUTHORIZATION)
        .map(|h| match h.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
                Ok(token.trim().to_owned())
            }
            _ => Err(BearerError::Protocol(OAuthError::invalid_request("malformed Authorization header"))),
        })
        .transpose()?;
    let from_body = if method == Method::POST && !body.is_empty() {
        form(headers, body)?.get("access_token").map(str::to_owned)
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
    let token = bearer_token(&method, &headers, &body)?;
    let mut response = match userinfo::respond(&state.provider, &token).await? {
        UserInfo::Claims(claims) => Json(claims).into_response(),
        UserInfo::Signed(jwt) => ([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response(),
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
