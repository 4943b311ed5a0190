//! `POST /par` (RFC 9126 §2).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::JsonError;
use crate::http::request::{dpop_header, form, header_str};
use crate::oauth::par;

pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, JsonError> {
    let params = form(&headers, &body)?;
    let authorization = header_str(&headers, header::AUTHORIZATION);
    let pushed = par::push(&state.provider, authorization, dpop_header(&headers)?, &params).await?;
    let mut response = (StatusCode::CREATED, Json(pushed)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
