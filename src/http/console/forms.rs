//! The console's forms as the `admin` functions take them: a partner's changes, a client's
//! specification. Fields carry the admin API's member names, so a validation error names the
//! same field in both; an update sends only what the administrator changed.

use serde::Serialize;

use crate::admin::AdminError;
use crate::oauth::client::{AuthMethod, Client, ClientSpec, GrantType, SubjectType};
use crate::oauth::params::Params;
use crate::oauth::scope::Scopes;
use crate::partners::{Offer, Partner, PartnerChanges};

fn text(params: &Params, name: &str) -> String {
    params.get(name).unwrap_or_default().trim().to_owned()
}

fn checked(params: &Params, name: &str) -> bool {
    params.get(name).is_some()
}

/// A field left empty: `None`.
fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// One URI per line.
fn lines(value: &str) -> Vec<String> {
    value.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// The partner form, as shown and as sent.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct PartnerForm {
    pub name: String,
    pub insee_code: String,
    pub population: String,
    pub offer: String,
    pub pilot: bool,
    pub joined_on: String,
}

impl PartnerForm {
    pub fn of(p: &Partner) -> PartnerForm {
        PartnerForm {
            name: p.name.clone(),
            insee_code: p.insee_code.clone().unwrap_or_default(),
            population: p.population.map(|n| n.to_string()).unwrap_or_default(),
            offer: p.offer.as_str().to_owned(),
            pilot: p.pilot,
            joined_on: p.joined_on.clone().unwrap_or_default(),
        }
    }

    pub fn read(params: &Params) -> PartnerForm {
        PartnerForm {
            name: text(params, "name"),
            insee_code: text(params, "insee_code"),
            population: text(params, "population"),
            offer: text(params, "offer"),
            pilot: checked(params, "pilot"),
            joined_on: text(params, "joined_on"),
        }
    }

    /// The changes from `before` (everything filled in, for a new partner).
    pub fn changes(&self, before: &PartnerForm) -> Result<PartnerChanges, AdminError> {
        let differs = |now: &String, then: &String| (now != then && !now.is_empty()).then(|| now.clone());
        let population = differs(&self.population, &before.population)
            .map(|p| p.parse::<i64>().map_err(|_| AdminError::invalid("population", "a whole number")))
            .transpose()?;
        let offer = differs(&self.offer, &before.offer)
            .map(|o| Offer::parse(&o).ok_or_else(|| AdminError::invalid("offer", "\"global\" or \"restricted\"")))
            .transpose()?;
        Ok(PartnerChanges {
            name: differs(&self.name, &before.name),
            insee_code: differs(&self.insee_code, &before.insee_code),
            population,
            offer,
            pilot: (self.pilot != before.pilot || before.name.is_empty()).then_some(self.pilot),
            joined_on: differs(&self.joined_on, &before.joined_on),
            contacts: None,
        })
    }
}

/// The client form, as shown and as sent; the last four are set at creation only.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ClientForm {
    pub client_name: String,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub grant_authorization_code: bool,
    pub grant_refresh_token: bool,
    pub grant_client_credentials: bool,
    pub scope: String,
    pub require_pkce: bool,
    pub require_pushed_authorization_requests: bool,
    pub dpop_bound_access_tokens: bool,
    pub jwks_uri: String,
    pub jwks: String,
    pub backchannel_logout_uri: String,
    pub frontchannel_logout_uri: String,
    pub client_id: String,
    pub partner_id: String,
    pub token_endpoint_auth_method: String,
    pub subject_type: String,
}

/// The creation-only fields (a resident's identifier never changes: neither does its kind).
const CREATION_ONLY: [&str; 3] = ["client_id", "partner_id", "subject_type"];

impl ClientForm {
    /// An empty form for a new client of `partner`: the safe defaults.
    pub fn blank(partner: &str) -> ClientForm {
        ClientForm {
            grant_authorization_code: true,
            grant_refresh_token: true,
            require_pkce: true,
            partner_id: partner.to_owned(),
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic.as_str().to_owned(),
            subject_type: SubjectType::Pairwise.as_str().to_owned(),
            ..ClientForm::default()
        }
    }

    pub fn of(client: &Client) -> ClientForm {
        let has = |g: GrantType| client.grant_types.contains(&g);
        ClientForm {
            client_name: client.name.clone(),
            redirect_uris: client.redirect_uris.join("\n"),
            post_logout_redirect_uris: client.post_logout_redirect_uris.join("\n"),
            grant_authorization_code: has(GrantType::AuthorizationCode),
            grant_refresh_token: has(GrantType::RefreshToken),
            grant_client_credentials: has(GrantType::ClientCredentials),
            scope: client.scopes.iter().collect::<Vec<_>>().join(" "),
            require_pkce: client.require_pkce,
            require_pushed_authorization_requests: client.metadata.require_pushed_authorization_requests,
            dpop_bound_access_tokens: client.metadata.dpop_bound_access_tokens,
            jwks_uri: client.jwks_uri.clone().unwrap_or_default(),
            jwks: client.jwks.clone().unwrap_or_default(),
            backchannel_logout_uri: client.backchannel_logout_uri.clone().unwrap_or_default(),
            frontchannel_logout_uri: client.frontchannel_logout_uri.clone().unwrap_or_default(),
            client_id: client.client_id.clone(),
            partner_id: client.partner_id.clone(),
            token_endpoint_auth_method: client.auth_method.as_str().to_owned(),
            subject_type: client.subject_type.as_str().to_owned(),
        }
    }

    pub fn read(params: &Params) -> ClientForm {
        ClientForm {
            client_name: text(params, "client_name"),
            redirect_uris: text(params, "redirect_uris"),
            post_logout_redirect_uris: text(params, "post_logout_redirect_uris"),
            grant_authorization_code: checked(params, "grant_authorization_code"),
            grant_refresh_token: checked(params, "grant_refresh_token"),
            grant_client_credentials: checked(params, "grant_client_credentials"),
            scope: text(params, "scope"),
            require_pkce: checked(params, "require_pkce"),
            require_pushed_authorization_requests: checked(params, "require_pushed_authorization_requests"),
            dpop_bound_access_tokens: checked(params, "dpop_bound_access_tokens"),
            jwks_uri: text(params, "jwks_uri"),
            jwks: text(params, "jwks"),
            backchannel_logout_uri: text(params, "backchannel_logout_uri"),
            frontchannel_logout_uri: text(params, "frontchannel_logout_uri"),
            client_id: text(params, "client_id"),
            partner_id: text(params, "partner_id"),
            token_endpoint_auth_method: text(params, "token_endpoint_auth_method"),
            subject_type: text(params, "subject_type"),
        }
    }

    /// A new client's specification.
    pub fn to_new_spec(&self) -> Result<ClientSpec, AdminError> {
        let mut spec = ClientSpec {
            client_id: optional(&self.client_id),
            partner_id: optional(&self.partner_id),
            subject_type: SubjectType::parse(&self.subject_type)
                .ok_or_else(|| AdminError::invalid("subject_type", "public or pairwise"))?,
            ..ClientSpec::default()
        };
        self.apply(&mut spec)?;
        Ok(spec)
    }

    /// Sets the changeable fields of `spec` to the form's.
    pub fn apply(&self, spec: &mut ClientSpec) -> Result<(), AdminError> {
        if self.client_name.is_empty() {
            return Err(AdminError::invalid("client_name", "required"));
        }
        spec.name = self.client_name.clone();
        let methods = "client_secret_basic, client_secret_post, private_key_jwt or none";
        spec.auth_method = AuthMethod::parse(&self.token_endpoint_auth_method)
            .ok_or_else(|| AdminError::invalid("token_endpoint_auth_method", methods))?;
        spec.redirect_uris = lines(&self.redirect_uris);
        spec.post_logout_redirect_uris = lines(&self.post_logout_redirect_uris);
        spec.grant_types = [
            (self.grant_authorization_code, GrantType::AuthorizationCode),
            (self.grant_refresh_token, GrantType::RefreshToken),
            (self.grant_client_credentials, GrantType::ClientCredentials),
        ]
        .into_iter()
        .filter_map(|(on, g)| on.then_some(g))
        .collect();
        if spec.grant_types.is_empty() {
            return Err(AdminError::invalid("grant_types", "choose at least one"));
        }
        spec.scopes = optional(&self.scope)
            .map(|s| Scopes::parse(&s).map_err(|_| AdminError::invalid("scope", "space-separated scope tokens")))
            .transpose()?;
        spec.require_pkce = self.require_pkce;
        spec.metadata.require_pushed_authorization_requests = self.require_pushed_authorization_requests;
        spec.metadata.dpop_bound_access_tokens = self.dpop_bound_access_tokens;
        spec.jwks_uri = optional(&self.jwks_uri);
        spec.jwks = match optional(&self.jwks) {
            Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(set @ serde_json::Value::Object(_)) => Some(set.to_string()),
                _ => return Err(AdminError::invalid("jwks", "a JWK set object")),
            },
            None => None,
        };
        spec.backchannel_logout_uri = optional(&self.backchannel_logout_uri);
        spec.frontchannel_logout_uri = optional(&self.frontchannel_logout_uri);
        Ok(())
    }

    /// The admin API's names of the fields that differ from `before`, for the journal.
    pub fn changed(&self, before: &ClientForm) -> Vec<String> {
        let (now, then) =
            (serde_json::to_value(self).unwrap_or_default(), serde_json::to_value(before).unwrap_or_default());
        let mut fields: Vec<String> = Vec::new();
        if let (Some(now), Some(then)) = (now.as_object(), then.as_object()) {
            for (name, value) in now {
                if CREATION_ONLY.contains(&name.as_str()) || then.get(name) == Some(value) {
                    continue;
                }
                let name = if name.starts_with("grant_") { "grant_types".to_owned() } else { name.clone() };
                if !fields.contains(&name) {
                    fields.push(name);
                }
            }
        }
        fields.sort();
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partner_update_sends_only_what_changed() {
        let before = PartnerForm {
            name: "Bron".into(),
            population: "41000".into(),
            offer: "global".into(),
            ..PartnerForm::default()
        };
        let after = PartnerForm { population: "42000".into(), ..before.clone() };
        let changes = after.changes(&before).unwrap();
        assert_eq!(changes.population, Some(42000));
        assert!(changes.name.is_none() && changes.offer.is_none() && changes.pilot.is_none());
        let bad = PartnerForm { population: "beaucoup".into(), ..before.clone() };
        assert!(matches!(bad.changes(&before), Err(AdminError::Invalid { field, .. }) if field == "population"));
    }

    #[test]
    fn a_client_form_names_its_changes_as_the_api_does() {
        let before = ClientForm {
            client_name: "A".into(),
            grant_authorization_code: true,
            token_endpoint_auth_method: "client_secret_basic".into(),
            ..ClientForm::default()
        };
        let after = ClientForm {
            grant_client_credentials: true,
            redirect_uris: "https://a.example/cb".into(),
            ..before.clone()
        };
        assert_eq!(after.changed(&before), vec!["grant_types".to_owned(), "redirect_uris".to_owned()]);
        let mut spec = ClientSpec::default();
        after.apply(&mut spec).unwrap();
        assert_eq!(spec.grant_types, vec![GrantType::AuthorizationCode, GrantType::ClientCredentials]);
        assert_eq!(spec.redirect_uris, vec!["https://a.example/cb".to_owned()]);
        let none = ClientForm { grant_authorization_code: false, ..before };
        assert!(matches!(none.apply(&mut spec), Err(AdminError::Invalid { field, .. }) if field == "grant_types"));
    }
}
