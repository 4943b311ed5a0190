//! DPoP (RFC 9449): sender-constrained access and refresh tokens, the code bound to a key at
//! the authorization and PAR endpoints, and each forged, replayed or misaddressed proof refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::{ES256, HS256, JwsHeader, JwsSigner};
use josekit::jwt::JwtPayload;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Browser, PASSWORD, TestClient, TestServer, jwt_claims};
use glc::oauth::client::{AuthMethod, ClientSpec};
use glc::oauth::client_metadata::ClientMetadata;

/// A client's DPoP key.
struct DpopKey {
    signer: Box<dyn JwsSigner>,
    public: Jwk,
    jkt: String,
}

impl DpopKey {
    fn new() -> DpopKey {
        let pair = ES256.generate_key_pair().unwrap();
        let public = pair.to_jwk_public_key();
        let map: &Map<String, Value> = public.as_ref();
        let jkt = glc::oauth::dpop::thumbprint(map).unwrap();
        DpopKey { signer: Box::new(ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap()), public, jkt }
    }

    /// A proof for `method url`, with `ath` for `access_token`; `changes` alter the claims.
    fn proof(
        &self,
        server: &TestServer,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        changes: &[(&str, Value)],
    ) -> String {
        let mut claims = json!({
            "jti": uuid::Uuid::new_v4().to_string(), "htm": method, "htu": url, "iat": server.provider.now(),
        });
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes())).into();
        }
        for (name, value) in changes {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(*name);
            } else {
                claims[*name] = value.clone();
            }
        }
        let mut header = JwsHeader::new();
        header.set_token_type("dpop+jwt");
        header.set_jwk(self.public.clone());
        let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
        josekit::jwt::encode_with_signer(&payload, &header, self.signer.as_ref()).unwrap()
    }
}

/// POSTs a token request as `client` (secret or public), with the given DPoP headers.
async fn token(server: &TestServer, client: &TestClient, form: &[(&str, &str)], proofs: &[&str]) -> (u16, Value) {
    let mut form = form.to_vec();
    let mut request = reqwest::Client::new().post(server.url("/token"));
    match &client.secret {
        Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
        None => form.push(("client_id", &client.id)),
    }
    for proof in proofs {
        request = request.header("DPoP", *proof);
    }
    let response = request.form(&form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// Logs in and returns a code (with PKCE verifier `v` when the client is public).
async fn code(server: &TestServer, client: &TestClient, extra: &[(&str, &str)]) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let mut params = vec![
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("scope", "openid offline_access"),
    ];
    params.extend_from_slice(extra);
    server.authorize(&Browser::new(server), client, &params).await["code"].clone()
}

const VERIFIER: &str = "a-pkce-verifier-long-enough-to-be-valid-0123456789";

fn redeem_form<'a>(client: &'a TestClient, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &client.redirect_uri),
        ("code_verifier", VERIFIER),
    ]
}

async fn userinfo(server: &TestServer, scheme: &str, token: &str, proof: Option<&str>) -> (u16, String) {
    let mut request =
        reqwest::Client::new().get(server.url("/userinfo")).header("Authorization", format!("{scheme} {token}"));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.unwrap();
    let challenge =
        response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (response.status().as_u16(), challenge)
}

#[tokio::test]
async fn a_public_clients_tokens_are_bound_to_its_dpop_key() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.public_client().await;
    let key = DpopKey::new();
    let code = code(&server, &client, &[]).await;
    let token_url = server.url("/token");
    let (status, tokens) =
        token(&server, &client, &redeem_form(&client, &code), &[&key.proof(&server, "POST", &token_url, None, &[])])
            .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(access)["cnf"]["jkt"], key.jkt);

    // At the resource: the DPoP scheme and a proof of the key, for this request and this token.
    let info = server.url("/userinfo");
    assert_eq!(
        userinfo(&server, "DPoP", access, Some(&key.proof(&server, "GET", &info, Some(access), &[]))).await.0,
        200
    );
    let (status, challenge) = userinfo(&server, "Bearer", access, None).await;
    assert_eq!(status, 401, "a bound token is not a bearer token");
    assert!(challenge.contains("invalid_token"), "{challenge}");
    let (status, challenge) =
        userinfo(&server, "DPoP", access, Some(&DpopKey::new().proof(&server, "GET", &info, Some(access), &[]))).await;
    assert_eq!(status, 401, "another key");
    assert!(challenge.starts_with("DPoP algs=") && challenge.contains("invalid_dpop_proof"), "{challenge}");
    assert_eq!(userinfo(&server, "DPoP", access, None).await.0, 401, "no proof");
    assert_eq!(
        userinfo(&server, "DPoP", access, Some(&key.proof(&server, "GET", &info, None, &[]))).await.0,
        401,
        "no ath"
    );
    let used = key.proof(&server, "GET", &info, Some(access), &[]);
    assert_eq!(userinfo(&server, "DPoP", access, Some(&used)).await.0, 200);
    assert_eq!(userinfo(&server, "DPoP", access, Some(&used)).await.0, 401, "a proof is used once");
    assert_eq!(
        userinfo(&server, "DPoP", access, Some(&key.proof(&server, "POST", &info, Some(access), &[]))).await.0,
        401,
        "htm"
    );

    // The refresh token is bound to the key, and therefore not rotated.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (status, body) = token(&server, &client, &form, &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")), "without a proof");
    let (status, body) =
        token(&server, &client, &form, &[&DpopKey::new().proof(&server, "POST", &token_url, None, &[])]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")), "another key");
    for _ in 0..2 {
        let (status, body) =
            token(&server, &client, &form, &[&key.proof(&server, "POST", &token_url, None, &[])]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none(), "not rotated: the same refresh token goes on");
        assert_eq!(jwt_claims(body["access_token"].as_str().unwrap())["cnf"]["jkt"], key.jkt);
    }
}

#[tokio::test]
async fn each_bad_proof_is_refused_at_the_token_endpoint() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let key = DpopKey::new();
    let token_url = server.url("/token");
    let now = server.provider.now();
    let unsigned = {
        let header =
            URL_SAFE_NO_PAD.encode(json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.public.as_ref()}).to_string());
        let claims =
            URL_SAFE_NO_PAD.encode(json!({"jti": "x", "htm": "POST", "htu": token_url, "iat": now}).to_string());
        format!("{header}.{claims}.")
    };
    let hmac = {
        let secret = Jwk::generate_oct_key(32).unwrap();
        let mut header = JwsHeader::new();
        header.set_token_type("dpop+jwt");
        header.set_jwk(secret.clone());
        let payload = JwtPayload::from_map(
            json!({"jti": "y", "htm": "POST", "htu": token_url, "iat": now}).as_object().unwrap().clone(),
        )
        .unwrap();
        josekit::jwt::encode_with_signer(&payload, &header, &HS256.signer_from_jwk(&secret).unwrap()).unwrap()
    };
    let wrong_typ = {
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_jwk(key.public.clone());
        let payload = JwtPayload::from_map(
            json!({"jti": "z", "htm": "POST", "htu": token_url, "iat": now}).as_object().unwrap().clone(),
        )
        .unwrap();
        josekit::jwt::encode_with_signer(&payload, &header, key.signer.as_ref()).unwrap()
    };
    let tampered = {
        let proof = key.proof(&server, "POST", &token_url, None, &[]);
        let mut parts: Vec<String> = proof.split('.').map(str::to_owned).collect();
        parts[1] =
            URL_SAFE_NO_PAD.encode(json!({"jti": "t", "htm": "POST", "htu": token_url, "iat": now + 1}).to_string());
        parts.join(".")
    };
    let replayed = key.proof(&server, "POST", &token_url, None, &[]);
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("unsigned", vec![unsigned]),
        ("symmetric", vec![hmac]),
        ("typ", vec![wrong_typ]),
        ("signature", vec![tampered]),
        ("htm", vec![key.proof(&server, "GET", &token_url, None, &[])]),
        ("htu", vec![key.proof(&server, "POST", &server.url("/userinfo"), None, &[])]),
        ("iat past", vec![key.proof(&server, "POST", &token_url, None, &[("iat", json!(now - 300))])]),
        ("iat future", vec![key.proof(&server, "POST", &token_url, None, &[("iat", json!(now + 300))])]),
        ("no jti", vec![key.proof(&server, "POST", &token_url, None, &[("jti", Value::Null)])]),
        (
            "two headers",
            vec![key.proof(&server, "POST", &token_url, None, &[]), key.proof(&server, "POST", &token_url, None, &[])],
        ),
        ("not a JWT", vec!["garbage".to_owned()]),
    ];
    for (case, proofs) in cases {
        let code = code(&server, &client, &[]).await;
        let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let (status, body) = token(&server, &client, &redeem_form(&client, &code), &proofs).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")), "{case}: {body}");
    }
    // Within ±60 s the proof is fresh; then the replay of the same proof is refused.
    let code1 = code(&server, &client, &[]).await;
    let (status, body) = token(&server, &client, &redeem_form(&client, &code1), &[&replayed]).await;
    assert_eq!(status, 200, "{body}");
    let code2 = code(&server, &client, &[]).await;
    let (status, body) = token(&server, &client, &redeem_form(&client, &code2), &[&replayed]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")), "replay: {body}");
}

#[tokio::test]
async fn a_code_requested_for_a_key_is_redeemed_only_with_that_key() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let key = DpopKey::new();
    let token_url = server.url("/token");
    for (case, proof) in
        [("no proof", None), ("another key", Some(DpopKey::new().proof(&server, "POST", &token_url, None, &[])))]
    {
        let code = code(&server, &client, &[("dpop_jkt", &key.jkt)]).await;
        let proofs: Vec<&str> = proof.iter().map(String::as_str).collect();
        let (status, body) = token(&server, &client, &redeem_form(&client, &code), &proofs).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{case}");
    }
    let code = code(&server, &client, &[("dpop_jkt", &key.jkt)]).await;
    let (status, body) =
        token(&server, &client, &redeem_form(&client, &code), &[&key.proof(&server, "POST", &token_url, None, &[])])
            .await;
    assert_eq!(status, 200, "{body}");
    let landing = Browser::new(&server).open(&server.authorize_url(&client, &[("dpop_jkt", "short")])).await;
    assert_eq!(landing.callback()["error"], "invalid_request");
}

#[tokio::test]
async fn a_proof_at_the_par_endpoint_binds_the_code() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let key = DpopKey::new();
    let form = [
        ("response_type", "code"),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("scope", "openid"),
        ("state", "s"),
    ];
    let push = |proof: String, extra: Option<(&'static str, String)>| {
        let (server, client) = (&server, &client);
        async move {
            let mut form = form.to_vec();
            if let Some((k, v)) = &extra {
                form.push((k, v.as_str()));
            }
            let response = reqwest::Client::new()
                .post(server.url("/par"))
                .basic_auth(&client.id, client.secret.as_deref())
                .header("DPoP", proof)
                .form(&form)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let par_url = server.url("/par");
    let (status, body) =
        push(key.proof(&server, "POST", &par_url, None, &[]), Some(("dpop_jkt", DpopKey::new().jkt))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")), "dpop_jkt of another key");
    let (status, pushed) = push(key.proof(&server, "POST", &par_url, None, &[]), None).await;
    assert_eq!(status, 201, "{pushed}");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("client_id", client.id.as_str()), ("request_uri", pushed["request_uri"].as_str().unwrap())])
        .finish();
    let browser = Browser::new(&server);
    let page = browser.open(&server.url(&format!("/authorize?{query}"))).await;
    let page = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    let code = browser.submit(&page, &[("decision", "allow")]).await.callback()["code"].clone();
    let form =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", client.redirect_uri.as_str())];
    let (status, body) = token(&server, &client, &form, &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "the pushed key is required");
}

#[tokio::test]
async fn a_client_registered_for_dpop_always_proves_and_keeps_its_refresh_token() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let metadata = ClientMetadata { dpop_bound_access_tokens: true, ..ClientMetadata::default() };
    let client = server
        .register(ClientSpec { metadata, auth_method: AuthMethod::ClientSecretBasic, ..TestServer::web_spec("Lyon") })
        .await;
    let key = DpopKey::new();
    let token_url = server.url("/token");
    let code1 = code(&server, &client, &[]).await;
    let (status, body) = token(&server, &client, &redeem_form(&client, &code1), &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")));
    let code2 = code(&server, &client, &[]).await;
    let (status, tokens) =
        token(&server, &client, &redeem_form(&client, &code2), &[&key.proof(&server, "POST", &token_url, None, &[])])
            .await;
    assert_eq!(status, 200, "{tokens}");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (status, body) = token(&server, &client, &form, &[&key.proof(&server, "POST", &token_url, None, &[])]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none(), "a sender-constrained client's refresh token is not rotated");

    let (status, introspected) =
        server.post_as("/introspect", &client, &[("token", tokens["access_token"].as_str().unwrap())]).await;
    assert_eq!(status, 200);
    assert_eq!(
        (introspected["token_type"].as_str(), introspected["cnf"]["jkt"].as_str()),
        (Some("DPoP"), Some(key.jkt.as_str()))
    );

    let discovery: Value =
        reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert!(discovery["dpop_signing_alg_values_supported"].as_array().unwrap().contains(&json!("ES256")));
}
