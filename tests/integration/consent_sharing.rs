//! Consent beyond one service: a partner's services declared as one purpose share one consent;
//! a resident may let one partner know they are the same person as at another; every decision
//! lands in the audit journal, whose chain shows tampering, and administrators see counts,
//! never residents.

use glc::audit::Actor;
use glc::consent::groups::GroupDeclaration;
use glc::oauth::client::ClientSpec;
use glc::oauth::scope::Scopes;
use glc::store::journal::JournalRow;

use crate::support::{Browser, Landing, PASSWORD, TestClient, TestServer};

async fn journal(server: &TestServer) -> Vec<JournalRow> {
    glc::store::journal::page(&server.provider.db, 0, 10_000).await.unwrap()
}

async fn bron_client(server: &TestServer, bron: &str, name: &str, scopes: &str) -> TestClient {
    server
        .register(ClientSpec {
            partner_id: Some(bron.to_owned()),
            scopes: Some(Scopes::parse(scopes).unwrap()),
            ..TestServer::web_spec(name)
        })
        .await
}

#[tokio::test]
async fn services_declared_as_one_purpose_share_one_consent_given_and_withdrawn_once() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let bron = server.commune("Bron").await;
    let cantine = bron_client(&server, &bron, "Cantine", "openid profile email").await;
    let loisirs = bron_client(&server, &bron, "Centre de loisirs", "openid profile").await;
    let other = bron_client(&server, &bron, "Médiathèque", "openid profile").await;
    let db = &server.provider.db;
    let members = vec![cantine.id.clone(), loisirs.id.clone()];
    let purpose = "Inscrire vos enfants aux activités périscolaires";
    let declared = GroupDeclaration { id: "enfance", name: "Enfance", purpose, members: &members };
    glc::consent::groups::declare(db, &bron, declared.clone(), server.provider.now()).await.unwrap();
    // A group is the partner's own services, two at least.
    let lyon = server.commune("Lyon").await;
    assert!(glc::consent::groups::declare(db, &lyon, declared.clone(), 0).await.is_err(), "not Lyon's services");
    let alone = [cantine.id.clone()];
    let one = GroupDeclaration { members: &alone, ..declared.clone() };
    assert!(glc::consent::groups::declare(db, &bron, one, 0).await.is_err());

    let browser = Browser::new(&server);
    let login = browser.open(&server.authorize_url(&cantine, &[("scope", "openid profile email")])).await;
    let consent = browser.login(&login, "camille@lyon.fr", PASSWORD).await;
    assert!(consent.is_consent_page());
    let html = consent.html();
    assert!(html.contains(purpose), "the group's purpose");
    assert!(html.contains("Enfance") && html.contains("Centre de loisirs"), "the other services are named");
    assert!(!html.contains("Médiathèque"));
    browser.submit(&consent, &[("decision", "allow")]).await;

    // The other service of the group asks nothing; a service outside it does.
    let loisirs_landing = browser.open(&server.authorize_url(&loisirs, &[("scope", "openid profile")])).await;
    assert!(matches!(loisirs_landing, Landing::Redirect(_)), "covered by the group's consent: {loisirs_landing:?}");
    let other_landing = browser.open(&server.authorize_url(&other, &[("scope", "openid profile")])).await;
    assert!(other_landing.is_consent_page());

    // Withdrawn from one, withdrawn from both (it was one consent), each journaled.
    let camille = glc::store::users::find_by_email(db, "camille@lyon.fr").await.unwrap().unwrap();
    let withdrawn = glc::oauth::withdrawal::withdraw_consent(
        &server.provider,
        Actor::Resident(&camille.id),
        &camille.id,
        &loisirs.id,
    )
    .await
    .unwrap();
    assert!(withdrawn.consent);
    assert!(glc::store::consent_items::of_user(db, &camille.id).await.unwrap().is_empty());
    let again = browser.open(&server.authorize_url(&cantine, &[("scope", "openid profile")])).await;
    assert!(again.is_consent_page(), "asked again after the withdrawal");
    let entries = journal(&server).await;
    let given: Vec<_> = entries.iter().filter(|e| e.action == "consent.given").collect();
    assert_eq!(given.len(), 2, "one consent, recorded for each service of the group");
    let withdrawals: Vec<_> = entries.iter().filter(|e| e.action == "consent.withdrawn").collect();
    assert_eq!(withdrawals.len(), 2);
}

#[tokio::test]
async fn a_resident_may_let_a_commune_know_them_as_at_the_metropole_and_withdraw_it() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let bron = server.commune("Bron").await;
    let metropole = glc::partners::METROPOLE_ID;
    // A Métropole service, pairwise: the identifier it knows Camille by.
    let procedure = server.register(TestServer::web_spec("Aides au logement")).await;
    let metropole_tokens = server.tokens(&Browser::new(&server), &procedure, &[("scope", "openid")]).await;
    let (_, metropole_info) = server.userinfo(metropole_tokens["access_token"].as_str().unwrap()).await;
    let sub_at_metropole = metropole_info["sub"].as_str().unwrap().to_owned();

    let scope = format!("openid profile link:{metropole}");
    let continuation = bron_client(&server, &bron, "Suivi de votre demande", &scope).await;
    // Undeclared by Bron: refused.
    let refused = Browser::new(&server).open(&server.authorize_url(&continuation, &[("scope", &scope)])).await;
    assert_eq!(refused.callback()["error"], "invalid_scope", "{refused:?}");
    let purpose = "Poursuivre à Bron la demande d’aide commencée auprès de la Métropole";
    let db = &server.provider.db;
    assert!(glc::consent::links::declare(db, &bron, &bron, purpose, 0).await.is_err(), "not with itself");
    glc::consent::links::declare(db, &bron, metropole, purpose, server.provider.now()).await.unwrap();

    let browser = Browser::new(&server);
    let login = browser.open(&server.authorize_url(&continuation, &[("scope", &scope)])).await;
    let consent = browser.login(&login, "camille@lyon.fr", PASSWORD).await;
    let html = consent.html();
    assert!(html.contains("Le fait que vous êtes la même personne que chez Métropole de Lyon"), "{html}");
    assert!(html.contains(purpose));
    assert!(html.contains(&format!("name=\"grant:link:{metropole}\"")), "never essential: it can be unticked");

    // Unticked: Bron learns nothing.
    let landing =
        browser.submit_unticking(&consent, &[("decision", "allow")], &[&format!("grant:link:{metropole}")]).await;
    let (_, tokens) = server.redeem(&continuation, &landing.callback()["code"], &[]).await;
    let (_, info) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert!(info.get("linked_subjects").is_none(), "{info}");
    assert_ne!(info["sub"], sub_at_metropole.as_str(), "pairwise: unrelated identifiers");

    // Granted: Bron receives the identifier the Métropole's services know Camille by.
    let fresh = Browser::new(&server);
    let login = fresh.open(&server.authorize_url(&continuation, &[("scope", &scope), ("prompt", "consent")])).await;
    let consent = fresh.login(&login, "camille@lyon.fr", PASSWORD).await;
    let landing = fresh.submit(&consent, &[("decision", "allow")]).await;
    let (_, tokens) = server.redeem(&continuation, &landing.callback()["code"], &[]).await;
    let (_, info) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info["linked_subjects"][metropole], sub_at_metropole.as_str(), "{info}");

    // On "Mes autorisations", named in words; withdrawn, the link is no longer released.
    let page = fresh.open(&server.url("/account/authorizations")).await;
    assert!(page.html().contains("la même personne que chez Métropole de Lyon"));
    let camille = glc::store::users::find_by_email(db, "camille@lyon.fr").await.unwrap().unwrap();
    let item = format!("link:{metropole}");
    glc::oauth::withdrawal::withdraw_piece(
        &server.provider,
        Actor::Resident(&camille.id),
        &camille.id,
        &continuation.id,
        &item,
    )
    .await
    .unwrap();
    let (status, info) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert!(status != 200 || info.get("linked_subjects").is_none(), "{info}");
    let last = journal(&server).await.into_iter().rev().find(|e| e.action == "consent.withdrawn").unwrap();
    assert!(last.details.contains(&item), "{last:?}");
}

#[tokio::test]
async fn every_consent_event_is_journaled_pseudonymously_counted_and_the_chain_shows_tampering() {
    let server = TestServer::start().await;
    let camille = server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    // A refusal, then a grant with one piece unticked.
    let login = browser.open(&server.authorize_url(&client, &[("scope", "openid profile email offline_access")])).await;
    let consent = browser.login(&login, "camille@lyon.fr", PASSWORD).await;
    let denied = browser.submit(&consent, &[("decision", "deny")]).await;
    assert_eq!(denied.callback()["error"], "access_denied");
    let consent =
        browser.open(&server.authorize_url(&client, &[("scope", "openid profile email offline_access")])).await;
    let landing = browser.submit_unticking(&consent, &[("decision", "allow")], &["grant:email"]).await;
    let (_, tokens) = server.redeem(&client, &landing.callback()["code"], &[]).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // The consent expires: the daily sweep clears it, journals it, and the refresh stops.
    server.clock.advance(server.provider.config.lifetimes.consent + 1);
    assert_eq!(glc::oauth::withdrawal::expire(&server.provider).await.unwrap(), 1);
    let (status, body) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")), "{body}");

    let entries = journal(&server).await;
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["consent.refused", "consent.given", "consent.expired"]);
    let given = &entries[1];
    assert!(given.details.contains("\"refused\":[\"email\"]"), "{given:?}");
    assert_eq!(given.client_id.as_deref(), Some(client.id.as_str()));
    // Residents appear under a pseudonym, never their account id or email.
    let pseudonym = given.subject.clone().unwrap();
    assert!(entries.iter().all(|e| e.subject.as_deref() == Some(pseudonym.as_str())));
    let everything = serde_json::to_string(&entries).unwrap();
    assert!(!everything.contains(&camille.id) && !everything.contains("camille@lyon.fr"));
    assert_eq!(entries[2].actor, "system");

    // Statistics: counts and rates per service and partner.
    let stats = glc::consent::statistics::compute(&server.provider.db, None, 0, server.provider.now()).await.unwrap();
    let figures = &stats.clients.iter().find(|c| c.client_id == client.id).unwrap().figures;
    assert_eq!((figures.given, figures.refused, figures.expired, figures.live_consents), (1, 1, 1, 0));
    assert_eq!(figures.acceptance_rate, Some(0.5));
    let partner = stats.partners.iter().find(|p| p.partner_id == glc::partners::METROPOLE_ID).unwrap();
    assert_eq!(partner.figures.given, 1);

    // The chain holds; a row changed behind the journal's back is found.
    assert_eq!(glc::audit::verify(&server.provider.db).await.unwrap(), Ok(3));
    const TAMPER: &str = "UPDATE audit_journal SET action = 'consent.given' WHERE seq = 1";
    let changed = match &server.provider.db {
        glc::store::Db::Sqlite(pool) => sqlx::query(TAMPER).execute(pool).await.unwrap().rows_affected(),
        glc::store::Db::Postgres(pool) => sqlx::query(TAMPER).execute(pool).await.unwrap().rows_affected(),
    };
    assert_eq!(changed, 1);
    let broken = glc::audit::verify(&server.provider.db).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 1);
}

#[tokio::test]
async fn concurrent_appends_never_fork_the_chain() {
    let server = TestServer::start().await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let provider = server.provider.clone();
        tasks.push(tokio::spawn(async move {
            let event = glc::audit::Event {
                details: serde_json::json!({ "n": i }),
                ..glc::audit::Event::new(Actor::System, "test.append")
            };
            glc::audit::record(&provider, event).await.unwrap()
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=24).collect::<Vec<i64>>());
    assert_eq!(glc::audit::verify(&server.provider.db).await.unwrap(), Ok(24));
}
