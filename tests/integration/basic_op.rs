//! The OpenID Foundation's Basic OP plan (`oidcc-basic-certification-test-plan`), one test per
//! module, named after it (`../shared/docs/conformance.md`). Where the suite takes a screenshot,
//! the test asserts what the screenshot would show.

use openidconnect::core::CoreJwsSigningAlgorithm;
use serde_json::json;

use crate::rp;
use crate::support::{Browser, PASSWORD, TestServer, jwt_claims, jwt_header, plan_params};
use glc::identity::user::{self, Profile};
use glc::oauth::client::{AuthMethod, ClientSpec};

const RS256: &[CoreJwsSigningAlgorithm] = &[CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256];

/// A resident with every standard attribute filled in.
async fn full_resident(server: &TestServer) -> String {
    let u = server.resident("camille@lyon.fr").await;
    let profile = Profile {
        given_name: Some("Camille".into()),
        family_name: Some("Martin".into()),
        preferred_username: Some("camille".into()),
        birthdate: Some("1990-04-01".into()),
        gender: Some("female".into()),
        locale: Some("fr-FR".into()),
        phone_number: Some("+33 4 72 00 00 00".into()),
        address: Some(
            json!({"street_address": "20 rue du Lac", "locality": "Lyon", "postal_code": "69003", "country": "FR"}),
        ),
    };
    assert!(user::update_profile(&server.provider.db, &u.id, profile, server.provider.now()).await.unwrap());
    u.id
}

#[tokio::test]
pub async fn oidcc_server() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let login = rp::login(&server, &client, RS256, &["email"]).await;
    assert_eq!(login.userinfo.subject().as_str(), login.sub);
    assert_eq!(login.userinfo.email().unwrap().as_str(), "camille@lyon.fr");
    assert!(login.auth_time.is_some());
    assert_eq!(jwt_header(&login.access_token)["typ"], "at+jwt");
}

#[tokio::test]
pub async fn oidcc_response_type_missing() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let landing = Browser::new(&server).open(&server.authorize_url(&client, &[("response_type", "")])).await;
    let callback = landing.callback();
    assert_eq!(callback["error"], "invalid_request");
    assert_eq!(callback["state"], "st4te");
    assert_eq!(callback["iss"], server.base);
    assert!(!callback.contains_key("code"));
}

#[tokio::test]
pub async fn oidcc_idtoken_signature() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    // The client registered no algorithm: RS256, verified by the RP against our JWKS.
    let login = rp::login(&server, &client, RS256, &[]).await;
    assert_eq!(login.id_token_alg, "RS256");
}

#[tokio::test]
pub async fn oidcc_idtoken_unsigned() {
    // Refused at registration: `none` is not an algorithm this provider knows, and discovery
    // does not advertise it.
    assert!(glc::signing::SigningAlg::parse("none").is_none());
    let server = TestServer::start().await;
    let metadata: serde_json::Value =
        reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    let algs = metadata["id_token_signing_alg_values_supported"].as_array().unwrap();
    assert!(!algs.iter().any(|a| a == "none" || a.as_str().unwrap().starts_with("HS")));
}

async fn logged_in_token(server: &TestServer, scope: &str) -> serde_json::Value {
    let client = server.web_client().await;
    server.tokens(&Browser::new(server), &client, &[("scope", scope)]).await
}

#[tokio::test]
pub async fn oidcc_userinfo_get() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let tokens = logged_in_token(&server, "openid").await;
    let (status, claims) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(claims["sub"], jwt_claims(tokens["id_token"].as_str().unwrap())["sub"]);
}

#[tokio::test]
pub async fn oidcc_userinfo_post_header() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let tokens = logged_in_token(&server, "openid").await;
    let response = reqwest::Client::new()
        .post(server.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let claims: serde_json::Value = response.json().await.unwrap();
    assert_eq!(claims["sub"], jwt_claims(tokens["id_token"].as_str().unwrap())["sub"]);
}

#[tokio::test]
pub async fn oidcc_userinfo_post_body() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let tokens = logged_in_token(&server, "openid").await;
    let response = reqwest::Client::new()
        .post(server.url("/userinfo"))
        .form(&[("access_token", tokens["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let claims: serde_json::Value = response.json().await.unwrap();
    assert_eq!(claims["sub"], jwt_claims(tokens["id_token"].as_str().unwrap())["sub"]);
}

#[tokio::test]
pub async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("nonce", "")]).await;
    assert!(jwt_claims(tokens["id_token"].as_str().unwrap()).get("nonce").is_none());
}

async fn userinfo_for_scope(scope: &str) -> serde_json::Value {
    let server = TestServer::start().await;
    full_resident(&server).await;
    let tokens = logged_in_token(&server, scope).await;
    assert_eq!(tokens["scope"].as_str().unwrap().split(' ').count(), scope.split(' ').count(), "{tokens}");
    let (status, claims) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    claims
}

#[tokio::test]
pub async fn oidcc_scope_profile() {
    let claims = userinfo_for_scope("openid profile").await;
    assert_eq!(claims["name"], "Camille Martin");
    assert_eq!(claims["given_name"], "Camille");
    assert_eq!(claims["family_name"], "Martin");
    assert_eq!(claims["birthdate"], "1990-04-01");
    assert!(claims["updated_at"].is_i64());
    assert!(claims.get("email").is_none(), "no email without the email scope");
}

#[tokio::test]
pub async fn oidcc_scope_email() {
    let claims = userinfo_for_scope("openid email").await;
    assert_eq!(claims["email"], "camille@lyon.fr");
    assert_eq!(claims["email_verified"], false);
    assert!(claims.get("name").is_none());
}

#[tokio::test]
pub async fn oidcc_scope_address() {
    let claims = userinfo_for_scope("openid address").await;
    assert_eq!(claims["address"]["locality"], "Lyon");
}

#[tokio::test]
pub async fn oidcc_scope_phone() {
    let claims = userinfo_for_scope("openid phone").await;
    assert_eq!(claims["phone_number"], "+33 4 72 00 00 00");
    assert_eq!(claims["phone_number_verified"], false);
}

#[tokio::test]
pub async fn oidcc_scope_all() {
    let claims = userinfo_for_scope("openid address email phone profile").await;
    for claim in ["name", "email", "address", "phone_number", "birthdate", "gender", "locale"] {
        assert!(claims.get(claim).is_some(), "{claim} missing from {claims}");
    }
}

#[tokio::test]
pub async fn oidcc_alternate_happy_flow() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    // Parameters in another order, scope order reversed (RFC 6749 §3.3).
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("scope", "email openid"),
            ("state", "s"),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("nonce", "n"),
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
        ])
        .extend_pairs(plan_params().iter().copied())
        .finish();
    let browser = Browser::new(&server);
    let page = browser.open(&server.url(&format!("/authorize?{query}"))).await;
    let page = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    let callback = browser.submit(&page, &[("decision", "allow")]).await.callback();
    let (status, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200);
    assert_eq!(tokens["scope"], "email openid");
}

async fn display_succeeds(display: &str) {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let page = browser.open(&server.authorize_url(&client, &[("display", display)])).await;
    assert!(page.is_login_page(), "the normal login page");
    assert_eq!(page.status(), 200);
    let tokens = server.tokens(&browser, &client, &[("display", display)]).await;
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
pub async fn oidcc_display_page() {
    display_succeeds("page").await;
}

#[tokio::test]
pub async fn oidcc_display_popup() {
    display_succeeds("popup").await;
}

#[tokio::test]
pub async fn oidcc_prompt_login() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let first = server.tokens(&browser, &client, &[]).await;
    server.clock.advance(5);
    let page = browser.open(&server.authorize_url(&client, &[("prompt", "login")])).await;
    assert!(page.is_login_page(), "prompt=login forces re-authentication despite the session");
    let callback = browser.login(&page, "camille@lyon.fr", PASSWORD).await.callback();
    let (_, second) = server.redeem(&client, &callback["code"], &[]).await;
    let t1 = jwt_claims(first["id_token"].as_str().unwrap())["auth_time"].as_i64().unwrap();
    let t2 = jwt_claims(second["id_token"].as_str().unwrap())["auth_time"].as_i64().unwrap();
    assert!(t2 >= t1 + 5, "a later auth_time: {t1} then {t2}");
}

#[tokio::test]
pub async fn oidcc_prompt_none_not_logged_in() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let callback = Browser::new(&server).open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required");
    assert_eq!(callback["state"], "st4te");
}

#[tokio::test]
pub async fn oidcc_prompt_none_logged_in() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let first = server.tokens(&browser, &client, &[]).await;
    let callback = browser.open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    let (status, second) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200);
    let (c1, c2) = (jwt_claims(first["id_token"].as_str().unwrap()), jwt_claims(second["id_token"].as_str().unwrap()));
    assert_eq!(c1["sub"], c2["sub"]);
    assert_eq!(c1["auth_time"], c2["auth_time"]);
}

#[tokio::test]
pub async fn oidcc_max_age_1() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let first = server.tokens(&browser, &client, &[]).await;
    server.clock.advance(2);
    let page = browser.open(&server.authorize_url(&client, &[("max_age", "1")])).await;
    assert!(page.is_login_page(), "max_age exceeded: the resident must log in again");
    let callback = browser.login(&page, "camille@lyon.fr", PASSWORD).await.callback();
    let (_, second) = server.redeem(&client, &callback["code"], &[]).await;
    let t1 = jwt_claims(first["id_token"].as_str().unwrap())["auth_time"].as_i64().unwrap();
    let t2 = jwt_claims(second["id_token"].as_str().unwrap())["auth_time"].as_i64().unwrap();
    assert!(t2 > t1);
}

#[tokio::test]
pub async fn oidcc_max_age_10000() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let first = server.tokens(&browser, &client, &[("max_age", "15000")]).await;
    server.clock.advance(2);
    let landing = browser.open(&server.authorize_url(&client, &[("max_age", "10000")])).await;
    let callback = landing.callback();
    let (_, second) = server.redeem(&client, &callback["code"], &[]).await;
    let t1 = jwt_claims(first["id_token"].as_str().unwrap())["auth_time"].as_i64().unwrap();
    let t2 = jwt_claims(second["id_token"].as_str().unwrap())["auth_time"].as_i64().unwrap();
    assert_eq!(t1, t2);
}

#[tokio::test]
pub async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("extra", "foobar")]).await;
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
pub async fn oidcc_id_token_hint() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let first = server.tokens(&browser, &client, &[]).await;
    let hint = first["id_token"].as_str().unwrap();
    let callback =
        browser.open(&server.authorize_url(&client, &[("prompt", "none"), ("id_token_hint", hint)])).await.callback();
    let (_, second) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(jwt_claims(hint)["sub"], jwt_claims(second["id_token"].as_str().unwrap())["sub"]);

    // A hint naming someone else cannot be answered silently.
    server.resident("dominique@bron.fr").await;
    let second_browser = Browser::new(&server);
    let page = second_browser.open(&server.authorize_url(&client, &[])).await;
    let page = second_browser.login(&page, "dominique@bron.fr", PASSWORD).await;
    let _ = second_browser.submit(&page, &[("decision", "allow")]).await.callback();
    let callback = second_browser
        .open(&server.authorize_url(&client, &[("prompt", "none"), ("id_token_hint", hint)]))
        .await
        .callback();
    assert_eq!(callback["error"], "login_required");
}

#[tokio::test]
pub async fn oidcc_login_hint() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let page = Browser::new(&server).open(&server.authorize_url(&client, &[("login_hint", "camille@lyon.fr")])).await;
    assert!(page.is_login_page());
    assert!(page.html().contains("value=\"camille@lyon.fr\""), "the login field is pre-filled");
}

#[tokio::test]
pub async fn oidcc_ui_locales() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let english = browser.open(&server.authorize_url(&client, &[("ui_locales", "en-GB fr")])).await;
    assert_eq!(english.lang(), "en");
    assert!(english.html().contains("Sign in"));
    let french = browser.open(&server.authorize_url(&client, &[])).await;
    assert_eq!(french.lang(), "fr", "French by default");
    assert!(french.html().contains("Se connecter"));

    // Without ui_locales, the browser's Accept-Language decides.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("accept-language", "en-US,en;q=0.9,fr;q=0.5".parse().unwrap());
    let english_browser = reqwest::Client::builder().cookie_store(true).default_headers(headers).build().unwrap();
    let html = english_browser.get(server.authorize_url(&client, &[])).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<html lang=\"en\""), "{html}");
}

#[tokio::test]
pub async fn oidcc_claims_locales() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("claims_locales", "fr-FR en")]).await;
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
pub async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("acr_values", "glc:basic eidas1")]).await;
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["acr"], "glc:basic");
}

#[tokio::test]
pub async fn oidcc_codereuse() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let callback = server.authorize(&Browser::new(&server), &client, &[]).await;
    let (status, _) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200);
    let (status, body) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
pub async fn oidcc_codereuse_30seconds() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let callback = server.authorize(&Browser::new(&server), &client, &[("scope", "openid offline_access")]).await;
    let (_, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(server.userinfo(access_token).await.0, 200);
    server.clock.advance(30);
    let (status, body) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")));
    // The replay revoked what the first redemption issued.
    assert_eq!(server.userinfo(access_token).await.0, 401, "access token revoked");
    let (status, body) = server
        .post_as(
            "/token",
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")), "refresh token revoked");
}

#[tokio::test]
pub async fn oidcc_ensure_registered_redirect_uri() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    for bad in ["https://attacker.example/cb", "http://127.0.0.1:1/cb?x=1", "http://127.0.0.1:1/cb/"] {
        let response = browser.raw_get(&server.authorize_url(&client, &[("redirect_uri", bad)])).await;
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none(), "never a redirect to {bad}");
        assert!(response.text().await.unwrap().contains("<html lang=\"fr\""), "our own error page");
    }
}

#[tokio::test]
pub async fn oidcc_ensure_post_request_succeeds() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let mut form = vec![
        ("client_id", client.id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "posted"),
    ];
    form.extend_from_slice(plan_params());
    let page = browser.post_form(&server.url("/authorize"), &form).await;
    let page = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    let callback = browser.submit(&page, &[("decision", "allow")]).await.callback();
    assert_eq!(callback["state"], "posted");
    assert_eq!(server.redeem(&client, &callback["code"], &[]).await.0, 200);
}

#[tokio::test]
pub async fn oidcc_server_client_secret_post() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client =
        server.register(ClientSpec { auth_method: AuthMethod::ClientSecretPost, ..TestServer::web_spec("Bron") }).await;
    let login = rp::login(&server, &client, RS256, &["email"]).await;
    assert_eq!(login.userinfo.email().unwrap().as_str(), "camille@lyon.fr");
    // And Basic is refused for a client registered for the body method.
    let basic = crate::support::TestClient { auth: AuthMethod::ClientSecretBasic, ..client.clone() };
    let (status, body) = server.redeem(&basic, "whatever", &[]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
pub async fn oidcc_claims_essential() {
    let server = TestServer::start().await;
    full_resident(&server).await;
    let client = server.web_client().await;
    let claims = r#"{"userinfo":{"name":{"essential":true}},"id_token":{"email":null}}"#;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("claims", claims)]).await;
    let (_, info) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info["name"], "Camille Martin", "essential claim released without the profile scope");
    assert!(info.get("birthdate").is_none(), "only the claim asked for");
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["email"], "camille@lyon.fr");
}

#[tokio::test]
pub async fn oidcc_refresh_token() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let login = rp::login(&server, &client, RS256, &["offline_access"]).await;
    let refresh = login.refresh_token.expect("a refresh token with offline_access");
    let (status, body) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(jwt_claims(body["id_token"].as_str().unwrap())["sub"], login.sub);
    assert_ne!(body["refresh_token"].as_str().unwrap(), refresh, "rotated");
    // Bound to its client: another client cannot use it.
    let other = server.web_client().await;
    let (status, body) = server
        .post_as(
            "/token",
            &other,
            &[("grant_type", "refresh_token"), ("refresh_token", body["refresh_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
pub async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let callback = server
        .authorize(&Browser::new(&server), &client, &[("code_challenge", challenge), ("code_challenge_method", "S256")])
        .await;
    let (status, body) = server.redeem(&client, &callback["code"], &[("code_verifier", verifier)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(jwt_header(body["access_token"].as_str().unwrap())["typ"], "at+jwt");
}
