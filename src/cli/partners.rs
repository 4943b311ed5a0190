//! `glc partner …`: the registry of the Métropole and its communes, their APIs, and the yearly
//! participation for the finance department.

use clap::Subcommand;

use super::output;
use crate::app;
use crate::config::Config;
use crate::consent::groups::{self, GroupDeclaration};
use crate::consent::links;
use crate::partners::{self, Contact, Offer, PartnerChanges, report};

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Register a commune.
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        facts: Facts,
        #[arg(long)]
        json: bool,
    },
    /// List partners.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one partner: its facts, its APIs and this year's participation (or `--year`'s).
    Show {
        id: String,
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        json: bool,
    },
    /// Change a partner's facts; an offer change holds for every token issued from then on.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        facts: Facts,
        #[arg(long)]
        json: bool,
    },
    /// Every partner's participation for fiscal year `--year`, and the total.
    Fees {
        #[arg(long)]
        year: i32,
        /// `;`-separated, for a spreadsheet.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        #[arg(long)]
        json: bool,
    },
    /// Register one of a partner's APIs (a resource server, RFC 8707): tokens for it are bound
    /// to that partner.
    AddApi {
        id: String,
        /// The API's resource URI, as clients ask for it in `resource`.
        #[arg(long)]
        uri: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Declare several of a partner's services as one purpose: a resident's consent to one
    /// holds for all (redefines the group if it exists).
    Group {
        id: String,
        /// The group's id (letters, digits, '-').
        #[arg(long = "group")]
        group_id: String,
        /// How the consent page names the group.
        #[arg(long)]
        name: String,
        /// The one purpose the services share.
        #[arg(long)]
        purpose: String,
        /// A member service's client id; repeat (two at least).
        #[arg(long = "client", required = true)]
        clients: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Declare why the partner's services need to know a resident is the same person as at
    /// another partner: they may then ask for the scope `link:{from}`, and the resident decides.
    Link {
        id: String,
        /// The other partner.
        #[arg(long)]
        from: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        json: bool,
    },
}

/// What the partnership agreement records about a commune.
#[derive(Debug, clap::Args)]
pub struct Facts {
    /// INSEE commune code (e.g. 69123 for Lyon).
    #[arg(long)]
    insee: Option<String>,
    /// Inhabitants (the figure the participation's band is read from).
    #[arg(long)]
    population: Option<i64>,
    /// `global`, or `restricted` (without the GRU tool).
    #[arg(long, value_parser = ["global", "restricted"])]
    offer: Option<String>,
    /// One of the pilot communes (50 % off the 2019 participation).
    #[arg(long)]
    pilot: Option<bool>,
    /// When it joined the partnership, YYYY-MM-DD.
    #[arg(long)]
    joined: Option<String>,
    /// `Name <address>` or `Name <address> (role)`; repeat for several; replaces the list.
    #[arg(long = "contact")]
    contacts: Vec<String>,
}

impl Facts {
    fn into_changes(self, name: Option<String>) -> anyhow::Result<PartnerChanges> {
        let contacts = if self.contacts.is_empty() {
            None
        } else {
            Some(self.contacts.iter().map(|c| Contact::parse(c)).collect::<Result<Vec<_>, _>>()?)
        };
        Ok(PartnerChanges {
            name,
            insee_code: self.insee,
            population: self.population,
            offer: self.offer.as_deref().and_then(Offer::parse),
            pilot: self.pilot,
            joined_on: self.joined,
            contacts,
        })
    }
}

fn describe(p: &partners::Partner) -> String {
    format!(
        "{}  {}  {}  {}  population={}  offre={}{}",
        p.id,
        p.name,
        p.insee_code.as_deref().unwrap_or("-"),
        p.kind,
        p.population.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
        p.offer.as_str(),
        if p.pilot { "  pilote" } else { "" },
    )
}

fn this_year(now: i64) -> i32 {
    time::OffsetDateTime::from_unix_timestamp(now).map(|t| t.year()).unwrap_or(2026)
}

pub async fn run(cmd: PartnerCommand, config: &Config, now: i64) -> anyhow::Result<()> {
    let db = app::open_database(config).await?;
    match cmd {
        PartnerCommand::Create { name, facts, json } => {
            let p = partners::create_commune(&db, facts.into_changes(Some(name))?, now).await?;
            output(json, &p, || format!("created partner {}", describe(&p)))
        }
        PartnerCommand::List { json } => {
            let all = partners::list(&db).await?;
            output(json, &all, || all.iter().map(describe).collect::<Vec<_>>().join("\n"))
        }
        PartnerCommand::Show { id, year, json } => {
            let p = partners::find(&db, &id).await?.ok_or_else(|| partners::PartnerError::NotFound(id.clone()))?;
            let apis = partners::resource_servers(&db, &id).await?;
            let year = year.unwrap_or_else(|| this_year(now));
            let participation = p.participation(year);
            let shown =
                serde_json::json!({ "partner": &p, "apis": &apis, "year": year, "participation": &participation });
            output(json, &shown, || {
                let mut text = describe(&p);
                for contact in &p.contacts {
                    text.push_str(&format!("\ncontact: {} <{}>", contact.name, contact.email));
                }
                for api in &apis {
                    text.push_str(&format!("\nAPI: {}  {}", api.uri, api.name));
                }
                match &participation {
                    Some(fee) => text.push_str(&format!(
                        "\nparticipation {year}: {} € TTC{}",
                        report::euros(fee.amount),
                        fee.note.map(|n| format!(" ({n})")).unwrap_or_default()
                    )),
                    None => text.push_str(&format!("\nparticipation {year}: population inconnue")),
                }
                text
            })
        }
        PartnerCommand::Update { id, name, facts, json } => {
            let p = partners::update(&db, &id, facts.into_changes(name)?, None, now).await?;
            output(json, &p, || format!("updated partner {}", describe(&p)))
        }
        PartnerCommand::Fees { year, csv, json } => {
            let report = report::fee_report(&partners::list(&db).await?, year);
            if csv {
                print!("{}", report.to_csv());
                return Ok(());
            }
            output(json, &report, || report.to_text())
        }
        PartnerCommand::Group { id, group_id, name, purpose, clients, json } => {
            let declared = GroupDeclaration { id: &group_id, name: &name, purpose: &purpose, members: &clients };
            let group = groups::declare(&db, &id, declared, now).await?;
            output(json, &group, || format!("group {} of {}: {}", group.id, group.partner_id, group.members.join(", ")))
        }
        PartnerCommand::Link { id, from, purpose, json } => {
            let link = links::declare(&db, &id, &from, &purpose, now).await?;
            output(json, &link, || {
                format!(
                    "{}'s services may ask for the scope {}{}",
                    link.partner_id,
                    links::PREFIX,
                    link.source_partner_id
                )
            })
        }
        PartnerCommand::AddApi { id, uri, name, json } => {
            let api = partners::add_resource_server(&db, &id, &uri, &name, now).await?;
            output(json, &api, || format!("added API {} ({}) to {}", api.uri, api.name, api.partner_id))
        }
    }
}
