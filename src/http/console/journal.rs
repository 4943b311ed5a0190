//! The audit journal's page (filters, pages of entries) and its export as JSON lines.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

use super::{BASE, Console, page};
use crate::admin::{AdminError, journal};
use crate::http::AppState;
use crate::http::admin_api::{input, journal as api};

/// Entries per page.
const PAGE: i64 = 50;

/// `DD/MM/YYYY HH:MM` (UTC), as the pages show a moment.
pub fn date_time(unix: i64) -> String {
    let format = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
}

/// The filters of the query, empty fields left out, as the admin API reads them.
fn filters(raw: Option<&str>) -> Result<std::collections::BTreeMap<String, String>, AdminError> {
    let known: Vec<&str> = api::FILTERS.iter().copied().chain(["after"]).collect();
    let mut params = input::query(raw, &known)?;
    params.retain(|_, v| !v.trim().is_empty());
    Ok(params)
}

#[derive(Serialize)]
struct Line {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: Option<String>,
    reason: Option<String>,
    origin: Option<String>,
    client_id: Option<String>,
    partner_id: Option<String>,
}

async fn render(state: &AppState, console: &Console, raw: Option<&str>) -> Result<Response, AdminError> {
    let params = filters(raw)?;
    let mut filter = api::filter(&params)?;
    filter.limit = PAGE;
    let found = journal::page(&state.provider, &console.caller, &filter).await?;
    let lines: Vec<Line> = found
        .items
        .into_iter()
        .map(|e| Line {
            seq: e.seq,
            at: date_time(e.at),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            reason: e.reason,
            origin: e.origin,
            client_id: e.client_id,
            partner_id: e.partner_id,
        })
        .collect();
    // The same filters, for the next page and the export.
    let mut kept = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params.iter().filter(|(n, _)| n.as_str() != "after") {
        kept.append_pair(name, value);
    }
    let kept = kept.finish();
    let next = found.next.map(|after| format!("{BASE}/journal?{kept}&after={after}"));
    let export = format!("{BASE}/journal/export?{kept}");
    let ctx = context! { lines => Serde(lines), filters => Serde(&params), next, export };
    Ok(page(state, console, StatusCode::OK, "console/journal.html", ctx))
}

pub async fn entries(State(state): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    render(&state, &console, raw.as_deref()).await.unwrap_or_else(|e| console.failed(&state, &e))
}

pub async fn export(State(state): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let exported = match filters(raw.as_deref()) {
        Ok(mut params) => {
            params.remove("after");
            match api::filter(&params) {
                Ok(filter) => journal::export(&state.provider, &console.caller, &filter).await,
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match exported {
        Ok(lines) => (
            [
                (header::CONTENT_TYPE, "application/x-ndjson"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"journal.jsonl\""),
                (header::CACHE_CONTROL, "no-store"),
            ],
            lines,
        )
            .into_response(),
        Err(e) => console.failed(&state, &e),
    }
}
