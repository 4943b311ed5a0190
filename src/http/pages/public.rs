//! The pages a French public body must publish, linked from every page's footer: the
//! accessibility statement (RGAA 4.1), the legal notices and the privacy policy.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use minijinja::context;

use super::lang_of;
use crate::http::AppState;
use crate::http::views::csp;

/// `?lang=en` or `?lang=fr` overrides the browser's languages (a link on the page).
fn lang(uri: &Uri, headers: &HeaderMap) -> &'static str {
    match uri.query().unwrap_or_default() {
        "lang=en" => "en",
        "lang=fr" => "fr",
        _ => lang_of(headers),
    }
}

fn show(state: &AppState, template: &str, uri: &Uri, headers: &HeaderMap) -> Response {
    state.views.page(StatusCode::OK, template, lang(uri, headers), context! {}, csp(None, None))
}

pub async fn accessibility(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    show(&state, "public/accessibility.html", &uri, &headers)
}

pub async fn legal(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    show(&state, "public/legal.html", &uri, &headers)
}

pub async fn privacy(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    show(&state, "public/privacy.html", &uri, &headers)
}
