//! `POST /token` (RFC 6749 §3.2).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::JsonError;
use crate::http::request::{dpop_header, form, header_str};
use crate::oauth::token;

pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, JsonError> {
    let params = form(&headers, &body)?;
    let authorization = header_str(&headers, header::AUTHORIZATION);
    let dpop = dpop_header(&headers)?;
    let tokens = token::exchange(&state.provider, authorization, dpop, &params).await?;
    let mut response = Json(tokens).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}
