//! Administration: roles with the least privilege each needs, bootstrapped from the command
//! line, every grant and revocation journaled.

use std::path::Path;
use std::process::{Command, Output};

use glc::admin::roles::{self, Permission, Role};
use glc::audit::Actor;
use serde_json::Value;

use crate::support::TestServer;

fn glc(dir: &Path, args: &[&str]) -> Output {
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

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = glc(dir, args);
    assert!(out.status.success(), "glc {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("glc {args:?}: {e}"))
}

#[test]
fn the_first_administrator_is_bootstrapped_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let password = "correct horse battery staple";
    json(dir, &["user", "create", "--email", "dsi@grandlyon.com", "--password", password, "--json"]);
    json(dir, &["partner", "create", "--name", "Bron", "--json"]);
    let granted = json(
        dir,
        &["admin", "grant", "dsi@grandlyon.com", "--role", "metropole-admin", "--reason", "mise en service", "--json"],
    );
    assert_eq!(granted["roles"], serde_json::json!([{ "role": "metropole_admin" }]));
    let bron =
        json(dir, &["admin", "grant", "dsi@grandlyon.com", "--role", "commune-admin", "--partner", "bron", "--json"]);
    assert_eq!(bron["roles"].as_array().unwrap().len(), 2);
    // A commune administrator names a commune; nobody else does; the Métropole is not a commune.
    assert!(!glc(dir, &["admin", "grant", "dsi@grandlyon.com", "--role", "commune-admin"]).status.success());
    assert!(
        !glc(dir, &["admin", "grant", "dsi@grandlyon.com", "--role", "auditor", "--partner", "bron"]).status.success()
    );
    let metropole =
        glc(dir, &["admin", "grant", "dsi@grandlyon.com", "--role", "commune-admin", "--partner", "metropole-de-lyon"]);
    assert!(String::from_utf8_lossy(&metropole.stderr).contains("not the Métropole"));
    assert!(!glc(dir, &["admin", "grant", "nobody@lyon.fr", "--role", "auditor"]).status.success());
    assert_eq!(json(dir, &["admin", "list", "--json"]).as_array().unwrap().len(), 2);
    assert_eq!(
        json(dir, &["admin", "revoke", "dsi@grandlyon.com", "--role", "commune-admin", "--json"])["revoked"],
        true
    );
    assert_eq!(
        json(dir, &["admin", "revoke", "dsi@grandlyon.com", "--role", "commune-admin", "--json"])["revoked"],
        false
    );
    assert_eq!(json(dir, &["admin", "list", "--json"]).as_array().unwrap().len(), 1);
    // Three changes, three journal entries, the chain intact; a checkpoint signs the head.
    assert_eq!(json(dir, &["audit", "verify", "--json"])["entries"], 3);
    assert_eq!(json(dir, &["audit", "checkpoint", "--json"])["seq"], 3);
    assert!(json(dir, &["audit", "checkpoint", "--json"]).is_null(), "nothing new");
    let verified = json(dir, &["audit", "verify", "--json"]);
    assert_eq!((verified["entries"].as_u64(), verified["checkpoints"].as_u64()), (Some(3), Some(1)));
    assert!(dir.join("data/journal-checkpoints/000000000003.jwt").exists());
    assert!(json(dir, &["audit", "purge", "--json"]).is_null(), "nothing older than five years");
}

#[tokio::test]
async fn roles_are_journaled_with_their_author_and_go_with_the_account() {
    let server = TestServer::start().await;
    let db = &server.provider.db;
    let now = server.provider.now();
    let chief = server.resident("dsi@grandlyon.com").await;
    let agent = server.resident("agent@grandlyon.com").await;
    let bron = server.commune("Bron").await;
    roles::grant(db, now, Actor::Operator, &chief.email, Role::MetropoleAdmin, None).await.unwrap();
    let helpdesk =
        roles::grant(db, now, Actor::Admin(&chief.id), &agent.id, Role::Helpdesk, Some("renfort")).await.unwrap();
    assert!(helpdesk.may(Permission::AssistResidents));
    assert!(!helpdesk.may(Permission::ManageClients { partner: &bron }));
    let commune = roles::grant(db, now, Actor::Admin(&chief.id), &agent.id, Role::CommuneAdmin(bron.clone()), None)
        .await
        .unwrap();
    assert!(commune.may(Permission::ManageClients { partner: &bron }));
    assert!(!commune.may(Permission::ManageClients { partner: "lyon" }));
    assert!(roles::admin(db, &server.resident("camille@lyon.fr").await.id).await.unwrap().is_none());

    let entries = glc::store::journal::page(db, 0, 100).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["admin.role_granted", "admin.role_granted", "admin.role_granted"]);
    assert_eq!(entries[0].actor, "operator");
    assert!(entries[1].actor.starts_with("admin:p-"), "{:?}", entries[1]);
    assert_eq!(entries[1].reason.as_deref(), Some("renfort"));
    assert_eq!(entries[2].partner_id.as_deref(), Some(bron.as_str()));
    assert!(!serde_json::to_string(&entries).unwrap().contains(&agent.id), "pseudonyms only");

    // An account deleted takes its roles with it; the journal stays whole.
    glc::oauth::withdrawal::delete_account(&server.provider, Actor::Resident(&agent.id), &agent.id).await.unwrap();
    assert!(roles::admin(db, &agent.id).await.unwrap().is_none());
    assert_eq!(glc::audit::verify(db).await.unwrap(), Ok(4));
}

// --- the admin API ---------------------------------------------------------------------------

use glc::oauth::client::{ClientSpec, GrantType};
use glc::oauth::scope::Scopes;
use reqwest::Method;
use serde_json::json;

use crate::support::{Browser, PASSWORD, TestClient};

const ALL_SCOPES: &str =
    "admin:partners admin:clients admin:fees admin:consent admin:keys admin:residents admin:journal";

/// The console: a Métropole client allowed every admin scope.
async fn console(server: &TestServer) -> TestClient {
    let scopes = format!("openid {ALL_SCOPES}");
    server
        .register(ClientSpec { scopes: Some(Scopes::parse(&scopes).unwrap()), ..TestServer::web_spec("Console") })
        .await
}

/// `email` logs in to `client` and consents: their access token.
async fn user_token(server: &TestServer, client: &TestClient, email: &str) -> String {
    let browser = Browser::new(server);
    let scope = format!("openid {ALL_SCOPES}");
    let login = browser.open(&server.authorize_url(client, &[("scope", &scope)])).await;
    let mut landing = browser.login(&login, email, PASSWORD).await;
    if landing.is_consent_page() {
        landing = browser.submit(&landing, &[("decision", "allow")]).await;
    }
    let (status, tokens) = server.redeem(client, &landing.callback()["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// A script's token: `client_credentials` for a client of `partner` with `scopes`.
async fn script_token(server: &TestServer, partner: Option<String>, scopes: &str) -> String {
    let client = server
        .register(ClientSpec {
            name: "Script".into(),
            partner_id: partner,
            grant_types: vec![GrantType::ClientCredentials],
            scopes: Some(Scopes::parse(scopes).unwrap()),
            ..ClientSpec::default()
        })
        .await;
    let (status, body) = server.post_as("/token", &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn api(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> Answer {
    let mut request =
        reqwest::Client::new().request(method, server.url(&format!("/admin/api{path}"))).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Answer { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_routes_served() {
    let server = TestServer::start().await;
    let served: Value = reqwest::get(server.url("/admin/api/openapi.json")).await.unwrap().json().await.unwrap();
    assert_eq!(served["openapi"], "3.1.0");
    let mut described: Vec<(String, String)> = Vec::new();
    for (path, item) in served["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            described.push((method.clone(), path.clone()));
        }
    }
    described.sort();
    let mut routes: Vec<(String, String)> =
        glc::http::admin_api::ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    routes.sort();
    assert_eq!(described, routes);
    // Each is served: without a token, a challenge (not a 404 or a 405).
    for (method, path) in &routes {
        if path == "/openapi.json" {
            continue;
        }
        let path = path.replace("{id}", "bron");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = reqwest::Client::new()
            .request(method.clone(), server.url(&format!("/admin/api{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
        assert!(response.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    }
    // Every operation names the scope it needs, and every schema it refers to exists.
    let text = served.to_string();
    for (_, item) in served["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method != "parameters" && operation["operationId"] != "openapi" {
                assert!(operation["security"][0]["bearer"][0].as_str().unwrap().starts_with("admin:"));
            }
        }
    }
    for reference in text.split("#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(served["components"]["schemas"].get(name).is_some(), "{name}");
    }
}

#[tokio::test]
async fn each_role_does_exactly_its_part_through_the_api_and_every_change_is_journaled() {
    let server = TestServer::start().await;
    let db = &server.provider.db;
    let now = server.provider.now();
    let console = console(&server).await;
    let bron = server.commune("Bron").await;
    let lyon = server.commune("Lyon").await;
    for (email, role) in [
        ("dsi@grandlyon.com", Role::MetropoleAdmin),
        ("dsi@bron.fr", Role::CommuneAdmin(bron.clone())),
        ("agent@grandlyon.com", Role::Helpdesk),
        ("audit@grandlyon.com", Role::Auditor),
    ] {
        server.resident(email).await;
        roles::grant(db, now, Actor::Operator, email, role, None).await.unwrap();
    }
    server.resident("camille@lyon.fr").await;
    let chief = user_token(&server, &console, "dsi@grandlyon.com").await;
    let commune = user_token(&server, &console, "dsi@bron.fr").await;
    let agent = user_token(&server, &console, "agent@grandlyon.com").await;
    let auditor = user_token(&server, &console, "audit@grandlyon.com").await;
    let resident = user_token(&server, &console, "camille@lyon.fr").await;

    // The Métropole's administrator: every partner, creates and updates them.
    let listed = api(&server, Method::GET, "/partners", &chief, None, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3);
    let created =
        api(&server, Method::POST, "/partners", &chief, Some(json!({ "name": "Dardilly", "population": 8800 })), None)
            .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.headers["location"], "/admin/api/partners/dardilly");
    let tag = created.headers["etag"].to_str().unwrap().to_owned();
    let offer = json!({ "offer": "restricted" });
    assert_eq!(api(&server, Method::PATCH, "/partners/dardilly", &chief, Some(offer.clone()), None).await.status, 428);
    let updated = api(&server, Method::PATCH, "/partners/dardilly", &chief, Some(offer.clone()), Some(&tag)).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["offer"], "restricted");
    assert_ne!(updated.headers["etag"].to_str().unwrap(), tag);
    // A second administrator working on the old copy is refused, not silently overwriting.
    let stale =
        api(&server, Method::PATCH, "/partners/dardilly", &chief, Some(json!({ "pilot": true })), Some(&tag)).await;
    assert_eq!((stale.status, stale.body["error"].as_str()), (412, Some("precondition_failed")));
    // Validation errors name the member.
    let bad =
        api(&server, Method::POST, "/partners", &chief, Some(json!({ "name": "Oullins", "population": -3 })), None)
            .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (400, Some("population")), "{}", bad.body);
    let unknown =
        api(&server, Method::POST, "/partners", &chief, Some(json!({ "name": "Oullins", "mayor": "x" })), None).await;
    assert_eq!(unknown.body["field"], "mayor");
    let again = api(&server, Method::POST, "/partners", &chief, Some(json!({ "name": "Dardilly" })), None).await;
    assert_eq!(again.status, 409);

    // A commune's administrator: their commune only, read-only, its fees and statistics.
    let own = api(&server, Method::GET, "/partners", &commune, None, None).await;
    let ids: Vec<&str> = own.body["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [bron.as_str()]);
    assert_eq!(api(&server, Method::GET, &format!("/partners/{lyon}"), &commune, None, None).await.status, 404);
    assert_eq!(api(&server, Method::GET, &format!("/partners/{bron}"), &commune, None, None).await.status, 200);
    let patch =
        api(&server, Method::PATCH, &format!("/partners/{bron}"), &commune, Some(offer.clone()), Some("*")).await;
    assert_eq!((patch.status, patch.body["error"].as_str()), (403, Some("forbidden")));
    let fees = api(&server, Method::GET, "/fees?year=2026", &commune, None, None).await;
    assert_eq!(fees.body["lines"].as_array().unwrap().len(), 1, "{}", fees.body);
    let stats = api(&server, Method::GET, "/consent/statistics", &commune, None, None).await;
    assert!(
        stats.body["partners"].as_array().unwrap().iter().all(|p| p["partner_id"] == bron.as_str()),
        "{}",
        stats.body
    );
    let other = api(&server, Method::GET, &format!("/consent/statistics?partner={lyon}"), &commune, None, None).await;
    assert_eq!(other.status, 404);
    assert_eq!(api(&server, Method::GET, "/journal", &commune, None, None).await.status, 403);

    // The help desk and the auditor: nothing of the registry; the auditor reads the journal.
    assert_eq!(api(&server, Method::GET, "/partners", &agent, None, None).await.status, 403);
    assert_eq!(api(&server, Method::GET, "/journal", &agent, None, None).await.status, 403);
    assert_eq!(api(&server, Method::GET, "/fees?year=2026", &auditor, None, None).await.status, 403);
    assert_eq!(api(&server, Method::GET, "/partners", &resident, None, None).await.status, 403, "no role at all");
    let journal = api(&server, Method::GET, "/journal?action=partner.&limit=10", &auditor, None, None).await;
    assert_eq!(journal.status, 200, "{}", journal.body);
    let entries = journal.body["items"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["partner.created", "partner.updated"]);
    assert!(entries.iter().all(|e| e["actor"].as_str().unwrap().starts_with("admin:p-")));
    assert!(entries.iter().all(|e| e["origin"] == "127.0.0.1"), "{entries:?}");
    assert_eq!(entries[1]["details"]["offer"], "restricted");
    let export = reqwest::Client::new()
        .get(server.url("/admin/api/journal/export?action=partner.updated"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(export.headers()["content-type"], "application/x-ndjson");
    let lines = export.text().await.unwrap();
    assert_eq!(lines.lines().count(), 1);
    let exported = api(&server, Method::GET, "/journal?action=journal.exported", &auditor, None, None).await;
    assert_eq!(exported.body["items"].as_array().unwrap().len(), 1, "the export itself is journaled");
    assert_eq!(glc::audit::verify(db).await.unwrap().map(|n| n > 0), Ok(true));
}

#[tokio::test]
async fn scripts_use_client_credentials_narrowed_by_their_scopes_and_their_partner() {
    let server = TestServer::start().await;
    let bron = server.commune("Bron").await;
    let lyon = server.commune("Lyon").await;
    // A Métropole script with the journal's scope only.
    let reader = script_token(&server, None, "admin:journal").await;
    assert_eq!(api(&server, Method::GET, "/journal", &reader, None, None).await.status, 200);
    let denied = api(&server, Method::GET, "/partners", &reader, None, None).await;
    assert_eq!((denied.status, denied.body["error"].as_str()), (403, Some("insufficient_scope")));
    assert!(denied.headers["www-authenticate"].to_str().unwrap().contains("scope=\"admin:partners\""));
    // A commune's script acts for its commune.
    let bron_script = script_token(&server, Some(bron.clone()), "admin:partners admin:fees").await;
    let own = api(&server, Method::GET, "/partners", &bron_script, None, None).await;
    assert_eq!(own.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(api(&server, Method::GET, &format!("/partners/{lyon}"), &bron_script, None, None).await.status, 404);
    let create = api(&server, Method::POST, "/partners", &bron_script, Some(json!({ "name": "Oullins" })), None).await;
    assert_eq!(create.status, 403);
    // Bad tokens and bad parameters.
    assert_eq!(api(&server, Method::GET, "/journal", "not-a-token", None, None).await.status, 401);
    let twice = api(&server, Method::GET, "/journal?limit=1&limit=2", &reader, None, None).await;
    assert_eq!((twice.status, twice.body["field"].as_str()), (400, Some("limit")));
    let range = api(&server, Method::GET, "/journal?limit=0", &reader, None, None).await;
    assert_eq!(range.body["field"], "limit");
    let year = api(&server, Method::GET, "/fees", &bron_script, None, None).await;
    assert_eq!(year.body["field"], "year");
}

/// `client`'s `client_credentials` grant with `secret`: the HTTP status.

#[tokio::test]
async fn administrators_manage_clients_rotate_secrets_with_overlap_and_issue_registration_tokens() {
    let server = TestServer::start().await;
    let db = &server.provider.db;
    let now = server.provider.now();
    let console = console(&server).await;
    let bron = server.commune("Bron").await;
    let lyon = server.commune("Lyon").await;
    for (email, role) in
        [("dsi@grandlyon.com", Role::MetropoleAdmin), ("dsi@bron.fr", Role::CommuneAdmin(bron.clone()))]
    {
        server.resident(email).await;
        roles::grant(db, now, Actor::Operator, email, role, None).await.unwrap();
    }
    let chief = user_token(&server, &console, "dsi@grandlyon.com").await;
    let commune = user_token(&server, &console, "dsi@bron.fr").await;

    // The Métropole registers a service for Lyon; Bron's administrator registers one for Bron.
    let lyon_app =
        json!({ "client_name": "Cantine Lyon", "partner_id": lyon, "redirect_uris": ["https://cantine.lyon.fr/cb"] });
    let created = api(&server, Method::POST, "/clients", &chief, Some(lyon_app), None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let lyon_id = created.body["client_id"].as_str().unwrap().to_owned();
    assert!(created.body["client_secret"].is_string(), "shown once, at creation");
    let service =
        json!({ "client_name": "Agenda Bron", "grant_types": ["client_credentials"], "scope": "agenda:read" });
    let created = api(&server, Method::POST, "/clients", &commune, Some(service), None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["partner_id"], bron.as_str(), "a commune administrator's commune by default");
    let bron_id = created.body["client_id"].as_str().unwrap().to_owned();
    let first_secret = created.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(crate::support::authenticates(&server, &bron_id, &first_secret).await, 200);

    // Bron's administrator never sees Lyon's clients, nor registers one for Lyon.
    let listed = api(&server, Method::GET, "/clients", &commune, None, None).await;
    let ids: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().map(|c| c["client_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [bron_id.as_str()]);
    assert_eq!(api(&server, Method::GET, &format!("/clients/{lyon_id}"), &commune, None, None).await.status, 404);
    assert_eq!(api(&server, Method::GET, &format!("/clients?partner={lyon}"), &commune, None, None).await.status, 404);
    let for_lyon = json!({ "client_name": "Intrus", "partner_id": lyon, "redirect_uris": ["https://x.fr/cb"] });
    let refused = api(&server, Method::POST, "/clients", &commune, Some(for_lyon), None).await;
    assert_eq!((refused.status, refused.body["field"].as_str()), (400, Some("partner_id")));
    let all = api(&server, Method::GET, "/clients", &chief, None, None).await;
    assert!(all.body["items"].as_array().unwrap().len() >= 3, "the Métropole sees every client");

    // Changes: validated member by member, on the version read.
    let shown = api(&server, Method::GET, &format!("/clients/{lyon_id}"), &chief, None, None).await;
    let tag = shown.headers["etag"].to_str().unwrap().to_owned();
    let bad = json!({ "redirect_uris": ["http://cantine.lyon.fr/cb"] });
    let refused = api(&server, Method::PATCH, &format!("/clients/{lyon_id}"), &chief, Some(bad), Some(&tag)).await;
    assert_eq!((refused.status, refused.body["field"].as_str()), (400, Some("redirect_uris")), "{}", refused.body);
    let change = json!({ "redirect_uris": ["https://cantine.lyon.fr/retour"], "logo_uri": "https://lyon.fr/logo.png" });
    let changed =
        api(&server, Method::PATCH, &format!("/clients/{lyon_id}"), &chief, Some(change.clone()), Some(&tag)).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["redirect_uris"], json!(["https://cantine.lyon.fr/retour"]));
    let stale = api(&server, Method::PATCH, &format!("/clients/{lyon_id}"), &chief, Some(change), Some(&tag)).await;
    assert_eq!(stale.status, 412);
    let cleared = changed.headers["etag"].to_str().unwrap().to_owned();
    let cleared = api(
        &server,
        Method::PATCH,
        &format!("/clients/{lyon_id}"),
        &chief,
        Some(json!({ "logo_uri": null })),
        Some(&cleared),
    )
    .await;
    assert!(cleared.body.get("logo_uri").is_none_or(Value::is_null), "{}", cleared.body);

    // Another way to authenticate: to private_key_jwt (with its keys) the secret stops working;
    // back to a secret, a new one is issued and shown once.
    let shown = api(&server, Method::GET, &format!("/clients/{bron_id}"), &commune, None, None).await;
    let tag = shown.headers["etag"].to_str().unwrap().to_owned();
    let mut public = josekit::jws::ES256.generate_key_pair().unwrap().to_jwk_public_key();
    public.set_key_id("k1");
    let jwks = json!({ "keys": [public.as_ref()] });
    let to_keys = json!({ "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks });
    let moved = api(&server, Method::PATCH, &format!("/clients/{bron_id}"), &commune, Some(to_keys), Some(&tag)).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert!(moved.body.get("client_secret").is_none());
    assert_eq!(crate::support::authenticates(&server, &bron_id, &first_secret).await, 401, "no secret any more");
    let tag = moved.headers["etag"].to_str().unwrap().to_owned();
    let back = json!({ "token_endpoint_auth_method": "client_secret_basic", "jwks": null });
    let back = api(&server, Method::PATCH, &format!("/clients/{bron_id}"), &commune, Some(back), Some(&tag)).await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.headers["cache-control"], "no-store");
    let first_secret = back.body["client_secret"].as_str().expect("a new secret, shown once").to_owned();
    assert_eq!(crate::support::authenticates(&server, &bron_id, &first_secret).await, 200);

    // Purposes: what the consent page says, per scope; only a scope the client may request.
    let purposes = api(&server, Method::GET, &format!("/clients/{lyon_id}/purposes"), &chief, None, None).await;
    assert_eq!(purposes.status, 200, "{}", purposes.body);
    assert!(purposes.body["items"].as_array().unwrap().iter().any(|d| d["scope"] == "email"), "{}", purposes.body);
    let why = json!({ "purpose": "Vous envoyer les menus de la cantine", "retention": "1 an", "essential": true });
    let path = format!("/clients/{lyon_id}/purposes/email");
    let declared = api(&server, Method::PUT, &path, &chief, Some(why.clone()), None).await;
    assert_eq!(declared.status, 200, "{}", declared.body);
    let email = declared.body["items"].as_array().unwrap().iter().find(|d| d["scope"] == "email").unwrap().clone();
    assert_eq!(
        (email["purpose"].as_str(), email["essential"].as_bool()),
        (Some("Vous envoyer les menus de la cantine"), Some(true))
    );
    let unknown =
        api(&server, Method::PUT, &format!("/clients/{lyon_id}/purposes/gru:write"), &chief, Some(why.clone()), None)
            .await;
    assert_eq!((unknown.status, unknown.body["field"].as_str()), (400, Some("scope")));
    let empty = api(&server, Method::PUT, &path, &chief, Some(json!({ "purpose": " " })), None).await;
    assert_eq!((empty.status, empty.body["field"].as_str()), (400, Some("purpose")));
    assert_eq!(api(&server, Method::PUT, &path, &commune, Some(why), None).await.status, 404, "Lyon's, not Bron's");
    let lyon_client = glc::oauth::client::find(db, &lyon_id).await.unwrap().unwrap();
    let stored = glc::consent::declarations(db, &lyon_client).await.unwrap();
    assert!(stored.iter().any(|d| d.scope == "email" && d.essential && d.retention == "1 an"));

    // A rotation with overlap: both secrets work until the deadline, then only the new one.
    let rotated = api(
        &server,
        Method::POST,
        &format!("/clients/{bron_id}/secret"),
        &commune,
        Some(json!({ "keep_previous_for": 3600 })),
        None,
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second_secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
    let deadline = rotated.body["previous_secret_expires_at"].as_i64().unwrap();
    assert!((now + 3600..=server.provider.now() + 3600).contains(&deadline), "{deadline}");
    assert_eq!(crate::support::authenticates(&server, &bron_id, &first_secret).await, 200, "the old one still works");
    assert_eq!(crate::support::authenticates(&server, &bron_id, &second_secret).await, 200);
    server.clock.advance(3601);
    assert_eq!(crate::support::authenticates(&server, &bron_id, &first_secret).await, 401, "past the deadline");
    assert_eq!(crate::support::authenticates(&server, &bron_id, &second_secret).await, 200);
    // (An hour later the administrators' access tokens have expired too.)
    let chief = user_token(&server, &console, "dsi@grandlyon.com").await;
    let commune = user_token(&server, &console, "dsi@bron.fr").await;
    // Without overlap the previous one stops at once.
    let rotated = api(&server, Method::POST, &format!("/clients/{bron_id}/secret"), &commune, None, None).await;
    let third_secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(crate::support::authenticates(&server, &bron_id, &second_secret).await, 401);
    assert_eq!(crate::support::authenticates(&server, &bron_id, &third_secret).await, 200);
    let too_long = api(
        &server,
        Method::POST,
        &format!("/clients/{bron_id}/secret"),
        &commune,
        Some(json!({ "keep_previous_for": 99999999 })),
        None,
    )
    .await;
    assert_eq!(too_long.body["field"], "keep_previous_for");

    // A registration token for Bron: the client that registers with it is Bron's.
    let issued = api(&server, Method::POST, "/registration-tokens", &commune, Some(json!({ "uses": 1 })), None).await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let token = issued.body["initial_access_token"].as_str().unwrap();
    let registered: Value = reqwest::Client::new()
        .post(server.url("/register"))
        .bearer_auth(token)
        .json(&json!({ "redirect_uris": ["https://app.bron.fr/cb"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dynamic = glc::oauth::client::find(db, registered["client_id"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(dynamic.partner_id, bron);

    // Deletion, then nothing.
    assert_eq!(api(&server, Method::DELETE, &format!("/clients/{lyon_id}"), &commune, None, None).await.status, 404);
    assert_eq!(api(&server, Method::DELETE, &format!("/clients/{lyon_id}"), &chief, None, None).await.status, 204);
    assert_eq!(api(&server, Method::GET, &format!("/clients/{lyon_id}"), &chief, None, None).await.status, 404);

    let entries = glc::store::journal::page(db, 0, 1000).await.unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e.action.as_str())
        .filter(|a| !a.starts_with("consent.") && !a.starts_with("admin."))
        .collect();
    assert_eq!(
        actions,
        [
            "client.created",
            "client.created",
            "client.updated",
            "client.updated",
            "client.updated",
            "client.updated",
            "client.purpose_declared",
            "client.secret_rotated",
            "client.secret_rotated",
            "registration_token.issued",
            "client.deleted"
        ]
    );
    assert!(!serde_json::to_string(&entries).unwrap().contains(&first_secret), "never a secret in the journal");
}

#[tokio::test]
async fn a_restricted_commune_gets_no_gru_scope_through_the_api_either() {
    let server = TestServer::start().await;
    let db = &server.provider.db;
    let bron = server.commune("Bron").await;
    let restricted =
        glc::partners::PartnerChanges { offer: Some(glc::partners::Offer::Restricted), ..Default::default() };
    glc::partners::update(db, &bron, restricted, None, server.provider.now()).await.unwrap();
    let script = script_token(&server, Some(bron), "admin:clients").await;
    let gru = json!({ "client_name": "GRU", "redirect_uris": ["https://gru.bron.fr/cb"], "scope": "openid gru:read" });
    let refused = api(&server, Method::POST, "/clients", &script, Some(gru), None).await;
    assert_eq!((refused.status, refused.body["field"].as_str()), (400, Some("scope")), "{}", refused.body);
}

#[tokio::test]
async fn the_help_desk_finds_and_assists_residents_with_a_reason_each_time_and_the_resident_sees_it() {
    let server = TestServer::start().await;
    let db = &server.provider.db;
    let now = server.provider.now();
    let console = console(&server).await;
    server.resident("agent@grandlyon.com").await;
    roles::grant(db, now, Actor::Operator, "agent@grandlyon.com", Role::Helpdesk, None).await.unwrap();
    server.resident("dsi@grandlyon.com").await;
    roles::grant(db, now, Actor::Operator, "dsi@grandlyon.com", Role::MetropoleAdmin, None).await.unwrap();
    let camille = server.resident("camille@lyon.fr").await;
    let agent = user_token(&server, &console, "agent@grandlyon.com").await;
    let chief = user_token(&server, &console, "dsi@grandlyon.com").await;
    let search = |token: &str, q: &str, reason: &str| {
        let body = json!({ "q": q, "reason": reason });
        let token = token.to_owned();
        let server = &server;
        async move { api(server, Method::POST, "/residents/search", &token, Some(body), None).await }
    };

    // A look-up needs a reason; found by email, by name, by account id; never a secret.
    let no_reason = search(&agent, "camille@lyon.fr", "").await;
    assert_eq!((no_reason.status, no_reason.body["field"].as_str()), (400, Some("reason")));
    let found = search(&agent, "camille@lyon.fr", "appel du 29/11, ne peut plus se connecter").await;
    assert_eq!(found.status, 200, "{}", found.body);
    let status = &found.body["items"][0];
    assert_eq!(status["account_id"], camille.id.as_str());
    assert_eq!((status["email_verified"].as_bool(), status["has_password"].as_bool()), (Some(false), Some(true)));
    assert_eq!(status["throttled_for"], 0);
    let text = found.body.to_string();
    assert!(!text.contains("argon2") && !text.contains("password_hash"), "never a secret: {text}");
    assert_eq!(search(&agent, "martin", "appel du 29/11").await.body["items"].as_array().unwrap().len(), 3, "by name");
    assert_eq!(search(&agent, &camille.id, "appel du 29/11").await.body["items"].as_array().unwrap().len(), 1);
    // Only the help desk (and the Métropole's administrator) may.
    let commune_script = script_token(&server, Some(server.commune("Bron").await), "admin:residents").await;
    assert_eq!(search(&commune_script, "camille@lyon.fr", "curiosité").await.status, 403);

    // Throttled by an attack from many addresses: the help desk lifts it.
    for i in 0..25u8 {
        let ip: std::net::IpAddr = format!("10.0.0.{i}").parse().unwrap();
        glc::identity::rate_limit::record_failure(
            &server.provider.ephemeral,
            "camille@lyon.fr",
            ip,
            server.provider.now(),
        )
        .await
        .unwrap();
    }
    let assist = |what: &str, reason: &str| {
        let body = json!({ "action": what, "reason": reason });
        let path = format!("/residents/{}/assist", camille.id);
        let token = agent.clone();
        let server = &server;
        async move { api(server, Method::POST, &path, &token, Some(body), None).await }
    };
    let throttled = search(&agent, "camille@lyon.fr", "appel du 29/11").await;
    assert!(throttled.body["items"][0]["throttled_for"].as_i64().unwrap() > 0);
    let lifted = assist("lift_throttling", "identité vérifiée au téléphone").await;
    assert_eq!((lifted.status, lifted.body["throttled_for"].as_i64()), (200, Some(0)), "{}", lifted.body);

    // Resend the verification mail; disable and enable; force a password reset.
    assert_eq!(assist("resend_verification", "mail non reçu").await.status, 200);
    assert!(server.mails_to("camille@lyon.fr").iter().any(|m| m.body.contains("/verify-email?token=")));
    assert_eq!(assist("disable", "compte signalé compromis").await.body["disabled"], true);
    assert_eq!(assist("enable", "compte sécurisé").await.body["disabled"], false);
    // Camille sees, on her account page, what the help desk did and why.
    let browser = Browser::new(&server);
    let home = browser.open(&server.url("/account")).await;
    let home =
        browser.submit_to(&home, "/account/login", &[("email", "camille@lyon.fr"), ("password", PASSWORD)]).await;
    let html = home.html();
    assert!(html.contains("Interventions de l’assistance") && html.contains("Compte désactivé"), "{html}");
    assert!(html.contains("compte signalé compromis"));
    assert_eq!(assist("force_password_reset", "mot de passe exposé").await.status, 200);
    assert!(server.mails_to("camille@lyon.fr").iter().any(|m| m.body.contains("/password/reset?token=")));
    let old = glc::identity::user::authenticate(db, &server.provider.passwords, "camille@lyon.fr", PASSWORD).await;
    assert!(old.is_err(), "the old password no longer works");
    assert_eq!(assist("unlink_franceconnect", "demande de la résidente").await.status, 409, "not linked");
    assert_eq!(assist("fly", "x y z").await.body["field"], "action");
    let nobody = api(
        &server,
        Method::POST,
        "/residents/nobody/assist",
        &agent,
        Some(json!({ "action": "enable", "reason": "test" })),
        None,
    )
    .await;
    assert_eq!(nobody.status, 404);
    // The Métropole's administrator may too; an auditor may not.
    let chief_search = api(
        &server,
        Method::POST,
        "/residents/search",
        &chief,
        Some(json!({ "q": "camille@lyon.fr", "reason": "contrôle" })),
        None,
    )
    .await;
    assert_eq!(chief_search.status, 200);

    // Every look-up and action is journaled with its reason, the resident as its subject.
    let entries = glc::store::journal::page(db, 0, 1000).await.unwrap();
    let helpdesk: Vec<_> = entries.iter().filter(|e| e.action.starts_with("helpdesk.")).collect();
    assert!(helpdesk.iter().all(|e| e.reason.is_some() && e.subject.is_some() && e.actor.starts_with("admin:p-")));
    let actions: Vec<&str> =
        helpdesk.iter().map(|e| e.action.as_str()).filter(|a| *a != "helpdesk.looked_up").collect();
    assert_eq!(
        actions,
        [
            "helpdesk.lifted_throttling",
            "helpdesk.resent_verification",
            "helpdesk.disabled",
            "helpdesk.enabled",
            "helpdesk.forced_password_reset"
        ]
    );
    // Newest first, with their reasons.
    let seen = glc::admin::helpdesk::interventions_on(&server.provider, &camille.id).await.unwrap();
    assert_eq!(seen.first().map(|i| i.action.as_str()), Some("helpdesk.looked_up"));
    assert!(seen.iter().any(|i| i.reason.as_deref() == Some("mot de passe exposé")));
}

#[tokio::test]
async fn signed_checkpoints_outside_the_database_catch_a_rewritten_or_truncated_journal() {
    let server = TestServer::start().await;
    let db = &server.provider.db;
    let dir = tempfile::tempdir().unwrap();
    let record = |n: i64| {
        let provider = server.provider.clone();
        async move {
            let event =
                glc::audit::Event { details: json!({ "n": n }), ..glc::audit::Event::new(Actor::System, "test.event") };
            glc::audit::record(&provider, event).await.unwrap();
        }
    };
    use glc::audit::checkpoint;
    assert!(checkpoint::write(&server.provider, dir.path()).await.unwrap().is_none(), "an empty journal");
    for n in 1..=3 {
        record(n).await;
    }
    assert_eq!(checkpoint::write(&server.provider, dir.path()).await.unwrap().unwrap().seq, 3);
    assert!(checkpoint::write(&server.provider, dir.path()).await.unwrap().is_none(), "already taken");
    record(4).await;
    record(5).await;
    assert_eq!(checkpoint::write(&server.provider, dir.path()).await.unwrap().unwrap().seq, 5);
    let report = checkpoint::verify(&server.provider, dir.path()).await.unwrap();
    assert_eq!((report.checked, report.problems.len()), (2, 0), "{report:?}");

    // Someone with the database rewrites entry 2 and recomputes every hash after it: the chain
    // alone looks intact, the checkpoints do not.
    let rows = glc::store::journal::page(db, 0, 100).await.unwrap();
    let mut prev = rows[0].hash.clone();
    for row in rows.iter().skip(1) {
        let mut forged = row.clone();
        if forged.seq == 2 {
            forged.details = json!({ "n": 42 }).to_string();
        }
        forged.prev_hash = prev.clone();
        forged.hash = glc::audit::chain::digest(&forged);
        prev = forged.hash.clone();
        exec(
            db,
            &format!(
                "UPDATE audit_journal SET details = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                forged.details, forged.prev_hash, forged.hash, forged.seq
            ),
        )
        .await;
    }
    assert_eq!(glc::audit::verify(db).await.unwrap(), Ok(5), "a consistent forgery passes the chain");
    let report = checkpoint::verify(&server.provider, dir.path()).await.unwrap();
    assert_eq!(report.problems.len(), 2, "{report:?}");
    assert!(report.problems.iter().all(|p| p.contains("rewritten")));

    // Cut short: the last checkpoint names entries that are gone.
    exec(db, "DELETE FROM audit_journal WHERE seq > 3").await;
    let report = checkpoint::verify(&server.provider, dir.path()).await.unwrap();
    assert!(report.problems.iter().any(|p| p.contains("entries removed")), "{report:?}");
    // A checkpoint not signed by us is no checkpoint.
    std::fs::write(dir.path().join("000000000009.jwt"), "eyJhbGciOiJub25lIn0.eyJzZXEiOjl9.").unwrap();
    let report = checkpoint::verify(&server.provider, dir.path()).await.unwrap();
    assert!(report.problems.iter().any(|p| p.contains("not a checkpoint signed by this provider")), "{report:?}");
}

/// Runs `sql` as someone with write access to the database would.
async fn exec(db: &glc::store::Db, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        glc::store::Db::Sqlite(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
        glc::store::Db::Postgres(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
    }
}

#[tokio::test]
async fn garbage_at_every_admin_route_gets_a_named_4xx_never_a_5xx() {
    let server = TestServer::start().await;
    let token = script_token(&server, None, ALL_SCOPES).await;
    let long = "é".repeat(3000);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", vec![0xff, 0xfe, 0x00]),
        ("text/plain", b"{}".to_vec()),
        (
            "application/json",
            json!({ "name": 5, "population": "many", "contacts": "x", "offer": "gold" }).to_string().into_bytes(),
        ),
        (
            "application/json",
            json!({ "client_name": [], "redirect_uris": "x", "grant_types": [1], "jwks": "x", "scope": 3 })
                .to_string()
                .into_bytes(),
        ),
        ("application/json", json!({ "q": null, "reason": 1, "action": {} }).to_string().into_bytes()),
        ("application/json", json!({ "q": "a\u{0}b", "reason": "nul\u{0}", "name": "x\u{0}", "client_name": "y", "redirect_uris": ["https://a\u{0}.fr/cb"] }).to_string().into_bytes()),
        (
            "application/json",
            json!({ "keep_previous_for": -1, "uses": "1", "expires_in": 1e300 }).to_string().into_bytes(),
        ),
        (
            "application/json",
            json!({ "name": long, "client_name": long, "q": long, "reason": long }).to_string().into_bytes(),
        ),
    ];
    let queries = [
        "",
        "?limit=-1",
        "?limit=abc",
        "?after=%FF",
        "?year=1e9",
        "?since=2026-02-30",
        "?partner=%00",
        "?x=1",
        &format!("?action={long}"),
    ];
    for (method, path) in glc::http::admin_api::ROUTES {
        for id in ["bron", "%00", "..%2F..", &"z".repeat(300)] {
            let path = path.replace("{id}", id);
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut attempts = Vec::new();
            if method == Method::GET || method == Method::DELETE {
                for query in queries {
                    attempts.push(
                        reqwest::Client::new().request(method.clone(), server.url(&format!("/admin/api{path}{query}"))),
                    );
                }
            } else {
                for (content_type, body) in &bodies {
                    attempts.push(
                        reqwest::Client::new()
                            .request(method.clone(), server.url(&format!("/admin/api{path}")))
                            .header("content-type", *content_type)
                            .header("if-match", "\"v1\"")
                            .body(body.clone()),
                    );
                }
            }
            for request in attempts {
                let response = request.bearer_auth(&token).send().await.unwrap();
                let status = response.status().as_u16();
                let body = response.text().await.unwrap();
                assert!(status < 500, "{method} {path}: {status} {body}");
                if status >= 400 {
                    let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    assert!(parsed["error"].is_string(), "{method} {path}: {status} {body}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_metropole_rotates_and_retires_keys_and_nobody_else_may() {
    let server = TestServer::start().await;
    let chief = script_token(&server, None, "admin:keys").await;
    let commune = script_token(&server, Some(server.commune("Bron").await), "admin:keys").await;
    let listed = api(&server, Method::GET, "/keys", &chief, None, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let before = listed.body["items"].as_array().unwrap().len();
    assert!(!listed.body.to_string().contains("\"d\""), "never a private part");
    assert_eq!(api(&server, Method::GET, "/keys", &commune, None, None).await.status, 403);
    assert_eq!(api(&server, Method::POST, "/keys/rotate", &commune, None, None).await.status, 403);

    let rotated =
        api(&server, Method::POST, "/keys/rotate", &chief, Some(json!({ "algs": ["ES256"], "now": true })), None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let kid = rotated.body["items"][0]["kid"].as_str().unwrap().to_owned();
    // Published and signing at once (other instances within keys_reload_seconds): the JWKS
    // has it, new tokens carry it.
    let kid_of = |token: &str| -> Value {
        let header =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, token.split('.').next().unwrap());
        serde_json::from_slice::<Value>(&header.unwrap()).unwrap()["kid"].clone()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let fresh = loop {
        let jwks: Value = reqwest::get(server.url("/jwks")).await.unwrap().json().await.unwrap();
        let published = jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid.as_str());
        let token = script_token(&server, None, "admin:keys").await;
        if published && kid_of(&token) == kid.as_str() {
            break token;
        }
        assert!(std::time::Instant::now() < deadline, "the new key is not in use");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let bad = api(&server, Method::POST, "/keys/rotate", &fresh, Some(json!({ "algs": ["HS256"] })), None).await;
    assert_eq!(bad.body["field"], "algs");
    assert_eq!(
        api(&server, Method::GET, "/keys", &fresh, None, None).await.body["items"].as_array().unwrap().len(),
        before + 1
    );

    // The replaced ES256 key goes once everything it signed has expired.
    assert!(
        api(&server, Method::POST, "/keys/retire", &fresh, None, None).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    server.clock.advance(3 * 3600);
    let later = script_token(&server, None, "admin:keys").await;
    let retired = api(&server, Method::POST, "/keys/retire", &later, None, None).await;
    assert_eq!(retired.body["items"].as_array().unwrap().len(), 1, "{}", retired.body);
    let actions: Vec<String> =
        glc::store::journal::page(&server.provider.db, 0, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["keys.rotated", "keys.retired"]);
}

#[tokio::test]
async fn the_partner_developer_guide_is_served_with_the_catalogue_as_the_provider_releases_it() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/developers")).await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Guide du développeur partenaire</h1>"));
    for section in [
        "Inscrire votre service",
        "Données et finalités",
        "Jetons",
        "Déconnexion et événements",
        "Codes d’erreur",
        "Bac à sable",
    ] {
        assert!(html.contains(section), "{section}");
    }
    // Every piece of the catalogue, with its scope and purpose, from the code itself.
    for item in std::iter::once(&glc::consent::catalogue::IDENTITY).chain(glc::consent::catalogue::ITEMS.iter()) {
        let row = format!("<td>{}</td><td><code>{}</code></td>", item.label_fr, item.scope);
        assert!(html.contains(&row) && html.contains(item.purpose_fr), "{}", item.key);
    }
    assert!(!html.contains("<!-- catalogue -->"));
    // Linked from every page.
    let legal = reqwest::get(server.url("/mentions-legales")).await.unwrap().text().await.unwrap();
    assert!(legal.contains("href=\"/developers\""));
}

/// Security events land in the journal: failed logins (password or second factor) with the
/// address they came from and the account they named (an unknown address names nobody), and
/// every change to how an account signs in.
#[tokio::test]
async fn failed_logins_and_factor_changes_are_security_events_in_the_journal() {
    let server = TestServer::start().await;
    let provider = &server.provider;
    let camille = server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let page = browser.open(&server.authorize_url(&client, &[])).await;
    let wrong = browser.login(&page, "camille@lyon.fr", "pas le bon mot de passe").await;
    assert!(wrong.is_login_page());
    browser.login(&wrong, "personne@lyon.fr", "pas le bon mot de passe").await;

    let enrolment = glc::identity::mfa::start_enrolment(provider, &camille.id, "camille@lyon.fr").await.unwrap();
    let secret = glc::identity::totp::from_base32(&enrolment.secret).unwrap();
    let code = glc::identity::totp::code(&secret, provider.now());
    glc::identity::mfa::confirm_enrolment(provider, &camille.id, &code).await.unwrap();
    let ip: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    let refused = glc::identity::login::with_second_factor(provider, &camille.id, "000000", ip).await;
    assert!(refused.is_err());
    glc::identity::account::change_password(provider, &camille, PASSWORD, "un tout nouveau mot de passe solide")
        .await
        .unwrap();
    glc::identity::mfa::remove(provider, &camille.id).await.unwrap();

    let filter =
        glc::store::journal::JournalFilter { limit: 100, action: Some("security.".into()), ..Default::default() };
    let rows = glc::store::journal::filtered(&provider.db, &filter).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "security.login_failed",
            "security.login_failed",
            "security.totp_enabled",
            "security.login_failed",
            "security.password_changed",
            "security.totp_disabled"
        ]
    );
    let pseudonym = glc::audit::pseudonym(&provider.db, &camille.id).await.unwrap();
    let (known, unknown, code) = (&rows[0], &rows[1], &rows[3]);
    assert_eq!(known.subject.as_deref(), Some(pseudonym.as_str()));
    assert_eq!(known.actor, "anonymous");
    assert_eq!(known.origin.as_deref(), Some("127.0.0.1"));
    assert!(known.details.contains("\"step\":\"password\""), "{}", known.details);
    assert_eq!(unknown.subject, None, "an address that is nobody's names nobody");
    assert!(!serde_json::to_string(&rows).unwrap_or_default().contains("personne@lyon.fr"));
    assert!(code.details.contains("second_factor") && code.origin.as_deref() == Some("203.0.113.9"));
    assert_eq!(rows[4].actor, format!("resident:{pseudonym}"));
    assert_eq!(glc::audit::verify(&provider.db).await.unwrap(), Ok(6));
}

/// Retention by whole segments: only entries up to a checkpoint, all older than the retention,
/// go; the checkpoint stays and anchors the rest, the purge is journaled, and a prefix removed
/// any other way is caught. Checkpoints also reach a webhook, each once.
#[tokio::test]
async fn old_segments_go_whole_with_their_checkpoint_kept_and_checkpoints_reach_a_webhook() {
    use glc::audit::{checkpoint, retention};
    let server = TestServer::start().await;
    let (provider, db) = (&server.provider, &server.provider.db);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let record = |n: i64| {
        let provider = provider.clone();
        async move {
            let event =
                glc::audit::Event { details: json!({ "n": n }), ..glc::audit::Event::new(Actor::System, "test.event") };
            glc::audit::record(&provider, event).await.unwrap();
        }
    };
    for n in 1..=3 {
        record(n).await;
    }
    checkpoint::write(provider, dir).await.unwrap().unwrap();
    record(4).await;
    record(5).await;
    let five = checkpoint::write(provider, dir).await.unwrap().unwrap();
    record(6).await;

    // The webhook gets each checkpoint once, as a signed JWT of its own type.
    let archive = crate::support::Receiver::start("/checkpoints").await;
    assert_eq!(checkpoint::deliver(provider, dir, &archive.url).await.unwrap(), 2);
    assert_eq!(checkpoint::deliver(provider, dir, &archive.url).await.unwrap(), 0, "each once");
    let hits = archive.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(crate::support::jwt_header(&hits[1].2)["typ"], "journal-checkpoint+jwt");
    assert_eq!(crate::support::jwt_claims(&hits[1].2)["seq"], 5);

    // Nothing is old enough yet; two days later, both checkpointed segments are.
    assert!(retention::purge(provider, dir, 86_400).await.unwrap().is_none());
    server.clock.advance(2 * 86_400);
    record(7).await;
    let purged = retention::purge(provider, dir, 86_400).await.unwrap().unwrap();
    assert_eq!((purged.through, purged.removed), (5, 5), "entry 6 is in no complete segment: it stays");
    let anchor = retention::anchor(provider, dir).await.unwrap();
    assert_eq!(anchor, Some((5, five.hash.clone())));
    assert_eq!(glc::audit::verify_from(db, anchor).await.unwrap(), Ok(3), "6, 7 and the purge itself");
    assert!(glc::audit::verify(db).await.unwrap().is_err(), "from the genesis, the start is gone");
    let report = checkpoint::verify(provider, dir).await.unwrap();
    assert_eq!((report.checked, report.purged, report.problems.len()), (2, 1, 0), "{report:?}");
    let purges = glc::store::journal::filtered(
        db,
        &glc::store::journal::JournalFilter { limit: 10, action: Some("journal.purged".into()), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(purges.len(), 1);

    // Someone removes the next entry too: no checkpoint anchors it, no purge says so.
    exec(db, "DELETE FROM audit_journal WHERE seq = 6").await;
    assert!(retention::anchor(provider, dir).await.is_err());
    assert!(retention::purge(provider, dir, 86_400).await.is_err(), "a broken journal is never purged");
}
