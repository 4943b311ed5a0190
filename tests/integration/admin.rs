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
    // Three changes, three journal entries, the chain intact.
    assert_eq!(json(dir, &["audit", "verify", "--json"])["entries"], 3);
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
