//! The second factor of residents without a passkey: an authenticator app (TOTP) enrolled from
//! the account page, with ten single-use recovery codes shown once. A login with it carries
//! `acr = glc:mfa` and `amr = [pwd, otp]` (or `[pwd, kba]`… no: a recovery code is `[pwd, otp]`
//! too, being a one-time password). The secret is sealed at rest (AES-256-GCM, a key derived
//! from the keys directory's secret): a database copy alone does not give the codes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::totp;
use crate::audit::security::{self, FactorChange};
use crate::provider::Provider;
use crate::secrets;
use crate::signing::jwe;
use crate::store::StoreError;
use crate::store::ephemeral::EphemeralError;
use crate::store::second_factors::{self, TotpRow};

/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// How long a started enrolment waits for its first code.
const ENROLMENT_SECONDS: i64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error("the code is wrong or was already used")]
    WrongCode,
    #[error("no enrolment in progress")]
    NoEnrolment,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ephemeral(#[from] EphemeralError),
    #[error("{0}")]
    Internal(String),
}

fn sealing_key(provider: &Provider) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"glc totp secret sealing key\0");
    hasher.update(provider.keys().pairwise_secret());
    hasher.finalize().into()
}

fn seal(provider: &Provider, secret: &[u8]) -> Result<String, MfaError> {
    jwe::seal(&sealing_key(provider), secret).map_err(|e| MfaError::Internal(e.to_string()))
}

fn unseal(provider: &Provider, sealed: &str) -> Result<Vec<u8>, MfaError> {
    jwe::unseal(&sealing_key(provider), sealed).map_err(|e| MfaError::Internal(e.to_string()))
}

/// Whether the resident has an authenticator app enrolled.
pub async fn is_enrolled(provider: &Provider, user_id: &str) -> Result<bool, MfaError> {
    Ok(second_factors::find_totp(&provider.db, user_id).await?.is_some())
}

/// What a resident can give after their password: an app's code, a passkey, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecondFactors {
    pub totp: bool,
    pub passkey: bool,
}

impl SecondFactors {
    /// A resident with any second factor must give one after the password.
    pub fn any(self) -> bool {
        self.totp || self.passkey
    }
}

/// The second factors of `user_id`. Passkeys count only where they can be used (an issuer
/// with a host name).
pub async fn second_factors(provider: &Provider, user_id: &str) -> Result<SecondFactors, MfaError> {
    let totp = is_enrolled(provider, user_id).await?;
    let passkey =
        provider.webauthn.is_some() && crate::store::passkeys::count_of_user(&provider.db, user_id).await? > 0;
    Ok(SecondFactors { totp, passkey })
}

/// A new secret waiting for its first code: what the account page shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enrolment {
    /// Base32, for typing into an app.
    pub secret: String,
    /// `otpauth://` for a link or a QR code.
    pub uri: String,
}

fn enrolment_key(user_id: &str) -> String {
    format!("totp_enrolment:{user_id}")
}

pub async fn start_enrolment(provider: &Provider, user_id: &str, email: &str) -> Result<Enrolment, MfaError> {
    let secret: [u8; totp::SECRET_BYTES] = rand::random();
    let sealed = seal(provider, &secret)?;
    provider.ephemeral.put(&enrolment_key(user_id), sealed, ENROLMENT_SECONDS).await?;
    Ok(Enrolment { secret: totp::base32(&secret), uri: totp::provisioning_uri(&secret, email) })
}

/// Confirms an enrolment with a first code from the app; returns the recovery codes, to be
/// shown once.
pub async fn confirm_enrolment(provider: &Provider, user_id: &str, code: &str) -> Result<Vec<String>, MfaError> {
    let sealed = provider.ephemeral.get(&enrolment_key(user_id)).await?.ok_or(MfaError::NoEnrolment)?;
    let secret = unseal(provider, &sealed)?;
    let now = provider.now();
    let step = totp::matching_step(&secret, code, now, None).ok_or(MfaError::WrongCode)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let digests: Vec<String> = codes.iter().map(|c| secrets::digest(&normalize(c))).collect();
    let row = TotpRow { user_id: user_id.to_owned(), secret: sealed, last_step: Some(step), created_at: now };
    second_factors::enrol(&provider.db, &row, &digests).await?;
    provider.ephemeral.delete(&enrolment_key(user_id)).await?;
    security::factor_changed(provider, user_id, FactorChange::TotpEnabled).await?;
    Ok(codes)
}

/// Ten characters from an alphabet without look-alikes, shown as `xxxxx-xxxxx`.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes: [u8; 10] = rand::random();
    let chars: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normalize(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase()
}

/// Checks a second factor: a code of the app (each step once) or an unused recovery code.
pub async fn verify(provider: &Provider, user_id: &str, presented: &str) -> Result<(), MfaError> {
    let row = second_factors::find_totp(&provider.db, user_id).await?.ok_or(MfaError::WrongCode)?;
    let now = provider.now();
    let secret = unseal(provider, &row.secret)?;
    if let Some(step) = totp::matching_step(&secret, presented, now, row.last_step) {
        return if second_factors::use_step(&provider.db, user_id, step).await? {
            Ok(())
        } else {
            Err(MfaError::WrongCode)
        };
    }
    let digest = secrets::digest(&normalize(presented));
    if presented.len() <= 32 && second_factors::use_recovery_code(&provider.db, user_id, &digest, now).await? {
        tracing::info!(%user_id, "recovery code used");
        return Ok(());
    }
    Err(MfaError::WrongCode)
}

/// Removes the second factor (the account page asks for the password first).
pub async fn remove(provider: &Provider, user_id: &str) -> Result<(), MfaError> {
    second_factors::remove(&provider.db, user_id).await?;
    Ok(security::factor_changed(provider, user_id, FactorChange::TotpDisabled).await?)
}
