//! FranceConnect: we are its OpenID Connect client upstream (`client`), on two platforms —
//! FranceConnect (eIDAS low) and FranceConnect+ (substantial, high; encrypted answers) — each
//! configured on its own. `flow` remembers each browser's pending login, `accounts` turns the
//! identity FC certifies into an account. `standin` is a FranceConnect look-alike for
//! development and tests, never served by `serve`.

pub mod accounts;
pub mod assurance;
pub mod client;
pub mod flow;
pub mod outage;
pub mod reconcile;
pub mod standin;

use serde::{Deserialize, Serialize};

pub use client::{FcError, FcIdentity, FranceConnect};

/// The `amr` of a login through FranceConnect (FC's own value); its `acr` is the eIDAS level FC
/// returned.
pub const AMR_FRANCECONNECT: &str = "fc";

/// The FranceConnect platform an identity comes from: its `sub` is pairwise per platform, so
/// a link is keyed on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Platform {
    #[serde(rename = "fc")]
    FranceConnect,
    #[serde(rename = "fcplus")]
    FranceConnectPlus,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::FranceConnect, Platform::FranceConnectPlus];

    /// As stored with each link and certified identity.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::FranceConnect => "fc",
            Platform::FranceConnectPlus => "fcplus",
        }
    }

    pub fn parse(value: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == value)
    }
}

/// A login through FranceConnect, as the session keeps it to end FC's session at logout: the
/// platform, and its signed ID token (the `id_token_hint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamLogin {
    pub platform: Platform,
    pub id_token: String,
}

/// The configured FranceConnect platforms (none, one or both).
#[derive(Debug, Default)]
pub struct Upstreams {
    pub fc: Option<FranceConnect>,
    pub fcplus: Option<FranceConnect>,
}

impl Upstreams {
    pub fn get(&self, platform: Platform) -> Option<&FranceConnect> {
        match platform {
            Platform::FranceConnect => self.fc.as_ref(),
            Platform::FranceConnectPlus => self.fcplus.as_ref(),
        }
    }

    /// Whether any FranceConnect platform is configured.
    pub fn any(&self) -> bool {
        self.fc.is_some() || self.fcplus.is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FranceConnect> {
        self.fc.iter().chain(self.fcplus.iter())
    }

    /// The platform to send a resident to for eIDAS `level`: FranceConnect for `eidas1` (or
    /// FranceConnect+ when it is the only one), FranceConnect+ above; `None` when none reaches it.
    pub fn for_level(&self, level: &str) -> Option<&FranceConnect> {
        if level == "eidas1" {
            self.fc.as_ref().or(self.fcplus.as_ref())
        } else if matches!(level, "eidas2" | "eidas3") {
            self.fcplus.as_ref()
        } else {
            None
        }
    }

    /// Whether a session authenticated at `auth_time` is too old to vouch for `level` now: the
    /// platform that reaches it keeps its level for a while only (FranceConnect+: 10 minutes).
    pub fn level_expired(&self, level: &str, auth_time: i64, now: i64) -> bool {
        self.for_level(level).and_then(FranceConnect::level_lifetime).is_some_and(|lifetime| now - auth_time > lifetime)
    }

    /// Every eIDAS level a client may ask for and receive, lowest first.
    pub fn levels(&self) -> Vec<&'static str> {
        let mut levels = Vec::new();
        if self.any() {
            levels.push("eidas1");
        }
        if self.fcplus.is_some() {
            levels.extend(["eidas2", "eidas3"]);
        }
        levels
    }
}
