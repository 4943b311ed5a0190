//! The account pages outside any authorization request: sign-up, email verification, password
//! recovery. Thin: each reads the form, checks its CSRF token, calls `identity` and renders.

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::{Value, context};

use super::failure::failed;
use super::{csrf_checked_form, lang_of};
use crate::http::i18n_account;
use crate::http::throttle::{self, SIGN_UPS};
use crate::http::views::csp;
use crate::http::{AppState, csrf};
use crate::identity::recovery::{self, RecoveryError};
use crate::identity::signup::{self, SignUpError};
use crate::identity::user::NewUser;
use crate::oauth::params::Params;

fn query(uri: &Uri) -> Params {
    Params::parse(uri.query().unwrap_or_default().as_bytes()).unwrap_or_default()
}

/// An interaction id worth linking back to (the login page it came from).
fn interaction_of(params: &Params) -> Option<String> {
    params
        .get("interaction")
        .filter(|i| i.len() <= 64 && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_owned)
}

fn page(state: &AppState, status: StatusCode, name: &str, lang: &str, ctx: Value) -> Response {
    state.views.page(status, name, lang, ctx, csp(None, None))
}

fn message(state: &AppState, lang: &str, title: &str, text: &str, link: Option<(String, &str)>) -> Response {
    let (link, link_text) = link.map_or((None, None), |(l, t)| (Some(l), Some(t)));
    page(state, StatusCode::OK, "account/message.html", lang, context! { title, text, link, link_text })
}

pub async fn signup_get(State(state): State<AppState>, uri: Uri, headers: HeaderMap, jar: CookieJar) -> Response {
    let lang = lang_of(&headers);
    let (jar, csrf) = csrf::token(jar, state.provider.config.is_https());
    let interaction = interaction_of(&query(&uri));
    let ctx = context! { csrf, interaction, email => "", given_name => "", family_name => "" };
    (jar, page(&state, StatusCode::OK, "account/signup.html", lang, ctx)).into_response()
}

pub async fn signup_post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let lang = lang_of(&headers);
    let fields = match csrf_checked_form(&state, &headers, &jar, &body) {
        Ok(fields) => fields,
        Err(page) => return page,
    };
    let provider = &state.provider;
    let ip = state.client_ip(peer, &headers);
    let wait = throttle::spend(&provider.ephemeral, &SIGN_UPS, ip, provider.now()).await;
    let a = i18n_account::texts(lang);
    let interaction = interaction_of(&fields);
    let new = NewUser {
        email: fields.get("email").unwrap_or_default().to_owned(),
        password: Some(fields.get("password").unwrap_or_default().to_owned()),
        given_name: fields.get("given_name").map(str::to_owned),
        family_name: fields.get("family_name").map(str::to_owned),
    };
    let again = |error: &str, field: &str| {
        let ctx = context! {
            csrf => fields.get("csrf"), interaction => &interaction, error, error_field => field,
            email => &new.email, given_name => &new.given_name, family_name => &new.family_name,
        };
        page(&state, StatusCode::BAD_REQUEST, "account/signup.html", lang, ctx)
    };
    match wait {
        Ok(0) => {}
        Ok(seconds) => {
            let mut page = again(a.too_many_sign_ups, "");
            *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
                page.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
            }
            return page;
        }
        Err(e) => return state.views.error(&e.into(), lang),
    }
    match signup::sign_up(&state.provider, new.clone()).await {
        Ok(()) => {
            let back = interaction.map(|i| (format!("/login/{i}"), a.back_to_login));
            message(&state, lang, a.check_mail_title, a.check_mail_text, back)
        }
        Err(SignUpError::InvalidEmail) => again(a.invalid_email, "email"),
        Err(SignUpError::WeakPassword(w)) => again(a.weakness(w), "password"),
        Err(SignUpError::Mail(e)) => {
            tracing::error!(error = %e, "sign-up mail not sent");
            again(a.mail_failed, "")
        }
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn verify_email(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let a = i18n_account::texts(lang);
    let token = query(&uri).get("token").unwrap_or_default().to_owned();
    match signup::verify(&state.provider, &token).await {
        Ok(true) => message(&state, lang, a.verified_title, a.verified_text, None),
        Ok(false) => message(&state, lang, a.verify_failed_title, a.verify_failed_text, None),
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn forgot_get(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let lang = lang_of(&headers);
    let (jar, csrf) = csrf::token(jar, state.provider.config.is_https());
    (jar, page(&state, StatusCode::OK, "account/forgot.html", lang, context! { csrf })).into_response()
}

pub async fn forgot_post(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar, body: Bytes) -> Response {
    let lang = lang_of(&headers);
    let fields = match csrf_checked_form(&state, &headers, &jar, &body) {
        Ok(fields) => fields,
        Err(page) => return page,
    };
    let a = i18n_account::texts(lang);
    // The same page whether the account exists or not.
    match recovery::request(&state.provider, fields.get("email").unwrap_or_default()).await {
        Ok(()) => message(&state, lang, a.forgot_title, a.forgot_sent_text, None),
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn reset_get(State(state): State<AppState>, uri: Uri, headers: HeaderMap, jar: CookieJar) -> Response {
    let lang = lang_of(&headers);
    let (jar, csrf) = csrf::token(jar, state.provider.config.is_https());
    let token = query(&uri).get("token").unwrap_or_default().to_owned();
    (jar, page(&state, StatusCode::OK, "account/reset.html", lang, context! { csrf, token })).into_response()
}

pub async fn reset_post(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar, body: Bytes) -> Response {
    let lang = lang_of(&headers);
    let fields = match csrf_checked_form(&state, &headers, &jar, &body) {
        Ok(fields) => fields,
        Err(page) => return page,
    };
    let a = i18n_account::texts(lang);
    let token = fields.get("token").unwrap_or_default();
    let provider = &state.provider;
    match recovery::reset(provider, token, fields.get("password").unwrap_or_default()).await {
        Ok(user_id) => {
            if let Err(e) = crate::oauth::logout::end_all_sessions(provider, &user_id).await {
                return state.views.error(&e, lang);
            }
            message(&state, lang, a.reset_done_title, a.reset_done_text, None)
        }
        Err(RecoveryError::InvalidLink) => message(
            &state,
            lang,
            a.reset_title,
            a.reset_invalid_text,
            Some(("/password/forgot".to_owned(), a.forgot_link)),
        ),
        Err(RecoveryError::WeakPassword(w)) => {
            let ctx = context! { csrf => fields.get("csrf"), token, error => a.weakness(w) };
            page(&state, StatusCode::BAD_REQUEST, "account/reset.html", lang, ctx)
        }
        Err(e) => failed(&state, lang, e),
    }
}
