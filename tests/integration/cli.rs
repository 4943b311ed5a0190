//! The `glc` command line, run as a process against the same database and keys as a running
//! server.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{Browser, PASSWORD, TestClient, TestServer};
use glc::oauth::client::AuthMethod;

fn glc(dir: &Path, args: &[&str]) -> Output {
    glc_on(dir, &format!("sqlite:{}", dir.join("glc.db").display()), args)
}

/// Runs `glc` on the database `database_url` with the keys of `dir`.
fn glc_on(dir: &Path, database_url: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_glc"));
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("GLC_") {
            command.env_remove(key);
        }
    }
    command.env("GLC_DATABASE_URL", database_url).env("GLC_KEYS_DIR", dir.join("keys")).output().unwrap()
}

fn json(dir: &Path, args: &[&str]) -> Value {
    json_on(dir, &format!("sqlite:{}", dir.join("glc.db").display()), args)
}

fn json_on(dir: &Path, database_url: &str, args: &[&str]) -> Value {
    let out = glc_on(dir, database_url, args);
    assert!(out.status.success(), "glc {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("glc {args:?} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test]
async fn clients_and_residents_created_by_the_cli_work_on_the_running_server() {
    let server = TestServer::start().await;
    let dir = server.dir.path();
    let db = server.provider.config.database_url.clone();
    let json = |dir: &Path, args: &[&str]| json_on(dir, &db, args);
    let partner = json(dir, &["partner", "create", "--name", "Vaulx-en-Velin", "--insee", "69256", "--json"]);
    assert_eq!(partner["id"], "vaulx-en-velin");
    json(
        dir,
        &["user", "create", "--email", "camille@lyon.fr", "--password", PASSWORD, "--given-name", "Camille", "--json"],
    );
    let created = json(
        dir,
        &[
            "client",
            "create",
            "--name",
            "Portail Vaulx",
            "--redirect-uri",
            "http://127.0.0.1:1/cb",
            "--partner",
            "vaulx-en-velin",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--auth-method",
            "client_secret_post",
            "--scope",
            "openid",
            "--scope",
            "email",
            "--id-token-alg",
            "ES256",
            "--json",
        ],
    );
    assert_eq!(created["partner_id"], "vaulx-en-velin");
    assert_eq!(created["subject_type"], "pairwise", "pairwise by default");
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let client = TestClient {
        id: created["client_id"].as_str().unwrap().to_owned(),
        secret: Some(secret.clone()),
        auth: AuthMethod::ClientSecretPost,
        redirect_uri: "http://127.0.0.1:1/cb".into(),
    };
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid email")]).await;
    assert_eq!(tokens["scope"], "email openid");
    // A scope of the data catalogue the client did not declare is refused, not silently dropped.
    let refused = Browser::new(&server).open(&server.authorize_url(&client, &[("scope", "openid profile")])).await;
    assert_eq!(refused.callback()["error"], "invalid_scope");
    assert_eq!(crate::support::jwt_header(tokens["id_token"].as_str().unwrap())["alg"], "ES256");

    // The secret is stored as a digest only.
    let stored: String = match &server.provider.db {
        glc::store::Db::Sqlite(pool) => sqlx::query_scalar("SELECT secret_digest FROM clients WHERE id = $1")
            .bind(&client.id)
            .fetch_one(pool)
            .await
            .unwrap(),
        glc::store::Db::Postgres(pool) => sqlx::query_scalar("SELECT secret_digest FROM clients WHERE id = $1")
            .bind(&client.id)
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    assert_ne!(stored, secret);
    assert_eq!(stored, glc::secrets::digest(&secret));

    // Rotation: the old secret stops working, the new one works. Made by another process, a
    // change reaches a running single instance within the two seconds it keeps a client in
    // memory (oauth::client_cache); several instances read the database each time.
    let rotated = json(dir, &["client", "rotate-secret", &client.id, "--json"]);
    assert_eq!(status_within_client_cache_lifetime(&server, &client, 401).await, 401, "the old secret is refused");
    let fresh = TestClient { secret: Some(rotated["client_secret"].as_str().unwrap().to_owned()), ..client.clone() };
    let (status, body) = server.redeem(&fresh, "x", &[]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")));

    // Deletion ends the client.
    json(dir, &["client", "delete", &client.id, "--json"]);
    assert_eq!(status_within_client_cache_lifetime(&server, &fresh, 401).await, 401, "a deleted client is refused");
}

/// The status of a token request by `client`, asked again until it is `expected` or the two
/// seconds a single instance may keep a client in memory (and a margin) are over.
async fn status_within_client_cache_lifetime(server: &TestServer, client: &TestClient, expected: u16) -> u16 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let status = server.redeem(client, "x", &[]).await.0.as_u16();
        if status == expected || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[test]
fn every_listing_and_creation_speaks_json() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let migrated = glc(dir, &["migrate"]);
    assert!(migrated.status.success());
    let partners = json(dir, &["partner", "list", "--json"]);
    assert_eq!(partners[0]["id"], "metropole-de-lyon", "the Métropole exists from the first start");
    let user = json(dir, &["user", "create", "--email", "Dominique@Bron.fr", "--password", PASSWORD, "--json"]);
    assert_eq!(user["email"], "dominique@bron.fr");
    assert!(user.get("password_hash").is_none());
    assert_eq!(json(dir, &["user", "list", "--json"]).as_array().unwrap().len(), 1);
    assert_eq!(json(dir, &["user", "show", "dominique@bron.fr", "--json"])["id"], user["id"]);
    assert_eq!(json(dir, &["user", "disable", user["id"].as_str().unwrap(), "--json"])["disabled"], true);

    let public = json(
        dir,
        &["client", "create", "--name", "App", "--redirect-uri", "fr.lyon.app:/cb", "--auth-method", "none", "--json"],
    );
    assert!(public.get("client_secret").is_none(), "a public client has no secret");
    let service = json(
        dir,
        &[
            "client",
            "create",
            "--name",
            "GRU",
            "--grant-type",
            "client_credentials",
            "--scope",
            "gru:read",
            "--resource",
            "https://api.grandlyon.example",
            "--subject-type",
            "public",
            "--json",
        ],
    );
    assert_eq!(service["grant_types"], serde_json::json!(["client_credentials"]));
    assert_eq!(json(dir, &["client", "list", "--json"]).as_array().unwrap().len(), 2);
    assert_eq!(json(dir, &["client", "show", public["client_id"].as_str().unwrap(), "--json"])["auth_method"], "none");

    let keys = json(dir, &["keys", "list", "--json"]);
    assert_eq!(keys.as_array().unwrap().len(), 5, "three signing keys, two encryption keys");
    let added = json(dir, &["keys", "rotate", "--alg", "ES256", "--alg", "RSA-OAEP-256", "--json"]);
    assert_eq!(added[0]["alg"], "ES256");
    assert_eq!(added[1]["alg"], "RSA-OAEP-256");
    assert_eq!(json(dir, &["keys", "list", "--json"]).as_array().unwrap().len(), 7);
    // The replaced key still signs for 10 minutes, and its tokens live on after: nothing to prune.
    assert_eq!(json(dir, &["keys", "prune", "--json"]), serde_json::json!([]));
    assert_eq!(json(dir, &["keys", "list", "--json"]).as_array().unwrap().len(), 7);
}

#[test]
fn bad_input_is_refused_with_a_message_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let out = Command::new(env!("CARGO_BIN_EXE_glc"))
        .current_dir(dir)
        .env("GLC_ISSUER", "http://example.org")
        .args(["migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`issuer`"));
    let out = Command::new(env!("CARGO_BIN_EXE_glc"))
        .current_dir(dir)
        .env("GLC_LIFETIMES__ACCESS_TOKEN", "forever")
        .args(["migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(message.contains("lifetimes.access_token"), "{message}");
    for args in [
        vec!["client", "create", "--name", "x", "--redirect-uri", "https://a.fr/cb", "--id-token-alg", "none"],
        vec!["client", "create", "--name", "x", "--redirect-uri", "http://a.fr/cb"],
        vec!["client", "create", "--name", "x", "--redirect-uri", "https://a.fr/cb", "--partner", "nowhere"],
        vec!["user", "create", "--email", "not-an-email", "--password", PASSWORD],
        vec!["user", "create", "--email", "a@b.fr", "--password", "short"],
        vec!["partner", "create", "--name", "Bron", "--insee", "6902"],
    ] {
        let out = glc(dir, &args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(!out.stderr.is_empty());
    }
    json(dir, &["user", "create", "--email", "a@b.fr", "--password", PASSWORD, "--json"]);
    let out = glc(dir, &["user", "create", "--email", "A@B.fr", "--password", PASSWORD]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

/// `conformance/certify.sh` registers the resident and the static clients with `glc`, then
/// writes every plan's configuration with their credentials filled in.
#[test]
fn the_certification_script_writes_every_plan_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut command = Command::new("sh");
    command
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/certify.sh"))
        .args(["https://connect.example.fr", "glc"]);
    for (key, _) in std::env::vars() {
        if key.starts_with("GLC_") {
            command.env_remove(key);
        }
    }
    let status = command
        .current_dir(dir.path())
        .env("GLC", env!("CARGO_BIN_EXE_glc"))
        .env("GLC_DATABASE_URL", format!("sqlite:{}", dir.path().join("glc.db").display()))
        .env("GLC_KEYS_DIR", dir.path().join("keys"))
        .env("OUT", &out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let plans: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/plans")).unwrap().collect();
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), plans.len());
    let basic: Value = serde_json::from_str(&std::fs::read_to_string(out.join("oidcc-basic.json")).unwrap()).unwrap();
    assert_eq!(basic["plan"], "oidcc-basic-certification-test-plan");
    let config = &basic["config"];
    assert_eq!(config["server"]["discoveryUrl"], "https://connect.example.fr/.well-known/openid-configuration");
    let clients = json(dir.path(), &["client", "list", "--json"]);
    let registered: Vec<&str> = clients.as_array().unwrap().iter().map(|c| c["client_id"].as_str().unwrap()).collect();
    for name in ["client", "client2", "client_secret_post"] {
        let id = config[name]["client_id"].as_str().unwrap();
        assert!(registered.contains(&id), "{name}: {id} is registered");
        assert!(config[name]["client_secret"].as_str().is_some_and(|s| !s.contains("{{")));
    }
    let redirect = clients[0]["redirect_uris"][0].as_str().unwrap();
    assert_eq!(redirect, "https://www.certification.openid.net/test/a/glc/callback");
    let everything = std::fs::read_to_string(out.join("oidcc-rp-initiated-logout.json")).unwrap();
    assert!(!everything.contains("{{"), "every placeholder filled");
}
