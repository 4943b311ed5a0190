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
    #[error("checkpoint webhook: {0}")]
    Webhook(String),
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

/// One checkpoint file, read and its signature checked.
pub struct Signed {
    pub file: PathBuf,
    /// `(seq, hash)`, or why the file is not a checkpoint of ours.
    pub claims: Result<(i64, String), String>,
}

/// Every checkpoint in `dir`, in order.
pub fn read_all(provider: &Provider, dir: &Path) -> Result<Vec<Signed>, CheckpointError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CheckpointError::Io(dir.to_owned(), e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jwt"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| CheckpointError::Io(file.clone(), e))?;
        let claims = match provider.keys().verify(text.trim()) {
            Ok(jwt) if jwt.typ() == Some(TYP) && jwt.str_claim("iss") == Some(provider.issuer()) => {
                match (jwt.int_claim("seq"), jwt.str_claim("hash")) {
                    (Some(seq), Some(hash)) => Ok((seq, hash.to_owned())),
                    _ => Err("no seq or hash".to_owned()),
                }
            }
            _ => Err("not a checkpoint signed by this provider".to_owned()),
        };
        out.push(Signed { file, claims });
    }
    Ok(out)
}

/// What checking the checkpoints found.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub checked: usize,
    /// Checkpoints of segments removed by retention (kept, nothing left to compare).
    pub purged: usize,
    /// Each checkpoint that does not hold, with why.
    pub problems: Vec<String>,
}

/// Checks every checkpoint in `dir` against the journal: each entry it signs is there with
/// that hash; the one that anchors a purge is the hash the first entry left chains on.
pub async fn verify(provider: &Provider, dir: &Path) -> Result<Report, CheckpointError> {
    let mut report = Report::default();
    let head = journal::head(&provider.db).await?.map_or(0, |(seq, _)| seq);
    let first = journal::page(&provider.db, 0, 1).await?.into_iter().next();
    for Signed { file, claims } in read_all(provider, dir)? {
        report.checked += 1;
        let name = file.display().to_string();
        let (seq, hash) = match claims {
            Ok(claims) => claims,
            Err(why) => {
                report.problems.push(format!("{name}: {why}"));
                continue;
            }
        };
        if seq > head {
            report.problems.push(format!("{name}: the journal ends at {head}, before entry {seq} (entries removed)"));
            continue;
        }
        match &first {
            Some(first) if seq < first.seq - 1 => {
                report.purged += 1;
                continue;
            }
            Some(first) if seq == first.seq - 1 => {
                if first.prev_hash != hash {
                    report.problems.push(format!("{name}: entry {} does not chain on it", first.seq));
                }
                continue;
            }
            _ => {}
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

/// Sends every checkpoint not yet delivered to `webhook` (`application/jwt`, one POST each),
/// marking each delivered beside it; a refusal stops there (the next run retries). Returns how
/// many were delivered now.
pub async fn deliver(provider: &Provider, dir: &Path, webhook: &str) -> Result<usize, CheckpointError> {
    if !crate::outbound::url_allowed(webhook, provider.config.is_loopback_http()) {
        return Err(CheckpointError::Webhook(format!("{webhook}: not an address the provider may call")));
    }
    let mut delivered = 0;
    for Signed { file, claims } in read_all(provider, dir)? {
        let marker = file.with_extension("jwt.delivered");
        if claims.is_err() || marker.exists() {
            continue;
        }
        let jwt = std::fs::read_to_string(&file).map_err(|e| CheckpointError::Io(file.clone(), e))?;
        let response = provider
            .http
            .post(webhook)
            .header(reqwest::header::CONTENT_TYPE, "application/jwt")
            .timeout(std::time::Duration::from_secs(10))
            .body(jwt.trim().to_owned())
            .send()
            .await
            .map_err(|e| CheckpointError::Webhook(e.to_string()))?;
        if !response.status().is_success() {
            return Err(CheckpointError::Webhook(format!("{webhook} answered {}", response.status())));
        }
        std::fs::write(&marker, b"").map_err(|e| CheckpointError::Io(marker.clone(), e))?;
        delivered += 1;
    }
    Ok(delivered)
}
