//! What FranceConnect and FranceConnect+ send back: the ID token (opened when encrypted, then
//! parsed) and the userinfo answer (opened, verified against FranceConnect's JWK set, then
//! read). Input: `answer NUL jwks`. Nothing may panic; FranceConnect+ answers that are not
//! encrypted, and identities without their pivot (given and family names), are refused.
#![no_main]

use std::sync::OnceLock;

use glc::config::FranceConnectConfig;
use glc::federation::client::parse_id_token;
use glc::federation::{FranceConnect, Platform};
use glc_fuzz::{keys, two_parts};
use libfuzzer_sys::fuzz_target;

fn platforms() -> &'static [FranceConnect; 2] {
    static PLATFORMS: OnceLock<[FranceConnect; 2]> = OnceLock::new();
    PLATFORMS.get_or_init(|| {
        let config = |issuer: &str, acr: &str| FranceConnectConfig {
            issuer: issuer.to_owned(),
            client_id: "glc".to_owned(),
            client_secret: "fuzz".to_owned(),
            scopes: vec!["openid".to_owned(), "given_name".to_owned(), "family_name".to_owned()],
            acr_values: Some(acr.to_owned()),
            level_lifetime_seconds: None,
            redirect_uri: None,
            post_logout_redirect_uri: None,
        };
        let ours = "https://connect.grandlyon.example";
        [
            FranceConnect::new(config("https://fc.example/api/v2", "eidas1"), Platform::FranceConnect, ours)
                .expect("a FranceConnect client"),
            FranceConnect::new(config("https://fcp.example/api/v2", "eidas2"), Platform::FranceConnectPlus, ours)
                .expect("a FranceConnect+ client"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((answer, jwks)) = two_parts(data) else { return };
    let ours = keys();
    for platform in platforms() {
        if let Ok(opened) = platform.opened(answer, &ours, "ID token") {
            let _ = parse_id_token(&opened);
        }
        if let Ok(identity) = platform.read_userinfo(answer, "fuzz-subject", jwks, &ours) {
            assert!(!identity.given_name.is_empty() && !identity.family_name.is_empty());
            assert_eq!(identity.subject, "fuzz-subject");
        }
    }
});
