//! `/.well-known/openid-configuration` and `/jwks`, both prepared at start.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;

fn json(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

pub async fn get(State(state): State<AppState>) -> Response {
    json(state.discovery.clone(), "application/json")
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    json(state.provider.keys().jwks_bytes(), "application/jwk-set+json")
}
