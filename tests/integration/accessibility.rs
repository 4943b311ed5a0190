//! The accessibility audit: axe-core's WCAG 2.1 A and AA rules on the login (and its error),
//! consent, error, sign-up, recovery, account and accessibility-statement pages, and the
//! FranceConnect ones (the FranceConnect+ login, an FC error, the account page of an FC
//! account, the FC+ reconciliation question), in Debian's headless Chromium, after real
//! sign-ins; and no page may scroll sideways at 320 px. The
//! script is `tests/browser/audit.mjs`; its two npm packages are installed on first run.

use std::path::Path;
use std::process::Command;

use crate::support::PASSWORD;

pub fn browser_tools() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser"))
}

/// `npm ci` once (pinned by `package-lock.json`), never a silent skip.
pub fn install_tools() {
    if browser_tools().join("node_modules/axe-core").exists()
        && browser_tools().join("node_modules/playwright-core").exists()
    {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(browser_tools())
        .status()
        .expect("npm (Node.js) is needed for the accessibility audit");
    assert!(status.success(), "npm ci failed in tests/browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_has_a_serious_or_critical_accessibility_violation() {
    install_tools();
    // On `localhost`, so that the passkey forms (shown by script where WebAuthn exists) are
    // audited too; with FranceConnect and FranceConnect+ (stand-ins), so are their buttons and
    // pages.
    let fed = crate::franceconnect::federation_on(Some("RSA-OAEP-256"), true).await;
    let server = &fed.server;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let config = serde_json::json!({
        "base": server.base,
        "authorize": server.authorize_url(&client, &[("scope", "openid email profile")]),
        "authorize_plus": server.authorize_url(&client, &[("scope", "openid"), ("acr_values", "eidas2")]),
        "email": "camille@lyon.fr",
        "password": PASSWORD,
    });
    let run = tokio::process::Command::new("node")
        .arg(browser_tools().join("audit.mjs"))
        .arg(config.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the audit did not finish")
        .expect("node is needed for the accessibility audit");
    assert!(output.status.success(), "audit failed: {}", String::from_utf8_lossy(&output.stderr));
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut pages = results.as_object().unwrap().clone();
    let control = pages.remove("control").expect("the control page");
    assert!(
        control["violations"].as_array().unwrap().iter().any(|v| v["id"] == "image-alt"),
        "the audit finds a known violation: {control}"
    );
    let title = |name: &str| results[name]["title"].as_str().unwrap_or_default().to_owned();
    assert_eq!(pages.len(), 14, "every page audited: {results}");
    assert!(title("authorizations").starts_with("Mes autorisations"), "{results}");
    assert!(title("reconcile").starts_with("Vous avez peut-être déjà un compte"), "{results}");
    assert!(title("franceconnect_error").starts_with("Connexion avec FranceConnect impossible"), "{results}");
    assert!(results["consent"]["url"].as_str().unwrap().contains("/consent/"), "signed in for real: {results}");
    assert!(results["account"]["url"].as_str().unwrap().ends_with("/account"));
    let mut problems = Vec::new();
    for (name, page) in &pages {
        for violation in page["violations"].as_array().unwrap() {
            if matches!(violation["impact"].as_str(), Some("serious" | "critical")) {
                problems.push(format!("{name}: {violation}"));
            }
        }
        if page["overflows_at_320px"] == true {
            problems.push(format!("{name}: scrolls sideways at 320 px"));
        }
    }
    assert!(problems.is_empty(), "accessibility problems:\n{}", problems.join("\n"));
}
