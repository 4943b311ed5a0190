//! `private_key_jwt` client authentication (RFC 7523, OIDC Core §9), with the negative cases of
//! the FAPI 2.0 plan's private_key_jwt set and the Dynamic OP's
//! `oidcc-ensure-client-assertion-with-iss-aud-succeeds`.

use josekit::jwk::KeyPair;
use josekit::jws::{ES256, HS256, JwsHeader, JwsSigner};
use josekit::jwt::JwtPayload;
use serde_json::{Value, json};

use crate::support::TestServer;
use glc::oauth::client::{AuthMethod, ClientSpec, GrantType, register};

struct KeyedClient {
    id: String,
    signer: Box<dyn JwsSigner>,
}

async fn keyed_client(server: &TestServer) -> KeyedClient {
    let pair = ES256.generate_key_pair().unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("k1");
    let spec = ClientSpec {
        name: "API GRU".into(),
        auth_method: AuthMethod::PrivateKeyJwt,
        jwks: Some(json!({ "keys": [public.as_ref()] }).to_string()),
        grant_types: vec![GrantType::ClientCredentials],
        scopes: Some(glc::oauth::scope::Scopes::parse("api:read").unwrap()),
        ..ClientSpec::default()
    };
    let registered = register(&server.provider.db, spec, server.provider.now()).await.unwrap();
    assert!(registered.client_secret.is_none(), "no secret for a private_key_jwt client");
    let mut signer = ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap();
    signer.set_key_id("k1");
    KeyedClient { id: registered.client.client_id, signer: Box::new(signer) }
}

fn sign(signer: &dyn JwsSigner, claims: &Value) -> String {
    let mut header = JwsHeader::new();
    if let Some(kid) = signer.key_id() {
        header.set_key_id(kid);
    }
    let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &header, signer).unwrap()
}

fn claims(server: &TestServer, client: &KeyedClient, changes: &[(&str, Value)]) -> Value {
    let now = server.provider.now();
    let mut c = json!({
        "iss": client.id, "sub": client.id, "aud": server.url("/token"),
        "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
    });
    for (k, v) in changes {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(*k);
        } else {
            c[*k] = v.clone();
        }
    }
    c
}

async fn token(server: &TestServer, assertion: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    let r = reqwest::Client::new().post(server.url("/token")).form(&form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn private_key_jwt_authenticates_and_each_bad_assertion_is_refused() {
    let server = TestServer::start().await;
    let client = keyed_client(&server).await;
    let ok = sign(client.signer.as_ref(), &claims(&server, &client, &[]));
    let (status, body) = token(&server, &ok, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(crate::support::jwt_claims(body["access_token"].as_str().unwrap())["sub"], client.id.as_str());
    let (status, body) = token(&server, &ok, &[]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "a replayed jti");

    let now = server.provider.now();
    let refused: Vec<(&str, Value)> = vec![
        ("expired five minutes ago", claims(&server, &client, &[("exp", json!(now - 300))])),
        ("no exp", claims(&server, &client, &[("exp", Value::Null)])),
        ("lives a day", claims(&server, &client, &[("exp", json!(now + 86_400))])),
        ("wrong audience", claims(&server, &client, &[("aud", json!("https://other.example/token"))])),
        ("not valid for another two minutes", claims(&server, &client, &[("nbf", json!(now + 120))])),
        ("iss is not the client", claims(&server, &client, &[("iss", json!("someone-else"))])),
        ("no jti", claims(&server, &client, &[("jti", Value::Null)])),
    ];
    for (why, c) in refused {
        let (status, body) = token(&server, &sign(client.signer.as_ref(), &c), &[]).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{why}");
    }
    // No sub and no client_id: nobody to authenticate.
    let (status, _) =
        token(&server, &sign(client.signer.as_ref(), &claims(&server, &client, &[("sub", Value::Null)])), &[]).await;
    assert_eq!(status, 401);

    // Another key, an HMAC, `none`.
    let stranger = keyed_client(&server).await;
    let forged = sign(stranger.signer.as_ref(), &claims(&server, &client, &[]));
    assert_eq!(token(&server, &forged, &[]).await.0, 401, "signed by another client's key");
    let hmac = HS256.signer_from_bytes(b"a shared secret that is long enough!").unwrap();
    assert_eq!(token(&server, &sign(&hmac, &claims(&server, &client, &[])), &[]).await.0, 401, "HS256");
    let unsigned = format!("eyJhbGciOiJub25lIn0.{}.", ok.split('.').nth(1).unwrap());
    assert_eq!(token(&server, &unsigned, &[]).await.0, 401, "alg none");

    // client_id, when sent, must be the assertion's subject.
    let (status, _) =
        token(&server, &sign(client.signer.as_ref(), &claims(&server, &client, &[])), &[("client_id", &stranger.id)])
            .await;
    assert_eq!(status, 401);
    // One method at a time.
    let r = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&client.id, Some("x"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", sign(client.signer.as_ref(), &claims(&server, &client, &[])).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // nbf a few seconds ahead (clock skew) is fine.
    let skewed = claims(&server, &client, &[("nbf", json!(now + 8))]);
    assert_eq!(token(&server, &sign(client.signer.as_ref(), &skewed), &[]).await.0, 200);
}

#[tokio::test]
async fn oidcc_ensure_client_assertion_with_iss_aud_succeeds() {
    let server = TestServer::start().await;
    let client = keyed_client(&server).await;
    let issuer_aud = claims(&server, &client, &[("aud", json!(server.base))]);
    assert_eq!(token(&server, &sign(client.signer.as_ref(), &issuer_aud), &[]).await.0, 200);
    let array_aud = claims(&server, &client, &[("aud", json!(["https://other.example", server.base]))]);
    let (status, body) = token(&server, &sign(client.signer.as_ref(), &array_aud), &[("client_id", &client.id)]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn private_key_jwt_clients_need_public_keys_only() {
    let server = TestServer::start().await;
    let base = ClientSpec {
        name: "x".into(),
        auth_method: AuthMethod::PrivateKeyJwt,
        grant_types: vec![GrantType::ClientCredentials],
        ..ClientSpec::default()
    };
    let now = server.provider.now();
    assert!(register(&server.provider.db, base.clone(), now).await.is_err(), "no keys");
    let private = ES256.generate_key_pair().unwrap().to_jwk_private_key();
    let with_private = ClientSpec { jwks: Some(json!({ "keys": [private.as_ref()] }).to_string()), ..base.clone() };
    assert!(register(&server.provider.db, with_private, now).await.is_err(), "private key material refused");
    let garbage = ClientSpec { jwks: Some("{\"keys\": 3}".into()), ..base };
    assert!(register(&server.provider.db, garbage, now).await.is_err());
}

/// A client that publishes its keys at a URL (here a loopback server, allowed because the
/// issuer is loopback http): fetched, cached, refetched when the client rotates.
#[tokio::test]
async fn private_key_jwt_keys_published_at_a_jwks_uri_are_fetched_and_refetched_on_rotation() {
    let server = TestServer::start().await;
    let published = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_uri = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = {
        let (published, fetches) = (published.clone(), fetches.clone());
        axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = published.lock().unwrap().clone();
                async move { body }
            }),
        )
    };
    let _host = crate::support::serve_until_dropped(listener, app);

    let key = |kid: &str| {
        let pair = ES256.generate_key_pair().unwrap();
        let mut public = pair.to_jwk_public_key();
        public.set_key_id(kid);
        let mut signer = ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap();
        signer.set_key_id(kid);
        (json!({ "keys": [public.as_ref()] }).to_string(), signer)
    };
    let (first_set, first_signer) = key("2026-11");
    *published.lock().unwrap() = first_set;
    let spec = ClientSpec {
        name: "Téléservice".into(),
        auth_method: AuthMethod::PrivateKeyJwt,
        jwks_uri: Some(jwks_uri.clone()),
        grant_types: vec![GrantType::ClientCredentials],
        scopes: Some(glc::oauth::scope::Scopes::parse("api:read").unwrap()),
        ..ClientSpec::default()
    };
    let id = register(&server.provider.db, spec, server.provider.now()).await.unwrap().client.client_id;
    let client = KeyedClient { id, signer: Box::new(first_signer) };
    for _ in 0..2 {
        let (status, body) = token(&server, &sign(client.signer.as_ref(), &claims(&server, &client, &[])), &[]).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1, "fetched once, then cached");

    // The client rotates: a new key, under a new kid, published at the same URL.
    let (second_set, second_signer) = key("2026-12");
    *published.lock().unwrap() = second_set;
    let rotated = KeyedClient { id: client.id.clone(), signer: Box::new(second_signer) };
    let (status, body) = token(&server, &sign(rotated.signer.as_ref(), &claims(&server, &rotated, &[])), &[]).await;
    assert_eq!(status, 200, "refetched on the unknown kid: {body}");
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 2);

    // A key set that is too large is not accepted (and an outage of the host is invalid_client).
    *published.lock().unwrap() = format!("{{\"keys\":[],\"padding\":\"{}\"}}", "x".repeat(70_000));
    server.provider.ephemeral.delete(&format!("client_jwks:{}", client.id)).await.unwrap();
    let (status, _) = token(&server, &sign(rotated.signer.as_ref(), &claims(&server, &rotated, &[])), &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn jwks_uris_on_internal_addresses_are_never_fetched() {
    // On a production-like (https) issuer, a JWKS URI on a private address is refused before
    // any connection.
    assert!(!glc::outbound::url_allowed("https://10.0.0.5/jwks.json", false));
    assert!(!glc::outbound::url_allowed("https://169.254.169.254/latest/meta-data", false));
    assert!(!glc::outbound::url_allowed("http://127.0.0.1:8080/jwks.json", false));
    let http = glc::outbound::client(false).unwrap();
    let refused = glc::outbound::get_bounded(&http, "https://localhost/jwks.json", false, 1024).await;
    assert!(matches!(refused, Err(glc::outbound::OutboundError::Forbidden(_))));
}
