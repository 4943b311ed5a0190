//! Our OpenID Connect client of FranceConnect (v2) and FranceConnect+, with the `openidconnect`
//! crate: discovery, the authorization URL (`acr_values`, `prompt=login consent`, `state`,
//! `nonce`), and the ID token's checks (signature against FC's JWKS — refetched once on an
//! unknown key — `iss`, `aud`, `exp`, `nonce`), then the returned `acr` against the one asked
//! for, and the userinfo response, which FC sends as a signed JWT and which is refused otherwise.
//!
//! FranceConnect+ encrypts both (a JWE wrapping the JWS, to the encryption key we publish at our
//! `jwks_uri`) and signs with ES256 only: its answers are decrypted with our key, then verified
//! like FC's, and an unencrypted one is refused. The token request is made here
//! (`client_secret_post`, FC's default) rather than through the crate, whose token response
//! cannot carry an encrypted ID token: one path for both platforms. FC's tokens are used at
//! once and never stored.

use std::time::Duration;

use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm};
use openidconnect::{
    ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;

use super::Platform;
use crate::config::FranceConnectConfig;
use crate::signing::{KeySet, jwe};

/// FranceConnect's answers are awaited this long (FC's code lives 30 s).
const TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Debug, thiserror::Error)]
pub enum FcError {
    /// FC could not be reached or answered with an error of its own: try again later.
    #[error("FranceConnect unavailable: {0}")]
    Unavailable(String),
    /// FC's answer failed a check (signature, nonce, acr, issuer…): refused.
    #[error("FranceConnect's answer was refused: {0}")]
    Refused(String),
}

fn unavailable(e: impl std::fmt::Display) -> FcError {
    FcError::Unavailable(e.to_string())
}

fn refused(e: impl std::fmt::Display) -> FcError {
    FcError::Refused(e.to_string())
}

/// What FranceConnect told us about the resident: who (platform and pairwise `sub`), how
/// (`acr`), and the identity pivot, with the raw ID token kept for logout.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FcIdentity {
    pub platform: String,
    pub subject: String,
    pub acr: String,
    pub given_name: String,
    pub given_name_array: Vec<String>,
    pub family_name: String,
    pub birthdate: Option<String>,
    pub idp_birthdate: Option<String>,
    pub gender: Option<String>,
    /// Empty for people born abroad.
    pub birthplace: Option<String>,
    pub birthcountry: Option<String>,
    pub email: Option<String>,
    /// The usage name (nom d'usage), apart from the birth name.
    pub preferred_username: Option<String>,
    pub idp_id: Option<String>,
    /// FranceConnect+'s `rnipp_*` claims: the identity as the national register (RNIPP) knows
    /// it, beside the one its identity provider gave. Used to recognise an account FranceConnect
    /// certified, never stored nor released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rnipp: Option<RnippIdentity>,
    /// The signed ID token (decrypted, for FranceConnect+): the `id_token_hint` at logout.
    #[serde(skip)]
    pub id_token: String,
}

/// The identity pivot as the RNIPP has it (FranceConnect+'s `rnipp_*` claims).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RnippIdentity {
    pub given_name: String,
    pub family_name: String,
    pub birthdate: Option<String>,
    pub gender: Option<String>,
    pub birthplace: Option<String>,
    pub birthcountry: Option<String>,
}

/// The eIDAS levels, lowest first.
const LEVELS: [&str; 3] = ["eidas1", "eidas2", "eidas3"];

/// Whether `returned` is at least `asked` (FC: "au moins égal ou supérieur à celui demandé").
pub fn acr_satisfies(returned: &str, asked: &str) -> bool {
    match (LEVELS.iter().position(|l| *l == returned), LEVELS.iter().position(|l| *l == asked)) {
        (Some(r), Some(a)) => r >= a,
        _ => false,
    }
}

/// The crate's client as discovery makes it: authorization endpoint set, token and userinfo
/// endpoints as the document says.
type FcClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

#[derive(Debug)]
pub struct FranceConnect {
    pub config: FranceConnectConfig,
    /// The platform recorded with each identity.
    pub platform: Platform,
    redirect_uri: String,
    post_logout_redirect_uri: String,
    http: openidconnect::reqwest::Client,
    metadata: RwLock<Option<ProviderMetadataWithLogout>>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
    id_token: String,
}

impl FranceConnect {
    pub fn new(config: FranceConnectConfig, platform: Platform, our_issuer: &str) -> Result<FranceConnect, FcError> {
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .build()
            .map_err(unavailable)?;
        let redirect_uri =
            config.redirect_uri.clone().unwrap_or_else(|| format!("{our_issuer}/franceconnect/callback"));
        let post_logout_redirect_uri =
            config.post_logout_redirect_uri.clone().unwrap_or_else(|| format!("{our_issuer}/franceconnect/logged-out"));
        Ok(FranceConnect {
            config,
            platform,
            redirect_uri,
            post_logout_redirect_uri,
            http,
            metadata: RwLock::new(None),
        })
    }

    /// FC's discovery document (and JWKS), fetched once, again when `refresh`.
    async fn metadata(&self, refresh: bool) -> Result<ProviderMetadataWithLogout, FcError> {
        if !refresh && let Some(metadata) = self.metadata.read().await.as_ref() {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(unavailable)?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http).await.map_err(unavailable)?;
        *self.metadata.write().await = Some(metadata.clone());
        Ok(metadata)
    }

    fn client(&self, metadata: ProviderMetadataWithLogout) -> Result<FcClient, FcError> {
        let redirect = RedirectUrl::new(self.redirect_uri.clone()).map_err(unavailable)?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// The eIDAS level asked for by default, and the least accepted back.
    pub fn acr(&self) -> &str {
        self.config.acr_values.as_deref().unwrap_or(match self.platform {
            Platform::FranceConnect => "eidas1",
            Platform::FranceConnectPlus => "eidas2",
        })
    }

    /// How long a login through this platform vouches for its level (FranceConnect+'s own
    /// session lasts 10 minutes); `None`: as long as our session.
    pub fn level_lifetime(&self) -> Option<i64> {
        match self.platform {
            Platform::FranceConnect => self.config.level_lifetime_seconds,
            Platform::FranceConnectPlus => Some(self.config.level_lifetime_seconds.unwrap_or(600)),
        }
    }

    /// The level to ask for when a client wants `wanted`: never below our configured one.
    pub fn level_for(&self, wanted: Option<&str>) -> String {
        match wanted {
            Some(wanted) if acr_satisfies(wanted, self.acr()) => wanted.to_owned(),
            _ => self.acr().to_owned(),
        }
    }

    /// Where to send the resident: FC's authorization endpoint with every parameter FC
    /// requires, asking for eIDAS level `acr`.
    pub async fn authorization_url(&self, state: &str, nonce: &str, acr: &str) -> Result<String, FcError> {
        let client = self.client(self.metadata(false).await?)?;
        let (state, nonce) = (state.to_owned(), nonce.to_owned());
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        );
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        // FC enforces `login consent` whatever is sent; sending it says we expect no SSO.
        let (url, _, _) = request
            .add_prompt(CoreAuthPrompt::Login)
            .add_prompt(CoreAuthPrompt::Consent)
            .add_extra_param("acr_values", acr.to_owned())
            .url();
        Ok(url.to_string())
    }

    /// Where to send the browser to end its FranceConnect session too (FC's `/session/end`,
    /// with the raw ID token FC gave at login, `state`, and our registered post-logout URI);
    /// `None` if FC names no end-session endpoint.
    pub async fn logout_url(&self, id_token: &str, state: &str) -> Result<Option<String>, FcError> {
        let metadata = self.metadata(false).await?;
        let Some(endpoint) = metadata.additional_metadata().end_session_endpoint.clone() else { return Ok(None) };
        let hint: CoreIdToken = id_token.parse().map_err(refused)?;
        let back = PostLogoutRedirectUrl::new(self.post_logout_redirect_uri.clone()).map_err(unavailable)?;
        let url = LogoutRequest::from(endpoint)
            .set_id_token_hint(&hint)
            .set_post_logout_redirect_uri(back)
            .set_state(CsrfToken::new(state.to_owned()))
            .http_get_url();
        Ok(Some(url.to_string()))
    }

    /// The issuer FC's callback must name (RFC 9207).
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// FranceConnect+ always encrypts; FranceConnect may (`OidcProvider_USE_ENCRYPTION`).
    /// Returns the signed JWT inside.
    pub fn opened(&self, token: &str, keys: &KeySet, what: &str) -> Result<String, FcError> {
        if jwe::is_compact_jwe(token) {
            let plain = jwe::decrypt_for_us(keys, token).map_err(|e| refused(format!("{what}: {e}")))?;
            String::from_utf8(plain).map_err(|_| refused(format!("{what}: not a JWT inside")))
        } else if self.platform == Platform::FranceConnectPlus {
            Err(refused(format!("{what}: FranceConnect+ answers must be encrypted")))
        } else {
            Ok(token.to_owned())
        }
    }

    /// The signature algorithms accepted from this platform (FranceConnect+: ES256 only).
    fn signing_algs(&self) -> &'static [&'static str] {
        match self.platform {
            Platform::FranceConnect => &["ES256", "RS256"],
            Platform::FranceConnectPlus => &["ES256"],
        }
    }

    /// Redeems `code` at once, checks the ID token and the returned level against `acr` (the
    /// one asked for), and reads the identity from the signed userinfo; what FranceConnect+
    /// encrypted opens with `keys`.
    pub async fn complete(
        &self,
        code: &str,
        nonce: &str,
        acr_asked: &str,
        keys: &KeySet,
    ) -> Result<FcIdentity, FcError> {
        let metadata = self.metadata(false).await?;
        let token_endpoint = metadata.token_endpoint().ok_or_else(|| unavailable("no token endpoint"))?.url().clone();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", self.config.client_id.as_str()),
            ("client_secret", self.config.client_secret.as_str()),
        ];
        let response = self.http.post(token_endpoint).form(&form).send().await.map_err(unavailable)?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(if status.is_server_error() {
                unavailable(format!("token endpoint: {status}"))
            } else {
                refused(format!("token endpoint: {status} {}", body.chars().take(200).collect::<String>()))
            });
        }
        let tokens: TokenResponse = response.json().await.map_err(refused)?;
        let id_token = self.opened(&tokens.id_token, keys, "ID token")?;
        let (subject, acr, metadata) = match self.verify_id_token(&metadata, &id_token, nonce) {
            Ok((subject, acr)) => (subject, acr, metadata),
            // A key FC rotated in since the JWKS was read: read it again, once.
            Err(_) => {
                let fresh = self.metadata(true).await?;
                let (subject, acr) = self.verify_id_token(&fresh, &id_token, nonce)?;
                (subject, acr, fresh)
            }
        };
        if !acr_satisfies(&acr, acr_asked) {
            return Err(refused(format!("acr {acr} below {acr_asked}")));
        }
        let mut identity = self.userinfo(&metadata, &tokens.access_token, &subject, keys).await?;
        identity.acr = acr;
        identity.id_token = id_token;
        Ok(identity)
    }

    fn verify_id_token(
        &self,
        metadata: &ProviderMetadataWithLogout,
        raw: &str,
        nonce: &str,
    ) -> Result<(String, String), FcError> {
        let client = self.client(metadata.clone())?;
        let token = parse_id_token(raw)?;
        let algs = self.signing_algs().iter().map(|alg| match *alg {
            "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            _ => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        });
        let verifier = client.id_token_verifier().set_allowed_algs(algs);
        let claims = token.claims(&verifier, &Nonce::new(nonce.to_owned())).map_err(refused)?;
        let acr = claims.auth_context_ref().map(|a| a.as_str().to_owned()).unwrap_or_default();
        Ok((claims.subject().as_str().to_owned(), acr))
    }

    async fn userinfo(
        &self,
        metadata: &ProviderMetadataWithLogout,
        access_token: &str,
        subject: &str,
        keys: &KeySet,
    ) -> Result<FcIdentity, FcError> {
        let endpoint = metadata.userinfo_endpoint().ok_or_else(|| unavailable("no userinfo endpoint"))?.url().clone();
        let response = self.http.get(endpoint).bearer_auth(access_token).send().await.map_err(unavailable)?;
        if response.status().is_server_error() {
            return Err(unavailable(format!("userinfo: {}", response.status())));
        }
        let is_jwt = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/jwt"));
        if !response.status().is_success() || !is_jwt {
            return Err(refused(format!("userinfo: {} and not a signed JWT", response.status())));
        }
        let body = response.text().await.map_err(unavailable)?;
        let jwks = serde_json::to_string(metadata.jwks()).map_err(refused)?;
        self.read_userinfo(&body, subject, &jwks, keys)
    }

    /// The identity in a userinfo answer: a JWT signed with a key of `jwks` (FranceConnect's),
    /// encrypted to one of `keys` where the platform encrypts, about `subject`, for us.
    pub fn read_userinfo(&self, body: &str, subject: &str, jwks: &str, keys: &KeySet) -> Result<FcIdentity, FcError> {
        let signed = self.opened(body.trim(), keys, "userinfo")?;
        if !jws_alg(&signed).is_some_and(|alg| self.signing_algs().contains(&alg.as_str())) {
            return Err(refused("userinfo signed with an algorithm this platform does not use"));
        }
        let verified = crate::signing::client_keys::verify_with_jwks(&signed, jwks).map_err(refused)?;
        let claims = &verified.claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        if text("iss").as_deref() != Some(self.config.issuer.as_str())
            || !audience_includes(claims.get("aud"), &self.config.client_id)
            || text("sub").as_deref() != Some(subject)
        {
            return Err(refused("userinfo's iss, aud or sub do not match"));
        }
        let given_name = text("given_name").unwrap_or_default();
        let given_name_array = match claims.get("given_name_array").and_then(Value::as_array) {
            Some(names) => names.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            None => given_name.split(' ').filter(|n| !n.is_empty()).map(str::to_owned).collect(),
        };
        let family_name = text("family_name").unwrap_or_default();
        if given_name.is_empty() || family_name.is_empty() {
            return Err(refused("userinfo without the identity pivot"));
        }
        let rnipp =
            text("rnipp_given_name").zip(text("rnipp_family_name")).map(|(given_name, family_name)| RnippIdentity {
                given_name,
                family_name,
                birthdate: text("rnipp_birthdate"),
                gender: text("rnipp_gender"),
                birthplace: text("rnipp_birthplace"),
                birthcountry: text("rnipp_birthcountry"),
            });
        Ok(FcIdentity {
            platform: self.platform.as_str().to_owned(),
            subject: subject.to_owned(),
            acr: String::new(),
            given_name,
            given_name_array,
            family_name,
            birthdate: text("birthdate"),
            idp_birthdate: text("idp_birthdate"),
            gender: text("gender"),
            birthplace: text("birthplace"),
            birthcountry: text("birthcountry"),
            email: text("email").map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()),
            preferred_username: text("preferred_username").filter(|u| !u.is_empty()),
            idp_id: text("idp_id"),
            rnipp,
            id_token: String::new(),
        })
    }
}

/// An ID token as FranceConnect sent it (after [`FranceConnect::opened`]), not yet verified.
pub fn parse_id_token(raw: &str) -> Result<CoreIdToken, FcError> {
    raw.parse().map_err(refused)
}

/// The `alg` a compact JWS's header names.
fn jws_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).ok()?;
    let header: Value = serde_json::from_slice(&bytes).ok()?;
    header.get("alg")?.as_str().map(str::to_owned)
}

fn audience_includes(aud: Option<&Value>, client_id: &str) -> bool {
    match aud {
        Some(Value::String(one)) => one == client_id,
        Some(Value::Array(many)) => many.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_returned_level_must_reach_the_one_asked_for() {
        assert!(acr_satisfies("eidas1", "eidas1"));
        assert!(acr_satisfies("eidas2", "eidas1"));
        assert!(!acr_satisfies("eidas1", "eidas2"));
        assert!(!acr_satisfies("eidas0", "eidas1"));
        assert!(!acr_satisfies("", "eidas1"));
    }
}
