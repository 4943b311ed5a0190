//! Encrypted ID tokens and userinfo (OIDC Core §10.2, OIDC Registration §2): made with the
//! client's registered public key, readable with its private key only.

use josekit::jwe::{ECDH_ES, JweDecrypter, RSA_OAEP_256};
use josekit::jwk::Jwk;
use serde_json::{Value, json};

use crate::support::{Browser, TestClient, TestServer, jwt_claims, jwt_header};
use glc::oauth::client::ClientSpec;
use glc::oauth::client_metadata::ClientMetadata;

/// An encryption key pair of the client: the public JWK to register, the private decrypter.
fn rsa_key() -> (Jwk, Box<dyn JweDecrypter>) {
    let pair = RSA_OAEP_256.generate_key_pair(2048).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_use("enc");
    public.set_key_id("enc-rsa");
    (public, Box::new(RSA_OAEP_256.decrypter_from_jwk(&pair.to_jwk_private_key()).unwrap()))
}

fn ec_key() -> (Jwk, Box<dyn JweDecrypter>) {
    let pair = ECDH_ES.generate_ec_key_pair(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_use("enc");
    public.set_key_id("enc-ec");
    (public, Box::new(ECDH_ES.decrypter_from_jwk(&pair.to_jwk_private_key()).unwrap()))
}

async fn client_with(server: &TestServer, key: &Jwk, metadata: ClientMetadata) -> TestClient {
    let jwks = json!({ "keys": [key.as_ref()] }).to_string();
    server.register(ClientSpec { jwks: Some(jwks), metadata, ..TestServer::web_spec("Dardilly") }).await
}

/// Decrypts a compact JWE; returns its header and payload.
fn open(jwe: &str, decrypter: &dyn JweDecrypter) -> (josekit::jwe::JweHeader, Vec<u8>) {
    assert_eq!(jwe.split('.').count(), 5, "a compact JWE: {jwe}");
    let (payload, header) = josekit::jwe::deserialize_compact(jwe, decrypter).unwrap();
    (header, payload)
}

#[tokio::test]
async fn id_tokens_are_signed_then_encrypted_to_the_clients_key() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (public, decrypter) = rsa_key();
    let metadata = ClientMetadata {
        id_token_encrypted_response_alg: Some("RSA-OAEP-256".into()),
        id_token_encrypted_response_enc: Some("A256GCM".into()),
        ..ClientMetadata::default()
    };
    let client = client_with(&server, &public, metadata).await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid offline_access")]).await;
    let (header, payload) = open(tokens["id_token"].as_str().unwrap(), decrypter.as_ref());
    assert_eq!((header.algorithm(), header.content_encryption()), (Some("RSA-OAEP-256"), Some("A256GCM")));
    assert_eq!((header.content_type(), header.key_id()), (Some("JWT"), Some("enc-rsa")));
    let inner = String::from_utf8(payload).unwrap();
    assert_eq!(jwt_header(&inner)["alg"], "RS256", "signed inside");
    assert_eq!(jwt_claims(&inner)["aud"], client.id);
    assert_eq!(jwt_claims(&inner)["nonce"], "n0nce");
    // The signature is ours: it verifies with the published keys.
    server.provider.keys().verify(&inner).unwrap();

    let (status, refreshed) = server
        .post_as(
            "/token",
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let (_, payload) = open(refreshed["id_token"].as_str().unwrap(), decrypter.as_ref());
    assert_eq!(jwt_claims(&String::from_utf8(payload).unwrap())["sub"], jwt_claims(&inner)["sub"]);
}

async fn userinfo_body(server: &TestServer, access_token: &str) -> (String, String) {
    let response = reqwest::Client::new().get(server.url("/userinfo")).bearer_auth(access_token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn userinfo_is_encrypted_alone_or_signed_then_encrypted() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let (public, decrypter) = ec_key();
    // Encrypted only, with the default content encryption: the claims as JSON inside.
    let metadata =
        ClientMetadata { userinfo_encrypted_response_alg: Some("ECDH-ES".into()), ..ClientMetadata::default() };
    let client = client_with(&server, &public, metadata).await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid email")]).await;
    let (content_type, body) = userinfo_body(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(content_type, "application/jwt");
    let (header, payload) = open(&body, decrypter.as_ref());
    assert_eq!((header.algorithm(), header.content_encryption()), (Some("ECDH-ES"), Some("A128CBC-HS256")));
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!((claims["email"].as_str(), claims["aud"].as_str()), (Some("camille@lyon.fr"), Some(client.id.as_str())));
    assert_eq!(claims["iss"], server.base);

    // Signed and encrypted: a nested JWT.
    let metadata = ClientMetadata {
        userinfo_signed_response_alg: Some("ES256".into()),
        userinfo_encrypted_response_alg: Some("ECDH-ES".into()),
        userinfo_encrypted_response_enc: Some("A256GCM".into()),
        ..ClientMetadata::default()
    };
    let nested = client_with(&server, &public, metadata).await;
    let tokens = server.tokens(&Browser::new(&server), &nested, &[("scope", "openid email")]).await;
    let (_, body) = userinfo_body(&server, tokens["access_token"].as_str().unwrap()).await;
    let (header, payload) = open(&body, decrypter.as_ref());
    assert_eq!(header.content_type(), Some("JWT"));
    let inner = String::from_utf8(payload).unwrap();
    assert_eq!(jwt_header(&inner)["alg"], "ES256");
    assert_eq!(server.provider.keys().verify(&inner).unwrap().str_claim("email"), Some("camille@lyon.fr"));
}

#[tokio::test]
async fn encryption_is_registered_only_with_a_key_that_fits() {
    let server = TestServer::start().await;
    let (rsa, _) = rsa_key();
    let (ec, _) = ec_key();
    let now = server.provider.now();
    let attempt = |jwks: Option<String>, alg: Option<&str>, enc: Option<&str>| {
        let metadata = ClientMetadata {
            id_token_encrypted_response_alg: alg.map(str::to_owned),
            id_token_encrypted_response_enc: enc.map(str::to_owned),
            ..ClientMetadata::default()
        };
        ClientSpec { jwks, metadata, ..TestServer::web_spec("Bron") }
    };
    let set = |key: &Jwk| Some(json!({ "keys": [key.as_ref()] }).to_string());
    for (case, spec) in [
        ("an EC key for RSA-OAEP-256", attempt(set(&ec), Some("RSA-OAEP-256"), None)),
        ("an RSA key for ECDH-ES", attempt(set(&rsa), Some("ECDH-ES"), None)),
        ("no key", attempt(None, Some("RSA-OAEP-256"), None)),
        ("RSA1_5", attempt(set(&rsa), Some("RSA1_5"), None)),
        ("A128GCM", attempt(set(&rsa), Some("RSA-OAEP-256"), Some("A128GCM"))),
        ("enc without alg", attempt(set(&rsa), None, Some("A256GCM"))),
    ] {
        assert!(glc::oauth::client::register(&server.provider.db, spec, now).await.is_err(), "{case}");
    }
    assert!(
        glc::oauth::client::register(&server.provider.db, attempt(set(&rsa), Some("RSA-OAEP-256"), None), now)
            .await
            .is_ok()
    );
    let m: Value = reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(m["id_token_encryption_alg_values_supported"], json!(["RSA-OAEP-256", "ECDH-ES"]));
}
