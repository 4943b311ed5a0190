//! Bad input on every endpoint gets the spec's error or our error page: never a panic, never
//! a 500 for the client's fault.

use crate::support::{Browser, TestServer};

#[tokio::test]
async fn the_authorization_endpoint_refuses_garbage_with_a_page_or_a_redirect() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let long = "x".repeat(5000);
    // Nothing verifiable: our own page, 400, no Location.
    for query in [
        String::new(),
        "client_id=".to_owned(),
        "client_id=unknown&redirect_uri=http://127.0.0.1:1/cb".to_owned(),
        format!("client_id={}&client_id={}", client.id, client.id),
        format!("client_id={}&redirect_uri=http://127.0.0.1:1/cb&redirect_uri=http://127.0.0.1:1/cb", client.id),
        format!("client_id={long}"),
        "%FF%FE=%C3%28&client_id=%00".to_owned(),
    ] {
        let response = browser.raw_get(&server.url(&format!("/authorize?{query}"))).await;
        assert_eq!(response.status(), 400, "{query}");
        assert!(response.headers().get("location").is_none(), "{query}");
    }
    // Verified client and redirect URI: the error goes back to the client.
    for (extra, error) in [
        (vec![("response_type", "token")], "unsupported_response_type"),
        (vec![("response_type", "code id_token")], "unsupported_response_type"),
        (vec![("scope", "profile")], "invalid_scope"),
        (vec![("scope", "openid \"bad\"")], "invalid_scope"),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("max_age", "-1")], "invalid_request"),
        (vec![("max_age", "soon")], "invalid_request"),
        (vec![("claims", "{not json")], "invalid_request"),
        (vec![("claims", "[]")], "invalid_request"),
        (vec![("id_token_hint", "a.b.c")], "invalid_request"),
        (vec![("id_token_hint", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")], "invalid_request"),
        (vec![("code_challenge", "short"), ("code_challenge_method", "S256")], "invalid_request"),
        (vec![("code_challenge_method", "S256")], "invalid_request"),
        (vec![("response_mode", "fragment")], "invalid_request"),
        (vec![("registration", "{}")], "registration_not_supported"),
        (vec![("resource", "not a uri")], "invalid_target"),
    ] {
        let callback = browser.open(&server.authorize_url(&client, &extra)).await.callback();
        assert_eq!(callback.get("error").map(String::as_str), Some(error), "{extra:?}");
        assert_eq!(callback["iss"], server.base);
    }
    let response = reqwest::Client::new().post(server.url("/authorize")).body("client_id=x").send().await.unwrap();
    assert_eq!(response.status(), 400, "a POST that is not a form");
}

#[tokio::test]
async fn the_token_endpoint_answers_rfc_6749_errors() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    let http = reqwest::Client::new();
    let token = server.url("/token");
    let secret = client.secret.clone().unwrap();

    let r = http.post(&token).body("grant_type=authorization_code").send().await.unwrap();
    assert_eq!(r.status(), 400, "no form content type");
    let r = http.post(&token).basic_auth(&client.id, Some(&secret)).form(&[("code", "x")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_request");
    let r = http
        .post(&token)
        .basic_auth(&client.id, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=authorization_code&grant_type=authorization_code&code=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_request", "repeated parameter");
    for header in ["Basic !!!notbase64", "Basic", "Bearer abc", "Basic Og=="] {
        let r = http
            .post(&token)
            .header("authorization", header)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{header}");
        assert!(r.headers().get("www-authenticate").is_some());
    }
    let r = http
        .post(&token)
        .basic_auth(&client.id, Some("wrong"))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_client");
    let r = http
        .post(&token)
        .basic_auth(&client.id, Some(&secret))
        .form(&[("grant_type", "authorization_code"), ("code", "garbage")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
    let r = http
        .post(&token)
        .basic_auth(&client.id, Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &"y".repeat(4000))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
    let r = http
        .post(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 200_000])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "oversized body: {}", r.status());
    let r = http.get(&token).send().await.unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn userinfo_answers_rfc_6750_challenges() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let userinfo = server.url("/userinfo");
    let r = http.get(&userinfo).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"GrandLyon Connect\"");
    for token in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", &"z".repeat(20_000)] {
        let r = http.get(&userinfo).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
    }
    let r = http.get(&userinfo).header("authorization", "Basic abc").send().await.unwrap();
    assert_eq!(r.status(), 400);
    // An ID token is not an access token.
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[]).await;
    assert_eq!(server.userinfo(tokens["id_token"].as_str().unwrap()).await.0, 401);
    // A client-credentials token has no resident and no openid scope.
    let service = server.service_client("api:read", &[]).await;
    let (_, cc) = server.post_as("/token", &service, &[("grant_type", "client_credentials")]).await;
    let r = http.get(&userinfo).bearer_auth(cc["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("error=\"insufficient_scope\""));
}

#[tokio::test]
async fn pages_refuse_forged_or_expired_forms() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let page = browser.open(&server.authorize_url(&client, &[])).await;
    let forged = browser.submit(&page, &[("csrf", "forged"), ("email", "camille@lyon.fr"), ("password", "x")]).await;
    assert_eq!(forged.status(), 400);
    assert_eq!(browser.open(&server.url("/login/unknown-interaction")).await.status(), 400);
    assert_eq!(browser.open(&server.url(&format!("/login/{}", "x".repeat(500)))).await.status(), 400);
    assert_eq!(browser.open(&server.url("/consent/unknown")).await.status(), 400);
    assert_eq!(browser.open(&server.url("/no/such/page")).await.status(), 404);
    // The interaction expires.
    let page = browser.open(&server.authorize_url(&client, &[])).await;
    server.clock.advance(server.provider.config.lifetimes.interaction + 1);
    assert_eq!(browser.login(&page, "camille@lyon.fr", crate::support::PASSWORD).await.status(), 400);
}

#[tokio::test]
async fn introspection_and_revocation_refuse_malformed_requests() {
    let server = TestServer::start().await;
    let client = server.web_client().await;
    for path in ["/introspect", "/revoke"] {
        let (status, body) = server.post_as(path, &client, &[]).await;
        assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("invalid_request")), "{path}: no token");
        let r = reqwest::Client::new().post(server.url(path)).form(&[("token", "x")]).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}: no client authentication");
    }
}
