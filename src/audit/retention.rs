//! Retention by whole segments. A segment is every entry up to a signed checkpoint; only whole
//! segments whose last entry is older than the retention period go. Their checkpoint files
//! stay: the last one anchors what remains (the first entry left must chain on the hash it
//! signs), and the purge is itself journaled, so `verify` still checks everything left, and a
//! prefix removed any other way — not at a checkpoint, or without its purge entry — is caught.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

use super::checkpoint::{self, CheckpointError};
use super::{Actor, Event};
use crate::provider::Provider;
use crate::store::journal::{self, JournalFilter};

pub const PURGED: &str = "journal.purged";

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// The journal does not verify: nothing is removed (it would destroy the evidence).
    #[error("the journal does not verify, nothing removed: {0}")]
    Broken(String),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Where what remains of the journal starts: `None` from the genesis, or the entry the last
/// purge ended with and the hash its checkpoint signs. A journal whose first entries are gone
/// without a checkpoint and a purge entry for them is broken.
pub async fn anchor(provider: &Provider, dir: &Path) -> Result<Option<(i64, String)>, RetentionError> {
    let Some(first) = journal::page(&provider.db, 0, 1).await?.into_iter().next() else { return Ok(None) };
    if first.seq == 1 {
        return Ok(None);
    }
    let through = first.seq - 1;
    let signed = checkpoint::read_all(provider, dir)?
        .into_iter()
        .find_map(|s| s.claims.ok().filter(|(seq, _)| *seq == through))
        .ok_or_else(|| {
            RetentionError::Broken(format!("entries 1 to {through} are gone and no checkpoint signs {through}"))
        })?;
    let purges = journal::filtered(
        &provider.db,
        &JournalFilter { limit: 1000, action: Some(PURGED.to_owned()), ..Default::default() },
    )
    .await?;
    let recorded = purges.iter().any(|p| {
        serde_json::from_str::<serde_json::Value>(&p.details).is_ok_and(|d| d["through"].as_i64() == Some(through))
    });
    if !recorded {
        return Err(RetentionError::Broken(format!("entries 1 to {through} are gone with no purge journaled")));
    }
    Ok(Some(signed))
}

/// What a purge removed.
#[derive(Debug, Clone, Serialize)]
pub struct Purged {
    /// The last entry removed (its checkpoint stays).
    pub through: i64,
    pub removed: i64,
}

/// Removes the whole segments whose last entry is older than `retention_seconds`, after
/// checking the chain and the checkpoints; `None` when no segment is old enough.
pub async fn purge(provider: &Provider, dir: &Path, retention_seconds: i64) -> Result<Option<Purged>, RetentionError> {
    let anchor = anchor(provider, dir).await?;
    if let Err(broken) = super::verify_from(&provider.db, anchor.clone()).await? {
        return Err(RetentionError::Broken(broken.to_string()));
    }
    let report = checkpoint::verify(provider, dir).await?;
    if !report.problems.is_empty() {
        return Err(RetentionError::Broken(report.problems.join("; ")));
    }
    let cutoff = provider.now() - retention_seconds;
    let start = anchor.map_or(0, |(seq, _)| seq);
    let mut through = None;
    for (seq, hash) in checkpoint::read_all(provider, dir)?.into_iter().filter_map(|s| s.claims.ok()) {
        if seq <= start {
            continue;
        }
        match journal::page(&provider.db, seq - 1, 1).await?.into_iter().next() {
            Some(row) if row.seq == seq && row.hash == hash && row.at < cutoff => through = Some(seq),
            _ => break,
        }
    }
    let Some(through) = through else { return Ok(None) };
    // Journaled first: the purge is part of the chain that remains.
    let event = Event {
        details: json!({ "through": through, "retention_seconds": retention_seconds }),
        ..Event::new(Actor::Operator, PURGED)
    };
    super::record(provider, event).await?;
    let removed = journal::delete_through(&provider.db, through).await?;
    Ok(Some(Purged { through, removed }))
}
