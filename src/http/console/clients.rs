//! Partners' applications: the list an administrator manages, creation, changes, secret
//! rotation with overlap (the new secret shown once) and deletion.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Serde;

use super::forms::ClientForm;
use super::partners::split_error;
use super::{BASE, Console, ConsoleForm, done, notice, page, read_version};
use crate::admin::{AdminError, clients, registry};
use crate::http::{AppState, i18n_console};
use crate::oauth::params::Params;

/// How long the old secret may stay valid, as the form offers it (seconds).
const OVERLAPS: [(&str, i64); 4] = [("hour", 3600), ("day", 86_400), ("week", 7 * 86_400), ("month", 30 * 86_400)];

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    Params::parse(query.unwrap_or_default().as_bytes()).ok()?.get(name).map(str::to_owned)
}

pub async fn list(State(state): State<AppState>, console: Console, RawQuery(query): RawQuery) -> Response {
    let partner = query_param(query.as_deref(), "partner").filter(|p| !p.is_empty());
    match clients::list(&state.provider, &console.caller, partner.as_deref()).await {
        Ok(found) => {
            let notice = notice(console.lang, query.as_deref());
            let ctx = context! { clients => Serde(found), partner, notice };
            page(&state, &console, StatusCode::OK, "console/clients.html", ctx)
        }
        Err(e) => console.failed(&state, &e),
    }
}

/// The creation or change form; `client_id` is the client being changed.
async fn form_page(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    form: &ClientForm,
    editing: Option<(&str, i64)>,
    error: Option<AdminError>,
) -> Response {
    // The partners a new client may belong to.
    let partners = match registry::partners(&state.provider, &console.caller).await {
        Ok(all) => all.into_iter().filter(|p| console.caller.sees_partner(&p.id)).collect(),
        Err(_) => Vec::new(),
    };
    let (error_field, error) = split_error(error);
    let ctx = context! {
        form => Serde(form), partners => Serde(partners), editing => editing.map(|(id, _)| id),
        version => editing.map(|(_, v)| v), error, error_field,
    };
    page(state, console, status, "console/client_form.html", ctx)
}

pub async fn new(State(state): State<AppState>, console: Console, RawQuery(query): RawQuery) -> Response {
    let own = console.caller.admin.partners().and_then(|own| own.first().map(|p| (*p).to_owned()));
    let partner = query_param(query.as_deref(), "partner").or(own).unwrap_or_default();
    form_page(&state, &console, StatusCode::OK, &ClientForm::blank(&partner), None, None).await
}

pub async fn create(State(state): State<AppState>, ConsoleForm { console, params }: ConsoleForm) -> Response {
    let form = ClientForm::read(&params);
    let created = match form.to_new_spec() {
        Ok(spec) => clients::create(&state.provider, &console.caller, spec).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(registered) => {
            let c = i18n_console::texts(console.lang);
            let id = &registered.client.client_id;
            let ctx = context! {
                title => c.client_created, client_id => id, secret => registered.client_secret,
                back => format!("{BASE}/clients/{id}"), back_text => c.back_to_client,
            };
            page(&state, &console, StatusCode::CREATED, "console/secret.html", ctx)
        }
        Err(e @ (AdminError::Invalid { .. } | AdminError::Conflict(_))) => {
            form_page(&state, &console, StatusCode::BAD_REQUEST, &form, None, Some(e)).await
        }
        Err(e) => console.failed(&state, &e),
    }
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let client = match clients::get(&state.provider, &console.caller, &id).await {
        Ok(c) => c,
        Err(e) => return console.failed(&state, &e),
    };
    let form = ClientForm::of(&client);
    let notice = notice(console.lang, query.as_deref());
    let has_secret = client.secret_digest.is_some();
    let overlaps: Vec<&str> = OVERLAPS.iter().map(|(name, _)| *name).collect();
    let purposes = match clients::purposes(&state.provider, &console.caller, &client).await {
        Ok(list) => list,
        Err(e) => return console.failed(&state, &e),
    };
    let ctx = context! {
        client => Serde(&client), form => Serde(&form), version => client.version, has_secret, overlaps, notice,
        purposes => Serde(purposes),
        is_console => client.client_id == crate::admin::console::CLIENT_ID,
    };
    page(&state, &console, StatusCode::OK, "console/client.html", ctx)
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, params }: ConsoleForm,
) -> Response {
    let current = match clients::get(&state.provider, &console.caller, &id).await {
        Ok(c) => c,
        Err(e) => return console.failed(&state, &e),
    };
    let version = match read_version(&params) {
        Ok(v) => v,
        Err(e) => return console.failed(&state, &e),
    };
    let before = ClientForm::of(&current);
    // What is set at creation stays.
    let form = ClientForm {
        client_id: before.client_id.clone(),
        partner_id: before.partner_id.clone(),
        subject_type: before.subject_type.clone(),
        ..ClientForm::read(&params)
    };
    let mut spec = current.to_spec();
    let updated = match form.apply(&mut spec) {
        Ok(()) => {
            let fields = form.changed(&before);
            clients::update(&state.provider, &console.caller, &current, spec, version, &fields).await
        }
        Err(e) => Err(e),
    };
    match updated {
        // Moved to a secret method: its new secret, shown once.
        Ok(updated) if updated.client_secret.is_some() => {
            let c = i18n_console::texts(console.lang);
            let ctx = context! {
                title => c.secret_title, client_id => &updated.client.client_id, secret => updated.client_secret,
                back => format!("{BASE}/clients/{id}"), back_text => c.back_to_client,
            };
            page(&state, &console, StatusCode::OK, "console/secret.html", ctx)
        }
        Ok(updated) => done(&format!("/clients/{}", updated.client.client_id), "saved"),
        Err(e @ AdminError::Invalid { .. }) => {
            form_page(&state, &console, StatusCode::BAD_REQUEST, &form, Some((&id, version)), Some(e)).await
        }
        Err(e) => console.failed(&state, &e),
    }
}

/// A new secret, shown once; the old one valid for the overlap chosen.
pub async fn rotate_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, params }: ConsoleForm,
) -> Response {
    let keep = match params.get("keep_previous_for").unwrap_or("none") {
        "none" => Ok(None),
        chosen => OVERLAPS
            .iter()
            .find(|(name, _)| *name == chosen)
            .map(|(_, seconds)| Some(*seconds))
            .ok_or_else(|| AdminError::invalid("keep_previous_for", "one of the durations offered")),
    };
    let rotated = match (keep, clients::get(&state.provider, &console.caller, &id).await) {
        (Ok(keep), Ok(current)) => clients::rotate_secret(&state.provider, &console.caller, &current, keep).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match rotated {
        Ok(secret) => {
            let c = i18n_console::texts(console.lang);
            let until = secret.previous_secret_expires_at.map(super::journal::date_time);
            let ctx = context! {
                title => c.secret_title, client_id => &secret.client_id, secret => &secret.client_secret,
                previous_until => until, rotated => true,
                back => format!("{BASE}/clients/{id}"), back_text => c.back_to_client,
            };
            page(&state, &console, StatusCode::OK, "console/secret.html", ctx)
        }
        Err(e) => console.failed(&state, &e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, params }: ConsoleForm,
) -> Response {
    if params.get("confirm").is_none() {
        return console.failed(&state, &AdminError::invalid("confirm", "tick the box to confirm"));
    }
    let deleted = match clients::get(&state.provider, &console.caller, &id).await {
        Ok(current) => clients::delete(&state.provider, &console.caller, &current).await,
        Err(e) => Err(e),
    };
    match deleted {
        Ok(()) => done("/clients", "client_deleted"),
        Err(e) => console.failed(&state, &e),
    }
}

/// Declares what the application does with one scope's data (the consent page's words).
pub async fn declare_purpose(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, params }: ConsoleForm,
) -> Response {
    let text = |name: &str| params.get(name).unwrap_or_default().trim().to_owned();
    let declaration = crate::consent::Declaration {
        scope: text("scope"),
        purpose: text("purpose"),
        retention: Some(text("retention"))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| crate::consent::DEFAULT_RETENTION.to_owned()),
        essential: params.get("essential").is_some(),
        label: None,
    };
    let declared = match clients::get(&state.provider, &console.caller, &id).await {
        Ok(current) => clients::declare_purpose(&state.provider, &console.caller, &current, declaration).await,
        Err(e) => Err(e),
    };
    match declared {
        Ok(_) => done(&format!("/clients/{id}"), "saved"),
        Err(e) => console.failed(&state, &e),
    }
}
