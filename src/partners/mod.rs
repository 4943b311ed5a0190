//! The partner registry: the Métropole and its communes, as the partnership agreement knows
//! them (population, offer, pilot flag, date joined, contacts), each with its APIs — the
//! resource servers (RFC 8707) its access tokens are bound to. Every client belongs to one
//! partner, which is also the sector of its pairwise subject identifiers (two services of one
//! commune see the same `sub`; two communes see different ones). `fees` computes the yearly
//! participation.

pub mod fees;
pub mod offer;
pub mod report;

use serde::{Deserialize, Serialize};

use crate::store::partners::{self, PartnerRow, ResourceServerRow};
use crate::store::{Db, StoreError};

/// The Métropole exists from the first start (seeded by the first migration).
pub const METROPOLE_ID: &str = "metropole-de-lyon";

/// The offer a commune subscribed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Offer {
    /// Services on the shared portal, GrandLyon Connect, the GRU tool, the help desk.
    Global,
    /// The same without the GRU tool (a commune that has its own).
    Restricted,
}

impl Offer {
    pub fn as_str(self) -> &'static str {
        match self {
            Offer::Global => "global",
            Offer::Restricted => "restricted",
        }
    }

    pub fn parse(value: &str) -> Option<Offer> {
        match value {
            "global" => Some(Offer::Global),
            "restricted" => Some(Offer::Restricted),
            _ => None,
        }
    }
}

/// Someone to reach at a partner (the DPO, the project lead…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl Contact {
    /// `Name <address>` or `Name <address> (role)`.
    pub fn parse(text: &str) -> Result<Contact, PartnerError> {
        let invalid = || PartnerError::Invalid {
            field: "contacts",
            why: format!("{text:?}: expected \"Name <address>\" or \"Name <address> (role)\""),
        };
        let (name, rest) = text.split_once('<').ok_or_else(invalid)?;
        let (email, rest) = rest.split_once('>').ok_or_else(invalid)?;
        let role = rest.trim();
        let role = match role.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            Some(role) if !role.trim().is_empty() => Some(role.trim().to_owned()),
            None if role.is_empty() => None,
            _ => return Err(invalid()),
        };
        let (name, email) = (name.trim(), email.trim());
        if name.is_empty() || crate::identity::user::check_email(email).is_err() {
            return Err(invalid());
        }
        Ok(Contact { name: name.to_owned(), email: email.to_owned(), role })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub insee_code: Option<String>,
    pub kind: String,
    pub created_at: i64,
    pub population: Option<i64>,
    pub offer: Offer,
    pub pilot: bool,
    /// `YYYY-MM-DD`.
    pub joined_on: Option<String>,
    pub contacts: Vec<Contact>,
    pub updated_at: i64,
    /// Bumped by every update (the admin API's ETag).
    pub version: i64,
}

impl From<PartnerRow> for Partner {
    fn from(r: PartnerRow) -> Self {
        Partner {
            offer: Offer::parse(&r.offer).unwrap_or(Offer::Global),
            contacts: serde_json::from_str(&r.contacts).unwrap_or_default(),
            id: r.id,
            name: r.name,
            insee_code: r.insee_code,
            kind: r.kind,
            created_at: r.created_at,
            population: r.population,
            pilot: r.pilot,
            joined_on: r.joined_on,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

impl Partner {
    pub fn is_commune(&self) -> bool {
        self.kind == "commune"
    }

    /// Its participation for fiscal year `year` (`None`: population unknown).
    pub fn participation(&self, year: i32) -> Option<fees::Participation> {
        let payer = fees::Payer {
            is_commune: self.is_commune(),
            population: self.population,
            offer: self.offer,
            pilot: self.pilot,
            joined_year: self.joined_on.as_deref().and_then(|d| d.get(..4)).and_then(|y| y.parse().ok()),
        };
        fees::participation(&payer, year)
    }

    fn row(&self) -> PartnerRow {
        PartnerRow {
            id: self.id.clone(),
            name: self.name.clone(),
            insee_code: self.insee_code.clone(),
            kind: self.kind.clone(),
            created_at: self.created_at,
            population: self.population,
            offer: self.offer.as_str().to_owned(),
            pilot: self.pilot,
            joined_on: self.joined_on.clone(),
            contacts: serde_json::to_string(&self.contacts).unwrap_or_else(|_| "[]".into()),
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    /// `field` is the member of the partner's JSON representation at fault.
    #[error("invalid partner {field}: {why}")]
    Invalid { field: &'static str, why: String },
    /// Changed by someone else since `expected` was read.
    #[error("the partner changed since version {expected} was read")]
    Changed { expected: i64 },
    #[error("a partner with this {0} already exists")]
    Exists(&'static str),
    #[error("no partner {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PartnerError {
    fn from(e: StoreError) -> Self {
        PartnerError::Store(e)
    }
}

/// What an administrator says about a commune; on update, `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PartnerChanges {
    pub name: Option<String>,
    pub insee_code: Option<String>,
    pub population: Option<i64>,
    pub offer: Option<Offer>,
    pub pilot: Option<bool>,
    pub joined_on: Option<String>,
    pub contacts: Option<Vec<Contact>>,
}

fn apply(partner: &mut Partner, changes: PartnerChanges) -> Result<(), PartnerError> {
    if let Some(name) = changes.name {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(PartnerError::Invalid { field: "name", why: "must be 1 to 200 characters".into() });
        }
        partner.name = name.to_owned();
    }
    if let Some(code) = changes.insee_code {
        if !is_insee_code(&code) {
            return Err(PartnerError::Invalid {
                field: "insee_code",
                why: format!("{code} is not an INSEE commune code (5 characters, e.g. 69123)"),
            });
        }
        partner.insee_code = Some(code);
    }
    if let Some(population) = changes.population {
        if !(0..=100_000_000).contains(&population) {
            return Err(PartnerError::Invalid {
                field: "population",
                why: format!("{population} is not a number of inhabitants"),
            });
        }
        partner.population = Some(population);
    }
    if let Some(offer) = changes.offer {
        partner.offer = offer;
    }
    if let Some(pilot) = changes.pilot {
        partner.pilot = pilot;
    }
    if let Some(date) = changes.joined_on {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(&date, &format)
            .map_err(|_| PartnerError::Invalid { field: "joined_on", why: format!("{date:?}: expected YYYY-MM-DD") })?;
        partner.joined_on = Some(date);
    }
    if let Some(contacts) = changes.contacts {
        let valid = |c: &Contact| {
            !c.name.trim().is_empty() && c.name.len() <= 200 && c.email.contains('@') && c.email.len() <= 254
        };
        if !contacts.iter().all(valid) {
            return Err(PartnerError::Invalid {
                field: "contacts",
                why: "each needs a name and an email address".into(),
            });
        }
        partner.contacts = contacts;
    }
    Ok(())
}

fn conflict(e: StoreError) -> PartnerError {
    match e {
        StoreError::Conflict { constraint } if constraint.contains("insee") => PartnerError::Exists("INSEE code"),
        StoreError::Conflict { .. } => PartnerError::Exists("name"),
        other => PartnerError::Store(other),
    }
}

/// Registers a commune. Its id is a readable slug of its name (`Vaulx-en-Velin` →
/// `vaulx-en-velin`), stable once created.
pub async fn create_commune(db: &Db, changes: PartnerChanges, now: i64) -> Result<Partner, PartnerError> {
    let name = changes.name.clone().unwrap_or_default();
    if name.trim().is_empty() {
        return Err(PartnerError::Invalid { field: "name", why: "must be 1 to 200 characters".into() });
    }
    let id = slugify(name.trim());
    if id.is_empty() {
        return Err(PartnerError::Invalid { field: "name", why: "must contain letters or digits".into() });
    }
    let mut partner = Partner {
        id,
        name: String::new(),
        insee_code: None,
        kind: "commune".into(),
        created_at: now,
        population: None,
        offer: Offer::Global,
        pilot: false,
        joined_on: None,
        contacts: Vec::new(),
        updated_at: now,
        version: 1,
    };
    apply(&mut partner, changes)?;
    partners::insert(db, &partner.row()).await.map_err(conflict)?;
    Ok(partner)
}

/// Changes what `changes` names; the new offer holds for every token issued from now on.
/// `expected_version`: the version the change was made on (the admin API's `If-Match`); a
/// partner changed since is refused with `Changed`, never silently overwritten.
pub async fn update(
    db: &Db,
    id: &str,
    changes: PartnerChanges,
    expected_version: Option<i64>,
    now: i64,
) -> Result<Partner, PartnerError> {
    let mut partner = find(db, id).await?.ok_or_else(|| PartnerError::NotFound(id.to_owned()))?;
    let expected = expected_version.unwrap_or(partner.version);
    if partner.version != expected {
        return Err(PartnerError::Changed { expected });
    }
    apply(&mut partner, changes)?;
    partner.updated_at = now;
    if !partners::update(db, &partner.row()).await.map_err(conflict)? {
        return Err(PartnerError::Changed { expected });
    }
    partner.version += 1;
    Ok(partner)
}

pub async fn find(db: &Db, id: &str) -> Result<Option<Partner>, StoreError> {
    Ok(partners::find_by_id(db, id).await?.map(Partner::from))
}

/// Every partner: the Métropole first, then the communes by id (the same order on every
/// database engine, whatever its collation).
pub async fn list(db: &Db) -> Result<Vec<Partner>, StoreError> {
    let mut all: Vec<Partner> = partners::list(db).await?.into_iter().map(Partner::from).collect();
    all.sort_by(|a, b| (a.is_commune(), &a.id).cmp(&(b.is_commune(), &b.id)));
    Ok(all)
}

/// Registers one of `partner_id`'s APIs: tokens for `uri` (RFC 8707 `resource`) are then
/// audience-bound to that partner.
pub async fn add_resource_server(
    db: &Db,
    partner_id: &str,
    uri: &str,
    name: &str,
    now: i64,
) -> Result<ResourceServerRow, PartnerError> {
    crate::oauth::client::check_resource(uri)
        .map_err(|e| PartnerError::Invalid { field: "uri", why: format!("resource {uri}: {e}") })?;
    if find(db, partner_id).await?.is_none() {
        return Err(PartnerError::NotFound(partner_id.to_owned()));
    }
    let row = ResourceServerRow {
        uri: uri.to_owned(),
        partner_id: partner_id.to_owned(),
        name: name.trim().to_owned(),
        created_at: now,
    };
    partners::insert_resource_server(db, &row).await.map_err(|e| match e {
        StoreError::Conflict { .. } => PartnerError::Exists("resource URI"),
        other => PartnerError::Store(other),
    })?;
    Ok(row)
}

pub async fn resource_servers(db: &Db, partner_id: &str) -> Result<Vec<ResourceServerRow>, StoreError> {
    partners::resource_servers_of(db, partner_id).await
}

/// The partner whose API `uri` is, if it is registered.
pub async fn partner_of_resource(db: &Db, uri: &str) -> Result<Option<Partner>, StoreError> {
    match partners::resource_server(db, uri).await? {
        Some(server) => find(db, &server.partner_id).await,
        None => Ok(None),
    }
}

/// INSEE COG commune codes: 5 characters, digits except Corsica's `2A`/`2B`.
fn is_insee_code(code: &str) -> bool {
    code.len() == 5
        && (code.bytes().all(|b| b.is_ascii_digit())
            || ((code.starts_with("2A") || code.starts_with("2B")) && code[2..].bytes().all(|b| b.is_ascii_digit())))
}

fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn fold_accent(c: char) -> Vec<char> {
    let folded = match c {
        'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' => 'a',
        'ç' | 'Ç' => 'c',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'î' | 'ï' | 'Î' | 'Ï' => 'i',
        'ô' | 'ö' | 'Ô' | 'Ö' => 'o',
        'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'u',
        'ÿ' => 'y',
        'œ' | 'Œ' => return vec!['o', 'e'],
        'æ' | 'Æ' => return vec!['a', 'e'],
        other => other,
    };
    vec![folded]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable() {
        assert_eq!(slugify("Vaulx-en-Velin"), "vaulx-en-velin");
        assert_eq!(slugify("Saint-Genis-les-Ollières"), "saint-genis-les-ollieres");
        assert_eq!(slugify("  Écully "), "ecully");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn contacts_read_as_name_address_and_role() {
        let dpo = Contact::parse("Marie Durand <dpo@mairie-bron.fr> (déléguée à la protection des données)").unwrap();
        assert_eq!(dpo.name, "Marie Durand");
        assert_eq!(dpo.email, "dpo@mairie-bron.fr");
        assert_eq!(dpo.role.as_deref(), Some("déléguée à la protection des données"));
        assert_eq!(Contact::parse("Paul <paul@lyon.fr>").unwrap().role, None);
        for bad in ["Paul", "<paul@lyon.fr>", "Paul <not an address>", "Paul <paul@lyon.fr> role"] {
            assert!(Contact::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn insee_codes() {
        assert!(is_insee_code("69123"));
        assert!(is_insee_code("2A004"));
        assert!(!is_insee_code("6912"));
        assert!(!is_insee_code("69M12"));
    }
}
