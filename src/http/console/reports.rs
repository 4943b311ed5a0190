//! What the finance department and the data-protection officer ask for: the year's fees of
//! every partner the administrator sees, with the total, and the consent figures per partner.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Serde;

use super::{Console, page};
use crate::admin::{AdminError, registry};
use crate::http::AppState;
use crate::oauth::params::Params;

/// A year of consent figures.
const STATISTICS_DAYS: i64 = 365;

pub async fn show(State(state): State<AppState>, console: Console, RawQuery(query): RawQuery) -> Response {
    let provider = &state.provider;
    let now = provider.now();
    let this_year = time::OffsetDateTime::from_unix_timestamp(now).map(|t| t.year()).unwrap_or(2026);
    let asked = Params::parse(query.unwrap_or_default().as_bytes()).ok().and_then(|p| p.get("year").map(str::to_owned));
    let year = match asked.as_deref().map(str::parse::<i32>) {
        None => this_year,
        Some(Ok(year)) => year,
        Some(Err(_)) => return console.failed(&state, &AdminError::invalid("year", "a fiscal year, e.g. 2026")),
    };
    let fees = match registry::fees(provider, &console.caller, year).await {
        Ok(report) => report,
        Err(e) => return console.failed(&state, &e),
    };
    let statistics =
        registry::consent_statistics(provider, &console.caller, None, now - STATISTICS_DAYS * 86_400).await.ok();
    let ctx = context! { year, fees => Serde(fees), statistics => Serde(statistics) };
    page(&state, &console, StatusCode::OK, "console/reports.html", ctx)
}
