//! The help desk: find a resident (a reason is required and journaled), see their account's
//! status (never a secret), and act on it (a reason again, journaled).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

use super::journal::date_time;
use super::partners::split_error;
use super::{Console, ConsoleForm, page};
use crate::admin::helpdesk::{self, Assistance, ResidentStatus};
use crate::admin::{AdminError, roles::Permission};
use crate::http::{AppState, i18n_console};

/// The actions, in the order the form offers them.
const ACTIONS: [&str; 6] =
    ["resend_verification", "lift_throttling", "disable", "enable", "force_password_reset", "unlink_franceconnect"];

#[derive(Serialize)]
struct Resident {
    #[serde(flatten)]
    status: ResidentStatus,
    created: String,
    last_active: Option<String>,
}

fn shown(found: Vec<ResidentStatus>) -> Vec<Resident> {
    found
        .into_iter()
        .map(|status| Resident {
            created: date_time(status.created_at),
            last_active: status.last_active_at.map(date_time),
            status,
        })
        .collect()
}

struct Search<'a> {
    query: &'a str,
    reason: &'a str,
    residents: Option<Vec<Resident>>,
    error: Option<AdminError>,
    notice: Option<&'a str>,
}

fn render(state: &AppState, console: &Console, status: StatusCode, search: Search<'_>) -> Response {
    let (error_field, error) = split_error(search.error);
    let ctx = context! {
        query => search.query, reason => search.reason, residents => Serde(search.residents), actions => ACTIONS,
        error, error_field, notice => search.notice,
    };
    page(state, console, status, "console/helpdesk.html", ctx)
}

pub async fn form(State(state): State<AppState>, console: Console) -> Response {
    if let Err(e) = console.caller.require(Permission::AssistResidents) {
        return console.failed(&state, &e);
    }
    let search = Search { query: "", reason: "", residents: None, error: None, notice: None };
    render(&state, &console, StatusCode::OK, search)
}

pub async fn search(State(state): State<AppState>, ConsoleForm { console, params }: ConsoleForm) -> Response {
    let (query, reason) = (params.get("q").unwrap_or_default(), params.get("reason").unwrap_or_default());
    match helpdesk::find(&state.provider, &console.caller, query, reason).await {
        Ok(found) => {
            let search = Search { query, reason, residents: Some(shown(found)), error: None, notice: None };
            render(&state, &console, StatusCode::OK, search)
        }
        Err(e @ AdminError::Invalid { .. }) => {
            let search = Search { query, reason, residents: None, error: Some(e), notice: None };
            render(&state, &console, StatusCode::BAD_REQUEST, search)
        }
        Err(e) => console.failed(&state, &e),
    }
}

pub async fn assist(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, params }: ConsoleForm,
) -> Response {
    let reason = params.get("reason").unwrap_or_default();
    let Some(what) = params.get("action").and_then(Assistance::parse) else {
        return console.failed(&state, &AdminError::invalid("action", "choose one of the actions"));
    };
    match helpdesk::assist(&state.provider, &console.caller, &id, what, reason).await {
        Ok(after) => {
            let notice = Some(i18n_console::texts(console.lang).act_done);
            let search = Search { query: "", reason, residents: Some(shown(vec![after])), error: None, notice };
            render(&state, &console, StatusCode::OK, search)
        }
        Err(e) => console.failed(&state, &e),
    }
}
