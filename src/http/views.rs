//! Page rendering: the templates (compiled into the binary, checked at start), the security
//! headers of pages, and our error pages.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};

use super::{i18n, i18n_account, i18n_federation, i18n_passkeys};
use crate::oauth::error::{PageError, PageErrorKind};

#[derive(Debug)]
pub struct Views {
    env: Environment<'static>,
}

macro_rules! template {
    ($env:expr, $name:literal) => {
        $env.add_template($name, include_str!(concat!("../../templates/", $name)))?
    };
}

/// The Content-Security-Policy of our pages; `form_action` adds the origin a form may lead to
/// (the client's redirect URI: browsers check `form-action` on the redirect after a POST).
pub fn csp(form_action: Option<&str>, script_nonce: Option<&str>) -> String {
    let mut policy = String::from(
        "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    if let Some(origin) = form_action {
        policy.push(' ');
        policy.push_str(origin);
    }
    if let Some(nonce) = script_nonce {
        policy.push_str(&format!("; script-src 'nonce-{nonce}'"));
    }
    policy
}

/// A page offering passkeys: the policy of `csp` allowing our passkey script (by a fresh
/// nonce, returned first for the page's `<script>`) and its requests to us (`connect-src`).
pub fn passkey_csp(form_action: Option<&str>) -> (String, String) {
    let nonce = crate::secrets::random_token(16);
    let policy = format!("{}; connect-src 'self'", csp(form_action, Some(&nonce)));
    (nonce, policy)
}

/// `policy` also allowing images from `origin` (a client's registered logo).
pub fn allow_images_from(policy: String, origin: &str) -> String {
    policy.replacen("img-src 'self'", &format!("img-src 'self' {origin}"), 1)
}

impl Views {
    pub fn new() -> Result<Views, minijinja::Error> {
        let mut env = Environment::new();
        template!(env, "layout/base.html");
        template!(env, "login/login.html");
        template!(env, "consent/consent.html");
        template!(env, "error/error.html");
        template!(env, "response/form_post.html");
        template!(env, "logout/confirm.html");
        template!(env, "logout/done.html");
        template!(env, "account/signup.html");
        template!(env, "account/forgot.html");
        template!(env, "account/reset.html");
        template!(env, "account/message.html");
        template!(env, "account/login.html");
        template!(env, "account/home.html");
        template!(env, "account/authorizations.html");
        template!(env, "account/second_factor.html");
        template!(env, "account/passkey_form.html");
        template!(env, "federation/button.html");
        template!(env, "federation/error.html");
        template!(env, "federation/reconcile.html");
        template!(env, "public/accessibility.html");
        template!(env, "public/legal.html");
        template!(env, "public/privacy.html");
        template!(env, "public/developers.html");
        template!(env, "console/layout.html");
        template!(env, "console/message.html");
        template!(env, "console/home.html");
        template!(env, "console/secret.html");
        template!(env, "console/partners.html");
        template!(env, "console/partner_fields.html");
        template!(env, "console/partner.html");
        template!(env, "console/clients.html");
        template!(env, "console/client_fields.html");
        template!(env, "console/client_form.html");
        template!(env, "console/client.html");
        template!(env, "console/helpdesk.html");
        template!(env, "console/keys.html");
        template!(env, "console/journal.html");
        template!(env, "console/reports.html");
        // Render each once so a template error fails the start, not a resident's request.
        let t = i18n::texts("fr");
        for name in [
            "login/login.html",
            "consent/consent.html",
            "error/error.html",
            "response/form_post.html",
            "logout/confirm.html",
            "logout/done.html",
            "account/signup.html",
            "account/forgot.html",
            "account/reset.html",
            "account/message.html",
            "account/login.html",
            "account/home.html",
            "account/authorizations.html",
            "account/second_factor.html",
            "federation/error.html",
            "federation/reconcile.html",
            "public/accessibility.html",
            "public/legal.html",
            "public/privacy.html",
            "public/developers.html",
        ] {
            let (a, k, f) = (i18n_account::texts("fr"), i18n_passkeys::texts("fr"), i18n_federation::texts("fr"));
            let texts = context! { lang => "fr", t => Serde(t), a => Serde(a), k => Serde(k), f => Serde(f) };
            env.get_template(name)?.render(texts)?;
        }
        Ok(Views { env })
    }

    /// Renders `name` with `ctx` plus the language and its texts.
    pub fn render(&self, name: &str, lang: &str, ctx: Value) -> Result<String, minijinja::Error> {
        let base = context! { lang => lang, t => Serde(i18n::texts(lang)), a => Serde(i18n_account::texts(lang)),
        k => Serde(i18n_passkeys::texts(lang)), f => Serde(i18n_federation::texts(lang)) };
        self.env.get_template(name)?.render(context! { ..base, ..ctx })
    }

    /// A rendered page, or our internal-error page if rendering failed.
    pub fn page(&self, status: StatusCode, name: &str, lang: &str, ctx: Value, csp_value: String) -> Response {
        match self.render(name, lang, ctx) {
            Ok(html) => html_response(status, html, &csp_value),
            Err(e) => {
                tracing::error!(error = %e, template = name, "template rendering failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }

    /// Our own error page: never a redirect to the client.
    pub fn error(&self, err: &PageError, lang: &str) -> Response {
        let t = i18n::texts(lang);
        let message = match err.kind {
            PageErrorKind::InvalidClient => t.error_invalid_client,
            PageErrorKind::InvalidRedirectUri => t.error_invalid_redirect_uri,
            PageErrorKind::BadRequest => t.error_bad_request,
            PageErrorKind::ExpiredInteraction => t.error_expired,
            PageErrorKind::Unavailable => t.error_unavailable,
            PageErrorKind::Internal => t.error_internal,
        };
        let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
        let detail = match err.kind {
            PageErrorKind::Internal | PageErrorKind::Unavailable => None,
            _ => Some(err.detail.to_string()),
        };
        let mut response = self.page(status, "error/error.html", lang, context! { message, detail }, csp(None, None));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }

    pub fn not_found(&self, lang: &str) -> Response {
        let message = i18n::texts(lang).error_not_found;
        self.page(StatusCode::NOT_FOUND, "error/error.html", lang, context! { message }, csp(None, None))
    }
}

fn html_response(status: StatusCode, html: String, csp_value: &str) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(csp_value) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}
