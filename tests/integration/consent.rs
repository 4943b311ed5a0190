//! Consent piece by piece: the page names the partner and the service and lists each piece of
//! data with the purpose the client declared; optional pieces can be unticked, essential ones
//! cannot; only what was granted is released (ID token, userinfo, token scope), and the
//! resident is asked again when the request grows, the purpose changes or the decision expires.

use glc::consent::Declaration;
use glc::oauth::client::ClientSpec;

use crate::support::{Browser, Landing, PASSWORD, TestClient, TestServer, jwt_claims};

async fn bron_service(server: &TestServer) -> TestClient {
    let bron = server.commune("Bron").await;
    let client = server
        .register(ClientSpec { partner_id: Some(bron), ..TestServer::web_spec("Inscriptions à la cantine") })
        .await;
    let found = glc::oauth::client::find(&server.provider.db, &client.id).await.unwrap().unwrap();
    let declare = |scope: &str, purpose: &str, essential| Declaration {
        scope: scope.into(),
        purpose: purpose.into(),
        retention: "2 ans après la fin de l’inscription".into(),
        essential,
        label: None,
    };
    let db = &server.provider.db;
    glc::consent::declare_one(db, &found, declare("profile", "Inscrire votre enfant à la cantine", true))
        .await
        .unwrap();
    glc::consent::declare_one(db, &found, declare("email", "Vous envoyer le menu de la semaine", false)).await.unwrap();
    client
}

const CLAIMS: &str = r#"{"id_token":{"given_name":null,"birthdate":null,"email":null}}"#;

#[tokio::test]
async fn the_resident_grants_piece_by_piece_and_the_service_receives_exactly_that() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = bron_service(&server).await;
    let browser = Browser::new(&server);
    let asked = [("scope", "openid profile email offline_access"), ("claims", CLAIMS)];
    let login = browser.open(&server.authorize_url(&client, &asked)).await;
    let consent = browser.login(&login, "camille@lyon.fr", PASSWORD).await;
    assert!(consent.is_consent_page(), "{consent:?}");
    let html = consent.html();
    assert!(
        html.contains("Inscriptions à la cantine") && html.contains("<strong>Bron</strong>"),
        "partner and service"
    );
    assert!(html.contains("Inscrire votre enfant à la cantine") && html.contains("Vous envoyer le menu de la semaine"));
    assert!(html.contains("2 ans après la fin de l’inscription"), "the retention");
    assert!(html.contains("indispensable au service"));
    assert!(!html.contains("name=\"grant:given_name\""), "an essential piece has no box to untick");
    assert!(html.contains("name=\"grant:email\"") && html.contains("name=\"grant:offline_access\""));

    // Camille keeps her address and lasting access to herself; trying to refuse an essential
    // piece (a forged form) changes nothing.
    let landing =
        browser.submit_unticking(&consent, &[("decision", "allow")], &["grant:email", "grant:offline_access"]).await;
    let callback = landing.callback();
    let (status, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "openid profile", "the scopes whose every piece was refused are gone");
    assert!(tokens.get("refresh_token").is_none(), "no lasting access without offline_access");
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["given_name"], "Camille");
    assert!(id_token.get("email").is_none(), "refused: {id_token}");
    let (_, userinfo) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(userinfo["family_name"], "Martin");
    assert!(userinfo.get("email").is_none() && userinfo.get("email_verified").is_none(), "{userinfo}");

    // The decision is remembered: the same request asks nothing.
    let again = browser.open(&server.authorize_url(&client, &asked)).await;
    assert!(matches!(again, Landing::Redirect(_)), "remembered: {again:?}");
    let camille = glc::store::users::find_by_email(&server.provider.db, "camille@lyon.fr").await.unwrap().unwrap();
    let items = glc::store::consent_items::of_user(&server.provider.db, &camille.id).await.unwrap();
    let email = items.iter().find(|i| i.item == "email").unwrap();
    assert!(!email.granted);
    assert_eq!(email.purpose, "Vous envoyer le menu de la semaine");
    assert_eq!(email.policy_version, server.provider.config.consent.policy_version);
}

#[tokio::test]
async fn the_resident_is_asked_again_when_the_request_grows_the_purpose_changes_or_the_decision_expires() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = bron_service(&server).await;
    let browser = Browser::new(&server);
    server.authorize(&browser, &client, &[("scope", "openid profile")]).await;
    let remembered = browser.open(&server.authorize_url(&client, &[("scope", "openid profile")])).await;
    assert!(matches!(remembered, Landing::Redirect(_)));
    // More data asked for.
    let grown = browser.open(&server.authorize_url(&client, &[("scope", "openid profile email")])).await;
    assert!(grown.is_consent_page(), "the request grew");
    // Another purpose declared for the same data.
    let found = glc::oauth::client::find(&server.provider.db, &client.id).await.unwrap().unwrap();
    let declaration = Declaration {
        scope: "profile".into(),
        purpose: "Inscrire votre enfant au centre de loisirs".into(),
        retention: "1 an".into(),
        essential: true,
        label: None,
    };
    glc::consent::declare_one(&server.provider.db, &found, declaration).await.unwrap();
    let repurposed = browser.open(&server.authorize_url(&client, &[("scope", "openid profile")])).await;
    assert!(repurposed.is_consent_page(), "the purpose changed");
    assert!(repurposed.html().contains("centre de loisirs"));
    browser.submit(&repurposed, &[("decision", "allow")]).await;
    // The decision expires.
    server.clock.advance(server.provider.config.lifetimes.consent + 1);
    let expired = browser.open(&server.authorize_url(&client, &[("scope", "openid profile")])).await;
    // The session ended long before: a new login, then the consent page again.
    let expired =
        if expired.is_login_page() { browser.login(&expired, "camille@lyon.fr", PASSWORD).await } else { expired };
    assert!(expired.is_consent_page(), "expired: {expired:?}");
    // Within its lifetime, a new login alone asks nothing more.
    browser.submit(&expired, &[("decision", "allow")]).await;
    let fresh = Browser::new(&server);
    let login = fresh.open(&server.authorize_url(&client, &[("scope", "openid profile")])).await;
    let landing = fresh.login(&login, "camille@lyon.fr", PASSWORD).await;
    assert!(matches!(landing, Landing::Redirect(_)), "remembered across logins: {landing:?}");
}

#[tokio::test]
async fn a_client_declares_only_what_it_may_request() {
    let server = TestServer::start().await;
    let client = server
        .register(ClientSpec {
            scopes: Some(glc::oauth::scope::Scopes::parse("openid email").unwrap()),
            ..TestServer::web_spec("Portail")
        })
        .await;
    let found = glc::oauth::client::find(&server.provider.db, &client.id).await.unwrap().unwrap();
    let declaration = |scope: &str, purpose: &str| Declaration {
        scope: scope.into(),
        purpose: purpose.into(),
        retention: "1 an".into(),
        essential: false,
        label: None,
    };
    let db = &server.provider.db;
    assert!(glc::consent::declare_one(db, &found, declaration("profile", "x")).await.is_err(), "not requestable");
    assert!(glc::consent::declare_one(db, &found, declaration("email", "   ")).await.is_err(), "no purpose");
    let all = glc::consent::declare_one(db, &found, declaration("email", "Vous répondre")).await.unwrap();
    assert_eq!(all.len(), 1);
    // Asking for a scope of the catalogue it did not declare is refused.
    let refused = Browser::new(&server).open(&server.authorize_url(&client, &[("scope", "openid phone")])).await;
    assert_eq!(refused.callback()["error"], "invalid_scope");
}

/// Camille authorizes `client` (everything asked) and gets its tokens.
async fn authorized(server: &TestServer, client: &TestClient) -> serde_json::Value {
    server.tokens(&Browser::new(server), client, &[("scope", "openid profile email offline_access")]).await
}

#[tokio::test]
async fn mes_autorisations_shows_each_service_and_withdraws_a_piece_a_service_or_a_partner() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let events = crate::support::Receiver::start("/consent-events").await;
    let bron = server.commune("Bron").await;
    let lyon = server.commune("Lyon").await;
    let service = |name: &str, partner: &str| ClientSpec {
        partner_id: Some(partner.to_owned()),
        metadata: glc::oauth::client_metadata::ClientMetadata {
            consent_withdrawal_uri: Some(events.url.clone()),
            ..Default::default()
        },
        ..TestServer::web_spec(name)
    };
    let canteen = server.register(service("Cantine", &bron)).await;
    let library = server.register(service("Médiathèque", &bron)).await;
    let museum = server.register(service("Musées de Lyon", &lyon)).await;
    let canteen_tokens = authorized(&server, &canteen).await;
    authorized(&server, &library).await;
    authorized(&server, &museum).await;

    let browser = Browser::new(&server);
    let home = browser.open(&server.url("/account")).await;
    let home =
        browser.submit_to(&home, "/account/login", &[("email", "camille@lyon.fr"), ("password", PASSWORD)]).await;
    assert!(home.html().contains("/account/authorizations"), "linked from the account page");
    let page = browser.open(&server.url("/account/authorizations")).await;
    let html = page.html();
    for text in
        ["Mes autorisations", "Bron", "Lyon", "Cantine", "Médiathèque", "Musées de Lyon", "Adresse électronique"]
    {
        assert!(html.contains(text), "{text}: {html}");
    }
    assert!(html.contains("Vous contacter au sujet de vos démarches"), "each piece's purpose");

    // One piece: the canteen loses the email address, its tokens stop, and it is told.
    let done = browser
        .submit_to(&page, "/account/authorizations/withdraw", &[("client", &canteen.id), ("item", "email")])
        .await;
    assert!(done.html().contains("Autorisation retirée"), "{done:?}");
    let refresh = canteen_tokens["refresh_token"].as_str().unwrap();
    let (status, body) =
        server.post_as("/token", &canteen, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(server.userinfo(canteen_tokens["access_token"].as_str().unwrap()).await.0, 401);
    let set = wait_for_event(&events).await;
    let header = crate::support::jwt_header(&set);
    assert_eq!(header["typ"], "secevent+jwt", "a token of its own kind");
    server.provider.keys().verify(&set).expect("signed with our published key");
    let claims = jwt_claims(&set);
    assert_eq!(claims["aud"], canteen.id.as_str());
    let event = &claims["events"][glc::oauth::consent_event::CONSENT_WITHDRAWN];
    assert_eq!(event["items"], serde_json::json!(["email"]), "{claims}");
    assert_eq!(claims["sub_id"]["format"], "iss_sub");
    // The canteen asks again: the address stays refused, the rest is remembered.
    let tokens = authorized(&server, &canteen).await;
    assert_eq!(tokens["scope"], "offline_access openid profile");

    // One service: the media library's decisions go.
    let page = browser.open(&server.url("/account/authorizations")).await;
    let service_form = [("client", library.id.as_str())];
    let withdrawn = withdraw_without_item(&server, &browser, &page, &service_form).await;
    assert!(!withdrawn.html().contains("Médiathèque"), "{withdrawn:?}");
    // One partner: every Bron service goes, Lyon's stays.
    let withdrawn = withdraw_without_item(&server, &browser, &withdrawn, &[("partner", bron.as_str())]).await;
    assert!(!withdrawn.html().contains("Cantine") && withdrawn.html().contains("Musées de Lyon"), "{withdrawn:?}");
}

/// Posts a withdrawal form with exactly `fields` (and the CSRF token of `page`).
async fn withdraw_without_item(
    server: &TestServer,
    browser: &Browser,
    page: &Landing,
    fields: &[(&str, &str)],
) -> Landing {
    let (_, form) = crate::support::parse_form(page.html());
    let mut posted: Vec<(&str, &str)> = vec![("csrf", form["csrf"].as_str())];
    posted.extend_from_slice(fields);
    browser.post_form(&server.url("/account/authorizations/withdraw"), &posted).await;
    browser.open(&server.url("/account/authorizations")).await
}

async fn wait_for_event(events: &crate::support::Receiver) -> String {
    for _ in 0..100 {
        if let Some((method, _, body)) = events.hits().into_iter().next() {
            assert_eq!(method, "POST");
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no consent withdrawal event")
}

#[tokio::test]
async fn receipts_are_signed_typed_and_verifiable_and_deleting_the_account_tells_every_service() {
    let server = TestServer::start().await;
    let camille = server.resident("camille@lyon.fr").await;
    let events = crate::support::Receiver::start("/consent-events").await;
    let bron = server.commune("Bron").await;
    let client = server
        .register(ClientSpec {
            partner_id: Some(bron),
            metadata: glc::oauth::client_metadata::ClientMetadata {
                consent_withdrawal_uri: Some(events.url.clone()),
                ..Default::default()
            },
            ..TestServer::web_spec("Cantine")
        })
        .await;
    authorized(&server, &client).await;

    let browser = Browser::new(&server);
    let home = browser.open(&server.url("/account")).await;
    let home =
        browser.submit_to(&home, "/account/login", &[("email", "camille@lyon.fr"), ("password", PASSWORD)]).await;
    let response = browser.fetch(&server.url("/account/receipts")).await;
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let receipts: serde_json::Value = response.json().await.unwrap();
    let receipt = &receipts["receipts"][0];
    assert_eq!(receipt["kind"], "given");
    let jwt = receipt["jwt"].as_str().unwrap();
    assert_eq!(crate::support::jwt_header(jwt)["typ"], "consent-receipt+jwt");
    // Any partner verifies it with our published keys.
    let jwks = reqwest::get(server.url("/jwks")).await.unwrap().text().await.unwrap();
    let verified = glc::signing::client_keys::verify_with_jwks(jwt, &jwks).expect("verifies against our JWKS");
    let claims = serde_json::Value::Object(verified.claims);
    assert_eq!(claims["version"], "KI-CR-v1.1.0");
    assert_eq!(claims["jurisdiction"], "FR");
    assert_eq!(claims["piiControllers"][0]["piiController"], "Bron");
    assert_eq!(claims["services"][0]["service"], "Cantine");
    let categories = claims["services"][0]["purposes"].to_string();
    assert!(categories.contains("Adresse électronique") && categories.contains("Prénom(s)"), "{claims}");
    assert_eq!(claims["glc"]["policy_version"], server.provider.config.consent.policy_version.as_str());

    // Deleting the account withdraws everything, and the service is told before it goes.
    let deleted = browser.submit_to(&home, "/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(deleted.status(), 200, "{deleted:?}");
    let set = wait_for_event(&events).await;
    let event = &jwt_claims(&set)["events"][glc::oauth::consent_event::CONSENT_WITHDRAWN];
    assert_eq!(event["scope"], "all");
    assert!(glc::store::users::find_by_id(&server.provider.db, &camille.id).await.unwrap().is_none());
}
