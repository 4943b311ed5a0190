//! Dynamic client registration (RFC 7591, OpenID Connect Registration) and its management
//! (RFC 7592).
//!
//! A client registers itself with an initial access token an administrator issued for a
//! partner (`glc registration-token create`), unless `open_registration` is on; the new client
//! belongs to that partner and gets a registration access token to read, replace or delete
//! its own registration. Every metadata field is validated: `invalid_redirect_uri` for a bad
//! redirect URI, `invalid_client_metadata` for anything else; metadata we do not know is
//! ignored (RFC 7591 §2).
//!
//! Pairwise subjects follow OIDC Core §8.1 to the letter: the sector is the host of the
//! redirect URIs, or of the `sector_identifier_uri` when they span several hosts (required
//! then); that URI is fetched and must list every redirect URI.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::client::{self, AuthMethod, Client, ClientSpec, GrantType, RegistrationError, SubjectType};
use super::client_metadata::ClientMetadata;
use super::discovery::paths;
use super::error::{ErrorCode, OAuthError};
use super::scope::{STANDARD_SCOPES, Scopes};
use crate::partners::METROPOLE_ID;
use crate::provider::Provider;
use crate::secrets;
use crate::signing::SigningAlg;
use crate::store::{Db, initial_access_tokens};

/// Largest registration document accepted.
pub const MAX_BODY_BYTES: usize = 32 * 1024;
/// Largest sector identifier document fetched.
const MAX_SECTOR_DOCUMENT_BYTES: usize = 64 * 1024;

fn bad_metadata(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description)
}

fn bad_redirect(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRedirectUri, description)
}

fn bad_token() -> OAuthError {
    OAuthError::invalid_token("the access token is invalid, expired or used up")
}

impl From<RegistrationError> for OAuthError {
    fn from(err: RegistrationError) -> Self {
        match err {
            RegistrationError::Invalid { why, .. } => bad_metadata(why),
            RegistrationError::UnknownPartner(_) => bad_token(),
            RegistrationError::Store(e) => e.into(),
        }
    }
}

/// Issues an initial access token for `partner_id`, usable `uses` times for `lifetime`
/// seconds; only its digest is kept, the token is shown once.
pub async fn issue_initial_token(
    db: &Db,
    partner_id: &str,
    uses: i64,
    lifetime: i64,
    now: i64,
) -> Result<String, RegistrationError> {
    if !(1..=1000).contains(&uses) || !(60..=90 * 86_400).contains(&lifetime) {
        return Err(RegistrationError::Invalid {
            field: "uses",
            why: "1 to 1000 uses, for 60 seconds to 90 days".into(),
        });
    }
    if crate::store::partners::find_by_id(db, partner_id).await?.is_none() {
        return Err(RegistrationError::UnknownPartner(partner_id.to_owned()));
    }
    let token = secrets::random_token(32);
    initial_access_tokens::insert(db, &secrets::digest(&token), partner_id, uses, now + lifetime, now).await?;
    Ok(token)
}

/// `POST /register`: registers a client and returns its registration (RFC 7591 §3.2.1).
pub async fn register(provider: &Provider, initial_token: Option<&str>, body: &[u8]) -> Result<Value, OAuthError> {
    let now = provider.now();
    let token_digest = initial_token.map(secrets::digest);
    let partner_id = match &token_digest {
        Some(digest) => initial_access_tokens::find_usable(&provider.db, digest, now).await?.ok_or_else(bad_token)?,
        None if provider.config.open_registration => METROPOLE_ID.to_owned(),
        None => return Err(bad_token()),
    };
    let metadata = parse_document(body)?;
    let mut spec = spec_from(provider, &metadata).await?;
    client::validate(&spec)?;
    offer_allows(provider, &partner_id, &spec).await?;
    spec.partner_id = Some(partner_id);
    // Used only now that the registration is known to be valid; two racing for the last use:
    // one of them gets invalid_token.
    if let Some(digest) = &token_digest
        && initial_access_tokens::consume(&provider.db, digest, now).await?.is_none()
    {
        return Err(bad_token());
    }
    let registration_token = secrets::random_token(32);
    let registered = client::create(&provider.db, spec, now, Some(secrets::digest(&registration_token))).await?;
    tracing::info!(client_id = %registered.client.client_id, partner = %registered.client.partner_id, "client registered itself");
    let mut response = describe(provider, &registered.client);
    response.insert("registration_access_token".into(), registration_token.into());
    if let Some(secret) = registered.client_secret {
        response.insert("client_secret".into(), secret.into());
        response.insert("client_secret_expires_at".into(), 0.into());
    }
    Ok(Value::Object(response))
}

/// The client named in the management URL, if `token` is its registration access token.
async fn managed_client(provider: &Provider, client_id: &str, token: Option<&str>) -> Result<Client, OAuthError> {
    let token = token.ok_or_else(bad_token)?;
    let client = client::find(&provider.db, client_id).await?.ok_or_else(bad_token)?;
    match &client.registration_token_digest {
        Some(digest) if secrets::matches_digest(token, digest) => Ok(client),
        _ => Err(bad_token()),
    }
}

/// `GET /register/{client_id}` (RFC 7592 §2.1). The secret is not shown again: only its digest
/// is kept.
pub async fn read(provider: &Provider, client_id: &str, token: Option<&str>) -> Result<Value, OAuthError> {
    let client = managed_client(provider, client_id, token).await?;
    Ok(Value::Object(describe(provider, &client)))
}

/// `PUT /register/{client_id}` (RFC 7592 §2.2): the document replaces every metadata value.
pub async fn replace(
    provider: &Provider,
    client_id: &str,
    token: Option<&str>,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let client = managed_client(provider, client_id, token).await?;
    let metadata = parse_document(body)?;
    if metadata.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(OAuthError::invalid_request("the document's client_id must be the client's"));
    }
    for forbidden in ["registration_access_token", "registration_client_uri", "client_id_issued_at"] {
        if metadata.contains_key(forbidden) {
            return Err(OAuthError::invalid_request(format!("{forbidden} cannot be sent")));
        }
    }
    if let Some(secret) = metadata.get("client_secret") {
        let matches =
            secret.as_str().zip(client.secret_digest.as_deref()).is_some_and(|(s, d)| secrets::matches_digest(s, d));
        if !matches {
            return Err(OAuthError::invalid_request("client_secret is not the client's"));
        }
    }
    let mut spec = spec_from(provider, &metadata).await?;
    offer_allows(provider, &client.partner_id, &spec).await?;
    spec.partner_id = Some(client.partner_id.clone());
    let updated = client::update(&provider.db, &client, spec).await?;
    Ok(Value::Object(describe(provider, &updated)))
}

/// `DELETE /register/{client_id}` (RFC 7592 §2.3): the client, its grants, refresh tokens and
/// consents are gone.
pub async fn delete(provider: &Provider, client_id: &str, token: Option<&str>) -> Result<(), OAuthError> {
    let client = managed_client(provider, client_id, token).await?;
    crate::store::clients::delete(&provider.db, &client.client_id).await?;
    tracing::info!(client_id = %client.client_id, "client deleted its registration");
    Ok(())
}

/// The partner's offer must allow the scopes registered (RFC 7591 §3.2.2: invalid_client_metadata).
async fn offer_allows(provider: &Provider, partner_id: &str, spec: &ClientSpec) -> Result<(), OAuthError> {
    let Some(scopes) = &spec.scopes else { return Ok(()) };
    match crate::partners::offer::check_registration(&provider.db, &provider.config.gru, partner_id, scopes).await {
        Err(crate::partners::offer::OfferError::Refused(refusal)) => Err(bad_metadata(refusal.to_string())),
        other => Ok(other?),
    }
}

fn parse_document(body: &[u8]) -> Result<Map<String, Value>, OAuthError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(bad_metadata("the registration document is too large"));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad_metadata("the body must be a JSON object")),
    }
}

/// Reads typed values out of the registration document.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn string(&self, name: &str) -> Result<Option<String>, OAuthError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= 2048 => Ok(Some(s.clone())),
            Some(_) => Err(bad_metadata(format!("{name} must be a string of at most 2048 characters"))),
        }
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, OAuthError> {
        let invalid = || bad_metadata(format!("{name} must be an array of at most 50 strings"));
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) if items.len() <= 50 => items
                .iter()
                .map(|v| v.as_str().filter(|s| s.len() <= 2048).map(str::to_owned).ok_or_else(invalid))
                .collect(),
            Some(_) => Err(invalid()),
        }
    }

    fn boolean(&self, name: &str) -> Result<bool, OAuthError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(bad_metadata(format!("{name} must be a boolean"))),
        }
    }
}

/// Metadata this provider knows but does not offer: refused rather than silently ignored, so
/// the client does not believe it is in force.
const UNSUPPORTED: [&str; 4] = [
    "request_object_encryption_alg",
    "request_object_encryption_enc",
    "default_max_age",
    "tls_client_certificate_bound_access_tokens",
];

/// The client specification a registration document describes.
async fn spec_from(provider: &Provider, document: &Map<String, Value>) -> Result<ClientSpec, OAuthError> {
    let f = Fields(document);
    if let Some(name) = UNSUPPORTED.iter().find(|n| document.get(**n).is_some_and(|v| !v.is_null())) {
        return Err(bad_metadata(format!("{name} is not supported by this provider")));
    }
    let application_type = f.string("application_type")?.unwrap_or_else(|| "web".into());
    if !matches!(application_type.as_str(), "web" | "native") {
        return Err(bad_metadata("application_type must be web or native"));
    }
    let redirect_uris = f.strings("redirect_uris")?;
    for uri in &redirect_uris {
        check_redirect_uri(provider, uri, &application_type)?;
    }
    let response_types = f.strings("response_types")?;
    if !(response_types.is_empty() || response_types == ["code"]) {
        return Err(bad_metadata("only the response type code is supported"));
    }
    let grant_types = match f.strings("grant_types")? {
        names if names.is_empty() => vec![GrantType::AuthorizationCode],
        names => names
            .iter()
            .map(|n| match GrantType::parse(n) {
                Some(g @ (GrantType::AuthorizationCode | GrantType::RefreshToken)) => Ok(g),
                _ => Err(bad_metadata(format!("grant type {n} is not available to self-registered clients"))),
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let auth_method = match f.string("token_endpoint_auth_method")? {
        None => AuthMethod::ClientSecretBasic,
        Some(m) => AuthMethod::parse(&m)
            .ok_or_else(|| bad_metadata(format!("token_endpoint_auth_method {m} is not supported")))?,
    };
    if let Some(alg) = f.string("token_endpoint_auth_signing_alg")?
        && !crate::signing::client_keys::CLIENT_SIGNING_ALGS.contains(&alg.as_str())
    {
        return Err(bad_metadata(format!("token_endpoint_auth_signing_alg {alg} is not supported")));
    }
    let id_token_alg = match f.string("id_token_signed_response_alg")? {
        None => SigningAlg::RS256,
        Some(alg) => SigningAlg::parse(&alg)
            .ok_or_else(|| bad_metadata(format!("id_token_signed_response_alg {alg} is not supported")))?,
    };
    let subject_type = match f.string("subject_type")? {
        None => SubjectType::Pairwise,
        Some(t) => SubjectType::parse(&t).ok_or_else(|| bad_metadata("subject_type must be public or pairwise"))?,
    };
    let jwks = match document.get("jwks") {
        None | Some(Value::Null) => None,
        Some(set @ Value::Object(_)) => Some(set.to_string()),
        Some(_) => return Err(bad_metadata("jwks must be a JWK set object")),
    };
    let scopes = match f.string("scope")? {
        None => None,
        Some(s) => {
            let asked = Scopes::parse(&s).map_err(|_| bad_metadata("scope is malformed"))?;
            Some(asked.intersect(&STANDARD_SCOPES.into_iter().collect()))
        }
    };
    let contacts = f.strings("contacts")?;
    if contacts.iter().any(|c| !c.contains('@') || c.len() > 254) {
        return Err(bad_metadata("contacts must be email addresses"));
    }
    let sector_identifier_uri = f.string("sector_identifier_uri")?;
    let sector = match subject_type {
        SubjectType::Pairwise => Some(sector_of(provider, &redirect_uris, sector_identifier_uri.as_deref()).await?),
        SubjectType::Public => None,
    };
    let name = f.string("client_name")?.filter(|n| !n.trim().is_empty());
    let fallback_name =
        || sector.clone().or_else(|| host_of(redirect_uris.first()?)).unwrap_or_else(|| "Client".into());
    Ok(ClientSpec {
        client_id: None,
        name: name.unwrap_or_else(fallback_name),
        partner_id: None,
        redirect_uris,
        post_logout_redirect_uris: f.strings("post_logout_redirect_uris")?,
        backchannel_logout_uri: f.string("backchannel_logout_uri")?,
        frontchannel_logout_uri: f.string("frontchannel_logout_uri")?,
        jwks,
        jwks_uri: f.string("jwks_uri")?,
        grant_types,
        auth_method,
        scopes,
        resources: Vec::new(),
        subject_type,
        id_token_alg,
        require_pkce: false,
        rotate_refresh_tokens: true,
        refresh_grace_seconds: 0,
        metadata: ClientMetadata {
            request_object_signing_alg: f.string("request_object_signing_alg")?,
            require_pushed_authorization_requests: f.boolean("require_pushed_authorization_requests")?,
            require_signed_request_object: f.boolean("require_signed_request_object")?,
            request_uris: f.strings("request_uris")?,
            sector_identifier_uri,
            sector,
            client_uri: f.string("client_uri")?,
            logo_uri: f.string("logo_uri")?,
            policy_uri: f.string("policy_uri")?,
            tos_uri: f.string("tos_uri")?,
            contacts,
            application_type: Some(application_type),
            userinfo_signed_response_alg: f.string("userinfo_signed_response_alg")?,
            dpop_bound_access_tokens: f.boolean("dpop_bound_access_tokens")?,
            id_token_encrypted_response_alg: f.string("id_token_encrypted_response_alg")?,
            id_token_encrypted_response_enc: f.string("id_token_encrypted_response_enc")?,
            userinfo_encrypted_response_alg: f.string("userinfo_encrypted_response_alg")?,
            userinfo_encrypted_response_enc: f.string("userinfo_encrypted_response_enc")?,
            consent_withdrawal_uri: f.string("consent_withdrawal_uri")?,
        },
    })
}

/// OIDC Registration §2 `application_type`: web clients redirect to https URLs (loopback http
/// only on a loopback development issuer); native clients to loopback http, private-use schemes
/// or claimed https links (RFC 8252). Never a fragment.
fn check_redirect_uri(provider: &Provider, uri: &str, application_type: &str) -> Result<(), OAuthError> {
    client::check_redirect_uri(uri).map_err(|e| bad_redirect(format!("redirect URI {uri}: {e}")))?;
    if application_type == "web" {
        let url = url::Url::parse(uri).map_err(|e| bad_redirect(e.to_string()))?;
        let loopback_dev = url.scheme() == "http" && provider.config.is_loopback_http();
        if url.scheme() != "https" && !loopback_dev {
            return Err(bad_redirect(format!("redirect URI {uri}: a web client redirects to https URLs")));
        }
    }
    Ok(())
}

fn host_of(uri: &str) -> Option<String> {
    url::Url::parse(uri).ok()?.host_str().map(str::to_owned)
}

/// OIDC Core §8.1: the host of the sector identifier URI (fetched, it must list every redirect
/// URI), or else the single host of the redirect URIs.
async fn sector_of(
    provider: &Provider,
    redirect_uris: &[String],
    sector_identifier_uri: Option<&str>,
) -> Result<String, OAuthError> {
    let Some(uri) = sector_identifier_uri else {
        let hosts: BTreeSet<String> =
            redirect_uris.iter().map(|u| host_of(u).unwrap_or_else(|| scheme_of(u))).collect();
        return match hosts.len() {
            0 => Err(bad_metadata("redirect_uris are required")),
            1 => Ok(hosts.into_iter().next().unwrap_or_default()),
            _ => Err(bad_metadata("redirect URIs on several hosts need a sector_identifier_uri")),
        };
    };
    let host = host_of(uri)
        .filter(|_| uri.starts_with("https://") || provider.config.is_loopback_http())
        .ok_or_else(|| bad_metadata("sector_identifier_uri must be an https URL"))?;
    let body = crate::outbound::get_bounded(
        &provider.http,
        uri,
        provider.config.is_loopback_http(),
        MAX_SECTOR_DOCUMENT_BYTES,
    )
    .await
    .map_err(|e| bad_metadata(format!("sector_identifier_uri could not be fetched: {e}")))?;
    let listed: Vec<String> = serde_json::from_slice(&body)
        .map_err(|_| bad_metadata("sector_identifier_uri must hold a JSON array of redirect URIs"))?;
    if let Some(missing) = redirect_uris.iter().find(|u| !listed.contains(u)) {
        return Err(bad_metadata(format!("sector_identifier_uri does not list the redirect URI {missing}")));
    }
    Ok(host)
}

/// A private-use scheme (`fr.lyon.app:/cb`) has no host: the scheme names the app.
fn scheme_of(uri: &str) -> String {
    uri.split(':').next().unwrap_or_default().to_owned()
}

/// The client's registration as RFC 7591 §3.2.1 returns it: every registered value.
fn describe(provider: &Provider, client: &Client) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("client_id".into(), client.client_id.clone().into());
    out.insert("client_id_issued_at".into(), client.created_at.into());
    out.insert("client_name".into(), client.name.clone().into());
    out.insert("redirect_uris".into(), json!(client.redirect_uris));
    out.insert("response_types".into(), json!(["code"]));
    out.insert("grant_types".into(), json!(client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>()));
    out.insert("token_endpoint_auth_method".into(), client.auth_method.as_str().into());
    out.insert("subject_type".into(), client.subject_type.as_str().into());
    out.insert("id_token_signed_response_alg".into(), client.id_token_alg.as_str().into());
    out.insert("scope".into(), client.scopes.to_string().into());
    if !client.post_logout_redirect_uris.is_empty() {
        out.insert("post_logout_redirect_uris".into(), json!(client.post_logout_redirect_uris));
    }
    if let Some(uri) = &client.backchannel_logout_uri {
        out.insert("backchannel_logout_uri".into(), uri.clone().into());
        out.insert("backchannel_logout_session_required".into(), true.into());
    }
    if let Some(uri) = &client.frontchannel_logout_uri {
        out.insert("frontchannel_logout_uri".into(), uri.clone().into());
        out.insert("frontchannel_logout_session_required".into(), true.into());
    }
    if let Some(jwks) = client.jwks.as_deref().and_then(|j| serde_json::from_str::<Value>(j).ok()) {
        out.insert("jwks".into(), jwks);
    }
    if let Some(uri) = &client.jwks_uri {
        out.insert("jwks_uri".into(), uri.clone().into());
    }
    if let Ok(Value::Object(metadata)) = serde_json::to_value(&client.metadata) {
        // The sector is ours, not registration metadata.
        out.extend(metadata.into_iter().filter(|(k, _)| k != "sector"));
    }
    if client.registration_token_digest.is_some() {
        let uri = provider.url(&format!("{}/{}", paths::REGISTER, client.client_id));
        out.insert("registration_client_uri".into(), uri.into());
    }
    out
}
