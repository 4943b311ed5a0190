//! `POST /introspect` (RFC 7662).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::JsonError;
use crate::http::request::{form, header_str};
use crate::oauth::introspection;

pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, JsonError> {
    let params = form(&headers, &body)?;
    let answer =
        introspection::introspect(&state.provider, header_str(&headers, header::AUTHORIZATION), &params).await?;
    let mut response = Json(answer).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
