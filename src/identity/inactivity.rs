//! Inactive accounts (GDPR storage limitation): an account nobody signed in to for
//! `inactivity.warn_after_days` (3 years by default, the CNIL's usual yardstick) is warned by
//! mail; if still unused `inactivity.delete_after_notice_days` later (30), it is deleted — the
//! services it shared with told first (`oauth::withdrawal::withdraw_all`). Run by
//! `glc purge-inactive-accounts`, daily from the operator's scheduler.

use crate::mail::compose::{Template, compose};
use crate::provider::Provider;
use crate::store::{StoreError, activity};

const DAY: i64 = 86_400;
/// At most this many warnings a run (a mail server is not flooded on the first run).
const WARNINGS_PER_RUN: i64 = 1_000;

/// Warns the accounts that became inactive; returns how many were warned.
pub async fn warn(provider: &Provider, now: i64) -> Result<usize, StoreError> {
    let config = &provider.config.inactivity;
    let cutoff = now - config.warn_after_days * DAY;
    let deadline = now + config.delete_after_notice_days * DAY;
    let deadline_text = time::OffsetDateTime::from_unix_timestamp(deadline)
        .ok()
        .and_then(|t| t.format(time::macros::format_description!("[day]/[month]/[year]")).ok())
        .unwrap_or_default();
    let login = provider.url("/account");
    let mut warned = 0;
    for (user_id, email) in activity::to_warn(&provider.db, cutoff, WARNINGS_PER_RUN).await? {
        // An account with no address (a FranceConnect one without email) cannot be told; the
        // privacy policy says inactive accounts are deleted.
        if !email.is_empty() {
            let mail = compose(&email, Template::InactiveAccount { deadline: &deadline_text, login: &login });
            let sent = match mail {
                Ok(mail) => provider.mailer.send(mail).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = sent {
                // Not marked: the next run tries again, and nothing is deleted unwarned.
                tracing::warn!(%user_id, error = %e, "inactivity warning not sent");
                continue;
            }
        }
        activity::mark_warned(&provider.db, &user_id, now).await?;
        warned += 1;
    }
    Ok(warned)
}

/// The accounts warned long enough ago and unused since: to delete.
pub async fn due_for_deletion(provider: &Provider, now: i64) -> Result<Vec<String>, StoreError> {
    activity::to_delete(&provider.db, now - provider.config.inactivity.delete_after_notice_days * DAY).await
}
