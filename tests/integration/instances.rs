//! Several instances behind one issuer behave as one provider.

use crate::support::{Browser, Landing, PASSWORD, TestServer, jwt_header};
use glc::signing::{KeySet, SigningAlg};

#[tokio::test]
async fn a_login_started_on_one_instance_finishes_on_another_and_its_code_is_redeemed_at_a_third() {
    let a = TestServer::start().await;
    let b = a.another_instance().await;
    let c = a.another_instance().await;
    a.resident("camille@lyon.fr").await;
    let client = a.web_client().await;
    let on_a = Browser::new(&a);
    let on_b = on_a.via(&b);

    let page = on_a.open(&a.authorize_url(&client, &[("scope", "openid email offline_access")])).await;
    assert!(page.is_login_page());
    let consent = on_b.login(&page, "camille@lyon.fr", PASSWORD).await;
    assert!(consent.is_consent_page(), "the login posted to B found the interaction started on A");
    let callback = on_a.submit(&consent, &[("decision", "allow")]).await.callback();
    assert_eq!(callback["iss"], a.issuer(), "one issuer whatever the instance");

    let (status, tokens) = c.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
    // A replay at another instance is still a replay.
    assert_eq!(b.redeem(&client, &callback["code"], &[]).await.0, 400);
    assert_eq!(
        a.userinfo(tokens["access_token"].as_str().unwrap()).await.0,
        401,
        "the replay revoked the grant everywhere"
    );

    // SSO holds across instances: the session created through B answers prompt=none on C.
    let landing = on_a.via(&c).open(&c.authorize_url(&client, &[("prompt", "none"), ("scope", "openid email")])).await;
    assert!(landing.callback().contains_key("code"), "{landing:?}");
}

#[tokio::test]
async fn a_token_revoked_on_one_instance_is_refused_by_all() {
    let a = TestServer::start().await;
    let b = a.another_instance().await;
    a.resident("camille@lyon.fr").await;
    let client = a.web_client().await;
    let tokens = a.tokens(&Browser::new(&a), &client, &[("scope", "openid offline_access")]).await;
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(b.userinfo(at).await.0, 200);
    assert_eq!(a.post_as("/revoke", &client, &[("token", at)]).await.0, 200);
    assert_eq!(b.userinfo(at).await.0, 401);
    let (_, answer) = b.post_as("/introspect", &client, &[("token", at)]).await;
    assert_eq!(answer["active"], false);

    let rt = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(b.post_as("/revoke", &client, &[("token", rt)]).await.0, 200);
    let (status, body) = a.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn a_signing_key_rotated_on_one_instance_is_published_and_used_by_all() {
    let a = TestServer::start_with(|c| c.keys_reload_seconds = 1).await;
    let b = a.another_instance().await;
    a.resident("camille@lyon.fr").await;
    let client = a.web_client().await;
    let before = a.tokens(&Browser::new(&a), &client, &[]).await;
    let old_kid = jwt_header(before["access_token"].as_str().unwrap())["kid"].as_str().unwrap().to_owned();

    // What `glc keys rotate --alg ES256` does, on the shared keys directory: published now,
    // signing in 100 s.
    let now = a.provider.now();
    let added = KeySet::rotate(
        &a.provider.config.keys_dir,
        &[glc::signing::KeyAlg::Signing(SigningAlg::ES256)],
        now,
        now + 100,
    )
    .unwrap();
    let new_kid = added[0].kid.clone();
    for instance in [&a, &b] {
        let mut published = false;
        for _ in 0..50 {
            let jwks = reqwest::get(instance.url("/jwks")).await.unwrap().text().await.unwrap();
            if jwks.contains(&new_kid) {
                assert!(jwks.contains(&old_kid), "the old key stays published");
                published = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(published, "{} never published the new key", instance.base);
    }
    let meanwhile = b.tokens(&Browser::new(&b), &client, &[]).await;
    assert_eq!(
        jwt_header(meanwhile["access_token"].as_str().unwrap())["kid"],
        old_kid.as_str(),
        "not signing before its time"
    );

    // Its time comes: every instance switches without any change on disk.
    a.clock.advance(101);
    for instance in [&a, &b] {
        let mut switched = false;
        for _ in 0..50 {
            let tokens = instance.tokens(&Browser::new(instance), &client, &[]).await;
            if jwt_header(tokens["access_token"].as_str().unwrap())["kid"] == new_kid.as_str() {
                switched = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(switched, "{} never signed with the new key", instance.base);
    }
    // A token signed before the rotation still validates, on either instance.
    assert_eq!(b.userinfo(meanwhile["access_token"].as_str().unwrap()).await.0, 200);
}

#[tokio::test]
async fn when_one_instance_dies_mid_flow_the_flow_continues_on_another() {
    let a = TestServer::start().await;
    let b = a.another_instance().await;
    a.resident("camille@lyon.fr").await;
    let client = a.web_client().await;
    let on_a = Browser::new(&a);
    let page = on_a.open(&a.authorize_url(&client, &[])).await;
    let login_path = match &page {
        Landing::Page { url, .. } => url::Url::parse(url).unwrap().path().to_owned(),
        other => panic!("{other:?}"),
    };
    let issuer = a.issuer().to_owned();
    drop(a); // the instance that served the start of the flow is gone
    let on_b = on_a.via(&b);
    let page = on_b.open(&b.url(&login_path)).await;
    assert!(page.is_login_page(), "the interaction survived its instance");
    let consent = on_b.login(&page, "camille@lyon.fr", PASSWORD).await;
    let callback = on_b.submit(&consent, &[("decision", "allow")]).await.callback();
    assert_eq!(callback["iss"], issuer);
    assert_eq!(b.redeem(&client, &callback["code"], &[]).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_on_empty_storage_do_not_race() {
    use crate::support::{PgSchema, env_backend};
    let dir = tempfile::tempdir().unwrap();
    let (_schema, database_url) = match env_backend("GLC_DATABASE_URL") {
        Some(url) if url.starts_with("postgres") => {
            let (schema, url) = PgSchema::create(&url).await;
            (Some(schema), url)
        }
        _ => (None, format!("sqlite:{}", dir.path().join("glc.db").display())),
    };
    let config = glc::config::Config {
        issuer: "http://127.0.0.1:9".into(),
        database_url,
        keys_dir: dir.path().join("keys"),
        redis_url: env_backend("GLC_REDIS_URL"),
        ..glc::config::Config::default()
    };
    let clock: glc::clock::SharedClock = std::sync::Arc::new(glc::clock::SystemClock);
    // Both migrate the empty database and generate keys into the empty directory at once.
    let (a, b) = tokio::join!(
        tokio::spawn(glc::app::build_provider(config.clone(), clock.clone())),
        tokio::spawn(glc::app::build_provider(config.clone(), clock.clone()))
    );
    let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
    assert_eq!(a.db.pending_migrations().await.unwrap(), 0);
    assert_eq!(a.keys().jwks_json(), b.keys().jwks_json(), "one key set, not two");
    assert_eq!(KeySet::list(&config.keys_dir).unwrap().len(), 5, "one key per algorithm");
}
