//! Reading the audit journal (auditors, the Métropole's administrator): filtered pages, and the
//! export as JSON lines, itself journaled.

use serde::Serialize;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::AdminError;
use super::roles::Permission;
use crate::audit::{self, Event};
use crate::provider::Provider;
use crate::store::journal::{self, JournalFilter, JournalRow};

/// One entry as the API shows it (`details` as an object).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub partner_id: Option<String>,
    pub reason: Option<String>,
    pub origin: Option<String>,
    pub details: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<JournalRow> for Entry {
    fn from(r: JournalRow) -> Self {
        Entry {
            details: serde_json::from_str(&r.details).unwrap_or(Value::String(r.details)),
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            client_id: r.client_id,
            partner_id: r.partner_id,
            reason: r.reason,
            origin: r.origin,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// A page of entries and where the next one starts (`None`: the end for now).
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub items: Vec<Entry>,
    pub next: Option<String>,
}

pub const MAX_PAGE: i64 = 1000;

pub async fn page(provider: &Provider, caller: &Caller, filter: &JournalFilter) -> Result<Page, AdminError> {
    caller.require(Permission::ReadJournal)?;
    if !(1..=MAX_PAGE).contains(&filter.limit) {
        return Err(AdminError::invalid("limit", format!("1 to {MAX_PAGE}")));
    }
    let rows = journal::filtered(&provider.db, filter).await?;
    let next = (rows.len() as i64 == filter.limit).then(|| rows.last().map(|r| r.seq.to_string())).flatten();
    Ok(Page { items: rows.into_iter().map(Entry::from).collect(), next })
}

/// Every entry the filter selects, as JSON lines (one entry per line); the export is journaled.
pub async fn export(provider: &Provider, caller: &Caller, filter: &JournalFilter) -> Result<String, AdminError> {
    caller.require(Permission::ReadJournal)?;
    let mut out = String::new();
    let mut cursor = JournalFilter { limit: MAX_PAGE, ..filter.clone() };
    loop {
        let rows = journal::filtered(&provider.db, &cursor).await?;
        let done = (rows.len() as i64) < MAX_PAGE;
        for row in rows {
            cursor.after = row.seq;
            out.push_str(&serde_json::to_string(&Entry::from(row)).map_err(|e| AdminError::Internal(e.to_string()))?);
            out.push('\n');
        }
        if done {
            break;
        }
    }
    let event = Event {
        origin: caller.origin.as_deref(),
        details: json!({ "lines": out.lines().count() }),
        ..Event::new(caller.actor(), "journal.exported")
    };
    audit::record(provider, event).await?;
    Ok(out)
}
