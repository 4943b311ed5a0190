//! A FranceConnect stand-in for development and tests: an OpenID provider that behaves like
//! FranceConnect v2 as `docs/franceconnect.md` describes it (paths under `/api/v2`, code flow
//! only, `client_secret_post`, `nonce` of 22 characters or more, `acr` eidas1, pairwise `sub`,
//! the identity pivot as a signed userinfo JWT, `iss` on the callback, `/session/end`) with test
//! identities a person picks on its page. It is never part of `serve`: it runs only as
//! `glc franceconnect-standin` or inside the tests, and every page it shows says it is not
//! FranceConnect.
//!
//! In FranceConnect+ mode (`StandinConfig::plus`) it behaves like FC+ instead: `acr` eidas2 or
//! eidas3 (eidas3 when none valid is asked, the lowest of several), ES256 only, and the ID token
//! and userinfo encrypted (RSA-OAEP-256 or ECDH-ES, A256GCM) to the key the client publishes at
//! its `jwks_uri`, with the `rnipp_*` claims.
//!
//! Tests make it misbehave on purpose (`Misbehaviour`) to check that each fault is caught.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::signing::{KeySet, SigningAlg};

/// Where the stand-in answers and which client it knows.
#[derive(Debug, Clone)]
pub struct StandinConfig {
    /// `http://127.0.0.1:9090/api/v2`, as FranceConnect's issuers end in `/api/v2`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Our callback(s), matched exactly.
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// FranceConnect+ mode: answers are encrypted to the client's keys, published there.
    pub plus: Option<PlusMode>,
}

/// What FranceConnect+ knows of its client to encrypt to it.
#[derive(Debug, Clone)]
pub struct PlusMode {
    /// The client's `jwks_uri` (ours: `{issuer}/jwks`), read at each answer.
    pub client_jwks_uri: String,
    /// `RSA-OAEP-256` or `ECDH-ES`, as registered.
    pub encryption_alg: String,
}

/// A fault to commit on purpose, for the tests of what our client must catch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Misbehaviour {
    #[default]
    None,
    /// The ID token carries another nonce.
    WrongNonce,
    /// The callback's `iss` names another issuer (a mix-up).
    WrongIssuerInCallback,
    /// The ID token is signed by a key FranceConnect does not publish.
    ForgedSignature,
    /// The ID token says `eidas0`, below what was asked.
    LowerAcr,
    /// Userinfo comes as plain JSON, unsigned.
    UnsignedUserinfo,
    /// The token endpoint fails (`server_error`).
    TokenEndpointDown,
    /// Logout comes back without `state` (as FranceConnect once did).
    DropLogoutState,
    /// FranceConnect+ sends its ID token and userinfo signed but not encrypted.
    Unencrypted,
    /// FranceConnect+ signs with RS256, which it never uses.
    Rs256,
}

/// One of the stand-in's residents: the identity pivot as FranceConnect sends it.
#[derive(Debug, Clone)]
pub struct TestIdentity {
    pub key: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub birthdate: &'static str,
    /// The birthdate as the identity provider gave it (may be partial).
    pub idp_birthdate: &'static str,
    pub gender: &'static str,
    /// INSEE COG code of the commune of birth; empty for people born abroad.
    pub birthplace: &'static str,
    pub birthcountry: &'static str,
    pub email: &'static str,
    pub preferred_username: &'static str,
}

/// Realistic test identities (invented people), with FranceConnect's edge cases: born
/// abroad, a presumed birthdate, long and many given names, a usage name.
pub const IDENTITIES: [TestIdentity; 4] = [
    TestIdentity {
        key: "angela",
        given_name: "Angela Claire Louise",
        family_name: "DUBOIS",
        birthdate: "1962-08-24",
        idp_birthdate: "1962-08-24",
        gender: "female",
        birthplace: "69383",
        birthcountry: "99100",
        email: "angela.dubois@example.fr",
        preferred_username: "",
    },
    TestIdentity {
        key: "karim",
        given_name: "Karim",
        family_name: "BENSAÏD",
        birthdate: "1985-01-01",
        idp_birthdate: "1985",
        gender: "male",
        birthplace: "",
        birthcountry: "99350",
        email: "karim.bensaid@example.fr",
        preferred_username: "",
    },
    TestIdentity {
        key: "marie",
        given_name: "Marie-Thérèse Jeanne Françoise Bernadette Geneviève",
        family_name: "DE LA TOUR D'AUVERGNE-LAURAGUAIS DE SAINT-JEAN-PIED-DE-PORT",
        birthdate: "1948-11-03",
        idp_birthdate: "1948-11-03",
        gender: "female",
        birthplace: "69123",
        birthcountry: "99100",
        email: "mt.delatour@example.fr",
        preferred_username: "MARTIN",
    },
    TestIdentity {
        key: "lucas",
        given_name: "Lucas",
        family_name: "MOREL",
        birthdate: "2001-06-15",
        idp_birthdate: "2001-06-15",
        gender: "male",
        birthplace: "69259",
        birthcountry: "99100",
        email: "angela.dubois@example.fr",
        preferred_username: "",
    },
];

#[derive(Debug, Clone)]
struct Grant {
    identity: usize,
    client_id: String,
    redirect_uri: String,
    nonce: String,
    scopes: Vec<String>,
    acr: String,
}

/// The running stand-in: tests keep it to change its behaviour.
#[derive(Debug)]
pub struct Standin {
    config: StandinConfig,
    keys: KeySet,
    /// Keys of nobody, for `ForgedSignature`.
    forger: KeySet,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, Grant>>,
    misbehaviour: Mutex<Misbehaviour>,
}

impl Standin {
    /// A stand-in whose keys live in `keys_dir` (generated on first use).
    pub fn new(config: StandinConfig, keys_dir: &Path) -> anyhow::Result<Arc<Standin>> {
        let now = now();
        let keys = KeySet::load_or_generate(keys_dir, now)?;
        let forger = KeySet::load_or_generate(&keys_dir.join("forger"), now)?;
        Ok(Arc::new(Standin {
            config,
            keys,
            forger,
            codes: Mutex::default(),
            tokens: Mutex::default(),
            misbehaviour: Mutex::default(),
        }))
    }

    pub fn misbehave(&self, how: Misbehaviour) {
        if let Ok(mut current) = self.misbehaviour.lock() {
            *current = how;
        }
    }

    fn misbehaviour(&self) -> Misbehaviour {
        self.misbehaviour.lock().map(|m| *m).unwrap_or_default()
    }

    /// The routes, under the issuer's path.
    pub fn router(self: &Arc<Self>) -> Router {
        let prefix = url::Url::parse(&self.config.issuer).map(|u| u.path().trim_end_matches('/').to_owned());
        let prefix = prefix.unwrap_or_default();
        Router::new()
            .route(&format!("{prefix}/.well-known/openid-configuration"), get(discovery))
            .route(&format!("{prefix}/jwks"), get(jwks))
            .route(&format!("{prefix}/authorize"), get(authorize))
            .route(&format!("{prefix}/authorize/choose"), post(choose))
            .route(&format!("{prefix}/token"), post(token))
            .route(&format!("{prefix}/userinfo"), get(userinfo))
            .route(&format!("{prefix}/session/end"), get(end_session))
            .with_state(self.clone())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.issuer)
    }

    /// FranceConnect's `sub`: pairwise, 64 hex characters and a version letter.
    fn subject(&self, identity: usize, client_id: &str) -> String {
        let digest = Sha256::digest(format!("{}|{client_id}|{}", self.name(), IDENTITIES[identity].key).as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}v1")
    }

    fn sign(&self, claims: &Map<String, Value>, forged: bool) -> Option<String> {
        let keys = if forged { &self.forger } else { &self.keys };
        let alg = if self.misbehaviour() == Misbehaviour::Rs256 { SigningAlg::RS256 } else { SigningAlg::ES256 };
        keys.sign(alg, None, claims).ok()
    }

    /// A signed answer, encrypted to the client in FranceConnect+ mode (a JWE around the JWS).
    async fn seal(&self, claims: &Map<String, Value>, forged: bool) -> Option<String> {
        let signed = self.sign(claims, forged)?;
        let Some(plus) = &self.config.plus else { return Some(signed) };
        if self.misbehaviour() == Misbehaviour::Unencrypted {
            return Some(signed);
        }
        let jwks = reqwest::get(&plus.client_jwks_uri).await.ok()?.text().await.ok()?;
        crate::signing::jwe::encrypt_to(&jwks, &plus.encryption_alg, "A256GCM", signed.as_bytes(), true).ok()?
    }

    fn name(&self) -> &'static str {
        if self.config.plus.is_some() { "FranceConnect+" } else { "FranceConnect" }
    }
}

/// The level FranceConnect+ grants for `asked`: the lowest valid of the values, eidas3 when
/// none is valid.
fn plus_level(asked: &str) -> &'static str {
    if asked.split(' ').any(|v| v == "eidas2") { "eidas2" } else { "eidas3" }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn page(fc: &Standin, title: &str, body: &str) -> Response {
    let name = fc.name();
    let banner = format!("Simulateur {name} — environnement de test, ce n'est pas {name}, aucune donnée réelle");
    let html = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{title} – {banner}</title></head>\
         <body><p role=\"alert\"><strong>{banner}</strong></p><main><h1>{title}</h1>{body}</main></body></html>"
    );
    Html(html).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

async fn discovery(State(fc): State<Arc<Standin>>) -> Json<Value> {
    let mut document = json!({
        "issuer": fc.config.issuer,
        "authorization_endpoint": fc.url("/authorize"),
        "token_endpoint": fc.url("/token"),
        "userinfo_endpoint": fc.url("/userinfo"),
        "jwks_uri": fc.url("/jwks"),
        "end_session_endpoint": fc.url("/session/end"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "claims_parameter_supported": true,
        "authorization_response_iss_parameter_supported": true,
    });
    let pivot = ["openid", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "email"];
    // What differs: FranceConnect+ signs with ES256 only, always encrypts, offers eidas2/eidas3
    // and the RNIPP identity.
    let platform = if fc.config.plus.is_some() {
        let encryption_algs = json!(["ECDH-ES", "RSA-OAEP", "RSA-OAEP-256"]);
        json!({
            "id_token_signing_alg_values_supported": ["ES256"],
            "userinfo_signing_alg_values_supported": ["ES256"],
            "id_token_encryption_alg_values_supported": encryption_algs,
            "id_token_encryption_enc_values_supported": ["A256GCM"],
            "userinfo_encryption_alg_values_supported": encryption_algs,
            "userinfo_encryption_enc_values_supported": ["A256GCM"],
            "scopes_supported": pivot.iter().chain(&["preferred_username", "rnipp_given_name", "rnipp_family_name",
                "rnipp_gender", "rnipp_birthdate", "rnipp_birthplace", "rnipp_birthcountry", "rnipp_identite_pivot"])
                .collect::<Vec<_>>(),
            "acr_values_supported": ["eidas2", "eidas3"],
        })
    } else {
        json!({
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "userinfo_signing_alg_values_supported": ["ES256", "RS256"],
            "scopes_supported": pivot.iter().chain(&["preferred_username", "idp_birthdate", "profile", "birth",
                "identite_pivot"]).collect::<Vec<_>>(),
            "acr_values_supported": ["eidas1"],
        })
    };
    if let (Value::Object(all), Value::Object(more)) = (&mut document, platform) {
        all.extend(more);
    }
    Json(document)
}

async fn jwks(State(fc): State<Arc<Standin>>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], fc.keys.jwks_json().to_owned()).into_response()
}

#[derive(Debug, Deserialize)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    acr_values: Option<String>,
}

fn callback_error(fc: &Standin, redirect_uri: &str, state: &str, error: &str, description: &str) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response(),
    };
    url.query_pairs_mut()
        .append_pair("error", error)
        .append_pair("error_description", description)
        .append_pair("state", state)
        .append_pair("iss", &fc.config.issuer);
    Redirect::to(url.as_str()).into_response()
}

async fn authorize(State(fc): State<Arc<Standin>>, Query(params): Query<AuthorizeParams>) -> Response {
    let client_ok = params.client_id.as_deref() == Some(fc.config.client_id.as_str());
    let Some(redirect_uri) = params.redirect_uri.filter(|r| client_ok && fc.config.redirect_uris.contains(r)) else {
        return page(&fc, "Erreur", "<p>invalid_request: invalid client_id or redirect_uri parameter (Y030027)</p>");
    };
    let state = params.state.unwrap_or_default();
    let scopes: Vec<String> = params.scope.unwrap_or_default().split(' ').map(str::to_owned).collect();
    let nonce = params.nonce.unwrap_or_default();
    // FranceConnect allows eidas1 only; FranceConnect+ picks its level from what is asked.
    let acr = match &fc.config.plus {
        Some(_) => Some(plus_level(params.acr_values.as_deref().unwrap_or_default())),
        None => (params.acr_values.as_deref() == Some("eidas1")).then_some("eidas1"),
    };
    if params.response_type.as_deref() != Some("code")
        || !scopes.iter().any(|s| s == "openid")
        || state.is_empty()
        || nonce.chars().count() < 22
        || acr.is_none()
    {
        return callback_error(&fc, &redirect_uri, &state, "invalid_request", "invalid parameter");
    }
    let hidden =
        |name: &str, value: &str| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value));
    let common = [
        hidden("redirect_uri", &redirect_uri),
        hidden("state", &state),
        hidden("nonce", &nonce),
        hidden("scope", &scopes.join(" ")),
        hidden("acr", acr.unwrap_or_default()),
    ]
    .concat();
    let action = fc.url("/authorize/choose");
    let mut body = String::from("<p>Choisissez l'identité de test avec laquelle vous connecter :</p><ul>");
    for (index, identity) in IDENTITIES.iter().enumerate() {
        body.push_str(&format!(
            "<li><form method=\"post\" action=\"{action}\">{common}{}<button type=\"submit\" name=\"identity\" value=\"{index}\">{} {}</button></form></li>",
            hidden("identity_key", identity.key),
            escape(identity.given_name),
            escape(identity.family_name),
        ));
    }
    body.push_str(&format!(
        "</ul><form method=\"post\" action=\"{action}\">{common}<button type=\"submit\" name=\"identity\" value=\"cancel\">Revenir sur le service (annuler)</button></form>"
    ));
    page(&fc, "Connexion avec une identité de test", &body)
}

#[derive(Debug, Deserialize)]
struct Choice {
    redirect_uri: String,
    state: String,
    nonce: String,
    scope: String,
    acr: String,
    identity: String,
}

async fn choose(State(fc): State<Arc<Standin>>, Form(choice): Form<Choice>) -> Response {
    if !fc.config.redirect_uris.contains(&choice.redirect_uri) {
        return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response();
    }
    let Some(identity) = choice.identity.parse::<usize>().ok().filter(|i| *i < IDENTITIES.len()) else {
        return callback_error(
            &fc,
            &choice.redirect_uri,
            &choice.state,
            "access_denied",
            "user authentication aborted",
        );
    };
    let code = crate::secrets::random_token(24);
    let grant = Grant {
        identity,
        client_id: fc.config.client_id.clone(),
        redirect_uri: choice.redirect_uri.clone(),
        nonce: choice.nonce,
        scopes: choice.scope.split(' ').map(str::to_owned).collect(),
        acr: choice.acr,
    };
    if let Ok(mut codes) = fc.codes.lock() {
        codes.insert(code.clone(), grant);
    }
    let issuer = match fc.misbehaviour() {
        Misbehaviour::WrongIssuerInCallback => "https://idp.attaquant.example/api/v2".to_owned(),
        _ => fc.config.issuer.clone(),
    };
    let Ok(mut url) = url::Url::parse(&choice.redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response();
    };
    url.query_pairs_mut().append_pair("code", &code).append_pair("state", &choice.state).append_pair("iss", &issuer);
    Redirect::to(url.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn token_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

async fn token(State(fc): State<Arc<Standin>>, Form(request): Form<TokenRequest>) -> Response {
    if fc.misbehaviour() == Misbehaviour::TokenEndpointDown {
        return token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    }
    // client_secret_post, FranceConnect's default.
    if request.client_id.as_deref() != Some(fc.config.client_id.as_str())
        || request.client_secret.as_deref() != Some(fc.config.client_secret.as_str())
    {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if request.grant_type.as_deref() != Some("authorization_code") {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let grant = fc.codes.lock().ok().and_then(|mut codes| codes.remove(request.code.as_deref().unwrap_or_default()));
    let Some(grant) = grant.filter(|g| Some(&g.redirect_uri) == request.redirect_uri.as_ref()) else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let now = now();
    let misbehaviour = fc.misbehaviour();
    let mut claims = Map::new();
    claims.insert("iss".into(), fc.config.issuer.clone().into());
    claims.insert("sub".into(), fc.subject(grant.identity, &grant.client_id).into());
    claims.insert("aud".into(), grant.client_id.clone().into());
    claims.insert("exp".into(), (now + 60).into());
    claims.insert("iat".into(), now.into());
    let nonce = if misbehaviour == Misbehaviour::WrongNonce { "another-nonce-of-enough-length" } else { &grant.nonce };
    claims.insert("nonce".into(), nonce.into());
    let acr = if misbehaviour == Misbehaviour::LowerAcr { "eidas0" } else { grant.acr.as_str() };
    claims.insert("acr".into(), acr.into());
    let Some(id_token) = fc.seal(&claims, misbehaviour == Misbehaviour::ForgedSignature).await else {
        return token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    };
    let access_token = crate::secrets::random_token(24);
    if let Ok(mut tokens) = fc.tokens.lock() {
        tokens.insert(access_token.clone(), grant);
    }
    Json(json!({ "access_token": access_token, "token_type": "Bearer", "expires_in": 60, "id_token": id_token, "scope": "openid" }))
        .into_response()
}

/// The claims of `identity` that `scopes` cover, one claim per scope (and FC's aliases).
fn released_claims(identity: &TestIdentity, scopes: &[String]) -> Map<String, Value> {
    let wants = |scope: &str, aliases: &[&str]| scopes.iter().any(|s| s == scope || aliases.contains(&s.as_str()));
    let mut claims = Map::new();
    if wants("given_name", &["profile", "identite_pivot"]) {
        claims.insert("given_name".into(), identity.given_name.into());
        let array: Vec<&str> = identity.given_name.split(' ').collect();
        claims.insert("given_name_array".into(), json!(array));
    }
    if wants("family_name", &["profile", "identite_pivot"]) {
        claims.insert("family_name".into(), identity.family_name.into());
    }
    if wants("birthdate", &["profile", "identite_pivot"]) {
        claims.insert("birthdate".into(), identity.birthdate.into());
    }
    if wants("idp_birthdate", &[]) {
        claims.insert("idp_birthdate".into(), identity.idp_birthdate.into());
    }
    if wants("gender", &["profile", "identite_pivot"]) {
        claims.insert("gender".into(), identity.gender.into());
    }
    if wants("birthplace", &["birth", "identite_pivot"]) {
        claims.insert("birthplace".into(), identity.birthplace.into());
    }
    if wants("birthcountry", &["birth", "identite_pivot"]) {
        claims.insert("birthcountry".into(), identity.birthcountry.into());
    }
    if wants("email", &[]) {
        claims.insert("email".into(), identity.email.into());
    }
    if wants("preferred_username", &["profile"]) && !identity.preferred_username.is_empty() {
        claims.insert("preferred_username".into(), identity.preferred_username.into());
    }
    // FranceConnect+: the identity as the RNIPP has it, for reconciliation (the test identities
    // are the same in both).
    let rnipp = [
        ("rnipp_given_name", identity.given_name),
        ("rnipp_family_name", identity.family_name),
        ("rnipp_birthdate", identity.birthdate),
        ("rnipp_gender", identity.gender),
        ("rnipp_birthplace", identity.birthplace),
        ("rnipp_birthcountry", identity.birthcountry),
    ];
    for (name, value) in rnipp {
        if wants(name, &["rnipp_identite_pivot"]) {
            claims.insert(name.into(), value.into());
        }
    }
    claims
}

async fn userinfo(State(fc): State<Arc<Standin>>, headers: HeaderMap) -> Response {
    let presented =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let grant = presented.and_then(|token| fc.tokens.lock().ok().and_then(|tokens| tokens.get(token).cloned()));
    let Some(grant) = grant else {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")])
            .into_response();
    };
    let mut claims = released_claims(&IDENTITIES[grant.identity], &grant.scopes);
    claims.insert("sub".into(), fc.subject(grant.identity, &grant.client_id).into());
    if fc.misbehaviour() == Misbehaviour::UnsignedUserinfo {
        return Json(Value::Object(claims)).into_response();
    }
    claims.insert("iss".into(), fc.config.issuer.clone().into());
    claims.insert("aud".into(), grant.client_id.clone().into());
    match fc.seal(&claims, false).await {
        Some(jwt) => ([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response(),
        None => token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    }
}

#[derive(Debug, Deserialize)]
struct EndSession {
    id_token_hint: Option<String>,
    state: Option<String>,
    post_logout_redirect_uri: Option<String>,
}

async fn end_session(State(fc): State<Arc<Standin>>, Query(params): Query<EndSession>) -> Response {
    let Some(back) = params.post_logout_redirect_uri.filter(|u| fc.config.post_logout_redirect_uris.contains(u)) else {
        return page(&fc, "Erreur", "<p>post_logout_redirect_uri inconnue</p>");
    };
    if params.id_token_hint.is_none_or(|hint| fc.keys.verify(&hint).is_err()) {
        return page(&fc, "Erreur", "<p>id_token_hint invalide</p>");
    }
    let Ok(mut url) = url::Url::parse(&back) else {
        return page(&fc, "Erreur", "<p>post_logout_redirect_uri invalide</p>");
    };
    if let Some(state) = params.state.filter(|_| fc.misbehaviour() != Misbehaviour::DropLogoutState) {
        url.query_pairs_mut().append_pair("state", &state);
    }
    Redirect::to(url.as_str()).into_response()
}
