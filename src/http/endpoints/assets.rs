//! The stylesheet and the passkey script, compiled into the binary (no CDN, no file lookup).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub async fn stylesheet() -> Response {
    let mut response = include_str!("../../../static/glc.css").into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

/// The only script of the site: passkey ceremonies (WebAuthn needs JavaScript); every page
/// works without it otherwise.
pub async fn passkey_script() -> Response {
    let mut response = include_str!("../../../static/passkeys.js").into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}
