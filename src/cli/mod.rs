//! The `glc` command line: serve, and administer the same database and keys as the server
//! (same configuration), even while it runs.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::identity::password::PasswordHasherPool;
use crate::identity::user::{self, NewUser, User};
use crate::oauth::client::{self, AuthMethod, ClientSpec, GrantType, SubjectType};
use crate::oauth::client_metadata::ClientMetadata;
use crate::oauth::registration;
use crate::oauth::scope::Scopes;
use crate::signing::{KeyAlg, KeySet, SigningAlg};
use crate::{app, store};

mod admin;
mod consent;
mod partners;

#[derive(Debug, Parser)]
#[command(name = "glc", version, about = "GrandLyon Connect: the Métropole de Lyon's OpenID Connect provider")]
pub struct Cli {
    /// Configuration file (default: ./glc.toml if present). Also GLC_CONFIG.
    #[arg(long, global = true, env = "GLC_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the provider (migrations applied and keys generated at start).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Residents' accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Warn the accounts unused for `inactivity.warn_after_days`, and delete those warned
    /// `inactivity.delete_after_notice_days` ago and unused since (their services told first).
    /// Meant to run daily.
    PurgeInactiveAccounts {
        #[arg(long)]
        json: bool,
    },
    /// The Métropole and its communes.
    #[command(subcommand)]
    Partner(partners::PartnerCommand),
    /// Consent: the daily expiry, the statistics.
    #[command(subcommand)]
    Consent(consent::ConsentCommand),
    /// The audit journal.
    #[command(subcommand)]
    Audit(consent::AuditCommand),
    /// Administrators and their roles.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Relying parties (OIDC clients).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Initial access tokens for dynamic client registration (RFC 7591).
    #[command(subcommand)]
    RegistrationToken(RegistrationTokenCommand),
    /// A FranceConnect stand-in with test identities, to try the FranceConnect login locally
    /// without FC credentials (never FranceConnect itself: its pages say so).
    FranceconnectStandin {
        /// Where it listens; its issuer is `http://{bind}/api/v2`.
        #[arg(long, default_value = "127.0.0.1:9090")]
        bind: String,
        #[arg(long, default_value = "glc-local")]
        client_id: String,
        #[arg(long, default_value = "glc-local-secret")]
        client_secret: String,
        /// Where its signing keys are kept.
        #[arg(long, default_value = "data/franceconnect-standin")]
        keys_dir: std::path::PathBuf,
        /// Behave like FranceConnect+ (eidas2/eidas3, answers encrypted to our `jwks_uri`);
        /// run it on another port than the FranceConnect one.
        #[arg(long)]
        plus: bool,
        /// The key-management algorithm FranceConnect+ encrypts with.
        #[arg(long, default_value = "RSA-OAEP-256", value_parser = ["RSA-OAEP-256", "ECDH-ES"])]
        encryption_alg: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegistrationTokenCommand {
    /// Issue a token a developer registers clients with at /register; printed once.
    Create {
        /// The partner the registered clients will belong to (default: the Métropole).
        #[arg(long)]
        partner: Option<String>,
        /// How many clients it may register.
        #[arg(long, default_value_t = 1)]
        uses: i64,
        /// Seconds it stays usable (60 to 7776000).
        #[arg(long, default_value_t = 7 * 86_400)]
        expires_in: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        given_name: Option<String>,
        #[arg(long)]
        family_name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one account, by id or email.
    Show {
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Disable an account, by id or email: it can no longer log in or use its tokens.
    Disable {
        account: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; its secret is printed once.
    Create(Box<ClientCreate>),
    /// List clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client.
    Show {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client with its grants, refresh tokens and consents.
    Delete {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Declare what the client does with one scope's data: its purpose, how long it keeps it,
    /// and whether the service cannot work without it. Without a declaration a scope the client
    /// may request carries the data catalogue's purpose. A new purpose asks residents again.
    Purpose {
        client_id: String,
        #[arg(long)]
        scope: String,
        #[arg(long)]
        purpose: String,
        /// How long the data is kept, in words ("1 an après la fin de la démarche").
        #[arg(long)]
        retention: Option<String>,
        /// The service cannot work without it: residents cannot untick it.
        #[arg(long)]
        essential: bool,
        #[arg(long)]
        json: bool,
    },
    /// Issue a new secret, shown once. The old one stops working at once, or after
    /// `--keep-previous-for` seconds (up to 30 days) so the application can switch first.
    RotateSecret {
        client_id: String,
        #[arg(long)]
        keep_previous_for: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ClientCreate {
    #[arg(long)]
    name: String,
    /// Choose the client id (e.g. `gru-metropole`, for the `[gru]` configuration); random
    /// otherwise.
    #[arg(long)]
    client_id: Option<String>,
    /// Where the client receives a Security Event Token when a resident withdraws consent.
    #[arg(long)]
    consent_withdrawal_uri: Option<String>,
    /// Registered redirect URI (repeatable); matched exactly.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Owning partner id (default: the Métropole).
    #[arg(long)]
    partner: Option<String>,
    /// Allowed grant type (repeatable; default: authorization_code and refresh_token).
    #[arg(long = "grant-type", value_parser = ["authorization_code", "refresh_token", "client_credentials"])]
    grant_types: Vec<String>,
    /// Token endpoint authentication method.
    #[arg(long, default_value = "client_secret_basic", value_parser = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"])]
    auth_method: String,
    /// Registered post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Where a logout token is POSTed when the resident logs out (OIDC Back-Channel Logout).
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// Loaded in an iframe, with iss and sid, when the resident logs out (Front-Channel Logout).
    #[arg(long)]
    frontchannel_logout_uri: Option<String>,
    /// File holding the client's public JWK set (private_key_jwt).
    #[arg(long)]
    jwks: Option<PathBuf>,
    /// Or the https URL where the client publishes it.
    #[arg(long)]
    jwks_uri: Option<String>,
    /// Allowed scope (repeatable; default: the OpenID Connect scopes).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Resource indicator (RFC 8707) the client may ask tokens for (repeatable); the first is
    /// the default audience of its client-credentials tokens.
    #[arg(long = "resource")]
    resources: Vec<String>,
    #[arg(long, default_value = "pairwise", value_parser = ["public", "pairwise"])]
    subject_type: String,
    #[arg(long, default_value = "RS256", value_parser = ["RS256", "ES256", "EdDSA"])]
    id_token_alg: String,
    /// Require PKCE (always required for public clients).
    #[arg(long)]
    require_pkce: bool,
    /// Keep one refresh token for the grant's life instead of a new one at each use.
    #[arg(long)]
    no_refresh_rotation: bool,
    /// Seconds a just-rotated refresh token is still accepted (0 to 60).
    #[arg(long, default_value_t = 0)]
    refresh_grace_seconds: i64,
    /// The only algorithm accepted for its request objects; `none` allows unsigned ones.
    #[arg(long, value_parser = ["RS256", "PS256", "ES256", "EdDSA", "none"])]
    request_object_alg: Option<String>,
    /// Authorization requests must be pushed first (RFC 9126 PAR).
    #[arg(long)]
    require_par: bool,
    /// Authorization requests must be signed request objects (RFC 9101).
    #[arg(long)]
    require_signed_request_object: bool,
    /// https URL the provider may fetch a request object from (repeatable).
    #[arg(long = "request-uri")]
    request_uris: Vec<String>,
    /// Every access token is DPoP-bound (RFC 9449); its refresh tokens are then not rotated.
    #[arg(long)]
    dpop: bool,
    /// Encrypt ID tokens to the client's key (its --jwks or --jwks-uri).
    #[arg(long, value_parser = ["RSA-OAEP-256", "ECDH-ES"])]
    id_token_encryption: Option<String>,
    /// Content encryption of ID tokens (default A128CBC-HS256).
    #[arg(long, value_parser = ["A256GCM", "A128CBC-HS256"])]
    id_token_encryption_enc: Option<String>,
    /// Encrypt userinfo responses to the client's key.
    #[arg(long, value_parser = ["RSA-OAEP-256", "ECDH-ES"])]
    userinfo_encryption: Option<String>,
    /// Content encryption of userinfo responses (default A128CBC-HS256).
    #[arg(long, value_parser = ["A256GCM", "A128CBC-HS256"])]
    userinfo_encryption_enc: Option<String>,
    /// Answer userinfo as a JWT signed with this algorithm.
    #[arg(long, value_parser = ["RS256", "ES256", "EdDSA"])]
    userinfo_alg: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the keys (signing and encryption).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a new key per algorithm (or the given ones). Running servers publish it within
    /// `keys_reload_seconds` and sign with it after `keys_publish_ahead_seconds`; older keys
    /// stay published. A new encryption key is used as soon as it is published.
    Rotate {
        #[arg(long = "alg", value_parser = ["RS256", "ES256", "EdDSA", "RSA-OAEP-256", "ECDH-ES"])]
        algs: Vec<String>,
        /// Sign with the new key at once (a compromised key): clients that cached the JWKS
        /// refetch it on the unknown kid.
        #[arg(long)]
        now: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove the keys that stopped signing longer ago than any token they signed can live
    /// (the access and ID token lifetimes, plus the 5 minutes clients cache the JWKS).
    Prune {
        #[arg(long)]
        json: bool,
    },
}

/// Prints `value` as JSON, or `text` for people.
fn output<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    let clock = Arc::new(SystemClock);
    match cli.command {
        Command::Serve => {
            let bind = config.bind.clone();
            let provider = app::build_provider(config, clock).await?;
            let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("binding {bind}"))?;
            tracing::info!(issuer = provider.issuer(), %bind, database = provider.db.engine(), "GrandLyon Connect is listening");
            app::serve(provider, listener, app::shutdown_signal()).await
        }
        Command::FranceconnectStandin { bind, client_id, client_secret, keys_dir, plus, encryption_alg } => {
            let plus = plus.then(|| crate::federation::standin::PlusMode {
                client_jwks_uri: format!("{}/jwks", config.issuer),
                encryption_alg,
            });
            let standin = crate::federation::standin::StandinConfig {
                issuer: format!("http://{bind}/api/v2"),
                client_id,
                client_secret,
                redirect_uris: vec![format!("{}/franceconnect/callback", config.issuer)],
                post_logout_redirect_uris: vec![format!("{}/franceconnect/logged-out", config.issuer)],
                plus,
            };
            let issuer = standin.issuer.clone();
            let app = crate::federation::standin::Standin::new(standin, &keys_dir)?.router();
            let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("binding {bind}"))?;
            tracing::warn!(%issuer, "FranceConnect STAND-IN listening: test identities only, never FranceConnect");
            axum::serve(listener, app).with_graceful_shutdown(app::shutdown_signal()).await?;
            Ok(())
        }
        Command::Migrate => {
            let db = app::open_database(&config).await?;
            println!("migrations applied ({})", db.engine());
            Ok(())
        }
        Command::PurgeInactiveAccounts { json } => {
            let provider = app::build_provider(config, clock).await?;
            let purged = purge_inactive(&provider).await?;
            output(json, &purged, || format!("warned {}, deleted {}", purged.warned, purged.deleted))
        }
        Command::User(cmd) => run_user(cmd, &config, clock.now()).await,
        Command::Partner(cmd) => partners::run(cmd, &config, clock.now()).await,
        Command::Consent(cmd) => consent::run_consent(cmd, config, clock).await,
        Command::Audit(cmd) => consent::run_audit(cmd, config, clock).await,
        Command::Admin(cmd) => admin::run(cmd, &config, clock.now()).await,
        Command::Client(cmd) => run_client(cmd, &config, clock.now()).await,
        Command::Keys(cmd) => run_keys(cmd, &config, clock.now()),
        Command::RegistrationToken(cmd) => run_registration_token(cmd, &config, clock.now()).await,
    }
}

fn describe_user(u: &User) -> String {
    format!(
        "{}  {}  {}{}",
        u.id,
        u.email,
        u.full_name().unwrap_or_default(),
        if u.disabled { "  (disabled)" } else { "" }
    )
}

#[derive(Debug, Serialize)]
pub struct Purged {
    pub warned: usize,
    pub deleted: usize,
}

/// One run of the inactive-account purge: warnings, then deletions, each service told first.
pub async fn purge_inactive(provider: &crate::provider::Provider) -> anyhow::Result<Purged> {
    let now = provider.now();
    let warned = crate::identity::inactivity::warn(provider, now).await?;
    let mut deleted = 0;
    for user_id in crate::identity::inactivity::due_for_deletion(provider, now).await? {
        let outcome = crate::oauth::withdrawal::delete_account(provider, crate::audit::Actor::System, &user_id).await;
        if outcome.map_err(|e| anyhow::anyhow!("deleting {user_id}: {e:?}"))? {
            tracing::info!(%user_id, "inactive account deleted");
            deleted += 1;
        }
    }
    Ok(Purged { warned, deleted })
}

async fn run_user(cmd: UserCommand, config: &Config, now: i64) -> anyhow::Result<()> {
    let db = app::open_database(config).await?;
    match cmd {
        UserCommand::Create { email, password, given_name, family_name, json } => {
            let hasher = PasswordHasherPool::new(1)?;
            let new = NewUser { email, password: Some(password), given_name, family_name };
            let u = user::create(&db, &hasher, new, now).await?;
            output(json, &u, || format!("created {}", describe_user(&u)))
        }
        UserCommand::List { json } => {
            let users: Vec<User> = store::users::list(&db, 10_000, 0).await?.into_iter().map(User::from).collect();
            output(json, &users, || users.iter().map(describe_user).collect::<Vec<_>>().join("\n"))
        }
        UserCommand::Show { account, json } => {
            let Some(u) = user::find_by_id_or_email(&db, &account).await? else { bail!("no account {account}") };
            output(json, &u, || describe_user(&u))
        }
        UserCommand::Disable { account, json } => {
            let Some(u) = user::find_by_id_or_email(&db, &account).await? else { bail!("no account {account}") };
            store::users::update_disabled(&db, &u.id, true, now).await?;
            let u = user::find(&db, &u.id).await?.context("account vanished")?;
            output(json, &u, || format!("disabled {}", describe_user(&u)))
        }
    }
}

fn describe_client(c: &client::Client) -> String {
    format!(
        "{}  {}  partner={}  auth={}  redirect_uris={}",
        c.client_id,
        c.name,
        c.partner_id,
        c.auth_method.as_str(),
        c.redirect_uris.join(",")
    )
}

fn client_spec(args: ClientCreate) -> anyhow::Result<(ClientSpec, bool)> {
    let mut spec = ClientSpec {
        client_id: args.client_id,
        name: args.name,
        partner_id: args.partner,
        redirect_uris: args.redirect_uris,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        backchannel_logout_uri: args.backchannel_logout_uri,
        frontchannel_logout_uri: args.frontchannel_logout_uri,
        jwks: args
            .jwks
            .map(|path| std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display())))
            .transpose()?,
        jwks_uri: args.jwks_uri,
        auth_method: AuthMethod::parse(&args.auth_method).context("auth method")?,
        resources: args.resources,
        subject_type: SubjectType::parse(&args.subject_type).context("subject type")?,
        id_token_alg: SigningAlg::parse(&args.id_token_alg).context("id token alg")?,
        require_pkce: args.require_pkce,
        rotate_refresh_tokens: !args.no_refresh_rotation,
        refresh_grace_seconds: args.refresh_grace_seconds,
        metadata: ClientMetadata {
            request_object_signing_alg: args.request_object_alg,
            require_pushed_authorization_requests: args.require_par,
            require_signed_request_object: args.require_signed_request_object,
            request_uris: args.request_uris,
            userinfo_signed_response_alg: args.userinfo_alg,
            dpop_bound_access_tokens: args.dpop,
            id_token_encrypted_response_alg: args.id_token_encryption,
            id_token_encrypted_response_enc: args.id_token_encryption_enc,
            userinfo_encrypted_response_alg: args.userinfo_encryption,
            userinfo_encrypted_response_enc: args.userinfo_encryption_enc,
            consent_withdrawal_uri: args.consent_withdrawal_uri,
            ..ClientMetadata::default()
        },
        ..ClientSpec::default()
    };
    if !args.grant_types.is_empty() {
        spec.grant_types = args.grant_types.iter().filter_map(|g| GrantType::parse(g)).collect();
    }
    if !args.scopes.is_empty() {
        spec.scopes = Some(Scopes::parse(&args.scopes.join(" "))?);
    }
    Ok((spec, args.json))
}

async fn run_client(cmd: ClientCommand, config: &Config, now: i64) -> anyhow::Result<()> {
    let db = app::open_database(config).await?;
    match cmd {
        ClientCommand::Create(args) => {
            let (spec, json) = client_spec(*args)?;
            if let Some(scopes) = &spec.scopes {
                let partner = spec.partner_id.as_deref().unwrap_or(crate::partners::METROPOLE_ID);
                crate::partners::offer::check_registration(&db, &config.gru, partner, scopes).await?;
            }
            let registered = client::register(&db, spec, now).await?;
            output(json, &registered, || {
                let mut text = format!("created {}", describe_client(&registered.client));
                if let Some(secret) = &registered.client_secret {
                    text.push_str(&format!("\nclient_secret (shown once): {secret}"));
                }
                text
            })
        }
        ClientCommand::List { json } => {
            let all = client::list(&db).await?;
            output(json, &all, || all.iter().map(describe_client).collect::<Vec<_>>().join("\n"))
        }
        ClientCommand::Show { client_id, json } => {
            let Some(c) = client::find(&db, &client_id).await? else { bail!("no client {client_id}") };
            output(json, &c, || describe_client(&c))
        }
        ClientCommand::Delete { client_id, json } => {
            if !store::clients::delete(&db, &client_id).await? {
                bail!("no client {client_id}");
            }
            output(json, &serde_json::json!({ "deleted": client_id }), || format!("deleted {client_id}"))
        }
        ClientCommand::Purpose { client_id, scope, purpose, retention, essential, json } => {
            let Some(found) = client::find(&db, &client_id).await? else { bail!("no client {client_id}") };
            let declared = crate::consent::declare_one(
                &db,
                &found,
                crate::consent::Declaration {
                    scope,
                    purpose,
                    retention: retention.unwrap_or_else(|| crate::consent::DEFAULT_RETENTION.to_owned()),
                    essential,
                    label: None,
                },
            )
            .await?;
            output(json, &declared, || {
                declared
                    .iter()
                    .map(|d| {
                        format!(
                            "{}  {}  ({}){}",
                            d.scope,
                            d.purpose,
                            d.retention,
                            if d.essential { "  indispensable" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        ClientCommand::RotateSecret { client_id, keep_previous_for, json } => {
            if keep_previous_for.is_some_and(|s| !(1..=client::MAX_SECRET_OVERLAP).contains(&s)) {
                bail!("--keep-previous-for: 1 to {} seconds", client::MAX_SECRET_OVERLAP);
            }
            let previous_until = keep_previous_for.map(|s| now + s);
            let Some(secret) = client::rotate_secret(&db, &client_id, previous_until).await? else {
                bail!("no confidential client {client_id}");
            };
            output(json, &serde_json::json!({ "client_id": client_id, "client_secret": secret }), || {
                format!("new client_secret for {client_id} (shown once): {secret}")
            })
        }
    }
}

async fn run_registration_token(cmd: RegistrationTokenCommand, config: &Config, now: i64) -> anyhow::Result<()> {
    let db = app::open_database(config).await?;
    match cmd {
        RegistrationTokenCommand::Create { partner, uses, expires_in, json } => {
            let partner = partner.unwrap_or_else(|| crate::partners::METROPOLE_ID.to_owned());
            let token = registration::issue_initial_token(&db, &partner, uses, expires_in, now).await?;
            let issued = serde_json::json!({
                "initial_access_token": token, "partner_id": partner, "uses": uses, "expires_at": now + expires_in,
            });
            output(json, &issued, || {
                format!("initial access token for {partner} ({uses} use(s), {expires_in} s):\n{token}")
            })
        }
    }
}

fn run_keys(cmd: KeysCommand, config: &Config, now: i64) -> anyhow::Result<()> {
    let dir = &config.keys_dir;
    match cmd {
        KeysCommand::List { json } => {
            KeySet::load_or_generate(dir, now)?;
            let keys = KeySet::list(dir)?;
            output(json, &keys, || {
                keys.iter()
                    .map(|k| format!("{}  {}  created_at={}", k.kid, k.alg.as_str(), k.created_at))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        KeysCommand::Prune { json } => {
            let removed = KeySet::prune(dir, now, crate::signing::keys::retired_key_grace(&config.lifetimes))?;
            output(json, &removed, || {
                if removed.is_empty() {
                    "no key to remove".to_owned()
                } else {
                    removed
                        .iter()
                        .map(|k| format!("removed {}  {}", k.kid, k.alg.as_str()))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            })
        }
        KeysCommand::Rotate { algs, now: immediately, json } => {
            let algs: Vec<KeyAlg> = if algs.is_empty() {
                KeyAlg::all().collect()
            } else {
                algs.iter().filter_map(|a| KeyAlg::parse(a)).collect()
            };
            KeySet::load_or_generate(dir, now)?;
            let activates_at = if immediately { now } else { now + config.keys_publish_ahead_seconds };
            let added = KeySet::rotate(dir, &algs, now, activates_at)?;
            output(json, &added, || {
                added.iter().map(|k| format!("added {}  {}", k.kid, k.alg.as_str())).collect::<Vec<_>>().join("\n")
            })
        }
    }
}
