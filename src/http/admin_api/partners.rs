//! `/admin/api/partners`: the registry.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::input::{self, Members};
use super::{Authenticated, JsonObject, if_match, versioned};
use crate::admin::{AdminError, registry};
use crate::http::AppState;
use crate::partners::{Contact, Offer, Partner, PartnerChanges};

const MEMBERS: [&str; 7] = ["name", "insee_code", "population", "offer", "pilot", "joined_on", "contacts"];

fn changes(body: serde_json::Map<String, serde_json::Value>) -> Result<PartnerChanges, AdminError> {
    let mut m = Members::new(body, &MEMBERS)?;
    let offer: Option<String> = m.take("offer", "\"global\" or \"restricted\"")?;
    Ok(PartnerChanges {
        name: m.take("name", "a string")?,
        insee_code: m.take("insee_code", "a string of 5 characters")?,
        population: m.take("population", "an integer")?,
        offer: offer
            .map(|o| Offer::parse(&o).ok_or_else(|| AdminError::invalid("offer", "\"global\" or \"restricted\"")))
            .transpose()?,
        pilot: m.take("pilot", "a boolean")?,
        joined_on: m.take("joined_on", "a date, YYYY-MM-DD")?,
        contacts: m.take::<Vec<Contact>>("contacts", "a list of {name, email, role?}")?,
    })
}

fn one(status: StatusCode, partner: &Partner) -> Response {
    versioned(status, partner.version, partner, None)
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let params = input::query(raw.as_deref(), &["limit", "after"])?;
    let all = registry::partners(&state.provider, &caller).await?;
    Ok(Json(input::page(&all, &params, |p: &Partner| &p.id)?).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    let changes = changes(body)?;
    if changes.name.is_none() {
        return Err(AdminError::invalid("name", "required"));
    }
    let created = registry::create_partner(&state.provider, &caller, changes).await?;
    let location = format!("/partners/{}", created.id);
    Ok(versioned(StatusCode::CREATED, created.version, &created, Some(location)))
}

pub async fn show(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    Ok(one(StatusCode::OK, &registry::partner(&state.provider, &caller, &id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    // Only what the caller may see exists for them, whatever they send.
    let current = registry::partner(&state.provider, &caller, &id).await?;
    let version = if_match(&headers)?.unwrap_or(current.version);
    if body.is_empty() {
        return Err(AdminError::invalid("body", "nothing to change"));
    }
    let changes = changes(body)?;
    let updated = registry::update_partner(&state.provider, &caller, &id, changes, version).await?;
    Ok(one(StatusCode::OK, &updated))
}
