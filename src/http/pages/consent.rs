//! `GET|POST /consent/{interaction}`: what the client asks for, allow or deny.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::login::{posted_form, redirect_origin, resume};
use super::response::{deliver, redirect};
use super::{current_session, lang_of};
use crate::http::views::{allow_images_from, csp};
use crate::http::{AppState, cookies, i18n};
use crate::oauth::error::PageError;
use crate::oauth::interaction::{self, ConsentDecision};
use crate::telemetry;

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
    // Claims that identify the resident let partners link them whatever the pairwise `sub`.
    let linkable =
        ["profile", "email", "address", "phone"].iter().any(|s| interaction.request.consent_scopes().contains(s));
    let meta = &client.metadata;
    let logo = meta.logo_uri.as_deref().and_then(web_origin);
    let ctx = context! {
        interaction_id => &id,
        csrf => &interaction.csrf,
        client_name => &client.name,
        scopes => scopes,
        linkable => linkable,
        logo_uri => logo.as_ref().and(meta.logo_uri.as_deref()),
        policy_uri => meta.policy_uri.as_deref(),
        tos_uri => meta.tos_uri.as_deref(),
        destination => url::Url::parse(&interaction.request.target.redirect_uri).ok().and_then(|u| u.host_str().map(str::to_owned)),
    };
    let origin = redirect_origin(&interaction);
    let mut policy = csp(Some(&origin), None);
    if let Some(logo) = &logo {
        policy = allow_images_from(policy, logo);
    }
    state.views.page(StatusCode::OK, "consent/consent.html", &interaction.locale, ctx, policy)
}

/// The origin of an https (or loopback http) URL, for the page's CSP.
fn web_origin(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    matches!(url.scheme(), "https" | "http").then(|| url.origin().ascii_serialization())
}

pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let (interaction, client, fields) = match posted_form(&state, &id, &headers, &jar, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = interaction.locale.clone();
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
