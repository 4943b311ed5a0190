//! `/admin/api/journal`: the audit journal, by pages or exported as JSON lines.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::Authenticated;
use super::input;
use crate::admin::{AdminError, journal};
use crate::http::AppState;
use crate::store::journal::JournalFilter;

pub(crate) const FILTERS: [&str; 5] = ["action", "client_id", "partner_id", "since", "until"];

pub(crate) fn filter(params: &BTreeMap<String, String>) -> Result<JournalFilter, AdminError> {
    Ok(JournalFilter {
        after: input::integer(params, "after", 0..=i64::MAX)?.unwrap_or(0),
        limit: input::integer(params, "limit", 1..=journal::MAX_PAGE)?.unwrap_or(100),
        action: params.get("action").cloned(),
        client_id: params.get("client_id").cloned(),
        partner_id: params.get("partner_id").cloned(),
        since: input::day(params, "since")?,
        until: input::day(params, "until")?,
    })
}

pub async fn page(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let known: Vec<&str> = FILTERS.iter().copied().chain(["after", "limit"]).collect();
    let params = input::query(raw.as_deref(), &known)?;
    Ok(Json(journal::page(&state.provider, &caller, &filter(&params)?).await?).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let params = input::query(raw.as_deref(), &FILTERS)?;
    let lines = journal::export(&state.provider, &caller, &filter(&params)?).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], lines).into_response())
}
