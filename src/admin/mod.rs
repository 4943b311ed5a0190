//! Administration: who may do what. Administrators are GrandLyon Connect accounts with one or
//! more roles (`roles`); every administrative action asks `Admin::may` first, with the least
//! privilege each role needs, and lands in the audit journal.

pub mod roles;
