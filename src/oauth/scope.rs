//! Scopes (RFC 6749 §3.3): a space-delimited, order-insensitive set of tokens.

use std::collections::BTreeSet;
use std::fmt;

use super::error::{ErrorCode, OAuthError};

/// The OpenID Connect scopes this provider knows (OIDC Core §5.4, §11).
pub const OPENID: &str = "openid";
pub const OFFLINE_ACCESS: &str = "offline_access";
pub const STANDARD_SCOPES: [&str; 6] = ["openid", "profile", "email", "address", "phone", "offline_access"];

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a `scope` parameter; each token must be `NQCHAR`s (RFC 6749 Appendix A.4).
    pub fn parse(text: &str) -> Result<Scopes, OAuthError> {
        let mut set = BTreeSet::new();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            let valid = token.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid || token.len() > 128 {
                return Err(OAuthError::new(ErrorCode::InvalidScope, "malformed scope"));
            }
            set.insert(token.to_owned());
        }
        Ok(Scopes(set))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The scopes of `self` that `allowed` also has.
    pub fn intersect(&self, allowed: &Scopes) -> Scopes {
        Scopes(self.0.intersection(&allowed.0).cloned().collect())
    }

    pub fn union(&self, other: &Scopes) -> Scopes {
        Scopes(self.0.union(&other.0).cloned().collect())
    }

    pub fn insert(&mut self, scope: &str) {
        self.0.insert(scope.to_owned());
    }

    pub fn remove(&mut self, scope: &str) {
        self.0.remove(scope);
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

impl From<Scopes> for String {
    fn from(s: Scopes) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for Scopes {
    type Error = OAuthError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Scopes::parse(&s)
    }
}

impl<'a> FromIterator<&'a str> for Scopes {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        Scopes(iter.into_iter().map(str::to_owned).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_and_bad_characters_are_refused() {
        assert_eq!(Scopes::parse("openid email").unwrap(), Scopes::parse("email  openid").unwrap());
        assert_eq!(Scopes::parse("email openid").unwrap().to_string(), "email openid");
        assert!(Scopes::parse("open\"id").is_err());
        assert!(Scopes::parse("a\\b").is_err());
    }
}
