//! `glc consent …` and `glc audit …`: the daily consent expiry, the consent statistics, and the
//! journal's integrity check.

use clap::Subcommand;
use serde::Serialize;

use super::output;
use crate::config::Config;
use crate::consent::statistics;
use crate::{app, audit};

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Clear the decisions past their expiry, journal each, end the grants they covered.
    /// Meant to run daily.
    Expire {
        #[arg(long)]
        json: bool,
    },
    /// Per service and per partner: consents given, refused, withdrawn, expired, live, and the
    /// acceptance rate; no resident's data.
    Stats {
        /// Only this partner's services.
        #[arg(long)]
        partner: Option<String>,
        /// From this day (YYYY-MM-DD, UTC); from the start by default.
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the journal's hash chain from the first entry, and every signed checkpoint
    /// against it; fails on the first broken entry or any checkpoint that does not hold.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Sign the journal's head into `audit.checkpoint_dir` (run hourly), and send the
    /// checkpoints not yet delivered to `audit.checkpoint_webhook` if set.
    Checkpoint {
        #[arg(long)]
        json: bool,
    },
    /// Remove the whole segments (every entry up to a checkpoint) older than
    /// `audit.retention_days`, after checking chain and checkpoints (run daily).
    Purge {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Serialize)]
struct Expired {
    expired: u64,
}

pub async fn run_consent(cmd: ConsentCommand, config: Config, clock: crate::clock::SharedClock) -> anyhow::Result<()> {
    match cmd {
        ConsentCommand::Expire { json } => {
            let provider = app::build_provider(config, clock).await?;
            let expired = crate::oauth::withdrawal::expire(&provider)
                .await
                .map_err(|e| anyhow::anyhow!("consent expiry: {e:?}"))?;
            output(json, &Expired { expired }, || format!("{expired} consents expired"))
        }
        ConsentCommand::Stats { partner, since, json } => {
            let db = app::open_database(&config).await?;
            let since = match since {
                Some(day) => start_of_day(&day)?,
                None => 0,
            };
            let stats = statistics::compute(&db, partner.as_deref(), since, clock.now()).await?;
            output(json, &stats, || describe(&stats))
        }
    }
}

fn start_of_day(day: &str) -> anyhow::Result<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day, &format).map_err(|_| anyhow::anyhow!("--since: expected YYYY-MM-DD"))?;
    Ok(date.midnight().assume_utc().unix_timestamp())
}

fn describe(stats: &statistics::Statistics) -> String {
    let rate = |r: Option<f64>| r.map(|r| format!("{:.0} %", r * 100.0)).unwrap_or_else(|| "—".to_owned());
    let mut lines = vec![format!(
        "{:<28} {:>7} {:>7} {:>9} {:>7} {:>6} {:>9}",
        "", "given", "refused", "withdrawn", "expired", "live", "accepted"
    )];
    for c in &stats.clients {
        let f = &c.figures;
        lines.push(format!(
            "{:<28} {:>7} {:>7} {:>9} {:>7} {:>6} {:>9}",
            c.client_id,
            f.given,
            f.refused,
            f.withdrawn,
            f.expired,
            f.live_consents,
            rate(f.acceptance_rate)
        ));
    }
    for p in &stats.partners {
        let f = &p.figures;
        lines.push(format!(
            "{:<28} {:>7} {:>7} {:>9} {:>7} {:>6} {:>9}",
            format!("partner {}", p.partner_id),
            f.given,
            f.refused,
            f.withdrawn,
            f.expired,
            f.live_consents,
            rate(f.acceptance_rate)
        ));
    }
    lines.join("\n")
}

#[derive(Debug, Serialize)]
struct Verified {
    entries: u64,
    checkpoints: usize,
}

pub async fn run_audit(cmd: AuditCommand, config: Config, clock: crate::clock::SharedClock) -> anyhow::Result<()> {
    let audit_config = config.audit.clone();
    let dir = audit_config.checkpoint_dir.clone();
    let provider = app::build_provider(config, clock).await?;
    match cmd {
        AuditCommand::Verify { json } => {
            let anchor = audit::retention::anchor(&provider, &dir).await?;
            let entries = match audit::verify_from(&provider.db, anchor).await? {
                Ok(entries) => entries,
                Err(broken) => anyhow::bail!("journal broken: {broken}"),
            };
            let report = audit::checkpoint::verify(&provider, &dir).await?;
            if !report.problems.is_empty() {
                anyhow::bail!("journal does not match its checkpoints:\n{}", report.problems.join("\n"));
            }
            let verified = Verified { entries, checkpoints: report.checked };
            output(json, &verified, || {
                format!("journal intact: {entries} entries, {} checkpoints hold", report.checked)
            })
        }
        AuditCommand::Checkpoint { json } => {
            let written = audit::checkpoint::write(&provider, &dir).await?;
            // Delivered after the file is safe: a webhook down fails the run, the next retries.
            if let Some(webhook) = &audit_config.checkpoint_webhook {
                audit::checkpoint::deliver(&provider, &dir, webhook).await?;
            }
            output(json, &written, || match &written {
                Some(w) => format!("checkpoint at entry {}: {}", w.seq, w.file.display()),
                None => "nothing new to checkpoint".to_owned(),
            })
        }
        AuditCommand::Purge { json } => {
            let seconds = audit_config.retention_days.saturating_mul(86_400);
            let purged = audit::retention::purge(&provider, &dir, seconds).await?;
            output(json, &purged, || match &purged {
                Some(p) => format!("removed {} entries, through entry {} (its checkpoint kept)", p.removed, p.through),
                None => "no whole segment older than the retention period".to_owned(),
            })
        }
    }
}
