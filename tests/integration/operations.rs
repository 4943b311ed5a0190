//! Operating the provider: probes, metrics, request ids, logs, proxies, draining.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Browser, PASSWORD, TestServer};

#[tokio::test]
async fn probes_say_alive_and_ready() {
    let server = TestServer::start().await;
    assert_eq!(reqwest::get(server.url("/healthz")).await.unwrap().status(), 200);
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["ready"], true);
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["short_lived_store"]["status"], "ok");
    let expected = if server.provider.config.redis_url.is_some() { "redis" } else { "memory" };
    assert_eq!(body["short_lived_store"]["engine"], expected);
}

#[tokio::test]
async fn metrics_count_requests_tokens_logins_and_consents() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    server.tokens(&Browser::new(&server), &client, &[]).await;
    let text = reqwest::get(server.url("/metrics")).await.unwrap().text().await.unwrap();
    for needle in [
        "glc_http_requests_total{route=\"/token\",method=\"POST\",status=\"200\"}",
        "glc_http_request_duration_seconds_bucket{route=\"/authorize\"",
        "glc_tokens_issued_total{grant_type=\"authorization_code\"}",
        "glc_logins_total{method=\"password\",outcome=\"success\"}",
        "glc_consent_decisions_total{decision=\"allow\"}",
        "glc_db_pool_connections",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let generated = http.get(server.url("/healthz")).send().await.unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let next = http.get(server.url("/healthz")).send().await.unwrap();
    assert_ne!(next.headers()["x-request-id"].to_str().unwrap(), id, "each request its own id");
    let echoed = http.get(server.url("/healthz")).header("x-request-id", "lb-1234").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "lb-1234");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn glc(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_glc"));
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("GLC_") {
            command.env_remove(key);
        }
    }
    command
        .env("GLC_DATABASE_URL", format!("sqlite:{}", dir.join("glc.db").display()))
        .env("GLC_KEYS_DIR", dir.join("keys"));
    command
}

/// The real binary: JSON logs with request ids and the client address behind a trusted proxy,
/// no secret in any line, and a clean exit on SIGTERM.
#[tokio::test]
async fn the_binary_logs_json_without_secrets_and_drains_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let out = glc(dir)
        .args(["user", "create", "--email", "camille@lyon.fr", "--password", PASSWORD, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = glc(dir)
        .args(["client", "create", "--name", "Logs", "--redirect-uri", "http://127.0.0.1:1/cb", "--json"])
        .output()
        .unwrap();
    let client: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (client_id, secret) =
        (client["client_id"].as_str().unwrap().to_owned(), client["client_secret"].as_str().unwrap().to_owned());

    let log_path = dir.join("serve.log");
    let mut server = glc(dir)
        .arg("serve")
        .env("GLC_ISSUER", &base)
        .env("GLC_BIND", format!("127.0.0.1:{port}"))
        .env("GLC_LOG_FORMAT", "json")
        .env("GLC_TRUSTED_PROXIES", "[\"127.0.0.1\"]")
        .env("RUST_LOG", "debug")
        .stderr(Stdio::from(std::fs::File::create(&log_path).unwrap()))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A full login, token, userinfo and refresh.
    let browser = Browser::for_base(&base);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:1/cb"),
            ("response_type", "code"),
            ("scope", "openid offline_access"),
            ("state", "s"),
        ])
        .finish();
    let page = browser.open(&format!("{base}/authorize?{query}")).await;
    let page = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    let callback = browser.submit(&page, &[("decision", "allow")]).await.callback();
    let code = callback["code"].clone();
    let tokens: Value = http
        .post(format!("{base}/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:1/cb"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    assert_eq!(http.get(format!("{base}/userinfo")).bearer_auth(&at).send().await.unwrap().status(), 200);
    let refreshed = http
        .post(format!("{base}/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    // Through the trusted proxy (this test, on 127.0.0.1), the resident's address is logged.
    http.get(format!("{base}/healthz")).header("x-forwarded-for", "203.0.113.7").send().await.unwrap();

    // SIGTERM: the process stops accepting and exits cleanly.
    assert!(Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap().success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(25), "no exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    assert!(http.get(format!("{base}/healthz")).send().await.is_err(), "no longer accepting");

    let mut logs = String::new();
    std::fs::File::open(&log_path).unwrap().read_to_string(&mut logs).unwrap();
    assert!(!logs.is_empty());
    let mut with_request_id = 0;
    for line in logs.lines() {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        if entry["span"]["request_id"].as_str().is_some_and(|id| !id.is_empty()) {
            with_request_id += 1;
        }
    }
    assert!(with_request_id > 0, "request ids in the logs");
    assert!(logs.contains("203.0.113.7"), "the client address behind the proxy");
    let pem: String = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "pem"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let key_line = pem.lines().find(|l| !l.starts_with("-----")).unwrap().to_owned();
    for secret_value in [PASSWORD, &secret, &code, &at, &rt, &id_token, &key_line, "PRIVATE KEY"] {
        assert!(
            !logs.contains(secret_value),
            "a secret leaked into the logs: {}",
            &secret_value[..secret_value.len().min(12)]
        );
    }
}

/// SIGTERM (here: the shutdown signal of `app::serve`) lets requests already accepted finish,
/// and refuses new ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = glc::config::Config {
        issuer: base.clone(),
        database_url: format!("sqlite:{}", dir.path().join("glc.db").display()),
        keys_dir: dir.path().join("keys"),
        // One password hash at a time: five logins queue up and take a while.
        password_hash_concurrency: 1,
        ..glc::config::Config::default()
    };
    let provider = glc::app::build_provider(config, std::sync::Arc::new(glc::clock::SystemClock)).await.unwrap();
    let new = glc::identity::user::NewUser {
        email: "camille@lyon.fr".into(),
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    glc::identity::user::create(&provider.db, &provider.passwords, new, provider.now()).await.unwrap();
    let client =
        glc::oauth::client::register(&provider.db, TestServer::web_spec("Drain"), provider.now()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(glc::app::serve(provider.clone(), listener, async move {
        let _ = stopped.await;
    }));

    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", client.client.client_id.as_str()),
            ("redirect_uri", crate::support::REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .finish();
    let mut logins = Vec::new();
    for _ in 0..5 {
        let browser =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let to_login = browser.get(format!("{base}/authorize?{query}")).send().await.unwrap();
        let login_path = to_login.headers()["location"].to_str().unwrap().to_owned();
        let html = browser.get(format!("{base}{login_path}")).send().await.unwrap().text().await.unwrap();
        let (action, mut form) = crate::support::parse_form(&html);
        form.insert("email".into(), "camille@lyon.fr".into());
        form.insert("password".into(), PASSWORD.into());
        let url = format!("{base}{action}");
        logins.push(tokio::spawn(async move { browser.post(url).form(&form).send().await.map(|r| r.status()) }));
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    stop.send(()).unwrap();
    for login in logins {
        let status = login.await.unwrap().expect("an in-flight request was cut");
        assert_eq!(status, 303, "the login completed");
    }
    serving.await.unwrap().unwrap();
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err(), "new connections are refused");
}
