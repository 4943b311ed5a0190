//! `/admin/api/keys`: the provider's signing and encryption keys (never their private part).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::input::Members;
use super::{Authenticated, JsonObject};
use crate::admin::{AdminError, keys};
use crate::http::AppState;
use crate::signing::KeyAlg;

pub async fn list(State(state): State<AppState>, Authenticated(caller): Authenticated) -> Result<Response, AdminError> {
    Ok(Json(json!({ "items": keys::list(&state.provider, &caller)? })).into_response())
}

pub async fn rotate(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    let mut m = Members::new(body, &["algs", "now"])?;
    let names: Vec<String> = m.take("algs", "a list of algorithms")?.unwrap_or_default();
    let algs = names
        .iter()
        .map(|a| {
            KeyAlg::parse(a).ok_or_else(|| AdminError::invalid("algs", "RS256, ES256, EdDSA, RSA-OAEP-256, ECDH-ES"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let immediately = m.take("now", "a boolean")?.unwrap_or(false);
    let added = keys::rotate(&state.provider, &caller, &algs, immediately).await?;
    Ok(Json(json!({ "items": added })).into_response())
}

pub async fn retire(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Response, AdminError> {
    Ok(Json(json!({ "items": keys::retire(&state.provider, &caller).await? })).into_response())
}
