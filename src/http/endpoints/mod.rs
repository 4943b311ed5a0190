//! Machine-facing endpoints, one file each.

pub mod assets;
pub mod authorize;
pub mod discovery;
pub mod health;
pub mod introspect;
pub mod par;
pub mod register;
pub mod revoke;
pub mod token;
pub mod userinfo;
