//! Micro-benchmarks of the hot paths (criterion): what a token request, a login's last step
//! and every signed-in page spend outside the network and the password hash. A provider on the
//! embedded default (SQLite in a temporary directory, the in-process store, fresh keys).
//!
//!   cargo bench --bench hot_paths

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use criterion::{Criterion, criterion_group, criterion_main};
use glc::clock::SystemClock;
use glc::config::Config;
use glc::oauth::access_token::{self, NewAccessToken};
use glc::oauth::client::{self, ClientSpec, GrantType};
use glc::oauth::id_token::{self, IdTokenFacts};
use glc::oauth::params::Params;
use glc::oauth::scope::Scopes;
use sha2::{Digest, Sha256};

fn hot_paths(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: format!("sqlite:{}", dir.path().join("glc.db").display()),
        keys_dir: dir.path().join("keys"),
        ..Config::default()
    };
    let provider = rt.block_on(glc::app::build_provider(config, Arc::new(SystemClock))).unwrap();
    let scopes = Scopes::parse("openid profile email").unwrap();
    let spec = ClientSpec {
        name: "Bench".into(),
        redirect_uris: vec!["https://bench.example/cb".into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::ClientCredentials],
        scopes: Some(scopes.clone()),
        ..ClientSpec::default()
    };
    let registered = rt.block_on(client::register(&provider.db, spec, provider.now())).unwrap();
    let (client, secret) = (registered.client, registered.client_secret.unwrap());
    let new = glc::identity::user::NewUser {
        email: "bench@lyon.fr".into(),
        password: Some("un mot de passe de banc d'essai".into()),
        given_name: None,
        family_name: None,
    };
    let user =
        rt.block_on(glc::identity::user::create(&provider.db, &provider.passwords, new, provider.now())).unwrap().id;

    c.bench_function("access_token_es256", |b| {
        b.iter(|| {
            access_token::issue(
                &provider,
                NewAccessToken {
                    client_id: &client.client_id,
                    sub: "sub",
                    audience: vec![provider.issuer().to_owned()],
                    scope: &scopes,
                    grant_id: None,
                    auth_time: None,
                    acr: None,
                    jkt: None,
                },
            )
            .unwrap()
        })
    });
    let amr = vec!["pwd".to_owned()];
    c.bench_function("id_token_rs256", |b| {
        b.iter(|| {
            let facts = IdTokenFacts {
                sub: "sub",
                nonce: Some("n"),
                auth_time: provider.now(),
                acr: "glc:basic",
                amr: &amr,
                sid: "sid",
                access_token: None,
                extra: Default::default(),
            };
            id_token::issue(&provider, &client, facts).unwrap()
        })
    });
    let basic = format!("Basic {}", STANDARD.encode(format!("{}:{secret}", client.client_id)));
    let params = Params::from_pairs([("grant_type", "client_credentials")]);
    c.bench_function("client_secret_basic", |b| {
        b.iter(|| rt.block_on(glc::oauth::client_auth::authenticate(&provider, Some(&basic), &params)).unwrap())
    });
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    c.bench_function("pkce_s256", |b| b.iter(|| glc::oauth::pkce::verify(Some(&challenge), Some(verifier)).unwrap()));
    c.bench_function("consent_lookup", |b| {
        b.iter(|| rt.block_on(glc::consent::granted(&provider.db, &user, &client.client_id, provider.now())).unwrap())
    });
    let lifetimes = &provider.config.lifetimes;
    let (cookie, _) = rt
        .block_on(glc::identity::session::start(
            &provider.ephemeral,
            &user,
            "glc:basic",
            &["pwd"],
            None,
            provider.now(),
            lifetimes,
        ))
        .unwrap();
    c.bench_function("session_lookup", |b| {
        b.iter(|| {
            rt.block_on(glc::identity::session::resume(&provider.ephemeral, &cookie, provider.now(), lifetimes))
                .unwrap()
                .unwrap()
        })
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
