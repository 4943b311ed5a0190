//! Relying parties: what a registered client is, and the rules for registering one.

use serde::Serialize;

use super::client_metadata::{ALG_NONE, ClientMetadata};
use super::scope::{STANDARD_SCOPES, Scopes};
use crate::config::is_loopback_host;
use crate::partners::METROPOLE_ID;
use crate::secrets;
use crate::signing::SigningAlg;
use crate::store::clients::{self, ClientRow};
use crate::store::{Db, StoreError, from_json_list, to_json_list};

/// How a client authenticates at the token endpoint (OIDC Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client (native or browser app): no secret, PKCE required.
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<AuthMethod> {
        [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost, AuthMethod::PrivateKeyJwt, AuthMethod::None]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }
    pub fn parse(s: &str) -> Option<GrantType> {
        [GrantType::AuthorizationCode, GrantType::RefreshToken, GrantType::ClientCredentials]
            .into_iter()
            .find(|g| g.as_str() == s)
    }
}

/// OIDC Core §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Public,
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Public => "public",
            SubjectType::Pairwise => "pairwise",
        }
    }
    pub fn parse(s: &str) -> Option<SubjectType> {
        match s {
            "public" => Some(SubjectType::Public),
            "pairwise" => Some(SubjectType::Pairwise),
            _ => None,
        }
    }
}

/// A registered client, as the protocol uses it.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub client_id: String,
    pub partner_id: String,
    pub name: String,
    #[serde(skip)]
    pub secret_digest: Option<String>,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub frontchannel_logout_uri: Option<String>,
    /// The public keys of a `private_key_jwt` client (a JWK set, JSON).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "serialize_json_text")]
    pub jwks: Option<String>,
    /// Or where they are published.
    pub jwks_uri: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Scopes,
    pub resources: Vec<String>,
    pub subject_type: SubjectType,
    #[serde(serialize_with = "serialize_alg")]
    pub id_token_alg: SigningAlg,
    pub require_pkce: bool,
    pub rotate_refresh_tokens: bool,
    pub refresh_grace_seconds: i64,
    pub created_at: i64,
    #[serde(flatten)]
    pub metadata: ClientMetadata,
    /// Registered through the registration endpoint (RFC 7591), managed with its own token.
    #[serde(skip)]
    pub registration_token_digest: Option<String>,
    /// Bumped by every change (the admin API's ETag).
    #[serde(skip)]
    pub version: i64,
}

fn serialize_json_text<S: serde::Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    let value: Option<serde_json::Value> = text.as_deref().and_then(|t| serde_json::from_str(t).ok());
    serde::Serialize::serialize(&value, s)
}

fn serialize_alg<S: serde::Serializer>(alg: &SigningAlg, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(alg.as_str())
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// PKCE is required of public clients and of clients registered with `require_pkce`.
    pub fn requires_pkce(&self) -> bool {
        self.is_public() || self.require_pkce
    }

    fn from_row(row: ClientRow) -> Result<Client, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("client {}: {what}", row.id));
        let grant_types = from_json_list(&row.grant_types)?
            .iter()
            .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant type")))
            .collect::<Result<_, _>>()?;
        let metadata = serde_json::from_str(&row.metadata).map_err(|_| corrupt("metadata"))?;
        Ok(Client {
            auth_method: AuthMethod::parse(&row.auth_method).ok_or_else(|| corrupt("auth method"))?,
            subject_type: SubjectType::parse(&row.subject_type).ok_or_else(|| corrupt("subject type"))?,
            id_token_alg: SigningAlg::parse(&row.id_token_alg).ok_or_else(|| corrupt("id token alg"))?,
            scopes: Scopes::parse(&row.scopes).map_err(|_| corrupt("scopes"))?,
            redirect_uris: from_json_list(&row.redirect_uris)?,
            post_logout_redirect_uris: from_json_list(&row.post_logout_redirect_uris)?,
            resources: from_json_list(&row.resources)?,
            grant_types,
            client_id: row.id,
            partner_id: row.partner_id,
            name: row.name,
            secret_digest: row.secret_digest,
            backchannel_logout_uri: row.backchannel_logout_uri,
            frontchannel_logout_uri: row.frontchannel_logout_uri,
            jwks: row.jwks,
            jwks_uri: row.jwks_uri,
            require_pkce: row.require_pkce,
            rotate_refresh_tokens: row.rotate_refresh_tokens,
            refresh_grace_seconds: row.refresh_grace_seconds,
            created_at: row.created_at,
            metadata,
            registration_token_digest: row.registration_token_digest,
            version: row.version,
        })
    }
}

pub async fn find(db: &Db, client_id: &str) -> Result<Option<Client>, StoreError> {
    // Client ids are printable ASCII; anything else (a NUL byte, which PostgreSQL refuses in
    // text) is simply unknown.
    if client_id.len() > 128 || !client_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(None);
    }
    clients::find_by_id(db, client_id).await?.map(Client::from_row).transpose()
}

pub async fn list(db: &Db) -> Result<Vec<Client>, StoreError> {
    clients::list(db).await?.into_iter().map(Client::from_row).collect()
}

/// What an administrator asks for when registering a client.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    /// An id an administrator chose (e.g. `gru-metropole`, named in configuration); a random
    /// one otherwise, and always for dynamic registration.
    pub client_id: Option<String>,
    pub name: String,
    pub partner_id: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub frontchannel_logout_uri: Option<String>,
    /// For `private_key_jwt`: the client's public JWK set (JSON)…
    pub jwks: Option<String>,
    /// …or the https URL where it publishes it.
    pub jwks_uri: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub auth_method: AuthMethod,
    pub scopes: Option<Scopes>,
    pub resources: Vec<String>,
    pub subject_type: SubjectType,
    pub id_token_alg: SigningAlg,
    pub require_pkce: bool,
    /// Issue a new refresh token at each use (RFC 9700 §4.14.2); on by default.
    pub rotate_refresh_tokens: bool,
    /// Seconds during which a just-rotated refresh token is still accepted (lost responses on
    /// flaky mobile networks); 0 by default.
    pub refresh_grace_seconds: i64,
    pub metadata: ClientMetadata,
}

/// Longest an old secret may stay valid beside a new one (30 days).
pub const MAX_SECRET_OVERLAP: i64 = 30 * 86_400;

/// Longest refresh grace window an administrator may set.
pub const MAX_REFRESH_GRACE_SECONDS: i64 = 60;

impl Default for ClientSpec {
    fn default() -> Self {
        ClientSpec {
            client_id: None,
            name: String::new(),
            partner_id: None,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: None,
            frontchannel_logout_uri: None,
            jwks: None,
            jwks_uri: None,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            auth_method: AuthMethod::ClientSecretBasic,
            scopes: None,
            resources: Vec::new(),
            // Pairwise by default: two communes never share an identifier for a resident.
            subject_type: SubjectType::Pairwise,
            // The OpenID Registration default.
            id_token_alg: SigningAlg::RS256,
            require_pkce: false,
            rotate_refresh_tokens: true,
            refresh_grace_seconds: 0,
            metadata: ClientMetadata::default(),
        }
    }
}

/// A freshly registered client and its secret, shown once.
#[derive(Debug, Serialize)]
pub struct RegisteredClient {
    #[serde(flatten)]
    pub client: Client,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("invalid client {field}: {why}")]
    Invalid { field: &'static str, why: String },
    #[error("unknown partner {0}")]
    UnknownPartner(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Validates and stores a new client. The subject type is fixed here, at creation, so a later
/// change of default never changes a client's `sub`.
pub async fn register(db: &Db, spec: ClientSpec, now: i64) -> Result<RegisteredClient, RegistrationError> {
    create(db, spec, now, None).await
}

/// Registers a client; a dynamically registered one (RFC 7591) also gets the digest of the
/// token it manages itself with.
pub async fn create(
    db: &Db,
    spec: ClientSpec,
    now: i64,
    registration_token_digest: Option<String>,
) -> Result<RegisteredClient, RegistrationError> {
    validate(&spec)?;
    let partner_id = spec.partner_id.clone().unwrap_or_else(|| METROPOLE_ID.to_owned());
    if crate::store::partners::find_by_id(db, &partner_id).await?.is_none() {
        return Err(RegistrationError::UnknownPartner(partner_id));
    }
    let uses_secret = matches!(spec.auth_method, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost);
    let secret = uses_secret.then(secrets::new_secret);
    let scopes = spec.scopes.clone().unwrap_or_else(|| STANDARD_SCOPES.into_iter().collect());
    let row = ClientRow {
        id: spec.client_id.clone().unwrap_or_else(new_client_id),
        partner_id,
        name: spec.name.trim().to_owned(),
        secret_digest: secret.as_deref().map(secrets::digest),
        auth_method: spec.auth_method.as_str().to_owned(),
        redirect_uris: to_json_list(&spec.redirect_uris),
        post_logout_redirect_uris: to_json_list(&spec.post_logout_redirect_uris),
        backchannel_logout_uri: spec.backchannel_logout_uri.clone(),
        frontchannel_logout_uri: spec.frontchannel_logout_uri.clone(),
        jwks: spec.jwks.clone(),
        jwks_uri: spec.jwks_uri.clone(),
        grant_types: to_json_list(&spec.grant_types.iter().map(|g| g.as_str().to_owned()).collect::<Vec<_>>()),
        scopes: scopes.to_string(),
        resources: to_json_list(&spec.resources),
        subject_type: spec.subject_type.as_str().to_owned(),
        id_token_alg: spec.id_token_alg.as_str().to_owned(),
        require_pkce: spec.require_pkce,
        rotate_refresh_tokens: spec.rotate_refresh_tokens,
        refresh_grace_seconds: spec.refresh_grace_seconds,
        created_at: now,
        metadata: spec.metadata.to_json(),
        registration_token_digest,
        version: 1,
    };
    clients::insert(db, &row).await?;
    Ok(RegisteredClient { client: Client::from_row(row)?, client_secret: secret })
}

/// Replaces a client's metadata with `spec` (RFC 7592 §2.2). Its id, partner, secret and
/// authentication method stay: changing the method would need a new secret, or none.
pub async fn update(db: &Db, client: &Client, spec: ClientSpec) -> Result<Client, RegistrationError> {
    validate(&spec)?;
    if spec.auth_method != client.auth_method {
        return Err(invalid(
            "token_endpoint_auth_method",
            "the authentication method cannot change: register a new client",
        ));
    }
    let scopes = spec.scopes.clone().unwrap_or_else(|| STANDARD_SCOPES.into_iter().collect());
    let mut row = clients::find_by_id(db, &client.client_id)
        .await?
        .ok_or_else(|| invalid("client_id", "the client no longer exists"))?;
    row.name = spec.name.trim().to_owned();
    row.redirect_uris = to_json_list(&spec.redirect_uris);
    row.post_logout_redirect_uris = to_json_list(&spec.post_logout_redirect_uris);
    row.backchannel_logout_uri = spec.backchannel_logout_uri.clone();
    row.frontchannel_logout_uri = spec.frontchannel_logout_uri.clone();
    row.jwks = spec.jwks.clone();
    row.jwks_uri = spec.jwks_uri.clone();
    row.grant_types = to_json_list(&spec.grant_types.iter().map(|g| g.as_str().to_owned()).collect::<Vec<_>>());
    row.scopes = scopes.to_string();
    row.subject_type = spec.subject_type.as_str().to_owned();
    row.id_token_alg = spec.id_token_alg.as_str().to_owned();
    row.metadata = spec.metadata.to_json();
    if !clients::update_metadata(db, &row).await? {
        return Err(invalid("client_id", "the client changed meanwhile, or no longer exists"));
    }
    row.version += 1;
    Client::from_row(row).map_err(RegistrationError::from)
}

/// Why an administrator's change of a client was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminUpdateError {
    #[error(transparent)]
    Invalid(#[from] RegistrationError),
    /// The client is no longer at the version the change was made on.
    #[error("the client changed since it was read")]
    Changed,
}

/// An administrator's change of a client, made on `expected_version`: its metadata and what
/// only an administrator sets (resources, PKCE, refresh-token rules). Its id, partner, secret,
/// authentication method, subject type and ID token algorithm stay.
/// Changes a client as an administrator does, on `expected_version`. A change of
/// authentication method to a secret issues one (returned, to show once); away from secrets,
/// the secret goes.
pub async fn update_by_admin(
    db: &Db,
    client: &Client,
    spec: ClientSpec,
    expected_version: i64,
) -> Result<(Client, Option<String>), AdminUpdateError> {
    validate(&spec)?;
    let mut row = clients::find_by_id(db, &client.client_id)
        .await
        .map_err(RegistrationError::from)?
        .ok_or(AdminUpdateError::Changed)?;
    if row.version != expected_version {
        return Err(AdminUpdateError::Changed);
    }
    row.name = spec.name.trim().to_owned();
    row.redirect_uris = to_json_list(&spec.redirect_uris);
    row.post_logout_redirect_uris = to_json_list(&spec.post_logout_redirect_uris);
    row.backchannel_logout_uri = spec.backchannel_logout_uri.clone();
    row.frontchannel_logout_uri = spec.frontchannel_logout_uri.clone();
    row.jwks = spec.jwks.clone();
    row.jwks_uri = spec.jwks_uri.clone();
    row.grant_types = to_json_list(&spec.grant_types.iter().map(|g| g.as_str().to_owned()).collect::<Vec<_>>());
    row.scopes = spec.scopes.clone().unwrap_or_else(|| STANDARD_SCOPES.into_iter().collect()).to_string();
    row.metadata = spec.metadata.to_json();
    row.resources = to_json_list(&spec.resources);
    row.require_pkce = spec.require_pkce;
    row.rotate_refresh_tokens = spec.rotate_refresh_tokens;
    row.refresh_grace_seconds = spec.refresh_grace_seconds;
    let uses_secret = |m: AuthMethod| matches!(m, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost);
    let mut new_secret = None;
    if spec.auth_method != client.auth_method {
        row.auth_method = spec.auth_method.as_str().to_owned();
        match (uses_secret(client.auth_method), uses_secret(spec.auth_method)) {
            (false, true) => {
                let secret = secrets::new_secret();
                row.secret_digest = Some(secrets::digest(&secret));
                new_secret = Some(secret);
            }
            (true, false) => row.secret_digest = None,
            _ => {}
        }
    }
    if !clients::update_by_admin(db, &row).await.map_err(RegistrationError::from)? {
        return Err(AdminUpdateError::Changed);
    }
    row.version += 1;
    Ok((Client::from_row(row).map_err(RegistrationError::from)?, new_secret))
}

impl Client {
    /// What the client is, as a specification to change and register again.
    pub fn to_spec(&self) -> ClientSpec {
        ClientSpec {
            // Chosen ids are validated at creation only; a random one would not pass as chosen.
            client_id: None,
            name: self.name.clone(),
            partner_id: Some(self.partner_id.clone()),
            redirect_uris: self.redirect_uris.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            frontchannel_logout_uri: self.frontchannel_logout_uri.clone(),
            jwks: self.jwks.clone(),
            jwks_uri: self.jwks_uri.clone(),
            grant_types: self.grant_types.clone(),
            auth_method: self.auth_method,
            scopes: Some(self.scopes.clone()),
            resources: self.resources.clone(),
            subject_type: self.subject_type,
            id_token_alg: self.id_token_alg,
            require_pkce: self.require_pkce,
            rotate_refresh_tokens: self.rotate_refresh_tokens,
            refresh_grace_seconds: self.refresh_grace_seconds,
            metadata: self.metadata.clone(),
        }
    }
}

/// A random client id (144 bits, base64url) that starts with a letter or digit: one starting
/// with `-` would read as an option on a command line (`glc client show -X…`).
fn new_client_id() -> String {
    loop {
        let id = secrets::random_token(18);
        if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return id;
        }
    }
}

/// Issues a new secret for a confidential client, shown once. The old one stops working at
/// once, or at `previous_until` so the application can switch without going down.
pub async fn rotate_secret(
    db: &Db,
    client_id: &str,
    previous_until: Option<i64>,
) -> Result<Option<String>, StoreError> {
    let secret = secrets::new_secret();
    let updated = clients::update_secret_digest(db, client_id, &secrets::digest(&secret), previous_until).await?;
    Ok(updated.then_some(secret))
}

/// `field`: the client metadata member at fault (RFC 7591 §2 names).
fn invalid(field: &'static str, msg: impl Into<String>) -> RegistrationError {
    RegistrationError::Invalid { field, why: msg.into() }
}

pub fn validate(spec: &ClientSpec) -> Result<(), RegistrationError> {
    if spec.name.trim().is_empty() || spec.name.len() > 200 {
        return Err(invalid("client_name", "name must be 1 to 200 characters"));
    }
    if let Some(id) = &spec.client_id
        && !is_chosen_client_id(id)
    {
        return Err(invalid("client_id", "a chosen client_id is 3 to 64 lowercase letters, digits, '.', '-' or '_'"));
    }
    if !(0..=MAX_REFRESH_GRACE_SECONDS).contains(&spec.refresh_grace_seconds) {
        return Err(invalid(
            "refresh_grace_seconds",
            format!("the refresh grace window must be 0 to {MAX_REFRESH_GRACE_SECONDS} seconds"),
        ));
    }
    if spec.grant_types.is_empty() {
        return Err(invalid("grant_types", "at least one grant type is required"));
    }
    match (&spec.jwks, &spec.jwks_uri, spec.auth_method) {
        (Some(_), Some(_), _) => {
            return Err(invalid("jwks", "register the keys inline (--jwks) or by URL (--jwks-uri), not both"));
        }
        (None, None, AuthMethod::PrivateKeyJwt) => {
            return Err(invalid("jwks", "private_key_jwt needs the client's public keys (--jwks or --jwks-uri)"));
        }
        (Some(jwks), None, _) => crate::signing::client_keys::validate_jwks(jwks).map_err(|e| invalid("jwks", e))?,
        (None, Some(uri), _) => check_web_uri(uri).map_err(|e| invalid("jwks_uri", format!("JWKS URI {uri}: {e}")))?,
        (None, None, _) => {}
    }
    let uses_code = spec.grant_types.contains(&GrantType::AuthorizationCode);
    if uses_code && spec.redirect_uris.is_empty() {
        return Err(invalid("redirect_uris", "authorization_code clients need at least one redirect URI"));
    }
    if spec.grant_types.contains(&GrantType::RefreshToken) && !uses_code {
        return Err(invalid("grant_types", "refresh_token requires authorization_code"));
    }
    if spec.auth_method == AuthMethod::None && spec.grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid("grant_types", "a public client cannot use client_credentials"));
    }
    for uri in &spec.redirect_uris {
        check_redirect_uri(uri).map_err(|e| invalid("redirect_uris", format!("redirect URI {uri}: {e}")))?;
    }
    for uri in &spec.post_logout_redirect_uris {
        check_redirect_uri(uri)
            .map_err(|e| invalid("post_logout_redirect_uris", format!("post-logout redirect URI {uri}: {e}")))?;
    }
    if let Some(uri) = &spec.backchannel_logout_uri {
        check_web_uri(uri)
            .map_err(|e| invalid("backchannel_logout_uri", format!("back-channel logout URI {uri}: {e}")))?;
    }
    if let Some(uri) = &spec.frontchannel_logout_uri {
        check_web_uri(uri)
            .map_err(|e| invalid("frontchannel_logout_uri", format!("front-channel logout URI {uri}: {e}")))?;
    }
    if let Some(uri) = &spec.metadata.consent_withdrawal_uri {
        check_web_uri(uri)
            .map_err(|e| invalid("consent_withdrawal_uri", format!("consent withdrawal URI {uri}: {e}")))?;
    }
    for resource in &spec.resources {
        check_resource(resource).map_err(|e| invalid("resources", format!("resource {resource}: {e}")))?;
    }
    validate_metadata(spec)
}

/// The metadata of `ClientMetadata`: request objects need keys to verify them with, URLs must
/// be https.
fn validate_metadata(spec: &ClientSpec) -> Result<(), RegistrationError> {
    use crate::signing::client_keys::CLIENT_SIGNING_ALGS;
    let meta = &spec.metadata;
    let has_keys = spec.jwks.is_some() || spec.jwks_uri.is_some();
    match meta.request_object_signing_alg.as_deref() {
        None | Some(ALG_NONE) => {}
        Some(alg) if CLIENT_SIGNING_ALGS.contains(&alg) => {}
        Some(alg) => {
            return Err(invalid(
                "request_object_signing_alg",
                format!("request object algorithm {alg} is not supported"),
            ));
        }
    }
    let signs_requests =
        meta.require_signed_request_object || meta.request_object_signing_alg.as_deref().is_some_and(|a| a != ALG_NONE);
    if signs_requests && !has_keys {
        return Err(invalid("jwks", "signed request objects need the client's public keys (jwks or jwks_uri)"));
    }
    if meta.require_signed_request_object && meta.request_object_signing_alg.as_deref() == Some(ALG_NONE) {
        return Err(invalid(
            "request_object_signing_alg",
            "a client that must sign its request objects cannot register alg none",
        ));
    }
    for uri in &meta.request_uris {
        check_web_uri(uri.split('#').next().unwrap_or_default())
            .map_err(|e| invalid("request_uris", format!("request URI {uri}: {e}")))?;
    }
    for (field, what, uri) in [
        ("client_uri", "client URI", &meta.client_uri),
        ("logo_uri", "logo URI", &meta.logo_uri),
        ("policy_uri", "policy URI", &meta.policy_uri),
        ("tos_uri", "terms of service URI", &meta.tos_uri),
        ("sector_identifier_uri", "sector identifier URI", &meta.sector_identifier_uri),
    ] {
        if let Some(uri) = uri {
            check_web_uri(uri).map_err(|e| invalid(field, format!("{what} {uri}: {e}")))?;
        }
    }
    if let Some(alg) = &meta.userinfo_signed_response_alg
        && SigningAlg::parse(alg).is_none()
    {
        return Err(invalid(
            "userinfo_signed_response_alg",
            format!("userinfo signing algorithm {alg} is not supported"),
        ));
    }
    for (field, what, alg, enc) in [
        (
            "id_token_encrypted_response_alg",
            "id_token",
            &meta.id_token_encrypted_response_alg,
            &meta.id_token_encrypted_response_enc,
        ),
        (
            "userinfo_encrypted_response_alg",
            "userinfo",
            &meta.userinfo_encrypted_response_alg,
            &meta.userinfo_encrypted_response_enc,
        ),
    ] {
        super::encryption::check_registration(
            what,
            alg.as_deref(),
            enc.as_deref(),
            spec.jwks.as_deref(),
            spec.jwks_uri.is_some(),
        )
        .map_err(|e| invalid(field, e))?;
    }
    Ok(())
}

/// A redirect URI must be absolute without fragment (RFC 6749 §3.1.2); `https`, loopback
/// `http` (RFC 8252 §7.3), or a private-use scheme in reverse-domain form (RFC 8252 §7.1).
/// An id an administrator may choose: readable, and never mistaken for anything else.
fn is_chosen_client_id(id: &str) -> bool {
    (3..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
}

pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let url = url::Url::parse(uri).map_err(|e| e.to_string())?;
    if url.fragment().is_some() {
        return Err("must not contain a fragment".into());
    }
    match url.scheme() {
        "https" | "http" => check_web_uri(uri),
        "javascript" | "data" | "file" | "vbscript" => Err("forbidden scheme".into()),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err("a private-use scheme must be a reverse domain name (com.example.app)".into()),
    }
}

fn check_web_uri(uri: &str) -> Result<(), String> {
    let url = url::Url::parse(uri).map_err(|e| e.to_string())?;
    if url.fragment().is_some() {
        return Err("must not contain a fragment".into());
    }
    match url.scheme() {
        "https" if url.host_str().is_some() => Ok(()),
        "http" if is_loopback_host(url.host_str().unwrap_or_default()) => Ok(()),
        "http" => Err("http is allowed on loopback only; use https".into()),
        _ => Err("must be an https URL".into()),
    }
}

/// RFC 8707 §2: an absolute URI without fragment.
pub fn check_resource(uri: &str) -> Result<(), String> {
    let url = url::Url::parse(uri).map_err(|e| e.to_string())?;
    if url.fragment().is_some() {
        return Err("must not contain a fragment".into());
    }
    Ok(())
}

/// Whether a browser page at `origin` may call the provider's APIs cross-origin: it must be
/// the origin of a registered https (or loopback http) redirect URI of some client, the
/// single-page apps of the Métropole and the communes.
pub async fn is_registered_origin(db: &Db, origin: &str) -> Result<bool, StoreError> {
    if origin.len() > 256 || origin == "null" {
        return Ok(false);
    }
    for list in clients::all_redirect_uris(db).await? {
        for uri in from_json_list(&list)? {
            if let Ok(url) = url::Url::parse(&uri)
                && matches!(url.scheme(), "https" | "http")
                && url.origin().ascii_serialization() == origin
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_follow_rfc_8252_and_refuse_fragments() {
        assert!(check_redirect_uri("https://lyon.fr/cb").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:9000/cb").is_ok());
        assert!(check_redirect_uri("http://localhost/cb").is_ok());
        assert!(check_redirect_uri("fr.lyon.app:/cb").is_ok());
        assert!(check_redirect_uri("http://lyon.fr/cb").is_err());
        assert!(check_redirect_uri("https://lyon.fr/cb#x").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("myapp:/cb").is_err());
        assert!(check_redirect_uri("/relative").is_err());
    }

    #[test]
    fn client_ids_never_start_like_a_command_line_option() {
        for _ in 0..2000 {
            assert!(new_client_id().starts_with(|c: char| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn specs_are_checked_for_coherence() {
        let ok = ClientSpec { name: "x".into(), redirect_uris: vec!["https://a.fr/cb".into()], ..Default::default() };
        assert!(validate(&ok).is_ok());
        assert!(validate(&ClientSpec { redirect_uris: vec![], ..ok.clone() }).is_err());
        assert!(validate(&ClientSpec { name: " ".into(), ..ok.clone() }).is_err());
        assert!(
            validate(&ClientSpec {
                auth_method: AuthMethod::None,
                grant_types: vec![GrantType::ClientCredentials],
                ..ok.clone()
            })
            .is_err()
        );
    }
}
