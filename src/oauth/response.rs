//! Authorization responses (RFC 6749 §4.1.2, OAuth 2.0 Form Post Response Mode), always with
//! `iss` (RFC 9207) so a client talking to several providers cannot be mixed up.

use serde::{Deserialize, Serialize};

use super::error::OAuthError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// Where and how a response for a verified `redirect_uri` is delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTarget {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
}

/// A response ready for delivery: to the redirect URI's query, or as an auto-submitted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(String, String)>,
}

impl ResponseTarget {
    fn respond(&self, mut params: Vec<(String, String)>, issuer: &str) -> AuthorizationResponse {
        if let Some(state) = &self.state {
            params.push(("state".into(), state.clone()));
        }
        params.push(("iss".into(), issuer.to_owned()));
        AuthorizationResponse { redirect_uri: self.redirect_uri.clone(), mode: self.mode, params }
    }

    pub fn code(&self, code: String, issuer: &str) -> AuthorizationResponse {
        self.respond(vec![("code".into(), code)], issuer)
    }

    pub fn error(&self, error: &OAuthError, issuer: &str) -> AuthorizationResponse {
        self.respond(
            vec![
                ("error".into(), error.code.as_str().to_owned()),
                ("error_description".into(), error.description.to_string()),
            ],
            issuer,
        )
    }
}

impl AuthorizationResponse {
    /// The redirect URI with the parameters added to its query (keeping any query it had,
    /// RFC 6749 §3.1.2).
    pub fn redirect_url(&self) -> String {
        match url::Url::parse(&self.redirect_uri) {
            Ok(mut url) => {
                url.query_pairs_mut().extend_pairs(self.params.iter());
                url.to_string()
            }
            // Unreachable for a registered URI (validated at registration); fall back safely.
            Err(_) => self.redirect_uri.clone(),
        }
    }

    /// The redirect URI's origin, for the form-post page's `form-action` CSP.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.redirect_uri).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_carry_state_and_iss_and_keep_the_registered_query() {
        let target = ResponseTarget {
            redirect_uri: "https://a.fr/cb?x=1".into(),
            mode: ResponseMode::Query,
            state: Some("s t".into()),
        };
        let url = target.code("c".into(), "https://op").redirect_url();
        assert_eq!(url, "https://a.fr/cb?x=1&code=c&state=s+t&iss=https%3A%2F%2Fop");
    }
}
