//! Resident accounts: login throttling, sign-up, email verification, password recovery.

use crate::support::{Browser, Landing, PASSWORD, TestServer};

/// The login page of a fresh authorization request.
async fn login_page(server: &TestServer, browser: &Browser) -> Landing {
    let client = server.web_client().await;
    let page = browser.open(&server.authorize_url(&client, &[])).await;
    assert!(page.is_login_page());
    page
}

#[tokio::test]
async fn failed_logins_slow_the_next_ones_down_whether_the_account_exists_or_not() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    for email in ["camille@lyon.fr", "nobody@lyon.fr"] {
        let browser = Browser::new(&server);
        let mut page = login_page(&server, &browser).await;
        for attempt in 1..=3 {
            page = browser.login(&page, email, "not the password").await;
            assert_eq!(page.status(), 200, "{email}: attempt {attempt} is free");
            assert!(page.html().contains("incorrect"));
        }
        page = browser.login(&page, email, "not the password").await;
        assert_eq!(page.status(), 429, "{email}: the fourth failure earns a delay");
        assert!(page.html().contains("réessayez dans 1 seconde."), "{}", page.html());
        // During the delay even the right password is not checked. (Three more failures, as
        // the store counts them, stretch the delay to 8 s: a loaded machine cannot outrun it.)
        let ip: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            let now = server.provider.now();
            glc::identity::rate_limit::record_failure(&server.provider.ephemeral, email, ip, now).await.unwrap();
        }
        page = browser.login(&page, email, PASSWORD).await;
        assert_eq!(page.status(), 429, "{email}");
    }
    // Once the delay has passed, the right password works and clears the resident's count.
    server.clock.advance(9);
    let browser = Browser::new(&server);
    let page = login_page(&server, &browser).await;
    let after = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    assert!(after.is_consent_page(), "logged in");
    let browser = Browser::new(&server);
    let page = login_page(&server, &browser).await;
    let retry = browser.login(&page, "camille@lyon.fr", "a typo").await;
    assert_eq!(retry.status(), 200, "a success resets the resident's own count");
}

const NEW_PASSWORD: &str = "les traboules du vieux lyon";

async fn sign_up(server: &TestServer, browser: &Browser, email: &str, password: &str) -> Landing {
    let page = browser.open(&server.url("/signup")).await;
    assert_eq!(page.status(), 200);
    browser.submit(&page, &[("email", email), ("password", password), ("given_name", "Dominique")]).await
}

#[tokio::test]
async fn sign_up_verifies_the_address_by_link_and_never_tells_whether_it_was_taken() {
    let server = TestServer::start().await;
    let browser = Browser::new(&server);
    let done = sign_up(&server, &browser, "Dominique@Bron.fr", NEW_PASSWORD).await;
    assert_eq!(done.status(), 200);
    assert!(done.html().contains("Consultez votre messagerie"), "{}", done.html());
    let account =
        glc::identity::user::find_by_id_or_email(&server.provider.db, "dominique@bron.fr").await.unwrap().unwrap();
    assert!(!account.email_verified);
    assert_eq!(account.given_name.as_deref(), Some("Dominique"));
    let mails = server.mails_to("dominique@bron.fr");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.starts_with("GrandLyon Connect"), "{}", mails[0].subject);
    let link = mails[0].link("/verify-email");
    assert!(link.starts_with(&server.base), "{link}");

    let verified = browser.open(&link).await;
    assert!(verified.html().contains("Adresse confirmée"), "{}", verified.html());
    let account = glc::identity::user::find(&server.provider.db, &account.id).await.unwrap().unwrap();
    assert!(account.email_verified);
    assert!(browser.open(&link).await.html().contains("déjà utilisé"), "single use");

    // The same address again: the same page, and a mail to its owner instead of a new account.
    let again = sign_up(&server, &Browser::new(&server), "dominique@bron.fr", "another long passphrase").await;
    assert_eq!((again.status(), again.html().contains("Consultez votre messagerie")), (200, true));
    let mails = server.mails_to("dominique@bron.fr");
    assert_eq!(mails.len(), 2);
    assert!(
        mails[1].body.contains("un compte existe déjà") && !mails[1].body.contains("verify-email"),
        "{}",
        mails[1].body
    );
    let still = glc::identity::user::authenticate(
        &server.provider.db,
        &server.provider.passwords,
        "dominique@bron.fr",
        NEW_PASSWORD,
    )
    .await;
    assert!(still.is_ok(), "the existing account is unchanged");
}

#[tokio::test]
async fn sign_up_explains_a_refused_password_or_address_next_to_its_field() {
    let server = TestServer::start().await;
    let browser = Browser::new(&server);
    for (email, password, expected, field) in [
        ("camille@lyon.fr", "court", "au moins 12 caractères", "password"),
        ("camille@lyon.fr", "azerty123456", "plus utilisés", "password"),
        ("camille@lyon.fr", "camille2024lyon", "adresse électronique", "password"),
        ("not an address", NEW_PASSWORD, "adresse électronique valide", "email"),
    ] {
        let page = sign_up(&server, &browser, email, password).await;
        assert_eq!(page.status(), 400, "{password}");
        let html = page.html();
        assert!(html.contains(expected), "{expected}: {html}");
        let tag = html.split("<input").find(|i| i.contains(&format!("id=\"{field}\""))).unwrap();
        assert!(tag.contains("aria-invalid=\"true\""), "the error is tied to its field: {tag}");
    }
    assert!(server.outbox().is_empty());
    // Without the CSRF cookie's token, nothing is created.
    let forged = Browser::new(&server)
        .post_form(&server.url("/signup"), &[("csrf", "forged"), ("email", "x@lyon.fr"), ("password", NEW_PASSWORD)])
        .await;
    assert_eq!(forged.status(), 400);
    assert!(glc::identity::user::find_by_id_or_email(&server.provider.db, "x@lyon.fr").await.unwrap().is_none());
}

#[tokio::test]
async fn a_password_reset_link_is_single_use_short_lived_and_ends_every_session() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let tokens = server.tokens(&browser, &client, &[("scope", "openid offline_access")]).await;

    let forgot = |email: &'static str| {
        let server = &server;
        async move {
            let browser = Browser::new(server);
            let page = browser.open(&server.url("/password/forgot")).await;
            browser.submit(&page, &[("email", email)]).await
        }
    };
    let unknown = forgot("nobody@lyon.fr").await;
    let known = forgot("camille@lyon.fr").await;
    assert_eq!(unknown.html().replace("nobody", ""), known.html().replace("camille", ""), "the same page either way");
    assert!(server.mails_to("nobody@lyon.fr").is_empty());
    let link = server.mails_to("camille@lyon.fr")[0].link("/password/reset");

    let resetter = Browser::new(&server);
    let form = resetter.open(&link).await;
    let weak = resetter.submit(&form, &[("password", "azerty123456")]).await;
    assert_eq!(weak.status(), 400);
    assert!(weak.html().contains("plus utilisés"));
    let done = resetter.submit(&weak, &[("password", NEW_PASSWORD)]).await;
    assert!(done.html().contains("Mot de passe changé"), "the same link after a refused choice: {}", done.html());

    // Every session and refresh token of the account is gone.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, body) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_grant")));
    let callback = browser.open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required");
    let db = &server.provider.db;
    let hasher = &server.provider.passwords;
    assert!(glc::identity::user::authenticate(db, hasher, "camille@lyon.fr", PASSWORD).await.is_err());
    assert!(glc::identity::user::authenticate(db, hasher, "camille@lyon.fr", NEW_PASSWORD).await.is_ok());
    let mails = server.mails_to("camille@lyon.fr");
    assert!(mails.last().unwrap().body.contains("vient d'être changé"), "the resident is told: {:?}", mails.last());

    // Used once; and a link made before a password change dies with it.
    let reused = resetter.submit(&resetter.open(&link).await, &[("password", "une autre phrase secrète")]).await;
    assert!(reused.html().contains("plus valable"));
    forgot("camille@lyon.fr").await;
    forgot("camille@lyon.fr").await;
    let links: Vec<String> =
        server.mails_to("camille@lyon.fr").iter().rev().take(2).map(|m| m.link("/password/reset")).collect();
    let first = resetter.submit(&resetter.open(&links[0]).await, &[("password", "une autre phrase secrète")]).await;
    assert!(first.html().contains("Mot de passe changé"));
    let second = resetter.submit(&resetter.open(&links[1]).await, &[("password", "encore une phrase secrète")]).await;
    assert!(second.html().contains("plus valable"), "voided by the change");
    // And it expires.
    forgot("camille@lyon.fr").await;
    let late = server.mails_to("camille@lyon.fr").last().unwrap().link("/password/reset");
    server.clock.advance(glc::identity::recovery::RESET_LIFETIME + 1);
    let expired = resetter.submit(&resetter.open(&late).await, &[("password", "encore une phrase secrète")]).await;
    assert!(expired.html().contains("plus valable"));
}

#[tokio::test]
async fn mail_goes_through_smtp_when_a_server_is_configured() {
    let sink = crate::support::SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(|c| {
        c.mail.smtp_host = Some("127.0.0.1".into());
        c.mail.smtp_port = port;
        c.mail.smtp_tls = glc::config::SmtpTls::None;
    })
    .await;
    let done = sign_up(&server, &Browser::new(&server), "dominique@bron.fr", NEW_PASSWORD).await;
    assert_eq!(done.status(), 200, "{}", done.html());
    assert!(server.outbox().is_empty(), "not the outbox");
    let messages = sink.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("To: dominique@bron.fr"), "{}", messages[0]);
    use base64::Engine;
    let body: String = messages[0].split("\n\n").nth(1).unwrap().lines().collect();
    let body = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(body.trim()).unwrap()).unwrap();
    assert!(body.contains(&format!("{}/verify-email?token=", server.base)), "{body}");
}

#[tokio::test]
async fn every_page_links_the_accessibility_statement_legal_notices_and_privacy_policy() {
    let server = TestServer::start().await;
    let browser = Browser::new(&server);
    let login = login_page(&server, &browser).await;
    let error = browser.open(&server.url("/authorize?client_id=nobody")).await;
    let signup = browser.open(&server.url("/signup")).await;
    for page in [&login, &error, &signup] {
        for link in ["/accessibilite", "/mentions-legales", "/confidentialite"] {
            assert!(page.html().contains(&format!("href=\"{link}\"")), "{link} in {}", page.html());
        }
    }
    for (path, title_fr, title_en) in [
        ("/accessibilite", "Déclaration d", "Accessibility statement"),
        ("/mentions-legales", "Mentions légales", "Legal notices"),
        ("/confidentialite", "Politique de confidentialité", "Privacy policy"),
    ] {
        let fr = browser.open(&server.url(path)).await;
        assert_eq!((fr.status(), fr.lang()), (200, "fr".to_owned()), "{path}");
        assert!(fr.html().contains(&format!("<h1>{title_fr}")), "{path}");
        let en = browser.open(&server.url(&format!("{path}?lang=en"))).await;
        assert_eq!(en.lang(), "en");
        assert!(en.html().contains(&format!("<h1>{title_en}")), "{path}");
    }
    let statement = browser.open(&server.url("/accessibilite")).await;
    assert!(statement.html().contains("<strong>non conforme</strong>"), "the RGAA status, truthfully");
    assert!(statement.html().contains("Défenseur des droits"), "the remedies");
}

#[tokio::test]
async fn an_https_issuer_sends_hsts_and_a_local_one_does_not() {
    let local = TestServer::start().await;
    let response = reqwest::get(local.url("/accessibilite")).await.unwrap();
    assert!(response.headers().get("strict-transport-security").is_none());
    let production = TestServer::start_with(|c| c.issuer = "https://connect.grandlyon.example".into()).await;
    let response = reqwest::get(format!("{}/accessibilite", production.base)).await.unwrap();
    assert_eq!(response.headers()["strict-transport-security"], "max-age=63072000; includeSubDomains");
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"), ("x-frame-options", "DENY")]
    {
        assert_eq!(response.headers()[name], value);
    }
    assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

/// Signs in on `/account` and returns the account page.
async fn account_home(server: &TestServer, browser: &Browser, password: &str) -> Landing {
    let page = browser.open(&server.url("/account")).await;
    if page.html().contains("Changer de mot de passe") {
        return page;
    }
    browser.submit_to(&page, "/account/login", &[("email", "camille@lyon.fr"), ("password", password)]).await
}

#[tokio::test]
async fn the_account_page_changes_the_password_and_ends_the_other_sessions() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let elsewhere = Browser::new(&server);
    let tokens = server.tokens(&elsewhere, &client, &[("scope", "openid offline_access")]).await;

    let browser = Browser::new(&server);
    let home = account_home(&server, &browser, PASSWORD).await;
    assert!(home.html().contains("Mon compte") && home.html().contains("camille@lyon.fr"), "{}", home.html());
    assert!(home.html().contains("Adresse non confirmée"));
    let wrong = browser
        .submit_to(&home, "/account/password", &[("current_password", "not it"), ("new_password", NEW_PASSWORD)])
        .await;
    assert_eq!(wrong.status(), 400);
    assert!(wrong.html().contains("actuel est incorrect"));
    let changed = browser
        .submit_to(&wrong, "/account/password", &[("current_password", PASSWORD), ("new_password", NEW_PASSWORD)])
        .await;
    assert!(changed.html().contains("Votre mot de passe a été changé"), "{}", changed.html());
    // This browser stays signed in on a new session; the other one, and the services, do not.
    assert!(browser.open(&server.url("/account")).await.html().contains("Changer de mot de passe"));
    let callback = elsewhere.open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, _) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!(status.as_u16(), 400);
}

#[tokio::test]
async fn the_account_page_resends_the_verification_link_exports_data_and_signs_out_everywhere() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    server.tokens(&browser, &client, &[]).await;
    let home = account_home(&server, &browser, PASSWORD).await;
    let resent = browser.submit_to(&home, "/account/verification", &[]).await;
    assert!(resent.html().contains("nouveau lien de confirmation vient"), "{}", resent.html());
    let link = server.mails_to("camille@lyon.fr").last().unwrap().link("/verify-email");
    assert!(browser.open(&link).await.html().contains("Adresse confirmée"));

    let export = browser.raw_get(&server.url("/account/export")).await;
    assert_eq!(export.status(), 200);
    assert!(export.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let data: serde_json::Value = export.json().await.unwrap();
    assert_eq!(data["account"]["email"], "camille@lyon.fr");
    assert!(data["account"].get("password_hash").is_none(), "never the password hash");
    assert_eq!(data["consents"][0]["client_id"], client.id);
    assert_eq!(data["grants"][0]["client_id"], client.id);

    let home = browser.open(&server.url("/account")).await;
    assert!(home.html().contains("Adresse confirmée"));
    let done = browser.submit_to(&home, "/account/sign-out-everywhere", &[]).await;
    assert!(done.html().contains("déconnecté de tous vos appareils"), "{}", done.html());
    let callback = browser.open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required");
    assert!(
        !browser.open(&server.url("/account")).await.html().contains("Changer de mot de passe"),
        "signed out here too"
    );
}

#[tokio::test]
async fn deleting_the_account_needs_its_password_and_erases_it() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let browser = Browser::new(&server);
    let home = account_home(&server, &browser, PASSWORD).await;
    let refused = browser.submit_to(&home, "/account/delete", &[("password", "not it")]).await;
    assert_eq!(refused.status(), 400);
    let db = &server.provider.db;
    assert!(glc::identity::user::find_by_id_or_email(db, "camille@lyon.fr").await.unwrap().is_some());
    let deleted = browser.submit_to(&refused, "/account/delete", &[("password", PASSWORD)]).await;
    assert!(deleted.html().contains("Votre compte a été supprimé"), "{}", deleted.html());
    assert!(glc::identity::user::find_by_id_or_email(db, "camille@lyon.fr").await.unwrap().is_none());
    // Without the form's token nothing happens.
    let forged =
        Browser::new(&server).post_form(&server.url("/account/delete"), &[("csrf", "x"), ("password", PASSWORD)]).await;
    assert_eq!(forged.status(), 400);
}

/// The key shown on the account page while a second factor is set up.
fn shown_secret(page: &Landing) -> Vec<u8> {
    let html = page.html();
    let start = html.find("<code id=\"totp-secret\">").expect("a key on the page") + 23;
    let secret = &html[start..start + html[start..].find('<').unwrap()];
    glc::identity::totp::from_base32(secret).unwrap()
}

#[tokio::test]
async fn a_second_factor_is_set_up_on_the_account_page_then_asked_at_every_login() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let home = account_home(&server, &browser, PASSWORD).await;
    let setup = browser.submit_to(&home, "/account/totp", &[]).await;
    let secret = shown_secret(&setup);
    assert!(setup.html().contains("<div class=\"qr\" role=\"img\""), "a QR code to scan");
    assert!(setup.html().contains("<svg"), "drawn inline");
    let now = server.provider.now();
    let wrong = browser.submit_to(&setup, "/account/totp/confirm", &[("code", "000000")]).await;
    assert_eq!(wrong.status(), 400, "a wrong first code");
    let secret_again = shown_secret(&wrong);
    assert_ne!(secret, secret_again, "a fresh key to add again");
    let code = glc::identity::totp::code(&secret_again, now);
    let enrolled = browser.submit_to(&wrong, "/account/totp/confirm", &[("code", &code)]).await;
    assert_eq!(enrolled.status(), 200, "{}", enrolled.html());
    let codes: Vec<String> =
        enrolled.html().split("<li><code>").skip(1).map(|c| c.split('<').next().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");

    // A login through a service: password, then the app's code (a new step: a code is used once).
    server.clock.advance(30);
    let login = |code: String| {
        let (server, client) = (&server, &client);
        async move {
            let browser = Browser::new(server);
            let page = browser.open(&server.authorize_url(client, &[])).await;
            let second = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
            assert!(second.html().contains("Double authentification"), "{}", second.html());
            let after = browser.submit(&second, &[("code", &code)]).await;
            (browser, after)
        }
    };
    let (_, refused) = login("123456".to_owned()).await;
    assert_eq!(refused.status(), 400);
    let (browser2, consent) = login(glc::identity::totp::code(&secret_again, server.provider.now())).await;
    assert!(consent.is_consent_page(), "{}", consent.html());
    let callback = browser2.submit(&consent, &[("decision", "allow")]).await.callback();
    let (status, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200);
    let id_token = crate::support::jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["acr"], "glc:mfa");
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    // The same code again (same step): refused.
    let (_, replayed) = login(glc::identity::totp::code(&secret_again, server.provider.now())).await;
    assert_eq!(replayed.status(), 400, "a code works once");
    // A recovery code, once.
    let (_, with_recovery) = login(codes[0].clone()).await;
    assert!(with_recovery.is_consent_page() || matches!(with_recovery, Landing::Redirect(_)));
    let (_, again) = login(codes[0].clone()).await;
    assert_eq!(again.status(), 400, "a recovery code works once");

    // The session from before the second factor existed is a password-only one: a service asking
    // for multi-factor gets a new login, and prompt=none cannot give it.
    let step_up = browser.open(&server.authorize_url(&client, &[("acr_values", "glc:mfa")])).await;
    assert!(step_up.is_login_page(), "step-up");
    let silent = browser.open(&server.authorize_url(&client, &[("acr_values", "glc:mfa"), ("prompt", "none")])).await;
    assert_eq!(silent.callback()["error"], "interaction_required");

    // The account page's own sign-in asks for it too.
    let fresh = Browser::new(&server);
    let form = fresh.open(&server.url("/account")).await;
    let second =
        fresh.submit_to(&form, "/account/login", &[("email", "camille@lyon.fr"), ("password", PASSWORD)]).await;
    assert!(second.html().contains("Double authentification"));
    let home = fresh.submit(&second, &[("code", &codes[1])]).await;
    assert!(home.html().contains("La double authentification est activée"), "{}", home.html());
    let off = fresh.submit_to(&home, "/account/totp/disable", &[("password", PASSWORD)]).await;
    assert!(off.html().contains("désactivée"));
    let (_, page) = {
        let b = Browser::new(&server);
        let page = b.open(&server.authorize_url(&client, &[])).await;
        let after = b.login(&page, "camille@lyon.fr", PASSWORD).await;
        (b, after)
    };
    assert!(matches!(page, Landing::Redirect(_)), "off again: the password alone signs in ({page:?})");
}

#[tokio::test]
async fn the_resident_edits_their_details_and_moves_to_a_new_address_by_link() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    server.resident("taken@lyon.fr").await;
    let browser = Browser::new(&server);
    let home = account_home(&server, &browser, PASSWORD).await;
    let refused = browser.submit_to(&home, "/account/profile", &[("phone_number", "12 34")]).await;
    assert_eq!(refused.status(), 400);
    let phone = refused.html().split("<input").find(|i| i.contains("id=\"phone_number\"")).unwrap().to_owned();
    assert!(phone.contains("aria-invalid=\"true\""), "{phone}");
    let fields = [
        ("given_name", "Camille"),
        ("family_name", "Martin"),
        ("usage_name", "Camille Durand"),
        ("phone_number", "04 72 00 00 00"),
        ("street_address", "20 rue du Lac"),
        ("postal_code", "69003"),
        ("locality", "Lyon"),
    ];
    let saved = browser.submit_to(&refused, "/account/profile", &fields).await;
    assert!(saved.html().contains("Vos informations sont enregistrées"), "{}", saved.html());
    let account =
        glc::identity::user::find_by_id_or_email(&server.provider.db, "camille@lyon.fr").await.unwrap().unwrap();
    assert_eq!(account.phone_number.as_deref(), Some("+33472000000"));
    assert_eq!(account.preferred_username.as_deref(), Some("Camille Durand"));
    assert_eq!(account.address.as_ref().unwrap()["formatted"], "20 rue du Lac\n69003 Lyon");
    assert!(saved.html().contains("value=\"69003\""), "the form shows what is saved");

    // A new address: the old one stays until the link sent to the new one is opened.
    let asked = browser.submit_to(&saved, "/account/email", &[("email", "Camille.Martin@Bron.fr")]).await;
    assert!(asked.html().contains("lien de confirmation a été envoyé"), "{}", asked.html());
    let db = &server.provider.db;
    assert!(glc::identity::user::find_by_id_or_email(db, "camille@lyon.fr").await.unwrap().is_some());
    let link = server.mails_to("camille.martin@bron.fr")[0].link("/verify-email");
    assert!(browser.open(&link).await.html().contains("Adresse confirmée"));
    let moved = glc::identity::user::find(db, &account.id).await.unwrap().unwrap();
    assert_eq!((moved.email.as_str(), moved.email_verified), ("camille.martin@bron.fr", true));
    // An address another account holds: the link fails, nothing moves.
    let home = browser.open(&server.url("/account")).await;
    browser.submit_to(&home, "/account/email", &[("email", "taken@lyon.fr")]).await;
    let link = server.mails_to("taken@lyon.fr").last().unwrap().link("/verify-email");
    assert!(browser.open(&link).await.html().contains("plus valable"));
    assert_eq!(glc::identity::user::find(db, &account.id).await.unwrap().unwrap().email, "camille.martin@bron.fr");
}

#[tokio::test]
async fn the_account_page_lists_each_session_and_ends_another_one() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let phone = Browser::new(&server);
    server.tokens(&phone, &client, &[]).await;
    let browser = Browser::new(&server);
    let home = account_home(&server, &browser, PASSWORD).await;
    let html = home.html();
    assert_eq!(html.matches("Connecté depuis le").count(), 2, "{html}");
    assert_eq!(html.matches("(cet appareil)").count(), 1);
    let ended = browser.submit_to(&home, "/account/sessions/end", &[]).await;
    assert!(ended.html().contains("La session a été fermée"), "{}", ended.html());
    assert_eq!(ended.html().matches("Connecté depuis le").count(), 1, "only this device is left");
    let callback = phone.open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required", "the other session really ended");
    assert!(browser.open(&server.url("/account")).await.html().contains("Changer de mot de passe"), "not this one");
}

#[tokio::test]
async fn inactive_accounts_are_warned_then_deleted_unless_their_owner_signs_in() {
    let server = TestServer::start().await;
    let idle = server.resident("idle@lyon.fr").await;
    let back = server.resident("back@lyon.fr").await;
    let provider = &server.provider;
    let purged = glc::cli::purge_inactive(provider).await.unwrap();
    assert_eq!((purged.warned, purged.deleted), (0, 0), "nobody is inactive yet");

    // Three years later, both are warned (once).
    server.clock.advance(1096 * 86_400);
    let purged = glc::cli::purge_inactive(provider).await.unwrap();
    assert_eq!((purged.warned, purged.deleted), (2, 0));
    let warning = server.mails_to("idle@lyon.fr").pop().expect("a warning");
    assert!(warning.body.contains("il sera supprimé le"), "{}", warning.body);
    assert!(warning.body.contains("/account"), "how to keep it");
    assert_eq!(glc::cli::purge_inactive(provider).await.unwrap().warned, 0, "warned once");

    // One of them signs in during the notice: kept. The other is deleted after it.
    let browser = Browser::new(&server);
    let page = browser.open(&server.url("/account")).await;
    let home = browser.submit_to(&page, "/account/login", &[("email", "back@lyon.fr"), ("password", PASSWORD)]).await;
    assert!(home.html().contains("Me déconnecter partout"), "signed in");
    server.clock.advance(29 * 86_400);
    assert_eq!(glc::cli::purge_inactive(provider).await.unwrap().deleted, 0, "the notice is not over");
    server.clock.advance(2 * 86_400);
    let purged = glc::cli::purge_inactive(provider).await.unwrap();
    assert_eq!(purged.deleted, 1);
    let db = &provider.db;
    assert!(glc::store::users::find_by_id(db, &idle.id).await.unwrap().is_none(), "purged");
    assert!(glc::store::users::find_by_id(db, &back.id).await.unwrap().is_some(), "kept: signed in");
}
