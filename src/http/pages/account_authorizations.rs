//! "Mes autorisations" (`/account/authorizations`): every partner and service that receives
//! data from the resident's account, what, for what, since when; a piece, a service or a
//! partner withdrawn in one click (`oauth::withdrawal`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;
use serde::Serialize;

use super::account_home::{AccountForm, signed_in, since};
use super::failure::failed;
use super::lang_of;
use super::response::redirect;
use crate::audit::Actor;
use crate::consent::overview::{self, SharedPartner};
use crate::http::views::csp;
use crate::http::{AppState, csrf, i18n_account};
use crate::oauth::withdrawal;

/// A partner's services as the page shows them (dates in words).
#[derive(Serialize)]
struct PartnerView {
    partner_id: String,
    name: String,
    services: Vec<ServiceView>,
}

#[derive(Serialize)]
struct ServiceView {
    client_id: String,
    name: String,
    last_received: Option<String>,
    pieces: Vec<PieceView>,
}

#[derive(Serialize)]
struct PieceView {
    key: String,
    label: String,
    purpose: String,
    granted: bool,
    expires_at: String,
}

fn view(partners: Vec<SharedPartner>) -> Vec<PartnerView> {
    partners
        .into_iter()
        .map(|p| PartnerView {
            partner_id: p.partner_id,
            name: p.name,
            services: p
                .services
                .into_iter()
                .map(|s| ServiceView {
                    client_id: s.client_id,
                    name: s.name,
                    last_received: s.last_received.map(since),
                    pieces: s
                        .pieces
                        .into_iter()
                        .map(|piece| PieceView {
                            key: piece.key,
                            label: piece.label,
                            purpose: piece.purpose,
                            granted: piece.granted,
                            expires_at: since(piece.expires_at),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// `GET /account/authorizations`
pub async fn get(State(state): State<AppState>, uri: Uri, headers: HeaderMap, jar: CookieJar) -> Response {
    let lang = lang_of(&headers);
    let provider = &state.provider;
    let account = match signed_in(&state, &jar).await {
        Ok(Some((_, account))) => account,
        Ok(None) => return redirect("/account"),
        Err(e) => return state.views.error(&e.into(), lang),
    };
    let partners = match overview::overview(&provider.db, &account.id, provider.now(), lang == "en").await {
        Ok(partners) => view(partners),
        Err(e) => return failed(&state, lang, e),
    };
    let a = i18n_account::texts(lang);
    let notice = (uri.query() == Some("withdrawn")).then_some(a.authorizations_withdrawn);
    let (jar, csrf) = csrf::token(jar, provider.config.is_https());
    let ctx = context! { csrf, notice, partners => minijinja::value::Serde(&partners) };
    (jar, state.views.page(StatusCode::OK, "account/authorizations.html", lang, ctx, csp(None, None))).into_response()
}

/// `GET /account/receipts`: every consent receipt of the resident, as a JSON file.
pub async fn receipts(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let lang = lang_of(&headers);
    let account = match signed_in(&state, &jar).await {
        Ok(Some((_, account))) => account,
        Ok(None) => return redirect("/account"),
        Err(e) => return state.views.error(&e.into(), lang),
    };
    match crate::store::consent_receipts::of_user(&state.provider.db, &account.id).await {
        Ok(receipts) => {
            let body = serde_json::json!({ "receipts": receipts }).to_string();
            let headers = [
                (axum::http::header::CONTENT_TYPE, "application/json"),
                (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"recus-de-consentement.json\""),
                (axum::http::header::CACHE_CONTROL, "no-store"),
            ];
            (headers, body).into_response()
        }
        Err(e) => failed(&state, lang, e),
    }
}

/// `POST /account/authorizations/withdraw`: `client` and `item` (one piece), `client` alone (one
/// service), or `partner` (every service of one partner).
pub async fn withdraw(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, fields, account, .. } = form;
    let provider = &state.provider;
    let outcome = match (fields.get("partner"), fields.get("client"), fields.get("item")) {
        (Some(partner), None, None) => {
            withdrawal::withdraw_partner(provider, Actor::Resident(&account.id), &account.id, partner).await
        }
        (None, Some(client), Some(item)) => {
            withdrawal::withdraw_piece(provider, Actor::Resident(&account.id), &account.id, client, item).await
        }
        (None, Some(client), None) => {
            withdrawal::withdraw_consent(provider, Actor::Resident(&account.id), &account.id, client).await
        }
        _ => {
            let e = crate::oauth::error::PageError::bad_request("name a partner, a service, or a service and a piece");
            return state.views.error(&e, lang);
        }
    };
    match outcome {
        Ok(_) => redirect("/account/authorizations?withdrawn"),
        Err(e) => state.views.error(&e, lang),
    }
}
