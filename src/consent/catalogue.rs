//! The data catalogue: every piece of data a service can ask a resident for, with what the
//! consent page says of it (a plain-French label), why the platform processes it (its purpose),
//! on what legal basis, how sensitive it is, and whether FranceConnect can certify it. A piece
//! is what a resident grants or refuses on its own; each belongs to one scope, and a scope's
//! claims are released only as far as its pieces are granted.

use serde::Serialize;

/// GDPR article 6: why the processing is lawful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Art. 6(1)(a): the resident's consent, which they may withdraw.
    Consent,
    /// Art. 6(1)(e): a task carried out in the public interest (a public-service mission).
    PublicServiceMission,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Low,
    Moderate,
    High,
}

/// One piece of data.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Item {
    /// The claim it releases (or, for a permission such as `offline_access`, the scope).
    pub key: &'static str,
    pub scope: &'static str,
    pub label_fr: &'static str,
    pub label_en: &'static str,
    /// Why the platform processes it, before a service says what it does with it.
    pub purpose_fr: &'static str,
    pub legal_basis: LegalBasis,
    pub sensitivity: Sensitivity,
    /// FranceConnect can certify it (`verified_claims`).
    pub certifiable: bool,
    /// The claims released with it (`name` with the names, `email_verified` with the address…).
    pub releases: &'static [&'static str],
}

const fn item(
    key: &'static str,
    scope: &'static str,
    labels: (&'static str, &'static str),
    purpose_fr: &'static str,
    sensitivity: Sensitivity,
    certifiable: bool,
    releases: &'static [&'static str],
) -> Item {
    Item {
        key,
        scope,
        label_fr: labels.0,
        label_en: labels.1,
        purpose_fr,
        legal_basis: LegalBasis::Consent,
        sensitivity,
        certifiable,
        releases,
    }
}

const IDENTIFY: &str = "Vous identifier auprès du service et remplir vos démarches à votre place";
const CONTACT: &str = "Vous contacter au sujet de vos démarches";

/// Every piece of data of the catalogue, in the order the consent page lists them.
pub const ITEMS: [Item; 9] = [
    item("given_name", "profile", ("Prénom(s)", "Given name(s)"), IDENTIFY, Sensitivity::Low, true, &["given_name"]),
    item(
        "family_name",
        "profile",
        ("Nom de naissance", "Birth name"),
        IDENTIFY,
        Sensitivity::Low,
        true,
        &["family_name"],
    ),
    item(
        "preferred_username",
        "profile",
        ("Nom d’usage", "Usage name"),
        IDENTIFY,
        Sensitivity::Low,
        true,
        &["preferred_username"],
    ),
    item(
        "birthdate",
        "profile",
        ("Date de naissance", "Birth date"),
        IDENTIFY,
        Sensitivity::Moderate,
        true,
        &["birthdate"],
    ),
    item("gender", "profile", ("Sexe", "Sex"), IDENTIFY, Sensitivity::Moderate, true, &["gender"]),
    item(
        "email",
        "email",
        ("Adresse électronique", "Email address"),
        CONTACT,
        Sensitivity::Low,
        false,
        &["email", "email_verified"],
    ),
    item(
        "address",
        "address",
        ("Adresse postale", "Postal address"),
        CONTACT,
        Sensitivity::Moderate,
        false,
        &["address"],
    ),
    item(
        "phone_number",
        "phone",
        ("Numéro de téléphone", "Phone number"),
        CONTACT,
        Sensitivity::Moderate,
        false,
        &["phone_number", "phone_number_verified"],
    ),
    item(
        "offline_access",
        "offline_access",
        ("Accès prolongé : rester connecté au service", "Lasting access: stay signed in to the service"),
        "Garder votre session ouverte auprès du service sans vous redemander de vous connecter",
        Sensitivity::Low,
        false,
        &[],
    ),
];

/// The piece every OpenID Connect request asks for: the identifier the service knows the
/// resident by (pairwise: useless elsewhere). Essential: without it there is no login.
pub const IDENTITY: Item = Item {
    key: "sub",
    scope: "openid",
    label_fr: "Un identifiant propre à ce service, qui ne permet pas de vous reconnaître ailleurs",
    label_en: "An identifier proper to this service, which cannot recognise you elsewhere",
    purpose_fr: "Vous reconnaître quand vous revenez sur le service",
    legal_basis: LegalBasis::Consent,
    sensitivity: Sensitivity::Low,
    certifiable: false,
    releases: &[],
};

/// The claims a granted `profile` item brings along: the full name with both names, the
/// locale and the update time with any of them.
pub const PROFILE_COMPANIONS: [&str; 2] = ["locale", "updated_at"];

pub fn find(key: &str) -> Option<&'static Item> {
    ITEMS.iter().find(|i| i.key == key)
}

/// The pieces a scope asks for.
pub fn items_of_scope(scope: &str) -> impl Iterator<Item = &'static Item> + '_ {
    ITEMS.iter().filter(move |i| i.scope == scope)
}

/// Whether the catalogue knows `scope` (a scope it does not know carries no personal data of
/// ours: an API's own scope, declared by its client).
pub fn knows_scope(scope: &str) -> bool {
    ITEMS.iter().any(|i| i.scope == scope)
}

/// The claims released when `granted` pieces are (the full `name` only with both names).
pub fn released_claims<'a>(granted: impl IntoIterator<Item = &'a str>) -> std::collections::BTreeSet<&'static str> {
    let mut claims = std::collections::BTreeSet::new();
    for key in granted {
        if let Some(item) = find(key) {
            claims.extend(item.releases.iter().copied());
            if item.scope == "profile" {
                claims.extend(PROFILE_COMPANIONS);
            }
        }
    }
    if claims.contains("given_name") && claims.contains("family_name") {
        claims.insert("name");
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claim_a_scope_releases_belongs_to_one_item() {
        for scope in ["profile", "email", "address", "phone"] {
            for claim in crate::oauth::claims::claims_of_scope(scope) {
                let covered = released_claims(items_of_scope(scope).map(|i| i.key)).contains(claim);
                assert!(covered, "{scope}: {claim} is released by no item");
            }
        }
    }

    #[test]
    fn the_full_name_needs_both_names() {
        assert!(!released_claims(["given_name"]).contains("name"));
        assert!(released_claims(["given_name", "family_name"]).contains("name"));
        assert_eq!(released_claims(["email"]).into_iter().collect::<Vec<_>>(), ["email", "email_verified"]);
    }
}
