//! "S'identifier avec FranceConnect" against the stand-in (`glc::federation::standin`), which
//! behaves like FranceConnect v2 and misbehaves on demand.

use std::collections::HashMap;
use std::sync::Arc;

use glc::config::FranceConnectConfig;
use glc::federation::standin::{Misbehaviour, PlusMode, Standin, StandinConfig};
use tokio::net::TcpListener;

use crate::support::{Browser, Landing, PASSWORD, TestServer, jwt_claims, parse_form, serve_until_dropped};

pub(crate) struct Federation {
    pub server: TestServer,
    pub fc: Arc<Standin>,
    pub fc_issuer: String,
    /// The FranceConnect+ stand-in, when configured too.
    pub plus: Option<Arc<Standin>>,
    pub plus_issuer: String,
    _stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

fn upstream_config(issuer: &str, client_id: &str, extra_scopes: &[&str]) -> FranceConnectConfig {
    FranceConnectConfig {
        issuer: issuer.to_owned(),
        client_id: client_id.into(),
        client_secret: format!("{client_id}-secret"),
        scopes: ["given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "email"]
            .into_iter()
            .chain(["preferred_username"])
            .chain(extra_scopes.iter().copied())
            .map(str::to_owned)
            .collect(),
        acr_values: None,
        level_lifetime_seconds: None,
        redirect_uri: None,
        post_logout_redirect_uri: None,
    }
}

fn standin_config(server: &TestServer, issuer: &str, client_id: &str, plus: Option<&str>) -> StandinConfig {
    StandinConfig {
        issuer: issuer.to_owned(),
        client_id: client_id.into(),
        client_secret: format!("{client_id}-secret"),
        redirect_uris: vec![format!("{}/franceconnect/callback", server.issuer())],
        post_logout_redirect_uris: vec![format!("{}/franceconnect/logged-out", server.issuer())],
        plus: plus.map(|alg| PlusMode { client_jwks_uri: server.url("/jwks"), encryption_alg: alg.to_owned() }),
    }
}

/// A provider with FranceConnect configured, and the stand-in it talks to.
pub(crate) async fn federation() -> Federation {
    federation_with(None).await
}

/// With FranceConnect+ too (`plus`: the algorithm it encrypts with), on a second stand-in.
pub(crate) async fn federation_with(plus: Option<&str>) -> Federation {
    federation_on(plus, false).await
}

/// The same, the provider on `localhost` when `on_localhost` (for the browser's audit).
pub(crate) async fn federation_on(plus: Option<&str>, on_localhost: bool) -> Federation {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fc_issuer = format!("http://{}/api/v2", listener.local_addr().unwrap());
    let plus_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plus_issuer = format!("http://{}/api/v2", plus_listener.local_addr().unwrap());
    let config = upstream_config(&fc_issuer, "glc-test", &["idp_birthdate"]);
    let plus_config = plus.map(|_| upstream_config(&plus_issuer, "glc-plus", &["rnipp_identite_pivot"]));
    let mut server = TestServer::start_with(|c| {
        c.franceconnect = Some(config);
        c.franceconnect_plus = plus_config;
        if on_localhost {
            c.issuer = c.issuer.replace("127.0.0.1", "localhost");
        }
    })
    .await;
    if on_localhost {
        server.base = server.base.replace("127.0.0.1", "localhost");
    }
    let fc = Standin::new(standin_config(&server, &fc_issuer, "glc-test", None), &server.dir.path().join("fc-standin"))
        .unwrap();
    let mut stops = vec![serve_until_dropped(listener, fc.router())];
    let plus = plus.map(|alg| {
        let config = standin_config(&server, &plus_issuer, "glc-plus", Some(alg));
        let standin = Standin::new(config, &server.dir.path().join("fcplus-standin")).unwrap();
        stops.push(serve_until_dropped(plus_listener, standin.router()));
        standin
    });
    Federation { server, fc, fc_issuer, plus, plus_issuer, _stops: stops }
}

/// From a page with the FranceConnect button to FranceConnect's page.
pub(crate) async fn to_franceconnect(browser: &Browser, page: &Landing) -> Landing {
    assert!(page.html().contains("S’identifier avec") && page.html().contains("Qu’est-ce que FranceConnect ?"));
    let Landing::Redirect(url) = browser.submit_to(page, "/franceconnect/login", &[]).await else {
        panic!("the button leads to FranceConnect")
    };
    browser.open(url.as_str()).await
}

/// On FranceConnect's page, picks `choice` (an identity's index, or `cancel`); returns where
/// the browser lands back with us.
pub(crate) async fn choose(fed: &Federation, browser: &Browser, fc_page: &Landing, choice: &str) -> Landing {
    assert!(fc_page.html().contains("ce n'est pas FranceConnect"), "the stand-in says what it is");
    let (_, mut fields) = parse_form(fc_page.html());
    fields.insert("identity".into(), choice.into());
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post_form(&format!("{}/authorize/choose", fed.fc_issuer), &form).await
}

/// A whole service login through FranceConnect as identity `index`: the ID token's claims
/// and the userinfo the client gets.
async fn service_login(fed: &Federation, index: &str) -> (serde_json::Value, serde_json::Value) {
    let server = &fed.server;
    let client = server.web_client().await;
    let browser = Browser::new(server);
    let login = browser.open(&server.authorize_url(&client, &[("scope", "openid profile email")])).await;
    let fc_page = to_franceconnect(&browser, &login).await;
    let consent = choose(fed, &browser, &fc_page, index).await;
    assert!(consent.is_consent_page(), "{consent:?}");
    assert!(consent.html().contains("certifiée par FranceConnect"), "the certified pieces say so");
    let callback = browser.submit(&consent, &[("decision", "allow")]).await.callback();
    let (status, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
    let (_, userinfo) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    (jwt_claims(tokens["id_token"].as_str().unwrap()), userinfo)
}

pub(crate) async fn user_count(server: &TestServer) -> usize {
    glc::store::users::list(&server.provider.db, 1000, 0).await.unwrap().len()
}

#[tokio::test]
async fn a_first_franceconnect_login_makes_an_account_and_the_next_one_finds_it() {
    let fed = federation().await;
    let (id_token, userinfo) = service_login(&fed, "0").await;
    assert_eq!(id_token["acr"], "eidas1");
    assert_eq!(id_token["amr"], serde_json::json!(["fc"]));
    assert_eq!(userinfo["given_name"], "Angela Claire Louise");
    assert_eq!(userinfo["family_name"], "DUBOIS");
    assert_eq!(userinfo["birthdate"], "1962-08-24");
    assert_eq!(user_count(&fed.server).await, 1);
    let discovery: serde_json::Value =
        reqwest::get(fed.server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert!(discovery["acr_values_supported"].as_array().unwrap().iter().any(|v| v == "eidas1"), "{discovery}");

    // The same FranceConnect identity again: the same account, the same `sub` for the service.
    let (again, _) = service_login(&fed, "0").await;
    assert_eq!(user_count(&fed.server).await, 1);
    assert_eq!(again["sub"].as_str().map(|s| s.len()), id_token["sub"].as_str().map(|s| s.len()));

    // The account: no password, its certified identity with its provenance.
    let db = &fed.server.provider.db;
    let users = glc::store::users::list(db, 10, 0).await.unwrap();
    assert!(users[0].password_hash.is_none(), "a FranceConnect account needs no password");
    let certified = glc::store::federation::certified_of(db, &users[0].id).await.unwrap().unwrap();
    assert_eq!((certified.platform.as_str(), certified.acr.as_str()), ("fc", "eidas1"));
    assert_eq!(certified.birthplace.as_deref(), Some("69383"));
    assert_eq!(certified.given_name_array.as_deref(), Some(r#"["Angela","Claire","Louise"]"#));
}

#[tokio::test]
async fn the_franceconnect_email_neither_links_nor_blocks_accounts() {
    let fed = federation().await;
    // A password account already uses Angela's address; Lucas's FC identity carries it too.
    let local = fed.server.resident("angela.dubois@example.fr").await;
    service_login(&fed, "0").await;
    service_login(&fed, "3").await;
    let users = glc::store::users::list(&fed.server.provider.db, 10, 0).await.unwrap();
    assert_eq!(users.len(), 3, "one account per person, whatever the shared address");
    let db = &fed.server.provider.db;
    assert!(glc::store::federation::certified_of(db, &local.id).await.unwrap().is_none(), "never linked by email");
    // The password account still signs in with its address.
    let browser = Browser::new(&fed.server);
    let page = browser.open(&fed.server.url("/account")).await;
    let home = browser
        .submit_to(&page, "/account/login", &[("email", "angela.dubois@example.fr"), ("password", PASSWORD)])
        .await;
    assert!(home.html().contains("Me déconnecter partout"), "{}", home.html());
}

#[tokio::test]
async fn born_abroad_presumed_birthdates_and_long_names_are_kept_as_franceconnect_sent_them() {
    let fed = federation().await;
    service_login(&fed, "1").await;
    let (_, marie) = service_login(&fed, "2").await;
    assert_eq!(marie["family_name"], "DE LA TOUR D'AUVERGNE-LAURAGUAIS DE SAINT-JEAN-PIED-DE-PORT");
    let db = &fed.server.provider.db;
    let mut certified = HashMap::new();
    for user in glc::store::users::list(db, 10, 0).await.unwrap() {
        let row = glc::store::federation::certified_of(db, &user.id).await.unwrap().unwrap();
        certified.insert(row.given_name.clone(), row);
    }
    let karim = &certified["Karim"];
    assert_eq!(karim.birthplace.as_deref(), Some(""), "born abroad: an empty birthplace");
    assert_eq!(karim.birthcountry.as_deref(), Some("99350"));
    assert_eq!((karim.birthdate.as_deref(), karim.idp_birthdate.as_deref()), (Some("1985-01-01"), Some("1985")));
    let marie = &certified["Marie-Thérèse Jeanne Françoise Bernadette Geneviève"];
    assert!(marie.family_name.chars().count() > 50);
    assert_eq!(serde_json::from_str::<Vec<String>>(marie.given_name_array.as_deref().unwrap()).unwrap().len(), 5);
    assert_eq!(marie.preferred_username.as_deref(), Some("MARTIN"), "the usage name apart from the birth name");
}

#[tokio::test]
async fn a_resident_who_cancels_at_franceconnect_is_back_on_the_login_page() {
    let fed = federation().await;
    let client = fed.server.web_client().await;
    let browser = Browser::new(&fed.server);
    let login = browser.open(&fed.server.authorize_url(&client, &[])).await;
    let fc_page = to_franceconnect(&browser, &login).await;
    let back = choose(&fed, &browser, &fc_page, "cancel").await;
    assert!(back.is_login_page(), "{back:?}");
    assert!(back.html().contains("Vous avez annulé la connexion avec FranceConnect"));
    // The password still works from there.
    fed.server.resident("camille@lyon.fr").await;
    let consent = browser.login(&back, "camille@lyon.fr", PASSWORD).await;
    assert!(consent.is_consent_page());

    // The same from the account page.
    let browser = Browser::new(&fed.server);
    let account_page = browser.open(&fed.server.url("/account")).await;
    let fc_page = to_franceconnect(&browser, &account_page).await;
    let back = choose(&fed, &browser, &fc_page, "cancel").await;
    assert!(back.html().contains("Vous avez annulé la connexion avec FranceConnect"), "{back:?}");
}

#[tokio::test]
async fn every_fault_of_franceconnect_ends_on_a_clear_page_and_signs_nobody_in() {
    let fed = federation().await;
    for fault in [
        Misbehaviour::WrongNonce,
        Misbehaviour::WrongIssuerInCallback,
        Misbehaviour::ForgedSignature,
        Misbehaviour::LowerAcr,
        Misbehaviour::UnsignedUserinfo,
        Misbehaviour::TokenEndpointDown,
    ] {
        fed.fc.misbehave(fault);
        let browser = Browser::new(&fed.server);
        let page = browser.open(&fed.server.url("/account")).await;
        let fc_page = to_franceconnect(&browser, &page).await;
        let landing = choose(&fed, &browser, &fc_page, "0").await;
        let expected = if fault == Misbehaviour::TokenEndpointDown { 502 } else { 400 };
        assert_eq!(landing.status(), expected, "{fault:?}: {}", landing.html());
        assert!(landing.html().contains("Connexion avec FranceConnect impossible"), "{fault:?}");
        assert!(landing.html().contains("Référence de l’erreur"), "{fault:?}: a correlation id");
        let after = browser.open(&fed.server.url("/account")).await;
        assert!(after.html().contains("name=\"password\""), "{fault:?}: nobody signed in");
    }
    assert_eq!(user_count(&fed.server).await, 0);
    fed.fc.misbehave(Misbehaviour::None);
    service_login(&fed, "0").await;
}

#[tokio::test]
async fn a_callback_from_another_browser_or_replayed_is_refused() {
    let fed = federation().await;
    let browser = Browser::new(&fed.server);
    let page = browser.open(&fed.server.url("/account")).await;
    let fc_page = to_franceconnect(&browser, &page).await;
    // FranceConnect's redirect back, captured without following it.
    let (_, mut fields) = parse_form(fc_page.html());
    fields.insert("identity".into(), "0".into());
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = raw.post(format!("{}/authorize/choose", fed.fc_issuer)).form(&fields).send().await.unwrap();
    let callback = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.contains("iss="), "RFC 9207: {callback}");

    let attacker = Browser::new(&fed.server);
    let refused = attacker.open(&callback).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.html().contains("a expiré ou a été ouverte dans un autre navigateur"));
    // The resident's own browser still completes its login, once.
    let home = browser.open(&callback).await;
    assert!(home.html().contains("Me déconnecter partout"), "{home:?}");
    let again = browser.open(&callback).await;
    assert_eq!(again.status(), 400, "a callback works once");
}

#[tokio::test]
async fn without_configuration_there_is_no_franceconnect_button() {
    let server = TestServer::start().await;
    let browser = Browser::new(&server);
    let page = browser.open(&server.url("/account")).await;
    assert!(!page.html().contains("FranceConnect"));
    let response = browser.raw_get(&server.url("/franceconnect/callback?state=x&code=y")).await;
    assert_eq!(response.status(), 404);
}

/// Signs in on `/account` with a password.
async fn account_home(server: &TestServer, browser: &Browser, email: &str) -> Landing {
    let page = browser.open(&server.url("/account")).await;
    browser.submit_to(&page, "/account/login", &[("email", email), ("password", PASSWORD)]).await
}

#[tokio::test]
async fn a_resident_links_franceconnect_from_the_account_page_then_signs_in_with_it() {
    let fed = federation().await;
    fed.server.resident("camille@lyon.fr").await;
    let browser = Browser::new(&fed.server);
    let home = account_home(&fed.server, &browser, "camille@lyon.fr").await;
    assert!(home.html().contains("Lier mon compte à FranceConnect") || home.html().contains("Liez votre compte"));
    let fc_page = to_franceconnect(&browser, &home).await;
    let linked = choose(&fed, &browser, &fc_page, "0").await;
    assert!(linked.html().contains("Votre compte est maintenant lié à FranceConnect."), "{linked:?}");
    assert!(linked.html().contains("Identité certifiée par FranceConnect") && linked.html().contains("DUBOIS"));
    assert!(!linked.html().contains("id=\"given_name\""), "certified names are not editable");
    assert!(fed.server.mails_to("camille@lyon.fr").iter().any(|m| m.subject.contains("FranceConnect")));
    let export: serde_json::Value = browser.raw_get(&fed.server.url("/account/export")).await.json().await.unwrap();
    assert_eq!(export["franceconnect"]["family_name"], "DUBOIS", "the export holds what FC certified: {export}");
    assert_eq!(export["franceconnect"]["acr"], "eidas1");

    // Editing the profile keeps the certified names whatever is posted.
    let saved = browser
        .submit_to(
            &linked,
            "/account/profile",
            &[("given_name", "Usurpée"), ("family_name", "AUTRE"), ("usage_name", "Cam")],
        )
        .await;
    assert!(saved.html().contains("DUBOIS") && !saved.html().contains("Usurpée"), "{}", saved.html());

    // FranceConnect now signs this very account in.
    let other = Browser::new(&fed.server);
    let page = other.open(&fed.server.url("/account")).await;
    let fc_page = to_franceconnect(&other, &page).await;
    let home = choose(&fed, &other, &fc_page, "0").await;
    assert!(home.html().contains("camille@lyon.fr"), "{home:?}");
    assert_eq!(user_count(&fed.server).await, 1);
}

#[tokio::test]
async fn a_link_needs_a_signed_in_account_and_an_identity_nobody_else_has() {
    let fed = federation().await;
    // Angela's identity made its own account first.
    service_login(&fed, "0").await;
    fed.server.resident("camille@lyon.fr").await;
    let browser = Browser::new(&fed.server);
    let home = account_home(&fed.server, &browser, "camille@lyon.fr").await;
    let fc_page = to_franceconnect(&browser, &home).await;
    let refused = choose(&fed, &browser, &fc_page, "0").await;
    assert_eq!(refused.status(), 409);
    assert!(refused.html().contains("déjà liée à un autre compte"), "{refused:?}");

    // Without a session, a "link" is no link: the browser is sent to sign in.
    let stranger = Browser::new(&fed.server);
    let page = stranger.open(&fed.server.url("/account")).await;
    let csrf = crate::support::form_field(page.html(), "/account/login", "csrf");
    let url = fed.server.url("/franceconnect/login");
    let landing = stranger.post_form(&url, &[("csrf", &csrf), ("back", "link")]).await;
    assert!(landing.html().contains("name=\"password\""), "{landing:?}");
}

#[tokio::test]
async fn unlinking_needs_another_way_in_and_ends_the_certification() {
    let fed = federation().await;
    let browser = Browser::new(&fed.server);
    let page = browser.open(&fed.server.url("/account")).await;
    let fc_page = to_franceconnect(&browser, &page).await;
    let home = choose(&fed, &browser, &fc_page, "0").await;
    assert!(home.html().contains("Délier FranceConnect"), "{home:?}");
    let refused = browser.submit_to(&home, "/account/franceconnect/unlink", &[]).await;
    assert!(refused.html().contains("ajoutez d’abord un mot de passe"), "{}", refused.html());

    // A first password (no current one to give), then the unlink.
    let with_password =
        browser.submit_to(&refused, "/account/password", &[("new_password", "une phrase de passe solide")]).await;
    assert!(with_password.html().contains("Délier FranceConnect"), "{with_password:?}");
    let unlinked = browser.submit_to(&with_password, "/account/franceconnect/unlink", &[]).await;
    assert!(unlinked.html().contains("FranceConnect a été délié"), "{}", unlinked.html());
    assert!(!unlinked.html().contains("Identité certifiée par FranceConnect"));
    assert!(unlinked.html().contains("id=\"given_name\""), "the names are the resident's again");
    let db = &fed.server.provider.db;
    let user = glc::store::users::find_by_email(db, "angela.dubois@example.fr").await.unwrap().unwrap();
    assert!(glc::store::federation::certified_of(db, &user.id).await.unwrap().is_none());
    assert_eq!(user.given_name.as_deref(), Some("Angela Claire Louise"), "the values stay, uncertified");

    // Lucas shares Angela's address: now that Angela signs in with it, his account cannot.
    let lucas = Browser::new(&fed.server);
    let page = lucas.open(&fed.server.url("/account")).await;
    let fc_page = to_franceconnect(&lucas, &page).await;
    let home = choose(&fed, &lucas, &fc_page, "3").await;
    let taken = lucas.submit_to(&home, "/account/password", &[("new_password", "une autre phrase solide")]).await;
    assert!(taken.html().contains("Un autre compte se connecte déjà avec votre adresse"), "{}", taken.html());
}

#[tokio::test]
async fn a_service_asking_for_eidas1_sends_a_password_session_through_franceconnect() {
    let fed = federation().await;
    let server = &fed.server;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    // Camille links Angela's identity (her own), then signs in to a service with her password.
    let browser = Browser::new(server);
    let home = account_home(server, &browser, "camille@lyon.fr").await;
    let fc_page = to_franceconnect(&browser, &home).await;
    choose(&fed, &browser, &fc_page, "0").await;
    let (id_token, _) = {
        let landing = browser.open(&server.authorize_url(&client, &[])).await;
        let landing =
            if landing.is_consent_page() { browser.submit(&landing, &[("decision", "allow")]).await } else { landing };
        let callback = landing.callback();
        let (_, tokens) = server.redeem(&client, &callback["code"], &[]).await;
        (jwt_claims(tokens["id_token"].as_str().unwrap()), tokens)
    };
    assert_eq!(id_token["acr"], "glc:basic");

    // Silently: FranceConnect is needed, so no answer without interaction.
    let silent = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas1"), ("prompt", "none")])).await;
    assert_eq!(silent.callback()["error"], "interaction_required");
    // Interactively: the login page offers FranceConnect alone, which lifts the session.
    let login = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas1")])).await;
    assert!(login.html().contains("Ce service demande que vous vous identifiiez avec FranceConnect"), "{login:?}");
    assert!(!login.html().contains("name=\"password\""), "FranceConnect is the way in");
    let fc_page = to_franceconnect(&browser, &login).await;
    let landing = choose(&fed, &browser, &fc_page, "0").await;
    let landing =
        if landing.is_consent_page() { browser.submit(&landing, &[("decision", "allow")]).await } else { landing };
    let callback = landing.callback();
    let (_, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    let stepped_up = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(stepped_up["acr"], "eidas1");
    assert_eq!(stepped_up["sub"], id_token["sub"], "the same resident, now FranceConnected");
    // Next time the session is enough.
    let again = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas1"), ("prompt", "none")])).await;
    assert!(again.callback().contains_key("code"));
}

#[tokio::test]
async fn a_service_receives_the_verified_claims_it_asked_for_and_nothing_else() {
    let fed = federation().await;
    let server = &fed.server;
    let client = server.web_client().await;
    let request = serde_json::json!({
        "userinfo": { "verified_claims": {
            "verification": { "trust_framework": null },
            "claims": { "given_name": null, "family_name": null, "birthdate": null },
        } },
        "id_token": { "verified_claims": {
            "verification": { "trust_framework": { "value": "eidas" } },
            "claims": { "family_name": null },
        } },
    })
    .to_string();
    let browser = Browser::new(server);
    let login = browser.open(&server.authorize_url(&client, &[("scope", "openid"), ("claims", &request)])).await;
    let fc_page = to_franceconnect(&browser, &login).await;
    let consent = choose(&fed, &browser, &fc_page, "0").await;
    assert!(consent.is_consent_page(), "{consent:?}");
    let callback = browser.submit(&consent, &[("decision", "allow")]).await.callback();
    let (_, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["verified_claims"]["claims"], serde_json::json!({ "family_name": "DUBOIS" }));
    let (_, userinfo) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    let verified = &userinfo["verified_claims"];
    assert_eq!(verified["verification"]["trust_framework"], "eidas");
    assert_eq!(verified["verification"]["assurance_level"], "low");
    assert_eq!(verified["verification"]["evidence"][0]["record"]["source"]["name"], "FranceConnect");
    assert!(verified["verification"]["time"].as_str().unwrap().contains('T'), "RFC 3339");
    assert_eq!(
        verified["claims"],
        serde_json::json!({ "given_name": "Angela Claire Louise", "family_name": "DUBOIS", "birthdate": "1962-08-24" })
    );
    assert!(userinfo.get("given_name").is_none() && userinfo.get("gender").is_none(), "nothing else: {userinfo}");

    let discovery: serde_json::Value =
        reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["verified_claims_supported"], true);
    assert_eq!(discovery["trust_frameworks_supported"], serde_json::json!(["eidas"]));

    // A resident FranceConnect never vouched for gets no verified claims.
    server.resident("camille@lyon.fr").await;
    let browser = Browser::new(server);
    let login = browser.open(&server.authorize_url(&client, &[("scope", "openid"), ("claims", &request)])).await;
    let consent = browser.login(&login, "camille@lyon.fr", PASSWORD).await;
    let callback = browser.submit(&consent, &[("decision", "allow")]).await.callback();
    let (_, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    let (_, userinfo) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert!(userinfo.get("verified_claims").is_none(), "{userinfo}");
}

#[tokio::test]
async fn logging_out_of_a_franceconnect_session_ends_it_at_franceconnect_too_then_returns_to_the_service() {
    let fed = federation().await;
    let server = &fed.server;
    let post_logout = "http://127.0.0.1:1/post_logout_redirect";
    let client = server
        .register(glc::oauth::client::ClientSpec {
            post_logout_redirect_uris: vec![post_logout.into()],
            ..TestServer::web_spec("Portail")
        })
        .await;
    for drop_state in [false, true] {
        fed.fc.misbehave(if drop_state { Misbehaviour::DropLogoutState } else { Misbehaviour::None });
        let browser = Browser::new(server);
        let login = browser.open(&server.authorize_url(&client, &[])).await;
        let fc_page = to_franceconnect(&browser, &login).await;
        let consent = choose(&fed, &browser, &fc_page, "0").await;
        let landing =
            if consent.is_consent_page() { browser.submit(&consent, &[("decision", "allow")]).await } else { consent };
        let (_, tokens) = server.redeem(&client, &landing.callback()["code"], &[]).await;
        let hint = tokens["id_token"].as_str().unwrap();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("id_token_hint", hint), ("post_logout_redirect_uri", post_logout), ("state", "bye")])
            .finish();
        let Landing::Redirect(to_fc) = browser.open(&server.url(&format!("/end_session?{query}"))).await else {
            panic!("our logout goes through FranceConnect's");
        };
        assert!(to_fc.as_str().starts_with(&format!("{}/session/end", fed.fc_issuer)), "{to_fc}");
        let pairs: HashMap<String, String> = to_fc.query_pairs().into_owned().collect();
        assert!(pairs.contains_key("id_token_hint") && pairs.contains_key("state"));
        assert_eq!(pairs["post_logout_redirect_uri"], format!("{}/franceconnect/logged-out", server.issuer()));
        // FranceConnect sends the browser back; our logout finishes at the service.
        let back = browser.open(to_fc.as_str()).await;
        let Landing::Redirect(done) = back else { panic!("back to the service, got {back:?}") };
        assert!(done.as_str().starts_with(post_logout), "{done}");
        assert!(done.as_str().contains("state=bye"), "drop_state={drop_state}: {done}");
        // Signed out here.
        let page = browser.open(&server.url("/account")).await;
        assert!(page.html().contains("name=\"password\""), "drop_state={drop_state}");
    }
}

#[tokio::test]
async fn a_franceconnect_outage_shows_a_banner_instead_of_the_button_until_it_answers_again() {
    let fed = federation().await;
    fed.fc.misbehave(Misbehaviour::TokenEndpointDown);
    for _ in 0..3 {
        let browser = Browser::new(&fed.server);
        let page = browser.open(&fed.server.url("/account")).await;
        let fc_page = to_franceconnect(&browser, &page).await;
        assert_eq!(choose(&fed, &browser, &fc_page, "0").await.status(), 502);
    }
    let browser = Browser::new(&fed.server);
    let page = browser.open(&fed.server.url("/account")).await;
    assert!(page.html().contains("FranceConnect rencontre des difficultés"), "{}", page.html());
    assert!(!page.html().contains("S’identifier avec"), "no button to fail at");
    assert!(page.html().contains("name=\"password\""), "the other ways stay");
    // Refused answers are not an outage, and the window ends: the button is back.
    fed.fc.misbehave(Misbehaviour::None);
    fed.server.clock.advance(301);
    let page = browser.open(&fed.server.url("/account")).await;
    assert!(page.html().contains("S’identifier avec"), "{}", page.html());
}

#[tokio::test]
async fn signing_out_everywhere_from_a_franceconnect_session_ends_it_at_franceconnect_too() {
    let fed = federation().await;
    let browser = Browser::new(&fed.server);
    let page = browser.open(&fed.server.url("/account")).await;
    let fc_page = to_franceconnect(&browser, &page).await;
    let home = choose(&fed, &browser, &fc_page, "0").await;
    let Landing::Redirect(to_fc) = browser.submit_to(&home, "/account/sign-out-everywhere", &[]).await else {
        panic!("through FranceConnect's logout");
    };
    assert!(to_fc.as_str().starts_with(&format!("{}/session/end", fed.fc_issuer)), "{to_fc}");
    let back = browser.open(to_fc.as_str()).await;
    assert!(back.html().contains("Vous êtes déconnecté de tous vos appareils"), "{back:?}");
    let page = browser.open(&fed.server.url("/account")).await;
    assert!(page.html().contains("name=\"password\""));
}
