//! `POST /register` (RFC 7591) and `GET|PUT|DELETE /register/{client_id}` (RFC 7592).

use axum::Json;
use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::http::AppState;
use crate::http::error::{BearerError, JsonError, TooManyRequests};
use crate::http::request::{bearer, is_json};
use crate::http::throttle::{self, REGISTRATIONS};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::registration;

/// A bad token is a bearer challenge (RFC 6750 §3); anything else a JSON error (RFC 7591 §3.2.2).
fn error(e: OAuthError) -> Response {
    if e.code == ErrorCode::InvalidToken {
        BearerError::Protocol(e).into_response()
    } else {
        JsonError(e).into_response()
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn json_body(headers: &HeaderMap) -> Result<(), OAuthError> {
    if is_json(headers) { Ok(()) } else { Err(OAuthError::invalid_request("the body must be application/json")) }
}

pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Open registration (no initial access token) is what a script could flood; a token an
    // administrator issued already counts its own uses.
    if !headers.contains_key(header::AUTHORIZATION) {
        let provider = &state.provider;
        let ip = state.client_ip(peer, &headers);
        match throttle::spend(&provider.ephemeral, &REGISTRATIONS, ip, provider.now()).await {
            Ok(0) => {}
            Ok(wait) => return TooManyRequests { retry_after_seconds: wait }.into_response(),
            Err(e) => return error(e.into()),
        }
    }
    let outcome = async {
        let token = bearer(&headers)?;
        json_body(&headers)?;
        registration::register(&state.provider, token, &body).await
    };
    match outcome.await {
        Ok(registered) => json_response(StatusCode::CREATED, registered),
        Err(e) => error(e),
    }
}

pub async fn read(State(state): State<AppState>, Path(client_id): Path<String>, headers: HeaderMap) -> Response {
    let outcome = async { registration::read(&state.provider, &client_id, bearer(&headers)?).await };
    match outcome.await {
        Ok(registration) => json_response(StatusCode::OK, registration),
        Err(e) => error(e),
    }
}

pub async fn replace(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = async {
        let token = bearer(&headers)?;
        json_body(&headers)?;
        registration::replace(&state.provider, &client_id, token, &body).await
    };
    match outcome.await {
        Ok(registration) => json_response(StatusCode::OK, registration),
        Err(e) => error(e),
    }
}

pub async fn delete(State(state): State<AppState>, Path(client_id): Path<String>, headers: HeaderMap) -> Response {
    let outcome = async { registration::delete(&state.provider, &client_id, bearer(&headers)?).await };
    match outcome.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(e),
    }
}
