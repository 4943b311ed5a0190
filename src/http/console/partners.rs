//! The registry's pages: the partners an administrator sees, one partner with its fee, its
//! consent figures and its applications; creating and changing partners (the Métropole's).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Serde;

use super::forms::PartnerForm;
use super::{Console, ConsoleForm, done, notice, page, read_version};
use crate::admin::roles::Permission;
use crate::admin::{AdminError, clients, registry};
use crate::http::AppState;

/// A year of consent figures.
const STATISTICS_DAYS: i64 = 365;

fn this_year(now: i64) -> i32 {
    time::OffsetDateTime::from_unix_timestamp(now).map(|t| t.year()).unwrap_or(2026)
}

async fn list_page(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    form: PartnerForm,
    error: Option<AdminError>,
    notice: Option<&str>,
) -> Response {
    let partners = match registry::partners(&state.provider, &console.caller).await {
        Ok(list) => list,
        Err(e) => return console.failed(state, &e),
    };
    let may_create = console.caller.require(Permission::ManagePartners).is_ok();
    let (error_field, error) = split_error(error);
    let ctx = context! { partners => Serde(partners), may_create, form => Serde(form), error, error_field, notice };
    page(state, console, status, "console/partners.html", ctx)
}

/// A validation error for the form (field, words); anything else has its own page.
pub(super) fn split_error(error: Option<AdminError>) -> (Option<String>, Option<String>) {
    match error {
        Some(AdminError::Invalid { field, why }) => (Some(field.clone()), Some(format!("{field} : {why}"))),
        Some(other) => (None, Some(other.to_string())),
        None => (None, None),
    }
}

pub async fn list(State(state): State<AppState>, console: Console, RawQuery(query): RawQuery) -> Response {
    let notice = notice(console.lang, query.as_deref());
    let form = PartnerForm { offer: "global".into(), ..PartnerForm::default() };
    list_page(&state, &console, StatusCode::OK, form, None, notice).await
}

pub async fn create(State(state): State<AppState>, ConsoleForm { console, params }: ConsoleForm) -> Response {
    let form = PartnerForm::read(&params);
    let created = match form.changes(&PartnerForm::default()) {
        Ok(changes) if changes.name.is_none() => Err(AdminError::invalid("name", "required")),
        Ok(changes) => registry::create_partner(&state.provider, &console.caller, changes).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(partner) => done(&format!("/partners/{}", partner.id), "partner_created"),
        Err(e @ (AdminError::Invalid { .. } | AdminError::Conflict(_))) => {
            list_page(&state, &console, StatusCode::BAD_REQUEST, form, Some(e), None).await
        }
        Err(e) => console.failed(&state, &e),
    }
}

async fn partner_page(
    state: &AppState,
    console: &Console,
    id: &str,
    status: StatusCode,
    form: Option<PartnerForm>,
    error: Option<AdminError>,
    notice: Option<&str>,
) -> Response {
    let provider = &state.provider;
    let caller = &console.caller;
    let partner = match registry::partner(provider, caller, id).await {
        Ok(p) => p,
        Err(e) => return console.failed(state, &e),
    };
    let now = provider.now();
    // Each section shows only if the role opens it.
    let fee = registry::fees(provider, caller, this_year(now))
        .await
        .ok()
        .and_then(|report| report.lines.into_iter().find(|l| l.partner_id == partner.id));
    let statistics =
        registry::consent_statistics(provider, caller, Some(&partner.id), now - STATISTICS_DAYS * 86_400).await.ok();
    let partner_clients = clients::list(provider, caller, Some(&partner.id)).await.ok();
    let may_edit = caller.require(Permission::ManagePartners).is_ok();
    let form = form.unwrap_or_else(|| PartnerForm::of(&partner));
    let (error_field, error) = split_error(error);
    let ctx = context! {
        partner => Serde(&partner), fee => Serde(fee), year => this_year(now), statistics => Serde(statistics),
        clients => Serde(partner_clients), may_edit, form => Serde(form), error, error_field, notice,
    };
    page(state, console, status, "console/partner.html", ctx)
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let notice = notice(console.lang, query.as_deref());
    partner_page(&state, &console, &id, StatusCode::OK, None, None, notice).await
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, params }: ConsoleForm,
) -> Response {
    let current = match registry::partner(&state.provider, &console.caller, &id).await {
        Ok(p) => p,
        Err(e) => return console.failed(&state, &e),
    };
    // The version the administrator read: someone else's change since then is refused.
    let version = match read_version(&params) {
        Ok(v) => v,
        Err(e) => return console.failed(&state, &e),
    };
    let form = PartnerForm::read(&params);
    let updated = match form.changes(&PartnerForm::of(&current)) {
        Ok(changes) => registry::update_partner(&state.provider, &console.caller, &id, changes, version).await,
        Err(e) => Err(e),
    };
    match updated {
        Ok(partner) => done(&format!("/partners/{}", partner.id), "saved"),
        Err(e @ (AdminError::Invalid { .. } | AdminError::Conflict(_))) => {
            partner_page(&state, &console, &id, StatusCode::BAD_REQUEST, Some(form), Some(e), None).await
        }
        Err(e) => console.failed(&state, &e),
    }
}

/// An initial access token for the partner's developers, shown once.
pub async fn registration_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, params }: ConsoleForm,
) -> Response {
    let number = |name: &str, range: std::ops::RangeInclusive<i64>, why: &str| {
        params
            .get(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|n| range.contains(n))
            .ok_or_else(|| AdminError::invalid(name, why))
    };
    let issued = match (number("uses", 1..=1000, "1 to 1000"), number("days", 1..=90, "1 to 90 days")) {
        (Ok(uses), Ok(days)) => {
            clients::registration_token(&state.provider, &console.caller, Some(&id), uses, days * 86_400).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match issued {
        Ok(token) => {
            let c = crate::http::i18n_console::texts(console.lang);
            let ctx = context! {
                title => c.token_title, secret => token, back => format!("{}/partners/{id}", super::BASE),
                back_text => c.back_to_partner,
            };
            page(&state, &console, StatusCode::OK, "console/secret.html", ctx)
        }
        Err(e) => console.failed(&state, &e),
    }
}
