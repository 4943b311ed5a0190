//! `/admin/api/clients` and `/admin/api/registration-tokens`: partners' applications. Members
//! carry the client metadata names of RFC 7591 §2, plus what only an administrator sets.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::input::{self, Members};
use super::{Authenticated, JsonObject, if_match, versioned};
use crate::admin::{AdminError, clients};
use crate::http::AppState;
use crate::oauth::client::{AuthMethod, Client, ClientSpec, GrantType, SubjectType};
use crate::oauth::scope::Scopes;
use crate::signing::SigningAlg;

/// What a change may carry; creation also takes `CREATION_ONLY`.
const MEMBERS: [&str; 21] = [
    "client_name",
    "token_endpoint_auth_method",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "scope",
    "resources",
    "require_pkce",
    "rotate_refresh_tokens",
    "refresh_grace_seconds",
    "jwks",
    "jwks_uri",
    "backchannel_logout_uri",
    "frontchannel_logout_uri",
    "consent_withdrawal_uri",
    "require_pushed_authorization_requests",
    "dpop_bound_access_tokens",
    "client_uri",
    "logo_uri",
    "policy_uri",
    "tos_uri",
];
const CREATION_ONLY: [&str; 4] = ["client_id", "partner_id", "subject_type", "id_token_signed_response_alg"];

fn parsed<T>(
    field: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, AdminError> {
    value.map(|v| parse(&v).ok_or_else(|| AdminError::invalid(field, expected))).transpose()
}

/// Applies the members of `m` to `spec`.
fn apply(spec: &mut ClientSpec, m: &mut Members) -> Result<(), AdminError> {
    let methods = "client_secret_basic, client_secret_post, private_key_jwt, none";
    if let Some(method) = parsed(
        "token_endpoint_auth_method",
        m.take("token_endpoint_auth_method", methods)?,
        AuthMethod::parse,
        methods,
    )? {
        spec.auth_method = method;
    }
    let meta = &mut spec.metadata;
    if let Some(name) = m.take("client_name", "a string")? {
        spec.name = name;
    }
    if let Some(uris) = m.take("redirect_uris", "a list of URIs")? {
        spec.redirect_uris = uris;
    }
    if let Some(uris) = m.take("post_logout_redirect_uris", "a list of URIs")? {
        spec.post_logout_redirect_uris = uris;
    }
    if let Some(grants) = m.take::<Vec<String>>("grant_types", "a list of grant types")? {
        spec.grant_types = grants
            .iter()
            .map(|g| {
                GrantType::parse(g).ok_or_else(|| {
                    AdminError::invalid("grant_types", "authorization_code, refresh_token, client_credentials")
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(scope) = m.take::<String>("scope", "a space-separated string")? {
        spec.scopes =
            Some(Scopes::parse(&scope).map_err(|_| AdminError::invalid("scope", "space-separated scope tokens"))?);
    }
    if let Some(resources) = m.take("resources", "a list of URIs")? {
        spec.resources = resources;
    }
    if let Some(v) = m.take("require_pkce", "a boolean")? {
        spec.require_pkce = v;
    }
    if let Some(v) = m.take("rotate_refresh_tokens", "a boolean")? {
        spec.rotate_refresh_tokens = v;
    }
    if let Some(v) = m.take("refresh_grace_seconds", "an integer")? {
        spec.refresh_grace_seconds = v;
    }
    if let Some(jwks) = m.nullable::<Value>("jwks", "a JWK set object")? {
        spec.jwks = match jwks {
            Some(set @ Value::Object(_)) => Some(set.to_string()),
            Some(_) => return Err(AdminError::invalid("jwks", "a JWK set object")),
            None => None,
        };
    }
    let uri = "an https URL, or null";
    if let Some(v) = m.nullable("jwks_uri", uri)? {
        spec.jwks_uri = v;
    }
    if let Some(v) = m.nullable("backchannel_logout_uri", uri)? {
        spec.backchannel_logout_uri = v;
    }
    if let Some(v) = m.nullable("frontchannel_logout_uri", uri)? {
        spec.frontchannel_logout_uri = v;
    }
    if let Some(v) = m.nullable("consent_withdrawal_uri", uri)? {
        meta.consent_withdrawal_uri = v;
    }
    if let Some(v) = m.take("require_pushed_authorization_requests", "a boolean")? {
        meta.require_pushed_authorization_requests = v;
    }
    if let Some(v) = m.take("dpop_bound_access_tokens", "a boolean")? {
        meta.dpop_bound_access_tokens = v;
    }
    for (name, slot) in [
        ("client_uri", &mut meta.client_uri),
        ("logo_uri", &mut meta.logo_uri),
        ("policy_uri", &mut meta.policy_uri),
        ("tos_uri", &mut meta.tos_uri),
    ] {
        if let Some(v) = m.nullable(name, uri)? {
            *slot = v;
        }
    }
    Ok(())
}

fn shown(client: &Client) -> Response {
    versioned(StatusCode::OK, client.version, client, None)
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let params = input::query(raw.as_deref(), &["partner", "limit", "after"])?;
    let all = clients::list(&state.provider, &caller, params.get("partner").map(String::as_str)).await?;
    Ok(Json(input::page(&all, &params, |c: &Client| &c.client_id)?).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    let known: Vec<&str> = MEMBERS.iter().chain(CREATION_ONLY.iter()).copied().collect();
    let mut m = Members::new(body, &known)?;
    let mut spec = ClientSpec {
        client_id: m.take("client_id", "a string")?,
        partner_id: m.take("partner_id", "a partner id")?,
        ..ClientSpec::default()
    };
    if let Some(kind) =
        parsed("subject_type", m.take("subject_type", "public or pairwise")?, SubjectType::parse, "public or pairwise")?
    {
        spec.subject_type = kind;
    }
    let algs = "RS256, ES256 or EdDSA";
    if let Some(alg) =
        parsed("id_token_signed_response_alg", m.take("id_token_signed_response_alg", algs)?, SigningAlg::parse, algs)?
    {
        spec.id_token_alg = alg;
    }
    apply(&mut spec, &mut m)?;
    if spec.name.is_empty() {
        return Err(AdminError::invalid("client_name", "required"));
    }
    let registered = clients::create(&state.provider, &caller, spec).await?;
    let location = format!("/clients/{}", registered.client.client_id);
    Ok(versioned(StatusCode::CREATED, registered.client.version, &registered, Some(location)))
}

pub async fn show(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    Ok(shown(&clients::get(&state.provider, &caller, &id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    if body.is_empty() {
        return Err(AdminError::invalid("body", "nothing to change"));
    }
    let current = clients::get(&state.provider, &caller, &id).await?;
    let version = if_match(&headers)?.unwrap_or(current.version);
    let mut m = Members::new(body, &MEMBERS)?;
    let fields = m.names();
    let mut spec = current.to_spec();
    apply(&mut spec, &mut m)?;
    let updated = clients::update(&state.provider, &caller, &current, spec, version, &fields).await?;
    let mut response = versioned(StatusCode::OK, updated.client.version, &updated, None);
    if updated.client_secret.is_some() {
        // A new secret (a change to a secret method), shown this once.
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let current = clients::get(&state.provider, &caller, &id).await?;
    clients::delete(&state.provider, &caller, &current).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    let current = clients::get(&state.provider, &caller, &id).await?;
    let keep = Members::new(body, &["keep_previous_for"])?.take("keep_previous_for", "seconds")?;
    let secret = clients::rotate_secret(&state.provider, &caller, &current, keep).await?;
    let mut response = Json(secret).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn registration_token(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    let mut m = Members::new(body, &["partner_id", "uses", "expires_in"])?;
    let partner: Option<String> = m.take("partner_id", "a partner id")?;
    let uses = m.take("uses", "an integer from 1 to 1000")?.unwrap_or(1);
    let expires_in = m.take("expires_in", "seconds, 60 to 7776000")?.unwrap_or(7 * 86_400);
    let token = clients::registration_token(&state.provider, &caller, partner.as_deref(), uses, expires_in).await?;
    let mut response =
        (StatusCode::CREATED, Json(json!({ "initial_access_token": token, "uses": uses, "expires_in": expires_in })))
            .into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn purposes(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let current = clients::get(&state.provider, &caller, &id).await?;
    Ok(Json(json!({ "items": clients::purposes(&state.provider, &caller, &current).await? })).into_response())
}

pub async fn declare_purpose(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, scope)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Response, AdminError> {
    let current = clients::get(&state.provider, &caller, &id).await?;
    let mut m = Members::new(body, &["purpose", "retention", "essential"])?;
    let purpose: String = m.take("purpose", "a string")?.ok_or_else(|| AdminError::invalid("purpose", "required"))?;
    let declaration = crate::consent::Declaration {
        scope,
        purpose,
        retention: m
            .take::<String>("retention", "a string")?
            .unwrap_or_else(|| crate::consent::DEFAULT_RETENTION.to_owned()),
        essential: m.take("essential", "a boolean")?.unwrap_or(false),
        label: None,
    };
    let all = clients::declare_purpose(&state.provider, &caller, &current, declaration).await?;
    Ok(Json(json!({ "items": all })).into_response())
}
