//! The provider behind TLS, as in production: a TLS front (the load balancer) with a certificate
//! for `localhost` made at test time, forwarding to an instance whose issuer is
//! `https://localhost:…` and which believes the front's `X-Forwarded-*` headers. Cookies are
//! then `__Host-` prefixed and `Secure`, HSTS is sent, and a real TLS client completes a login.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::support::{Browser, Landing, PASSWORD, TestServer};

struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else { continue };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// The TLS front and a client that trusts its certificate.
struct Front {
    base: String,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn front(listener: TcpListener, target: String) -> Front {
    let port = listener.local_addr().unwrap().port();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der = certified.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (http, target) = (http.clone(), target.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
            let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let mut forwarded = http
                .request(parts.method, format!("{target}{path}"))
                .header("x-forwarded-proto", "https")
                .header("x-forwarded-for", "203.0.113.7")
                .body(body);
            for (name, value) in &parts.headers {
                if name != reqwest::header::HOST {
                    forwarded = forwarded.header(name, value);
                }
            }
            let response = forwarded.send().await.unwrap();
            let mut builder = axum::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            builder.body(axum::body::Body::from(response.bytes().await.unwrap_or_default())).unwrap()
        }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let listener = TlsListener { tcp: listener, acceptor };
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_der(&cert_der).unwrap())
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Front { base: format!("https://localhost:{port}"), client, _stop: stop }
}

#[tokio::test]
async fn behind_tls_cookies_are_host_prefixed_and_secure_and_a_login_completes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let server = TestServer::start_with(|c| {
        c.issuer = issuer.clone();
        c.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let front = front(listener, server.base.clone()).await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;

    let discovery = front.client.get(format!("{}/.well-known/openid-configuration", front.base)).send().await.unwrap();
    assert_eq!(discovery.headers()["strict-transport-security"], "max-age=63072000; includeSubDomains");
    let metadata: serde_json::Value = discovery.json().await.unwrap();
    assert_eq!(metadata["issuer"], front.base);

    let authorize = server.authorize_url(&client, &[]).replace(&server.base, &front.base);
    let first = front.client.get(&authorize).send().await.unwrap();
    let flow_cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(flow_cookie.starts_with("__Host-glc_flow="), "{flow_cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(flow_cookie.contains(attribute), "{attribute} in {flow_cookie}");
    }
    // A real TLS client with its cookie jar goes through login and consent.
    let browser = Browser::with_client(front.client.clone(), &front.base);
    let page = browser.follow(first).await;
    assert!(page.is_login_page(), "{page:?}");
    let consent = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    assert!(consent.is_consent_page(), "the __Host- cookies came back over TLS: {consent:?}");
    let landing = browser.submit(&consent, &[("decision", "allow")]).await;
    let Landing::Redirect(callback) = &landing else { panic!("{landing:?}") };
    let params: std::collections::HashMap<String, String> = callback.query_pairs().into_owned().collect();
    assert_eq!(params["iss"], front.base);
    let (status, tokens) = server.redeem(&client, &params["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
}
