//! `POST /token` (RFC 6749 §3.2).

use axum::Json;
use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::{JsonError, TooManyRequests};
use crate::http::request::{dpop_header, form, header_str};
use crate::http::throttle::{self, TOKEN_FAILURES};
use crate::oauth::error::ErrorCode;
use crate::oauth::token;

pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let provider = &state.provider;
    let ip = state.client_ip(peer, &headers);
    let store = &provider.ephemeral;
    let wait = throttle::wait_seconds(store, &TOKEN_FAILURES, ip, provider.now()).await.map_err(into_json)?;
    if wait > 0 {
        return Err(TooManyRequests { retry_after_seconds: wait }.into_response());
    }
    let outcome = async {
        let params = form(&headers, &body)?;
        let authorization = header_str(&headers, header::AUTHORIZATION);
        let dpop = dpop_header(&headers)?;
        token::exchange(provider, authorization, dpop, &params).await
    };
    match outcome.await {
        Ok(tokens) => {
            let mut response = Json(tokens).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            Ok(response)
        }
        Err(e) => {
            // Wrong credentials, codes or refresh tokens count against the address: guessing
            // them takes many tries, a client that holds them needs none.
            if matches!(e.code, ErrorCode::InvalidClient | ErrorCode::InvalidGrant) {
                throttle::spend(store, &TOKEN_FAILURES, ip, provider.now()).await.map_err(into_json)?;
            }
            Err(JsonError(e).into_response())
        }
    }
}

fn into_json(e: crate::store::ephemeral::EphemeralError) -> Response {
    JsonError(e.into()).into_response()
}
