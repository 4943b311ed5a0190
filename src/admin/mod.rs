//! Administration: who may do what, and the operations the admin API and the console share.
//! Administrators are GrandLyon Connect accounts with one or more roles (`roles`), or clients
//! acting for their partner (`caller`); every operation checks its permission first (role and
//! token scope), with the least privilege each role needs, and every change lands in the audit
//! journal.

pub mod caller;
pub mod clients;
pub mod console;
pub mod error;
pub mod helpdesk;
pub mod journal;
pub mod keys;
pub mod registry;
pub mod roles;

pub use caller::Caller;
pub use error::AdminError;
