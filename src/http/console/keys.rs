//! The provider's signing keys: list, rotate (published ahead, or at once), retire.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

use super::journal::date_time;
use super::{Console, ConsoleForm, done, notice, page};
use crate::admin::keys;
use crate::http::{AppState, i18n_console};
use crate::signing::keys::ManifestEntry;

#[derive(Serialize)]
struct KeyLine {
    kid: String,
    alg: String,
    created: String,
    activates: String,
}

fn lines(entries: &[ManifestEntry]) -> Vec<KeyLine> {
    entries
        .iter()
        .map(|k| KeyLine {
            kid: k.kid.clone(),
            alg: k.alg.as_str().to_owned(),
            created: date_time(k.created_at),
            activates: date_time(k.activates_at.unwrap_or(k.created_at)),
        })
        .collect()
}

fn keys_page(state: &AppState, console: &Console, notice: Option<&str>, retired: Option<Vec<String>>) -> Response {
    match keys::list(&state.provider, &console.caller) {
        Ok(entries) => {
            let ctx = context! { keys => Serde(lines(&entries)), notice, retired };
            page(state, console, StatusCode::OK, "console/keys.html", ctx)
        }
        Err(e) => console.failed(state, &e),
    }
}

pub async fn list(State(state): State<AppState>, console: Console, RawQuery(query): RawQuery) -> Response {
    let notice = notice(console.lang, query.as_deref());
    keys_page(&state, &console, notice, None)
}

pub async fn rotate(State(state): State<AppState>, ConsoleForm { console, params }: ConsoleForm) -> Response {
    let immediately = params.get("immediately").is_some();
    match keys::rotate(&state.provider, &console.caller, &[], immediately).await {
        Ok(_) => done("/keys", "keys_rotated"),
        Err(e) => console.failed(&state, &e),
    }
}

pub async fn retire(State(state): State<AppState>, ConsoleForm { console, .. }: ConsoleForm) -> Response {
    match keys::retire(&state.provider, &console.caller).await {
        Ok(removed) => {
            let c = i18n_console::texts(console.lang);
            let notice = if removed.is_empty() { c.none_retired } else { c.keys_retired };
            keys_page(&state, &console, Some(notice), Some(removed.into_iter().map(|k| k.kid).collect()))
        }
        Err(e) => console.failed(&state, &e),
    }
}
