//! The partner registry: the Métropole and its communes. Every client belongs to one partner,
//! which is also the sector of its pairwise subject identifiers (two services of one commune
//! see the same `sub`; two communes see different ones). The partners issue extends this with
//! offers, population and the yearly fee.

use serde::Serialize;

use crate::store::partners::{self, PartnerRow};
use crate::store::{Db, StoreError};

/// The Métropole exists from the first start (seeded by the first migration).
pub const METROPOLE_ID: &str = "metropole-de-lyon";

#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub insee_code: Option<String>,
    pub kind: String,
    pub created_at: i64,
}

impl From<PartnerRow> for Partner {
    fn from(r: PartnerRow) -> Self {
        Partner { id: r.id, name: r.name, insee_code: r.insee_code, kind: r.kind, created_at: r.created_at }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error("invalid partner: {0}")]
    Invalid(String),
    #[error("a partner with this {0} already exists")]
    Exists(&'static str),
    #[error(transparent)]
    Store(StoreError),
}

/// Registers a commune. Its id is a readable slug of its name (`Vaulx-en-Velin` →
/// `vaulx-en-velin`), stable once created.
pub async fn create_commune(db: &Db, name: &str, insee_code: Option<&str>, now: i64) -> Result<Partner, PartnerError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(PartnerError::Invalid("name must be 1 to 200 characters".into()));
    }
    if let Some(code) = insee_code
        && !is_insee_code(code)
    {
        return Err(PartnerError::Invalid(format!("{code} is not an INSEE commune code (5 characters, e.g. 69123)")));
    }
    let id = slugify(name);
    if id.is_empty() {
        return Err(PartnerError::Invalid("name must contain letters or digits".into()));
    }
    let row = PartnerRow {
        id,
        name: name.to_owned(),
        insee_code: insee_code.map(str::to_owned),
        kind: "commune".into(),
        created_at: now,
    };
    partners::insert(db, &row).await.map_err(|e| match e {
        StoreError::Conflict { constraint } if constraint.contains("insee") => PartnerError::Exists("INSEE code"),
        StoreError::Conflict { .. } => PartnerError::Exists("name"),
        other => PartnerError::Store(other),
    })?;
    Ok(row.into())
}

pub async fn list(db: &Db) -> Result<Vec<Partner>, StoreError> {
    Ok(partners::list(db).await?.into_iter().map(Partner::from).collect())
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
    fn insee_codes() {
        assert!(is_insee_code("69123"));
        assert!(is_insee_code("2A004"));
        assert!(!is_insee_code("6912"));
        assert!(!is_insee_code("69M12"));
    }
}
