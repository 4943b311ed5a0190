//! The Dynamic OP plan (`oidcc-dynamic-certification-test-plan`), module by module, each with a
//! client that registered itself (RFC 7591); then the registration rules and the management
//! of a registration (RFC 7592).

use josekit::jws::{JwsSigner, RS256};
use openidconnect::core::CoreJwsSigningAlgorithm;
use serde_json::{Value, json};

use crate::request_objects::{es256_key, request_claims, sign, unsigned};
use crate::rp;
use crate::support::{
    Browser, Landing, PASSWORD, Published, REDIRECT_URI, TestClient, TestServer, jwt_claims, jwt_header,
};
use glc::oauth::client::AuthMethod;
use glc::oauth::registration::issue_initial_token;

const RS: &[CoreJwsSigningAlgorithm] = &[CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256];

/// An initial access token for the Métropole, good for `uses` registrations.
async fn initial_token(server: &TestServer, uses: i64) -> String {
    issue_initial_token(&server.provider.db, "metropole-de-lyon", uses, 3600, server.provider.now()).await.unwrap()
}

/// POSTs a registration document with `token`.
async fn post_registration(server: &TestServer, token: Option<&str>, document: &Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(server.url("/register")).json(document);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// Registers `document` (with a redirect URI unless it has its own) and returns the client.
async fn dynamic_client(server: &TestServer, document: Value) -> (TestClient, Value) {
    let mut document = document;
    if document.get("redirect_uris").is_none() {
        document["redirect_uris"] = json!([REDIRECT_URI]);
    }
    let token = initial_token(server, 1).await;
    let (status, registered) = post_registration(server, Some(&token), &document).await;
    assert_eq!(status, 201, "{registered}");
    let auth = AuthMethod::parse(registered["token_endpoint_auth_method"].as_str().unwrap()).unwrap();
    let client = TestClient {
        id: registered["client_id"].as_str().unwrap().to_owned(),
        secret: registered["client_secret"].as_str().map(str::to_owned),
        auth,
        redirect_uri: registered["redirect_uris"][0].as_str().unwrap().to_owned(),
    };
    (client, registered)
}

/// The login and consent pages up to the callback, for a client and URL of our own.
async fn callback_of(server: &TestServer, url: &str) -> std::collections::HashMap<String, String> {
    let browser = Browser::new(server);
    let mut landing = browser.open(url).await;
    if landing.is_login_page() {
        landing = browser.login(&landing, "camille@lyon.fr", PASSWORD).await;
    }
    if landing.is_consent_page() {
        landing = browser.submit(&landing, &[("decision", "allow")]).await;
    }
    landing.callback()
}

/// As the templates write a URL into an attribute.
fn escaped(url: &str) -> String {
    url.replace('/', "&#x2f;")
}

fn assert_error_page(landing: &Landing) {
    assert_eq!(landing.status(), 400, "our error page, never a redirect to the client");
}

#[tokio::test]
async fn oidcc_server() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (client, registered) = dynamic_client(&server, json!({"client_name": "Démarches en ligne"})).await;
    assert_eq!(registered["client_secret_expires_at"], 0);
    let login = rp::login(&server, &client, RS, &["email"]).await;
    assert_eq!(login.userinfo.email().unwrap().as_str(), "camille@lyon.fr");
}

#[tokio::test]
async fn oidcc_discovery_endpoint_verification() {
    let server = TestServer::start().await;
    let m: Value = reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(m["registration_endpoint"], server.url("/register"));
    assert_eq!(m["issuer"], server.base);
    for endpoint in ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"] {
        assert!(m[endpoint].as_str().unwrap().starts_with(&server.base), "{endpoint}");
    }
    assert!(m["userinfo_signing_alg_values_supported"].as_array().unwrap().contains(&json!("RS256")));
}

#[tokio::test]
async fn oidcc_idtoken_rs256() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (client, registered) = dynamic_client(&server, json!({"id_token_signed_response_alg": "RS256"})).await;
    assert_eq!(registered["id_token_signed_response_alg"], "RS256");
    assert_eq!(rp::login(&server, &client, RS, &[]).await.id_token_alg, "RS256");
}

#[tokio::test]
async fn oidcc_idtoken_unsigned() {
    // Skipped by the suite when `none` is not advertised: it is not, and cannot be registered.
    let server = TestServer::start().await;
    let m: Value = reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert!(!m["id_token_signing_alg_values_supported"].as_array().unwrap().contains(&json!("none")));
    let token = initial_token(&server, 1).await;
    let document = json!({"redirect_uris": [REDIRECT_URI], "id_token_signed_response_alg": "none"});
    let (status, body) = post_registration(&server, Some(&token), &document).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client_metadata")));
}

#[tokio::test]
async fn oidcc_userinfo_rs256() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (client, _) = dynamic_client(&server, json!({"userinfo_signed_response_alg": "RS256"})).await;
    // The relying party verifies the signed userinfo with our JWKS.
    let login = rp::login(&server, &client, RS, &["email"]).await;
    assert_eq!(login.userinfo.email().unwrap().as_str(), "camille@lyon.fr");
    let response =
        reqwest::Client::new().get(server.url("/userinfo")).bearer_auth(&login.access_token).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/jwt");
    let jwt = response.text().await.unwrap();
    assert_eq!(jwt_header(&jwt)["alg"], "RS256");
    let claims = jwt_claims(&jwt);
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some(server.base.as_str()), Some(client.id.as_str()))
    );
    assert_eq!(claims["sub"], login.sub);
}

#[tokio::test]
async fn oidcc_ensure_redirect_uri_in_authorization_request() {
    let server = TestServer::start().await;
    let (client, _) = dynamic_client(&server, json!({})).await;
    let landing = Browser::new(&server).open(&server.authorize_url(&client, &[("redirect_uri", "")])).await;
    assert_error_page(&landing);
}

#[tokio::test]
async fn oidcc_redirect_uri_query_ok() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let with_query = format!("{REDIRECT_URI}?foo=bar");
    let (client, _) = dynamic_client(&server, json!({"redirect_uris": [with_query]})).await;
    let callback = callback_of(&server, &server.authorize_url(&client, &[])).await;
    assert_eq!(callback["foo"], "bar", "the registered query is kept");
    let (status, body) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn oidcc_redirect_uri_query_mismatch() {
    let server = TestServer::start().await;
    let (client, _) = dynamic_client(&server, json!({"redirect_uris": [format!("{REDIRECT_URI}?foo=bar")]})).await;
    let other = format!("{REDIRECT_URI}?foo=zot");
    assert_error_page(&Browser::new(&server).open(&server.authorize_url(&client, &[("redirect_uri", &other)])).await);
}

#[tokio::test]
async fn oidcc_redirect_uri_query_added() {
    let server = TestServer::start().await;
    let (client, _) = dynamic_client(&server, json!({})).await;
    let added = format!("{REDIRECT_URI}?foo=bar");
    assert_error_page(&Browser::new(&server).open(&server.authorize_url(&client, &[("redirect_uri", &added)])).await);
}

#[tokio::test]
async fn oidcc_redirect_uri_regfrag() {
    let server = TestServer::start().await;
    let token = initial_token(&server, 1).await;
    let document = json!({"redirect_uris": [format!("{REDIRECT_URI}#fragment")]});
    let (status, body) = post_registration(&server, Some(&token), &document).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_redirect_uri")));
}

/// The consent page a resident sees for `client`.
async fn consent_page(server: &TestServer, client: &TestClient) -> (String, String) {
    let browser = Browser::new(server);
    let page = browser.open(&server.authorize_url(client, &[("scope", "openid email")])).await;
    let page = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    assert!(page.is_consent_page());
    let Landing::Page { url, .. } = &page else { unreachable!() };
    let response = browser.raw_get(url).await;
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    (page.html().to_owned(), csp)
}

#[tokio::test]
async fn oidcc_registration_logo_uri() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let logo = "https://static.bron.fr/logo.png";
    let (client, registered) = dynamic_client(&server, json!({"client_name": "Bron", "logo_uri": logo})).await;
    assert_eq!(registered["logo_uri"], logo);
    let (html, csp) = consent_page(&server, &client).await;
    assert!(html.contains(&format!("src=\"{}\"", escaped(logo))), "{html}");
    assert!(csp.contains("img-src 'self' https://static.bron.fr"), "{csp}");
}

#[tokio::test]
async fn oidcc_registration_policy_uri() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let policy = "https://www.bron.fr/confidentialite";
    let (client, registered) = dynamic_client(&server, json!({"client_name": "Bron", "policy_uri": policy})).await;
    assert_eq!(registered["policy_uri"], policy);
    assert!(consent_page(&server, &client).await.0.contains(&format!("href=\"{}\"", escaped(policy))));
}

#[tokio::test]
async fn oidcc_registration_tos_uri() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let tos = "https://www.bron.fr/cgu";
    let (client, registered) = dynamic_client(&server, json!({"client_name": "Bron", "tos_uri": tos})).await;
    assert_eq!(registered["tos_uri"], tos);
    let (html, _) = consent_page(&server, &client).await;
    assert!(html.contains(&format!("href=\"{}\"", escaped(tos))), "{html}");
    assert!(html.contains("vous reconnaître entre eux"), "the consent page says shared claims link a resident");
}

/// Signs a client assertion for the token endpoint.
fn assertion(server: &TestServer, client_id: &str, signer: &dyn JwsSigner, aud: &str) -> String {
    let now = server.provider.now();
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let mut header = josekit::jws::JwsHeader::new();
    header.set_key_id(signer.key_id().unwrap());
    let payload = josekit::jwt::JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &header, signer).unwrap()
}

/// POSTs a token request authenticated by `assertion`.
async fn token_with_assertion(server: &TestServer, form: &[(&str, &str)], assertion: &str) -> (u16, Value) {
    let mut form = form.to_vec();
    form.push(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
    form.push(("client_assertion", assertion));
    let response = reqwest::Client::new().post(server.url("/token")).form(&form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn private_key_jwt_login(server: &TestServer, client: &TestClient, signer: &dyn JwsSigner, scope: &str) -> Value {
    let callback = callback_of(server, &server.authorize_url(client, &[("scope", scope)])).await;
    let form =
        [("grant_type", "authorization_code"), ("code", &callback["code"]), ("redirect_uri", &client.redirect_uri)];
    let (status, tokens) =
        token_with_assertion(server, &form, &assertion(server, &client.id, signer, &server.url("/token"))).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

#[tokio::test]
async fn oidcc_registration_jwks_uri() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (jwks, signer) = es256_key("rp-2026");
    let published = Published::start("/jwks.json", &jwks).await;
    let document = json!({"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": published.url});
    let (client, registered) = dynamic_client(&server, document).await;
    assert!(registered.get("client_secret").is_none(), "no secret for private_key_jwt");
    private_key_jwt_login(&server, &client, signer.as_ref(), "openid").await;
    assert_eq!(published.fetches(), 1);
}

#[tokio::test]
async fn oidcc_ensure_client_assertion_with_iss_aud_succeeds() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (jwks, signer) = es256_key("rp-1");
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    let (client, _) =
        dynamic_client(&server, json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks})).await;
    let callback = callback_of(&server, &server.authorize_url(&client, &[])).await;
    let form =
        [("grant_type", "authorization_code"), ("code", &callback["code"]), ("redirect_uri", &client.redirect_uri)];
    // aud = the issuer (the module's variant), not the token endpoint.
    let (status, tokens) =
        token_with_assertion(&server, &form, &assertion(&server, &client.id, signer.as_ref(), &server.base)).await;
    assert_eq!(status, 200, "{tokens}");
}

#[tokio::test]
async fn oidcc_refresh_token_rp_key_rotation() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (jwks, first) = es256_key("2026-11");
    let published = Published::start("/jwks.json", &jwks).await;
    let document = json!({
        "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": published.url,
        "grant_types": ["authorization_code", "refresh_token"],
    });
    let (client, _) = dynamic_client(&server, document).await;
    let tokens = private_key_jwt_login(&server, &client, first.as_ref(), "openid offline_access").await;
    // The relying party rotates its key; the refresh is signed with the new one.
    let (jwks, second) = es256_key("2026-12");
    published.set(&jwks);
    let form = [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())];
    let (status, body) =
        token_with_assertion(&server, &form, &assertion(&server, &client.id, second.as_ref(), &server.url("/token")))
            .await;
    assert_eq!(status, 200, "the new key is fetched on its unknown kid: {body}");
}

#[tokio::test]
async fn oidcc_server_rotate_keys() {
    let server = TestServer::start_with(|c| c.keys_reload_seconds = 1).await;
    server.resident("camille@lyon.fr").await;
    let (client, _) = dynamic_client(&server, json!({})).await;
    let before = server.tokens(&Browser::new(&server), &client, &[]).await;
    let old_kid = jwt_header(before["id_token"].as_str().unwrap())["kid"].as_str().unwrap().to_owned();
    // What `glc keys rotate --alg RS256 --now` does.
    let now = server.provider.now();
    let keys_dir = &server.provider.config.keys_dir;
    let new_kid = glc::signing::KeySet::rotate(
        keys_dir,
        &[glc::signing::KeyAlg::Signing(glc::signing::SigningAlg::RS256)],
        now,
        now,
    )
    .unwrap()[0]
        .kid
        .clone();
    let mut switched = false;
    for _ in 0..50 {
        let tokens = server.tokens(&Browser::new(&server), &client, &[]).await;
        if jwt_header(tokens["id_token"].as_str().unwrap())["kid"] == new_kid.as_str() {
            switched = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(switched, "the new key never signed");
    assert_ne!(old_kid, new_kid);
    // A relying party rediscovering the JWKS validates the new signatures.
    assert_eq!(rp::login(&server, &client, RS, &[]).await.id_token_alg, "RS256");
}

#[tokio::test]
async fn oidcc_registration_sector_uri() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let redirects = [REDIRECT_URI.to_owned(), "http://localhost:1/cb".to_owned()];
    let sector = Published::start("/sector.json", &json!(redirects).to_string()).await;
    let token = initial_token(&server, 2).await;
    // Two hosts and no sector identifier: refused (OIDC Core §8.1).
    let (status, body) = post_registration(&server, Some(&token), &json!({"redirect_uris": redirects})).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client_metadata")), "{body}");
    let document = json!({"redirect_uris": redirects, "sector_identifier_uri": sector.url, "subject_type": "pairwise"});
    let (client, registered) = dynamic_client(&server, document).await;
    assert_eq!(registered["sector_identifier_uri"], sector.url);
    let login = rp::login(&server, &client, RS, &[]).await;
    // The sector is the sector identifier's host: a second client of the same sector on another
    // redirect host gets the same sub.
    let sibling = json!({"redirect_uris": ["http://localhost:1/cb"], "sector_identifier_uri": sector.url});
    let (sibling, _) = dynamic_client(&server, sibling).await;
    assert_eq!(rp::login(&server, &sibling, RS, &[]).await.sub, login.sub);
    let stranger = dynamic_client(&server, json!({"redirect_uris": ["http://localhost:1/cb"]})).await.0;
    assert_ne!(rp::login(&server, &stranger, RS, &[]).await.sub, login.sub, "another sector, another sub");
}

#[tokio::test]
async fn oidcc_registration_sector_bad() {
    let server = TestServer::start().await;
    let sector = Published::start("/sector.json", &json!(["https://elsewhere.example/cb"]).to_string()).await;
    let token = initial_token(&server, 1).await;
    let document = json!({"redirect_uris": [REDIRECT_URI], "sector_identifier_uri": sector.url});
    let (status, body) = post_registration(&server, Some(&token), &document).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client_metadata")), "{body}");
    sector.set("not json");
    let (status, body) = post_registration(&server, Some(&token), &document).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client_metadata")), "{body}");
}

#[tokio::test]
async fn oidcc_request_uri_unsigned() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let hosted = Published::start("/request.jwt", "").await;
    let document = json!({"request_uris": [hosted.url], "request_object_signing_alg": "none"});
    let (client, _) = dynamic_client(&server, document).await;
    hosted.set(&unsigned(&request_claims(&server, &client, &[])));
    let callback =
        callback_of(&server, &server.authorize_url(&client, &[("request_uri", &hosted.url), ("state", "")])).await;
    assert_eq!(callback["state"], "object-state");
}

#[tokio::test]
async fn oidcc_request_uri_signed_rs256() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let pair = RS256.generate_key_pair(2048).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("rs-1");
    let mut signer = RS256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap();
    signer.set_key_id("rs-1");
    let hosted = Published::start("/request.jwt", "").await;
    let document = json!({
        "request_uris": [hosted.url], "request_object_signing_alg": "RS256", "jwks": {"keys": [public.as_ref()]},
    });
    let (client, _) = dynamic_client(&server, document).await;
    hosted.set(&sign(&signer, &request_claims(&server, &client, &[])));
    let callback =
        callback_of(&server, &server.authorize_url(&client, &[("request_uri", &hosted.url), ("state", "")])).await;
    assert_eq!(callback["state"], "object-state");
    let (status, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["nonce"], "object-nonce");
    // Registered for RS256: an ES256 object, even well signed, is refused.
    let (_, es_signer) = es256_key("rs-1");
    hosted.set(&sign(es_signer.as_ref(), &request_claims(&server, &client, &[])));
    let landing = Browser::new(&server).open(&server.authorize_url(&client, &[("request_uri", &hosted.url)])).await;
    assert_eq!(landing.callback()["error"], "invalid_request_object");
}

#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let second = "http://127.0.0.1:1/other";
    let document = json!({"redirect_uris": [REDIRECT_URI, second], "request_object_signing_alg": "none"});
    let (client, _) = dynamic_client(&server, document).await;
    let object = unsigned(&request_claims(&server, &client, &[("redirect_uri", json!(second))]));
    let browser = Browser::new(&server);
    let mut landing = browser.open(&server.authorize_url(&client, &[("request", &object)])).await;
    landing = browser.login(&landing, "camille@lyon.fr", PASSWORD).await;
    landing = browser.submit(&landing, &[("decision", "allow")]).await;
    let Landing::Redirect(url) = &landing else { panic!("{landing:?}") };
    assert!(url.as_str().starts_with(second), "the object's redirect_uri wins: {url}");
}

#[tokio::test]
async fn oidcc_refresh_token() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (client, _) = dynamic_client(&server, json!({"grant_types": ["authorization_code", "refresh_token"]})).await;
    let login = rp::login(&server, &client, RS, &["offline_access"]).await;
    let refresh = login.refresh_token.expect("a refresh token");
    let (status, body) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 200, "{body}");
    let (other, _) = dynamic_client(&server, json!({"grant_types": ["authorization_code", "refresh_token"]})).await;
    let (status, body) = server
        .post_as(
            "/token",
            &other,
            &[("grant_type", "refresh_token"), ("refresh_token", body["refresh_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")));
    // Registered without refresh_token (the RFC 7591 default is authorization_code only):
    // no refresh token.
    let (plain, registered) = dynamic_client(&server, json!({})).await;
    assert_eq!(registered["grant_types"], json!(["authorization_code"]));
    assert!(rp::login(&server, &plain, RS, &["offline_access"]).await.refresh_token.is_none());
}

#[tokio::test]
async fn registration_needs_a_valid_initial_access_token_and_each_use_counts() {
    let server = TestServer::start().await;
    let document = json!({"redirect_uris": [REDIRECT_URI]});
    let response = reqwest::Client::new().post(server.url("/register")).json(&document).send().await.unwrap();
    assert_eq!(response.status(), 401, "closed registration by default");
    assert!(response.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    assert_eq!(post_registration(&server, Some("forged"), &document).await.0, 401);

    let token = initial_token(&server, 1).await;
    // A refused document does not use the token up.
    let bad = json!({"redirect_uris": [REDIRECT_URI], "response_types": ["token"]});
    assert_eq!(post_registration(&server, Some(&token), &bad).await.0, 400);
    assert_eq!(post_registration(&server, Some(&token), &document).await.0, 201);
    assert_eq!(post_registration(&server, Some(&token), &document).await.0, 401, "used up");

    let token = initial_token(&server, 5).await;
    server.clock.advance(3601);
    assert_eq!(post_registration(&server, Some(&token), &document).await.0, 401, "expired");

    // A commune's token: the client belongs to the commune, and its pairwise sector is its host.
    let bron = server.commune("Bron").await;
    let token = issue_initial_token(&server.provider.db, &bron, 1, 3600, server.provider.now()).await.unwrap();
    let (status, registered) = post_registration(&server, Some(&token), &document).await;
    assert_eq!(status, 201, "{registered}");
    let stored = glc::oauth::client::find(&server.provider.db, registered["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.partner_id, bron);
    assert_eq!(stored.metadata.sector.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn open_registration_needs_no_token() {
    let server = TestServer::start_with(|c| c.open_registration = true).await;
    let (status, body) = post_registration(&server, None, &json!({"redirect_uris": [REDIRECT_URI]})).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn every_metadata_field_is_validated() {
    let server = TestServer::start().await;
    let token = initial_token(&server, 1).await;
    let metadata_errors = [
        json!({"redirect_uris": [REDIRECT_URI], "response_types": ["code id_token"]}),
        json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["client_credentials"]}),
        json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["implicit"]}),
        json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "client_secret_jwt"}),
        json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "private_key_jwt"}),
        json!({"redirect_uris": [REDIRECT_URI], "id_token_signed_response_alg": "HS256"}),
        json!({"redirect_uris": [REDIRECT_URI], "id_token_encrypted_response_alg": "RSA-OAEP-256"}),
        json!({"redirect_uris": [REDIRECT_URI], "userinfo_signed_response_alg": "none"}),
        json!({"redirect_uris": [REDIRECT_URI], "subject_type": "secret"}),
        json!({"redirect_uris": [REDIRECT_URI], "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}),
        json!({"redirect_uris": [REDIRECT_URI], "jwks": "not a set"}),
        json!({"redirect_uris": [REDIRECT_URI], "logo_uri": "http://bron.fr/logo.png"}),
        json!({"redirect_uris": [REDIRECT_URI], "contacts": ["not an email"]}),
        json!({"redirect_uris": [REDIRECT_URI], "client_name": 42}),
        json!({"redirect_uris": [REDIRECT_URI], "request_object_signing_alg": "HS256"}),
        json!({"redirect_uris": [REDIRECT_URI], "request_uris": ["http://rp.example/r"]}),
        json!({"redirect_uris": [REDIRECT_URI], "backchannel_logout_uri": "http://rp.example/bc"}),
        json!({"redirect_uris": "not a list"}),
        json!({}),
        json!([1, 2]),
    ];
    for document in metadata_errors {
        let (status, body) = post_registration(&server, Some(&token), &document).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client_metadata")), "{document}: {body}");
    }
    let redirect_errors = [
        json!({"redirect_uris": ["https://rp.example/cb#x"]}),
        json!({"redirect_uris": ["http://rp.example/cb"]}),
        json!({"redirect_uris": ["javascript:alert(1)"]}),
        json!({"redirect_uris": ["fr.bron.app:/cb"]}),
    ];
    for document in redirect_errors {
        let (status, body) = post_registration(&server, Some(&token), &document).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_redirect_uri")), "{document}: {body}");
    }
    // A native app may use its private-use scheme; a public client gets no secret.
    let native = json!({"application_type": "native", "redirect_uris": ["fr.bron.app:/cb"], "token_endpoint_auth_method": "none"});
    let (status, body) = post_registration(&server, Some(&token), &native).await;
    assert_eq!(status, 201, "{body}");
    assert!(body.get("client_secret").is_none());
    // Not JSON.
    let response = reqwest::Client::new()
        .post(server.url("/register"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_client_reads_replaces_and_deletes_its_own_registration() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (client, registered) = dynamic_client(&server, json!({"client_name": "Oullins"})).await;
    let management = registered["registration_client_uri"].as_str().unwrap().to_owned();
    assert_eq!(management, server.url(&format!("/register/{}", client.id)));
    let token = registered["registration_access_token"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();

    let read = http.get(&management).bearer_auth(&token).send().await.unwrap();
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!((read["client_name"].as_str(), read.get("client_secret")), (Some("Oullins"), None));
    assert_eq!(http.get(&management).bearer_auth("wrong").send().await.unwrap().status(), 401);
    assert_eq!(http.get(&management).send().await.unwrap().status(), 401);
    // Another client's token does not open this registration.
    let (_, other) = dynamic_client(&server, json!({})).await;
    let other_token = other["registration_access_token"].as_str().unwrap();
    assert_eq!(http.get(&management).bearer_auth(other_token).send().await.unwrap().status(), 401);

    let second = "http://127.0.0.1:1/second";
    let replacement = json!({"client_id": client.id, "client_name": "Ville d'Oullins", "redirect_uris": [second]});
    let put = http.put(&management).bearer_auth(&token).json(&replacement).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let put: Value = put.json().await.unwrap();
    assert_eq!((put["client_name"].as_str(), &put["redirect_uris"]), (Some("Ville d'Oullins"), &json!([second])));
    let landing = Browser::new(&server).open(&server.authorize_url(&client, &[])).await;
    assert_error_page(&landing);
    // The secret stays the client's.
    let moved = TestClient { redirect_uri: second.to_owned(), ..client.clone() };
    let callback = callback_of(&server, &server.authorize_url(&moved, &[])).await;
    assert_eq!(server.redeem(&moved, &callback["code"], &[]).await.0, 200);
    let wrong_id = json!({"client_id": "someone-else", "redirect_uris": [second]});
    assert_eq!(http.put(&management).bearer_auth(&token).json(&wrong_id).send().await.unwrap().status(), 400);

    let deleted = http.delete(&management).bearer_auth(&token).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(http.get(&management).bearer_auth(&token).send().await.unwrap().status(), 401);
    let (status, _) = server.post_as("/token", &moved, &[("grant_type", "authorization_code"), ("code", "x")]).await;
    assert_eq!(status, 401, "the client is gone");
}

#[tokio::test]
async fn an_administrators_client_has_no_registration_to_manage() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let response = reqwest::Client::new()
        .get(server.url(&format!("/register/{}", client.id)))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}
