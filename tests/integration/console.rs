//! The administration console: signing in through the provider with a second factor, each
//! role's pages and nothing else, forms that need the session's CSRF token, and every change in
//! the journal. The same in a real browser: `console_in_chromium` below.

use glc::admin::roles::{self, Role};
use glc::audit::Actor;

use crate::support::{Browser, Landing, PASSWORD, TestServer};

/// `email`, a resident with `role` (if any) and an authenticator app: its secret.
pub async fn administrator(server: &TestServer, email: &str, role: Option<Role>) -> Vec<u8> {
    let provider = &server.provider;
    let user = server.resident(email).await;
    if let Some(role) = role {
        roles::grant(&provider.db, provider.now(), Actor::Operator, email, role, Some("test")).await.unwrap();
    }
    let enrolment = glc::identity::mfa::start_enrolment(provider, &user.id, email).await.unwrap();
    let secret = glc::identity::totp::from_base32(&enrolment.secret).unwrap();
    // The previous step's code: the sign-in that follows may use the current one.
    let code = glc::identity::totp::code(&secret, provider.now() - 30);
    glc::identity::mfa::confirm_enrolment(provider, &user.id, &code).await.unwrap();
    secret
}

/// Signs `email` in to the console (password, then the app's code `secret` gives, then the
/// consent asked the first time): where the browser lands.
async fn sign_in(server: &TestServer, browser: &Browser, email: &str, secret: Option<&[u8]>) -> Landing {
    let login = browser.open(&server.url("/admin/console")).await;
    assert!(login.is_login_page(), "the provider's login page first: {login:?}");
    let mut landing = browser.login(&login, email, PASSWORD).await;
    if let Some(secret) = secret {
        let code = glc::identity::totp::code(secret, server.provider.now());
        landing = browser.submit(&landing, &[("code", &code)]).await;
    }
    if landing.is_consent_page() {
        landing = browser.submit(&landing, &[("decision", "allow")]).await;
    }
    landing
}

/// The actions in the journal, in order.
async fn journaled(server: &TestServer) -> Vec<String> {
    let filter = glc::store::journal::JournalFilter { limit: 1000, ..Default::default() };
    glc::store::journal::filtered(&server.provider.db, &filter).await.unwrap().into_iter().map(|r| r.action).collect()
}

#[tokio::test]
async fn the_console_signs_in_through_the_provider_with_a_second_factor_and_ends_with_the_grant() {
    let server = TestServer::start().await;
    // An administrator without a second factor is sent to set one up.
    server.resident("sans-facteur@grandlyon.com").await;
    let db = &server.provider.db;
    roles::grant(db, server.provider.now(), Actor::Operator, "sans-facteur@grandlyon.com", Role::Auditor, None)
        .await
        .unwrap();
    let weak = sign_in(&server, &Browser::new(&server), "sans-facteur@grandlyon.com", None).await;
    assert_eq!(weak.status(), 403, "{}", weak.html());
    assert!(weak.html().contains("Second facteur exigé"), "{}", weak.html());
    // A resident with a second factor but no role: refused.
    let resident = administrator(&server, "camille@lyon.fr", None).await;
    let nobody = sign_in(&server, &Browser::new(&server), "camille@lyon.fr", Some(&resident)).await;
    assert_eq!(nobody.status(), 403);
    assert!(nobody.html().contains("aucun rôle d’administration"), "{}", nobody.html());

    // An auditor with a second factor: the console, their sections only.
    let secret = administrator(&server, "audit@grandlyon.com", Some(Role::Auditor)).await;
    let browser = Browser::new(&server);
    let home = sign_in(&server, &browser, "audit@grandlyon.com", Some(&secret)).await;
    assert_eq!(home.status(), 200, "{}", home.html());
    let html = home.html();
    assert!(html.contains("Auditeur") && html.contains("audit@grandlyon.com"), "{html}");
    assert!(html.contains("href=\"/admin/console/journal\""));
    for hidden in
        ["/admin/console/partners", "/admin/console/clients", "/admin/console/helpdesk", "/admin/console/keys"]
    {
        assert!(!html.contains(&format!("href=\"{hidden}\"")), "{hidden} is not an auditor's");
    }
    assert!(journaled(&server).await.contains(&"console.signed_in".to_owned()));

    // A callback this browser did not start is refused.
    let forged = browser.open(&server.url("/admin/console/callback?code=x&state=y")).await;
    assert_eq!(forged.status(), 400);
    // A form without the session's token changes nothing; without a session, neither.
    let no_csrf = browser.post_form(&server.url("/admin/console/keys/rotate"), &[("csrf", "forged")]).await;
    assert_eq!(no_csrf.status(), 403);
    let stranger =
        Browser::new(&server).post_form(&server.url("/admin/console/keys/rotate"), &[("csrf", "forged")]).await;
    assert_eq!(stranger.status(), 401);
    assert!(!journaled(&server).await.iter().any(|a| a == "keys.rotated"));

    // Signing out everywhere on the provider revokes the grant: the console session ends with it.
    let user = glc::identity::user::find_by_id_or_email(db, "audit@grandlyon.com").await.unwrap().unwrap();
    let journal = browser.open(&server.url("/admin/console/journal")).await;
    assert_eq!(journal.status(), 200);
    glc::oauth::logout::end_all_sessions(&server.provider, &user.id).await.unwrap();
    assert!(browser.open(&server.url("/admin/console/journal")).await.is_login_page(), "signed in again first");

    // Signing out of the console signs out of the provider too.
    server.clock.advance(30);
    let home = sign_in(&server, &browser, "audit@grandlyon.com", Some(&secret)).await;
    assert_eq!(home.status(), 200, "{}", home.html());
    let out = send(&server, &browser, &home, "/admin/console/logout", &[]).await;
    assert!(out.html().contains("Déconnecté de la console"), "{}", out.html());
    assert!(journaled(&server).await.contains(&"console.signed_out".to_owned()));
    assert!(browser.open(&server.url("/admin/console")).await.is_login_page(), "a new sign-in");
    // A role withdrawn ends the console at the next request.
    server.clock.advance(30);
    let home = sign_in(&server, &browser, "audit@grandlyon.com", Some(&secret)).await;
    assert_eq!(home.status(), 200, "{}", home.html());
    roles::revoke(db, server.provider.now(), Actor::Operator, "audit@grandlyon.com", "auditor", None).await.unwrap();
    let gone = browser.open(&server.url("/admin/console/journal")).await;
    assert_eq!(gone.status(), 403, "{gone:?}");
    assert!(gone.html().contains("aucun rôle d’administration"));
}

#[tokio::test]
async fn each_role_does_exactly_its_part_in_the_console_and_every_change_is_journaled() {
    let server = TestServer::start().await;
    let metropole = administrator(&server, "admin@grandlyon.com", Some(Role::MetropoleAdmin)).await;
    let admin = Browser::new(&server);
    let home = sign_in(&server, &admin, "admin@grandlyon.com", Some(&metropole)).await;
    assert!(home.html().contains("Administrateur de la Métropole"), "{}", home.html());

    // A commune, created through the form; a mistake is named and the form kept.
    let partners = admin.open(&server.url("/admin/console/partners")).await;
    let wrong =
        send(&server, &admin, &partners, "/admin/console/partners", &[("name", "Bron"), ("population", "beaucoup")])
            .await;
    assert_eq!(wrong.status(), 400);
    assert!(wrong.html().contains("population") && wrong.html().contains("value=\"Bron\""), "{}", wrong.html());
    let bron = send(
        &server,
        &admin,
        &wrong,
        "/admin/console/partners",
        &[("name", "Bron"), ("insee_code", "69029"), ("population", "41000"), ("offer", "global")],
    )
    .await;
    assert!(bron.html().contains("Commune partenaire créée."), "{}", bron.html());
    assert!(bron.html().contains("id=\"fee\""), "the year's fee is shown: {}", bron.html());
    let partner =
        glc::partners::list(&server.provider.db).await.unwrap().into_iter().find(|p| p.name == "Bron").unwrap();

    // An application for it, its secret shown once.
    let new = admin.open(&server.url(&format!("/admin/console/clients/new?partner={}", partner.id))).await;
    let created = send(
        &server,
        &admin,
        &new,
        "/admin/console/clients",
        &[
            ("client_name", "Portail de Bron"),
            ("redirect_uris", "https://portail.bron.fr/callback"),
            ("grant_client_credentials", "on"),
            ("client_id", "portail-bron"),
        ],
    )
    .await;
    assert_eq!(created.status(), 201, "{}", created.html());
    let secret = between(created.html(), "<code id=\"secret\">", "<");
    assert_eq!(crate::support::authenticates(&server, "portail-bron", &secret).await, 200);
    let client = glc::oauth::client::find(&server.provider.db, "portail-bron").await.unwrap().unwrap();
    assert_eq!(client.partner_id, partner.id);

    // Changed: its redirect URIs; an old version of the page cannot overwrite it.
    let page = admin.open(&server.url("/admin/console/clients/portail-bron")).await;
    let saved = send(
        &server,
        &admin,
        &page,
        "/admin/console/clients/portail-bron",
        &[("redirect_uris", "https://portail.bron.fr/callback\nhttps://portail.bron.fr/cb2")],
    )
    .await;
    assert!(saved.html().contains("Modifications enregistrées."), "{}", saved.html());
    let stale = send(&server, &admin, &page, "/admin/console/clients/portail-bron", &[("client_name", "Autre")]).await;
    assert_eq!(stale.status(), 412, "{}", stale.html());
    let client = glc::oauth::client::find(&server.provider.db, "portail-bron").await.unwrap().unwrap();
    assert_eq!(client.redirect_uris.len(), 2);
    assert_eq!(client.name, "Portail de Bron");

    // What it does with each piece of data, as the consent page will say.
    let page = admin.open(&server.url("/admin/console/clients/portail-bron")).await;
    let action = "/admin/console/clients/portail-bron/purposes";
    let html = page.html();
    let email_form = html.find("<code>email</code>").expect("a form per scope");
    let form_start = html[..email_form].rfind("<form").unwrap();
    let one = Landing::Page { status: 200, html: html[form_start..].to_owned(), url: String::new() };
    let declared = send(&server, &admin, &one, action, &[("purpose", "Vous écrire au sujet de vos démarches")]).await;
    assert!(declared.html().contains("Vous écrire au sujet de vos démarches"), "{}", declared.html());

    // The secret rotated with a day of overlap: both work until then.
    let fresh = admin.open(&server.url("/admin/console/clients/portail-bron")).await;
    let rotated =
        send(&server, &admin, &fresh, "/admin/console/clients/portail-bron/secret", &[("keep_previous_for", "day")])
            .await;
    assert!(rotated.html().contains("L’ancien secret reste valide jusqu’au"), "{}", rotated.html());
    let new_secret = between(rotated.html(), "<code id=\"secret\">", "<");
    assert_eq!(crate::support::authenticates(&server, "portail-bron", &new_secret).await, 200);
    assert_eq!(
        crate::support::authenticates(&server, "portail-bron", &secret).await,
        200,
        "the old one, during the overlap"
    );

    // A commune's administrator: their commune's applications, nothing of anyone else's.
    let lyon_app = server.web_client().await;
    let commune = administrator(&server, "dsi@bron.fr", Some(Role::CommuneAdmin(partner.id.clone()))).await;
    let bron_admin = Browser::new(&server);
    let home = sign_in(&server, &bron_admin, "dsi@bron.fr", Some(&commune)).await;
    assert!(home.html().contains("href=\"/admin/console/clients\""));
    assert!(!home.html().contains("href=\"/admin/console/keys\""));
    let list = bron_admin.open(&server.url("/admin/console/clients")).await;
    assert!(list.html().contains("portail-bron") && !list.html().contains(&lyon_app.id), "{}", list.html());
    let other = bron_admin.open(&server.url(&format!("/admin/console/clients/{}", lyon_app.id))).await;
    assert_eq!(other.status(), 404, "another commune's client does not exist for them");
    let registry = bron_admin.open(&server.url("/admin/console/partners")).await;
    assert!(!registry.html().contains("action=\"/admin/console/partners\""), "no creation form");
    let csrf = crate::support::form_field(home.html(), "/admin/console/logout", "csrf");
    let create =
        bron_admin.post_form(&server.url("/admin/console/partners"), &[("csrf", &csrf), ("name", "Bron bis")]).await;
    assert_eq!(create.status(), 403);
    for path in ["/admin/console/keys", "/admin/console/helpdesk", "/admin/console/journal"] {
        assert_eq!(bron_admin.open(&server.url(path)).await.status(), 403, "{path}");
    }
    // The year's fees: every partner for the Métropole, their own for a commune.
    server.commune("Dardilly").await;
    let all = admin.open(&server.url("/admin/console/reports")).await;
    assert!(all.html().contains("Dardilly") && all.html().contains("id=\"fees-total\""), "{}", all.html());
    let own = bron_admin.open(&server.url("/admin/console/reports?year=2027")).await;
    assert!(own.html().contains("Bron") && !own.html().contains("Dardilly"), "{}", own.html());
    assert_eq!(bron_admin.open(&server.url("/admin/console/reports?year=deux")).await.status(), 400);

    // A help-desk agent: residents only.
    let resident = server.resident("dominique@bron.fr").await;
    let helpdesk = administrator(&server, "agent@grandlyon.com", Some(Role::Helpdesk)).await;
    let agent = Browser::new(&server);
    sign_in(&server, &agent, "agent@grandlyon.com", Some(&helpdesk)).await;
    for path in [
        "/admin/console/partners",
        "/admin/console/clients",
        "/admin/console/keys",
        "/admin/console/journal",
        "/admin/console/reports",
    ] {
        assert_eq!(agent.open(&server.url(path)).await.status(), 403, "{path}");
    }
    let desk = agent.open(&server.url("/admin/console/helpdesk")).await;
    let no_reason = send(&server, &agent, &desk, "/admin/console/helpdesk", &[("q", "dominique@bron.fr")]).await;
    assert_eq!(no_reason.status(), 400, "a look-up needs a reason");
    let found = send(
        &server,
        &agent,
        &desk,
        "/admin/console/helpdesk",
        &[("q", "dominique@bron.fr"), ("reason", "Appel du 29 novembre")],
    )
    .await;
    assert!(found.html().contains(&resident.id), "{}", found.html());
    let action = format!("/admin/console/residents/{}/assist", resident.id);
    let disabled = send(&server, &agent, &found, &action, &[("action", "disable")]).await;
    assert!(disabled.html().contains("Action effectuée"), "{}", disabled.html());
    let user = glc::identity::user::find(&server.provider.db, &resident.id).await.unwrap().unwrap();
    assert!(user.disabled);

    // The Métropole's administrator: keys and the journal, which holds everything above.
    let keys = admin.open(&server.url("/admin/console/keys")).await;
    let rotated = send(&server, &admin, &keys, "/admin/console/keys/rotate", &[]).await;
    assert!(rotated.html().contains("Nouvelles clés ajoutées."), "{}", rotated.html());
    let actions = journaled(&server).await;
    for action in [
        "console.signed_in",
        "partner.created",
        "client.created",
        "client.updated",
        "client.secret_rotated",
        "client.purpose_declared",
        "helpdesk.looked_up",
        "helpdesk.disabled",
        "keys.rotated",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} not journaled: {actions:?}");
    }
    let journal = admin.open(&server.url("/admin/console/journal?action=helpdesk.")).await;
    assert!(journal.html().contains("Appel du 29 novembre"), "{}", journal.html());
    assert!(!journal.html().contains("client.created"), "filtered");
    let export = admin.fetch(&server.url("/admin/console/journal/export?action=client.")).await;
    assert_eq!(export.status(), 200);
    let lines = export.text().await.unwrap();
    assert!(
        lines.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()) && lines.contains("client.created")
    );
    assert_eq!(glc::audit::verify(&server.provider.db).await.unwrap().map(|n| n > 8), Ok(true));
    // Deleting needs the box ticked.
    let page = admin.open(&server.url("/admin/console/clients/portail-bron")).await;
    let unticked = send(&server, &admin, &page, "/admin/console/clients/portail-bron/delete", &[]).await;
    assert_eq!(unticked.status(), 400);
    let deleted =
        send(&server, &admin, &page, "/admin/console/clients/portail-bron/delete", &[("confirm", "on")]).await;
    assert!(deleted.html().contains("Application supprimée."), "{}", deleted.html());
    assert!(glc::oauth::client::find(&server.provider.db, "portail-bron").await.unwrap().is_none());
    // The console's own registration cannot be deleted (nor changed here: it has no form).
    let own = admin.open(&server.url("/admin/console/clients/glc-console")).await;
    assert!(!own.html().contains("/admin/console/clients/glc-console/delete"));
    let csrf = crate::support::form_field(own.html(), "/admin/console/logout", "csrf");
    let url = server.url("/admin/console/clients/glc-console/delete");
    assert_eq!(admin.post_form(&url, &[("csrf", &csrf), ("confirm", "on")]).await.status(), 409);
}

/// What a browser sends for the page's form to `action`: its fields as shown (ticked boxes and
/// chosen radio buttons only, text areas, selected options), with `changes` set — or unticked,
/// for a value of `""` on a box.
async fn send(
    server: &TestServer,
    browser: &Browser,
    page: &Landing,
    action: &str,
    changes: &[(&str, &str)],
) -> Landing {
    let html = page.html();
    let start = html
        .match_indices("<form")
        .map(|(i, _)| i)
        .find(|i| html[*i..].split('>').next().is_some_and(|tag| tag.contains(&format!("action=\"{action}\""))))
        .unwrap_or_else(|| panic!("no form to {action} in {html}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let mut fields: Vec<(String, String)> = Vec::new();
    let attribute = |tag: &str, name: &str| {
        let needle = format!(" {name}=\"");
        tag.find(&needle).map(|i| {
            let rest = &tag[i + needle.len()..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
    };
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let tag = &rest[..rest.find('>').unwrap() + 1];
        if tag.starts_with("<input") {
            let kind = attribute(tag, "type").unwrap_or_default();
            let ticked = tag.contains(" checked");
            if let Some(name) = attribute(tag, "name")
                && (!matches!(kind.as_str(), "checkbox" | "radio") || ticked)
            {
                fields.push((name, attribute(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<textarea") {
            let body = &rest[tag.len()..];
            let text = &body[..body.find("</textarea>").unwrap()];
            fields.push((attribute(tag, "name").unwrap(), unescape(text)));
        } else if tag.starts_with("<select") {
            let body = &rest[tag.len()..rest.find("</select>").unwrap()];
            let chosen = body
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| body.split("<option").nth(1))
                .map(|o| attribute(&format!(" {o}"), "value").unwrap_or_default());
            fields.push((attribute(tag, "name").unwrap(), chosen.unwrap_or_default()));
        }
        rest = &rest[1..];
    }
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        if !value.is_empty() {
            fields.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    browser.post_form(&server.url(action), &pairs).await
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn between(html: &str, start: &str, end: &str) -> String {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start} in {html}")) + start.len();
    html[from..from + html[from..].find(end).unwrap()].to_owned()
}

/// The done-when of the console, in Debian's headless Chromium (`tests/browser/console.mjs`):
/// a commune registered, an application registered for it, its secret rotated, a resident
/// assisted by the help desk, all through the console's pages, which axe-core finds free of
/// serious violations; then what the provider holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commune_and_its_application_are_registered_and_a_resident_assisted_through_the_console_in_chromium() {
    use crate::accessibility::{browser_tools, install_tools};
    install_tools();
    let server = TestServer::start_on_localhost().await;
    let admin = administrator(&server, "admin@grandlyon.com", Some(Role::MetropoleAdmin)).await;
    let agent = administrator(&server, "agent@grandlyon.com", Some(Role::Helpdesk)).await;
    let resident = server.resident("dominique@dardilly.fr").await;
    let config = serde_json::json!({
        "base": server.base,
        "password": PASSWORD,
        "admin": { "email": "admin@grandlyon.com", "totp": glc::identity::totp::base32(&admin) },
        "agent": { "email": "agent@grandlyon.com", "totp": glc::identity::totp::base32(&agent) },
        "resident": "dominique@dardilly.fr",
    });
    let run = tokio::process::Command::new("node")
        .arg(browser_tools().join("console.mjs"))
        .arg(config.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(180), run)
        .await
        .expect("the console journey did not finish")
        .expect("node is needed for the console journey");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "console journey failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let steps: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for step in [
        "admin_signed_in",
        "commune_registered",
        "client_registered",
        "secret_rotated",
        "reports",
        "journal",
        "admin_signed_out",
        "agent_signed_in",
        "resident_found",
        "resident_assisted",
    ] {
        assert!(steps[step].is_string(), "step {step} not reached: {steps}");
    }
    assert_eq!(steps["violations"], serde_json::json!([]), "accessibility: {steps}");
    assert_eq!(steps["disabled_shown"], "Oui");

    // What the provider holds: the commune, its application, both secrets valid for the day.
    let db = &server.provider.db;
    let dardilly = glc::partners::list(db).await.unwrap().into_iter().find(|p| p.name == "Dardilly").expect("Dardilly");
    assert_eq!(dardilly.insee_code.as_deref(), Some("69072"));
    let client = glc::oauth::client::find(db, "portail-dardilly").await.unwrap().expect("the application");
    assert_eq!(client.partner_id, dardilly.id);
    let (first, second) = (steps["first_secret"].as_str().unwrap(), steps["second_secret"].as_str().unwrap());
    assert_ne!(first, second);
    assert_eq!(crate::support::authenticates(&server, "portail-dardilly", second).await, 200);
    assert_eq!(
        crate::support::authenticates(&server, "portail-dardilly", first).await,
        200,
        "the old secret, for the day"
    );
    server.clock.advance(86_400 + 1);
    assert_eq!(crate::support::authenticates(&server, "portail-dardilly", first).await, 401, "not after");
    // The resident: disabled, and told on their account page (the journal has the reason).
    let user = glc::identity::user::find(db, &resident.id).await.unwrap().unwrap();
    assert!(user.disabled);
    let interventions = glc::admin::helpdesk::interventions_on(&server.provider, &resident.id).await.unwrap();
    assert!(interventions.iter().any(|i| i.reason.as_deref() == Some("Appel du résident : téléphone volé")));
}
