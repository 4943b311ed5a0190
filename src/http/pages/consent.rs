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
use crate::http::{AppState, cookies};
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
    let session = match current_session(&state, &jar).await {
        Ok(Some(session)) => session,
        Ok(None) => return redirect(&format!("/login/{id}")),
        Err(e) => return state.views.error(&e.into(), &interaction.locale),
    };
    let provider = &state.provider;
    let pieces = match pieces(&state, &client, &interaction, &session.user_id).await {
        Ok(pieces) => pieces,
        Err(e) => return state.views.error(&e, &interaction.locale),
    };
    let partner = crate::partners::find(&provider.db, &client.partner_id).await.ok().flatten().map(|p| p.name);
    let group = match group_view(&state, &client.client_id).await {
        Ok(group) => group,
        Err(e) => return state.views.error(&e, &interaction.locale),
    };
    // Claims that identify the resident let partners link them whatever the pairwise `sub`.
    let linkable =
        ["profile", "email", "address", "phone"].iter().any(|s| interaction.request.consent_scopes().contains(s));
    let meta = &client.metadata;
    let logo = meta.logo_uri.as_deref().and_then(web_origin);
    let ctx = context! {
        interaction_id => &id,
        csrf => &interaction.csrf,
        client_name => &client.name,
        partner_name => partner,
        pieces => minijinja::value::Serde(&pieces),
        linkable => linkable,
        group => group,
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

/// One piece of data as the consent page lists it.
#[derive(serde::Serialize)]
struct PieceView {
    key: String,
    label: String,
    purpose: String,
    retention: String,
    essential: bool,
    /// FranceConnect certified it for this resident.
    certified: bool,
}

async fn pieces(
    state: &AppState,
    client: &crate::oauth::client::Client,
    interaction: &interaction::Interaction,
    user_id: &str,
) -> Result<Vec<PieceView>, PageError> {
    let provider = &state.provider;
    let asked = interaction::asked_pieces(provider, client, &interaction.request).await?;
    let certified = crate::store::federation::certified_of(&provider.db, user_id).await?.is_some();
    let english = interaction.locale.starts_with("en");
    Ok(asked
        .into_iter()
        .map(|piece| PieceView {
            label: if english { piece.label_en } else { piece.label_fr },
            certified: certified && piece.certifiable,
            key: piece.key,
            purpose: piece.purpose,
            retention: piece.retention,
            essential: piece.essential,
        })
        .collect())
}

/// The service's group, as the consent page names it: its name and its other services.
async fn group_view(state: &AppState, client_id: &str) -> Result<Option<minijinja::Value>, PageError> {
    let db = &state.provider.db;
    let Some(group) = crate::consent::groups::of_client(db, client_id).await? else { return Ok(None) };
    let mut others = Vec::new();
    for member in group.members.iter().filter(|m| *m != client_id) {
        if let Some(row) = crate::store::clients::find_by_id(db, member).await? {
            others.push(row.name);
        }
    }
    Ok(Some(context! { name => group.name, services => others }))
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
        Some("allow") => {
            // The optional pieces left unticked (an unticked box sends nothing).
            let asked = match interaction::asked_pieces(&state.provider, &client, &interaction.request).await {
                Ok(asked) => asked,
                Err(e) => return state.views.error(&e.into(), &lang),
            };
            let refused = asked
                .iter()
                .filter(|p| !p.essential && fields.get(&format!("grant:{}", p.key)).is_none())
                .map(|p| p.key.clone())
                .collect();
            ConsentDecision::Allow { refused }
        }
        Some("deny") => ConsentDecision::Deny,
        _ => return state.views.error(&PageError::bad_request("decision must be allow or deny"), &lang),
    };
    telemetry::consent(if decision == ConsentDecision::Deny { "deny" } else { "allow" });
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
