//! Redirect URI registration and matching (RFC 6749 §3.1.2, RFC 8252 §7.3, RFC 9700 §4.1):
//! input is `registered NUL requested`. Matching is exact but for a loopback IP's port, so a
//! match between two different strings must be that case and nothing looser.
#![no_main]

use glc::oauth::authorize::redirect_uri_matches;
use glc::oauth::client::check_redirect_uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (registered, requested) = text.split_once('\0').unwrap_or((text, text));
    let _ = check_redirect_uri(registered);
    if redirect_uri_matches(registered, requested) && registered != requested {
        for uri in [registered, requested] {
            let url = url::Url::parse(uri).expect("a loose match parses");
            assert_eq!(url.scheme(), "http", "{uri}: only http loopback matches loosely");
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                _ => false,
            };
            assert!(loopback, "{uri}: only a loopback IP matches on any port");
        }
        let strip = |uri: &str| {
            let mut url = url::Url::parse(uri).expect("parsed above");
            let _ = url.set_port(None);
            url.to_string()
        };
        assert_eq!(strip(registered), strip(requested), "a loose match differs beyond the port");
    }
});
