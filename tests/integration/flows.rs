//! Protocol behaviours beyond the conformance modules: code and refresh replay, PKCE, client
//! credentials, audiences, revocation, introspection, SSO, pairwise subjects, consent.

use openidconnect::core::CoreJwsSigningAlgorithm;
use serde_json::Value;

use crate::rp;
use crate::support::{Browser, Landing, PASSWORD, TestServer, jwt_claims, jwt_header};
use glc::oauth::client::{AuthMethod, ClientSpec, SubjectType};
use glc::signing::SigningAlg;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[tokio::test]
async fn a_resource_server_validates_access_tokens_with_the_jwks_alone() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[]).await;
    let at = str_of(&tokens, "access_token");
    let jwks: Value = reqwest::get(server.url("/jwks")).await.unwrap().json().await.unwrap();
    let kid = jwt_header(at)["kid"].as_str().unwrap().to_owned();
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    let jwk = josekit::jwk::Jwk::from_map(jwk.as_object().unwrap().clone()).unwrap();
    let verifier = josekit::jws::ES256.verifier_from_jwk(&jwk).unwrap();
    let (payload, header) = josekit::jwt::decode_with_verifier(at, &verifier).unwrap();
    assert_eq!(header.token_type(), Some("at+jwt"));
    assert_eq!(payload.issuer(), Some(server.base.as_str()));
    assert_eq!(payload.audience(), Some(vec![server.base.as_str()]));
    for claim in ["exp", "iat", "jti", "client_id", "scope", "sub"] {
        assert!(payload.claim(claim).is_some(), "{claim}");
    }
}

#[tokio::test]
async fn authorization_codes_expire() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let callback = server.authorize(&Browser::new(&server), &client, &[]).await;
    server.clock.advance(61);
    let (status, body) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"));
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let other = server.web_client().await;
    let callback = server.authorize(&Browser::new(&server), &client, &[]).await;
    let (status, body) = server.redeem(&other, &callback["code"], &[]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"));

    let callback = server.authorize(&Browser::new(&server), &client, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", callback["code"].as_str()),
        ("redirect_uri", "http://127.0.0.1:1/other"),
    ];
    let (status, body) = server.post_as("/token", &client, &form).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"));
}

#[tokio::test]
async fn refresh_token_reuse_revokes_the_whole_grant() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid offline_access")]).await;
    let rt1 = str_of(&tokens, "refresh_token").to_owned();
    let refresh = |rt: String| {
        let server = &server;
        let client = &client;
        async move { server.post_as("/token", client, &[("grant_type", "refresh_token"), ("refresh_token", &rt)]).await }
    };
    let (status, second) = refresh(rt1.clone()).await;
    assert_eq!(status, 200);
    let rt2 = str_of(&second, "refresh_token").to_owned();
    assert_eq!(server.userinfo(str_of(&second, "access_token")).await.0, 200);

    // The rotated token comes back: someone holds a copy. Everything of the grant dies.
    let (status, body) = refresh(rt1).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"));
    let (status, body) = refresh(rt2).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"), "the newest token is revoked too");
    assert_eq!(server.userinfo(str_of(&second, "access_token")).await.0, 401);
}

#[tokio::test]
async fn refresh_rotation_and_its_grace_window_are_per_client() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let refresh = |client: crate::support::TestClient, rt: String| {
        let server = &server;
        async move { server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", &rt)]).await }
    };
    // A grace window: a retry with the just-rotated token within it still works.
    let lenient = server.register(ClientSpec { refresh_grace_seconds: 10, ..TestServer::web_spec("Mobile") }).await;
    let tokens = server.tokens(&Browser::new(&server), &lenient, &[("scope", "openid offline_access")]).await;
    let rt1 = str_of(&tokens, "refresh_token").to_owned();
    assert_eq!(refresh(lenient.clone(), rt1.clone()).await.0, 200);
    server.clock.advance(5);
    assert_eq!(refresh(lenient.clone(), rt1.clone()).await.0, 200, "within the grace window");
    server.clock.advance(6);
    assert_eq!(refresh(lenient.clone(), rt1).await.0, 400, "after it: reuse, the grant is revoked");

    // No rotation: the same refresh token serves again and again.
    let fixed = server.register(ClientSpec { rotate_refresh_tokens: false, ..TestServer::web_spec("Kiosque") }).await;
    let tokens = server.tokens(&Browser::new(&server), &fixed, &[("scope", "openid offline_access")]).await;
    let rt = str_of(&tokens, "refresh_token").to_owned();
    for _ in 0..2 {
        let (status, body) = refresh(fixed.clone(), rt.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none(), "the client keeps its token");
    }
}

#[tokio::test]
async fn refresh_cannot_widen_the_scope() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid offline_access")]).await;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", str_of(&tokens, "refresh_token")),
        ("scope", "openid email"),
    ];
    let (status, body) = server.post_as("/token", &client, &form).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_scope"));
}

#[tokio::test]
async fn pkce_is_required_of_public_clients_and_plain_or_downgrade_is_refused() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let public = server.public_client().await;
    let browser = Browser::new(&server);

    let callback = browser.open(&server.authorize_url(&public, &[])).await.callback();
    assert_eq!(callback["error"], "invalid_request", "no code_challenge for a public client");
    let callback = browser
        .open(&server.authorize_url(&public, &[("code_challenge", CHALLENGE), ("code_challenge_method", "plain")]))
        .await
        .callback();
    assert_eq!(callback["error"], "invalid_request", "plain refused");
    let callback = browser.open(&server.authorize_url(&public, &[("code_challenge", CHALLENGE)])).await.callback();
    assert_eq!(callback["error"], "invalid_request", "a missing method means plain");

    // The public client's whole flow with S256 and no secret.
    let pkce = [("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];
    let callback = server.authorize(&browser, &public, &pkce).await;
    let (status, body) = server
        .redeem(&public, &callback["code"], &[("code_verifier", "wrong-verifier-wrong-verifier-wrong-verifier")])
        .await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"));
    let callback = server.authorize(&browser, &public, &pkce).await;
    let (status, body) = server.redeem(&public, &callback["code"], &[]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"), "verifier missing");
    let callback = server.authorize(&browser, &public, &pkce).await;
    let (status, body) = server.redeem(&public, &callback["code"], &[("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");

    // Downgrade (RFC 9700 §4.8.2): a verifier for a code issued without a challenge.
    let confidential = server.web_client().await;
    let callback = server.authorize(&browser, &confidential, &[]).await;
    let (status, body) = server.redeem(&confidential, &callback["code"], &[("code_verifier", VERIFIER)]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"));

    // A confidential client registered with require_pkce.
    let strict = server.register(ClientSpec { require_pkce: true, ..TestServer::web_spec("Strict") }).await;
    let callback = browser.open(&server.authorize_url(&strict, &[])).await.callback();
    assert_eq!(callback["error"], "invalid_request");
}

#[tokio::test]
async fn client_credentials_tokens_are_for_the_client_and_its_registered_apis() {
    let server = TestServer::start().await;
    let gru = server
        .service_client("gru:read gru:write", &["https://api.grandlyon.example/gru", "https://api.lyon.example"])
        .await;
    let (status, body) =
        server.post_as("/token", &gru, &[("grant_type", "client_credentials"), ("scope", "gru:read")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    assert_eq!(body["token_type"], "Bearer");
    let at = jwt_claims(str_of(&body, "access_token"));
    assert_eq!(at["sub"], gru.id.as_str());
    assert_eq!(at["client_id"], gru.id.as_str());
    assert_eq!(at["aud"], "https://api.grandlyon.example/gru", "the first registered resource by default");
    assert_eq!(at["scope"], "gru:read");
    let header = jwt_header(str_of(&body, "access_token"));
    assert_eq!((header["typ"].as_str(), header["alg"].as_str()), (Some("at+jwt"), Some("ES256")));

    let (_, body) = server
        .post_as("/token", &gru, &[("grant_type", "client_credentials"), ("resource", "https://api.lyon.example")])
        .await;
    assert_eq!(jwt_claims(str_of(&body, "access_token"))["aud"], "https://api.lyon.example");

    let (status, body) =
        server.post_as("/token", &gru, &[("grant_type", "client_credentials"), ("scope", "openid")]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_scope"));
    let (status, body) = server
        .post_as("/token", &gru, &[("grant_type", "client_credentials"), ("resource", "https://api.bron.example")])
        .await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_target"));
    let (status, body) = server.post_as("/token", &gru, &[("grant_type", "authorization_code"), ("code", "x")]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "unauthorized_client"));
    let web = server.web_client().await;
    let (status, body) = server.post_as("/token", &web, &[("grant_type", "client_credentials")]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "unauthorized_client"));
    let (status, body) = server.post_as("/token", &gru, &[("grant_type", "password")]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "unsupported_grant_type"));
}

#[tokio::test]
async fn a_token_for_one_communes_api_is_not_accepted_elsewhere() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server
        .register(ClientSpec { resources: vec!["https://api.bron.example".into()], ..TestServer::web_spec("Bron") })
        .await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("resource", "https://api.bron.example")]).await;
    let at = str_of(&tokens, "access_token");
    assert_eq!(jwt_claims(at)["aud"], "https://api.bron.example");
    assert_eq!(server.userinfo(at).await.0, 401, "not a userinfo token");

    // A resource server (a client whose id is the audience) can introspect it; others learn nothing.
    let bron_api = server.service_client("x", &[]).await;
    let (_, answer) = server.post_as("/introspect", &bron_api, &[("token", at)]).await;
    assert_eq!(answer["active"], false, "another client is not the audience");
    let (_, answer) = server.post_as("/introspect", &client, &[("token", at)]).await;
    assert_eq!(answer["active"], true);

    let callback = Browser::new(&server)
        .open(&server.authorize_url(&client, &[("resource", "https://api.lyon.example")]))
        .await
        .callback();
    assert_eq!(callback["error"], "invalid_target");
}

#[tokio::test]
async fn introspection_tells_only_the_tokens_client() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid offline_access")]).await;
    let (status, answer) = server.post_as("/introspect", &client, &[("token", str_of(&tokens, "access_token"))]).await;
    assert_eq!(status, 200);
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], client.id.as_str());
    assert_eq!(answer["scope"], "offline_access openid");
    assert_eq!(answer["sub"], jwt_claims(str_of(&tokens, "id_token"))["sub"]);
    let (_, answer) = server.post_as("/introspect", &client, &[("token", str_of(&tokens, "refresh_token"))]).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["token_type"], "refresh_token");

    let stranger = server.web_client().await;
    for token in [str_of(&tokens, "access_token"), str_of(&tokens, "refresh_token")] {
        let (_, answer) = server.post_as("/introspect", &stranger, &[("token", token)]).await;
        assert_eq!(answer, serde_json::json!({"active": false}));
    }
    let (_, answer) = server.post_as("/introspect", &client, &[("token", "garbage")]).await;
    assert_eq!(answer, serde_json::json!({"active": false}));
    let wrong = crate::support::TestClient { secret: Some("wrong".into()), ..client.clone() };
    let (status, answer) = server.post_as("/introspect", &wrong, &[("token", "garbage")]).await;
    assert_eq!((status.as_u16(), str_of(&answer, "error")), (401, "invalid_client"));
}

#[tokio::test]
async fn revocation_ends_access_and_refresh_tokens() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let tokens = server.tokens(&browser, &client, &[("scope", "openid offline_access")]).await;
    let at = str_of(&tokens, "access_token");

    let stranger = server.web_client().await;
    let (status, body) = server.post_as("/revoke", &stranger, &[("token", at)]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_request"), "not the stranger's token");
    assert_eq!(server.userinfo(at).await.0, 200);

    let (status, _) = server.post_as("/revoke", &client, &[("token", at), ("token_type_hint", "access_token")]).await;
    assert_eq!(status, 200);
    let (status, challenge) = server.userinfo(at).await;
    assert_eq!(status, 401, "{challenge}");
    let (_, answer) = server.post_as("/introspect", &client, &[("token", at)]).await;
    assert_eq!(answer["active"], false);

    let rt = str_of(&tokens, "refresh_token");
    let (status, _) = server.post_as("/revoke", &client, &[("token", rt)]).await;
    assert_eq!(status, 200);
    let (status, body) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "invalid_grant"));

    let (status, _) = server.post_as("/revoke", &client, &[("token", "never-issued")]).await;
    assert_eq!(status, 200, "RFC 7009 §2.2: unknown tokens are not an error");
    let (status, body) = server.post_as("/revoke", &client, &[("token", "x"), ("token_type_hint", "id_token")]).await;
    assert_eq!((status.as_u16(), str_of(&body, "error")), (400, "unsupported_token_type"));
}

#[tokio::test]
async fn one_password_entry_logs_in_to_two_clients() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let portal = server.web_client().await;
    let library = server.web_client().await;
    let browser = Browser::new(&server);
    server.tokens(&browser, &portal, &[]).await;
    let landing = browser.open(&server.authorize_url(&library, &[])).await;
    assert!(!landing.is_login_page(), "no second password entry");
    assert!(landing.is_consent_page(), "but the resident consents for the new service");
    let callback = browser.submit(&landing, &[("decision", "allow")]).await.callback();
    assert_eq!(server.redeem(&library, &callback["code"], &[]).await.0, 200);
    // And silently for a service already consented to.
    let callback = browser.open(&server.authorize_url(&library, &[("prompt", "none")])).await.callback();
    assert!(callback.contains_key("code"), "{callback:?}");
}

#[tokio::test]
async fn two_communes_see_different_subjects_and_one_commune_the_same() {
    let server = TestServer::start().await;
    let user = server.resident("camille@lyon.fr").await;
    let bron = server.commune("Bron").await;
    let dardilly = server.commune("Dardilly").await;
    let spec =
        |name: &str, partner: &str| ClientSpec { partner_id: Some(partner.to_owned()), ..TestServer::web_spec(name) };
    let bron_portal = server.register(spec("Portail Bron", &bron)).await;
    let bron_library = server.register(spec("Médiathèque Bron", &bron)).await;
    let dardilly_portal = server.register(spec("Portail Dardilly", &dardilly)).await;
    let public =
        server.register(ClientSpec { subject_type: SubjectType::Public, ..TestServer::web_spec("Métropole") }).await;
    let browser = Browser::new(&server);
    let mut subs = Vec::new();
    for client in [&bron_portal, &bron_library, &dardilly_portal, &public] {
        let tokens = server.tokens(&browser, client, &[]).await;
        subs.push(jwt_claims(str_of(&tokens, "id_token"))["sub"].as_str().unwrap().to_owned());
    }
    assert_eq!(subs[0], subs[1], "one commune, one sub");
    assert_ne!(subs[0], subs[2], "two communes, two subs");
    assert_ne!(subs[0], user.id);
    assert_eq!(subs[3], user.id, "a public-subject client sees the account id");
}

#[tokio::test]
async fn consent_is_remembered_asked_again_when_scopes_grow_and_can_be_refused() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);

    let callback = browser.open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required");
    let page = browser.open(&server.authorize_url(&client, &[("scope", "openid email")])).await;
    let consent = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    assert!(consent.is_consent_page());
    assert!(consent.html().contains("Adresse électronique"));
    let callback = browser.submit(&consent, &[("decision", "deny")]).await.callback();
    assert_eq!(callback["error"], "access_denied");
    assert_eq!(callback["state"], "st4te");

    let callback =
        browser.open(&server.authorize_url(&client, &[("scope", "openid email"), ("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "consent_required");
    server.authorize(&browser, &client, &[("scope", "openid email")]).await;
    let landing = browser.open(&server.authorize_url(&client, &[("scope", "openid email")])).await;
    assert!(matches!(landing, Landing::Redirect(_)), "remembered");
    let landing = browser.open(&server.authorize_url(&client, &[("scope", "openid email profile")])).await;
    assert!(landing.is_consent_page(), "asked again when the scopes grow");
    let landing =
        browser.open(&server.authorize_url(&client, &[("scope", "openid email"), ("prompt", "consent")])).await;
    assert!(landing.is_consent_page(), "prompt=consent asks again");
}

#[tokio::test]
async fn id_tokens_use_the_algorithm_the_client_registered() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    for (alg, rp_alg) in [
        (SigningAlg::ES256, CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        (SigningAlg::EdDSA, CoreJwsSigningAlgorithm::EdDsa),
    ] {
        let client = server.register(ClientSpec { id_token_alg: alg, ..TestServer::web_spec(alg.as_str()) }).await;
        let login = rp::login(&server, &client, &[rp_alg], &[]).await;
        assert_eq!(login.id_token_alg, alg.as_str());
    }
}

#[tokio::test]
async fn form_post_delivers_the_response_by_post() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let page = browser.open(&server.authorize_url(&client, &[("response_mode", "form_post")])).await;
    let page = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    let landing = browser.submit(&page, &[("decision", "allow")]).await;
    let Landing::FormPost { action, fields } = &landing else { panic!("{landing:?}") };
    assert_eq!(action, &client.redirect_uri);
    assert_eq!(fields["state"], "st4te");
    assert_eq!(fields["iss"], server.base);
    assert_eq!(server.redeem(&client, &fields["code"], &[]).await.0, 200);
    // Errors too go by POST.
    let landing =
        browser.open(&server.authorize_url(&client, &[("response_mode", "form_post"), ("prompt", "bogus")])).await;
    let Landing::FormPost { fields, .. } = &landing else { panic!("{landing:?}") };
    assert_eq!(fields["error"], "invalid_request");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer_and_disabled_accounts_stop() {
    let server = TestServer::start().await;
    let user = server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let page = browser.open(&server.authorize_url(&client, &[])).await;
    let wrong = browser.login(&page, "camille@lyon.fr", "not the password").await;
    let unknown = browser.login(&page, "nobody@lyon.fr", PASSWORD).await;
    let garbage = browser.login(&page, "nul\0byte@lyon.fr", PASSWORD).await;
    assert!(wrong.is_login_page() && unknown.is_login_page() && garbage.is_login_page());
    let message = |l: &Landing| l.html().contains("Adresse électronique ou mot de passe incorrect.");
    assert!(message(&wrong) && message(&unknown) && message(&garbage));

    let tokens = server.tokens(&browser, &client, &[("scope", "openid offline_access")]).await;
    glc::store::users::update_disabled(&server.provider.db, &user.id, true, server.provider.now()).await.unwrap();
    assert_eq!(server.userinfo(str_of(&tokens, "access_token")).await.0, 401);
    let form = [("grant_type", "refresh_token"), ("refresh_token", str_of(&tokens, "refresh_token"))];
    assert_eq!(server.post_as("/token", &client, &form).await.0, 400);
    let fresh = Browser::new(&server);
    let page = fresh.open(&server.authorize_url(&client, &[])).await;
    let refused = fresh.login(&page, "camille@lyon.fr", PASSWORD).await;
    assert!(refused.is_login_page() && message(&refused), "a disabled account cannot log in");
}

#[tokio::test]
async fn sessions_end_after_their_idle_lifetime() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    server.tokens(&browser, &client, &[]).await;
    server.clock.advance(server.provider.config.lifetimes.session_idle + 1);
    let callback = browser.open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required");
}

#[tokio::test]
async fn cookies_are_http_only_same_site_and_bind_the_flow_to_the_browser() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let set_cookies = |r: &reqwest::Response| -> Vec<String> {
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    };
    let response = http.get(server.authorize_url(&client, &[])).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let login_path = response.headers()["location"].to_str().unwrap().to_owned();
    let flow = set_cookies(&response);
    assert!(flow.iter().any(|c| c.starts_with("glc_flow=")), "{flow:?}");
    let html = http.get(server.url(&login_path)).send().await.unwrap().text().await.unwrap();
    let (action, mut form) = crate::support::parse_form(&html);
    form.insert("email".into(), "camille@lyon.fr".into());
    form.insert("password".into(), PASSWORD.into());

    // The same form from another browser (no flow cookie) is refused.
    let stranger = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    assert_eq!(stranger.post(server.url(&action)).form(&form).send().await.unwrap().status(), 400);

    let response = http.post(server.url(&action)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let session = set_cookies(&response);
    assert!(session.iter().any(|c| c.starts_with("glc_session=")), "{session:?}");
    for cookie in flow.iter().chain(session.iter()) {
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
            "{cookie}"
        );
    }
}

#[tokio::test]
async fn public_clients_authenticate_with_their_id_only() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let public = server.public_client().await;
    assert_eq!(public.auth, AuthMethod::None);
    let callback = server
        .authorize(
            &Browser::new(&server),
            &public,
            &[("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("scope", "openid offline_access")],
        )
        .await;
    let (status, body) = server.redeem(&public, &callback["code"], &[("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
    // A secret presented by a public client is a different method: refused.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", str_of(&body, "refresh_token")),
        ("client_id", public.id.as_str()),
        ("client_secret", "anything"),
    ];
    let response = reqwest::Client::new().post(server.url("/token")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("www-authenticate").is_some());
}

#[tokio::test]
async fn native_apps_redirect_to_a_loopback_ip_on_any_port() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let app = server
        .register(ClientSpec {
            auth_method: AuthMethod::None,
            redirect_uris: vec!["http://127.0.0.1/callback".into(), "fr.grandlyon.app:/oauth".into()],
            ..TestServer::web_spec("Appli GrandLyon")
        })
        .await;
    let pkce = [("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];
    let browser = Browser::new(&server);
    // The port the app's loopback listener got from the system (RFC 8252 §7.3).
    let at_port = crate::support::TestClient { redirect_uri: "http://127.0.0.1:43123/callback".into(), ..app.clone() };
    let callback = server.authorize(&browser, &at_port, &pkce).await;
    let (status, body) = server.redeem(&at_port, &callback["code"], &[("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
    // A private-use scheme (RFC 8252 §7.1).
    let scheme = crate::support::TestClient { redirect_uri: "fr.grandlyon.app:/oauth".into(), ..app.clone() };
    let landing = browser.open(&server.authorize_url(&scheme, &pkce)).await;
    let Landing::Redirect(url) = &landing else { panic!("{landing:?}") };
    assert!(url.as_str().starts_with("fr.grandlyon.app:/oauth?code="));
    // Nothing else is loosened: another path, or a host name, is unregistered.
    for bad in ["http://127.0.0.1:43123/other", "http://localhost:43123/callback"] {
        let other = crate::support::TestClient { redirect_uri: bad.into(), ..app.clone() };
        assert_eq!(browser.open(&server.authorize_url(&other, &pkce)).await.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn single_page_apps_get_cors_for_their_registered_origin_only() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    // A single-page app: a public client whose redirect URI's origin is its page's.
    server
        .register(ClientSpec {
            auth_method: AuthMethod::None,
            redirect_uris: vec!["https://demarches.bron.example/callback".into()],
            ..TestServer::web_spec("Démarches Bron")
        })
        .await;
    let http = reqwest::Client::new();
    let allowed = "https://demarches.bron.example";
    for path in ["/.well-known/openid-configuration", "/jwks", "/token", "/userinfo", "/revoke", "/par"] {
        let preflight = http
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("origin", allowed)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), 204, "{path}");
        assert_eq!(preflight.headers()["access-control-allow-origin"], allowed);
        assert!(preflight.headers().get("access-control-allow-credentials").is_none());
        let denied = http
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert!(denied.headers().get("access-control-allow-origin").is_none(), "{path}");
    }
    let jwks = http.get(server.url("/jwks")).header("origin", allowed).send().await.unwrap();
    assert_eq!(jwks.headers()["access-control-allow-origin"], allowed);
    let other = http.get(server.url("/jwks")).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(other.status(), 200, "same-origin semantics are unchanged");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
