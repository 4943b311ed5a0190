//! The RP-Initiated Logout, Back-Channel and Front-Channel OP plans, one test per module.

use serde_json::Value;

use crate::support::{Browser, Landing, Receiver, TestClient, TestServer, jwt_claims, jwt_header};
use glc::oauth::client::ClientSpec;

const POST_LOGOUT: &str = "http://127.0.0.1:1/post_logout_redirect";

async fn logout_client(server: &TestServer, backchannel: Option<&str>) -> TestClient {
    server
        .register(ClientSpec {
            post_logout_redirect_uris: vec![POST_LOGOUT.into()],
            backchannel_logout_uri: backchannel.map(str::to_owned),
            ..TestServer::web_spec("Portail")
        })
        .await
}

/// A logged-in resident: the browser and the ID token of the login.
async fn logged_in(server: &TestServer, client: &TestClient) -> (Browser, String) {
    server.resident("camille@lyon.fr").await;
    let browser = Browser::new(server);
    let tokens = server.tokens(&browser, client, &[]).await;
    (browser, tokens["id_token"].as_str().unwrap().to_owned())
}

fn end_session_url(server: &TestServer, params: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    server.url(&format!("/end_session?{query}"))
}

/// A resident logged in to a client that registered `POST_LOGOUT`: the server, the client, the
/// browser and the ID token of the login.
async fn scene() -> (TestServer, TestClient, Browser, String) {
    let server = TestServer::start().await;
    let client = logout_client(&server, None).await;
    let (browser, id_token) = logged_in(&server, &client).await;
    (server, client, browser, id_token)
}

/// Confirms on a logout confirmation page: the logged-out page follows, never a redirect.
async fn confirm(browser: &Browser, confirmation: &Landing) {
    assert_no_redirect(confirmation);
    assert!(confirmation.html().contains("Me déconnecter"), "a confirmation");
    let done = browser.submit(confirmation, &[]).await;
    assert_no_redirect(&done);
    assert!(done.html().contains("Vous êtes déconnecté"), "the logged-out page");
}

async fn assert_logged_out(server: &TestServer, browser: &Browser, client: &TestClient) {
    let callback = browser.open(&server.authorize_url(client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required", "the session really ended");
}

async fn assert_still_logged_in(server: &TestServer, browser: &Browser, client: &TestClient) {
    let callback = browser.open(&server.authorize_url(client, &[("prompt", "none")])).await.callback();
    assert!(callback.contains_key("code"), "{callback:?}");
}

/// Our own page, and no redirect to the client.
fn assert_no_redirect(landing: &Landing) {
    assert!(matches!(landing, Landing::Page { .. }), "expected our own page, got {landing:?}");
}

/// A logout request with a hint we did not issue: our own page, and the session lives on.
async fn assert_hint_refused(server: &TestServer, browser: &Browser, client: &TestClient, hint: &str) {
    let landing = browser
        .open(&end_session_url(server, &[("id_token_hint", hint), ("post_logout_redirect_uri", POST_LOGOUT)]))
        .await;
    assert_no_redirect(&landing);
    assert_still_logged_in(server, browser, client).await;
}

async fn metadata(server: &TestServer) -> Value {
    reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_discovery_endpoint_verification() {
    let server = TestServer::start().await;
    assert_eq!(metadata(&server).await["end_session_endpoint"], server.url("/end_session"));
}

#[tokio::test]
async fn oidcc_rp_initiated_logout() {
    let (server, client, browser, id_token) = scene().await;
    let landing = browser
        .open(&end_session_url(
            &server,
            &[("id_token_hint", &id_token), ("post_logout_redirect_uri", POST_LOGOUT), ("state", "bye")],
        ))
        .await;
    let Landing::Redirect(url) = &landing else { panic!("{landing:?}") };
    assert!(url.as_str().starts_with(POST_LOGOUT));
    assert_eq!(landing.callback()["state"], "bye");
    assert_logged_out(&server, &browser, &client).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    let (server, client, browser, id_token) = scene().await;
    let landing = browser
        .open(&end_session_url(
            &server,
            &[("id_token_hint", &id_token), ("post_logout_redirect_uri", "https://attacker.example/")],
        ))
        .await;
    assert_no_redirect(&landing);
    assert_eq!(landing.status(), 400);
    assert_still_logged_in(&server, &browser, &client).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    use base64::Engine;
    let (server, client, browser, id_token) = scene().await;
    let parts: Vec<&str> = id_token.split('.').collect();
    let none = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
    let modified = format!("{none}.{}.", parts[1]);
    assert_hint_refused(&server, &browser, &client, &modified).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    let (server, client, browser, _) = scene().await;
    let landing = browser.open(&end_session_url(&server, &[("post_logout_redirect_uri", POST_LOGOUT)])).await;
    assert_no_redirect(&landing);
    // With client_id the URI is known, but the request is still not proven: confirmation, no redirect.
    let landing = browser
        .open(&end_session_url(&server, &[("post_logout_redirect_uri", POST_LOGOUT), ("client_id", &client.id)]))
        .await;
    confirm(&browser, &landing).await;
    assert_logged_out(&server, &browser, &client).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params() {
    let (server, client, browser, _) = scene().await;
    let confirmation = browser.open(&server.url("/end_session")).await;
    assert_eq!(confirmation.status(), 200);
    confirm(&browser, &confirmation).await;
    assert_logged_out(&server, &browser, &client).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    let (server, client, browser, id_token) = scene().await;
    let landing = browser.open(&end_session_url(&server, &[("id_token_hint", &id_token)])).await;
    assert_no_redirect(&landing);
    assert!(landing.html().contains("Vous êtes déconnecté"));
    assert_logged_out(&server, &browser, &client).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state() {
    let (server, client, browser, id_token) = scene().await;
    let landing = browser
        .open(&end_session_url(&server, &[("id_token_hint", &id_token), ("post_logout_redirect_uri", POST_LOGOUT)]))
        .await;
    let Landing::Redirect(url) = &landing else { panic!("{landing:?}") };
    assert_eq!(url.as_str(), POST_LOGOUT, "no state added");
    assert_logged_out(&server, &browser, &client).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_only_state() {
    let (server, client, browser, _) = scene().await;
    let confirmation = browser.open(&end_session_url(&server, &[("state", "s")])).await;
    confirm(&browser, &confirmation).await;
    assert_logged_out(&server, &browser, &client).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri() {
    let (server, client, browser, id_token) = scene().await;
    let with_query = format!("{POST_LOGOUT}?foo=bar");
    let landing = browser
        .open(&end_session_url(&server, &[("id_token_hint", &id_token), ("post_logout_redirect_uri", &with_query)]))
        .await;
    assert_no_redirect(&landing);
    assert_eq!(landing.status(), 400);
    assert_still_logged_in(&server, &browser, &client).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_id_token_hint() {
    let (server, client, browser, _) = scene().await;
    // An ID token for the same client id, signed by someone else (another provider's keys).
    let stranger = TestServer::start().await;
    let mut foreign = jwt_claims(&crate::support::sign_with(&stranger, &client.id));
    foreign["iss"] = Value::from(server.base.clone());
    let forged =
        stranger.provider.keys().sign(glc::signing::SigningAlg::RS256, None, foreign.as_object().unwrap()).unwrap();
    assert_hint_refused(&server, &browser, &client, &forged).await;
}

#[tokio::test]
async fn oidcc_backchannel_logout_discovery_endpoint_verification() {
    let server = TestServer::start().await;
    let m = metadata(&server).await;
    assert_eq!(m["backchannel_logout_supported"], true);
    assert_eq!(m["backchannel_logout_session_supported"], true, "sid is sent (required for certification)");
    assert!(m["end_session_endpoint"].is_string());
}

/// Verifies a logout token as a client would: JWKS signature, typ, claims.
async fn check_logout_token(server: &TestServer, token: &str, client: &TestClient, id_token: &str) {
    let header = jwt_header(token);
    assert_eq!(header["typ"], "logout+jwt");
    let jwks: Value = reqwest::get(server.url("/jwks")).await.unwrap().json().await.unwrap();
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).unwrap();
    let jwk = josekit::jwk::Jwk::from_map(jwk.as_object().unwrap().clone()).unwrap();
    let verifier = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jwt::decode_with_verifier(token, &verifier).unwrap();
    let claims: Value = payload.claims_set().clone().into();
    let id = jwt_claims(id_token);
    assert_eq!(claims["iss"], server.base);
    assert_eq!(claims["aud"], client.id.as_str());
    assert_eq!(claims["sub"], id["sub"]);
    assert_eq!(claims["sid"], id["sid"]);
    assert!(claims["iat"].is_i64() && claims["exp"].is_i64() && claims["jti"].is_string());
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());
}

fn logout_token_of(hit: &(String, String, String)) -> String {
    assert_eq!(hit.0, "POST");
    url::form_urlencoded::parse(hit.2.as_bytes()).find(|(k, _)| k == "logout_token").unwrap().1.into_owned()
}

#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout() {
    let server = TestServer::start().await;
    let receiver = Receiver::start("/backchannel").await;
    let client = logout_client(&server, Some(&receiver.url)).await;
    let (browser, id_token) = logged_in(&server, &client).await;
    let landing = browser
        .open(&end_session_url(&server, &[("id_token_hint", &id_token), ("post_logout_redirect_uri", POST_LOGOUT)]))
        .await;
    assert!(matches!(landing, Landing::Redirect(_)), "{landing:?}");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    check_logout_token(&server, &logout_token_of(&hits[0]), &client, &id_token).await;
    assert_logged_out(&server, &browser, &client).await;
}

#[tokio::test]
async fn a_logout_at_one_client_reaches_every_other_client_of_the_session() {
    let server = TestServer::start().await;
    let bron = server.commune("Bron").await;
    let (bron_receiver, lyon_receiver) = (Receiver::start("/bc").await, Receiver::start("/bc").await);
    let bron_client = server
        .register(ClientSpec {
            partner_id: Some(bron),
            backchannel_logout_uri: Some(bron_receiver.url.clone()),
            post_logout_redirect_uris: vec![POST_LOGOUT.into()],
            ..TestServer::web_spec("Bron")
        })
        .await;
    let lyon_client = logout_client(&server, Some(&lyon_receiver.url)).await;
    let (browser, bron_id_token) = logged_in(&server, &bron_client).await;
    let lyon_tokens = server.tokens(&browser, &lyon_client, &[]).await;
    let lyon_id_token = lyon_tokens["id_token"].as_str().unwrap();
    assert_ne!(jwt_claims(&bron_id_token)["sid"], jwt_claims(lyon_id_token)["sid"], "each commune its own sid");

    // Logout started by Lyon, as a cross-site POST without the browser's cookies.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url("/end_session"))
        .form(&[("id_token_hint", lyon_id_token), ("post_logout_redirect_uri", POST_LOGOUT)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    check_logout_token(&server, &logout_token_of(&bron_receiver.hits()[0]), &bron_client, &bron_id_token).await;
    check_logout_token(&server, &logout_token_of(&lyon_receiver.hits()[0]), &lyon_client, lyon_id_token).await;
    assert_logged_out(&server, &browser, &bron_client).await;
    assert_logged_out(&server, &browser, &lyon_client).await;
}

#[tokio::test]
async fn oidcc_frontchannel_logout_discovery_endpoint_verification() {
    let server = TestServer::start().await;
    let m = metadata(&server).await;
    assert_eq!(m["frontchannel_logout_supported"], true);
    assert_eq!(m["frontchannel_logout_session_supported"], true, "iss and sid on the iframe URL");
    assert!(m["end_session_endpoint"].is_string());
}

/// Loads `url` in a real headless Chromium (Debian's `chromium`) and returns the DOM once the
/// page, iframes included, has loaded.
pub async fn chromium_dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(90), run)
        .await
        .expect("chromium did not finish")
        .expect("headless Chromium (Debian package chromium) is needed for the front-channel test");
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_frontchannel_rp_initiated_logout() {
    let server = TestServer::start().await;
    let frame = Receiver::start("/frontchannel_logout").await;
    let client = server
        .register(ClientSpec {
            frontchannel_logout_uri: Some(frame.url.clone()),
            post_logout_redirect_uris: vec![POST_LOGOUT.into()],
            ..TestServer::web_spec("Portail")
        })
        .await;
    let (browser, id_token) = logged_in(&server, &client).await;
    // A real browser renders the logged-out page; the page's CSP must let it load the iframe.
    let dom = chromium_dump_dom(&end_session_url(&server, &[("id_token_hint", &id_token), ("ui_locales", "fr")])).await;
    assert!(dom.contains("Vous êtes déconnecté"), "{dom}");
    let hits = frame.hits();
    assert_eq!(hits.len(), 1, "the client's front-channel logout URI was loaded once: {hits:?}");
    let (method, query, _) = &hits[0];
    assert_eq!(method, "GET");
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    assert_eq!(params["iss"], server.base);
    assert_eq!(params["sid"], jwt_claims(&id_token)["sid"].as_str().unwrap());
    assert_logged_out(&server, &browser, &client).await;

    // With a post-logout redirect URI, the page goes back to the client once the iframes loaded.
    let second = Browser::new(&server);
    let id_token = server.tokens(&second, &client, &[]).await["id_token"].as_str().unwrap().to_owned();
    let page = second
        .open(&end_session_url(
            &server,
            &[("id_token_hint", &id_token), ("post_logout_redirect_uri", POST_LOGOUT), ("state", "s")],
        ))
        .await;
    let html = page.html().replace("&#x2f;", "/");
    assert!(html.contains(&format!("href=\"{POST_LOGOUT}?state=s\"")), "{html}");
    assert!(html.contains("window.location.assign"), "then goes back by itself");
}

/// Two communes' services in one session, on two origins: a logout started at one loads both
/// front-channel URIs in a real browser (the page's `frame-src` allows exactly those two
/// origins), each with its own `sid`; `prompt=none` then fails for both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_reaches_every_client_of_the_session_by_front_channel() {
    let server = TestServer::start().await;
    let (bron_frame, lyon_frame) = (Receiver::start("/fc").await, Receiver::start("/fc").await);
    let register = |name: &'static str, uri: String| {
        let server = &server;
        async move {
            let spec = ClientSpec { frontchannel_logout_uri: Some(uri), ..TestServer::web_spec(name) };
            server.register(spec).await
        }
    };
    let bron = register("Bron", bron_frame.url.clone()).await;
    let lyon = register("Lyon", lyon_frame.url.clone()).await;
    let (browser, bron_id_token) = logged_in(&server, &bron).await;
    let lyon_id_token = server.tokens(&browser, &lyon, &[]).await["id_token"].as_str().unwrap().to_owned();
    let dom =
        chromium_dump_dom(&end_session_url(&server, &[("id_token_hint", &lyon_id_token), ("ui_locales", "fr")])).await;
    assert!(dom.contains("Vous êtes déconnecté"), "{dom}");
    for (frame, id_token) in [(&bron_frame, &bron_id_token), (&lyon_frame, &lyon_id_token)] {
        let hits = frame.hits();
        assert_eq!(hits.len(), 1, "{hits:?}");
        let params: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(hits[0].1.as_bytes()).into_owned().collect();
        assert_eq!(
            (params["iss"].as_str(), params["sid"].as_str()),
            (server.base.as_str(), jwt_claims(id_token)["sid"].as_str().unwrap())
        );
    }
    assert_logged_out(&server, &browser, &bron).await;
    assert_logged_out(&server, &browser, &lyon).await;
}

/// What an administrator does for a compromised account (the admin API of a later issue calls
/// this): every session of the resident ends, on every browser, and each client of each session
/// receives its logout token.
#[tokio::test]
async fn ending_every_session_of_a_resident_notifies_each_client_by_back_channel() {
    let server = TestServer::start().await;
    let receiver = Receiver::start("/bc").await;
    let client = logout_client(&server, Some(&receiver.url)).await;
    let (laptop, laptop_id_token) = logged_in(&server, &client).await;
    let phone = Browser::new(&server);
    let phone_id_token = server.tokens(&phone, &client, &[]).await["id_token"].as_str().unwrap().to_owned();
    let user_id =
        glc::identity::user::find_by_id_or_email(&server.provider.db, "camille@lyon.fr").await.unwrap().unwrap().id;

    let ended = glc::oauth::logout::end_all_sessions(&server.provider, &user_id).await.unwrap();
    assert_eq!(ended, 2);
    let mut tokens: Vec<String> = receiver.hits().iter().map(logout_token_of).collect();
    assert_eq!(tokens.len(), 2, "one logout token per session");
    tokens.sort_by_key(|t| jwt_claims(t)["sid"] == jwt_claims(&phone_id_token)["sid"]);
    check_logout_token(&server, &tokens[0], &client, &laptop_id_token).await;
    check_logout_token(&server, &tokens[1], &client, &phone_id_token).await;
    assert_logged_out(&server, &laptop, &client).await;
    assert_logged_out(&server, &phone, &client).await;
    assert_eq!(glc::oauth::logout::end_all_sessions(&server.provider, &user_id).await.unwrap(), 0);
}

/// A resident withdraws their consent to one service: that service is logged out by
/// back-channel and loses its grant; the resident's session and other services go on.
#[tokio::test]
async fn withdrawing_consent_logs_the_client_out_and_revokes_its_grant_only() {
    let server = TestServer::start().await;
    let (bron_receiver, lyon_receiver) = (Receiver::start("/bc").await, Receiver::start("/bc").await);
    let bron = logout_client(&server, Some(&bron_receiver.url)).await;
    let lyon = logout_client(&server, Some(&lyon_receiver.url)).await;
    let (browser, _) = logged_in(&server, &bron).await;
    let bron_tokens = server.tokens(&browser, &bron, &[("scope", "openid offline_access")]).await;
    let lyon_tokens = server.tokens(&browser, &lyon, &[]).await;
    let user_id =
        glc::identity::user::find_by_id_or_email(&server.provider.db, "camille@lyon.fr").await.unwrap().unwrap().id;

    let withdrawn = glc::oauth::withdrawal::withdraw_consent(
        &server.provider,
        glc::audit::Actor::Resident(&user_id),
        &user_id,
        &bron.id,
    )
    .await
    .unwrap();
    assert!(withdrawn.consent && withdrawn.grants >= 1, "{withdrawn:?}");
    let hits = bron_receiver.hits();
    assert_eq!(hits.len(), 1, "Bron is told");
    check_logout_token(&server, &logout_token_of(&hits[0]), &bron, bron_tokens["id_token"].as_str().unwrap()).await;
    assert!(lyon_receiver.hits().is_empty(), "Lyon is not");

    // Bron's tokens are dead; asking again needs the resident's consent.
    let refresh = bron_tokens["refresh_token"].as_str().unwrap();
    let (status, body) =
        server.post_as("/token", &bron, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(server.userinfo(bron_tokens["access_token"].as_str().unwrap()).await.0, 401);
    let callback = browser.open(&server.authorize_url(&bron, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "consent_required");
    // Lyon is untouched, and the resident is still logged in.
    assert_eq!(server.userinfo(lyon_tokens["access_token"].as_str().unwrap()).await.0, 200);
    assert_still_logged_in(&server, &browser, &lyon).await;
    // A later logout no longer notifies Bron.
    let landing =
        browser.open(&end_session_url(&server, &[("id_token_hint", lyon_tokens["id_token"].as_str().unwrap())])).await;
    assert_no_redirect(&landing);
    assert_eq!(bron_receiver.hits().len(), 1);
    assert_eq!(lyon_receiver.hits().len(), 1);
}
