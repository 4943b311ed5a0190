//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;

use crate::http::AppState;

/// The process is alive.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match crate::store::ping(&state.provider.db).await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
