//! `glc admin …`: who administers what. Bootstraps the first Métropole administrator; every
//! grant and revocation is journaled with `operator` as its author.

use clap::Subcommand;
use serde::Serialize;

use super::output;
use crate::admin::roles::{self, Role};
use crate::app;
use crate::audit::Actor;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Give an account a role.
    Grant {
        /// The account: its id or email address.
        account: String,
        #[arg(long, value_parser = ["metropole-admin", "commune-admin", "helpdesk", "auditor"])]
        role: String,
        /// The commune a `commune-admin` administers.
        #[arg(long)]
        partner: Option<String>,
        /// Why, for the journal.
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Take a role away from an account.
    Revoke {
        account: String,
        #[arg(long, value_parser = ["metropole-admin", "commune-admin", "helpdesk", "auditor"])]
        role: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Every administrator and their roles.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Serialize)]
struct Revoked {
    revoked: bool,
}

pub async fn run(cmd: AdminCommand, config: &Config, now: i64) -> anyhow::Result<()> {
    let db = app::open_database(config).await?;
    match cmd {
        AdminCommand::Grant { account, role, partner, reason, json } => {
            let Some(role) = Role::parse(&role, partner.as_deref()) else {
                anyhow::bail!("--partner goes with commune-admin, and only with it");
            };
            let admin = roles::grant(&db, now, Actor::Operator, &account, role, reason.as_deref()).await?;
            output(json, &admin, || format!("{account}: {}", describe(&admin.roles)))
        }
        AdminCommand::Revoke { account, role, reason, json } => {
            let revoked = roles::revoke(&db, now, Actor::Operator, &account, &role, reason.as_deref()).await?;
            output(json, &Revoked { revoked }, || {
                if revoked { format!("{account} is no longer {role}") } else { format!("{account} was not {role}") }
            })
        }
        AdminCommand::List { json } => {
            let rows = crate::store::admin_roles::list(&db).await?;
            output(json, &rows, || {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}  {}{}",
                            r.user_id,
                            r.role,
                            r.partner_id.as_deref().map(|p| format!(" ({p})")).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

fn describe(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| match r {
            Role::CommuneAdmin(p) => format!("commune_admin ({p})"),
            other => other.name().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
