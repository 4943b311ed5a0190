//! The discovery document (OIDC Discovery §3, RFC 8414), built once at start from the same
//! facts the endpoints enforce, advertising only what works.

use serde_json::{Value, json};

use super::claims::supported_claims;
use super::scope::STANDARD_SCOPES;
use crate::identity::ACR_VALUES_SUPPORTED;
use crate::signing::SigningAlg;

/// Paths of every endpoint, relative to the issuer.
pub mod paths {
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const AUTHORIZE: &str = "/authorize";
    pub const TOKEN: &str = "/token";
    pub const USERINFO: &str = "/userinfo";
    pub const JWKS: &str = "/jwks";
    pub const INTROSPECT: &str = "/introspect";
    pub const REVOKE: &str = "/revoke";
    pub const END_SESSION: &str = "/end_session";
    pub const PAR: &str = "/par";
    pub const REGISTER: &str = "/register";
}

/// Our discovery document; `eidas_levels`: the levels the configured FranceConnect platforms
/// reach, each an `acr` a client may ask for and receive.
pub fn metadata(issuer: &str, eidas_levels: &[&str]) -> Value {
    let acr_values: Vec<&str> = ACR_VALUES_SUPPORTED.iter().chain(eidas_levels).copied().collect();
    let url = |path: &str| format!("{issuer}{path}");
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    let client_auth = ["client_secret_basic", "client_secret_post", "private_key_jwt"];
    let client_algs = crate::signing::client_keys::CLIENT_SIGNING_ALGS;
    // `none` only for clients registered for it (OIDC Registration `request_object_signing_alg`).
    let request_object_algs: Vec<&str> = client_algs.iter().copied().chain(["none"]).collect();
    let mut metadata = json!({
        "issuer": issuer,
        "authorization_endpoint": url(paths::AUTHORIZE),
        "token_endpoint": url(paths::TOKEN),
        "userinfo_endpoint": url(paths::USERINFO),
        "jwks_uri": url(paths::JWKS),
        "introspection_endpoint": url(paths::INTROSPECT),
        "revocation_endpoint": url(paths::REVOKE),
        "end_session_endpoint": url(paths::END_SESSION),
        "pushed_authorization_request_endpoint": url(paths::PAR),
        "registration_endpoint": url(paths::REGISTER),
        "require_pushed_authorization_requests": false,
        "scopes_supported": STANDARD_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "userinfo_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": client_algs,
        "introspection_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint_auth_signing_alg_values_supported": client_algs,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": client_algs,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": supported_claims(),
        "claims_parameter_supported": true,
        "request_parameter_supported": true,
        "request_uri_parameter_supported": true,
        "require_request_uri_registration": true,
        "request_object_signing_alg_values_supported": request_object_algs,
        "acr_values_supported": acr_values,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "display_values_supported": ["page", "popup", "touch"],
        "ui_locales_supported": ["fr", "en"],
        "claims_locales_supported": ["fr"],
        "authorization_response_iss_parameter_supported": true,
    });
    // OpenID Connect for Identity Assurance 1.0: what FranceConnect certified, when it is there.
    if !eidas_levels.is_empty()
        && let Some(object) = metadata.as_object_mut()
    {
        use crate::federation::assurance;
        object.insert("verified_claims_supported".into(), true.into());
        object.insert("trust_frameworks_supported".into(), json!([assurance::TRUST_FRAMEWORK]));
        object.insert("evidence_supported".into(), json!([assurance::EVIDENCE]));
        object.insert("claims_in_verified_claims_supported".into(), json!(assurance::CLAIMS_IN_VERIFIED_CLAIMS));
    }
    // Logout (OIDC Back-Channel and Front-Channel Logout §2.1, §3) and DPoP (RFC 9449 §5.1).
    let more = json!({
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "dpop_signing_alg_values_supported": super::dpop::SIGNING_ALGS,
        "id_token_encryption_alg_values_supported": super::encryption::ALGS,
        "id_token_encryption_enc_values_supported": super::encryption::ENCS,
        "userinfo_encryption_alg_values_supported": super::encryption::ALGS,
        "userinfo_encryption_enc_values_supported": super::encryption::ENCS,
    });
    if let (Value::Object(all), Value::Object(more)) = (&mut metadata, more) {
        all.extend(more);
    }
    metadata
}
