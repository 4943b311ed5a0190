//! Nothing acknowledged is lost: a PostgreSQL or a Redis of the test's own is killed with
//! `kill -9` in the middle of a burst of sign-ups, client registrations, consents and token
//! issuance, then restarted. Every operation the provider acknowledged to its caller (a 2xx,
//! or the page saying it is done) must be there afterwards, whole; what failed during the
//! outage failed with a 503, never a 500, and nothing half-written stands in for it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::faults::{ThrowawayPostgres, ThrowawayRedis, eventually};
use crate::support::{Browser, Landing, PASSWORD, TestClient, TestServer};

/// What the provider acknowledged during the burst, and every status it answered.
#[derive(Default)]
struct Acknowledged {
    /// Registered clients: id → (secret, redirect URI).
    clients: Mutex<BTreeMap<String, (String, String)>>,
    /// Signed-up residents: email → given name.
    residents: Mutex<BTreeMap<String, String>>,
    /// Consents given then redeemed: resident email → refresh token.
    grants: Mutex<BTreeMap<String, String>>,
    statuses: Mutex<BTreeMap<u16, usize>>,
    /// The requests answered with a 500, if any.
    server_errors: Mutex<Vec<String>>,
}

impl Acknowledged {
    fn saw(&self, what: &str, status: u16) {
        *self.statuses.lock().unwrap().entry(status).or_default() += 1;
        if status == 500 {
            self.server_errors.lock().unwrap().push(what.to_owned());
        }
    }
}

const RESIDENTS: usize = 60;

fn resident_email(n: usize) -> String {
    format!("resident{n}@bron.fr")
}

/// Requests from ever-new addresses (through the trusted proxy header), so the per-address
/// quotas never stand in the way of the burst.
fn next_address() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("198.51.{}.{}", n / 250, n % 250 + 1)
}

async fn register_clients(server: &TestServer, done: &Acknowledged, stop: &AtomicBool) {
    let http = reqwest::Client::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let redirect_uri = format!("https://app{n}.bron.fr/callback");
        let response = http
            .post(server.url("/register"))
            .header("x-forwarded-for", next_address())
            .json(&json!({ "redirect_uris": [redirect_uri], "client_name": format!("Appli {n}") }))
            .send()
            .await
            .unwrap();
        done.saw("POST /register", response.status().as_u16());
        if response.status() == 201 {
            let body: Value = response.json().await.unwrap();
            let id = body["client_id"].as_str().unwrap().to_owned();
            let secret = body["client_secret"].as_str().unwrap().to_owned();
            done.clients.lock().unwrap().insert(id, (secret, redirect_uri));
        }
    }
}

async fn sign_up(server: &TestServer, done: &Acknowledged, stop: &AtomicBool) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let address = next_address();
        let page = http.get(server.url("/signup")).header("x-forwarded-for", &address).send().await.unwrap();
        done.saw("GET /signup", page.status().as_u16());
        if page.status() != 200 {
            continue;
        }
        let (action, mut form) = crate::support::parse_form(&page.text().await.unwrap());
        let (email, given_name) = (format!("nouveau{n}@vaulx.fr"), format!("Prénom{n}"));
        form.insert("email".into(), email.clone());
        form.insert("password".into(), "une phrase de passe assez longue".into());
        form.insert("given_name".into(), given_name.clone());
        form.insert("family_name".into(), "Durand".into());
        let response =
            http.post(server.url(&action)).header("x-forwarded-for", &address).form(&form).send().await.unwrap();
        done.saw("POST /signup", response.status().as_u16());
        if response.status() == 200 {
            done.residents.lock().unwrap().insert(email, given_name);
        }
    }
}

/// Each resident in turn logs in, consents and the client redeems the code.
async fn consent_and_redeem(server: &TestServer, client: &TestClient, done: &Acknowledged, stop: &AtomicBool) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) && n < RESIDENTS {
        let email = resident_email(n);
        n += 1;
        let browser = Browser::new(server);
        let page = browser.open(&server.authorize_url(client, &[("scope", "openid offline_access")])).await;
        if !page.is_login_page() {
            continue;
        }
        let page = browser.login(&page, &email, PASSWORD).await;
        if !page.is_consent_page() {
            continue;
        }
        let Landing::Redirect(callback) = browser.submit(&page, &[("decision", "allow")]).await else { continue };
        let Some(code) = callback.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()) else {
            continue;
        };
        let (status, tokens) = server.redeem(client, &code, &[]).await;
        done.saw("POST /token (code)", status.as_u16());
        if status == 200 {
            done.grants.lock().unwrap().insert(email, tokens["refresh_token"].as_str().unwrap().to_owned());
        }
    }
}

/// Runs the burst around `outage` (which kills a backend, waits, restarts it), then checks that
/// every acknowledged operation is there, whole.
async fn burst_around(server: &TestServer, outage: impl std::future::Future<Output = ()>) {
    for n in 0..RESIDENTS {
        let new = glc::identity::user::NewUser {
            email: resident_email(n),
            password: Some(PASSWORD.into()),
            given_name: Some("Camille".into()),
            family_name: Some("Martin".into()),
        };
        glc::identity::user::create(&server.provider.db, &server.provider.passwords, new, server.provider.now())
            .await
            .unwrap();
    }
    let client = server.web_client().await;
    let done = Acknowledged::default();
    let stop = AtomicBool::new(false);
    let counted = |done: &Acknowledged| {
        (done.clients.lock().unwrap().len(), done.residents.lock().unwrap().len(), done.grants.lock().unwrap().len())
    };
    let driver = async {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let before = counted(&done);
        outage.await;
        let http = reqwest::Client::new();
        let ready = eventually(Duration::from_secs(30), || async {
            http.get(server.url("/readyz")).send().await.is_ok_and(|r| r.status() == 200)
        })
        .await;
        assert!(ready, "the provider recovered on its own");
        let at_restart = counted(&done);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        stop.store(true, Ordering::Relaxed);
        (before, at_restart)
    };
    let ((before, at_restart), (), (), ()) = tokio::join!(
        driver,
        register_clients(server, &done, &stop),
        sign_up(server, &done, &stop),
        consent_and_redeem(server, &client, &done, &stop),
    );
    let after = counted(&done);
    let statuses = done.statuses.lock().unwrap().clone();
    eprintln!("acknowledged (clients, residents, grants): {before:?} before the kill, {after:?} in all; {statuses:?}");
    assert!(before.0 > 0 && before.1 > 0 && before.2 > 0, "traffic before the kill: {before:?}");
    assert!(after.0 > at_restart.0 && after.1 > at_restart.1, "traffic after the restart: {at_restart:?} → {after:?}");
    let server_errors = done.server_errors.lock().unwrap().clone();
    assert!(server_errors.is_empty(), "a failure is a 503, never a 500: {server_errors:?}");

    // Every acknowledged client is there, whole: its redirect URI, and its secret works.
    let db = &server.provider.db;
    let clients = done.clients.lock().unwrap().clone();
    for (id, (secret, redirect_uri)) in &clients {
        let row = glc::store::clients::find_by_id(db, id).await.unwrap().unwrap_or_else(|| panic!("client {id} lost"));
        assert!(row.redirect_uris.contains(redirect_uri.as_str()), "client {id} half-written: {}", row.redirect_uris);
        let response = reqwest::Client::new()
            .post(server.url("/token"))
            .header("x-forwarded-for", next_address())
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "authorization_code"), ("code", "none"), ("redirect_uri", redirect_uri.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "client {id}'s secret authenticates (invalid_grant, not invalid_client)");
    }
    // Every acknowledged sign-up has its account, names included.
    let residents = done.residents.lock().unwrap().clone();
    for (email, given_name) in &residents {
        let row = glc::store::users::find_by_email(db, email).await.unwrap();
        let row = row.unwrap_or_else(|| panic!("account {email} lost"));
        assert_eq!(row.given_name.as_deref(), Some(given_name.as_str()), "account {email} half-written");
    }
    // Every acknowledged consent stands (a new login goes straight back to the client) and
    // every refresh token handed out still works.
    let grants = done.grants.lock().unwrap().clone();
    for (email, refresh_token) in &grants {
        let (status, body) = server
            .post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
            .await;
        assert_eq!(status, 200, "{email}'s refresh token: {body}");
        let browser = Browser::new(server);
        let page = browser.open(&server.authorize_url(&client, &[("scope", "openid offline_access")])).await;
        let landing = browser.login(&page, email, PASSWORD).await;
        assert!(matches!(landing, Landing::Redirect(_) | Landing::FormPost { .. }), "{email}'s consent lost");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_operation_is_lost_when_postgres_is_killed() {
    let pg = ThrowawayPostgres::start_new();
    let server = TestServer::start_with(|c| {
        c.database_url = pg.url();
        c.database_acquire_timeout_seconds = 1;
        c.open_registration = true;
        c.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    burst_around(&server, async {
        pg.kill_9();
        tokio::time::sleep(Duration::from_secs(1)).await;
        pg.start();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_operation_is_lost_when_redis_is_killed() {
    let mut redis = ThrowawayRedis::start_new();
    let url = redis.url();
    let server = TestServer::start_with(|c| {
        c.redis_url = Some(url);
        c.redis_timeout_ms = 500;
        c.open_registration = true;
        c.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    burst_around(&server, async {
        redis.kill();
        tokio::time::sleep(Duration::from_secs(1)).await;
        redis.start();
    })
    .await;
}
