//! A first FranceConnect+ login whose RNIPP identity matches an account FranceConnect certified
//! (`federation::reconcile`): the resident is asked, on a page of ours, to prove the account is
//! theirs by signing in to it through FranceConnect — then FranceConnect+ is linked to it — or to
//! keep a separate account (`POST /franceconnect/separate`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::franceconnect::{buttons, continue_signed_in, error_page, expired, failure, origins};
use super::lang_of;
use crate::federation::accounts::{self, LinkError};
use crate::federation::flow::Return;
use crate::federation::reconcile::{self, Held};
use crate::federation::{FcError, FcIdentity, Platform};
use crate::http::request::form;
use crate::http::views::csp;
use crate::http::{AppState, cookies, i18n_federation};
use crate::oauth::error::PageError;
use crate::store::federation;

/// Binds the held FranceConnect+ identity to this browser.
pub const HELD_COOKIE: &str = "glc_fc_held";

fn held_token(state: &AppState, jar: &CookieJar) -> Option<String> {
    jar.get(&cookies::name(HELD_COOKIE, state.provider.config.is_https())).map(|c| c.value().to_owned())
}

/// The held identity this browser's form names (its `csrf`).
pub async fn held_for_form(state: &AppState, jar: &CookieJar, csrf: &str) -> Result<Option<Held>, FcError> {
    reconcile::find(&state.provider, held_token(state, jar).as_deref(), Some(csrf)).await
}

/// A FranceConnect+ identity matched the account `user_id`: linked at once if this browser is
/// signed in to that very account (that is the proof), otherwise held while the resident says
/// whether it is theirs.
pub async fn matched(
    state: &AppState,
    headers: &HeaderMap,
    lang: &str,
    jar: CookieJar,
    identity: FcIdentity,
    user_id: String,
    back: Return,
) -> Response {
    let provider = &state.provider;
    if let Ok(Some(session)) = super::current_session(state, &jar).await
        && session.user_id == user_id
        && let Ok(Some(account)) = crate::identity::account::of_session(provider, &user_id).await
    {
        return match accounts::link(provider, &account, &identity).await {
            Ok(()) | Err(LinkError::AlreadyLinked) => {
                let upstream = crate::federation::UpstreamLogin {
                    platform: Platform::FranceConnectPlus,
                    id_token: identity.id_token.clone(),
                };
                continue_signed_in(state, lang, jar, back, &user_id, &identity.acr, Some(&upstream)).await
            }
            Err(LinkError::Fc(e)) => failure(state, headers, lang, &back, &e),
            Err(_) => failure(state, headers, lang, &back, &FcError::Refused("link refused".into())),
        };
    }
    let (token, held) = match reconcile::hold(provider, identity, user_id, back).await {
        Ok(held) => held,
        Err(e) => return failure(state, headers, lang, &Return::Account, &e),
    };
    tracing::info!(user_id = %held.user_id, "FranceConnect+ identity matches an account FranceConnect certified");
    let jar = jar.add(cookies::build(HELD_COOKIE, token, provider.config.is_https()));
    let fc_buttons = buttons(state, [Platform::FranceConnect]).await;
    let ctx = context! {
        csrf => &held.csrf, fc_back => "reconcile", fc_buttons => minijinja::value::Serde(&fc_buttons),
    };
    let policy = csp(origins(state).as_deref(), None);
    (jar, state.views.page(StatusCode::OK, "federation/reconcile.html", lang, ctx, policy)).into_response()
}

/// Back from FranceConnect with the proof: the FranceConnect identity must be the matched
/// account's; FranceConnect+ is then linked to it, and the resident continues as its owner.
pub async fn confirmed(
    state: &AppState,
    headers: &HeaderMap,
    lang: &str,
    jar: CookieJar,
    fc_identity: &FcIdentity,
) -> Response {
    let provider = &state.provider;
    let f = i18n_federation::texts(lang);
    let token = held_token(state, &jar);
    let jar = jar.add(cookies::removal(HELD_COOKIE, provider.config.is_https()));
    let held = match reconcile::find(provider, token.as_deref(), None).await {
        Ok(Some(held)) => held,
        Ok(None) => return (jar, expired(state, headers, lang)).into_response(),
        Err(e) => return (jar, failure(state, headers, lang, &Return::Account, &e)).into_response(),
    };
    if let Some(token) = &token {
        reconcile::release(provider, token).await;
    }
    let owner = federation::linked_user(&provider.db, &fc_identity.platform, &fc_identity.subject).await;
    match owner {
        Ok(Some(owner)) if owner == held.user_id => {}
        Ok(_) => {
            tracing::warn!("FranceConnect proof for another account than the one FranceConnect+ matched");
            let page = error_page(state, headers, lang, StatusCode::BAD_REQUEST, f.reconcile_mismatch, "/account");
            return (jar, page).into_response();
        }
        Err(e) => {
            let e = FcError::Unavailable(e.to_string());
            return (jar, failure(state, headers, lang, &Return::Account, &e)).into_response();
        }
    }
    // The FranceConnect login counts as one (its certification refreshed), then FC+ is linked.
    let user = match accounts::sign_in(provider, fc_identity).await {
        Ok((user, _)) => user,
        Err(e) => return (jar, failure(state, headers, lang, &held.back, &e)).into_response(),
    };
    match accounts::link(provider, &user, &held.identity).await {
        Ok(()) | Err(LinkError::AlreadyLinked) => {}
        Err(LinkError::LinkedElsewhere) => {
            let page = error_page(state, headers, lang, StatusCode::CONFLICT, f.linked_elsewhere, "/account");
            return (jar, page).into_response();
        }
        Err(LinkError::Fc(e)) => return (jar, failure(state, headers, lang, &held.back, &e)).into_response(),
        Err(LinkError::NoOtherWayIn) => {}
    }
    tracing::info!(user_id = %user.id, "FranceConnect+ linked after the resident's FranceConnect proof");
    let upstream = held.upstream();
    continue_signed_in(state, lang, jar, held.back, &user.id, &held.identity.acr, Some(&upstream)).await
}

/// `POST /franceconnect/separate`: the resident keeps the FranceConnect+ identity apart (a new
/// account of its own).
pub async fn separate(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar, body: Bytes) -> Response {
    let lang = lang_of(&headers);
    let provider = &state.provider;
    let fields = match form(&headers, &body) {
        Ok(fields) => fields,
        Err(e) => return state.views.error(&PageError::bad_request(e.description), lang),
    };
    let held = match held_for_form(&state, &jar, fields.get("csrf").unwrap_or_default()).await {
        Ok(Some(held)) => held,
        Ok(None) => return expired(&state, &headers, lang),
        Err(e) => return failure(&state, &headers, lang, &Return::Account, &e),
    };
    if let Some(token) = held_token(&state, &jar) {
        reconcile::release(provider, &token).await;
    }
    let jar = jar.add(cookies::removal(HELD_COOKIE, provider.config.is_https()));
    let user = match accounts::sign_in(provider, &held.identity).await {
        Ok((user, _)) => user,
        Err(e) => return (jar, failure(&state, &headers, lang, &held.back, &e)).into_response(),
    };
    let upstream = held.upstream();
    continue_signed_in(&state, lang, jar, held.back, &user.id, &held.identity.acr, Some(&upstream)).await
}
