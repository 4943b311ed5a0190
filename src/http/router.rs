//! The whole route table, and the layers every response goes through.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::client_address;

use super::AppState;
use super::endpoints::{assets, authorize, discovery, health, introspect, par, register, revoke, token, userinfo};
use super::pages::{
    account, account_authorizations, account_home, account_passkeys, consent, developers, franceconnect,
    franceconnect_reconcile, lang_of, login, logout, passkey_login, public, second_factor,
};
use crate::oauth::discovery::paths;

/// Largest request body accepted (forms and tokens are small).
const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let trusted = state.provider.config.trusted_networks();
    let https = state.provider.config.is_https();
    // What browser apps call cross-origin (CORS for registered origins only).
    let cross_origin = Router::new()
        .route(paths::DISCOVERY, get(discovery::get))
        .route(paths::JWKS, get(discovery::jwks))
        .route(paths::TOKEN, post(token::post))
        .route(paths::USERINFO, get(userinfo::handle).post(userinfo::handle))
        .route(paths::REVOKE, post(revoke::post))
        .route(paths::PAR, post(par::post))
        .layer(middleware::from_fn_with_state(state.clone(), super::cors::layer));
    let routes = Router::new()
        .merge(cross_origin)
        .nest(super::admin_api::BASE, super::admin_api::routes())
        .nest(super::console::BASE, super::console::routes())
        .route(paths::AUTHORIZE, get(authorize::handle).post(authorize::handle))
        .route(paths::INTROSPECT, post(introspect::post))
        .route(paths::REGISTER, post(register::create))
        .route("/register/{client_id}", get(register::read).put(register::replace).delete(register::delete))
        .route(paths::END_SESSION, get(logout::handle).post(logout::handle))
        .route("/end_session/confirm", post(logout::confirm))
        .route("/login/{interaction}", get(login::get).post(login::post))
        .route("/consent/{interaction}", get(consent::get).post(consent::post))
        .route("/signup", get(account::signup_get).post(account::signup_post))
        .route("/verify-email", get(account::verify_email))
        .route("/login/second-factor", get(second_factor::get).post(second_factor::post))
        .route("/login/second-factor/passkey/options", post(second_factor::passkey_options))
        .route("/login/second-factor/passkey", post(second_factor::passkey))
        .route("/login/{interaction}/passkey/options", post(passkey_login::options))
        .route("/login/{interaction}/passkey", post(passkey_login::login))
        .route("/account/passkey/options", post(passkey_login::account_options))
        .route("/account/passkey/login", post(passkey_login::account_login))
        .route("/account/passkeys/options", post(account_passkeys::options))
        .route("/account/passkeys", post(account_passkeys::add))
        .route("/account/passkeys/rename", post(account_passkeys::rename))
        .route("/account/passkeys/remove", post(account_passkeys::remove))
        .route("/account", get(account_home::get))
        .route("/account/login", post(account_home::login))
        .route("/account/verification", post(account_home::resend_verification))
        .route("/account/password", post(account_home::change_password))
        .route("/account/sign-out-everywhere", post(account_home::sign_out_everywhere))
        .route("/account/signed-out", get(account_home::signed_out))
        .route("/account/sessions/end", post(account_home::end_session))
        .route("/account/export", get(account_home::export))
        .route("/account/authorizations", get(account_authorizations::get))
        .route("/account/authorizations/withdraw", post(account_authorizations::withdraw))
        .route("/account/receipts", get(account_authorizations::receipts))
        .route("/account/delete", post(account_home::delete))
        .route("/account/profile", post(account_home::update_profile))
        .route("/account/email", post(account_home::change_email))
        .route("/account/totp", post(account_home::totp_start))
        .route("/account/franceconnect/unlink", post(account_home::unlink_franceconnect))
        .route("/account/totp/confirm", post(account_home::totp_confirm))
        .route("/account/totp/disable", post(account_home::totp_disable))
        .route("/franceconnect/login", post(franceconnect::start))
        .route("/franceconnect/callback", get(franceconnect::callback))
        .route("/franceconnect/separate", post(franceconnect_reconcile::separate))
        .route("/franceconnect/logged-out", get(franceconnect::logged_out))
        .route("/accessibilite", get(public::accessibility))
        .route("/mentions-legales", get(public::legal))
        .route("/confidentialite", get(public::privacy))
        .route("/developers", get(developers::get))
        .route("/password/forgot", get(account::forgot_get).post(account::forgot_post))
        .route("/password/reset", get(account::reset_get).post(account::reset_post))
        .route("/static/glc.css", get(assets::stylesheet))
        .route("/static/dsfr/connect.css", get(assets::franceconnect_stylesheet))
        .route("/static/dsfr/franceconnect.svg", get(assets::franceconnect_logo))
        .route("/static/passkeys.js", get(assets::passkey_script))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(not_found)
        .with_state(state.clone());
    let request_timeout = Duration::from_secs(state.provider.config.request_timeout_seconds);
    routes
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // A body trickled in, or a handler stuck on a dependency, ends with a 408, not a held
        // connection.
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(state, around_every_request))
        .layer(TraceLayer::new_for_http().make_span_with(move |request: &Request| {
            if !tracing::enabled!(tracing::Level::INFO) {
                return tracing::Span::none();
            }
            let client = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| client_address::resolve(peer.ip(), request.headers(), &trusted, https).ip);
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
            // The path only: queries carry state, hints and codes that do not belong in logs.
            tracing::info_span!(
                "request",
                method = %request.method(),
                path = %request.uri().path(),
                client_ip = client.map(|ip| ip.to_string()).unwrap_or_default(),
                request_id = %request_id,
            )
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(RequestIds::new()))
}

/// Request ids (`X-Request-Id`, when the load balancer sent none): UUIDs (version 8) made of a
/// random half drawn at start and a counter, unique across instances and restarts without a
/// random draw per request.
#[derive(Clone)]
struct RequestIds {
    instance: u64,
    next: Arc<AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        Self { instance: rand::random(), next: Arc::new(AtomicU64::new(1)) }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.instance.to_be_bytes());
        bytes[8..].copy_from_slice(&n.to_be_bytes());
        let id = uuid::Builder::from_custom_bytes(bytes).into_uuid();
        HeaderValue::from_str(&id.hyphenated().to_string()).ok().map(RequestId::new)
    }
}

/// Around every request, in one layer (each `from_fn` layer clones and boxes the whole stack
/// beneath it at every request): the client's address for the audit journal (the `origin` of
/// what the request journals: a consent, a factor change…), the security headers, and the
/// request's count and latency by route. Outside the panic catcher, so that a 500 from a panic
/// is counted and carries the headers too.
async fn around_every_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let origin = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| state.client_ip(*peer, request.headers()).to_string());
    let started = Instant::now();
    let mut response = match origin {
        Some(origin) => crate::audit::REQUEST_ORIGIN.scope(origin, next.run(request)).await,
        None => next.run(request).await,
    };
    add_security_headers(response.headers_mut(), state.provider.config.is_https());
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    crate::telemetry::http_request(route, method.as_str(), response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// The headers every response carries unless its handler set its own (a page's CSP names
/// what it loads). HSTS (RFC 6797: two years, subdomains included) only on an https issuer,
/// never on a local http run, where it would pin `localhost` to https in the developer's browser.
fn add_security_headers(headers: &mut HeaderMap, https: bool) {
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
    ];
    for (name, value) in defaults {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if https {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
}

async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    state.views.not_found(lang_of(request.headers()))
}
