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
