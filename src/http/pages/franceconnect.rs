//! "S'identifier avec FranceConnect": `POST /franceconnect/login` sends the browser to
//! FranceConnect (same tab), `GET /franceconnect/callback` brings it back and signs the
//! resident in — within the authorization request it came from, or on the account page.
//! Every failure ends on a clear page with a correlation id and a way back; a resident who
//! cancels at FranceConnect is simply back on the sign-in page.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;
use serde::Deserialize;

use super::login::{self, Problem};
use super::logout::{self, Ending};
use super::response::redirect;
use super::{account_home, csrf_checked_form, lang_of};
use crate::federation::accounts::{self, LinkError};
use crate::federation::flow::{self, Callback, Return};
use crate::federation::reconcile;
use crate::federation::{AMR_FRANCECONNECT, FcError, Platform, UpstreamLogin};
use crate::http::request::{form, header_str};
use crate::http::views::csp;
use crate::http::{AppState, cookies, i18n_federation};
use crate::oauth::error::PageError;
use crate::oauth::interaction::Authentication;
use crate::{secrets, telemetry};

/// A FranceConnect button as `federation/button.html` draws it: its platform, or the banner
/// saying the platform is down.
#[derive(Debug, serde::Serialize)]
pub struct Button {
    platform: &'static str,
    down: bool,
}

/// The buttons of `platforms` that are configured, each with its platform's outage state.
pub async fn buttons(state: &AppState, platforms: impl IntoIterator<Item = Platform>) -> Vec<Button> {
    let mut buttons = Vec::new();
    for platform in platforms {
        if state.provider.franceconnect.get(platform).is_some() {
            let down = crate::federation::outage::is_down(&state.provider, platform).await;
            buttons.push(Button { platform: platform.as_str(), down });
        }
    }
    buttons
}

/// The platform a sign-in page offers: the one reaching the level the service wants, else
/// FranceConnect (or FranceConnect+ when it is the only one configured).
pub fn sign_in_platform(state: &AppState, wanted: Option<&str>) -> Option<Platform> {
    let upstreams = &state.provider.franceconnect;
    wanted.map_or_else(|| upstreams.for_level("eidas1"), |level| upstreams.for_level(level)).map(|fc| fc.platform)
}

/// The origins of the configured FranceConnect platforms, where their buttons lead (for CSP's
/// `form-action`, which covers the redirect after the form).
pub fn origins(state: &AppState) -> Option<String> {
    let origins: Vec<String> = state
        .provider
        .franceconnect
        .iter()
        .filter_map(|fc| url::Url::parse(fc.issuer()).ok().map(|u| u.origin().ascii_serialization()))
        .collect();
    (!origins.is_empty()).then(|| origins.join(" "))
}

/// Binds a FranceConnect login to the browser that started it.
const COOKIE: &str = "glc_fc";

/// `POST /franceconnect/login`: `back` is an interaction id, `account` or `link`; `platform`
/// is `fc` (the default) or `fcplus`.
pub async fn start(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar, body: Bytes) -> Response {
    let lang = lang_of(&headers);
    let provider = &state.provider;
    if !provider.franceconnect.any() {
        return state.views.not_found(lang);
    }
    let fields = match form(&headers, &body) {
        Ok(fields) => fields,
        Err(e) => return state.views.error(&PageError::bad_request(e.description), lang),
    };
    let Some(platform) =
        Platform::parse(fields.get("platform").unwrap_or("fc")).filter(|p| provider.franceconnect.get(*p).is_some())
    else {
        return state.views.error(&PageError::bad_request("unknown or unconfigured FranceConnect platform"), lang);
    };
    let mut wanted = None;
    let back = match fields.get("back").unwrap_or_default() {
        // Proving, through FranceConnect, the account a FranceConnect+ identity matched.
        "reconcile" => {
            let csrf = fields.get("csrf").unwrap_or_default();
            match super::franceconnect_reconcile::held_for_form(&state, &jar, csrf).await {
                Ok(Some(_)) => Return::Reconcile,
                Ok(None) => return expired(&state, &headers, lang),
                Err(e) => return failure(&state, &headers, lang, &Return::Account, &e),
            }
        }
        "account" => match csrf_checked_form(&state, &headers, &jar, &body) {
            Ok(_) => Return::Account,
            Err(page) => return page,
        },
        // Linking from the account page: the resident is signed in here (that is the proof).
        "link" => {
            if let Err(page) = csrf_checked_form(&state, &headers, &jar, &body) {
                return page;
            }
            match super::current_session(&state, &jar).await {
                Ok(Some(session)) => Return::Link { user_id: session.user_id },
                Ok(None) => return redirect("/account"),
                Err(e) => return state.views.error(&e.into(), lang),
            }
        }
        id => match login::posted_form(&state, id, &headers, &jar, &body).await {
            Ok((interaction, _, _)) => {
                // The level the service asked for, if higher than the platform's own.
                wanted = crate::oauth::interaction::wanted_eidas_level(provider, &interaction.request);
                Return::Interaction { id: id.to_owned() }
            }
            Err(page) => return page,
        },
    };
    match flow::start(provider, platform, back.clone(), wanted.as_deref()).await {
        Ok(started) => {
            let jar = jar.add(cookies::build(COOKIE, started.binding, provider.config.is_https()));
            (jar, redirect(&started.url)).into_response()
        }
        Err(e) => failure(&state, &headers, lang, &back, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /franceconnect/callback`
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(params): Query<CallbackParams>,
) -> Response {
    let lang = lang_of(&headers);
    let provider = &state.provider;
    if !provider.franceconnect.any() {
        return state.views.not_found(lang);
    }
    let https = provider.config.is_https();
    let binding = jar.get(&cookies::name(COOKIE, https)).map(|c| c.value().to_owned());
    let jar = jar.add(cookies::removal(COOKIE, https));
    let fc_state = params.state.as_deref().unwrap_or_default();
    if let Some(error) = &params.error {
        // OIDC Core §3.1.2.6: the pending login ends; a cancel is an ordinary way back.
        let back = match flow::take(provider, fc_state, binding.as_deref()).await {
            Ok(Some(back)) => back,
            Ok(None) => return (jar, expired(&state, &headers, lang)).into_response(),
            Err(e) => return (jar, failure(&state, &headers, lang, &Return::Account, &e)).into_response(),
        };
        let description = params.error_description.as_deref().unwrap_or_default();
        tracing::info!(%error, %description, "FranceConnect returned an error");
        if error == "access_denied" {
            telemetry::login("franceconnect", "cancelled");
            let page = cancelled(&state, &back, &jar).await;
            return (jar, page).into_response();
        }
        let e = FcError::Unavailable(format!("{error}: {description}"));
        return (jar, failure(&state, &headers, lang, &back, &e)).into_response();
    }
    let callback =
        Callback { state: fc_state, code: params.code.as_deref().unwrap_or_default(), iss: params.iss.as_deref() };
    let (identity, back) = match flow::finish(provider, callback, binding.as_deref()).await {
        Ok(Some(found)) => found,
        Ok(None) => return (jar, expired(&state, &headers, lang)).into_response(),
        Err(e) => {
            telemetry::login("franceconnect", "failure");
            // Where to go back: the login it came from is gone with the refusal.
            return (jar, failure(&state, &headers, lang, &Return::Account, &e)).into_response();
        }
    };
    match &back {
        Return::Link { user_id } => {
            return (jar.clone(), link(&state, &headers, lang, &jar, user_id, &identity).await).into_response();
        }
        Return::Reconcile => {
            return super::franceconnect_reconcile::confirmed(&state, &headers, lang, jar, &identity).await;
        }
        Return::Interaction { .. } | Return::Account => {}
    }
    // A first FranceConnect+ login matching an account FranceConnect certified: the resident
    // says whether it is theirs.
    match reconcile::matching_account(provider, &identity).await {
        Ok(Some(user_id)) => {
            return super::franceconnect_reconcile::matched(&state, &headers, lang, jar, identity, user_id, back).await;
        }
        Ok(None) => {}
        Err(e) => return (jar, failure(&state, &headers, lang, &back, &e)).into_response(),
    }
    let user = match accounts::sign_in(provider, &identity).await {
        Ok((user, outcome)) => {
            tracing::info!(user_id = %user.id, created = outcome == accounts::Outcome::Created, "FranceConnect login");
            telemetry::login("franceconnect", "success");
            user
        }
        Err(e) => return (jar, failure(&state, &headers, lang, &back, &e)).into_response(),
    };
    let upstream = Platform::parse(&identity.platform)
        .map(|platform| UpstreamLogin { platform, id_token: identity.id_token.clone() });
    continue_signed_in(&state, lang, jar, back, &user.id, &identity.acr, upstream.as_ref()).await
}

/// Signed in through FranceConnect at level `acr`: on to the authorization request or the
/// account page the resident came from.
pub(super) async fn continue_signed_in(
    state: &AppState,
    lang: &str,
    jar: CookieJar,
    back: Return,
    user_id: &str,
    acr: &str,
    upstream: Option<&UpstreamLogin>,
) -> Response {
    let amr = [AMR_FRANCECONNECT];
    let how = Authentication { acr, amr: &amr, upstream };
    match back {
        Return::Interaction { id } => match login::resume(state, &id, &jar).await {
            Ok((interaction, client)) => login::finish_login(state, jar, &id, interaction, &client, user_id, how).await,
            Err(e) => (jar, state.views.error(&e, lang)).into_response(),
        },
        Return::Account => account_home::start_session(state, lang, jar, user_id, how, "/account").await,
        Return::Link { .. } | Return::Reconcile => redirect("/account"),
    }
}

/// Links the identity FranceConnect vouched for to the account signed in on this browser.
async fn link(
    state: &AppState,
    headers: &HeaderMap,
    lang: &str,
    jar: &CookieJar,
    user_id: &str,
    identity: &crate::federation::FcIdentity,
) -> Response {
    let f = i18n_federation::texts(lang);
    let account = match super::current_session(state, jar).await {
        Ok(Some(session)) if session.user_id == user_id => {
            match crate::identity::account::of_session(&state.provider, user_id).await {
                Ok(Some(account)) => account,
                Ok(None) => return redirect("/account"),
                Err(e) => return failure(state, headers, lang, &Return::Account, &FcError::Unavailable(e.to_string())),
            }
        }
        // Signed out (or as someone else) meanwhile: no proof any more.
        Ok(_) => return expired(state, headers, lang),
        Err(e) => return state.views.error(&e.into(), lang),
    };
    match accounts::link(&state.provider, &account, identity).await {
        Ok(()) => redirect("/account?franceconnect=linked"),
        Err(LinkError::LinkedElsewhere) => {
            error_page(state, headers, lang, StatusCode::CONFLICT, f.linked_elsewhere, "/account")
        }
        Err(LinkError::AlreadyLinked) => redirect("/account"),
        Err(LinkError::Fc(e)) => failure(state, headers, lang, &Return::Account, &e),
        Err(LinkError::NoOtherWayIn) => redirect("/account"),
    }
}

/// Back on the sign-in page the resident left, saying they cancelled.
async fn cancelled(state: &AppState, back: &Return, jar: &CookieJar) -> Response {
    match back {
        Return::Interaction { id } => match login::resume(state, id, jar).await {
            Ok((interaction, client)) => {
                login::render_page(state, id, &interaction, &client, "", Problem::FranceConnectCancelled).await
            }
            Err(_) => redirect("/account"),
        },
        Return::Account => redirect("/account?franceconnect=cancelled"),
        Return::Link { .. } | Return::Reconcile => redirect("/account"),
    }
}

fn back_link(back: &Return) -> String {
    match back {
        Return::Interaction { id } => format!("/login/{id}"),
        Return::Account | Return::Link { .. } | Return::Reconcile => "/account".to_owned(),
    }
}

pub(super) fn error_page(
    state: &AppState,
    headers: &HeaderMap,
    lang: &str,
    status: StatusCode,
    message: &str,
    back: &str,
) -> Response {
    let correlation = header_str(headers, axum::http::HeaderName::from_static("x-request-id")).unwrap_or_default();
    let ctx = context! { message, correlation, back_to => back };
    state.views.page(status, "federation/error.html", lang, ctx, csp(None, None))
}

pub(super) fn expired(state: &AppState, headers: &HeaderMap, lang: &str) -> Response {
    let f = i18n_federation::texts(lang);
    error_page(state, headers, lang, StatusCode::BAD_REQUEST, f.error_expired, "/account")
}

pub(super) fn failure(state: &AppState, headers: &HeaderMap, lang: &str, back: &Return, e: &FcError) -> Response {
    let f = i18n_federation::texts(lang);
    let correlation = header_str(headers, axum::http::HeaderName::from_static("x-request-id")).unwrap_or_default();
    match e {
        FcError::Unavailable(why) => {
            tracing::warn!(reason = %why, %correlation, "FranceConnect unavailable");
            error_page(state, headers, lang, StatusCode::BAD_GATEWAY, f.error_unavailable, &back_link(back))
        }
        FcError::Refused(why) => {
            tracing::warn!(reason = %why, %correlation, "FranceConnect answer refused");
            error_page(state, headers, lang, StatusCode::BAD_REQUEST, f.error_refused, &back_link(back))
        }
    }
}

/// Ends a logout whose session came through FranceConnect: the browser goes to FC's
/// `/session/end` first, and `/franceconnect/logged-out` finishes our logout (iframes, the
/// client's post-logout URI) when it comes back.
pub async fn end_upstream(state: &AppState, jar: CookieJar, upstream: &UpstreamLogin, ending: Ending) -> Response {
    let provider = &state.provider;
    let Some(fc) = provider.franceconnect.get(upstream.platform) else {
        return logout::done(state, jar, ending.frames, ending.back_to, &ending.lang);
    };
    let logout_state = secrets::random_token(24);
    let url = match fc.logout_url(&upstream.id_token, &logout_state).await {
        Ok(Some(url)) => url,
        // FC unreachable or without logout: our own logout still completes.
        Ok(None) | Err(_) => return logout::done(state, jar, ending.frames, ending.back_to, &ending.lang),
    };
    let Ok(json) = serde_json::to_string(&ending) else {
        return logout::done(state, jar, ending.frames, ending.back_to, &ending.lang);
    };
    let key = format!("fc_logout:{}", secrets::digest(&logout_state));
    if provider.ephemeral.put(&key, json, LOGOUT_SECONDS).await.is_err() {
        return logout::done(state, jar, ending.frames, ending.back_to, &ending.lang);
    }
    let https = provider.config.is_https();
    // Our session is over now: its cookies go at once, before the detour through FC.
    let jar =
        jar.add(cookies::removal(cookies::SESSION, https)).add(cookies::build(LOGOUT_COOKIE, logout_state, https));
    (jar, redirect(&url)).into_response()
}

/// How long a logout waits for FranceConnect to send the browser back.
const LOGOUT_SECONDS: i64 = 600;
/// The logout in progress at FranceConnect, for an FC that does not return `state`.
const LOGOUT_COOKIE: &str = "glc_fc_logout";

#[derive(Debug, Deserialize)]
pub struct LoggedOutParams {
    state: Option<String>,
}

/// `GET /franceconnect/logged-out`: back from FranceConnect's logout; ours finishes.
pub async fn logged_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(params): Query<LoggedOutParams>,
) -> Response {
    let lang = lang_of(&headers);
    let https = state.provider.config.is_https();
    // FranceConnect has been known to drop `state`: the cookie names the logout then.
    let cookie = jar.get(&cookies::name(LOGOUT_COOKIE, https)).map(|c| c.value().to_owned());
    let jar = jar.add(cookies::removal(LOGOUT_COOKIE, https));
    let Some(logout_state) = params.state.or(cookie).filter(|s| !s.is_empty() && s.len() <= 64) else {
        return logout::done(&state, jar, Vec::new(), None, lang);
    };
    let key = format!("fc_logout:{}", secrets::digest(&logout_state));
    let ending = match state.provider.ephemeral.get(&key).await {
        Ok(Some(json)) => serde_json::from_str::<Ending>(&json).ok(),
        _ => None,
    };
    let _ = state.provider.ephemeral.delete(&key).await;
    match ending {
        Some(ending) => logout::done(&state, jar, ending.frames, ending.back_to, &ending.lang),
        None => logout::done(&state, jar, Vec::new(), None, lang),
    }
}
