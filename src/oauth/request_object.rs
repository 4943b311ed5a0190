//! Authorization requests that do not come as plain parameters: request objects by value
//! (`request`) or by reference (`request_uri`), OIDC Core §6 and RFC 9101, and pushed requests
//! (RFC 9126) whose `request_uri` is a one-time reference to what the client pushed.
//!
//! Merge rule: for a client that pushes or signs every request, only the request object's
//! parameters count (RFC 9101 §6.3); for the others, the request object's parameters supersede
//! the query's ones and the query fills the rest (OIDC Core §6.3).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::Client;
use super::client_metadata::ALG_NONE;
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use crate::provider::Provider;
use crate::signing::client_keys::verify_with_jwks;
use crate::signing::jwt::split;

/// RFC 9126 §2.2: the prefix of the `request_uri` the PAR endpoint hands out.
pub const PUSHED_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request can be used (RFC 9126 §2.2 suggests 5 to 600 seconds): the time
/// for a browser to be sent to the authorization endpoint.
pub const PUSHED_LIFETIME_SECONDS: i64 = 90;
/// Largest request object fetched from a client's `request_uris`.
const MAX_FETCHED_BYTES: usize = 32 * 1024;
/// Clock skew tolerated on `nbf`, `iat` and `exp`.
const SKEW: i64 = 60;
/// JWT claims that are not authorization parameters.
const JWT_ONLY_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

fn invalid_object(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestObject, description)
}

fn invalid_uri(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestUri, description)
}

/// What was pushed, stored under the `request_uri` until used once or expired.
#[derive(Debug, Serialize, Deserialize)]
struct Pushed {
    client_id: String,
    params: Params,
    /// Checked on our clock as well as by the store's expiry.
    expires_at: i64,
}

fn pushed_key(reference: &str) -> String {
    format!("par:{}", crate::secrets::digest(reference))
}

/// The parameters that make up `client`'s authorization request, from the query or form
/// (`outer`) and any request object or pushed request it names.
pub async fn resolve(provider: &Provider, client: &Client, outer: &Params) -> Result<Params, OAuthError> {
    let pushed_reference = outer.get("request_uri").filter(|uri| uri.starts_with(PUSHED_URI_PREFIX));
    if let Some(reference) = pushed_reference {
        return take_pushed(provider, client, reference).await;
    }
    if client.metadata.require_pushed_authorization_requests {
        return Err(OAuthError::invalid_request("this client must push its authorization requests (PAR)"));
    }
    let object = match (outer.get("request"), outer.get("request_uri")) {
        (Some(_), Some(_)) => return Err(OAuthError::invalid_request("use request or request_uri, not both")),
        (Some(object), None) => object.to_owned(),
        (None, Some(uri)) => fetch(provider, client, uri).await?,
        (None, None) if client.metadata.require_signed_request_object => {
            return Err(OAuthError::invalid_request("this client must send a signed request object"));
        }
        (None, None) => return Ok(outer.clone()),
    };
    from_object(provider, client, outer, &object).await
}

/// The parameters pushed to the PAR endpoint: the form itself, or its request object alone.
pub async fn pushed_params(provider: &Provider, client: &Client, form: &Params) -> Result<Params, OAuthError> {
    if form.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request("request_uri cannot be pushed"));
    }
    if form.get("client_id").is_some_and(|id| id != client.client_id) {
        return Err(OAuthError::invalid_request("client_id is not the authenticated client"));
    }
    let mut params = match form.get("request") {
        // RFC 9126 §3: with a request object, its parameters are the request.
        Some(object) => {
            let claims = verify(provider, client, object).await?;
            params_of(client, &claims)?
        }
        None if client.metadata.require_signed_request_object => {
            return Err(OAuthError::invalid_request("this client must send a signed request object"));
        }
        None => form.clone(),
    };
    for credential in ["client_secret", "client_assertion", "client_assertion_type"] {
        params.remove(credential);
    }
    params.insert("client_id", client.client_id.clone());
    Ok(params)
}

/// Stores pushed parameters and returns their one-time `request_uri`.
pub async fn push(provider: &Provider, client: &Client, params: Params) -> Result<String, OAuthError> {
    let reference = format!("{PUSHED_URI_PREFIX}{}", crate::secrets::random_token(32));
    let expires_at = provider.now() + PUSHED_LIFETIME_SECONDS;
    let pushed = Pushed { client_id: client.client_id.clone(), params, expires_at };
    let value = serde_json::to_string(&pushed).map_err(|_| OAuthError::server_error())?;
    provider.ephemeral.put_single_use(&pushed_key(&reference), value, String::new(), PUSHED_LIFETIME_SECONDS).await?;
    Ok(reference)
}

/// RFC 9126 §4: single use, unexpired, and the client's own.
async fn take_pushed(provider: &Provider, client: &Client, reference: &str) -> Result<Params, OAuthError> {
    use crate::store::ephemeral::Taken;
    let expired = || invalid_uri("the request_uri is unknown, expired or already used");
    let Taken::Value(value) = provider.ephemeral.take(&pushed_key(reference), PUSHED_LIFETIME_SECONDS).await? else {
        return Err(expired());
    };
    let pushed: Pushed = serde_json::from_str(&value).map_err(|_| expired())?;
    if pushed.expires_at < provider.now() {
        return Err(expired());
    }
    if pushed.client_id != client.client_id {
        return Err(invalid_uri("the request_uri was pushed by another client"));
    }
    Ok(pushed.params)
}

/// Fetches a request object from one of the client's registered `request_uris` (OIDC Core
/// §6.2), through the SSRF-guarded client. The fragment is not part of the comparison: a
/// client may use it to defeat caches.
async fn fetch(provider: &Provider, client: &Client, uri: &str) -> Result<String, OAuthError> {
    let without_fragment = |u: &str| u.split('#').next().unwrap_or_default().to_owned();
    let wanted = without_fragment(uri);
    if !client.metadata.request_uris.iter().any(|r| without_fragment(r) == wanted) {
        return Err(invalid_uri("the request_uri is not registered for this client"));
    }
    let body =
        crate::outbound::get_bounded(&provider.http, &wanted, provider.config.is_loopback_http(), MAX_FETCHED_BYTES)
            .await
            .map_err(|e| {
                tracing::info!(client_id = %client.client_id, error = %e, "request_uri could not be fetched");
                invalid_uri("the request_uri could not be fetched")
            })?;
    String::from_utf8(body)
        .map(|s| s.trim().to_owned())
        .map_err(|_| invalid_uri("the request_uri does not hold a request object"))
}

/// Verifies a request object and merges it with the outer parameters.
async fn from_object(provider: &Provider, client: &Client, outer: &Params, object: &str) -> Result<Params, OAuthError> {
    let claims = verify(provider, client, object).await?;
    let inner = params_of(client, &claims)?;
    // OIDC Core §6.1: response_type and client_id outside must match those inside.
    for name in ["response_type", "client_id"] {
        if let (Some(a), Some(b)) = (outer.get(name), inner.get(name))
            && a != b
        {
            return Err(invalid_object("the request object and the query disagree on response_type or client_id"));
        }
    }
    if client.metadata.request_object_only() {
        let mut only = inner;
        only.insert("client_id", client.client_id.clone());
        return Ok(only);
    }
    let mut merged = outer.clone();
    merged.remove("request");
    merged.remove("request_uri");
    for (name, value) in inner.iter() {
        merged.insert(name, value.to_owned());
    }
    Ok(merged)
}

/// Checks the signature (or the client's consent to unsigned objects) and the JWT claims.
async fn verify(provider: &Provider, client: &Client, object: &str) -> Result<Map<String, Value>, OAuthError> {
    if object.split('.').count() == 5 {
        return Err(invalid_object("encrypted request objects are not supported"));
    }
    let (header, claims, _, signature) =
        split(object).map_err(|_| invalid_object("the request object is not a JWT"))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let registered = client.metadata.request_object_signing_alg.as_deref();
    if registered.is_some_and(|r| r != alg) {
        return Err(invalid_object("the request object is not signed with the client's registered algorithm"));
    }
    let signed = alg != ALG_NONE;
    if !signed {
        if !client.metadata.allows_unsigned_request_objects() || !signature.is_empty() {
            return Err(invalid_object("unsigned request objects are not accepted from this client"));
        }
    } else {
        verify_signature(provider, client, object).await?;
    }
    check_claims(provider, client, &claims, signed)?;
    Ok(claims)
}

async fn verify_signature(provider: &Provider, client: &Client, object: &str) -> Result<(), OAuthError> {
    use super::client_jwks::keys_of;
    let unsigned = || invalid_object("the request object is not signed by one of the client's keys");
    let keys = keys_of(provider, client, false).await?.ok_or_else(unsigned)?;
    if verify_with_jwks(object, &keys).is_ok() {
        return Ok(());
    }
    // The client may have rotated the keys it publishes: fetch them again, once.
    if client.jwks_uri.is_some()
        && let Some(fresh) = keys_of(provider, client, true).await?
        && verify_with_jwks(object, &fresh).is_ok()
    {
        return Ok(());
    }
    Err(unsigned())
}

/// RFC 9101 §4, §10.8: `iss` is the client and `aud` this provider (both required when signed,
/// so a JWT made for someone else cannot be replayed here), unexpired, not before its time.
fn check_claims(
    provider: &Provider,
    client: &Client,
    claims: &Map<String, Value>,
    signed: bool,
) -> Result<(), OAuthError> {
    let str_claim = |name: &str| claims.get(name).and_then(Value::as_str);
    match str_claim("iss") {
        Some(iss) if iss != client.client_id => {
            return Err(invalid_object("the request object's iss is not the client"));
        }
        None if signed => return Err(invalid_object("the request object has no iss")),
        _ => {}
    }
    let issuer = provider.issuer();
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == issuer,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(issuer)),
        None => !signed,
        _ => false,
    };
    if !audience_ok {
        return Err(invalid_object("the request object is not addressed to this provider (aud)"));
    }
    let now = provider.now();
    let int_claim = |name: &str| claims.get(name).map(|v| v.as_i64().ok_or(()));
    let time = |name: &'static str| -> Result<Option<i64>, OAuthError> {
        int_claim(name).transpose().map_err(|_| invalid_object("a request object time claim is not a number"))
    };
    if time("exp")?.is_some_and(|exp| exp + SKEW <= now) {
        return Err(invalid_object("the request object has expired"));
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now + SKEW) {
        return Err(invalid_object("the request object is not valid yet"));
    }
    time("iat")?;
    Ok(())
}

/// The authorization parameters a request object carries: strings as they are, numbers as
/// decimal text, objects (`claims`) as JSON text.
fn params_of(client: &Client, claims: &Map<String, Value>) -> Result<Params, OAuthError> {
    let mut params = Params::default();
    for (name, value) in claims {
        if JWT_ONLY_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        if name == "request" || name == "request_uri" {
            return Err(invalid_object("a request object cannot contain request or request_uri"));
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Object(_) => value.to_string(),
            Value::Null => continue,
            Value::Array(_) => return Err(invalid_object("a request object parameter cannot be an array")),
        };
        if text.len() > super::params::MAX_PARAM_LEN {
            return Err(invalid_object("a request object parameter is too long"));
        }
        params.insert(name, text);
    }
    if params.get("client_id").is_some_and(|id| id != client.client_id) {
        return Err(invalid_object("the request object's client_id is not the client"));
    }
    Ok(params)
}
