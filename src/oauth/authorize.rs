//! Validation of authorization requests (RFC 6749 §4.1.1, OIDC Core §3.1.2.1–2).
//!
//! Order matters: the client and its `redirect_uri` are checked first and their errors are shown
//! on our own page (never redirected: an unverified URI would make us an open redirector);
//! every later error is redirected to the verified URI in the requested response mode.

use serde::{Deserialize, Serialize};

use super::claims::ClaimsRequest;
use super::client::{self, Client};
use super::error::{AuthorizeError, ErrorCode, OAuthError, PageError, PageErrorKind};
use super::params::Params;
use super::pkce;
use super::request_object;
use super::response::{ResponseMode, ResponseTarget};
use super::scope::{self, Scopes};
use crate::provider::Provider;

/// The `prompt` parameter (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

impl Prompt {
    fn parse(value: Option<&str>) -> Result<Prompt, OAuthError> {
        let mut prompt = Prompt::default();
        for v in value.unwrap_or_default().split(' ').filter(|v| !v.is_empty()) {
            match v {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                _ => return Err(OAuthError::invalid_request(format!("unsupported prompt value {v}"))),
            }
        }
        if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
            return Err(OAuthError::invalid_request("prompt=none cannot be combined with other values"));
        }
        Ok(prompt)
    }
}

/// A validated authorization request, kept across the login and consent pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub target: ResponseTarget,
    pub scopes: Scopes,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    /// The `sub` of a verified `id_token_hint`, as this client sees it.
    pub hint_subject: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Vec<String>,
    pub acr_values: Vec<String>,
    pub claims: ClaimsRequest,
    pub code_challenge: Option<String>,
    pub resource: Option<String>,
    /// RFC 9449 §10: the thumbprint of the DPoP key the code will be redeemed with.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

impl AuthorizationRequest {
    /// The scopes consent must cover: those asked plus those the claims parameter implies.
    pub fn consent_scopes(&self) -> Scopes {
        let mut scopes = self.scopes.union(&self.claims.implied_scopes());
        scopes.remove(scope::OPENID);
        scopes
    }
}

/// Validates an authorization request: the client, then any request object or pushed request
/// it names, then every parameter.
pub async fn validate(provider: &Provider, outer: &Params) -> Result<(Client, AuthorizationRequest), AuthorizeError> {
    let page = |kind, detail: &'static str| AuthorizeError::Page(PageError::new(400, kind, detail));
    let client_id = outer.get("client_id").ok_or_else(|| page(PageErrorKind::InvalidClient, "missing client_id"))?;
    let client = provider
        .clients
        .find(&provider.db, client_id)
        .await
        .map_err(|e| AuthorizeError::Page(e.into()))?
        .ok_or_else(|| page(PageErrorKind::InvalidClient, "unknown client_id"))?;
    let params = match request_object::resolve(provider, &client, outer).await {
        Ok(params) => params,
        // The request's own redirect URI is not known yet: the error goes to the outer one if
        // it is registered, or else to our page.
        Err(error) => {
            return Err(match verified_target(&client, outer) {
                Ok(target) => AuthorizeError::Redirect { target, error },
                Err(_) => AuthorizeError::Page(PageError::from(error)),
            });
        }
    };
    let request = validate_for(provider, &client, &params).await?;
    Ok((client, request))
}

/// Validates the effective parameters of `client`'s request.
pub async fn validate_for(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<AuthorizationRequest, AuthorizeError> {
    if params.get("client_id") != Some(client.client_id.as_str()) {
        return Err(AuthorizeError::Page(PageError::new(
            400,
            PageErrorKind::InvalidClient,
            "missing or wrong client_id",
        )));
    }
    if !client.allows(client::GrantType::AuthorizationCode) {
        return Err(AuthorizeError::Page(PageError::new(
            400,
            PageErrorKind::InvalidClient,
            "this client does not use the authorization code flow",
        )));
    }
    let target = verified_target(client, params)?;
    // From here on the redirect URI is verified: errors go back to the client.
    let redirect = |error: OAuthError| AuthorizeError::Redirect { target: target.clone(), error };
    response_mode(params).map_err(redirect)?;
    check_parameters(provider, client, params, target.clone()).await.map_err(redirect)
}

/// The registered redirect URI the request names, with its response mode and state. Exact
/// string comparison (RFC 9700 §4.1.3), but for the port of loopback IP redirects (RFC 8252
/// §7.3); OIDC requires redirect_uri on every request.
fn verified_target(client: &Client, params: &Params) -> Result<ResponseTarget, AuthorizeError> {
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|r| redirect_uri_matches(r, uri)))
        .ok_or_else(|| {
            AuthorizeError::Page(PageError::new(
                400,
                PageErrorKind::InvalidRedirectUri,
                "missing or unregistered redirect_uri",
            ))
        })?
        .to_owned();
    Ok(ResponseTarget {
        redirect_uri,
        mode: response_mode(params).unwrap_or(ResponseMode::Query),
        state: params.get("state").map(str::to_owned),
    })
}

fn response_mode(params: &Params) -> Result<ResponseMode, OAuthError> {
    match params.get("response_mode") {
        None | Some("query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(_) => Err(OAuthError::invalid_request("unsupported response_mode")),
    }
}

async fn check_parameters(
    provider: &Provider,
    client: &Client,
    params: &Params,
    target: ResponseTarget,
) -> Result<AuthorizationRequest, OAuthError> {
    match params.get("response_type") {
        None => return Err(OAuthError::invalid_request("missing response_type")),
        Some("code") => {}
        Some(_) => {
            return Err(OAuthError::new(ErrorCode::UnsupportedResponseType, "only response_type=code is supported"));
        }
    }
    if params.get("registration").is_some() {
        return Err(OAuthError::new(ErrorCode::RegistrationNotSupported, "registration is not supported"));
    }
    let requested = Scopes::parse(params.get("scope").unwrap_or_default())?;
    if !requested.contains(scope::OPENID) {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "scope must include openid"));
    }
    // A scope carrying data of the catalogue must be one the client declared (with its
    // purpose); anything else it may not have is dropped (RFC 6749 §3.3), and the token
    // response says which were granted.
    if let Some(undeclared) =
        requested.iter().find(|s| crate::consent::catalogue::knows_scope(s) && !client.scopes.contains(s))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("{undeclared}: this client did not declare it (with its purpose) at registration"),
        ));
    }
    let scopes = requested.intersect(&client.scopes);
    let code_challenge = pkce::check_challenge(params.get("code_challenge"), params.get("code_challenge_method"))?;
    if code_challenge.is_none() && client.requires_pkce() {
        return Err(OAuthError::invalid_request("code_challenge (PKCE S256) is required for this client"));
    }
    let prompt = Prompt::parse(params.get("prompt"))?;
    let max_age = params
        .get("max_age")
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| OAuthError::invalid_request("max_age must be a non-negative integer"))
        })
        .transpose()?;
    let claims = params.get("claims").map(ClaimsRequest::parse).transpose()?.unwrap_or_default();
    let hint_subject =
        params.get("id_token_hint").map(|hint| check_id_token_hint(provider, client, hint)).transpose()?;
    let resource = params.get("resource").map(|r| check_resource(client, r)).transpose()?;
    // The partner's offer, as it is today.
    let resources: Vec<String> = resource.iter().cloned().collect();
    crate::partners::offer::check(&provider.db, &provider.config.gru, client, &scopes, &resources).await?;
    // Knowing the resident as at another partner needs a reason the partner declared.
    for scope in scopes.iter().filter(|s| crate::consent::links::source_of(s).is_some()) {
        if crate::consent::links::declared(&provider.db, &client.partner_id, scope).await?.is_none() {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("{scope}: the client's partner declared no purpose for this link"),
            ));
        }
    }
    let dpop_jkt = params.get("dpop_jkt").map(str::to_owned);
    if dpop_jkt.as_deref().is_some_and(|jkt| !super::dpop::is_thumbprint(jkt)) {
        return Err(OAuthError::invalid_request("dpop_jkt must be a JWK SHA-256 thumbprint"));
    }
    let split = |name: &str| -> Vec<String> {
        params.get(name).unwrap_or_default().split(' ').filter(|v| !v.is_empty()).map(str::to_owned).collect()
    };
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        target,
        scopes,
        nonce: params.get("nonce").map(str::to_owned),
        prompt,
        max_age,
        hint_subject,
        login_hint: params.get("login_hint").map(str::to_owned),
        ui_locales: split("ui_locales"),
        acr_values: split("acr_values"),
        claims,
        code_challenge,
        resource,
        dpop_jkt,
    })
}

/// An `id_token_hint` must be an ID token we issued (expired ones are fine, OIDC Core
/// §3.1.2.1); its `sub` is compared later with the session's resident.
fn check_id_token_hint(provider: &Provider, client: &Client, hint: &str) -> Result<String, OAuthError> {
    let invalid = || OAuthError::invalid_request("id_token_hint is not an ID token issued by this provider");
    let token = super::id_token::verify_hint(provider, hint).ok_or_else(invalid)?;
    let audience_ok = match token.claims.get("aud") {
        Some(serde_json::Value::String(aud)) => aud == &client.client_id,
        Some(serde_json::Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(&client.client_id)),
        _ => false,
    };
    if !audience_ok {
        return Err(invalid());
    }
    token.str_claim("sub").map(str::to_owned).ok_or_else(invalid)
}

/// Whether `requested` is the registered redirect URI. Native apps listening on a loopback IP
/// get a port from the system at run time, so for `http://127.0.0.1` and `http://[::1]` any
/// port matches (RFC 8252 §7.3); everything else must be identical.
pub fn redirect_uri_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(mut reg), Ok(mut req)) = (url::Url::parse(registered), url::Url::parse(requested)) else { return false };
    let loopback_ip = |u: &url::Url| {
        u.scheme() == "http"
            && (matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                || matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback()))
    };
    if !(loopback_ip(&reg) && loopback_ip(&req)) {
        return false;
    }
    // Same everything but the port, compared as the client sent it (no normalisation beyond
    // the port: path and query must be identical).
    if reg.set_port(None).is_err() || req.set_port(None).is_err() {
        return false;
    }
    reg.as_str() == req.as_str() && requested.len() <= 2048
}

/// RFC 8707: the resource must be one the client registered.
pub fn check_resource(client: &Client, resource: &str) -> Result<String, OAuthError> {
    client::check_resource(resource)
        .map_err(|_| OAuthError::new(ErrorCode::InvalidTarget, "resource must be an absolute URI without fragment"))?;
    if client.resources.iter().any(|r| r == resource) {
        Ok(resource.to_owned())
    } else {
        Err(OAuthError::new(ErrorCode::InvalidTarget, "this client may not request tokens for this resource"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_ip_redirects_match_on_any_port_and_nothing_else_is_loosened() {
        assert!(redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"));
        assert!(redirect_uri_matches("http://127.0.0.1:8000/cb", "http://127.0.0.1:51234/cb"));
        assert!(redirect_uri_matches("http://[::1]/cb", "http://[::1]:4000/cb"));
        assert!(!redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb/x"));
        assert!(!redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb?x=1"));
        assert!(!redirect_uri_matches("http://localhost/cb", "http://localhost:5000/cb"), "not for host names");
        assert!(!redirect_uri_matches("https://lyon.fr/cb", "https://lyon.fr:8443/cb"));
        assert!(!redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.2:5000/cb"));
    }

    #[test]
    fn prompt_values() {
        assert!(Prompt::parse(Some("none")).unwrap().none);
        assert!(Prompt::parse(Some("login consent")).unwrap().consent);
        assert!(Prompt::parse(Some("none login")).is_err());
        assert!(Prompt::parse(Some("bogus")).is_err());
        assert_eq!(Prompt::parse(None).unwrap(), Prompt::default());
    }
}
