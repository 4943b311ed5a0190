//! The audit journal: who did what, to whom, when, why and from where, append-only and chained.
//!
//! Every entry carries the SHA-256 of its own content and of the entry before it
//! (`chain::digest`), so changing, inserting or removing a row breaks the chain at that row and
//! `verify` names it. Appends take the next sequence number; the primary key makes a concurrent
//! writer (another instance) lose the race and retry on the new head, so the chain never forks.
//! Residents appear under a pseudonym, never their account id or email: deleting an account
//! removes the pseudonym's link to the person and leaves history intact.

pub mod chain;
pub mod checkpoint;
pub mod retention;
pub mod security;

use serde_json::Value;

use crate::provider::Provider;
use crate::store::journal::{self, JournalRow};
use crate::store::{Db, StoreError};

/// Who acted.
#[derive(Debug, Clone)]
pub enum Actor<'a> {
    /// A resident, on their own account (named by pseudonym).
    Resident(&'a str),
    /// The provider itself (a scheduled purge, an expiry).
    System,
    /// A client application, authenticated.
    Client(&'a str),
    /// An administrator (Métropole, commune, help desk, auditor), by account id.
    Admin(&'a str),
    /// Someone with the server's command line (`glc …`): bootstrap and operations.
    Operator,
    /// Someone not signed in (a failed login): known only by the address in `origin`.
    Anonymous,
}

impl Actor<'_> {
    /// Who, outside the journal (e.g. `admin_roles.granted_by`): an account id or a kind.
    pub fn label(&self) -> String {
        match self {
            Actor::Resident(id) | Actor::Admin(id) => (*id).to_owned(),
            Actor::Client(id) => format!("client:{id}"),
            Actor::System => "system".to_owned(),
            Actor::Operator => "operator".to_owned(),
            Actor::Anonymous => "anonymous".to_owned(),
        }
    }
}

/// One thing that happened, before it is chained.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor: Actor<'a>,
    /// Dotted and stable: `consent.given`, `consent.withdrawn`…
    pub action: &'static str,
    /// The resident concerned (an account id, journaled as its pseudonym).
    pub subject: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub partner_id: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// Where the request came from (the client's address), when there was one.
    pub origin: Option<&'a str>,
    pub details: Value,
}

impl<'a> Event<'a> {
    pub fn new(actor: Actor<'a>, action: &'static str) -> Self {
        Event {
            actor,
            action,
            subject: None,
            client_id: None,
            partner_id: None,
            reason: None,
            origin: None,
            details: Value::Object(Default::default()),
        }
    }
}

tokio::task_local! {
    /// The address of the request being served (set once by the HTTP layer): the `origin` of
    /// every entry appended while serving it that does not name one itself.
    pub static REQUEST_ORIGIN: String;
}

/// Serializes this process's appends (other instances are kept in line by the primary key).
static APPEND: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How many times an append retries after another instance took its place.
const APPEND_ATTEMPTS: usize = 64;

/// Appends `event` to the journal; returns its sequence number.
pub async fn record(provider: &Provider, event: Event<'_>) -> Result<i64, StoreError> {
    append(&provider.db, provider.now(), event).await
}

pub async fn append(db: &Db, now: i64, event: Event<'_>) -> Result<i64, StoreError> {
    let actor = match event.actor {
        Actor::Resident(user_id) => format!("resident:{}", pseudonym(db, user_id).await?),
        Actor::Admin(user_id) => format!("admin:{}", pseudonym(db, user_id).await?),
        Actor::Client(_) | Actor::System | Actor::Operator | Actor::Anonymous => event.actor.label(),
    };
    let subject = match event.subject {
        Some(user_id) => Some(pseudonym(db, user_id).await?),
        None => None,
    };
    let origin = event.origin.map(str::to_owned).or_else(|| REQUEST_ORIGIN.try_with(Clone::clone).ok());
    let _in_line = APPEND.lock().await;
    for _ in 0..APPEND_ATTEMPTS {
        let (prev_seq, prev_hash) = journal::head(db).await?.unwrap_or((0, chain::GENESIS.to_owned()));
        let mut row = JournalRow {
            seq: prev_seq + 1,
            at: now,
            actor: actor.clone(),
            action: event.action.to_owned(),
            subject: subject.clone(),
            client_id: event.client_id.map(str::to_owned),
            partner_id: event.partner_id.map(str::to_owned),
            reason: event.reason.map(str::to_owned),
            origin: origin.clone(),
            details: event.details.to_string(),
            prev_hash,
            hash: String::new(),
        };
        row.hash = chain::digest(&row);
        match journal::insert(db, &row).await {
            Ok(()) => return Ok(row.seq),
            Err(StoreError::Conflict { .. }) => tokio::task::yield_now().await,
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Corrupt("the journal's head kept moving: too many concurrent appends".to_owned()))
}

/// The resident's pseudonym in the journal.
pub async fn pseudonym(db: &Db, user_id: &str) -> Result<String, StoreError> {
    journal::pseudonym(db, user_id, &format!("p-{}", crate::secrets::random_token(12))).await
}

/// The whole chain checked from the first entry: `Ok(entries)` or the first broken entry.
pub async fn verify(db: &Db) -> Result<Result<u64, chain::Broken>, StoreError> {
    verify_from(db, None).await
}

/// The chain checked from the genesis, or after `anchor` (the entry a retention purge ended
/// with: its sequence number and the hash its checkpoint signs).
pub async fn verify_from(db: &Db, anchor: Option<(i64, String)>) -> Result<Result<u64, chain::Broken>, StoreError> {
    const PAGE: i64 = 1000;
    let mut checker = match anchor {
        Some((seq, hash)) => chain::Checker::after(seq, hash),
        None => chain::Checker::default(),
    };
    loop {
        let rows = journal::page(db, checker.last_seq(), PAGE).await?;
        let done = (rows.len() as i64) < PAGE;
        for row in &rows {
            if let Err(broken) = checker.check(row) {
                return Ok(Err(broken));
            }
        }
        if done {
            return Ok(Ok(checker.entries()));
        }
    }
}
