//! `/admin/api/…`: the administrators' JSON API over the `admin` domain functions, described by
//! the OpenAPI 3 document it serves (`openapi.json`, kept true by a test). Every request carries
//! an access token (RFC 6750 `Bearer`, or `DPoP`); the caller's role and the token's `admin:*`
//! scopes decide. Updates need `If-Match` with the `ETag` read (RFC 9110 §13.1.1).

mod clients;
mod input;
mod journal;
mod partners;
mod reports;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::AppState;
use super::request::{dpop_header, header_str};
use crate::admin::{AdminError, Caller, caller};
use crate::oauth::dpop::Presentation;

/// Where the API lives.
pub const BASE: &str = "/admin/api";

/// The OpenAPI document, served as is.
pub const OPENAPI: &str = include_str!("../../../docs/admin-api.openapi.json");

/// Every route, as (method, path under `BASE`, OpenAPI-style): what the router serves and what
/// the document must describe, checked by a test.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/openapi.json"),
    ("get", "/partners"),
    ("post", "/partners"),
    ("get", "/partners/{id}"),
    ("patch", "/partners/{id}"),
    ("get", "/fees"),
    ("get", "/consent/statistics"),
    ("get", "/journal"),
    ("get", "/journal/export"),
    ("get", "/clients"),
    ("post", "/clients"),
    ("get", "/clients/{id}"),
    ("patch", "/clients/{id}"),
    ("delete", "/clients/{id}"),
    ("post", "/clients/{id}/secret"),
    ("post", "/registration-tokens"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/partners", get(partners::list).post(partners::create))
        .route("/partners/{id}", get(partners::show).patch(partners::update))
        .route("/fees", get(reports::fees))
        .route("/consent/statistics", get(reports::consent_statistics))
        .route("/journal", get(journal::page))
        .route("/journal/export", get(journal::export))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{id}", get(clients::show).patch(clients::update).delete(clients::delete))
        .route("/clients/{id}/secret", post(clients::rotate_secret))
        .route("/registration-tokens", post(clients::registration_token))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], OPENAPI).into_response()
}

/// The caller, from the request's access token.
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let (scheme, token) = match header_str(headers, header::AUTHORIZATION).map(|h| h.split_once(' ')) {
            None => return Err(AdminError::NoToken),
            Some(Some((scheme, token))) if !token.trim().is_empty() => (scheme, token.trim()),
            Some(_) => {
                return Err(AdminError::Token(crate::oauth::error::OAuthError::invalid_request(
                    "malformed Authorization header",
                )));
            }
        };
        let dpop_scheme = scheme.eq_ignore_ascii_case("dpop");
        if !dpop_scheme && !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AdminError::NoToken);
        }
        let url = state.provider.url(parts.uri.path());
        let presented =
            Presentation { dpop_scheme, proof: dpop_header(headers)?, method: parts.method.as_str(), url: &url };
        let origin = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| state.client_ip(*peer, headers).to_string());
        Ok(Authenticated(caller::from_token(&state.provider, token, presented, origin).await?))
    }
}

/// `"v{version}"`.
fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).unwrap_or(HeaderValue::from_static("\"v0\""))
}

/// The version an update was made on, from `If-Match` (`*`: whatever is current).
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AdminError> {
    let value = header_str(headers, header::IF_MATCH).ok_or(AdminError::PreconditionRequired)?.trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .strip_prefix("\"v")
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        // An ETag we never gave cannot match anything.
        .ok_or(AdminError::PreconditionFailed)
}

/// A JSON body; a request that is not JSON is refused with the field `body`.
fn json_body(
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, AdminError> {
    let content_type = header_str(headers, header::CONTENT_TYPE).unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let accepted = media.eq_ignore_ascii_case("application/json")
        || (method == Method::PATCH && media.eq_ignore_ascii_case("application/merge-patch+json"));
    if !accepted {
        return Err(AdminError::invalid("body", "send application/json"));
    }
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(AdminError::invalid("body", "a JSON object")),
    }
}
