//! The stylesheets, the FranceConnect logo and the passkey script, compiled into the binary
//! (no CDN, no file lookup).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

pub async fn stylesheet() -> Response {
    asset(include_str!("../../../static/glc.css"), "text/css; charset=utf-8")
}

/// The DSFR's FranceConnect button (its licence: `static/dsfr/LICENSE.md`).
pub async fn franceconnect_stylesheet() -> Response {
    asset(include_str!("../../../static/dsfr/connect.css"), "text/css; charset=utf-8")
}

/// FranceConnect's logo, as the DSFR draws it on the button.
pub async fn franceconnect_logo() -> Response {
    asset(include_str!("../../../static/dsfr/franceconnect.svg"), "image/svg+xml")
}

/// The only script of the site: passkey ceremonies (WebAuthn needs JavaScript); every page
/// works without it otherwise.
pub async fn passkey_script() -> Response {
    asset(include_str!("../../../static/passkeys.js"), "text/javascript; charset=utf-8")
}
