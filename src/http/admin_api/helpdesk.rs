//! `/admin/api/residents`: the help desk. Searches and actions are POSTs with a `reason`, so
//! neither the query nor the reason lands in an access log.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::input::Members;
use super::{Authenticated, JsonObject};
use crate::admin::AdminError;
use crate::admin::helpdesk::{self, Assistance};
use crate::http::AppState;

pub async fn search(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    let mut m = Members::new(body, &["q", "reason"])?;
    let query: String = m.take("q", "a string")?.ok_or_else(|| AdminError::invalid("q", "required"))?;
    let reason: String = m.take("reason", "a string")?.unwrap_or_default();
    let found = helpdesk::find(&state.provider, &caller, &query, &reason).await?;
    Ok(Json(json!({ "items": found })).into_response())
}

pub async fn assist(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    let mut m = Members::new(body, &["action", "reason"])?;
    let actions = "resend_verification, lift_throttling, disable, enable, force_password_reset, unlink_franceconnect";
    let action: String = m.take("action", actions)?.ok_or_else(|| AdminError::invalid("action", "required"))?;
    let what = Assistance::parse(&action).ok_or_else(|| AdminError::invalid("action", actions))?;
    let reason: String = m.take("reason", "a string")?.unwrap_or_default();
    Ok(Json(helpdesk::assist(&state.provider, &caller, &id, what, &reason).await?).into_response())
}
