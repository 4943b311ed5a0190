//! The partner registry and what the offers allow: `glc partner …` as the Métropole's team and
//! the finance department use it, and the restricted offer (no GRU tool) enforced at every
//! token request.

use std::process::Command;

use glc::oauth::client::{ClientSpec, GrantType};
use glc::oauth::scope::Scopes;
use glc::partners::{Offer, PartnerChanges};
use serde_json::{Value, json};

use crate::support::{Browser, TestServer};

fn glc(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_glc"));
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("GLC_") {
            command.env_remove(key);
        }
    }
    let database = format!("sqlite:{}", dir.join("glc.db").display());
    command.env("GLC_DATABASE_URL", database).env("GLC_KEYS_DIR", dir.join("keys")).output().unwrap()
}

fn json(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = glc(dir, args);
    assert!(out.status.success(), "glc {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("glc {args:?}: {e}"))
}

fn amounts(report: &Value) -> Vec<(String, Value)> {
    report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["partner_id"].as_str().unwrap().to_owned(), l["participation"]["amount"].clone()))
        .collect()
}

#[test]
fn the_registry_and_the_yearly_participation_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let lyon = json(
        dir,
        &["partner", "create", "--name", "Lyon", "--insee", "69123", "--population", "522250", "--offer", "global"]
            .into_iter()
            .chain(["--pilot", "true", "--joined", "2016-03-01", "--contact", "Léa Martin <dpo@mairie-lyon.fr> (DPO)"])
            .chain(["--json"])
            .collect::<Vec<_>>(),
    );
    assert_eq!(lyon["id"], "lyon");
    assert_eq!(lyon["contacts"], json!([{ "name": "Léa Martin", "email": "dpo@mairie-lyon.fr", "role": "DPO" }]));
    let create = |name: &str, insee: &str, population: &str, offer: &str, pilot: &str, joined: &str| {
        json(
            dir,
            &[
                "partner",
                "create",
                "--name",
                name,
                "--insee",
                insee,
                "--population",
                population,
                "--offer",
                offer,
                "--pilot",
                pilot,
                "--joined",
                joined,
                "--json",
            ],
        )
    };
    create("Bron", "69029", "42000", "restricted", "true", "2016-03-01");
    create("Dardilly", "69072", "8700", "global", "true", "2016-03-01");
    // Exactly on a boundary (20,000): the higher band. Joined in 2021: nothing owed before.
    create("Saint-Genis-Laval", "69204", "20000", "restricted", "false", "2021-05-01");
    json(dir, &["partner", "create", "--name", "Fontaines-sur-Saône", "--insee", "69088", "--json"]);

    let fees_2019 = json(dir, &["partner", "fees", "--year", "2019", "--json"]);
    assert_eq!(
        amounts(&fees_2019),
        [
            ("metropole-de-lyon".to_owned(), json!(0)),
            ("bron".to_owned(), json!(5400)),
            ("dardilly".to_owned(), json!(2700)),
            ("fontaines-sur-saone".to_owned(), Value::Null),
            ("lyon".to_owned(), json!(9000)),
            ("saint-genis-laval".to_owned(), json!(0)),
        ],
        "pilots pay half in 2019; a partner of 2021 owes nothing yet; an unknown population has no amount"
    );
    assert_eq!(fees_2019["total"], 17100);
    assert_eq!(fees_2019["incomplete"], json!(["fontaines-sur-saone"]));

    let out = glc(dir, &["partner", "fees", "--year", "2021", "--csv"]);
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("partenaire;code INSEE;population;tranche;offre;pilote;montant"), "{csv}");
    assert!(lines.contains(&"Lyon;69123;522250;80 000 habitants et plus;globale;oui;18000;18000;"), "{csv}");
    assert!(
        lines
            .contains(&"Saint-Genis-Laval;69204;20000;de 20 000 à moins de 40 000 habitants;restreinte;non;8400;8400;"),
        "{csv}"
    );
    assert!(lines.contains(&"Total 2021;;;;;;42600;;"), "18000 + 10800 + 5400 + 8400: {csv}");
    assert!(csv.contains("une population égale à une borne relève de la tranche supérieure"));

    // An update holds at once: Bron moves to the global offer.
    let bron = json(dir, &["partner", "update", "bron", "--offer", "global", "--population", "42100", "--json"]);
    assert_eq!((bron["offer"].as_str(), bron["population"].as_i64()), (Some("global"), Some(42100)));
    let api = json(
        dir,
        &["partner", "add-api", "bron", "--uri", "https://api.bron.example", "--name", "État civil", "--json"],
    );
    assert_eq!(api["partner_id"], "bron");
    let shown = json(dir, &["partner", "show", "bron", "--year", "2022", "--json"]);
    assert_eq!(shown["participation"]["amount"], 14000);
    assert_eq!(shown["apis"][0]["uri"], "https://api.bron.example");

    // Bad input is refused with a message naming it.
    for (args, expected) in [
        (vec!["partner", "update", "bron", "--population=-5"], "population"),
        (vec!["partner", "update", "bron", "--joined", "2021-13-01"], "YYYY-MM-DD"),
        (vec!["partner", "update", "nowhere", "--pilot", "true"], "no partner nowhere"),
        (vec!["partner", "create", "--name", "Lyon"], "already exists"),
        (vec!["partner", "update", "bron", "--contact", "Paul"], "contact"),
        (vec!["partner", "add-api", "bron", "--uri", "not a uri", "--name", "x"], "resource"),
        (vec!["partner", "add-api", "lyon", "--uri", "https://api.bron.example", "--name", "x"], "already exists"),
    ] {
        let out = glc(dir, &args);
        assert!(!out.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// The GRU tool's client id, as the configuration names it.
const GRU: &str = "gru-metropole";

async fn restricted_world() -> (TestServer, String) {
    let server = TestServer::start_with(|c| c.gru.clients = vec![GRU.to_owned()]).await;
    let db = &server.provider.db;
    let now = server.provider.now();
    let changes = |name: &str, offer| PartnerChanges {
        name: Some(name.to_owned()),
        population: Some(42_000),
        offer: Some(offer),
        ..Default::default()
    };
    let bron = glc::partners::create_commune(db, changes("Bron", Offer::Restricted), now).await.unwrap().id;
    glc::partners::create_commune(db, changes("Lyon", Offer::Global), now).await.unwrap();
    glc::partners::add_resource_server(db, &bron, "https://api.bron.example", "Bron", now).await.unwrap();
    glc::partners::add_resource_server(db, "lyon", "https://api.lyon.example", "Lyon", now).await.unwrap();
    (server, bron)
}

async fn set_offer(server: &TestServer, partner: &str, offer: Offer) {
    let changes = PartnerChanges { offer: Some(offer), ..Default::default() };
    glc::partners::update(&server.provider.db, partner, changes, None, server.provider.now()).await.unwrap();
}

#[tokio::test]
async fn a_restricted_commune_is_never_granted_the_gru_scopes_and_an_offer_change_holds_at_once() {
    let (server, bron) = restricted_world().await;
    server.resident("camille@lyon.fr").await;
    let client = server
        .register(ClientSpec {
            partner_id: Some(bron.clone()),
            scopes: Some(Scopes::parse("openid profile offline_access gru:read").unwrap()),
            ..TestServer::web_spec("Démarches Bron")
        })
        .await;
    let asked = [("scope", "openid gru:read")];
    let refused = Browser::new(&server).open(&server.authorize_url(&client, &asked)).await.callback();
    assert_eq!(refused["error"], "invalid_scope", "{refused:?}");
    assert!(refused["error_description"].contains("GRU"), "{refused:?}");
    // Without the GRU scope, the service works as any other.
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid profile")]).await;
    assert_eq!(tokens["scope"], "openid profile");

    // Bron takes the global offer: granted at once; back to restricted: the next refresh fails.
    set_offer(&server, &bron, Offer::Global).await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid offline_access gru:read")]).await;
    assert_eq!(tokens["scope"], "gru:read offline_access openid");
    set_offer(&server, &bron, Offer::Restricted).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, body) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_scope")), "{body}");
}

#[tokio::test]
async fn the_gru_tool_gets_no_token_for_a_restricted_communes_apis() {
    let (server, bron) = restricted_world().await;
    let gru = server
        .register(ClientSpec {
            client_id: Some(GRU.to_owned()),
            name: "GRU".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: Some(Scopes::parse("gru:read").unwrap()),
            resources: vec!["https://api.lyon.example".into(), "https://api.bron.example".into()],
            ..ClientSpec::default()
        })
        .await;
    assert_eq!(gru.id, GRU);
    let for_api = |api: &'static str| [("grant_type", "client_credentials"), ("resource", api)];
    let (status, body) = server.post_as("/token", &gru, &for_api("https://api.lyon.example")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.post_as("/token", &gru, &for_api("https://api.bron.example")).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_target")), "{body}");
    set_offer(&server, &bron, Offer::Global).await;
    let (status, body) = server.post_as("/token", &gru, &for_api("https://api.bron.example")).await;
    assert_eq!(status, 200, "{body}");

    // Another client (not the GRU tool) may still reach a restricted commune's API.
    set_offer(&server, &bron, Offer::Restricted).await;
    let other = server.service_client("x", &["https://api.bron.example"]).await;
    let (status, body) = server.post_as("/token", &other, &for_api("https://api.bron.example")).await;
    assert_eq!(status, 200, "{body}");
    // A chosen client id is readable and unique.
    let clash = glc::oauth::client::register(
        &server.provider.db,
        ClientSpec { client_id: Some(GRU.to_owned()), ..TestServer::web_spec("Autre") },
        server.provider.now(),
    )
    .await;
    assert!(clash.is_err());
    let ugly = ClientSpec { client_id: Some("Not An Id!".into()), ..TestServer::web_spec("Autre") };
    assert!(glc::oauth::client::register(&server.provider.db, ugly, server.provider.now()).await.is_err());
}

#[test]
fn restricted_registration_groups_links_consent_statistics_and_the_journal_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let bron = json(dir, &["partner", "create", "--name", "Bron", "--offer", "restricted", "--json"]);
    assert_eq!(bron["id"], "bron");
    let client = |name: &str, scopes: &str| {
        let mut args =
            vec!["client", "create", "--name", name, "--partner", "bron", "--redirect-uri", "https://bron.fr/cb"];
        for scope in scopes.split(' ') {
            args.extend(["--scope", scope]);
        }
        args.push("--json");
        glc(dir, &args)
    };
    // The restricted offer is said at registration, not only at the first token.
    let refused = client("GRU Bron", "openid gru:read");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("GRU"), "{}", String::from_utf8_lossy(&refused.stderr));
    let ids: Vec<String> = ["Cantine", "Centre de loisirs"]
        .iter()
        .map(|name| {
            let out = client(name, "openid profile link:metropole-de-lyon");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let created: Value = serde_json::from_slice(&out.stdout).unwrap();
            created["client_id"].as_str().unwrap().to_owned()
        })
        .collect();
    let group = json(
        dir,
        &["partner", "group", "bron", "--group", "enfance", "--name", "Enfance", "--purpose", "Inscrire vos enfants"]
            .into_iter()
            .chain(["--client", &ids[0], "--client", &ids[1], "--json"])
            .collect::<Vec<_>>(),
    );
    assert_eq!(group["members"].as_array().unwrap().len(), 2);
    let lonely =
        glc(dir, &["partner", "group", "bron", "--group", "x", "--name", "X", "--purpose", "p", "--client", &ids[0]]);
    assert!(!lonely.status.success(), "two services at least");
    let link = json(
        dir,
        &["partner", "link", "bron", "--from", "metropole-de-lyon", "--purpose", "Poursuivre une démarche", "--json"],
    );
    assert_eq!(link["source_partner_id"], "metropole-de-lyon");
    assert!(!glc(dir, &["partner", "link", "bron", "--from", "nowhere", "--purpose", "p"]).status.success());

    // Nothing journaled yet: the chain is intact and empty, the statistics all zero.
    assert_eq!(json(dir, &["audit", "verify", "--json"])["entries"], 0);
    let stats = json(dir, &["consent", "stats", "--partner", "bron", "--since", "2026-01-01", "--json"]);
    assert_eq!(stats["clients"].as_array().unwrap().len(), 2);
    assert_eq!(stats["clients"][0]["given"], 0);
    assert!(stats["clients"][0]["acceptance_rate"].is_null(), "nobody asked yet: no rate");
    assert!(!glc(dir, &["consent", "stats", "--since", "yesterday"]).status.success());
    assert_eq!(json(dir, &["consent", "expire", "--json"])["expired"], 0);
}
