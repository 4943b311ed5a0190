//! The resident's whole journey in a real browser (Debian's headless Chromium, with its virtual
//! authenticator for the passkey): `tests/browser/flow.mjs` clicks through sign-up, the mailed
//! verification link, sign-in, adding a passkey, passwordless sign-in, an authenticator app,
//! password + code, a password reset and password + passkey. This test starts the provider on
//! `localhost` (WebAuthn wants a host name), runs the script and checks what the provider holds
//! afterwards.

use crate::accessibility::{browser_tools, install_tools};
use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_signs_up_adds_a_passkey_and_an_app_and_resets_the_password_in_chromium() {
    install_tools();
    let server = TestServer::start_on_localhost().await;
    let config = serde_json::json!({
        "base": server.base,
        "outbox": server.dir.path().join("outbox"),
    });
    let run = tokio::process::Command::new("node")
        .arg(browser_tools().join("flow.mjs"))
        .arg(config.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(180), run)
        .await
        .expect("the browser flow did not finish")
        .expect("node is needed for the browser flow");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "browser flow failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let steps: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for step in [
        "signed_up",
        "verified",
        "signed_in",
        "passkey_added",
        "signed_out",
        "passkey_login",
        "totp_enrolled",
        "asked_second_factor",
        "totp_login",
        "password_reset",
        "asked_second_factor_again",
        "passkey_second_factor",
    ] {
        assert!(steps[step].is_string(), "step {step} not reached: {steps}");
    }
    assert_eq!(steps["credentials_in_authenticator"], 1);
    assert_eq!(steps["credential_is_discoverable"], true, "a passkey alone can log in: {steps}");
    assert!(steps["passkey_second_factor"].as_str().unwrap().ends_with("/account"));

    // What the provider holds: a verified account, its passkey (used), its app.
    let provider = &server.provider;
    let email = "dominique.browser@vaulx-en-velin.fr";
    let user = glc::store::users::find_by_email(&provider.db, email).await.unwrap().expect("the account");
    let user = glc::identity::user::User::from(user);
    assert!(user.email_verified);
    let passkeys = glc::identity::passkeys::list(provider, &user.id).await.unwrap();
    assert_eq!(passkeys.len(), 1);
    assert_eq!(passkeys[0].name, "Ordinateur du salon");
    assert!(passkeys[0].last_used_at.is_some());
    assert!(glc::identity::mfa::is_enrolled(provider, &user.id).await.unwrap());
    let mails = server.mails_to(email);
    assert!(mails.iter().any(|m| m.body.contains("« Ordinateur du salon »")), "the new passkey was mailed about");
    // Each change of factor is a security event in the journal.
    let filter =
        glc::store::journal::JournalFilter { limit: 100, action: Some("security.".into()), ..Default::default() };
    let rows = glc::store::journal::filtered(&provider.db, &filter).await.unwrap();
    for action in ["security.passkey_added", "security.totp_enabled", "security.password_reset"] {
        let row = rows.iter().find(|r| r.action == action);
        assert!(row.is_some(), "{action} not journaled: {rows:?}");
        // From where: the request's address, which the HTTP layer gives every entry.
        assert_eq!(row.unwrap().origin.as_deref(), Some("127.0.0.1"), "{action}");
    }
}

/// The consent page and "Mes autorisations" with the keyboard only, in French, including a
/// withdrawal (`tests/browser/consent.mjs`); then what the provider holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_unticks_a_piece_and_withdraws_another_with_the_keyboard_in_chromium() {
    install_tools();
    let server = TestServer::start_on_localhost().await;
    let user = server.resident("camille@lyon.fr").await;
    // The service's callback, somewhere Chromium may go (it refuses port 1).
    let service = crate::support::Receiver::start("/callback").await;
    let client = server
        .register(glc::oauth::client::ClientSpec {
            redirect_uris: vec![service.url.clone()],
            ..TestServer::web_spec("Portail")
        })
        .await;
    let config = serde_json::json!({
        "base": server.base,
        "authorize": server.authorize_url(&client, &[("scope", "openid profile email")]),
        "email": "camille@lyon.fr",
        "password": crate::support::PASSWORD,
    });
    let run = tokio::process::Command::new("node")
        .arg(browser_tools().join("consent.mjs"))
        .arg(config.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the consent journey did not finish")
        .expect("node is needed for the consent journey");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "consent journey failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let steps: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(steps["consent_page"].as_str().unwrap().starts_with("Autoriser le partage"), "{steps}");
    assert_eq!(steps["consent_lang"], "fr");
    assert_eq!(steps["email_unticked"], true);
    assert!(steps["back_at_service"].as_str().unwrap().contains("code="), "{steps}");
    assert!(steps["authorizations_page"].as_str().unwrap().starts_with("Mes autorisations"));
    assert_eq!(steps["email_shown_refused"], true, "the unticked address is shown as not shared");
    assert!(steps["withdrawn_notice"].as_str().unwrap().contains("Autorisation retirée"), "{steps}");

    // The first piece with a button (the list is in key order): the birthdate.
    assert_eq!(steps["withdrawn_piece"], "birthdate", "{steps}");
    let decisions = glc::store::consent_items::of_user(&server.provider.db, &user.id).await.unwrap();
    let decided = |item: &str| decisions.iter().find(|d| d.item == item).unwrap().granted;
    assert!(!decided("email"), "unticked on the consent page");
    assert!(!decided("birthdate"), "withdrawn on Mes autorisations");
    assert!(decided("given_name"), "the rest stays granted");
}
