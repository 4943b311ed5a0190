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
}
