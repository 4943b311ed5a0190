//! Passkeys over HTTP with a software authenticator: a P-256 key that answers WebAuthn
//! ceremonies as a platform authenticator would (attestation "none", user verified), its CBOR
//! and signatures built here by hand, so the provider's checks run against bytes no library of
//! ours produced.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Browser, Landing, PASSWORD, TestServer, jwt_claims};

const EMAIL: &str = "camille@lyon.fr";

/// A minimal CBOR writer: the few types an attestation object needs.
mod cbor {
    pub enum Item<'a> {
        Int(i64),
        Bytes(&'a [u8]),
        Text(&'a str),
        Map(Vec<(Item<'a>, Item<'a>)>),
    }

    fn head(out: &mut Vec<u8>, major: u8, len: u64) {
        let major = major << 5;
        match len {
            0..=23 => out.push(major | len as u8),
            24..=0xff => out.extend([major | 24, len as u8]),
            0x100..=0xffff => {
                out.push(major | 25);
                out.extend((len as u16).to_be_bytes());
            }
            _ => {
                out.push(major | 26);
                out.extend((len as u32).to_be_bytes());
            }
        }
    }

    pub fn encode(item: &Item<'_>, out: &mut Vec<u8>) {
        match item {
            Item::Int(n) if *n >= 0 => head(out, 0, *n as u64),
            Item::Int(n) => head(out, 1, (-1 - *n) as u64),
            Item::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Item::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Item::Map(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    encode(k, out);
                    encode(v, out);
                }
            }
        }
    }

    pub fn to_vec(item: &Item<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode(item, &mut out);
        out
    }
}

/// A passkey held in memory, bound to one relying party and origin.
pub struct SoftPasskey {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    origin: String,
    rp_id: String,
    counter: u32,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SoftPasskey {
    pub fn new(origin: &str) -> SoftPasskey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let rp_id = url::Url::parse(origin).unwrap().host_str().unwrap().to_owned();
        SoftPasskey {
            key,
            credential_id: rand::random::<[u8; 32]>().to_vec(),
            user_handle: Vec::new(),
            origin: origin.trim_end_matches('/').to_owned(),
            rp_id,
            counter: 0,
        }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({ "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false })
            .to_string()
            .into_bytes()
    }

    fn authenticator_data(&mut self, attested: bool) -> Vec<u8> {
        self.counter += 1;
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        // User present, user verified, and for a registration the attested credential.
        data.push(if attested { 0x45 } else { 0x05 });
        data.extend(self.counter.to_be_bytes());
        if attested {
            let public = self.key.public_key().as_ref();
            let (x, y) = (&public[1..33], &public[33..65]);
            let cose = cbor::to_vec(&cbor::Item::Map(vec![
                (cbor::Item::Int(1), cbor::Item::Int(2)),
                (cbor::Item::Int(3), cbor::Item::Int(-7)),
                (cbor::Item::Int(-1), cbor::Item::Int(1)),
                (cbor::Item::Int(-2), cbor::Item::Bytes(x)),
                (cbor::Item::Int(-3), cbor::Item::Bytes(y)),
            ]));
            data.extend([0u8; 16]);
            data.extend((self.credential_id.len() as u16).to_be_bytes());
            data.extend(&self.credential_id);
            data.extend(cose);
        }
        data
    }

    /// The answer to `navigator.credentials.create(options)`, as the page's script sends it.
    pub fn create(&mut self, options: &Value) -> String {
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rp"]["id"], self.rp_id.as_str());
        assert_eq!(public_key["authenticatorSelection"]["residentKey"], "required", "a discoverable credential");
        let excluded = public_key["excludeCredentials"].as_array().cloned().unwrap_or_default();
        assert!(
            !excluded.iter().any(|c| c["id"] == b64(&self.credential_id).as_str()),
            "the authenticator refuses: already registered"
        );
        self.user_handle = URL_SAFE_NO_PAD.decode(public_key["user"]["id"].as_str().unwrap()).unwrap();
        let client_data = self.client_data("webauthn.create", public_key["challenge"].as_str().unwrap());
        let auth_data = self.authenticator_data(true);
        let attestation = cbor::to_vec(&cbor::Item::Map(vec![
            (cbor::Item::Text("fmt"), cbor::Item::Text("none")),
            (cbor::Item::Text("attStmt"), cbor::Item::Map(vec![])),
            (cbor::Item::Text("authData"), cbor::Item::Bytes(&auth_data)),
        ]));
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "extensions": {},
            "response": { "attestationObject": b64(&attestation), "clientDataJSON": b64(&client_data) },
        })
        .to_string()
    }

    /// The answer to `navigator.credentials.get(options)`.
    pub fn get(&mut self, options: &Value) -> String {
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rpId"], self.rp_id.as_str());
        let client_data = self.client_data("webauthn.get", public_key["challenge"].as_str().unwrap());
        self.sign(&client_data)
    }

    /// An assertion over `client_data` as given (tests tamper with it).
    pub fn sign(&mut self, client_data: &[u8]) -> String {
        let auth_data = self.authenticator_data(false);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(client_data));
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "extensions": {},
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
        })
        .to_string()
    }
}

/// Signs in on `/account` with the password and returns the account page.
async fn account_page(server: &TestServer, browser: &Browser) -> Landing {
    let page = browser.open(&server.url("/account")).await;
    let home = browser.submit_to(&page, "/account/login", &[("email", EMAIL), ("password", PASSWORD)]).await;
    assert!(home.html().contains("Ajouter une clé d"), "{}", home.html());
    home
}

/// Adds `passkey` named `name` from the account page; returns the page after.
async fn add_passkey(browser: &Browser, home: &Landing, passkey: &mut SoftPasskey, name: &str) -> Landing {
    let (status, options) = browser.passkey_options(home, "/account/passkeys").await;
    assert_eq!(status, 200, "{options}");
    let answer = passkey.create(&options);
    let ceremony = options["ceremony"].as_str().unwrap();
    browser
        .submit_to(home, "/account/passkeys", &[("ceremony", ceremony), ("credential", &answer), ("name", name)])
        .await
}

#[tokio::test]
async fn a_resident_adds_names_and_removes_passkeys_and_is_told_by_mail() {
    let server = TestServer::start_on_localhost().await;
    server.resident(EMAIL).await;
    let browser = Browser::new(&server);
    let home = account_page(&server, &browser).await;
    assert!(
        home.html().contains("Vous n&#x27;avez pas encore de clé d&#x27;accès")
            || home.html().contains("pas encore de clé")
    );

    let mut phone = SoftPasskey::new(server.issuer());
    let page = add_passkey(&browser, &home, &mut phone, "Téléphone").await;
    assert_eq!(page.status(), 200, "{}", page.html());
    assert!(page.html().contains("<strong>Téléphone</strong>"), "{}", page.html());
    let mails = server.mails_to(EMAIL);
    assert!(mails.iter().any(|m| m.body.contains("« Téléphone »")), "a mail tells of the new passkey");
    let export: Value = browser.raw_get(&server.url("/account/export")).await.json().await.unwrap();
    assert_eq!(export["passkeys"][0]["name"], "Téléphone", "the export lists the passkeys: {export}");

    // The same authenticator again is refused by the authenticator itself (excluded); a
    // second one is welcome.
    let mut key = SoftPasskey::new(server.issuer());
    let page = add_passkey(&browser, &page, &mut key, "Clé USB").await;
    assert!(page.html().contains("<strong>Clé USB</strong>") && page.html().contains("<strong>Téléphone</strong>"));

    // A name too long, and an empty one, are refused next to the field.
    let mut third = SoftPasskey::new(server.issuer());
    let refused = add_passkey(&browser, &page, &mut third, &"x".repeat(61)).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.html().contains("de 1 à 60 caractères"));

    // Rename, then remove, the USB key.
    let id = passkey_id(&page, "Clé USB");
    let renamed = browser.submit_to(&page, "/account/passkeys/rename", &[("id", &id), ("name", "Clé du bureau")]).await;
    assert!(renamed.html().contains("<strong>Clé du bureau</strong>"), "{}", renamed.html());
    let removed = browser.submit_to(&renamed, "/account/passkeys/remove", &[("id", &id)]).await;
    assert!(!removed.html().contains("Clé du bureau") && removed.html().contains("<strong>Téléphone</strong>"));

    // Another resident cannot rename or remove it, nor register the same credential.
    server.resident("dominique@bron.fr").await;
    let intruder = Browser::new(&server);
    let page = intruder.open(&server.url("/account")).await;
    let other_home =
        intruder.submit_to(&page, "/account/login", &[("email", "dominique@bron.fr"), ("password", PASSWORD)]).await;
    let phone_id = passkey_id(&removed, "Téléphone");
    let csrf = crate::support::form_field(other_home.html(), "/account/profile", "csrf");
    let url = server.url("/account/passkeys/remove");
    intruder.post_form(&url, &[("csrf", &csrf), ("id", &phone_id)]).await;
    let url = server.url("/account/passkeys/rename");
    intruder.post_form(&url, &[("csrf", &csrf), ("id", &phone_id), ("name", "Volée")]).await;
    let (status, options) = intruder.passkey_options(&other_home, "/account/passkeys").await;
    assert_eq!(status, 200);
    let mut copy = SoftPasskey { credential_id: phone.credential_id.clone(), ..SoftPasskey::new(server.issuer()) };
    let answer = copy.create(&options);
    let again = intruder
        .submit_to(
            &other_home,
            "/account/passkeys",
            &[("ceremony", options["ceremony"].as_str().unwrap()), ("credential", &answer), ("name", "Volée")],
        )
        .await;
    assert!(again.html().contains("déjà enregistrée"), "{}", again.html());
    let home = browser.open(&server.url("/account")).await;
    assert!(home.html().contains("<strong>Téléphone</strong>"), "still there, with its name");
}

/// The id of the passkey named `name` on the account page.
fn passkey_id(page: &Landing, name: &str) -> String {
    let html = page.html();
    let at = html.find(&format!("<strong>{name}</strong>")).unwrap_or_else(|| panic!("no {name}"));
    let rest = &html[at..];
    let start = rest.find("name=\"id\" value=\"").unwrap() + 17;
    rest[start..start + rest[start..].find('"').unwrap()].to_owned()
}

/// Registers a passkey for the resident through the account page, in a browser of its own.
async fn registered_passkey(server: &TestServer) -> SoftPasskey {
    let browser = Browser::new(server);
    let home = account_page(server, &browser).await;
    let mut passkey = SoftPasskey::new(server.issuer());
    let page = add_passkey(&browser, &home, &mut passkey, "Téléphone").await;
    assert_eq!(page.status(), 200, "{}", page.html());
    passkey
}

#[tokio::test]
async fn a_passkey_alone_logs_in_to_a_service_as_multi_factor() {
    let server = TestServer::start_on_localhost().await;
    server.resident(EMAIL).await;
    let mut passkey = registered_passkey(&server).await;
    let client = server.web_client().await;

    let browser = Browser::new(&server);
    let login = browser.open(&server.authorize_url(&client, &[("acr_values", "glc:mfa")])).await;
    assert!(login.is_login_page());
    let action = login_passkey_action(&login);
    let (status, options) = browser.passkey_options(&login, &action).await;
    assert_eq!(status, 200, "{options}");
    assert!(options["publicKey"]["allowCredentials"].as_array().is_none_or(|a| a.is_empty()), "discoverable");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let answer = passkey.get(&options);
    let ceremony = options["ceremony"].as_str().unwrap().to_owned();
    let consent = browser.submit_to(&login, &action, &[("ceremony", &ceremony), ("credential", &answer)]).await;
    assert!(consent.is_consent_page(), "{consent:?}");
    let callback = browser.submit(&consent, &[("decision", "allow")]).await.callback();
    let (status, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["acr"], "glc:mfa");
    assert_eq!(id_token["amr"], json!(["hwk", "mfa"]));

    // The same answer again: the ceremony is over.
    let other = Browser::new(&server);
    let page = other.open(&server.authorize_url(&client, &[])).await;
    let replay =
        other.submit_to(&page, &login_passkey_action(&page), &[("ceremony", &ceremony), ("credential", &answer)]).await;
    assert!(!replay.is_consent_page() && replay.status() >= 400, "{replay:?}");
}

/// The action of the login page's passkey form.
fn login_passkey_action(page: &Landing) -> String {
    let html = page.html();
    let at = html.find("data-passkey=\"get\"").expect("a passkey form");
    let tag_start = html[..at].rfind("<form").unwrap();
    let tag = &html[tag_start..at];
    let start = tag.find("action=\"").unwrap() + 8;
    tag[start..start + tag[start..].find('"').unwrap()].replace("&#x2f;", "/")
}

#[tokio::test]
async fn an_answer_for_another_origin_or_signed_by_another_key_is_refused() {
    let server = TestServer::start_on_localhost().await;
    server.resident(EMAIL).await;
    let mut passkey = registered_passkey(&server).await;
    let browser = Browser::new(&server);
    let page = browser.open(&server.url("/account")).await;

    // A phishing page on another origin relays our challenge: the browser writes its own
    // origin in the client data, and the provider refuses it.
    let (_, options) = browser.passkey_options(&page, "/account/passkey/login").await;
    let challenge = options["publicKey"]["challenge"].as_str().unwrap();
    let phished = json!({ "type": "webauthn.get", "challenge": challenge, "origin": "https://grandlyon-connect.example", "crossOrigin": false });
    let answer = passkey.sign(phished.to_string().as_bytes());
    let ceremony = options["ceremony"].as_str().unwrap();
    let refused =
        browser.submit_to(&page, "/account/passkey/login", &[("ceremony", ceremony), ("credential", &answer)]).await;
    assert_eq!(refused.status(), 200);
    assert!(refused.html().contains("pas été reconnue"), "{}", refused.html());

    // A key claiming the registered credential id but signing with another private key.
    let (_, options) = browser.passkey_options(&refused, "/account/passkey/login").await;
    let mut impostor = SoftPasskey {
        credential_id: passkey.credential_id.clone(),
        user_handle: passkey.user_handle.clone(),
        ..SoftPasskey::new(server.issuer())
    };
    let answer = impostor.get(&options);
    let refused = browser
        .submit_to(
            &refused,
            "/account/passkey/login",
            &[("ceremony", options["ceremony"].as_str().unwrap()), ("credential", &answer)],
        )
        .await;
    assert!(refused.html().contains("pas été reconnue"));
    // Garbage is refused the same way, never a server error.
    let (_, options) = browser.passkey_options(&refused, "/account/passkey/login").await;
    let garbage = browser
        .submit_to(
            &refused,
            "/account/passkey/login",
            &[("ceremony", options["ceremony"].as_str().unwrap()), ("credential", "{\"id\":1")],
        )
        .await;
    assert!(garbage.html().contains("pas été reconnue"));

    // The real one signs the resident in on the account page.
    let (_, options) = browser.passkey_options(&garbage, "/account/passkey/login").await;
    let answer = passkey.get(&options);
    let home = browser
        .submit_to(
            &garbage,
            "/account/passkey/login",
            &[("ceremony", options["ceremony"].as_str().unwrap()), ("credential", &answer)],
        )
        .await;
    assert!(home.html().contains("<strong>Téléphone</strong>"), "{}", home.html());
    assert!(home.html().contains("dernière utilisation le"), "its use is recorded");
}

#[tokio::test]
async fn after_the_password_a_resident_with_a_passkey_gives_it_as_second_factor() {
    let server = TestServer::start_on_localhost().await;
    server.resident(EMAIL).await;
    let mut passkey = registered_passkey(&server).await;
    let client = server.web_client().await;

    let browser = Browser::new(&server);
    let login = browser.open(&server.authorize_url(&client, &[])).await;
    let second = browser.login(&login, EMAIL, PASSWORD).await;
    assert!(second.html().contains("Utiliser ma clé d"), "{}", second.html());
    assert!(!second.html().contains("name=\"code\""), "no app enrolled: no code form");
    let (status, options) = browser.passkey_options(&second, "/login/second-factor/passkey").await;
    assert_eq!(status, 200, "{options}");
    let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "the resident's own passkeys are offered");
    // An answer started for this second factor is no good for a passwordless login elsewhere.
    let answer = passkey.get(&options);
    let ceremony = options["ceremony"].as_str().unwrap();
    let consent = browser
        .submit_to(&second, "/login/second-factor/passkey", &[("ceremony", ceremony), ("credential", &answer)])
        .await;
    assert!(consent.is_consent_page(), "{consent:?}");
    let callback = browser.submit(&consent, &[("decision", "allow")]).await.callback();
    let (_, tokens) = server.redeem(&client, &callback["code"], &[]).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["acr"], "glc:mfa");
    assert_eq!(id_token["amr"], json!(["pwd", "hwk", "mfa"]));
}

#[tokio::test]
async fn a_ceremony_answers_only_what_it_was_started_for() {
    let server = TestServer::start_on_localhost().await;
    server.resident(EMAIL).await;
    let mut passkey = registered_passkey(&server).await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let account = browser.open(&server.url("/account")).await;
    // Options for the account sign-in, answered on a service's login page.
    let (_, options) = browser.passkey_options(&account, "/account/passkey/login").await;
    let answer = passkey.get(&options);
    let login = browser.open(&server.authorize_url(&client, &[])).await;
    let action = login_passkey_action(&login);
    let crossed = browser
        .submit_to(&login, &action, &[("ceremony", options["ceremony"].as_str().unwrap()), ("credential", &answer)])
        .await;
    assert!(!crossed.is_consent_page(), "{crossed:?}");
    assert!(crossed.status() >= 400);
}

#[tokio::test]
async fn an_issuer_on_an_ip_address_offers_no_passkeys() {
    let server = TestServer::start().await;
    let browser = Browser::new(&server);
    let page = browser.open(&server.url("/account")).await;
    assert!(!page.html().contains("data-passkey"));
    let csrf = crate::support::form_field(page.html(), "/account/login", "csrf");
    let response = browser.post_form(&server.url("/account/passkey/options"), &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 404);
}
