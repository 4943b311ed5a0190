//! The hash chain: each entry's digest covers its content and the previous entry's digest.

use sha2::{Digest, Sha256};

use crate::store::journal::JournalRow;

/// What the first entry chains on.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256, hex, over every column but `hash`, as a JSON array (unambiguous: no separator can
/// be forged inside a field).
pub fn digest(row: &JournalRow) -> String {
    let content = serde_json::json!([
        row.seq,
        row.at,
        row.actor,
        row.action,
        row.subject,
        row.client_id,
        row.partner_id,
        row.reason,
        row.origin,
        row.details,
        row.prev_hash,
    ]);
    let bytes = Sha256::digest(content.to_string().as_bytes());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal entry {seq}: {why}")]
pub struct Broken {
    pub seq: i64,
    pub why: &'static str,
}

/// Walks the chain entry by entry.
#[derive(Debug)]
pub struct Checker {
    last_seq: i64,
    last_hash: String,
    entries: u64,
}

impl Default for Checker {
    fn default() -> Self {
        Checker { last_seq: 0, last_hash: GENESIS.to_owned(), entries: 0 }
    }
}

impl Checker {
    /// A chain that starts after entry `seq` of hash `hash` (a checkpoint that anchors what a
    /// purge left).
    pub fn after(seq: i64, hash: String) -> Checker {
        Checker { last_seq: seq, last_hash: hash, entries: 0 }
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    pub fn check(&mut self, row: &JournalRow) -> Result<(), Broken> {
        let broken = |why| Err(Broken { seq: row.seq, why });
        if row.seq != self.last_seq + 1 {
            return broken("an entry before it is missing");
        }
        if row.prev_hash != self.last_hash {
            return broken("it does not chain on the entry before it");
        }
        if digest(row) != row.hash {
            return broken("its content does not match its hash (altered)");
        }
        self.last_seq = row.seq;
        self.last_hash = row.hash.clone();
        self.entries += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<JournalRow> {
        let mut rows: Vec<JournalRow> = Vec::new();
        for seq in 1..=n {
            let mut row = JournalRow {
                seq,
                at: 1_700_000_000 + seq,
                actor: "system".into(),
                action: "consent.expired".into(),
                subject: Some("p-x".into()),
                client_id: Some("c".into()),
                partner_id: None,
                reason: None,
                origin: None,
                details: "{}".into(),
                prev_hash: rows.last().map(|r| r.hash.clone()).unwrap_or_else(|| GENESIS.into()),
                hash: String::new(),
            };
            row.hash = digest(&row);
            rows.push(row);
        }
        rows
    }

    fn check_all(rows: &[JournalRow]) -> Result<u64, Broken> {
        let mut checker = Checker::default();
        rows.iter().try_for_each(|r| checker.check(r))?;
        Ok(checker.entries())
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(check_all(&chain(5)), Ok(5));
    }

    #[test]
    fn an_altered_a_removed_or_a_rehashed_entry_is_named() {
        let mut altered = chain(5);
        altered[2].action = "consent.given".into();
        assert_eq!(check_all(&altered), Err(Broken { seq: 3, why: "its content does not match its hash (altered)" }));

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(check_all(&removed).map_err(|b| b.seq), Err(3));

        // Rewriting an entry and its hash breaks the link from the next one.
        let mut rehashed = chain(5);
        rehashed[2].reason = Some("cover-up".into());
        rehashed[2].hash = digest(&rehashed[2]);
        assert_eq!(check_all(&rehashed), Err(Broken { seq: 4, why: "it does not chain on the entry before it" }));
    }
}
