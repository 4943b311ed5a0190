//! `/account`: the resident's own page, with its own sign-in (no service is involved): their
//! address and its confirmation, a password change, their sessions and "sign out everywhere",
//! their data as JSON, and the deletion of the account.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::failure::failed;
use super::login::Problem;
use super::response::redirect;
use super::second_factor;
use super::{csrf_checked_form, current_session, lang_of};
use crate::http::i18n_account::{self, AccountTexts};
use crate::http::views::{csp, passkey_csp};
use crate::http::{AppState, cookies, csrf};
use crate::identity::account::{self, AccountError};
use crate::identity::login::{self, LoginFailure};
use crate::identity::user::User;
use crate::identity::{mfa, passkeys, session, signup};
use crate::oauth::error::OAuthError;
use crate::oauth::interaction::Authentication;
use crate::oauth::params::Params;

/// What the home page shows besides the account: a notice, or an error tied to a field.
#[derive(Default)]
pub(super) struct Feedback<'a> {
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub field: &'a str,
    /// A second factor being set up: its key and link.
    pub enrolment: Option<mfa::Enrolment>,
    /// Just enrolled: the recovery codes, shown this once.
    pub recovery_codes: Option<Vec<String>>,
}

/// One of the resident's sessions, as the page lists it.
#[derive(serde::Serialize)]
struct SessionLine {
    sid: String,
    since: String,
    mfa: bool,
    current: bool,
}

pub(super) async fn home(
    state: &AppState,
    lang: &str,
    jar: CookieJar,
    account: &User,
    feedback: Feedback<'_>,
) -> Response {
    let provider = &state.provider;
    let current = match current_session(state, &jar).await {
        Ok(session) => session.map(|s| s.sid),
        Err(e) => return failed(state, lang, e),
    };
    let (jar, csrf) = csrf::token(jar, provider.config.is_https());
    let lifetimes = &provider.config.lifetimes;
    let sessions = match session::of_user(&provider.ephemeral, &account.id, provider.now(), lifetimes).await {
        Ok(mut all) => {
            all.sort_by_key(|s| std::cmp::Reverse(s.created_at));
            all.into_iter()
                .map(|s| SessionLine {
                    since: since(s.created_at),
                    mfa: s.acr == crate::identity::ACR_MFA,
                    current: current.as_deref() == Some(s.sid.as_str()),
                    sid: s.sid,
                })
                .collect::<Vec<_>>()
        }
        Err(e) => return failed(state, lang, e),
    };
    let sessions = minijinja::value::Serde(sessions);
    let totp = match mfa::is_enrolled(provider, &account.id).await {
        Ok(enrolled) => enrolled,
        Err(e) => return failed(state, lang, e),
    };
    let passkey_list = match passkeys::list(provider, &account.id).await {
        Ok(list) => list
            .into_iter()
            .map(|p| PasskeyLine {
                created: since(p.created_at),
                last_used: p.last_used_at.map(since),
                id: p.id,
                name: p.name,
            })
            .collect::<Vec<_>>(),
        Err(e) => return failed(state, lang, e),
    };
    let (linked, certified) = match crate::store::federation::linked_platforms(&provider.db, &account.id).await {
        Ok(linked) => match crate::store::federation::certified_of(&provider.db, &account.id).await {
            Ok(certified) => (linked, certified),
            Err(e) => return failed(state, lang, e),
        },
        Err(e) => return failed(state, lang, e),
    };
    let a = i18n_account::texts(lang);
    let interventions = match crate::admin::helpdesk::interventions_on(provider, &account.id).await {
        Ok(list) => list
            .into_iter()
            .map(|i| InterventionLine { when: since(i.at), what: intervention_label(a, &i.action), why: i.reason })
            .collect::<Vec<_>>(),
        Err(e) => return failed(state, lang, e),
    };
    let passkeys_on = provider.webauthn.is_some();
    let fc_linked = !linked.is_empty();
    // A button for each platform not linked yet.
    let unlinked = crate::federation::Platform::ALL.into_iter().filter(|p| !linked.iter().any(|l| l == p.as_str()));
    let fc_buttons = super::franceconnect::buttons(state, unlinked).await;
    let fc_origin = super::franceconnect::origins(state);
    let (nonce, policy) =
        if passkeys_on { passkey_csp(fc_origin.as_deref()) } else { (String::new(), csp(fc_origin.as_deref(), None)) };
    let status = if feedback.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let ctx = context! {
        csrf, email => &account.email, name => account.full_name(), verified => account.email_verified, sessions,
        notice => feedback.notice, error => feedback.error, error_field => feedback.field, totp,
        totp_qr => feedback.enrolment.as_ref().and_then(|e| crate::http::qr::svg(&e.uri)).map(minijinja::Value::from_safe_string),
        enrolment => feedback.enrolment.map(minijinja::value::Serde), recovery_codes => feedback.recovery_codes,
        given_name => &account.given_name, family_name => &account.family_name,
        usage_name => &account.preferred_username, phone_number => &account.phone_number,
        street_address => address_part(account, "street_address"), postal_code => address_part(account, "postal_code"),
        locality => address_part(account, "locality"),
        passkeys_on, passkeys => minijinja::value::Serde(passkey_list), passkey_nonce => nonce,
        fc_buttons => minijinja::value::Serde(&fc_buttons), fc_linked, fc_back => "link",
        has_password => account.password_hash.is_some(),
        certified => certified.is_some(),
        certified_by_plus => certified.as_ref().is_some_and(|c| c.platform == crate::federation::Platform::FranceConnectPlus.as_str()),
        certified_family_name => certified.as_ref().map(|c| c.family_name.clone()),
        certified_given_name => certified.as_ref().map(|c| c.given_name.clone()),
        certified_birthdate => certified.as_ref().and_then(|c| c.birthdate.clone()),
        certified_birthplace => certified.as_ref().and_then(|c| c.birthplace.clone()),
        certified_birthcountry => certified.as_ref().and_then(|c| c.birthcountry.clone()),
        certified_on => certified.as_ref().map(|c| since(c.verified_at)),
        interventions => minijinja::value::Serde(&interventions),
    };
    (jar, state.views.page(status, "account/home.html", lang, ctx, policy)).into_response()
}

/// What the help desk did on the account, as the page lists it.
#[derive(serde::Serialize)]
struct InterventionLine {
    when: String,
    what: &'static str,
    why: Option<String>,
}

fn intervention_label(a: &i18n_account::AccountTexts, action: &str) -> &'static str {
    match action {
        "helpdesk.resent_verification" => a.helpdesk_resent_verification,
        "helpdesk.lifted_throttling" => a.helpdesk_lifted_throttling,
        "helpdesk.disabled" => a.helpdesk_disabled,
        "helpdesk.enabled" => a.helpdesk_enabled,
        "helpdesk.forced_password_reset" => a.helpdesk_forced_password_reset,
        "helpdesk.unlinked_franceconnect" => a.helpdesk_unlinked_franceconnect,
        _ => a.helpdesk_looked_up,
    }
}

/// One of the resident's passkeys, as the page lists it.
#[derive(serde::Serialize)]
struct PasskeyLine {
    id: String,
    name: String,
    created: String,
    last_used: Option<String>,
}

/// `28/11/2026 18:30` (UTC) for a session's start or a passkey's use.
pub(super) fn since(unix: i64) -> String {
    let format = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
}

/// One part of the resident's address claim, for the form.
fn address_part(account: &User, part: &str) -> Option<String> {
    account.address.as_ref()?.get(part)?.as_str().map(str::to_owned)
}

/// The account's sign-in: a password, a passkey where the browser has one, FranceConnect
/// where configured; `problem` says what went wrong with the last attempt.
pub(super) async fn sign_in_page(
    state: &AppState,
    lang: &str,
    jar: CookieJar,
    email: &str,
    problem: Problem,
) -> Response {
    let (jar, csrf) = csrf::token(jar, state.provider.config.is_https());
    let wait = match problem {
        Problem::Throttled(wait) => Some(wait),
        _ => None,
    };
    let status = if wait.is_some() { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::OK };
    let passkeys = state.provider.webauthn.is_some();
    let platform = super::franceconnect::sign_in_platform(state, None);
    let fc_buttons = super::franceconnect::buttons(state, platform).await;
    let fc_origin = super::franceconnect::origins(state);
    let (nonce, policy) =
        if passkeys { passkey_csp(fc_origin.as_deref()) } else { (String::new(), csp(fc_origin.as_deref(), None)) };
    let ctx = context! {
        csrf, email, failed => problem == Problem::WrongPassword, wait, passkeys,
        passkey_refused => problem == Problem::PasskeyRefused, passkey_nonce => nonce,
        fc_buttons => minijinja::value::Serde(&fc_buttons), fc_back => "account",
        fc_cancelled => problem == Problem::FranceConnectCancelled,
    };
    (jar, state.views.page(status, "account/login.html", lang, ctx, policy)).into_response()
}

/// The signed-in resident of this browser.
pub(super) async fn signed_in(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<(session::Session, User)>, OAuthError> {
    let Some(session) = current_session(state, jar).await? else { return Ok(None) };
    Ok(account::of_session(&state.provider, &session.user_id).await?.map(|user| (session, user)))
}

pub async fn get(State(state): State<AppState>, uri: Uri, headers: HeaderMap, jar: CookieJar) -> Response {
    let lang = lang_of(&headers);
    let a = i18n_account::texts(lang);
    // After a redirect: what was just done.
    let f = crate::http::i18n_federation::texts(lang);
    let notice = match uri.query() {
        Some("changed=password") => Some(a.password_changed_text),
        Some("franceconnect=linked") => Some(f.linked_notice),
        _ => None,
    };
    match signed_in(&state, &jar).await {
        Ok(Some((_, account))) => home(&state, lang, jar, &account, Feedback { notice, ..Feedback::default() }).await,
        Ok(None) => {
            let cancelled = uri.query() == Some("franceconnect=cancelled");
            let problem = if cancelled { Problem::FranceConnectCancelled } else { Problem::None };
            sign_in_page(&state, lang, jar, "", problem).await
        }
        Err(e) => state.views.error(&e.into(), lang),
    }
}

/// A form posted by the signed-in resident of this browser, its CSRF token checked; otherwise
/// the response to send instead (the sign-in for a browser without a session).
pub struct AccountForm {
    pub(super) lang: &'static str,
    pub(super) jar: CookieJar,
    pub(super) fields: Params,
    pub(super) account: User,
}

impl FromRequest<AppState> for AccountForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let headers = request.headers().clone();
        let lang = lang_of(&headers);
        let jar = CookieJar::from_headers(&headers);
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        let fields = csrf_checked_form(state, &headers, &jar, &body)?;
        match signed_in(state, &jar).await {
            Ok(Some((_, account))) => Ok(AccountForm { lang, jar, fields, account }),
            Ok(None) => Err(redirect("/account")),
            Err(e) => Err(state.views.error(&e.into(), lang)),
        }
    }
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let lang = lang_of(&headers);
    let provider = &state.provider;
    let fields = match csrf_checked_form(&state, &headers, &jar, &body) {
        Ok(fields) => fields,
        Err(page) => return page,
    };
    let (email, password) = (fields.get("email").unwrap_or_default(), fields.get("password").unwrap_or_default());
    let ip = state.client_ip(peer, &headers);
    let account = match login::with_password(provider, email, password, ip).await {
        Ok(account) => account,
        Err(LoginFailure::Wrong) => return sign_in_page(&state, lang, jar, email, Problem::WrongPassword).await,
        Err(LoginFailure::Throttled(wait)) => {
            return sign_in_page(&state, lang, jar, email, Problem::Throttled(wait)).await;
        }
        Err(e) => return failed(&state, lang, e),
    };
    match mfa::second_factors(provider, &account.id).await {
        Ok(factors) if !factors.any() => {
            start_session(&state, lang, jar, &account.id, Authentication::PASSWORD, "/account").await
        }
        Ok(_) => second_factor::ask(&state, jar, &account.id, second_factor::Resume::Account, lang).await,
        Err(e) => failed(&state, lang, e),
    }
}

/// A new session for this browser (a new id: no fixation), then `to`.
pub(super) async fn start_session(
    state: &AppState,
    lang: &str,
    jar: CookieJar,
    user_id: &str,
    how: Authentication<'_>,
    to: &str,
) -> Response {
    let provider = &state.provider;
    match how.start_session(provider, user_id).await {
        Ok((cookie, _)) => {
            (jar.add(cookies::build(cookies::SESSION, cookie, provider.config.is_https())), redirect(to))
                .into_response()
        }
        Err(e) => failed(state, lang, e),
    }
}

pub async fn resend_verification(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, account, .. } = form;
    let a: &AccountTexts = i18n_account::texts(lang);
    if !account.email_verified {
        let sent = async {
            let link = signup::verification_link(&state.provider, &account.id, &account.email)
                .await
                .map_err(|e| e.to_string())?;
            let mail = crate::mail::compose::compose(
                &account.email,
                crate::mail::compose::Template::VerifyEmail { link: &link },
            )
            .map_err(|e| e.to_string())?;
            state.provider.mailer.send(mail).await.map_err(|e| e.to_string())
        };
        if let Err(e) = sent.await {
            tracing::error!(error = %e, "verification mail not sent");
            return home(&state, lang, jar, &account, Feedback { error: Some(a.mail_failed), ..Feedback::default() })
                .await;
        }
    }
    home(&state, lang, jar, &account, Feedback { notice: Some(a.resend_done), ..Feedback::default() }).await
}

pub async fn change_password(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let a = i18n_account::texts(lang);
    let current = fields.get("current_password").unwrap_or_default();
    let new = fields.get("new_password").unwrap_or_default();
    let refused = |error, field| Feedback { error: Some(error), field, ..Feedback::default() };
    match account::change_password(&state.provider, &account, current, new).await {
        Ok(()) => {
            // Every session ends (each service is told); this browser gets a new one.
            if let Err(e) = crate::oauth::logout::end_all_sessions(&state.provider, &account.id).await {
                return state.views.error(&e, lang);
            }
            start_session(&state, lang, jar, &account.id, Authentication::PASSWORD, "/account?changed=password").await
        }
        Err(AccountError::WrongPassword) => {
            home(&state, lang, jar, &account, refused(a.wrong_password, "current_password")).await
        }
        Err(AccountError::WeakPassword(w)) => {
            home(&state, lang, jar, &account, refused(a.weakness(w), "new_password")).await
        }
        Err(AccountError::AddressTaken) => {
            let f = crate::http::i18n_federation::texts(lang);
            home(&state, lang, jar, &account, refused(f.address_taken, "new_password")).await
        }
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn sign_out_everywhere(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, account, .. } = form;
    // This browser's session came through FranceConnect: FC's session ends too, on the way.
    let upstream = match current_session(&state, &jar).await {
        Ok(session) => session.and_then(|s| s.upstream),
        Err(e) => return state.views.error(&e.into(), lang),
    };
    if let Err(e) = crate::oauth::logout::end_all_sessions(&state.provider, &account.id).await {
        return state.views.error(&e, lang);
    }
    if let Some(upstream) = upstream {
        let ending = super::logout::Ending {
            frames: Vec::new(),
            back_to: Some("/account/signed-out".into()),
            lang: lang.into(),
        };
        return super::franceconnect::end_upstream(&state, jar, &upstream, ending).await;
    }
    let jar = jar.add(cookies::removal(cookies::SESSION, state.provider.config.is_https()));
    (jar, signed_out_page(&state, lang)).into_response()
}

fn signed_out_page(state: &AppState, lang: &str) -> Response {
    let a = i18n_account::texts(lang);
    let ctx = context! { title => a.account_title, text => a.signed_out_everywhere_text };
    state.views.page(StatusCode::OK, "account/message.html", lang, ctx, csp(None, None))
}

/// `GET /account/signed-out`: where "sign out everywhere" ends after FranceConnect's logout.
pub async fn signed_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    signed_out_page(&state, lang_of(&headers))
}

pub async fn export(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let lang = lang_of(&headers);
    let account = match signed_in(&state, &jar).await {
        Ok(Some((_, account))) => account,
        Ok(None) => return redirect("/account"),
        Err(e) => return state.views.error(&e.into(), lang),
    };
    match account::export(&state.provider, &account).await {
        Ok(data) => {
            let mut response = axum::Json(data).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"grandlyon-connect.json\""),
            );
            response
        }
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn delete(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let a = i18n_account::texts(lang);
    let provider = &state.provider;
    let password = fields.get("password").unwrap_or_default();
    // The password first: nothing happens for an unconfirmed deletion.
    match account::confirm_deletion(provider, &account, password).await {
        Ok(()) => {}
        Err(AccountError::WrongPassword) => {
            let feedback = Feedback { error: Some(a.wrong_password), field: "delete_password", ..Feedback::default() };
            return home(&state, lang, jar, &account, feedback).await;
        }
        Err(e) => return failed(&state, lang, e),
    }
    // Every service is told (consent withdrawn, grants revoked, sessions ended), then the
    // account goes.
    if let Err(e) =
        crate::oauth::withdrawal::delete_account(provider, crate::audit::Actor::Resident(&account.id), &account.id)
            .await
    {
        return state.views.error(&e, lang);
    }
    tracing::info!(user_id = %account.id, "account deleted by its owner");
    let jar = jar.add(cookies::removal(cookies::SESSION, provider.config.is_https()));
    let ctx = context! { title => a.delete_title, text => a.deleted_text };
    (jar, state.views.page(StatusCode::OK, "account/message.html", lang, ctx, csp(None, None))).into_response()
}

pub async fn totp_start(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, account, .. } = form;
    match mfa::start_enrolment(&state.provider, &account.id, &account.email).await {
        Ok(enrolment) => {
            home(&state, lang, jar, &account, Feedback { enrolment: Some(enrolment), ..Feedback::default() }).await
        }
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn totp_confirm(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let a = i18n_account::texts(lang);
    match mfa::confirm_enrolment(&state.provider, &account.id, fields.get("code").unwrap_or_default()).await {
        Ok(codes) => {
            let feedback =
                Feedback { notice: Some(a.totp_on_text), recovery_codes: Some(codes), ..Feedback::default() };
            home(&state, lang, jar, &account, feedback).await
        }
        Err(mfa::MfaError::WrongCode | mfa::MfaError::NoEnrolment) => {
            // Start again with a fresh key: the resident re-adds it in the app.
            let enrolment = match mfa::start_enrolment(&state.provider, &account.id, &account.email).await {
                Ok(enrolment) => enrolment,
                Err(e) => return failed(&state, lang, e),
            };
            let feedback = Feedback {
                error: Some(a.second_factor_failed),
                field: "totp_code",
                enrolment: Some(enrolment),
                ..Feedback::default()
            };
            home(&state, lang, jar, &account, feedback).await
        }
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn totp_disable(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let a = i18n_account::texts(lang);
    match account::remove_second_factor(&state.provider, &account, fields.get("password").unwrap_or_default()).await {
        Ok(()) => {
            home(&state, lang, jar, &account, Feedback { notice: Some(a.totp_disabled_text), ..Feedback::default() })
                .await
        }
        Err(AccountError::WrongPassword) => {
            let feedback = Feedback { error: Some(a.wrong_password), field: "totp_password", ..Feedback::default() };
            home(&state, lang, jar, &account, feedback).await
        }
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn update_profile(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let a = i18n_account::texts(lang);
    let field = |name: &str| fields.get(name).unwrap_or_default().to_owned();
    let input = account::ProfileInput {
        given_name: field("given_name"),
        family_name: field("family_name"),
        usage_name: field("usage_name"),
        phone_number: field("phone_number"),
        street_address: field("street_address"),
        postal_code: field("postal_code"),
        locality: field("locality"),
    };
    let provider = &state.provider;
    match account::update_profile(provider, &account, input).await {
        Ok(()) => match account::of_session(provider, &account.id).await {
            Ok(Some(updated)) => {
                home(&state, lang, jar, &updated, Feedback { notice: Some(a.profile_saved), ..Feedback::default() })
                    .await
            }
            Ok(None) => redirect("/account"),
            Err(e) => failed(&state, lang, e),
        },
        Err(AccountError::Profile(account::ProfileError::Phone)) => {
            let feedback = Feedback { error: Some(a.invalid_phone), field: "phone_number", ..Feedback::default() };
            home(&state, lang, jar, &account, feedback).await
        }
        Err(AccountError::Profile(account::ProfileError::TooLong)) => {
            home(&state, lang, jar, &account, Feedback { error: Some(a.too_long), ..Feedback::default() }).await
        }
        Err(e) => failed(&state, lang, e),
    }
}

pub async fn change_email(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let a = i18n_account::texts(lang);
    match signup::request_email_change(&state.provider, &account.id, fields.get("email").unwrap_or_default()).await {
        Ok(()) => {
            home(&state, lang, jar, &account, Feedback { notice: Some(a.email_change_sent), ..Feedback::default() })
                .await
        }
        Err(signup::SignUpError::InvalidEmail) => {
            let feedback = Feedback { error: Some(a.invalid_email), field: "new_email", ..Feedback::default() };
            home(&state, lang, jar, &account, feedback).await
        }
        Err(signup::SignUpError::Mail(e)) => {
            tracing::error!(error = %e, "address change mail not sent");
            home(&state, lang, jar, &account, Feedback { error: Some(a.mail_failed), ..Feedback::default() }).await
        }
        Err(e) => failed(&state, lang, e),
    }
}

/// Ends one of the resident's other sessions (each of its services told by back-channel).
pub async fn end_session(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, fields, account } = form;
    let provider = &state.provider;
    let sid = fields.get("sid").unwrap_or_default();
    let lifetimes = &provider.config.lifetimes;
    let sessions = match session::of_user(&provider.ephemeral, &account.id, provider.now(), lifetimes).await {
        Ok(all) => all,
        Err(e) => return failed(&state, lang, e),
    };
    if let Some(target) = sessions.iter().find(|s| s.sid == sid)
        && let Err(e) = crate::oauth::logout::end(provider, target).await
    {
        return state.views.error(&e, lang);
    }
    let a = i18n_account::texts(lang);
    home(&state, lang, jar, &account, Feedback { notice: Some(a.session_ended), ..Feedback::default() }).await
}

pub async fn unlink_franceconnect(State(state): State<AppState>, form: AccountForm) -> Response {
    let AccountForm { lang, jar, account, .. } = form;
    let f = crate::http::i18n_federation::texts(lang);
    let feedback = match crate::federation::accounts::unlink(&state.provider, &account).await {
        Ok(()) => Feedback { notice: Some(f.unlinked_notice), ..Feedback::default() },
        Err(crate::federation::accounts::LinkError::NoOtherWayIn) => {
            Feedback { error: Some(f.unlink_needs_other_way), ..Feedback::default() }
        }
        Err(e) => return failed(&state, lang, e),
    };
    match account::of_session(&state.provider, &account.id).await {
        Ok(Some(updated)) => home(&state, lang, jar, &updated, feedback).await,
        Ok(None) => redirect("/account"),
        Err(e) => failed(&state, lang, e),
    }
}
