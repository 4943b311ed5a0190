//! Claims: which of a resident's attributes a client receives, by scope (OIDC Core §5.4) and
//! by the `claims` request parameter (OIDC Core §5.5).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::OAuthError;
use super::scope::Scopes;
use crate::identity::user::User;

/// One entry of the `claims` parameter: `null` or `{essential, value, values}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    /// In a `verified_claims` entry (OpenID Connect for Identity Assurance 1.0 §6): the
    /// verification asked for…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Value>,
    /// …and the claims wanted verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Map<String, Value>>,
}

impl ClaimSpec {
    /// The claim names a `verified_claims` entry asks for.
    pub fn verified_claim_names(&self) -> impl Iterator<Item = &str> {
        self.claims.iter().flat_map(|c| c.keys().map(String::as_str))
    }
}

/// The `claims` request parameter (OIDC Core §5.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub userinfo: BTreeMap<String, Option<ClaimSpec>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub id_token: BTreeMap<String, Option<ClaimSpec>>,
}

impl ClaimsRequest {
    pub fn parse(json: &str) -> Result<ClaimsRequest, OAuthError> {
        let invalid = || OAuthError::invalid_request("claims is not a valid claims request object");
        // An object, not any JSON serde could map onto the struct (an array would be).
        match serde_json::from_str::<Value>(json) {
            Ok(value @ Value::Object(_)) => serde_json::from_value(value).map_err(|_| invalid()),
            _ => Err(invalid()),
        }
    }

    /// The scopes whose claims this request asks for individually: consent must cover them.
    pub fn implied_scopes(&self) -> Scopes {
        let verified = [self.userinfo.get(VERIFIED_CLAIMS), self.id_token.get(VERIFIED_CLAIMS)]
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(ClaimSpec::verified_claim_names);
        self.userinfo
            .keys()
            .chain(self.id_token.keys())
            .map(String::as_str)
            .chain(verified)
            .filter_map(scope_of_claim)
            .collect()
    }

    /// The `values` an essential `acr` request accepts, if any (OIDC Core §5.5.1.1).
    pub fn essential_acr_values(&self) -> Option<Vec<String>> {
        let spec = self.id_token.get("acr")?.as_ref()?;
        if spec.essential != Some(true) {
            return None;
        }
        let mut values: Vec<String> =
            spec.values.iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
        if let Some(Value::String(v)) = &spec.value {
            values.push(v.clone());
        }
        (!values.is_empty()).then_some(values)
    }
}

/// The member of a claims request asking for verified claims (OIDC Identity Assurance).
pub const VERIFIED_CLAIMS: &str = "verified_claims";

/// The claims each scope releases (OIDC Core §5.4), limited to what accounts hold.
const PROFILE_CLAIMS: [&str; 8] =
    ["name", "given_name", "family_name", "preferred_username", "birthdate", "gender", "locale", "updated_at"];
const EMAIL_CLAIMS: [&str; 2] = ["email", "email_verified"];
const ADDRESS_CLAIMS: [&str; 1] = ["address"];
const PHONE_CLAIMS: [&str; 2] = ["phone_number", "phone_number_verified"];

pub fn claims_of_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &PROFILE_CLAIMS,
        "email" => &EMAIL_CLAIMS,
        "address" => &ADDRESS_CLAIMS,
        "phone" => &PHONE_CLAIMS,
        _ => &[],
    }
}

pub fn scope_of_claim(claim: &str) -> Option<&'static str> {
    ["profile", "email", "address", "phone"].into_iter().find(|s| claims_of_scope(s).contains(&claim))
}

/// Every claim name this provider can release (discovery's `claims_supported`).
pub fn supported_claims() -> Vec<&'static str> {
    let mut all = vec!["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash"];
    for scope in ["profile", "email", "address", "phone"] {
        all.extend_from_slice(claims_of_scope(scope));
    }
    all
}

/// The claim names released at userinfo: those of the granted scopes plus those asked for
/// `userinfo` in the claims parameter, as long as consent covered their scope.
pub fn userinfo_claim_names<'a>(scopes: &'a Scopes, request: &'a ClaimsRequest) -> BTreeSet<&'a str> {
    let mut names: BTreeSet<&str> = scopes.iter().flat_map(|s| claims_of_scope(s).iter().copied()).collect();
    names.extend(request.userinfo.keys().map(String::as_str).filter(|n| scope_of_claim(n).is_some()));
    names
}

/// The values of `names` for `user`, omitting those it does not have (OIDC Core §5.3.2).
pub fn values(user: &User, names: impl IntoIterator<Item = impl AsRef<str>>) -> Map<String, Value> {
    let mut out = Map::new();
    for name in names {
        let name = name.as_ref();
        let value: Option<Value> = match name {
            "name" => user.full_name().map(Value::from),
            "given_name" => user.given_name.clone().map(Value::from),
            "family_name" => user.family_name.clone().map(Value::from),
            "preferred_username" => user.preferred_username.clone().map(Value::from),
            "birthdate" => user.birthdate.clone().map(Value::from),
            "gender" => user.gender.clone().map(Value::from),
            "locale" => user.locale.clone().map(Value::from),
            "updated_at" => Some(Value::from(user.updated_at)),
            "email" => Some(Value::from(user.email.clone())),
            "email_verified" => Some(Value::from(user.email_verified)),
            "address" => user.address.clone(),
            "phone_number" => user.phone_number.clone().map(Value::from),
            "phone_number_verified" => user.phone_number.as_ref().map(|_| Value::from(user.phone_number_verified)),
            _ => None,
        };
        if let Some(v) = value {
            out.insert(name.to_owned(), v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_requests_parse_and_imply_scopes() {
        let r = ClaimsRequest::parse(r#"{"userinfo":{"name":{"essential":true},"email":null},"id_token":{"acr":{"essential":true,"values":["glc:basic"]}}}"#).unwrap();
        let implied = r.implied_scopes();
        assert!(implied.contains("profile") && implied.contains("email"));
        assert_eq!(r.essential_acr_values(), Some(vec!["glc:basic".to_owned()]));
        assert!(ClaimsRequest::parse("not json").is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo":"x"}"#).is_err());
        assert!(ClaimsRequest::parse("[]").is_err());
    }
}
