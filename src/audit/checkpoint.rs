//! Signed checkpoints of the journal, kept outside the database. A checkpoint is a JWT signed
//! ES256 by the provider, with its own `typ` (RFC 8725 §3.11), saying "entry `seq` has hash
//! `hash`". Since each hash covers every entry before it, someone who can write the database
//! and rewrites history — even recomputing every hash — no longer matches the checkpoints taken
//! before: `verify` names the first checkpoint that disagrees, and a journal cut short (entries
//! removed at the end) is caught too. Written by `glc audit checkpoint`, run hourly.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::provider::Provider;
use crate::signing::SigningAlg;
use crate::store::{StoreError, journal};

pub const TYP: &str = "journal-checkpoint+jwt";

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint directory {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("signing: {0}")]
    Signing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A checkpoint written.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub seq: i64,
    pub hash: String,
    pub file: PathBuf,
}

/// Signs the journal's head into `dir`; `None` when the journal is empty or its head already
/// has a checkpoint.
pub async fn write(provider: &Provider, dir: &Path) -> Result<Option<Written>, CheckpointError> {
    let Some((seq, hash)) = journal::head(&provider.db).await? else { return Ok(None) };
    let file = dir.join(format!("{seq:012}.jwt"));
    if file.exists() {
        return Ok(None);
    }
    let claims: Map<String, Value> = match json!({
        "iss": provider.issuer(),
        "iat": provider.now(),
        "seq": seq,
        "hash": hash,
    }) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let jwt = provider
        .keys()
        .sign(SigningAlg::ES256, Some(TYP), &claims)
        .map_err(|e| CheckpointError::Signing(e.to_string()))?;
    std::fs::create_dir_all(dir).map_err(|e| CheckpointError::Io(dir.to_owned(), e))?;
    // Written aside then renamed: a crash never leaves half a checkpoint.
    let partial = dir.join(format!(".{seq:012}.jwt.partial"));
    std::fs::write(&partial, &jwt).map_err(|e| CheckpointError::Io(partial.clone(), e))?;
    std::fs::rename(&partial, &file).map_err(|e| CheckpointError::Io(file.clone(), e))?;
    Ok(Some(Written { seq, hash, file }))
}

/// What checking the checkpoints found.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub checked: usize,
    /// Each checkpoint that does not hold, with why.
    pub problems: Vec<String>,
}

/// Checks every checkpoint in `dir` against the journal.
pub async fn verify(provider: &Provider, dir: &Path) -> Result<Report, CheckpointError> {
    let mut report = Report::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(report),
        Err(e) => return Err(CheckpointError::Io(dir.to_owned(), e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jwt"))
        .collect();
    files.sort();
    let head = journal::head(&provider.db).await?.map_or(0, |(seq, _)| seq);
    for file in files {
        report.checked += 1;
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| CheckpointError::Io(file.clone(), e))?;
        let jwt = match provider.keys().verify(text.trim()) {
            Ok(jwt) if jwt.typ() == Some(TYP) && jwt.str_claim("iss") == Some(provider.issuer()) => jwt,
            _ => {
                report.problems.push(format!("{name}: not a checkpoint signed by this provider"));
                continue;
            }
        };
        let (Some(seq), Some(hash)) = (jwt.int_claim("seq"), jwt.str_claim("hash")) else {
            report.problems.push(format!("{name}: no seq or hash"));
            continue;
        };
        if seq > head {
            report.problems.push(format!("{name}: the journal ends at {head}, before entry {seq} (entries removed)"));
            continue;
        }
        let stored = journal::page(&provider.db, seq - 1, 1).await?;
        match stored.first() {
            Some(row) if row.seq == seq && row.hash == hash => {}
            Some(row) if row.seq == seq => report.problems.push(format!("{name}: entry {seq} was rewritten")),
            _ => report.problems.push(format!("{name}: entry {seq} is missing")),
        }
    }
    Ok(report)
}
