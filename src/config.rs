//! The one typed configuration: defaults, then an optional TOML file (`glc.toml`, or the path
//! given by `--config` / `GLC_CONFIG`), then `GLC_*` environment variables (nested keys with
//! `__`: `GLC_LIFETIMES__ACCESS_TOKEN=300`). Validated once at start; a bad value is reported
//! with the key that holds it. Relative paths are relative to the working directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The issuer identifier (OIDC Discovery §4.3): scheme, host, optional port and path, no
    /// query or fragment, no trailing slash. `https` except on loopback, for local runs.
    pub issuer: String,
    /// The address to listen on.
    pub bind: String,
    /// `sqlite:<path>` (embedded default) or `postgres://…`.
    pub database_url: String,
    /// Largest number of pooled database connections.
    pub database_max_connections: u32,
    /// How long a request waits for a database connection before failing with 503.
    pub database_acquire_timeout_seconds: u64,
    /// Redis for shared short-lived state across instances; unset = in-process.
    pub redis_url: Option<String>,
    /// Prepended to every Redis key, so several deployments (or test runs) can share a Redis.
    pub redis_key_prefix: String,
    /// A Redis command (or connection attempt) failing after this long makes the request fail
    /// fast with 503 instead of hanging.
    pub redis_timeout_ms: u64,
    /// Where signing keys are generated on first start and read afterwards.
    pub keys_dir: PathBuf,
    /// How often the keys directory is checked for a rotation made elsewhere.
    pub keys_reload_seconds: u64,
    /// A rotated key is published this long before it signs: longer than clients cache the
    /// JWKS (served with `max-age=300`), so none meets a token signed by an unknown key.
    pub keys_publish_ahead_seconds: i64,
    /// `text` or `json` logs.
    pub log_format: LogFormat,
    /// Addresses or networks of the load balancers whose `Forwarded` / `X-Forwarded-*` headers
    /// are believed (`["10.0.0.0/8"]`); from anyone else those headers are ignored.
    pub trusted_proxies: Vec<String>,
    /// After SIGTERM, in-flight requests get this long to finish before the process exits.
    pub shutdown_grace_seconds: u64,
    /// How long a client has to send a request's line and headers; a slower one is cut off
    /// (slowloris).
    pub request_head_timeout_seconds: u64,
    /// How long a whole request may take, its body included (408 past it).
    pub request_timeout_seconds: u64,
    /// Concurrent password hashes (argon2id holds 19 MiB and one core for ~15 ms each).
    /// 0 = the number of cores less one (at least one): a core stays with the async workers, so
    /// tokens, userinfo and pages keep their latency during a login flood.
    pub password_hash_concurrency: usize,
    /// Dynamic client registration (RFC 7591) without an initial access token. Off: a client
    /// registers itself only with a token an administrator issued (`glc registration-token`).
    pub open_registration: bool,
    pub lifetimes: Lifetimes,
    pub mail: MailConfig,
    /// The GRU tool: its reserved scopes and its clients (the restricted offer excludes them).
    pub gru: crate::partners::offer::GruConfig,
    pub consent: ConsentConfig,
    pub inactivity: InactivityConfig,
    pub audit: AuditConfig,
    /// "S'identifier avec FranceConnect": off unless this section is present.
    pub franceconnect: Option<FranceConnectConfig>,
    /// FranceConnect+ (eIDAS substantial or high), a second upstream with its own registration:
    /// off unless this section is present.
    pub franceconnect_plus: Option<FranceConnectConfig>,
}

/// Our client registration at FranceConnect (v2) or FranceConnect+. The callback to register
/// there is `{issuer}/franceconnect/callback`, the post-logout URI
/// `{issuer}/franceconnect/logged-out`; FranceConnect+ also takes our `jwks_uri`
/// (`{issuer}/jwks`), whose encryption key it encrypts to (`RSA-OAEP-256` or `ECDH-ES`, `A256GCM`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FranceConnectConfig {
    /// `https://oidc.franceconnect.gouv.fr/api/v2` (production), the sandbox's, or the local
    /// stand-in's (`glc franceconnect-standin`); its discovery document is read from there.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// What our DataPass habilitation covers; FC sends one claim per scope.
    #[serde(default = "default_franceconnect_scopes")]
    pub scopes: Vec<String>,
    /// The eIDAS level asked for, and the least accepted back: `eidas1` on FranceConnect,
    /// `eidas2` (default) or `eidas3` on FranceConnect+.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<String>,
    /// How long a login through this platform answers a client asking for its level again
    /// without a new one; FranceConnect+ defaults to its own session's 10 minutes, FranceConnect
    /// to our whole session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_lifetime_seconds: Option<i64>,
    /// The callback registered at FranceConnect, when it is not `{issuer}/franceconnect/callback`
    /// (a proxy that serves it elsewhere); it must lead to that route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Likewise for `{issuer}/franceconnect/logged-out`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uri: Option<String>,
}

impl FranceConnectConfig {
    /// `keys`: the issuer's, the client id's and the level's names in this section; `levels`:
    /// the eIDAS levels the platform offers (FranceConnect: eidas1 only).
    fn validate(&self, keys: [&'static str; 3], levels: &[&str]) -> Result<(), ConfigError> {
        validate_issuer(&self.issuer).map_err(|reason| ConfigError::Invalid { key: keys[0], reason })?;
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            let reason = "the client_id and client_secret are both needed".to_owned();
            return Err(ConfigError::Invalid { key: keys[1], reason });
        }
        if let Some(acr) = &self.acr_values
            && !levels.contains(&acr.as_str())
        {
            return Err(ConfigError::Invalid { key: keys[2], reason: format!("one of {}", levels.join(", ")) });
        }
        for uri in [&self.redirect_uri, &self.post_logout_redirect_uri].into_iter().flatten() {
            validate_issuer(uri).map_err(|reason| ConfigError::Invalid { key: "redirect_uri", reason })?;
        }
        if self.level_lifetime_seconds.is_some_and(|s| s <= 0) {
            let reason = "a positive number of seconds".to_owned();
            return Err(ConfigError::Invalid { key: "level_lifetime_seconds", reason });
        }
        Ok(())
    }
}

fn default_franceconnect_scopes() -> Vec<String> {
    ["given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "email", "preferred_username"]
        .map(str::to_owned)
        .to_vec()
}

/// Consent (how long a decision lasts is `lifetimes.consent`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsentConfig {
    /// The version of the privacy policy residents consent under: changing it asks every
    /// resident again, service by service.
    pub policy_version: String,
}

impl Default for ConsentConfig {
    fn default() -> Self {
        ConsentConfig { policy_version: "2026-11-29".into() }
    }
}

/// Inactive accounts: warned, then deleted (`glc purge-inactive-accounts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InactivityConfig {
    /// Days without a sign-in before the warning (3 years, the CNIL's usual yardstick).
    pub warn_after_days: i64,
    /// Days between the warning and the deletion, for the resident to sign in and keep it.
    pub delete_after_notice_days: i64,
}

impl Default for InactivityConfig {
    fn default() -> Self {
        InactivityConfig { warn_after_days: 1095, delete_after_notice_days: 30 }
    }
}

/// The audit journal's signed checkpoints (`glc audit checkpoint`), kept outside the database
/// so that whoever can write the database cannot rewrite history unseen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Where checkpoints are written, one file each; in production a volume the database's
    /// administrators cannot write (or copied off the machine).
    pub checkpoint_dir: PathBuf,
    /// Also POST each checkpoint there (`application/jwt`), so a copy lives off the machine.
    pub checkpoint_webhook: Option<String>,
    /// How long entries are kept (`glc audit purge` removes older whole segments): five years
    /// by default, the time a consent may have to be proven (civil limitation period).
    pub retention_days: i64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            checkpoint_dir: PathBuf::from("data/journal-checkpoints"),
            checkpoint_webhook: None,
            retention_days: 5 * 365,
        }
    }
}

/// Outgoing mail: SMTP when `smtp_host` is set, otherwise `.eml` files in `outbox_dir` (the
/// embedded default: a newcomer opens the file and clicks the link).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// The sender of every mail, `Name <address>`.
    pub from: String,
    pub outbox_dir: PathBuf,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    /// `starttls` (port 587), `tls` (implicit TLS, port 465) or `none` (a local relay only).
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    Starttls,
    Tls,
    None,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "GrandLyon Connect <ne-pas-repondre@grandlyon.example>".to_owned(),
            outbox_dir: PathBuf::from("data/outbox"),
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: None,
            smtp_password: None,
        }
    }
}

/// Every lifetime, in seconds. The README's configuration table justifies each default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lifetimes {
    /// SSO session ends after this long without use.
    pub session_idle: i64,
    /// SSO session ends this long after login, however active.
    pub session_absolute: i64,
    /// Login and consent pages must be completed within this.
    pub interaction: i64,
    /// Authorization code (RFC 6749 §4.1.2 recommends at most 10 minutes; we keep it ≤ 60 s).
    pub authorization_code: i64,
    /// Access token: the revocation bound for APIs that validate tokens offline.
    pub access_token: i64,
    pub id_token: i64,
    /// Refresh token, renewed at each rotation (sliding).
    pub refresh_token: i64,
    /// A consent is asked again after this.
    pub consent: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: "http://localhost:8080".to_owned(),
            bind: "127.0.0.1:8080".to_owned(),
            database_url: "sqlite:data/glc.db".to_owned(),
            database_max_connections: 10,
            database_acquire_timeout_seconds: 5,
            redis_url: None,
            redis_key_prefix: "glc:".to_owned(),
            redis_timeout_ms: 1000,
            keys_dir: PathBuf::from("keys"),
            keys_reload_seconds: 30,
            keys_publish_ahead_seconds: 600,
            log_format: LogFormat::Text,
            trusted_proxies: Vec::new(),
            shutdown_grace_seconds: 20,
            request_head_timeout_seconds: 10,
            request_timeout_seconds: 30,
            password_hash_concurrency: 0,
            open_registration: false,
            lifetimes: Lifetimes::default(),
            mail: MailConfig::default(),
            gru: crate::partners::offer::GruConfig::default(),
            consent: ConsentConfig::default(),
            inactivity: InactivityConfig::default(),
            audit: AuditConfig::default(),
            franceconnect: None,
            franceconnect_plus: None,
        }
    }
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            session_idle: 30 * 60,
            session_absolute: 12 * 3600,
            interaction: 30 * 60,
            authorization_code: 60,
            access_token: 5 * 60,
            id_token: 5 * 60,
            refresh_token: 30 * 24 * 3600,
            consent: 180 * 24 * 3600,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Parse(Box<figment::Error>),
    #[error("invalid configuration key `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl Config {
    /// Loads defaults, then `file` (or `glc.toml` if present), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.to_owned())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None if Path::new("glc.toml").exists() => figment = figment.merge(Toml::file("glc.toml")),
            None => {}
        }
        figment = figment.merge(Env::prefixed("GLC_").split("__").ignore(&["CONFIG"]));
        let config: Config = figment.extract().map_err(|e| ConfigError::Parse(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML document over the defaults, without the environment (tests, tooling).
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| ConfigError::Parse(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_issuer(&self.issuer).map_err(|reason| ConfigError::Invalid { key: "issuer", reason })?;
        if let Some(fc) = &self.franceconnect {
            fc.validate(["franceconnect.issuer", "franceconnect.client_id", "franceconnect.acr_values"], &["eidas1"])?;
        }
        if let Some(plus) = &self.franceconnect_plus {
            let keys = ["franceconnect_plus.issuer", "franceconnect_plus.client_id", "franceconnect_plus.acr_values"];
            plus.validate(keys, &["eidas2", "eidas3"])?;
        }
        if !self.is_loopback_http() {
            let secrets = [
                ("franceconnect.client_secret", self.franceconnect.as_ref().map(|fc| fc.client_secret.as_str())),
                (
                    "franceconnect_plus.client_secret",
                    self.franceconnect_plus.as_ref().map(|fc| fc.client_secret.as_str()),
                ),
                ("mail.smtp_password", self.mail.smtp_password.as_deref()),
            ];
            for (key, secret) in secrets {
                if let Some(secret) = secret {
                    check_production_secret(secret).map_err(|reason| ConfigError::Invalid { key, reason })?;
                }
            }
        }
        self.bind.parse::<SocketAddr>().map_err(|e| ConfigError::Invalid { key: "bind", reason: e.to_string() })?;
        let db = &self.database_url;
        if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid {
                key: "database_url",
                reason: "expected sqlite:<path> or postgres://…".to_owned(),
            });
        }
        if let Some(redis) = &self.redis_url
            && !(redis.starts_with("redis://") || redis.starts_with("rediss://"))
        {
            return Err(ConfigError::Invalid { key: "redis_url", reason: "expected redis://…".to_owned() });
        }
        for proxy in &self.trusted_proxies {
            crate::http::client_address::Network::parse(proxy)
                .map_err(|reason| ConfigError::Invalid { key: "trusted_proxies", reason })?;
        }
        if !(0..=7 * 24 * 3600).contains(&self.keys_publish_ahead_seconds) {
            return Err(ConfigError::Invalid {
                key: "keys_publish_ahead_seconds",
                reason: "must be 0 to 604800 seconds".to_owned(),
            });
        }
        for (key, seconds) in [
            ("request_head_timeout_seconds", self.request_head_timeout_seconds),
            ("request_timeout_seconds", self.request_timeout_seconds),
        ] {
            if !(1..=600).contains(&seconds) {
                return Err(ConfigError::Invalid { key, reason: "must be 1 to 600 seconds".to_owned() });
            }
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid {
                key: "database_max_connections",
                reason: "must be at least 1".to_owned(),
            });
        }
        if !(1..=36_500).contains(&self.audit.retention_days) {
            return Err(ConfigError::Invalid {
                key: "audit.retention_days",
                reason: "must be 1 to 36500 days".to_owned(),
            });
        }
        if let Some(webhook) = &self.audit.checkpoint_webhook
            && url::Url::parse(webhook).map_or(true, |u| !matches!(u.scheme(), "https" | "http"))
        {
            return Err(ConfigError::Invalid {
                key: "audit.checkpoint_webhook",
                reason: "expected an http(s) URL".to_owned(),
            });
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Invalid { key: "mail.from", reason: "expected Name <address>".to_owned() });
        }
        self.lifetimes.validate()
    }

    /// True when the issuer is `https`: cookies then get the `__Host-` prefix and `Secure`.
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// The parsed `trusted_proxies` (validated at load).
    pub fn trusted_networks(&self) -> Vec<crate::http::client_address::Network> {
        self.trusted_proxies.iter().filter_map(|p| crate::http::client_address::Network::parse(p).ok()).collect()
    }

    /// A local run or test (`http://localhost…`): outbound calls may then target loopback.
    pub fn is_loopback_http(&self) -> bool {
        url::Url::parse(&self.issuer)
            .is_ok_and(|u| u.scheme() == "http" && is_loopback_host(u.host_str().unwrap_or_default()))
    }

    pub fn hash_concurrency(&self) -> usize {
        if self.password_hash_concurrency > 0 {
            self.password_hash_concurrency
        } else {
            std::thread::available_parallelism().map(|n| n.get().saturating_sub(1).max(1)).unwrap_or(1)
        }
    }
}

impl Lifetimes {
    fn validate(&self) -> Result<(), ConfigError> {
        let checks: [(&'static str, i64, i64, i64); 8] = [
            ("lifetimes.session_idle", self.session_idle, 60, 30 * 24 * 3600),
            ("lifetimes.session_absolute", self.session_absolute, 60, 90 * 24 * 3600),
            ("lifetimes.interaction", self.interaction, 60, 24 * 3600),
            ("lifetimes.authorization_code", self.authorization_code, 1, 60),
            ("lifetimes.access_token", self.access_token, 10, 24 * 3600),
            ("lifetimes.id_token", self.id_token, 10, 24 * 3600),
            ("lifetimes.refresh_token", self.refresh_token, 60, 365 * 24 * 3600),
            ("lifetimes.consent", self.consent, 60, 365 * 24 * 3600),
        ];
        for (key, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(ConfigError::Invalid { key, reason: format!("{value} is outside {min}..={max} seconds") });
            }
        }
        if self.session_idle > self.session_absolute {
            return Err(ConfigError::Invalid {
                key: "lifetimes.session_idle",
                reason: "must not exceed lifetimes.session_absolute".to_owned(),
            });
        }
        Ok(())
    }
}

fn validate_issuer(issuer: &str) -> Result<(), String> {
    let url = url::Url::parse(issuer).map_err(|e| e.to_string())?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must have no query and no fragment".to_owned());
    }
    if issuer.ends_with('/') {
        return Err("must not end with '/'".to_owned());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url.host_str().unwrap_or_default()) => Ok(()),
        "http" => Err("plain http is only allowed for localhost (local runs and tests)".to_owned()),
        other => Err(format!("unsupported scheme {other}")),
    }
}

/// `localhost`, `127.0.0.0/8` or `[::1]`.
/// Values seen in documentation, examples and local setups (the stand-ins' defaults): never
/// secrets, whatever the configuration says.
const SAMPLE_SECRETS: [&str; 10] = [
    "…",
    "...",
    "changeme",
    "change-me",
    "secret",
    "password",
    "motdepasse",
    "glc-local-secret",
    "glc-plus-secret",
    "client_secret",
];

/// Shortest secret accepted off loopback (FranceConnect's are 64 hexadecimal characters).
const MIN_SECRET_LEN: usize = 12;

/// A secret for a production issuer: not a sample value, not short.
fn check_production_secret(secret: &str) -> Result<(), String> {
    let secret = secret.trim();
    if SAMPLE_SECRETS.iter().any(|sample| secret.eq_ignore_ascii_case(sample)) {
        return Err("a sample value from the documentation, not a secret: set the real one".to_owned());
    }
    if secret.chars().count() < MIN_SECRET_LEN {
        return Err(format!("shorter than {MIN_SECRET_LEN} characters: not a real secret"));
    }
    Ok(())
}

pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_configuration_parses_and_matches_the_defaults() {
        let example = include_str!("../glc.example.toml");
        let parsed = Config::from_toml_str(example).unwrap();
        let defaults = Config::default();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), serde_json::to_value(&defaults).unwrap());
    }

    #[test]
    fn password_hashing_leaves_a_core_to_the_other_requests_unless_told() {
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(Config::default().hash_concurrency(), (cores - 1).max(1));
        let told = Config { password_hash_concurrency: 3, ..Config::default() };
        assert_eq!(told.hash_concurrency(), 3);
    }

    #[test]
    fn franceconnect_is_off_unless_configured_and_takes_fcs_defaults() {
        assert!(Config::default().franceconnect.is_none());
        let toml = "[franceconnect]\nissuer = \"https://oidc.franceconnect.gouv.fr/api/v2\"\nclient_id = \"a\"\nclient_secret = \"b\"";
        let fc = Config::from_toml_str(toml).unwrap().franceconnect.unwrap();
        assert_eq!(fc.acr_values, None, "eidas1, FranceConnect's only level");
        assert!(fc.scopes.iter().any(|s| s == "birthplace") && fc.scopes.iter().any(|s| s == "email"));
        let err = Config::from_toml_str(&format!("{toml}\nacr_values = \"eidas9\"")).unwrap_err();
        assert!(err.to_string().contains("franceconnect.acr_values"), "{err}");
        let err = Config::from_toml_str(&format!("{toml}\nacr_values = \"eidas2\"")).unwrap_err();
        assert!(err.to_string().contains("franceconnect.acr_values"), "FranceConnect stops at eidas1: {err}");
        // FranceConnect+: its own section, eidas2 or eidas3 only.
        let plus = toml.replace("[franceconnect]", "[franceconnect_plus]");
        let config = Config::from_toml_str(&plus).unwrap();
        assert!(config.franceconnect.is_none() && config.franceconnect_plus.is_some());
        let err = Config::from_toml_str(&format!("{plus}\nacr_values = \"eidas1\"")).unwrap_err();
        assert!(err.to_string().contains("franceconnect_plus.acr_values"), "{err}");
        assert!(Config::from_toml_str(&format!("{plus}\nacr_values = \"eidas3\"")).is_ok());
        let err = Config::from_toml_str(&format!("{toml}\nredirect_uri = \"http://glc.example/cb\"")).unwrap_err();
        assert!(err.to_string().contains("redirect_uri"), "{err}");
        let err = Config::from_toml_str(&toml.replace("https://oidc", "http://oidc")).unwrap_err();
        assert!(err.to_string().contains("franceconnect.issuer"), "{err}");
    }

    #[test]
    fn a_production_issuer_refuses_sample_or_short_secrets() {
        let production = "issuer = \"https://connect.grandlyon.com\"\n";
        let fc = "[franceconnect]\nissuer = \"https://oidc.franceconnect.gouv.fr/api/v2\"\nclient_id = \"a\"\n";
        for sample in ["…", "glc-local-secret", "CHANGEME", "b"] {
            let toml = format!("{production}{fc}client_secret = \"{sample}\"");
            let err = Config::from_toml_str(&toml).unwrap_err();
            assert!(err.to_string().contains("franceconnect.client_secret"), "{sample}: {err}");
            // The same on loopback: a local run with the stand-in.
            assert!(Config::from_toml_str(&toml.replace(production, "")).is_ok(), "{sample} on loopback");
        }
        let real = format!("{production}{fc}client_secret = \"{}\"", "9f".repeat(32));
        assert!(Config::from_toml_str(&real).is_ok());
        let smtp = format!("{production}[mail]\nsmtp_host = \"smtp.grandlyon.com\"\nsmtp_password = \"password\"");
        let err = Config::from_toml_str(&smtp).unwrap_err();
        assert!(err.to_string().contains("mail.smtp_password"), "{err}");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Config::from_toml_str("issuer = \"http://example.org\"").unwrap_err();
        assert!(err.to_string().contains("`issuer`"), "{err}");
        let err = Config::from_toml_str("[lifetimes]\nauthorization_code = 600").unwrap_err();
        assert!(err.to_string().contains("lifetimes.authorization_code"), "{err}");
        let err = Config::from_toml_str("isuer = \"x\"").unwrap_err();
        assert!(err.to_string().contains("isuer"), "{err}");
    }

    #[test]
    fn issuers_must_be_https_except_on_loopback() {
        assert!(validate_issuer("https://connect.grandlyon.com").is_ok());
        assert!(validate_issuer("http://localhost:8080").is_ok());
        assert!(validate_issuer("http://127.0.0.1:4000").is_ok());
        assert!(validate_issuer("http://connect.grandlyon.com").is_err());
        assert!(validate_issuer("https://x.org/").is_err());
        assert!(validate_issuer("https://x.org?a=b").is_err());
    }
}
