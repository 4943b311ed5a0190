//! Resident accounts.

use serde::Serialize;
use serde_json::Value;

use super::password::{PasswordError, PasswordHasherPool};
use super::password_policy::{self, Weakness};
use crate::store::users::{self, UserRow};
use crate::store::{Db, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
    pub birthdate: Option<String>,
    pub gender: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    pub address: Option<Value>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            address: r.address.as_deref().and_then(|a| serde_json::from_str(a).ok()),
            id: r.id,
            email: r.email,
            email_verified: r.email_verified,
            password_hash: r.password_hash,
            given_name: r.given_name,
            family_name: r.family_name,
            preferred_username: r.preferred_username,
            birthdate: r.birthdate,
            gender: r.gender,
            locale: r.locale,
            phone_number: r.phone_number,
            phone_number_verified: r.phone_number_verified,
            disabled: r.disabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl User {
    /// The display name (OIDC `name`): given names then family name.
    pub fn full_name(&self) -> Option<String> {
        match (&self.given_name, &self.family_name) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(n), None) | (None, Some(n)) => Some(n.clone()),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct NewUser {
    pub email: String,
    pub password: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("invalid account: {0}")]
    Invalid(String),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    WeakPassword(#[from] Weakness),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => UserError::EmailTaken,
            other => UserError::Store(other),
        }
    }
}

/// Lower-cased and trimmed: one account per address whatever the case typed.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn check_email(email: &str) -> Result<(), UserError> {
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid { Ok(()) } else { Err(UserError::Invalid(format!("{email} is not an email address"))) }
}

const MAX_PASSWORD_BYTES: usize = password_policy::MAX_BYTES;

pub async fn create(db: &Db, hasher: &PasswordHasherPool, new: NewUser, now: i64) -> Result<User, UserError> {
    let email = normalize_email(&new.email);
    check_email(&email)?;
    let password_hash = match new.password {
        Some(p) => {
            password_policy::check(&p, &email)?;
            Some(hasher.hash(p).await?)
        }
        None => None,
    };
    let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        email,
        email_verified: false,
        password_hash,
        given_name: clean(new.given_name),
        family_name: clean(new.family_name),
        preferred_username: None,
        birthdate: None,
        gender: None,
        locale: None,
        phone_number: None,
        phone_number_verified: false,
        address: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    users::insert(db, &row).await?;
    Ok(row.into())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<User>, StoreError> {
    Ok(users::find_by_id(db, id).await?.map(User::from))
}

/// An id or an email.
pub async fn find_by_id_or_email(db: &Db, key: &str) -> Result<Option<User>, StoreError> {
    if key.contains('@') {
        Ok(users::find_by_email(db, &normalize_email(key)).await?.map(User::from))
    } else {
        find(db, key).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password: one answer for both, so accounts cannot be enumerated.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks an email and password. An unknown email still costs one argon2 verification, and a
/// disabled account answers like a wrong password.
/// The account id of a sign-in address, as a login attempt names it (normalized; an address no
/// account can have, too long or with control characters, names nobody).
pub async fn id_of_sign_in_address(db: &Db, email: &str) -> Result<Option<String>, StoreError> {
    if email.len() > 254 || email.chars().any(char::is_control) {
        return Ok(None);
    }
    Ok(users::find_by_email(db, &normalize_email(email)).await?.map(|u| u.id))
}

pub async fn authenticate(
    db: &Db,
    hasher: &PasswordHasherPool,
    email: &str,
    password: &str,
) -> Result<User, LoginError> {
    if password.len() > MAX_PASSWORD_BYTES || email.len() > 254 {
        return Err(LoginError::InvalidCredentials);
    }
    let user = if email.chars().any(char::is_control) {
        None
    } else {
        users::find_by_email(db, &normalize_email(email)).await?.map(User::from)
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = hasher.verify(password.to_owned(), stored).await?;
    match user {
        Some(user) if ok && !user.disabled => Ok(user),
        _ => Err(LoginError::InvalidCredentials),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Alice@Lyon.FR "), "alice@lyon.fr");
        assert!(check_email("alice@lyon.fr").is_ok());
        assert!(check_email("alice").is_err());
        assert!(check_email("alice@lyon").is_err());
        assert!(check_email("a b@lyon.fr").is_err());
        assert!(check_email("@lyon.fr").is_err());
    }
}

/// A resident's profile (OIDC Core §5.1 standard claims).
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
    /// `YYYY-MM-DD` (or `YYYY`).
    pub birthdate: Option<String>,
    pub gender: Option<String>,
    pub locale: Option<String>,
    /// E.164 (`+33 4 72 00 00 00`).
    pub phone_number: Option<String>,
    /// The OIDC `address` claim object (§5.1.1).
    pub address: Option<Value>,
}

/// Replaces the profile of account `id`; returns whether it exists.
pub async fn update_profile(db: &Db, id: &str, profile: Profile, now: i64) -> Result<bool, UserError> {
    if let Some(b) = &profile.birthdate {
        let valid = time::Date::parse(b, &time::macros::format_description!("[year]-[month]-[day]")).is_ok()
            || (b.len() == 4 && b.bytes().all(|c| c.is_ascii_digit()));
        if !valid {
            return Err(UserError::Invalid(format!("{b} is not a date (YYYY-MM-DD)")));
        }
    }
    if profile.address.as_ref().is_some_and(|a| !a.is_object()) {
        return Err(UserError::Invalid("address must be an object".into()));
    }
    let fields = users::ProfileFields {
        given_name: profile.given_name,
        family_name: profile.family_name,
        preferred_username: profile.preferred_username,
        birthdate: profile.birthdate,
        gender: profile.gender,
        locale: profile.locale,
        phone_number: profile.phone_number,
        address: profile.address.map(|a| a.to_string()),
    };
    Ok(users::update_profile(db, id, &fields, now).await?)
}
