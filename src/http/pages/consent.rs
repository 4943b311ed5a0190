//! `GET|POST /consent/{interaction}`: what the client asks for, allow or deny.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::login::{redirect_origin, resume};
use super::response::{deliver, redirect};
use super::{current_session, lang_of};
use crate::http::request::form;
use crate::http::views::csp;
use crate::http::{AppState, cookies, i18n};
use crate::oauth::error::PageError;
use crate::oauth::interaction::{self, ConsentDecision};
use crate::{secrets, telemetry};

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    let (interaction, client) = match resume(&state, &id, &jar).await {
        Ok(found) => found,
        Err(e) => return state.views.error(&e, lang_of(&headers)),
    };
    match current_session(&state, &jar).await {
        Ok(Some(_)) => {}
        Ok(None) => return redirect(&format!("/login/{id}")),
        Err(e) => return state.views.error(&e.into(), &interaction.locale),
    }
    let t = i18n::texts(&interaction.locale);
    let scopes: Vec<&str> = interaction
        .request
        .consent_scopes()
        .iter()
        .filter_map(|s| match s {
            "profile" => Some(t.scope_profile),
            "email" => Some(t.scope_email),
            "address" => Some(t.scope_address),
            "phone" => Some(t.scope_phone),
            "offline_access" => Some(t.scope_offline_access),
            _ => None,
        })
        .collect();
    let ctx =
        context! { interaction_id => &id, csrf => &interaction.csrf, client_name => &client.name, scopes => scopes };
    let origin = redirect_origin(&interaction);
    state.views.page(StatusCode::OK, "consent/consent.html", &interaction.locale, ctx, csp(Some(&origin), None))
}

pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let (interaction, client) = match resume(&state, &id, &jar).await {
        Ok(found) => found,
        Err(e) => return state.views.error(&e, lang_of(&headers)),
    };
    let lang = interaction.locale.clone();
    let fields = match form(&headers, &body) {
        Ok(f) if f.get("csrf").is_some_and(|c| secrets::constant_time_eq(c, &interaction.csrf)) => f,
        Ok(_) => return state.views.error(&PageError::expired(), &lang),
        Err(e) => return state.views.error(&PageError::bad_request(e.description), &lang),
    };
    let decision = match fields.get("decision") {
        Some("allow") => ConsentDecision::Allow,
        Some("deny") => ConsentDecision::Deny,
        _ => return state.views.error(&PageError::bad_request("decision must be allow or deny"), &lang),
    };
    telemetry::consent(if decision == ConsentDecision::Allow { "allow" } else { "deny" });
    let provider = &state.provider;
    let outcome = async {
        match current_session(&state, &jar).await? {
            Some(session) => interaction::decide_consent(provider, &client, &interaction, &session, decision).await,
            None => Ok(None),
        }
    };
    match outcome.await {
        Ok(Some(response)) => {
            let _ = interaction::finish(provider, &id).await;
            let jar = jar.add(cookies::removal(cookies::FLOW, provider.config.is_https()));
            (jar, deliver(&state, &response, &lang)).into_response()
        }
        Ok(None) => redirect(&format!("/login/{id}")),
        Err(e) => state.views.error(&e.into(), &lang),
    }
}
