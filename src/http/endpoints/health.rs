//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;

/// The process is alive.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready to serve: the database answers and has every migration, the short-lived store answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let provider = &state.provider;
    let database = match provider.db.pending_migrations().await {
        Ok(0) => "ok",
        Ok(_) => "migrations pending",
        Err(_) => "unreachable",
    };
    let short_lived = match provider.ephemeral.ping().await {
        Ok(()) => "ok",
        Err(_) => "unreachable",
    };
    let ready = database == "ok" && short_lived == "ok";
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({
        "ready": ready,
        "database": { "engine": provider.db.engine(), "status": database },
        "short_lived_store": { "engine": provider.ephemeral.engine(), "status": short_lived },
    });
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = crate::telemetry::render(&state.provider.db).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}
