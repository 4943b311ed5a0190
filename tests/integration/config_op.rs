//! The Config OP plan (`oidcc-config-certification-test-plan`).

use serde_json::Value;

use crate::support::TestServer;

#[tokio::test]
async fn oidcc_discovery_endpoint_verification() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let m: Value = response.json().await.unwrap();

    assert_eq!(m["issuer"], server.base, "issuer equals the discovery URL prefix");
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        let url = m[endpoint].as_str().unwrap_or_else(|| panic!("{endpoint} missing"));
        assert!(url.starts_with(&server.base), "{endpoint} under the issuer");
    }
    let list = |name: &str| -> Vec<String> {
        m[name]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an array"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(list("scopes_supported").contains(&"openid".to_owned()));
    assert_eq!(list("response_types_supported"), ["code"]);
    assert!(list("subject_types_supported").iter().all(|s| s == "public" || s == "pairwise"));
    assert!(list("id_token_signing_alg_values_supported").contains(&"RS256".to_owned()));
    assert_eq!(list("code_challenge_methods_supported"), ["S256"]);
    assert!(list("grant_types_supported").contains(&"authorization_code".to_owned()));
    assert!(list("claims_supported").contains(&"sub".to_owned()));
    assert_eq!(m["claims_parameter_supported"], true);
    assert_eq!(m["request_parameter_supported"], true);
    assert_eq!(m["request_uri_parameter_supported"], true);
    assert_eq!(m["require_request_uri_registration"], true);
    assert!(list("request_object_signing_alg_values_supported").iter().all(|a| a != "HS256"));
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    for tag in list("ui_locales_supported").iter().chain(list("claims_locales_supported").iter()) {
        assert!(tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "BCP 47 tag {tag}");
    }
    // Only names the OpenID and IANA registries define.
    let known = [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "scopes_supported",
        "response_types_supported",
        "response_modes_supported",
        "grant_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "token_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "code_challenge_methods_supported",
        "claims_supported",
        "claims_parameter_supported",
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "acr_values_supported",
        "prompt_values_supported",
        "display_values_supported",
        "ui_locales_supported",
        "claims_locales_supported",
        "authorization_response_iss_parameter_supported",
        "end_session_endpoint",
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
        "token_endpoint_auth_signing_alg_values_supported",
        "introspection_endpoint_auth_signing_alg_values_supported",
        "revocation_endpoint_auth_signing_alg_values_supported",
        "pushed_authorization_request_endpoint",
        "require_pushed_authorization_requests",
        "require_request_uri_registration",
        "request_object_signing_alg_values_supported",
        "registration_endpoint",
        "userinfo_signing_alg_values_supported",
        "dpop_signing_alg_values_supported",
        "id_token_encryption_alg_values_supported",
        "id_token_encryption_enc_values_supported",
        "userinfo_encryption_alg_values_supported",
        "userinfo_encryption_enc_values_supported",
    ];
    for key in m.as_object().unwrap().keys() {
        assert!(known.contains(&key.as_str()), "unknown metadata {key}");
    }

    // The JWKS: well-formed public keys, one per algorithm, each with a unique kid.
    let jwks: Value = reqwest::get(m["jwks_uri"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let mut kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    kids.dedup();
    assert_eq!(kids.len(), keys.len());
    let uses: Vec<(&str, &str)> =
        keys.iter().map(|k| (k["use"].as_str().unwrap(), k["alg"].as_str().unwrap())).collect();
    assert_eq!(
        uses,
        [("sig", "RS256"), ("sig", "ES256"), ("sig", "EdDSA"), ("enc", "RSA-OAEP-256"), ("enc", "ECDH-ES")],
        "one signing key per algorithm, and the encryption keys FranceConnect+ encrypts to"
    );
    for key in keys {
        assert!(["RSA", "EC", "OKP"].contains(&key["kty"].as_str().unwrap()));
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "private member {private} published");
        }
    }
}

/// `conformance/README.md` names a test for every module: each must exist (a renamed or deleted
/// test makes the table lie).
#[test]
fn the_conformance_table_names_tests_that_exist() {
    let root = env!("CARGO_MANIFEST_DIR");
    let table = std::fs::read_to_string(format!("{root}/conformance/README.md")).unwrap();
    let mut checked = 0;
    for line in table.lines().filter(|l| l.starts_with("| `oidcc-")) {
        let cell = line.split('|').nth(2).unwrap().trim();
        let (module, test) = cell.trim_matches('`').split_once("::").unwrap_or_else(|| panic!("no test in {line}"));
        let source = std::fs::read_to_string(format!("{root}/tests/integration/{module}.rs"))
            .unwrap_or_else(|_| panic!("no test module {module} for {line}"));
        assert!(
            source.contains(&format!("async fn {test}()")) || source.contains(&format!("fn {test}()")),
            "{module}::{test} does not exist"
        );
        checked += 1;
    }
    assert!(checked >= 38 + 1 + 11 + 2 + 2 + 38 + 23, "only {checked} modules in the table");
}
