//! FranceConnect+ (eIDAS substantial and high) as a second upstream, against the stand-in in
//! its FC+ mode: answers encrypted to the key we publish, ES256 only, eidas2/eidas3, a level that
//! lasts 10 minutes, and its own logout.

use std::collections::HashMap;

use glc::federation::standin::Misbehaviour;

use crate::franceconnect::{Federation, choose, federation_with, to_franceconnect, user_count};
use crate::support::{Browser, Landing, TestClient, jwt_claims};

/// From a login page asking for FranceConnect+'s level to the FC+ stand-in's page.
async fn to_franceconnect_plus(fed: &Federation, browser: &Browser, page: &Landing) -> Landing {
    let html = page.html();
    assert!(html.contains("fr-connect--plus") && html.contains("Qu’est-ce que FranceConnect+ ?"), "{html}");
    assert!(html.contains("vous identifiiez avec FranceConnect+"), "the service asks for FC+: {html}");
    assert!(!html.contains("name=\"password\""), "FranceConnect+ is the only way in");
    let Landing::Redirect(url) = browser.submit_to(page, "/franceconnect/login", &[]).await else {
        panic!("the button leads to FranceConnect+")
    };
    assert!(url.as_str().starts_with(&fed.plus_issuer), "{url}");
    let fc_page = browser.open(url.as_str()).await;
    assert!(fc_page.html().contains("ce n'est pas FranceConnect+"), "the stand-in says what it is");
    fc_page
}

/// Picks `choice` on the FC+ stand-in's page.
async fn choose_plus(fed: &Federation, browser: &Browser, fc_page: &Landing, choice: &str) -> Landing {
    let (_, mut fields) = crate::support::parse_form(fc_page.html());
    fields.insert("identity".into(), choice.into());
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post_form(&format!("{}/authorize/choose", fed.plus_issuer), &form).await
}

/// Consents if asked, then redeems the code: the ID token's claims and the raw ID token.
async fn finish(
    fed: &Federation,
    browser: &Browser,
    client: &TestClient,
    landing: Landing,
) -> (serde_json::Value, String) {
    let landing =
        if landing.is_consent_page() { browser.submit(&landing, &[("decision", "allow")]).await } else { landing };
    let callback = landing.callback();
    assert!(callback.contains_key("code"), "{callback:?}");
    let (status, tokens) = fed.server.redeem(client, &callback["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
    let raw = tokens["id_token"].as_str().unwrap().to_owned();
    (jwt_claims(&raw), raw)
}

#[tokio::test]
async fn a_service_asking_for_eidas2_or_eidas3_is_served_through_franceconnect_plus_with_encrypted_answers() {
    for alg in ["RSA-OAEP-256", "ECDH-ES"] {
        let fed = federation_with(Some(alg)).await;
        let server = &fed.server;
        let client = server.web_client().await;
        let browser = Browser::new(server);
        let login = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas2")])).await;
        let fc_page = to_franceconnect_plus(&fed, &browser, &login).await;
        let landing = choose_plus(&fed, &browser, &fc_page, "0").await;
        let (id_token, _) = finish(&fed, &browser, &client, landing).await;
        assert_eq!(id_token["acr"], "eidas2", "{alg}");
        assert_eq!(id_token["amr"], serde_json::json!(["fc"]));
        let db = &server.provider.db;
        let users = glc::store::users::list(db, 10, 0).await.unwrap();
        assert_eq!(users.len(), 1);
        let certified = glc::store::federation::certified_of(db, &users[0].id).await.unwrap().unwrap();
        assert_eq!((certified.platform.as_str(), certified.acr.as_str()), ("fcplus", "eidas2"), "its provenance");
        assert_eq!(certified.family_name, "DUBOIS");
        assert_eq!(glc::store::federation::linked_platforms(db, &users[0].id).await.unwrap(), ["fcplus"]);

        // eidas3 is asked of FranceConnect+ as such, and the session answers eidas2 no more.
        let login = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas3")])).await;
        let Landing::Redirect(url) = browser.submit_to(&login, "/franceconnect/login", &[]).await else {
            panic!("to FranceConnect+")
        };
        let asked: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(asked["acr_values"], "eidas3");
        let fc_page = browser.open(url.as_str()).await;
        let landing = choose_plus(&fed, &browser, &fc_page, "0").await;
        let (id_token, _) = finish(&fed, &browser, &client, landing).await;
        assert_eq!(id_token["acr"], "eidas3", "{alg}");
        assert_eq!(user_count(server).await, 1, "the same account");

        // What FranceConnect+ certified goes downstream with its own level and source.
        let request = serde_json::json!({ "id_token": { "verified_claims": {
            "verification": { "trust_framework": null }, "claims": { "family_name": null },
        } } })
        .to_string();
        let url = server.authorize_url(&client, &[("acr_values", "eidas3"), ("claims", &request)]);
        let landing = browser.open(&url).await;
        let (id_token, _) = finish(&fed, &browser, &client, landing).await;
        let verification = &id_token["verified_claims"]["verification"];
        assert_eq!(verification["assurance_level"], "high", "{id_token}");
        assert_eq!(verification["evidence"][0]["record"]["source"]["name"], "FranceConnect+");
        assert_eq!(id_token["verified_claims"]["claims"]["family_name"], "DUBOIS");
    }
}

#[tokio::test]
async fn discovery_and_jwks_say_what_franceconnect_plus_needs() {
    let fed = federation_with(Some("RSA-OAEP-256")).await;
    let discovery: serde_json::Value =
        reqwest::get(fed.server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    let acrs: Vec<&str> =
        discovery["acr_values_supported"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(acrs.ends_with(&["eidas1", "eidas2", "eidas3"]), "{acrs:?}");
    let jwks: serde_json::Value = reqwest::get(fed.server.url("/jwks")).await.unwrap().json().await.unwrap();
    let encryption: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["use"] == "enc")
        .filter_map(|k| k["alg"].as_str())
        .collect();
    assert_eq!(encryption, ["RSA-OAEP-256", "ECDH-ES"]);
}

#[tokio::test]
async fn franceconnect_plus_answers_unencrypted_or_signed_otherwise_than_es256_are_refused() {
    let fed = federation_with(Some("RSA-OAEP-256")).await;
    let plus = fed.plus.as_ref().unwrap();
    let client = fed.server.web_client().await;
    for fault in
        [Misbehaviour::Unencrypted, Misbehaviour::Rs256, Misbehaviour::ForgedSignature, Misbehaviour::WrongNonce]
    {
        plus.misbehave(fault);
        let browser = Browser::new(&fed.server);
        let login = browser.open(&fed.server.authorize_url(&client, &[("acr_values", "eidas2")])).await;
        let fc_page = to_franceconnect_plus(&fed, &browser, &login).await;
        let landing = choose_plus(&fed, &browser, &fc_page, "0").await;
        assert_eq!(landing.status(), 400, "{fault:?}: {}", landing.html());
        assert!(landing.html().contains("Référence de l’erreur"), "{fault:?}");
    }
    assert_eq!(user_count(&fed.server).await, 0, "nobody signed in");
}

#[tokio::test]
async fn the_franceconnect_plus_level_vouches_for_ten_minutes_then_asks_again() {
    let fed = federation_with(Some("ECDH-ES")).await;
    let server = &fed.server;
    let client = server.web_client().await;
    let browser = Browser::new(server);
    let landing = plus_login(&fed, &browser, &client, "0").await;
    finish(&fed, &browser, &client, landing).await;
    // Within 10 minutes, the session is enough.
    server.clock.advance(9 * 60);
    let again = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas2"), ("prompt", "none")])).await;
    assert!(again.callback().contains_key("code"), "{again:?}");
    // After, FranceConnect+ is asked again; a lower level still rides on the session.
    server.clock.advance(2 * 60);
    let late = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas2"), ("prompt", "none")])).await;
    assert_eq!(late.callback()["error"], "interaction_required");
    let lower = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas1"), ("prompt", "none")])).await;
    assert!(lower.callback().contains_key("code"), "{lower:?}");
    let login = browser.open(&server.authorize_url(&client, &[("acr_values", "eidas2")])).await;
    to_franceconnect_plus(&fed, &browser, &login).await;
}

#[tokio::test]
async fn logging_out_of_a_franceconnect_plus_session_ends_it_at_franceconnect_plus() {
    let fed = federation_with(Some("RSA-OAEP-256")).await;
    let server = &fed.server;
    let client = server.web_client().await;
    let browser = Browser::new(server);
    let landing = plus_login(&fed, &browser, &client, "0").await;
    let (_, hint) = finish(&fed, &browser, &client, landing).await;
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs([("id_token_hint", hint)]).finish();
    let Landing::Redirect(to_fc) = browser.open(&server.url(&format!("/end_session?{query}"))).await else {
        panic!("our logout goes through FranceConnect+'s");
    };
    assert!(to_fc.as_str().starts_with(&format!("{}/session/end", fed.plus_issuer)), "{to_fc}");
    // The stand-in accepts the hint (the signed ID token inside the encrypted one) and returns.
    let back = browser.open(to_fc.as_str()).await;
    assert!(matches!(back, Landing::Redirect(_)) || back.status() == 200, "{back:?}");
    assert!(!back.html().contains("id_token_hint invalide"), "{back:?}");
    let page = browser.open(&server.url("/account")).await;
    assert!(page.html().contains("name=\"password\""), "signed out");
}

/// Angela's account, made by a FranceConnect login (certified by FC); returns its id.
async fn franceconnect_account(fed: &Federation, index: &str) -> String {
    let browser = Browser::new(&fed.server);
    let page = browser.open(&fed.server.url("/account")).await;
    let fc_page = to_franceconnect(&browser, &page).await;
    choose(fed, &browser, &fc_page, index).await;
    let db = &fed.server.provider.db;
    let users = glc::store::users::list(db, 100, 0).await.unwrap();
    let mut linked = Vec::new();
    for user in users {
        if glc::store::federation::linked_platforms(db, &user.id).await.unwrap() == ["fc"] {
            linked.push(user.id);
        }
    }
    linked.pop().unwrap()
}

/// A service asking for eidas2, and FranceConnect+ vouching for identity `index`: where the
/// browser lands back with us.
async fn plus_login(fed: &Federation, browser: &Browser, client: &TestClient, index: &str) -> Landing {
    let login = browser.open(&fed.server.authorize_url(client, &[("acr_values", "eidas2")])).await;
    let fc_page = to_franceconnect_plus(fed, browser, &login).await;
    choose_plus(fed, browser, &fc_page, index).await
}

#[tokio::test]
async fn a_first_franceconnect_plus_login_matching_a_certified_account_links_it_only_with_the_residents_proof() {
    let fed = federation_with(Some("RSA-OAEP-256")).await;
    let server = &fed.server;
    let angela = franceconnect_account(&fed, "0").await;
    let client = server.web_client().await;

    // FranceConnect+'s RNIPP identity is Angela's: we ask, we do not link.
    let browser = Browser::new(server);
    let offer = plus_login(&fed, &browser, &client, "0").await;
    assert!(offer.html().contains("Vous avez peut-être déjà un compte"), "{offer:?}");
    assert_eq!(glc::store::federation::linked_platforms(&server.provider.db, &angela).await.unwrap(), ["fc"]);
    // She proves it through FranceConnect: FC+ joins her account, and the service gets her.
    let fc_page = to_franceconnect(&browser, &offer).await;
    let landing = choose(&fed, &browser, &fc_page, "0").await;
    let (id_token, _) = finish(&fed, &browser, &client, landing).await;
    assert_eq!(id_token["acr"], "eidas2", "the level FranceConnect+ vouched for");
    assert_eq!(user_count(server).await, 1, "no second account");
    let db = &server.provider.db;
    assert_eq!(glc::store::federation::linked_platforms(db, &angela).await.unwrap(), ["fc", "fcplus"]);
    let certified = glc::store::federation::certified_of(db, &angela).await.unwrap().unwrap();
    assert_eq!(certified.platform, "fcplus", "the latest certification, with its provenance");
    // Next time FranceConnect+ finds her directly.
    let browser = Browser::new(server);
    let landing = plus_login(&fed, &browser, &client, "0").await;
    let (again, _) = finish(&fed, &browser, &client, landing).await;
    assert_eq!(again["sub"], id_token["sub"]);
}

#[tokio::test]
async fn a_franceconnect_plus_match_can_stay_a_separate_account_and_a_wrong_proof_links_nothing() {
    let fed = federation_with(Some("ECDH-ES")).await;
    let server = &fed.server;
    let angela = franceconnect_account(&fed, "0").await;
    let karim = franceconnect_account(&fed, "1").await;
    let client = server.web_client().await;
    let db = &server.provider.db;

    // Proving with another FranceConnect identity (Karim's account) links nothing.
    let browser = Browser::new(server);
    let offer = plus_login(&fed, &browser, &client, "0").await;
    let fc_page = to_franceconnect(&browser, &offer).await;
    let refused = choose(&fed, &browser, &fc_page, "1").await;
    assert_eq!(refused.status(), 400, "{refused:?}");
    assert!(refused.html().contains("rien n’a été relié"), "{}", refused.html());
    for user in [&angela, &karim] {
        assert_eq!(glc::store::federation::linked_platforms(db, user).await.unwrap(), ["fc"]);
    }

    // Choosing a separate account: a new one, FranceConnect+ only.
    let browser = Browser::new(server);
    let offer = plus_login(&fed, &browser, &client, "0").await;
    let landing = browser.submit_to(&offer, "/franceconnect/separate", &[]).await;
    let (id_token, _) = finish(&fed, &browser, &client, landing).await;
    assert_eq!(id_token["acr"], "eidas2");
    assert_eq!(user_count(server).await, 3);
    assert_eq!(glc::store::federation::linked_platforms(db, &angela).await.unwrap(), ["fc"]);
    // The held identity was used once: the same form again finds nothing.
    let replay = browser.submit_to(&offer, "/franceconnect/separate", &[]).await;
    assert_eq!(replay.status(), 400, "{replay:?}");
    assert_eq!(user_count(server).await, 3);
}

#[tokio::test]
async fn a_resident_signed_in_to_the_matching_account_has_franceconnect_plus_linked_at_once() {
    let fed = federation_with(Some("RSA-OAEP-256")).await;
    let server = &fed.server;
    let client = server.web_client().await;
    // Signed in through FranceConnect in this browser, then a service asks for eidas2.
    let browser = Browser::new(server);
    let page = browser.open(&server.url("/account")).await;
    let fc_page = to_franceconnect(&browser, &page).await;
    let home = choose(&fed, &browser, &fc_page, "0").await;
    assert!(home.html().contains("FranceConnect+"), "the account page offers FranceConnect+ too: {home:?}");
    let landing = plus_login(&fed, &browser, &client, "0").await;
    assert!(!landing.html().contains("Vous avez peut-être déjà un compte"), "no question: {landing:?}");
    let (id_token, _) = finish(&fed, &browser, &client, landing).await;
    assert_eq!(id_token["acr"], "eidas2");
    assert_eq!(user_count(server).await, 1);
    let home = browser.open(&server.url("/account")).await;
    assert!(home.html().contains("Identité certifiée par FranceConnect+"), "{home:?}");
}
