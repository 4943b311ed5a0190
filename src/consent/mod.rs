//! Consent, piece by piece. A client declares, per scope it may request, what it does with the
//! data (purpose, retention, whether its service cannot work without it); the consent page
//! lists each piece of data (`catalogue`) with that purpose, and the resident grants or refuses
//! the optional ones. Each decision is stored per resident × client × piece, with the purpose,
//! the privacy policy's version and an expiry; the resident is asked again when a service asks
//! for more, changes its purpose, the policy changes, or the decision expires. Claims are
//! released only as far as the live decisions go, at every token and userinfo answer.

pub mod catalogue;
pub mod groups;
pub mod journal;
pub mod links;
pub mod overview;
pub mod receipt;
pub mod statistics;

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::oauth::client::Client;
use crate::oauth::scope::{OPENID, Scopes};
use crate::store::client_purposes::{self, PurposeRow};
use crate::store::consent_items::{self, ConsentItemRow};
use crate::store::{Db, StoreError};

/// How long a client keeps data when it did not say.
pub const DEFAULT_RETENTION: &str = "la durée nécessaire à vos démarches";

/// What a client says about one scope it may request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub scope: String,
    pub purpose: String,
    pub retention: String,
    /// The service cannot work without it: shown, explained, not untickable.
    pub essential: bool,
    /// How the consent page names a piece outside the catalogue (French, English).
    #[serde(skip)]
    pub label: Option<(String, String)>,
}

/// The client's declarations for every scope it may request: its own, or the catalogue's
/// purpose for a scope it registered without saying more. A service of a group has its
/// group's purpose; a `link:` scope has its partner's declared reason, and is left out (so
/// refused) while the partner declared none.
pub async fn declarations(db: &Db, client: &Client) -> Result<Vec<Declaration>, StoreError> {
    let explicit = client_purposes::of_client(db, &client.client_id).await?;
    let group = groups::of_client(db, &client.client_id).await?;
    let mut out = Vec::new();
    for scope in client.scopes.iter().filter(|s| *s != OPENID) {
        if let Some(source) = links::source_of(scope) {
            let Some(link) = links::declared(db, &client.partner_id, scope).await? else { continue };
            let source_name =
                crate::partners::find(db, source).await?.map(|p| p.name).unwrap_or_else(|| source.to_owned());
            out.push(Declaration {
                scope: scope.to_owned(),
                purpose: link.purpose,
                retention: DEFAULT_RETENTION.to_owned(),
                essential: false,
                label: Some((links::label(&source_name, false), links::label(&source_name, true))),
            });
            continue;
        }
        let mut declaration = match explicit.iter().find(|d| d.scope == scope) {
            Some(d) => Declaration {
                scope: d.scope.clone(),
                purpose: d.purpose.clone(),
                retention: d.retention.clone(),
                essential: d.essential,
                label: None,
            },
            None => Declaration {
                scope: scope.to_owned(),
                purpose: catalogue::items_of_scope(scope)
                    .next()
                    .map(|i| i.purpose_fr.to_owned())
                    .unwrap_or_else(|| format!("Accéder à « {scope} » pour vous rendre le service")),
                retention: DEFAULT_RETENTION.to_owned(),
                essential: false,
                label: None,
            },
        };
        if let Some(group) = &group {
            declaration.purpose.clone_from(&group.purpose);
        }
        out.push(declaration);
    }
    Ok(out)
}

/// Records `client_id`'s declarations (replacing the previous ones).
pub async fn declare(db: &Db, client_id: &str, declared: &[Declaration]) -> Result<(), StoreError> {
    let rows: Vec<PurposeRow> = declared
        .iter()
        .map(|d| PurposeRow {
            client_id: client_id.to_owned(),
            scope: d.scope.clone(),
            purpose: d.purpose.clone(),
            retention: d.retention.clone(),
            essential: d.essential,
        })
        .collect();
    client_purposes::replace(db, client_id, &rows).await
}

#[derive(Debug, thiserror::Error)]
pub enum DeclarationError {
    #[error("{0}: the client may not request this scope; register it first")]
    NotRequestable(String),
    #[error("the purpose must say, in 1 to 500 characters, what the service does with the data")]
    BadPurpose,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Declares (or re-declares) one scope of `client`; returns all its declarations. Residents
/// who consented for another purpose are asked again.
pub async fn declare_one(
    db: &Db,
    client: &Client,
    declaration: Declaration,
) -> Result<Vec<Declaration>, DeclarationError> {
    // A link's purpose is its partner's (`links::declare`), not one service's.
    let link = links::source_of(&declaration.scope).is_some();
    if declaration.scope == OPENID || link || !client.scopes.contains(&declaration.scope) {
        return Err(DeclarationError::NotRequestable(declaration.scope));
    }
    let purpose = declaration.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 500 || declaration.retention.trim().is_empty() {
        return Err(DeclarationError::BadPurpose);
    }
    let explicit = client_purposes::of_client(db, &client.client_id).await?;
    let mut kept: Vec<Declaration> = explicit
        .into_iter()
        .filter(|d| d.scope != declaration.scope)
        .map(|d| Declaration {
            scope: d.scope,
            purpose: d.purpose,
            retention: d.retention,
            essential: d.essential,
            label: None,
        })
        .collect();
    kept.push(Declaration { purpose: purpose.to_owned(), ..declaration });
    declare(db, &client.client_id, &kept).await?;
    Ok(declarations(db, client).await?)
}

/// One piece of data a request asks for, as the consent page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Asked {
    pub key: String,
    pub scope: String,
    pub label_fr: String,
    pub label_en: String,
    pub purpose: String,
    pub retention: String,
    pub essential: bool,
    pub certifiable: bool,
}

/// The pieces of data `scopes` ask for, with the client's declared purposes.
pub fn asked(scopes: &Scopes, declared: &[Declaration]) -> Vec<Asked> {
    let mut out = Vec::new();
    if scopes.contains(OPENID) {
        let identity = &catalogue::IDENTITY;
        out.push(Asked {
            key: identity.key.to_owned(),
            scope: OPENID.to_owned(),
            label_fr: identity.label_fr.to_owned(),
            label_en: identity.label_en.to_owned(),
            purpose: identity.purpose_fr.to_owned(),
            retention: DEFAULT_RETENTION.to_owned(),
            essential: true,
            certifiable: false,
        });
    }
    for scope in scopes.iter().filter(|s| *s != OPENID) {
        let Some(declaration) = declared.iter().find(|d| d.scope == scope) else { continue };
        let piece = |key: &str, labels: (&str, &str), certifiable| Asked {
            key: key.to_owned(),
            scope: scope.to_owned(),
            label_fr: labels.0.to_owned(),
            label_en: labels.1.to_owned(),
            purpose: declaration.purpose.clone(),
            retention: declaration.retention.clone(),
            essential: declaration.essential,
            certifiable,
        };
        if catalogue::knows_scope(scope) {
            out.extend(catalogue::items_of_scope(scope).map(|i| piece(i.key, (i.label_fr, i.label_en), i.certifiable)));
        } else if let Some((fr, en)) = &declaration.label {
            out.push(piece(scope, (fr, en), false));
        } else {
            // An API's own scope: one piece, named by the client's purpose.
            out.push(piece(scope, (scope, scope), false));
        }
    }
    out
}

/// Whether the resident's live decisions answer every piece `asked` for, for the same purpose
/// under the same policy: if so, nothing needs asking.
pub async fn covers(
    db: &Db,
    user_id: &str,
    client_id: &str,
    asked: &[Asked],
    policy_version: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let decided = consent_items::of_client(db, user_id, client_id).await?;
    Ok(asked.iter().all(|piece| {
        decided.iter().any(|d| {
            d.item == piece.key
                && d.expires_at > now
                && d.purpose == piece.purpose
                && d.policy_version == policy_version
                // An essential piece refused before (when it was optional) must be asked again.
                && (d.granted || !piece.essential)
        })
    }))
}

/// Under what a decision is taken: the privacy policy's version, when, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Terms<'a> {
    pub policy_version: &'a str,
    pub now: i64,
    pub lifetime: i64,
}

/// Records the resident's decisions on `asked`: every piece granted but the optional ones in
/// `refused` (an essential piece cannot be refused, only the whole request).
pub async fn record(
    db: &Db,
    user_id: &str,
    client_id: &str,
    asked: &[Asked],
    refused: &BTreeSet<String>,
    terms: Terms<'_>,
) -> Result<Vec<ConsentItemRow>, StoreError> {
    let rows: Vec<ConsentItemRow> = asked
        .iter()
        .map(|piece| ConsentItemRow {
            user_id: user_id.to_owned(),
            client_id: client_id.to_owned(),
            item: piece.key.clone(),
            granted: piece.essential || !refused.contains(&piece.key),
            purpose: piece.purpose.clone(),
            policy_version: terms.policy_version.to_owned(),
            decided_at: terms.now,
            expires_at: terms.now + terms.lifetime,
        })
        .collect();
    consent_items::upsert_all(db, &rows).await?;
    Ok(rows)
}

/// What the resident lets `client_id` have now: the pieces granted and not expired.
pub async fn granted(db: &Db, user_id: &str, client_id: &str, now: i64) -> Result<BTreeSet<String>, StoreError> {
    Ok(consent_items::of_client(db, user_id, client_id)
        .await?
        .into_iter()
        .filter(|d| d.granted && d.expires_at > now)
        .map(|d| d.item)
        .collect())
}

/// The scopes a request keeps once the resident decided: a scope none of whose pieces is
/// granted goes (no refresh token without `offline_access`, no API scope refused).
pub fn effective_scopes(requested: &Scopes, granted: &BTreeSet<String>) -> Scopes {
    let mut kept = Scopes::default();
    for scope in requested.iter() {
        let keep = scope == OPENID
            || if catalogue::knows_scope(scope) {
                catalogue::items_of_scope(scope).any(|i| granted.contains(i.key))
            } else {
                granted.contains(scope)
            };
        if keep {
            kept.insert(scope);
        }
    }
    kept
}

/// Removes from `claims` every personal claim the resident did not grant, including inside
/// `verified_claims`.
pub fn withhold(claims: &mut Map<String, Value>, granted: &BTreeSet<String>) {
    let released = catalogue::released_claims(granted.iter().map(String::as_str));
    let personal: BTreeSet<&str> =
        catalogue::ITEMS.iter().flat_map(|i| i.releases.iter().copied()).chain(["name"]).collect();
    claims.retain(|name, _| !personal.contains(name.as_str()) || released.contains(name.as_str()));
    if let Some(Value::Object(verified)) = claims.get_mut(crate::oauth::claims::VERIFIED_CLAIMS)
        && let Some(Value::Object(inner)) = verified.get_mut("claims")
    {
        inner.retain(|name, _| released.contains(name.as_str()));
    }
    let empty = matches!(
        claims.get(crate::oauth::claims::VERIFIED_CLAIMS).and_then(|v| v.get("claims")),
        Some(Value::Object(inner)) if inner.is_empty()
    );
    if empty {
        claims.remove(crate::oauth::claims::VERIFIED_CLAIMS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_stays_while_one_of_its_pieces_is_granted() {
        let requested = Scopes::parse("openid profile email offline_access gru:read").unwrap();
        let granted: BTreeSet<String> = ["given_name", "gru:read"].into_iter().map(String::from).collect();
        assert_eq!(effective_scopes(&requested, &granted).to_string(), "gru:read openid profile");
    }

    #[test]
    fn claims_not_granted_are_withheld_even_as_verified_claims() {
        let mut claims: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "sub": "x", "given_name": "Angela", "family_name": "DUBOIS", "name": "Angela DUBOIS",
            "email": "a@b.fr", "email_verified": true, "locale": "fr",
            "verified_claims": { "verification": {}, "claims": { "given_name": "Angela", "birthdate": "1962-08-24" } },
        }))
        .unwrap();
        let granted: BTreeSet<String> = ["given_name"].into_iter().map(String::from).collect();
        withhold(&mut claims, &granted);
        assert_eq!(
            serde_json::Value::Object(claims),
            serde_json::json!({ "sub": "x", "given_name": "Angela", "locale": "fr",
                "verified_claims": { "verification": {}, "claims": { "given_name": "Angela" } } })
        );
    }
}
