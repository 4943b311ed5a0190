//! `POST /revoke` (RFC 7009).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};

use crate::http::AppState;
use crate::http::error::JsonError;
use crate::http::request::{form, header_str};
use crate::oauth::revocation;

pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, JsonError> {
    let params = form(&headers, &body)?;
    revocation::revoke(&state.provider, header_str(&headers, header::AUTHORIZATION), &params).await?;
    Ok(StatusCode::OK)
}
