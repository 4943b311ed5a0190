//! `/admin/api/…`: the administrators' JSON API over the `admin` domain functions, described by
//! the OpenAPI 3 document it serves (`openapi.json`, kept true by a test). Every request carries
//! an access token (RFC 6750 `Bearer`, or `DPoP`); the caller's role and the token's `admin:*`
//! scopes decide. Updates need `If-Match` with the `ETag` read (RFC 9110 §13.1.1).

mod clients;
mod helpdesk;
pub(crate) mod input;
pub(crate) mod journal;
mod keys;
mod partners;
mod reports;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

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
    ("get", "/clients/{id}/purposes"),
    ("put", "/clients/{id}/purposes/{scope}"),
    ("post", "/registration-tokens"),
    ("post", "/residents/search"),
    ("post", "/residents/{id}/assist"),
    ("get", "/keys"),
    ("post", "/keys/rotate"),
    ("post", "/keys/retire"),
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
        .route("/clients/{id}/purposes", get(clients::purposes))
        .route("/clients/{id}/purposes/{scope}", put(clients::declare_purpose))
        .route("/registration-tokens", post(clients::registration_token))
        .route("/residents/search", post(helpdesk::search))
        .route("/residents/{id}/assist", post(helpdesk::assist))
        .route("/keys", get(keys::list))
        .route("/keys/rotate", post(keys::rotate))
        .route("/keys/retire", post(keys::retire))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], OPENAPI).into_response()
}

/// The caller, from the request's access token.
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // No identifier or filter holds a NUL (PostgreSQL refuses it in text): said here, once.
        let uri = parts.uri.to_string();
        if percent_encoding::percent_decode_str(&uri).any(|b| b == 0) {
            return Err(AdminError::invalid("uri", "a NUL character is never valid here"));
        }
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

/// A versioned resource: its JSON with its `ETag`, and where it lives when just created.
fn versioned(status: StatusCode, version: i64, body: impl serde::Serialize, created_at: Option<String>) -> Response {
    let mut response = (status, [(header::ETAG, etag(version))], axum::Json(body)).into_response();
    if let Some(location) = created_at.and_then(|path| HeaderValue::from_str(&format!("{BASE}{path}")).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
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

/// A request's JSON object (`{}` for an empty body); anything else is refused with the field
/// `body`, or the member holding a NUL.
pub struct JsonObject(pub serde_json::Map<String, serde_json::Value>);

impl FromRequest<AppState> for JsonObject {
    type Rejection = AdminError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (method, headers) = (request.method().clone(), request.headers().clone());
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| AdminError::invalid("body", "unreadable or too large"))?;
        if body.is_empty() {
            return Ok(JsonObject(serde_json::Map::new()));
        }
        json_body(&method, &headers, &body).map(JsonObject)
    }
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
        Ok(serde_json::Value::Object(map)) => match holding_nul(&map) {
            Some(member) => Err(AdminError::invalid(&member, "a NUL character is never valid here")),
            None => Ok(map),
        },
        _ => Err(AdminError::invalid("body", "a JSON object")),
    }
}

/// The first member whose value holds a NUL character anywhere inside.
fn holding_nul(map: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    fn has_nul(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(has_nul),
            serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    map.iter().find(|(k, v)| k.contains('\0') || has_nul(v)).map(|(k, _)| k.replace('\0', ""))
}
