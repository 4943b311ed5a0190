//! Passkeys (WebAuthn, with webauthn-rs): a resident registers several from the account page,
//! names and removes them, logs in with one alone (a discoverable credential: the
//! authenticator tells who it is) or gives one as the second factor after a password.
//!
//! Every ceremony is two requests: its options, then the authenticator's answer. What the
//! server must remember in between (the challenge) lives in the short-lived store under a
//! random ceremony id, bound to what it was started for, and is taken once, so a ceremony
//! started on one instance finishes on another and an answer cannot be replayed. User
//! verification (PIN, biometrics) is required every time: a passkey is two factors in itself.
//!
//! The relying party is the issuer's host name; an issuer on an IP address has no passkeys
//! (WebAuthn needs a domain).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::user::User;
use crate::mail::compose::{Template, compose};
use crate::provider::Provider;
use crate::secrets;
use crate::store::ephemeral::{EphemeralError, Taken};
use crate::store::passkeys::{self as store, PasskeyRow};
use crate::store::{StoreError, users};

/// How long a ceremony waits for the authenticator (WebAuthn's recommended timeout).
const CEREMONY_SECONDS: i64 = 300;
/// The longest name a resident can give a passkey.
pub const NAME_MAX_CHARS: usize = 60;
/// A resident's passkeys are few; this bounds the list an attacker with a session could grow.
pub const MAX_PER_ACCOUNT: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The issuer is an IP address: WebAuthn needs a host name.
    #[error("passkeys need an issuer with a host name")]
    Unsupported,
    /// The ceremony is unknown, expired, already finished or started for something else.
    #[error("no such passkey ceremony")]
    NoCeremony,
    /// The authenticator's answer did not verify, or names no passkey of ours.
    #[error("the passkey was refused: {0}")]
    Refused(String),
    #[error("this passkey is already registered")]
    AlreadyRegistered,
    #[error("too many passkeys")]
    TooMany,
    #[error("the name is empty or too long")]
    Name,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ephemeral(#[from] EphemeralError),
    #[error("{0}")]
    Internal(String),
}

fn internal(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Internal(e.to_string())
}

fn refused(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Refused(e.to_string())
}

/// The relying party for `issuer`, or `None` when its host is an IP address.
pub fn relying_party(issuer: &str) -> Option<Webauthn> {
    let issuer = Url::parse(issuer).ok()?;
    let rp_id = issuer.domain()?.to_owned();
    let origin = Url::parse(&issuer.origin().ascii_serialization()).ok()?;
    WebauthnBuilder::new(&rp_id, &origin).ok()?.rp_name("GrandLyon Connect").build().ok()
}

fn webauthn(provider: &Provider) -> Result<&Webauthn, PasskeyError> {
    provider.webauthn.as_ref().ok_or(PasskeyError::Unsupported)
}

/// What a ceremony was started for; its answer is accepted for that alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// Adding a passkey to this account.
    Register { user_id: &'a str },
    /// A passwordless login within this authorization interaction.
    Login { interaction: &'a str },
    /// A passwordless sign-in on the account page.
    AccountLogin,
    /// The second factor of this resident, after their password.
    SecondFactor { user_id: &'a str },
}

impl Purpose<'_> {
    fn binding(&self) -> String {
        match self {
            Purpose::Register { user_id } => format!("register:{user_id}"),
            Purpose::Login { interaction } => format!("login:{interaction}"),
            Purpose::AccountLogin => "account-login".to_owned(),
            Purpose::SecondFactor { user_id } => format!("second-factor:{user_id}"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Pending {
    binding: String,
    state: serde_json::Value,
}

fn key(ceremony: &str) -> String {
    format!("passkey_ceremony:{}", secrets::digest(ceremony))
}

/// A started ceremony: its id (sent back with the answer) and the options for
/// `navigator.credentials.create|get`.
#[derive(Debug, Serialize)]
pub struct Started {
    pub ceremony: String,
    #[serde(rename = "publicKey")]
    pub public_key: serde_json::Value,
}

async fn remember(provider: &Provider, purpose: &Purpose<'_>, state: impl Serialize) -> Result<String, PasskeyError> {
    let ceremony = secrets::random_token(24);
    let pending = Pending { binding: purpose.binding(), state: serde_json::to_value(state).map_err(internal)? };
    let json = serde_json::to_string(&pending).map_err(internal)?;
    provider.ephemeral.put_single_use(&key(&ceremony), json, String::new(), CEREMONY_SECONDS).await?;
    Ok(ceremony)
}

async fn recall<T: DeserializeOwned>(
    provider: &Provider,
    purpose: &Purpose<'_>,
    ceremony: &str,
) -> Result<T, PasskeyError> {
    if ceremony.is_empty() || ceremony.len() > 64 {
        return Err(PasskeyError::NoCeremony);
    }
    let Taken::Value(json) = provider.ephemeral.take(&key(ceremony), CEREMONY_SECONDS).await? else {
        return Err(PasskeyError::NoCeremony);
    };
    let pending: Pending = serde_json::from_str(&json).map_err(internal)?;
    if !secrets::constant_time_eq(&pending.binding, &purpose.binding()) {
        return Err(PasskeyError::NoCeremony);
    }
    serde_json::from_value(pending.state).map_err(internal)
}

/// The `publicKey` member of webauthn-rs's options.
fn public_key_of(options: impl Serialize) -> Result<serde_json::Value, PasskeyError> {
    let mut value = serde_json::to_value(options).map_err(internal)?;
    Ok(value.get_mut("publicKey").map(serde_json::Value::take).unwrap_or_default())
}

fn credential_id_text(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// The resident's handle in their authenticators: the account id (a UUID), nothing personal.
fn user_handle(user_id: &str) -> Result<Uuid, PasskeyError> {
    Uuid::parse_str(user_id).map_err(internal)
}

/// Starts adding a passkey to `user`'s account.
pub async fn start_registration(provider: &Provider, user: &User) -> Result<Started, PasskeyError> {
    let webauthn = webauthn(provider)?;
    let existing = store::of_user(&provider.db, &user.id).await?;
    if existing.len() as i64 >= MAX_PER_ACCOUNT {
        return Err(PasskeyError::TooMany);
    }
    let exclude: Vec<_> = existing.iter().filter_map(|row| parse(row).ok()).map(|p| p.cred_id().clone()).collect();
    let display_name = user.full_name().unwrap_or_else(|| user.email.clone());
    let (options, state) = webauthn
        .start_passkey_registration(user_handle(&user.id)?, &user.email, &display_name, Some(exclude))
        .map_err(internal)?;
    let mut public_key = public_key_of(options)?;
    // A passkey must be discoverable, so that it alone can log the resident in (webauthn-rs
    // leaves the choice to the authenticator).
    if let Some(selection) = public_key.get_mut("authenticatorSelection").and_then(|s| s.as_object_mut()) {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    let ceremony = remember(provider, &Purpose::Register { user_id: &user.id }, &state).await?;
    Ok(Started { ceremony, public_key })
}

/// A passkey as the account page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl From<&PasskeyRow> for Summary {
    fn from(row: &PasskeyRow) -> Self {
        Summary {
            id: row.id.clone(),
            name: row.name.clone(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

fn checked_name(name: &str) -> Result<String, PasskeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(PasskeyError::Name);
    }
    Ok(name.to_owned())
}

/// Finishes adding a passkey named `name` with the authenticator's `answer` (its JSON), and
/// tells the resident by mail (a passkey added by someone else is an account taken over).
pub async fn finish_registration(
    provider: &Provider,
    user: &User,
    ceremony: &str,
    answer: &str,
    name: &str,
) -> Result<Summary, PasskeyError> {
    let webauthn = webauthn(provider)?;
    let name = checked_name(name)?;
    let user_id = user.id.as_str();
    let state: PasskeyRegistration = recall(provider, &Purpose::Register { user_id }, ceremony).await?;
    let answer: RegisterPublicKeyCredential = serde_json::from_str(answer).map_err(refused)?;
    let passkey = webauthn.finish_passkey_registration(&answer, &state).map_err(refused)?;
    let row = PasskeyRow {
        id: Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        credential_id: credential_id_text(passkey.cred_id()),
        name,
        passkey: serde_json::to_string(&passkey).map_err(internal)?,
        created_at: provider.now(),
        last_used_at: None,
    };
    match store::insert(&provider.db, &row).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => return Err(PasskeyError::AlreadyRegistered),
        Err(e) => return Err(e.into()),
    }
    crate::audit::security::factor_changed(provider, user_id, crate::audit::security::FactorChange::PasskeyAdded)
        .await?;
    let account = provider.url("/account");
    if let Ok(mail) = compose(&user.email, Template::NewPasskey { name: &row.name, account: &account })
        && let Err(e) = provider.mailer.send(mail).await
    {
        tracing::error!(error = %e, "new passkey notification not sent");
    }
    Ok(Summary::from(&row))
}

fn parse(row: &PasskeyRow) -> Result<Passkey, PasskeyError> {
    serde_json::from_str(&row.passkey).map_err(internal)
}

/// Starts a passwordless login: any passkey of this site may answer.
pub async fn start_login(provider: &Provider, purpose: &Purpose<'_>) -> Result<Started, PasskeyError> {
    let (options, state) = webauthn(provider)?.start_discoverable_authentication().map_err(internal)?;
    // A login button opens the browser's passkey dialog; webauthn-rs's conditional mediation
    // (autofill) is left out: the options carry no `mediation`.
    let public_key = public_key_of(options)?;
    let ceremony = remember(provider, purpose, &state).await?;
    Ok(Started { ceremony, public_key })
}

/// Finishes a passwordless login; returns the account the passkey belongs to.
pub async fn finish_login(
    provider: &Provider,
    purpose: &Purpose<'_>,
    ceremony: &str,
    answer: &str,
) -> Result<User, PasskeyError> {
    let webauthn = webauthn(provider)?;
    let state: DiscoverableAuthentication = recall(provider, purpose, ceremony).await?;
    let answer: PublicKeyCredential = serde_json::from_str(answer).map_err(refused)?;
    let (handle, credential_id) = webauthn.identify_discoverable_authentication(&answer).map_err(refused)?;
    let row = store::by_credential_id(&provider.db, &credential_id_text(credential_id))
        .await?
        .ok_or_else(|| refused("unknown credential"))?;
    // The authenticator's user handle must name the credential's owner.
    if user_handle(&row.user_id)? != handle {
        return Err(refused("the user handle does not match the credential"));
    }
    let mut passkey = parse(&row)?;
    // webauthn-rs's single-credential finish takes its internal credential type; the slice
    // form is the public one.
    #[allow(deprecated)]
    let result = webauthn
        .finish_discoverable_authentication(&answer, state, &[DiscoverableKey::from(&passkey)])
        .map_err(refused)?;
    passkey.update_credential(&result);
    store::record_use(&provider.db, &row.id, &serde_json::to_string(&passkey).map_err(internal)?, provider.now())
        .await?;
    let user = users::find_by_id(&provider.db, &row.user_id).await?.map(User::from);
    match user {
        Some(user) if !user.disabled => Ok(user),
        _ => Err(refused("the account is disabled or gone")),
    }
}

/// Whether the resident has at least one passkey.
pub async fn has_any(provider: &Provider, user_id: &str) -> Result<bool, PasskeyError> {
    Ok(store::count_of_user(&provider.db, user_id).await? > 0)
}

/// Starts a second-factor check with one of `user_id`'s passkeys.
pub async fn start_second_factor(provider: &Provider, user_id: &str) -> Result<Started, PasskeyError> {
    let webauthn = webauthn(provider)?;
    let passkeys: Vec<Passkey> =
        store::of_user(&provider.db, user_id).await?.iter().map(parse).collect::<Result<_, _>>()?;
    if passkeys.is_empty() {
        return Err(refused("the resident has no passkey"));
    }
    let (options, state) = webauthn.start_passkey_authentication(&passkeys).map_err(internal)?;
    let ceremony = remember(provider, &Purpose::SecondFactor { user_id }, &state).await?;
    Ok(Started { ceremony, public_key: public_key_of(options)? })
}

/// Finishes a second-factor check of `user_id`.
pub async fn finish_second_factor(
    provider: &Provider,
    user_id: &str,
    ceremony: &str,
    answer: &str,
) -> Result<(), PasskeyError> {
    let webauthn = webauthn(provider)?;
    let state: PasskeyAuthentication = recall(provider, &Purpose::SecondFactor { user_id }, ceremony).await?;
    let answer: PublicKeyCredential = serde_json::from_str(answer).map_err(refused)?;
    let result = webauthn.finish_passkey_authentication(&answer, &state).map_err(refused)?;
    let row = store::by_credential_id(&provider.db, &credential_id_text(result.cred_id()))
        .await?
        .filter(|row| row.user_id == user_id)
        .ok_or_else(|| refused("unknown credential"))?;
    let mut passkey = parse(&row)?;
    passkey.update_credential(&result);
    store::record_use(&provider.db, &row.id, &serde_json::to_string(&passkey).map_err(internal)?, provider.now())
        .await?;
    Ok(())
}

/// The resident's passkeys, oldest first.
pub async fn list(provider: &Provider, user_id: &str) -> Result<Vec<Summary>, PasskeyError> {
    Ok(store::of_user(&provider.db, user_id).await?.iter().map(Summary::from).collect())
}

/// Renames one of the resident's passkeys; `Refused` if it is not theirs.
pub async fn rename(provider: &Provider, user_id: &str, id: &str, name: &str) -> Result<(), PasskeyError> {
    let name = checked_name(name)?;
    match store::rename(&provider.db, user_id, id, &name).await? {
        true => Ok(()),
        false => Err(refused("no such passkey")),
    }
}

/// Removes one of the resident's passkeys; `Refused` if it is not theirs.
pub async fn remove(provider: &Provider, user_id: &str, id: &str) -> Result<(), PasskeyError> {
    match store::remove(&provider.db, user_id, id).await? {
        true => Ok(crate::audit::security::factor_changed(
            provider,
            user_id,
            crate::audit::security::FactorChange::PasskeyRemoved,
        )
        .await?),
        false => Err(refused("no such passkey")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issuer_on_an_ip_address_has_no_passkeys() {
        assert!(relying_party("http://127.0.0.1:8080").is_none());
        assert!(relying_party("http://[::1]:8080").is_none());
        assert!(relying_party("http://localhost:8080").is_some());
        assert!(relying_party("https://connect.grandlyon.fr/oidc").is_some());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(checked_name("  Téléphone ").unwrap(), "Téléphone");
        assert!(checked_name("   ").is_err());
        assert!(checked_name(&"é".repeat(NAME_MAX_CHARS + 1)).is_err());
        assert!(checked_name("a\u{0}b").is_err());
    }

    #[test]
    fn a_ceremony_answers_only_what_it_was_started_for() {
        let register = Purpose::Register { user_id: "u1" }.binding();
        assert_ne!(register, Purpose::SecondFactor { user_id: "u1" }.binding());
        assert_ne!(register, Purpose::Register { user_id: "u2" }.binding());
        assert_ne!(Purpose::Login { interaction: "a" }.binding(), Purpose::AccountLogin.binding());
    }
}
