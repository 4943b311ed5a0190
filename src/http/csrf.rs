//! CSRF protection for the forms that belong to no interaction (sign-up, recovery): a random
//! token in a cookie and in the form, compared on submission (double submit). The cookie is
//! `HttpOnly`, `SameSite=Lax` and `__Host-` on https, so another site can neither read it nor
//! plant one.

use axum_extra::extract::CookieJar;

use super::cookies;
use crate::secrets;

pub const COOKIE: &str = "glc_csrf";

/// The browser's token (a new one if it has none) and the jar that sets it.
pub fn token(jar: CookieJar, https: bool) -> (CookieJar, String) {
    let name = cookies::name(COOKIE, https);
    if let Some(existing) = jar.get(&name).map(|c| c.value().to_owned()).filter(|v| v.len() == 43) {
        return (jar, existing);
    }
    let fresh = secrets::random_token(32);
    (jar.add(cookies::build(COOKIE, fresh.clone(), https)), fresh)
}

/// Whether the submitted token is the browser's.
pub fn verify(jar: &CookieJar, https: bool, submitted: Option<&str>) -> bool {
    match (jar.get(&cookies::name(COOKIE, https)), submitted) {
        (Some(cookie), Some(submitted)) => {
            !submitted.is_empty() && secrets::constant_time_eq(cookie.value(), submitted)
        }
        _ => false,
    }
}
