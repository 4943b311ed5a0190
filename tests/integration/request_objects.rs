//! Request objects (OIDC Core §6, RFC 9101) by value and by reference, and pushed authorization
//! requests (RFC 9126): what is accepted, the merge rules, and each forged, expired, replayed or
//! misaddressed request refused with the spec's error.

use josekit::jwk::alg::ec::EcKeyPair;
use josekit::jws::{ES256, JwsHeader, JwsSigner};
use josekit::jwt::JwtPayload;
use serde_json::{Value, json};

use crate::support::{Browser, Landing, Published, REDIRECT_URI, TestClient, TestServer, jwt_claims};
use glc::oauth::client::ClientSpec;
use glc::oauth::client_metadata::ClientMetadata;

/// A web client with an ES256 key registered, and the matching signer.
pub struct KeyedWebClient {
    pub client: TestClient,
    pub signer: Box<dyn JwsSigner>,
}

pub fn es256_key(kid: &str) -> (String, Box<dyn JwsSigner>) {
    let pair: EcKeyPair = ES256.generate_key_pair().unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id(kid);
    let mut signer = ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap();
    signer.set_key_id(kid);
    (json!({ "keys": [public.as_ref()] }).to_string(), Box::new(signer))
}

pub async fn keyed_web_client(server: &TestServer, metadata: ClientMetadata) -> KeyedWebClient {
    let (jwks, signer) = es256_key("rp-1");
    let spec = ClientSpec { jwks: Some(jwks), metadata, ..TestServer::web_spec("Démarches Bron") };
    KeyedWebClient { client: server.register(spec).await, signer }
}

pub fn sign(signer: &dyn JwsSigner, claims: &Value) -> String {
    let mut header = JwsHeader::new();
    header.set_token_type("oauth-authz-req+jwt");
    if let Some(kid) = signer.key_id() {
        header.set_key_id(kid);
    }
    let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &header, signer).unwrap()
}

pub fn unsigned(claims: &Value) -> String {
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", b64(&json!({"alg": "none"})), b64(claims))
}

/// The claims of a complete request object for `client`.
pub fn request_claims(server: &TestServer, client: &TestClient, changes: &[(&str, Value)]) -> Value {
    let now = server.provider.now();
    let mut claims = json!({
        "iss": client.id, "aud": server.issuer(), "iat": now, "exp": now + 300,
        "client_id": client.id, "response_type": "code", "scope": "openid email",
        "redirect_uri": client.redirect_uri, "state": "object-state", "nonce": "object-nonce",
    });
    for (name, value) in changes {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(*name);
        } else {
            claims[*name] = value.clone();
        }
    }
    claims
}

fn unsigned_client_metadata() -> ClientMetadata {
    ClientMetadata { request_object_signing_alg: Some("none".into()), ..ClientMetadata::default() }
}

/// Logs in through `url` and returns the callback.
async fn complete(server: &TestServer, url: &str) -> std::collections::HashMap<String, String> {
    let browser = Browser::new(server);
    let mut landing = browser.open(url).await;
    if landing.is_login_page() {
        landing = browser.login(&landing, "camille@lyon.fr", crate::support::PASSWORD).await;
    }
    if landing.is_consent_page() {
        landing = browser.submit(&landing, &[("decision", "allow")]).await;
    }
    landing.callback()
}

/// The ID token's claims after redeeming the callback's code.
async fn id_token_of(server: &TestServer, client: &TestClient, code: &str) -> Value {
    let (status, body) = server.redeem(client, code, &[]).await;
    assert_eq!(status, 200, "{body}");
    jwt_claims(body["id_token"].as_str().unwrap())
}

#[tokio::test]
pub async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client =
        server.register(ClientSpec { metadata: unsigned_client_metadata(), ..TestServer::web_spec("Lyon") }).await;
    let object = unsigned(&request_claims(&server, &client, &[]));
    let url = server.authorize_url(&client, &[("request", &object), ("state", ""), ("nonce", "")]);
    let callback = complete(&server, &url).await;
    assert_eq!(callback["state"], "object-state", "processed: the object's state comes back");
    assert_eq!(id_token_of(&server, &client, &callback["code"]).await["nonce"], "object-nonce");

    // A client that did not register `none` cannot send unsigned objects.
    let strict = server.web_client().await;
    let object = unsigned(&request_claims(&server, &strict, &[]));
    let landing = Browser::new(&server).open(&server.authorize_url(&strict, &[("request", &object)])).await;
    assert_eq!(landing.callback()["error"], "invalid_request_object");
}

#[tokio::test]
pub async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let hosted = Published::start("/request.jwt", "").await;
    let metadata = ClientMetadata { request_uris: vec![hosted.url.clone()], ..unsigned_client_metadata() };
    let client = server.register(ClientSpec { metadata, ..TestServer::web_spec("Lyon") }).await;
    hosted.set(&unsigned(&request_claims(&server, &client, &[])));
    // The fragment may change at each request (it defeats caches): it is not compared.
    let reference = format!("{}#v2", hosted.url);
    let callback =
        complete(&server, &server.authorize_url(&client, &[("request_uri", &reference), ("state", "")])).await;
    assert_eq!(callback["state"], "object-state");
    assert_eq!(id_token_of(&server, &client, &callback["code"]).await["nonce"], "object-nonce");
    assert_eq!(hosted.fetches(), 1);

    // A URL the client did not register is never fetched.
    let elsewhere = Published::start("/other.jwt", &unsigned(&request_claims(&server, &client, &[]))).await;
    let landing = Browser::new(&server).open(&server.authorize_url(&client, &[("request_uri", &elsewhere.url)])).await;
    assert_eq!(landing.callback()["error"], "invalid_request_uri");
    assert_eq!(elsewhere.fetches(), 0);
}

#[tokio::test]
pub async fn oidcc_ensure_request_object_with_redirect_uri() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let spec = ClientSpec {
        redirect_uris: vec![REDIRECT_URI.into(), "https://rp.example/other".into()],
        metadata: unsigned_client_metadata(),
        ..TestServer::web_spec("Lyon")
    };
    let client = server.register(spec).await;
    // The object's redirect_uri wins over the query's.
    let object = unsigned(&request_claims(&server, &client, &[("redirect_uri", json!("https://rp.example/other"))]));
    let browser = Browser::new(&server);
    let mut landing = browser.open(&server.authorize_url(&client, &[("request", &object)])).await;
    landing = browser.login(&landing, "camille@lyon.fr", crate::support::PASSWORD).await;
    landing = browser.submit(&landing, &[("decision", "allow")]).await;
    let delivered_to = match &landing {
        Landing::Redirect(url) => url.as_str().to_owned(),
        Landing::FormPost { action, .. } => action.clone(),
        other => panic!("{other:?}"),
    };
    assert!(delivered_to.starts_with("https://rp.example/other"), "{delivered_to}");
    assert!(landing.callback().contains_key("code"));

    // An unregistered one inside the object: our error page, no redirect anywhere.
    let object = unsigned(&request_claims(&server, &client, &[("redirect_uri", json!("https://attacker.example/cb"))]));
    let landing = Browser::new(&server).open(&server.authorize_url(&client, &[("request", &object)])).await;
    assert_eq!(landing.status(), 400, "error page, never a redirect");
}

#[tokio::test]
async fn signed_request_objects_are_verified_and_each_forgery_is_refused() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let keyed = keyed_web_client(&server, ClientMetadata::default()).await;
    let client = &keyed.client;
    let signed = sign(keyed.signer.as_ref(), &request_claims(&server, client, &[]));
    // OIDC Core §6.3: the object's parameters supersede the query's, the query fills the rest.
    let url = server.authorize_url(client, &[("request", &signed), ("scope", "openid"), ("ui_locales", "en")]);
    let callback = complete(&server, &url).await;
    assert_eq!(callback["state"], "object-state");
    let (status, tokens) = server.redeem(client, &callback["code"], &[]).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "email openid", "the object's scope");

    let (_, foreign_signer) = es256_key("rp-1");
    let now = server.provider.now();
    let forgeries: Vec<(&str, String)> = vec![
        ("another key", sign(foreign_signer.as_ref(), &request_claims(&server, client, &[]))),
        ("unsigned", unsigned(&request_claims(&server, client, &[]))),
        (
            "aud elsewhere",
            sign(keyed.signer.as_ref(), &request_claims(&server, client, &[("aud", json!("https://op.example"))])),
        ),
        ("no aud", sign(keyed.signer.as_ref(), &request_claims(&server, client, &[("aud", Value::Null)]))),
        ("iss another", sign(keyed.signer.as_ref(), &request_claims(&server, client, &[("iss", json!("someone"))]))),
        ("expired", sign(keyed.signer.as_ref(), &request_claims(&server, client, &[("exp", json!(now - 600))]))),
        ("not yet", sign(keyed.signer.as_ref(), &request_claims(&server, client, &[("nbf", json!(now + 600))]))),
        (
            "another client_id",
            sign(keyed.signer.as_ref(), &request_claims(&server, client, &[("client_id", json!("x"))])),
        ),
        (
            "nested",
            sign(keyed.signer.as_ref(), &request_claims(&server, client, &[("request_uri", json!("https://a.fr/r"))])),
        ),
        ("not a JWT", "abc.def".to_owned()),
        ("encrypted", "a.b.c.d.e".to_owned()),
    ];
    for (case, object) in forgeries {
        let landing = Browser::new(&server).open(&server.authorize_url(client, &[("request", &object)])).await;
        let callback = landing.callback();
        assert_eq!(callback["error"], "invalid_request_object", "{case}");
        assert_eq!(callback["state"], "st4te", "{case}: the query's state, the object's is not trusted");
        assert!(!callback.contains_key("code"), "{case}");
    }
    // Both forms at once.
    let landing = Browser::new(&server)
        .open(&server.authorize_url(client, &[("request", &signed), ("request_uri", "https://a.fr/r")]))
        .await;
    assert_eq!(landing.callback()["error"], "invalid_request");
}

#[tokio::test]
async fn a_client_that_signs_its_requests_gets_only_the_object_parameters() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let metadata = ClientMetadata {
        require_signed_request_object: true,
        request_object_signing_alg: Some("ES256".into()),
        ..ClientMetadata::default()
    };
    let keyed = keyed_web_client(&server, metadata).await;
    let client = &keyed.client;
    // Without a request object: refused.
    let landing = Browser::new(&server).open(&server.authorize_url(client, &[])).await;
    assert_eq!(landing.callback()["error"], "invalid_request");
    // With one, the query's extra parameters are ignored (RFC 9101 §6.3).
    let signed = sign(keyed.signer.as_ref(), &request_claims(&server, client, &[]));
    let url = server.authorize_url(client, &[("request", &signed), ("prompt", "none")]);
    let callback = complete(&server, &url).await;
    assert!(callback.contains_key("code"), "prompt=none from the query was ignored: {callback:?}");
}

/// POSTs to the PAR endpoint as `client`.
async fn push(server: &TestServer, client: &TestClient, form: &[(&str, &str)]) -> (u16, Value) {
    let (status, body) = server.post_as("/par", client, form).await;
    (status.as_u16(), body)
}

fn pushed_form(client: &TestClient) -> Vec<(&str, &str)> {
    vec![
        ("response_type", "code"),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("scope", "openid"),
        ("state", "pushed-state"),
        ("nonce", "pushed-nonce"),
    ]
}

fn par_url(server: &TestServer, client: &TestClient, request_uri: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("client_id", client.id.as_str()), ("request_uri", request_uri)])
        .finish();
    server.url(&format!("/authorize?{query}"))
}

#[tokio::test]
async fn pushed_authorization_requests_are_single_use_short_lived_and_the_clients_own() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let metadata = ClientMetadata { require_pushed_authorization_requests: true, ..ClientMetadata::default() };
    let client = server.register(ClientSpec { metadata, ..TestServer::web_spec("Vaulx-en-Velin") }).await;
    let discovery: Value =
        reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["pushed_authorization_request_endpoint"], server.url("/par"));

    let (status, pushed) = push(&server, &client, &pushed_form(&client)).await;
    assert_eq!(status, 201, "{pushed}");
    let request_uri = pushed["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert!(pushed["expires_in"].as_i64().unwrap() > 0);
    let callback = complete(&server, &par_url(&server, &client, request_uri)).await;
    assert_eq!(callback["state"], "pushed-state");
    assert_eq!(id_token_of(&server, &client, &callback["code"]).await["nonce"], "pushed-nonce");

    // Used once: a second use is refused (no redirect URI is known but the pushed one: our page).
    let again = Browser::new(&server).open(&par_url(&server, &client, request_uri)).await;
    assert_eq!(again.status(), 400);
    assert!(again.html().contains("already used"), "{}", again.html());

    // This client must push: a plain request is refused.
    let landing = Browser::new(&server).open(&server.authorize_url(&client, &[])).await;
    assert_eq!(landing.callback()["error"], "invalid_request");

    // Another client cannot use it.
    let (_, pushed) = push(&server, &client, &pushed_form(&client)).await;
    let other = server.web_client().await;
    let landing = Browser::new(&server).open(&par_url(&server, &other, pushed["request_uri"].as_str().unwrap())).await;
    assert!(landing.html().contains("pushed by another client"), "{}", landing.html());

    // Expired.
    let (_, pushed) = push(&server, &client, &pushed_form(&client)).await;
    server.clock.advance(glc::oauth::request_object::PUSHED_LIFETIME_SECONDS + 1);
    let landing = Browser::new(&server).open(&par_url(&server, &client, pushed["request_uri"].as_str().unwrap())).await;
    assert!(landing.html().contains("expired"), "{}", landing.html());
}

#[tokio::test]
async fn the_par_endpoint_validates_the_request_and_authenticates_the_client() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let mut wrong = client.clone();
    wrong.secret = Some("wrong".into());
    assert_eq!(push(&server, &wrong, &pushed_form(&client)).await.0, 401);

    let mut form = pushed_form(&client);
    form.push(("request_uri", "urn:ietf:params:oauth:request_uri:abc"));
    assert_eq!(
        push(&server, &client, &form).await,
        (400, json!({"error": "invalid_request", "error_description": "request_uri cannot be pushed"}))
    );

    let mut form = pushed_form(&client);
    form.retain(|(k, _)| *k != "redirect_uri");
    form.push(("redirect_uri", "https://attacker.example/cb"));
    let (status, body) = push(&server, &client, &form).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));

    let mut form = pushed_form(&client);
    form.retain(|(k, _)| *k != "scope");
    form.push(("scope", "email"));
    let (status, body) = push(&server, &client, &form).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));

    let get = reqwest::get(server.url("/par")).await.unwrap();
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn a_signed_request_object_can_be_pushed() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let keyed = keyed_web_client(&server, ClientMetadata::default()).await;
    let client = &keyed.client;
    let signed = sign(keyed.signer.as_ref(), &request_claims(&server, client, &[]));
    // Only the object counts (RFC 9126 §3): the form's scope is not used.
    let (status, pushed) = push(&server, client, &[("request", &signed), ("scope", "openid profile")]).await;
    assert_eq!(status, 201, "{pushed}");
    let callback = complete(&server, &par_url(&server, client, pushed["request_uri"].as_str().unwrap())).await;
    let (status, tokens) = server.redeem(client, &callback["code"], &[]).await;
    assert_eq!((status.as_u16(), tokens["scope"].as_str()), (200, Some("email openid")));

    let (_, foreign) = es256_key("rp-1");
    let forged = sign(foreign.as_ref(), &request_claims(&server, client, &[]));
    let (status, body) = push(&server, client, &[("request", &forged)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request_object")));
}
