//! Delivering an authorization response: a 303 to the redirect URI (query mode), or a page that
//! posts the parameters to it (form_post mode).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::http::AppState;
use crate::http::views::csp;
use crate::oauth::response::{AuthorizationResponse, ResponseMode};
use crate::secrets;

pub fn deliver(state: &AppState, response: &AuthorizationResponse, lang: &str) -> Response {
    match response.mode {
        ResponseMode::Query => redirect(&response.redirect_url()),
        ResponseMode::FormPost => {
            let nonce = secrets::random_token(16);
            let origin = response.origin();
            let ctx = context! { action => &response.redirect_uri, params => &response.params, nonce => &nonce };
            state.views.page(StatusCode::OK, "response/form_post.html", lang, ctx, csp(Some(&origin), Some(&nonce)))
        }
    }
}

/// 303 See Other: the browser follows with GET whatever the method that led here.
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
