//! Abusive clients: slow ones (slowloris), oversized requests, bodies that never finish.
//! Every test talks to an instance directly (its own address, not the test proxy of the
//! two-instance run), as the limits are the instance's.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use serde_json::{Value, json};

use crate::support::{REDIRECT_URI, TestServer};

/// The instance's own address (`host:port`).
fn own_address(server: &TestServer) -> String {
    server.provider.config.bind.clone()
}

/// Reads what the server sends until it closes or `within` passes; `None` if still open.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let deadline = Instant::now() + within;
    loop {
        let mut buffer = [0u8; 4096];
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&received).into_owned()),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn a_slow_client_is_cut_off_and_others_are_still_served() {
    let server = TestServer::start_with(|c| c.request_head_timeout_seconds = 1).await;
    let address = own_address(&server);
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: glc\r\nX-Slow: ").await.unwrap();
        slow.push(stream);
    }
    let started = Instant::now();
    let answer = reqwest::get(format!("http://{address}/healthz")).await.unwrap();
    assert_eq!(answer.status(), 200, "served while 50 slow clients hold connections");
    assert!(started.elapsed() < Duration::from_millis(900), "served before the slow clients' deadline");

    // Each trickles a byte every 200 ms: the head never completes, and the server hangs up on
    // it about a second after it connected.
    let trickle = async {
        loop {
            for stream in &mut slow {
                let _ = stream.write_all(b"a").await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::select! {
        () = trickle => {}
        () = tokio::time::sleep(Duration::from_millis(1500)) => {}
    }
    for (i, stream) in slow.iter_mut().enumerate() {
        let closed = read_until_closed(stream, Duration::from_secs(3)).await;
        assert!(closed.is_some(), "slow client {i} still connected {:?} after it started", started.elapsed());
    }
}

#[tokio::test]
async fn oversized_heads_and_bodies_and_unfinished_bodies_are_refused() {
    let server = TestServer::start_with(|c| c.request_timeout_seconds = 2).await;
    let base = format!("http://{}", own_address(&server));
    let http = reqwest::Client::new();
    let big = "a".repeat(100 * 1024);

    // Bodies over 64 KiB: 413 at every endpoint that reads one, before any other work.
    let form = format!("grant_type=client_credentials&padding={big}");
    for path in ["/token", "/par", "/introspect", "/revoke", "/signup", "/password/forgot"] {
        let response = http
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
    }
    let json = format!("{{\"redirect_uris\":[\"https://a.example/cb\"],\"client_name\":\"{big}\"}}");
    let response =
        http.post(format!("{base}/register")).header("content-type", "application/json").body(json).send().await;
    assert_eq!(response.unwrap().status(), 413, "/register");

    // A request line and headers over 64 KiB: 431, the connection closed.
    let response = http.get(format!("{base}/healthz")).header("x-padding", &big).send().await.unwrap();
    assert_eq!(response.status(), 431, "a huge header");
    // (A URL that long is beyond what reqwest builds: the request is written by hand.)
    let mut stream = TcpStream::connect(own_address(&server)).await.unwrap();
    let request = format!("GET /authorize?client_id={big} HTTP/1.1\r\nHost: glc\r\n\r\n");
    let _ = stream.write_all(request.as_bytes()).await;
    let answer = read_until_closed(&mut stream, Duration::from_secs(3)).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 431"), "a huge query string: {}", &answer[..answer.len().min(200)]);

    // A body announced but never sent in full: 408 when the request's time is up.
    let mut stream = TcpStream::connect(own_address(&server)).await.unwrap();
    let head = "POST /token HTTP/1.1\r\nHost: glc\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 100\r\n\r\ngrant_type=";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(6)).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(1900), "not before the request timeout");

    // And the instance still serves.
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn token_registration_and_sign_up_are_limited_per_address() {
    let server = TestServer::start_with(|c| {
        c.open_registration = true;
        c.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let base = format!("http://{}", own_address(&server));
    let client = server.web_client().await;
    let secret = client.secret.clone().unwrap();
    let http = reqwest::Client::new();
    let token = |from: &'static str, secret: String| {
        let request = http
            .post(format!("{base}/token"))
            .header("x-forwarded-for", from)
            .basic_auth(&client.id, Some(secret))
            .form(&[("grant_type", "authorization_code"), ("code", "guessed"), ("redirect_uri", REDIRECT_URI)]);
        async move {
            let response = request.send().await.unwrap();
            let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (response.status().as_u16(), retry_after, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Guessing a secret, or codes: 60 failures a minute from one address, then 429 for it alone.
    for attempt in 0..60 {
        let (status, _, body) = token("203.0.113.1", format!("guess-{attempt}")).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, retry_after, body) = token("203.0.113.1", secret.clone()).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("invalid_request")), "{body}");
    let seconds: i64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    let (status, _, body) = token("203.0.113.2", secret.clone()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "another address is served");

    // Dynamic registrations: 20 an hour from one address.
    let metadata = json!({ "redirect_uris": ["https://app.example/cb"], "client_name": "Appli" });
    for _ in 0..20 {
        let response =
            http.post(format!("{base}/register")).header("x-forwarded-for", "203.0.113.3").json(&metadata).send().await;
        assert_eq!(response.unwrap().status(), 201);
    }
    let response =
        http.post(format!("{base}/register")).header("x-forwarded-for", "203.0.113.3").json(&metadata).send().await;
    let response = response.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));

    // Sign-ups: 30 an hour from one address; the 31st gets the form again, with why.
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = browser.get(format!("{base}/signup")).send().await.unwrap().text().await.unwrap();
    let (action, form) = crate::support::parse_form(&page);
    let sign_up = |n: usize| {
        let mut form = form.clone();
        form.insert("email".into(), format!("resident{n}@lyon.example"));
        form.insert("password".into(), "une phrase de passe assez longue".into());
        browser.post(format!("{base}{action}")).header("x-forwarded-for", "203.0.113.4").form(&form).send()
    };
    for n in 0..30 {
        assert_eq!(sign_up(n).await.unwrap().status(), 200, "sign-up {n}");
    }
    let refused = sign_up(30).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.text().await.unwrap().contains("Trop de comptes ont été demandés depuis cette adresse"));
}
