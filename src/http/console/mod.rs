//! `/admin/console/…`: the administration console, server-rendered pages over the same `admin`
//! functions as the admin API (never over HTTP to itself). Usable without JavaScript; every
//! change is a POSTed form carrying the session's CSRF token (synchronizer token, compared in
//! constant time), then a redirect to a page saying what happened (POST/redirect/GET), except
//! where a secret is shown once.

mod clients;
mod forms;
mod helpdesk;
mod journal;
mod keys;
mod partners;
mod reports;
mod sign_in;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

use super::pages::lang_of;
use super::pages::response::redirect;
use super::views::csp;
use super::{AppState, cookies, i18n_console};
use crate::admin::console::{self, ConsoleSession};
use crate::admin::roles::{Permission, Role};
use crate::admin::{AdminError, Caller};
use crate::oauth::params::Params;

/// Where the console lives.
pub const BASE: &str = "/admin/console";
/// The console session's cookie.
const SESSION_COOKIE: &str = "glc_console";
/// Binds a sign-in under way to the browser that started it.
const LOGIN_COOKIE: &str = "glc_console_login";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(sign_in::start))
        .route("/callback", get(sign_in::callback))
        .route("/logout", post(sign_in::sign_out))
        .route("/partners", get(partners::list).post(partners::create))
        .route("/partners/{id}", get(partners::show).post(partners::update))
        .route("/partners/{id}/registration-token", post(partners::registration_token))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/new", get(clients::new))
        .route("/clients/{id}", get(clients::show).post(clients::update))
        .route("/clients/{id}/secret", post(clients::rotate_secret))
        .route("/clients/{id}/purposes", post(clients::declare_purpose))
        .route("/clients/{id}/delete", post(clients::delete))
        .route("/helpdesk", get(helpdesk::form).post(helpdesk::search))
        .route("/residents/{id}/assist", post(helpdesk::assist))
        .route("/keys", get(keys::list))
        .route("/keys/rotate", post(keys::rotate))
        .route("/keys/retire", post(keys::retire))
        .route("/reports", get(reports::show))
        .route("/journal", get(journal::entries))
        .route("/journal/export", get(journal::export))
}

/// A signed-in administrator: their console session and who they are for the `admin` functions.
pub struct Console {
    pub session_id: String,
    pub session: ConsoleSession,
    pub caller: Caller,
    pub lang: &'static str,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let origin = origin(parts, state);
        let jar = CookieJar::from_headers(&parts.headers);
        let name = cookies::name(SESSION_COOKIE, state.provider.config.is_https());
        let resumed = match jar.get(&name) {
            Some(cookie) => console::resume(&state.provider, cookie.value(), origin).await,
            None => Ok(None),
        };
        match resumed {
            Ok(Some((session, caller))) => {
                let session_id = jar.get(&name).map(|c| c.value().to_owned()).unwrap_or_default();
                Ok(Console { session_id, session, caller, lang })
            }
            // A page asked for: sign in first. A form sent: say so rather than lose it silently.
            Ok(None) if parts.method == Method::GET => Err(redirect(&format!("{BASE}/login"))),
            Ok(None) => {
                let c = i18n_console::texts(lang);
                Err(message(state, lang, StatusCode::UNAUTHORIZED, c.expired_title, c.session_expired_text, None))
            }
            Err(e) => Err(failure_page(state, lang, None, &e)),
        }
    }
}

/// The request's address, for the journal.
fn origin(parts: &Parts, state: &AppState) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| state.client_ip(*peer, &parts.headers).to_string())
}

/// A form sent from the console: the signed-in administrator and the form's fields, its CSRF
/// token checked (otherwise the page saying so).
pub struct ConsoleForm {
    pub console: Console,
    pub params: Params,
}

impl FromRequest<AppState> for ConsoleForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let console = Console::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let Ok(bytes) = Bytes::from_request(Request::from_parts(parts, body), state).await else {
            return Err(console.failed(state, &AdminError::invalid("body", "unreadable or too large")));
        };
        let params = console.form(state, &headers, &bytes)?;
        Ok(ConsoleForm { console, params })
    }
}

/// Which sections the administrator's roles open (the menu shows only those).
#[derive(Debug, Serialize)]
struct Sections {
    partners: bool,
    reports: bool,
    clients: bool,
    helpdesk: bool,
    keys: bool,
    journal: bool,
}

impl Sections {
    fn of(caller: &Caller) -> Sections {
        let admin = &caller.admin;
        let commune = admin.roles.iter().any(|r| matches!(r, Role::CommuneAdmin(_)));
        let metropole = admin.roles.contains(&Role::MetropoleAdmin);
        Sections {
            partners: metropole || commune,
            reports: metropole || commune,
            clients: metropole || commune,
            helpdesk: admin.may(Permission::AssistResidents),
            keys: admin.may(Permission::ManageKeys),
            journal: admin.may(Permission::ReadJournal),
        }
    }
}

/// A console page: `ctx` plus the console's texts, its menu and the session's CSRF token.
fn page(state: &AppState, console: &Console, status: StatusCode, name: &str, ctx: Value) -> Response {
    let lang = console.lang;
    let ctx = context! {
        c => Serde(i18n_console::texts(lang)),
        sections => Serde(Sections::of(&console.caller)),
        csrf => &console.session.csrf,
        me => &console.session.email,
        ..ctx
    };
    state.views.page(status, name, lang, ctx, csp(None, None))
}

/// A page that only says something (no menu when nobody is signed in).
fn message(
    state: &AppState,
    lang: &str,
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(String, &str)>,
) -> Response {
    let (link, link_text) = link.map_or((None, None), |(l, t)| (Some(l), Some(t)));
    let ctx = context! { c => Serde(i18n_console::texts(lang)), title, text, link, link_text };
    state.views.page(status, "console/message.html", lang, ctx, csp(None, None))
}

/// What a failed operation shows: the same words as the API, for a person.
fn failure_page(state: &AppState, lang: &str, console: Option<&Console>, e: &AdminError) -> Response {
    let c = i18n_console::texts(lang);
    let (status, text) = match e {
        AdminError::Forbidden | AdminError::InsufficientScope(_) => {
            (StatusCode::FORBIDDEN, c.forbidden_text.to_owned())
        }
        AdminError::NotFound(_) => (StatusCode::NOT_FOUND, c.not_found_text.to_owned()),
        AdminError::Invalid { field, why } => {
            (StatusCode::BAD_REQUEST, format!("{} : {field} — {why}", c.invalid_prefix))
        }
        AdminError::Conflict(why) => (StatusCode::CONFLICT, format!("{} {why}", c.conflict_text)),
        AdminError::PreconditionFailed | AdminError::PreconditionRequired => {
            (StatusCode::PRECONDITION_FAILED, c.changed_text.to_owned())
        }
        AdminError::Unavailable(why) => {
            tracing::warn!(error = %why, "console: a dependency is unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, c.unavailable_text.to_owned())
        }
        AdminError::NoToken | AdminError::Token(_) => (StatusCode::UNAUTHORIZED, c.session_expired_text.to_owned()),
        AdminError::Internal(_) | AdminError::Store(_) => {
            tracing::error!(error = %e, "console: operation failed");
            (StatusCode::INTERNAL_SERVER_ERROR, c.internal_text.to_owned())
        }
    };
    match console {
        Some(console) => {
            let ctx = context! { title => c.error_title, text };
            page(state, console, status, "console/message.html", ctx)
        }
        None => message(state, lang, status, c.error_title, &text, None),
    }
}

impl Console {
    /// The page for `e`, with the menu.
    fn failed(&self, state: &AppState, e: &AdminError) -> Response {
        failure_page(state, self.lang, Some(self), e)
    }

    /// A form of this session: parsed, and its CSRF token checked; otherwise the page to show.
    #[allow(clippy::result_large_err)]
    fn form(&self, state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<Params, Response> {
        let c = i18n_console::texts(self.lang);
        match super::request::form(headers, body) {
            Ok(f) if f.get("csrf").is_some_and(|t| crate::secrets::constant_time_eq(t, &self.session.csrf)) => Ok(f),
            Ok(_) => {
                let ctx = context! { title => c.error_title, text => c.form_expired_text };
                Err(page(state, self, StatusCode::FORBIDDEN, "console/message.html", ctx))
            }
            Err(e) => Err(self.failed(state, &AdminError::invalid("body", e.description))),
        }
    }
}

/// The version of the record the form was read from (a change on an older one is refused).
fn read_version(params: &Params) -> Result<i64, AdminError> {
    params.get("version").and_then(|v| v.parse::<i64>().ok()).ok_or(AdminError::PreconditionRequired)
}

/// After a change: back to `path`, saying what was done (`notice`, one of the console's texts).
fn done(path: &str, notice: &str) -> Response {
    redirect(&format!("{BASE}{path}?notice={notice}"))
}

/// The text of a `notice` named in the query (only the console's own texts).
fn notice(lang: &str, query: Option<&str>) -> Option<&'static str> {
    let c = i18n_console::texts(lang);
    let params = Params::parse(query.unwrap_or_default().as_bytes()).ok()?;
    Some(match params.get("notice")? {
        "partner_created" => c.partner_created,
        "saved" => c.saved,
        "client_created" => c.client_created,
        "client_deleted" => c.client_deleted,
        "act_done" => c.act_done,
        "keys_rotated" => c.keys_rotated,
        _ => return None,
    })
}

/// The role names as the page shows them.
fn role_names(caller: &Caller, lang: &str) -> Vec<String> {
    let c = i18n_console::texts(lang);
    caller
        .admin
        .roles
        .iter()
        .map(|role| match role {
            Role::MetropoleAdmin => c.role_metropole_admin.to_owned(),
            Role::CommuneAdmin(p) => format!("{} ({p})", c.role_commune_admin),
            Role::Helpdesk => c.role_helpdesk.to_owned(),
            Role::Auditor => c.role_auditor.to_owned(),
        })
        .collect()
}

async fn home(State(state): State<AppState>, console: Console) -> Response {
    let roles = role_names(&console.caller, console.lang);
    page(&state, &console, StatusCode::OK, "console/home.html", context! { roles })
}
