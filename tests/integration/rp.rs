//! A real relying party: the `openidconnect` crate, configured from our discovery document
//! only, logging a resident in and validating everything it receives.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::support::{Browser, PASSWORD, TestClient, TestServer};

/// What the relying party learned, all of it validated.
#[derive(Debug)]
pub struct RpLogin {
    pub sub: String,
    pub auth_time: Option<i64>,
    pub userinfo: CoreUserInfoClaims,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token_alg: String,
}

pub async fn login(
    server: &TestServer,
    client: &TestClient,
    algs: &[CoreJwsSigningAlgorithm],
    scopes: &[&str],
) -> RpLogin {
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(server.base.clone()).unwrap(), &http)
        .await
        .expect("discovery document");
    let mut rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.id.clone()),
        client.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(client.redirect_uri.clone()).unwrap());
    if client.auth == glc::oauth::client::AuthMethod::ClientSecretPost {
        rp = rp.set_auth_type(AuthType::RequestBody);
    }
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge);
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    if crate::support::form_post_plan() {
        request = request.add_extra_param("response_mode", "form_post");
    }
    let (url, csrf, nonce) = request.url();

    let browser = Browser::new(server);
    let page = browser.open(url.as_str()).await;
    let page = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    let landing = if page.is_consent_page() { browser.submit(&page, &[("decision", "allow")]).await } else { page };
    let callback = landing.callback();
    assert_eq!(callback.get("state"), Some(csrf.secret()), "state echoed");
    assert_eq!(callback.get("iss"), Some(&server.base), "RFC 9207 iss");

    let tokens = rp
        .exchange_code(AuthorizationCode::new(callback["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token response");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = rp.id_token_verifier().set_allowed_algs(algs.to_vec());
    let claims = id_token.claims(&verifier, &nonce).expect("a valid ID token");
    let alg = id_token.signing_alg().unwrap().clone();
    let expected_hash =
        AccessTokenHash::from_token(tokens.access_token(), &alg, id_token.signing_key(&verifier).unwrap()).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash), "at_hash");
    let userinfo: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    RpLogin {
        sub: claims.subject().to_string(),
        auth_time: claims.auth_time().map(|t| t.timestamp()),
        userinfo,
        access_token: tokens.access_token().secret().clone(),
        refresh_token: tokens.refresh_token().map(|t| t.secret().clone()),
        id_token_alg: serde_json::to_value(&alg).unwrap().as_str().unwrap().to_owned(),
    }
}
