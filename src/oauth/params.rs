//! Request parameters as the protocol reads them (RFC 6749 §3.1, §3.2): form- or
//! query-encoded, each at most once, empty values treated as absent.

use std::collections::HashMap;

use super::error::OAuthError;

/// Longest value accepted for any single parameter; longer is `invalid_request`.
pub const MAX_PARAM_LEN: usize = 4096;
/// Signed JWTs (request objects, client assertions) carry more.
const MAX_JWT_PARAM_LEN: usize = 16 * 1024;
/// Most parameters accepted in one request.
const MAX_PARAMS: usize = 64;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text. A parameter repeated is
    /// `invalid_request` ("Request and response parameters MUST NOT be included more than once").
    pub fn parse(encoded: &[u8]) -> Result<Params, OAuthError> {
        let mut map = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            let limit =
                if matches!(name.as_ref(), "request" | "client_assertion") { MAX_JWT_PARAM_LEN } else { MAX_PARAM_LEN };
            if value.len() > limit || name.len() > 256 {
                return Err(OAuthError::invalid_request(format!("parameter {name} is too long")));
            }
            if value.is_empty() {
                continue;
            }
            if map.len() >= MAX_PARAMS {
                return Err(OAuthError::invalid_request("too many parameters"));
            }
            if map.insert(name.clone().into_owned(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!("parameter {name} is repeated")));
            }
        }
        Ok(Params(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn insert(&mut self, name: &str, value: String) {
        self.0.insert(name.to_owned(), value);
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Params {
        Params(pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_ignored() {
        assert!(Params::parse(b"a=1&a=2").is_err());
        let p = Params::parse(b"a=1&b=&c=%20x").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some(" x"));
        assert!(Params::parse(format!("a={}", "x".repeat(MAX_PARAM_LEN + 1)).as_bytes()).is_err());
        assert!(Params::parse(b"%FF%FE=%C3%28").is_ok(), "invalid UTF-8 is replaced, not a panic");
    }
}
