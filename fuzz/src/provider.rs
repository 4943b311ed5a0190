//! A whole provider for `http_request`: embedded store in a throwaway directory, open
//! registration, and what a fuzzed request can name to get past the first checks — a
//! confidential web client, a native public client, an administration script holding every
//! admin scope (with a live access token) and a resident with a live session.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use base64::Engine;
use glc::config::{AuditConfig, Config, MailConfig};
use glc::identity::user::{self, NewUser};
use glc::oauth::client::{self, AuthMethod, ClientSpec, GrantType};
use glc::oauth::scope::Scopes;
use tower::ServiceExt;

/// The redirect URI of the web client, for seeds.
pub const WEB_REDIRECT_URI: &str = "https://app.example/callback";

pub struct Harness {
    pub runtime: tokio::runtime::Runtime,
    pub router: Router,
    /// `@NAME@` in an input is replaced by the value: `@SECRET@`, `@BASIC@`, `@ADMIN@`,
    /// `@SESSION@`.
    pub substitutions: Vec<(&'static str, String)>,
    _dir: tempfile::TempDir,
}

pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(build)
}

fn build() -> Harness {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let config = Config {
        issuer: "http://127.0.0.1:9".to_owned(),
        database_url: format!("sqlite:{}", dir.path().join("glc.db").display()),
        keys_dir: dir.path().join("keys"),
        mail: MailConfig { outbox_dir: dir.path().join("outbox"), ..MailConfig::default() },
        audit: AuditConfig { checkpoint_dir: dir.path().join("checkpoints"), ..AuditConfig::default() },
        open_registration: true,
        password_hash_concurrency: 1,
        ..Config::default()
    };
    let (router, substitutions) = runtime.block_on(async {
        let provider = glc::app::build_provider(config, Arc::new(glc::clock::SystemClock)).await.expect("a provider");
        let now = provider.now();
        let register = |spec: ClientSpec| {
            let db = provider.db.clone();
            async move { client::register(&db, spec, now).await.expect("a client") }
        };
        let web = register(ClientSpec {
            client_id: Some("fuzz-web".into()),
            name: "Portail".into(),
            redirect_uris: vec![WEB_REDIRECT_URI.into()],
            post_logout_redirect_uris: vec!["https://app.example/bye".into()],
            ..ClientSpec::default()
        })
        .await;
        register(ClientSpec {
            client_id: Some("fuzz-native".into()),
            name: "Appli".into(),
            auth_method: AuthMethod::None,
            redirect_uris: vec!["http://127.0.0.1/native".into()],
            ..ClientSpec::default()
        })
        .await;
        let admin = register(ClientSpec {
            client_id: Some("fuzz-admin".into()),
            name: "Script".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: Some(Scopes::parse(&glc::admin::roles::ADMIN_SCOPES.join(" ")).expect("scopes")),
            ..ClientSpec::default()
        })
        .await;
        let resident = NewUser {
            email: "camille@lyon.example".into(),
            password: Some("un mot de passe assez long".into()),
            given_name: Some("Camille".into()),
            family_name: Some("Martin".into()),
        };
        let resident = user::create(&provider.db, &provider.passwords, resident, now).await.expect("a resident");
        let (session, _) = glc::identity::session::start(
            &provider.ephemeral,
            &resident.id,
            "eidas1",
            &["pwd"],
            None,
            now,
            &provider.config.lifetimes,
        )
        .await
        .expect("a session");
        let state = glc::http::state::AppState::new(provider).expect("templates");
        let router = glc::http::router::router(state);

        let web_secret = web.client_secret.expect("a secret");
        let basic = |id: &str, secret: &str| base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let admin_basic = basic("fuzz-admin", &admin.client_secret.expect("a secret"));
        let mut token_request = Request::post("/token")
            .header("authorization", format!("Basic {admin_basic}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("grant_type=client_credentials"))
            .expect("a request");
        // What the server puts on every connection's requests: handlers read the peer's address.
        token_request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let answer = router.clone().oneshot(token_request).await.expect("an answer");
        let body = axum::body::to_bytes(answer.into_body(), 1 << 20).await.expect("a body");
        let token: serde_json::Value = serde_json::from_slice(&body).expect("a token response");
        let admin_token = token["access_token"].as_str().expect("an admin token").to_owned();
        let substitutions = vec![
            ("@BASIC@", basic("fuzz-web", &web_secret)),
            ("@SECRET@", web_secret),
            ("@ADMIN@", admin_token),
            ("@SESSION@", session),
        ];
        (router, substitutions)
    });
    Harness { runtime, router, substitutions, _dir: dir }
}
