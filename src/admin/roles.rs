//! The four roles and what each may do.
//!
//! - The Métropole's administrator: everything.
//! - A commune's administrator: its own commune's clients (and their registration tokens), its
//!   consent statistics and its fees; never another commune's, never the registry, the signing
//!   keys, residents or the journal.
//! - A help-desk agent: look up and assist residents, nothing else.
//! - An auditor: read the journal, nothing else.

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor, Event};
use crate::identity::user::find_by_id_or_email;
use crate::store::admin_roles::{self, RoleRow};
use crate::store::{Db, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "role", content = "partner_id", rename_all = "snake_case")]
pub enum Role {
    MetropoleAdmin,
    CommuneAdmin(String),
    Helpdesk,
    Auditor,
}

impl Role {
    /// From the command line's words (`commune-admin` needs its commune).
    pub fn parse(name: &str, partner: Option<&str>) -> Option<Role> {
        match (name, partner) {
            ("metropole-admin" | "metropole_admin", None) => Some(Role::MetropoleAdmin),
            ("commune-admin" | "commune_admin", Some(p)) => Some(Role::CommuneAdmin(p.to_owned())),
            ("helpdesk", None) => Some(Role::Helpdesk),
            ("auditor", None) => Some(Role::Auditor),
            _ => None,
        }
    }

    /// As stored (`admin_roles.role`).
    pub fn name(&self) -> &'static str {
        match self {
            Role::MetropoleAdmin => "metropole_admin",
            Role::CommuneAdmin(_) => "commune_admin",
            Role::Helpdesk => "helpdesk",
            Role::Auditor => "auditor",
        }
    }

    fn partner(&self) -> Option<&str> {
        match self {
            Role::CommuneAdmin(p) => Some(p),
            _ => None,
        }
    }

    fn from_row(row: &RoleRow) -> Option<Role> {
        Role::parse(&row.role, row.partner_id.as_deref())
    }
}

/// Something an administrator may want to do; the partner it concerns where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission<'a> {
    /// The registry itself: create partners, change their offer, population, links and groups.
    ManagePartners,
    /// Read one partner's record.
    ViewPartner {
        partner: &'a str,
    },
    /// One partner's clients, their secrets and keys, its registration tokens.
    ManageClients {
        partner: &'a str,
    },
    ViewFees {
        partner: &'a str,
    },
    ViewConsentStatistics {
        partner: &'a str,
    },
    /// Signing keys: list, rotate, retire.
    ManageKeys,
    /// Look up a resident and act on their account (help desk).
    AssistResidents,
    ReadJournal,
}

impl Permission<'_> {
    /// The access-token scope that carries this permission (the role must allow it too).
    pub fn scope(&self) -> &'static str {
        match self {
            Permission::ManagePartners | Permission::ViewPartner { .. } => "admin:partners",
            Permission::ManageClients { .. } => "admin:clients",
            Permission::ViewFees { .. } => "admin:fees",
            Permission::ViewConsentStatistics { .. } => "admin:consent",
            Permission::ManageKeys => "admin:keys",
            Permission::AssistResidents => "admin:residents",
            Permission::ReadJournal => "admin:journal",
        }
    }
}

/// Every admin scope, for registering the console and scripts.
pub const ADMIN_SCOPES: [&str; 7] = [
    "admin:partners",
    "admin:clients",
    "admin:fees",
    "admin:consent",
    "admin:keys",
    "admin:residents",
    "admin:journal",
];

/// An account and its roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Admin {
    pub user_id: String,
    pub roles: Vec<Role>,
}

impl Admin {
    pub fn may(&self, permission: Permission<'_>) -> bool {
        self.roles.iter().any(|role| match role {
            Role::MetropoleAdmin => true,
            Role::CommuneAdmin(own) => match permission {
                Permission::ViewPartner { partner }
                | Permission::ManageClients { partner }
                | Permission::ViewFees { partner }
                | Permission::ViewConsentStatistics { partner } => partner == own,
                _ => false,
            },
            Role::Helpdesk => permission == Permission::AssistResidents,
            Role::Auditor => permission == Permission::ReadJournal,
        })
    }

    /// The partners whose clients this administrator sees: `None` for all of them.
    pub fn partners(&self) -> Option<Vec<&str>> {
        if self.roles.contains(&Role::MetropoleAdmin) {
            return None;
        }
        Some(self.roles.iter().filter_map(Role::partner).collect())
    }
}

/// `user_id`'s roles; `None` if they have none (not an administrator).
pub async fn admin(db: &Db, user_id: &str) -> Result<Option<Admin>, StoreError> {
    let roles: Vec<Role> = admin_roles::of_user(db, user_id).await?.iter().filter_map(Role::from_row).collect();
    Ok((!roles.is_empty()).then(|| Admin { user_id: user_id.to_owned(), roles }))
}

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("{0}: no such account")]
    UnknownAccount(String),
    #[error("{0}: no such partner")]
    UnknownPartner(String),
    #[error("a commune administrator administers a commune, not the Métropole")]
    NotACommune,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Grants `role` to the account `account` (an id or an email address), journaled.
pub async fn grant(
    db: &Db,
    now: i64,
    by: Actor<'_>,
    account: &str,
    role: Role,
    reason: Option<&str>,
) -> Result<Admin, RoleError> {
    let user = find_by_id_or_email(db, account).await?.ok_or_else(|| RoleError::UnknownAccount(account.to_owned()))?;
    if let Some(partner_id) = role.partner() {
        let partner = crate::partners::find(db, partner_id)
            .await?
            .ok_or_else(|| RoleError::UnknownPartner(partner_id.to_owned()))?;
        if !partner.is_commune() {
            return Err(RoleError::NotACommune);
        }
    }
    let row = RoleRow {
        user_id: user.id.clone(),
        role: role.name().to_owned(),
        partner_id: role.partner().map(str::to_owned),
        granted_at: now,
        granted_by: by.label(),
    };
    admin_roles::upsert(db, &row).await?;
    let event = Event {
        subject: Some(&user.id),
        partner_id: role.partner(),
        reason,
        details: json!({ "role": role.name() }),
        ..Event::new(by, "admin.role_granted")
    };
    audit::append(db, now, event).await?;
    Ok(admin(db, &user.id).await?.unwrap_or(Admin { user_id: user.id, roles: vec![role] }))
}

/// Takes `role` (its name) away from `account`; whether it had it. Journaled.
pub async fn revoke(
    db: &Db,
    now: i64,
    by: Actor<'_>,
    account: &str,
    role_name: &str,
    reason: Option<&str>,
) -> Result<bool, RoleError> {
    let user = find_by_id_or_email(db, account).await?.ok_or_else(|| RoleError::UnknownAccount(account.to_owned()))?;
    let stored = role_name.replace('-', "_");
    let had = admin_roles::delete(db, &user.id, &stored).await?;
    if had {
        let event = Event {
            subject: Some(&user.id),
            reason,
            details: json!({ "role": stored }),
            ..Event::new(by, "admin.role_revoked")
        };
        audit::append(db, now, event).await?;
    }
    Ok(had)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(roles: Vec<Role>) -> Admin {
        Admin { user_id: "u".into(), roles }
    }

    #[test]
    fn each_role_may_do_exactly_its_part() {
        let all = |partner| {
            [
                Permission::ManagePartners,
                Permission::ViewPartner { partner },
                Permission::ManageClients { partner },
                Permission::ViewFees { partner },
                Permission::ViewConsentStatistics { partner },
                Permission::ManageKeys,
                Permission::AssistResidents,
                Permission::ReadJournal,
            ]
        };
        let allowed = |admin: &Admin, partner| all(partner).into_iter().filter(|p| admin.may(*p)).count();
        assert_eq!(allowed(&with(vec![Role::MetropoleAdmin]), "bron"), 8);

        let bron = with(vec![Role::CommuneAdmin("bron".into())]);
        assert!(bron.may(Permission::ManageClients { partner: "bron" }));
        assert!(bron.may(Permission::ViewFees { partner: "bron" }));
        assert!(bron.may(Permission::ViewConsentStatistics { partner: "bron" }));
        assert!(bron.may(Permission::ViewPartner { partner: "bron" }));
        assert_eq!(allowed(&bron, "bron"), 4);
        assert_eq!(allowed(&bron, "lyon"), 0, "never another commune's");
        assert_eq!(bron.partners(), Some(vec!["bron"]));

        let helpdesk = with(vec![Role::Helpdesk]);
        assert!(helpdesk.may(Permission::AssistResidents));
        assert_eq!(allowed(&helpdesk, "bron"), 1);
        let auditor = with(vec![Role::Auditor]);
        assert!(auditor.may(Permission::ReadJournal));
        assert_eq!(allowed(&auditor, "bron"), 1);
        assert_eq!(with(vec![Role::MetropoleAdmin]).partners(), None);
    }

    #[test]
    fn a_commune_administrator_names_the_commune_and_only_they_do() {
        assert_eq!(Role::parse("commune-admin", Some("bron")), Some(Role::CommuneAdmin("bron".into())));
        assert_eq!(Role::parse("commune-admin", None), None);
        assert_eq!(Role::parse("helpdesk", Some("bron")), None);
        assert_eq!(Role::parse("root", None), None);
    }
}
