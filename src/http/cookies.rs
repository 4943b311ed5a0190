//! The provider's cookies: `HttpOnly`, `SameSite=Lax`, `Path=/`, and on an https issuer the
//! `__Host-` prefix with `Secure` (so no subdomain or plain-http page can set or read them).

use axum_extra::extract::cookie::{Cookie, SameSite};

/// The SSO session.
pub const SESSION: &str = "glc_session";
/// Binds an interaction (login/consent in progress) to the browser that started it.
pub const FLOW: &str = "glc_flow";

pub fn name(base: &str, https: bool) -> String {
    if https { format!("__Host-{base}") } else { base.to_owned() }
}

pub fn build(base: &str, value: String, https: bool) -> Cookie<'static> {
    let mut cookie = Cookie::new(name(base, https), value);
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(https);
    cookie
}

pub fn removal(base: &str, https: bool) -> Cookie<'static> {
    let mut cookie = build(base, String::new(), https);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_issuers_get_host_prefixed_secure_cookies() {
        let secure = build(SESSION, "v".into(), true).to_string();
        assert!(secure.starts_with("__Host-glc_session=v"), "{secure}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(secure.contains(attribute), "{attribute} missing in {secure}");
        }
        assert!(!secure.contains("Domain"), "__Host- cookies have no Domain");
        let local = build(SESSION, "v".into(), false).to_string();
        assert!(local.starts_with("glc_session=v") && !local.contains("Secure"), "{local}");
    }
}
