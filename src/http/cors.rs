//! Cross-origin access for single-page apps (discovery, JWKS, token, userinfo, revocation),
//! granted to the origins of registered redirect URIs only. No credentials: tokens travel in
//! headers and bodies, never in cookies, so `Access-Control-Allow-Credentials` is never sent.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::oauth::client::is_registered_origin;

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned) else {
        return next.run(request).await;
    };
    let allowed = is_registered_origin(&state.provider.db, &origin).await.unwrap_or(false);
    if request.method() == Method::OPTIONS {
        if !allowed {
            return StatusCode::FORBIDDEN.into_response();
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type, DPoP"),
        );
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        allow(&mut response, &origin);
        return response;
    }
    let mut response = next.run(request).await;
    if allowed {
        allow(&mut response, &origin);
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("WWW-Authenticate"));
    }
    response
}

fn allow(response: &mut Response, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
}
