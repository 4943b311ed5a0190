//! The JWT threats of RFC 8725 that no other test already names (docs/security.md maps every
//! threat to its test): a JWT of ours standing in for another kind (cross-JWT confusion), and
//! headers that try to choose how a token is verified (`alg` confusion, `none`, `kid`
//! injection, keys named by `jku`, `x5u` or an embedded `jwk`).

use josekit::jws::{ES256, HS256, JwsHeader, JwsSigner};
use josekit::jwt::JwtPayload;
use serde_json::{Map, Value, json};

use crate::support::{Browser, Landing, Published, TestClient, TestServer, jwt_header};
use glc::oauth::client::{AuthMethod, ClientSpec, GrantType};
use glc::oauth::client_metadata::ClientMetadata;
use glc::signing::SigningAlg;

const BYE: &str = "https://portail.lyon.example/au-revoir";

/// A web client that may be sent back to `BYE` after logout and gets signed userinfo.
async fn portal(server: &TestServer) -> TestClient {
    server
        .register(ClientSpec {
            post_logout_redirect_uris: vec![BYE.into()],
            metadata: ClientMetadata {
                userinfo_signed_response_alg: Some("RS256".into()),
                ..ClientMetadata::default()
            },
            ..TestServer::web_spec("Portail")
        })
        .await
}

/// Where a fresh browser lands on `/authorize` with `prompt=none` and this hint.
async fn silent_authorize_error(server: &TestServer, client: &TestClient, hint: &str) -> String {
    let url = server.authorize_url(client, &[("prompt", "none"), ("id_token_hint", hint)]);
    let callback = Browser::new(server).open(&url).await.callback();
    callback.get("error").cloned().unwrap_or_else(|| panic!("no error: {callback:?}"))
}

/// Whether `/end_session` with this hint sends a fresh browser back to `BYE` without asking.
async fn logout_redirects(server: &TestServer, hint: &str) -> bool {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("id_token_hint", hint), ("post_logout_redirect_uri", BYE)])
        .finish();
    match Browser::new(server).open(&server.url(&format!("/end_session?{query}"))).await {
        Landing::Redirect(url) => url.as_str().starts_with(BYE),
        Landing::Page { status, .. } => {
            assert_eq!(status, 400, "a refused hint is a clear error page");
            false
        }
        other => panic!("{other:?}"),
    }
}

async fn introspected_active(server: &TestServer, client: &TestClient, token: &str) -> bool {
    let (status, body) = server.post_as("/introspect", client, &[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    body["active"].as_bool().unwrap()
}

fn claims_of(server: &TestServer, token: &str) -> Map<String, Value> {
    server.provider.keys().verify(token).unwrap().claims
}

#[tokio::test]
async fn no_jwt_of_ours_passes_for_another_kind() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = portal(&server).await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid profile")]).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    let signed_userinfo = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(claims_of(&server, &signed_userinfo)["aud"], client.id.as_str(), "a signed userinfo answer");
    let id_claims = claims_of(&server, id_token);
    let registered = glc::oauth::client::find(&server.provider.db, &client.id).await.unwrap().unwrap();
    let (sub, sid) = (id_claims["sub"].as_str().unwrap(), id_claims["sid"].as_str().unwrap());
    let logout_token = glc::oauth::backchannel::logout_token(&server.provider, &registered, sub, sid).unwrap();
    // Our other typed JWTs, carrying an ID token's claims to the letter: only `typ` differs.
    let keys = server.provider.keys();
    let typed = |typ: &str| keys.sign(SigningAlg::RS256, Some(typ), &id_claims).unwrap();
    let receipt = typed(glc::consent::receipt::TYP);
    let event = typed(glc::oauth::consent_event::TYP);
    let checkpoint = typed(glc::audit::checkpoint::TYP);
    let typed_as_access = typed(glc::oauth::access_token::TYP);

    // The real ones work where they belong.
    assert_eq!(silent_authorize_error(&server, &client, id_token).await, "login_required", "a hint, no session");
    assert!(logout_redirects(&server, id_token).await, "the ID token proves the logout comes from the client");
    assert_eq!(server.userinfo(access_token).await.0, 200);
    assert!(introspected_active(&server, &client, access_token).await);

    // Nothing else passes for an ID token…
    for (kind, impostor) in [
        ("access token", access_token),
        ("logout token", logout_token.as_str()),
        ("signed userinfo", signed_userinfo.as_str()),
        ("consent receipt", receipt.as_str()),
        ("consent event", event.as_str()),
        ("journal checkpoint", checkpoint.as_str()),
        ("at+jwt with an ID token's claims", typed_as_access.as_str()),
    ] {
        assert_eq!(silent_authorize_error(&server, &client, impostor).await, "invalid_request", "{kind} as a hint");
        assert!(!logout_redirects(&server, impostor).await, "{kind} as a logout hint");
    }
    // …nor for an access token.
    for (kind, impostor) in [
        ("ID token", id_token),
        ("logout token", logout_token.as_str()),
        ("signed userinfo", signed_userinfo.as_str()),
        ("consent receipt", receipt.as_str()),
        ("consent event", event.as_str()),
    ] {
        assert_eq!(server.userinfo(impostor).await.0, 401, "{kind} at userinfo");
        assert!(!introspected_active(&server, &client, impostor).await, "{kind} introspected");
    }
}

/// A JWS with this header over these claims, signed by `signer` (its `alg` in the header).
fn signed(signer: &dyn JwsSigner, mut header: JwsHeader, claims: &Map<String, Value>) -> String {
    if let Some(kid) = signer.key_id() {
        header.set_key_id(kid);
    }
    let payload = JwtPayload::from_map(claims.clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &header, signer).unwrap()
}

#[tokio::test]
async fn signatures_are_checked_with_our_keys_only_whatever_the_header_says() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = portal(&server).await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[]).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let (at_claims, id_claims) = (claims_of(&server, access_token), claims_of(&server, id_token));
    let jwks: Value = reqwest::get(server.url("/jwks")).await.unwrap().json().await.unwrap();
    let our_rsa = jwks["keys"].as_array().unwrap().iter().find(|k| k["kty"] == "RSA").unwrap().clone();
    let our_kid = jwt_header(access_token)["kid"].as_str().unwrap().to_owned();

    // The attacker's own key, offered every way a header can offer one.
    let attacker = ES256.generate_key_pair().unwrap();
    let mut attacker_public = attacker.to_jwk_public_key();
    attacker_public.set_key_id("attacker");
    let published = Published::start("/jwks.json", &json!({ "keys": [attacker_public.as_ref()] }).to_string()).await;
    let attacker_signer = |kid: &str| {
        let mut signer = ES256.signer_from_jwk(&attacker.to_jwk_private_key()).unwrap();
        signer.set_key_id(kid);
        signer
    };
    let offering = || {
        let mut header = JwsHeader::new();
        header.set_jwk_set_url(&published.url);
        header.set_x509_url(&published.url);
        header.set_jwk(attacker_public.clone());
        header.set_token_type("at+jwt");
        header
    };
    let mut forgeries = vec![
        ("jku, x5u and jwk naming the attacker's key", signed(&attacker_signer("attacker"), offering(), &at_claims)),
        ("our kid over the attacker's signature", signed(&attacker_signer(&our_kid), offering(), &at_claims)),
    ];
    for injected in ["../../../../../../etc/passwd", "' OR '1'='1", "attacker\u{0}", ""] {
        forgeries.push(("an injected kid", signed(&attacker_signer(injected), offering(), &at_claims)));
    }
    // Algorithm confusion: HS256 keyed with what we publish of our RSA key (RFC 8725 §2.1).
    let n = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, our_rsa["n"].as_str().unwrap())
        .unwrap();
    for secret in [our_rsa.to_string().into_bytes(), n] {
        let mut hmac = HS256.signer_from_bytes(&secret).unwrap();
        hmac.set_key_id(our_rsa["kid"].as_str().unwrap());
        let mut header = JwsHeader::new();
        header.set_token_type("at+jwt");
        forgeries.push(("HS256 keyed with our public key", signed(&hmac, header, &at_claims)));
    }
    // `none`, naming our key.
    let mut header = JwsHeader::new();
    header.set_key_id(&our_kid);
    header.set_token_type("at+jwt");
    let unsecured = josekit::jwt::encode_unsecured(&JwtPayload::from_map(at_claims.clone()).unwrap(), &header).unwrap();
    forgeries.push(("alg none", unsecured));

    for (what, forged) in &forgeries {
        assert_eq!(server.userinfo(forged).await.0, 401, "{what}, as an access token");
        assert!(!introspected_active(&server, &client, forged).await, "{what}, introspected");
    }
    for (what, signer) in
        [("attacker key via jku", attacker_signer("attacker")), ("our kid", attacker_signer(&our_kid))]
    {
        let mut header = offering();
        header.set_claim("typ", None).unwrap();
        let hint = signed(&signer, header, &id_claims);
        assert_eq!(silent_authorize_error(&server, &client, &hint).await, "invalid_request", "{what}, as a hint");
        assert!(!logout_redirects(&server, &hint).await, "{what}, as a logout hint");
    }

    // A private_key_jwt client registered with one key: an assertion signed by another key that
    // its header offers is refused too.
    let own = ES256.generate_key_pair().unwrap();
    let mut own_public = own.to_jwk_public_key();
    own_public.set_key_id("own");
    let keyed = glc::oauth::client::register(
        &server.provider.db,
        ClientSpec {
            name: "API GRU".into(),
            auth_method: AuthMethod::PrivateKeyJwt,
            jwks: Some(json!({ "keys": [own_public.as_ref()] }).to_string()),
            grant_types: vec![GrantType::ClientCredentials],
            ..ClientSpec::default()
        },
        server.provider.now(),
    )
    .await
    .unwrap()
    .client
    .client_id;
    let now = server.provider.now();
    let assertion_claims = json!({
        "iss": keyed, "sub": keyed, "aud": server.url("/token"), "iat": now, "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let assertion_claims = assertion_claims.as_object().unwrap();
    let token_with = |assertion: String| {
        let url = server.url("/token");
        async move {
            let form = [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion.as_str()),
            ];
            let response = reqwest::Client::new().post(url).form(&form).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let mut header = offering();
    header.set_claim("typ", None).unwrap();
    for kid in ["attacker", "own"] {
        let (status, body) = token_with(signed(&attacker_signer(kid), header.clone(), assertion_claims)).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "kid {kid}");
    }
    let mut own_signer = ES256.signer_from_jwk(&own.to_jwk_private_key()).unwrap();
    own_signer.set_key_id("own");
    let (status, body) = token_with(signed(&own_signer, JwsHeader::new(), assertion_claims)).await;
    assert_eq!(status, 200, "the client's own key works: {body}");

    assert_eq!(published.fetches(), 0, "no key is ever fetched from where a token's header points");
}

#[tokio::test]
async fn no_response_mode_posts_messages_between_windows() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let discovery: Value =
        reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    let modes: Vec<&str> =
        discovery["response_modes_supported"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(modes, ["query", "form_post"], "no web_message, no fragment");
    for mode in ["web_message", "fragment", "query.jwt"] {
        let landing = Browser::new(&server).open(&server.authorize_url(&client, &[("response_mode", mode)])).await;
        let Landing::Redirect(url) = &landing else { panic!("{mode}: {landing:?}") };
        let error = url.query_pairs().find(|(k, _)| k == "error").map(|(_, v)| v.into_owned());
        assert_eq!(error.as_deref(), Some("invalid_request"), "{mode}");
    }
}

/// Every test docs/security.md names as evidence exists: `module::test` in
/// tests/integration, `src/<path>.rs::test` in the library, `fuzz:<target>` in fuzz/.
#[test]
fn the_threat_model_names_tests_that_exist() {
    let root = env!("CARGO_MANIFEST_DIR");
    let model = std::fs::read_to_string(format!("{root}/docs/security.md")).unwrap();
    let mut rows = 0;
    for row in model.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| §") && !l.starts_with("| Threat")) {
        let cells: Vec<&str> = row.split('|').collect();
        if cells.len() < 5 || !(row.contains("::") || row.contains("fuzz:")) {
            continue;
        }
        let evidence = cells[cells.len() - 2];
        let names: Vec<&str> = evidence.split('`').skip(1).step_by(2).collect();
        assert!(!names.is_empty(), "no test for: {row}");
        for name in names {
            if let Some(target) = name.strip_prefix("fuzz:") {
                assert!(
                    std::path::Path::new(&format!("{root}/fuzz/fuzz_targets/{target}.rs")).exists(),
                    "no fuzz target {target}"
                );
                continue;
            }
            let (file, test) = name.rsplit_once("::").unwrap_or_else(|| panic!("not a test name: {name}"));
            let path = if file.starts_with("src/") {
                format!("{root}/{file}")
            } else {
                format!("{root}/tests/integration/{file}.rs")
            };
            let source = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{name}: no file {path}"));
            assert!(source.contains(&format!("fn {test}()")), "{name} does not exist");
        }
        rows += 1;
    }
    assert!(rows >= 41, "only {rows} threats with evidence");
}
