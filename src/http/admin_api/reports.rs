//! `/admin/api/fees` and `/admin/api/consent/statistics`: what the finance department and the
//! data-protection officer ask for.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};

use super::Authenticated;
use super::input;
use crate::admin::{AdminError, registry};
use crate::http::AppState;

pub async fn fees(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let params = input::query(raw.as_deref(), &["year"])?;
    let year = input::integer(&params, "year", 2000..=2100)?.ok_or_else(|| AdminError::invalid("year", "required"))?;
    let report = registry::fees(&state.provider, &caller, year as i32).await?;
    Ok(Json(report).into_response())
}

pub async fn consent_statistics(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let params = input::query(raw.as_deref(), &["partner", "since"])?;
    let since = input::day(&params, "since")?.unwrap_or(0);
    let stats =
        registry::consent_statistics(&state.provider, &caller, params.get("partner").map(String::as_str), since)
            .await?;
    Ok(Json(stats).into_response())
}
