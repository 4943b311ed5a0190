//! Authorization and token request parameters: the form/query decoding every protocol
//! endpoint starts with, then the value parsers a request's parameters go through (scope,
//! PKCE, the `claims` request, the enumerations a client registers). Nothing may panic; a
//! parse that succeeds must hold only what the rules allow.
#![no_main]

use glc::oauth::claims::ClaimsRequest;
use glc::oauth::client::{AuthMethod, GrantType, SubjectType};
use glc::oauth::params::{MAX_PARAM_LEN, Params};
use glc::oauth::pkce;
use glc::oauth::scope::Scopes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(params) = Params::parse(data) else { return };
    for (name, value) in params.iter() {
        assert!(!value.is_empty(), "an empty value is absent, not kept");
        let jwt = matches!(name, "request" | "client_assertion");
        assert!(jwt || value.len() <= MAX_PARAM_LEN, "{name} longer than the limit was kept");
    }
    if let Some(scope) = params.get("scope")
        && let Ok(scopes) = Scopes::parse(scope)
    {
        assert!(scopes.iter().all(|s| !s.is_empty() && !s.contains(' ')));
        assert!(scopes.is_subset(&scopes.union(&scopes)));
    }
    let challenge = params.get("code_challenge");
    if let Ok(Some(kept)) = pkce::check_challenge(challenge, params.get("code_challenge_method")) {
        // Only S256 challenges are kept (RFC 9700 §2.1.1: no `plain`, no downgrade).
        assert_eq!(Some(kept.as_str()), challenge);
    }
    let _ = pkce::verify(challenge, params.get("code_verifier"));
    if let Some(claims) = params.get("claims")
        && let Ok(request) = ClaimsRequest::parse(claims)
    {
        let _ = request.implied_scopes();
        let _ = request.essential_acr_values();
    }
    for value in [params.get("token_endpoint_auth_method"), params.get("grant_type"), params.get("subject_type")] {
        let value = value.unwrap_or_default();
        let _ = (AuthMethod::parse(value), GrantType::parse(value), SubjectType::parse(value));
    }
});
