//! The `federated_identities` and `certified_identities` tables: FranceConnect identities
//! linked to accounts, and what FranceConnect certified.

use super::users::{self, UserRow};
use super::{Db, StoreResult, on_pool};

/// The identity FranceConnect certified for an account, with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct CertifiedRow {
    pub user_id: String,
    pub platform: String,
    pub family_name: String,
    pub given_name: String,
    /// JSON list.
    pub given_name_array: Option<String>,
    pub birthdate: Option<String>,
    pub idp_birthdate: Option<String>,
    pub gender: Option<String>,
    pub birthplace: Option<String>,
    pub birthcountry: Option<String>,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub acr: String,
    pub idp_id: Option<String>,
    pub verified_at: i64,
}

/// The account linked to `subject` on `platform`.
pub async fn linked_user(db: &Db, platform: &str, subject: &str) -> StoreResult<Option<String>> {
    const SQL: &str = "SELECT user_id FROM federated_identities WHERE platform = $1 AND subject = $2";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(platform).bind(subject).fetch_optional(pool).await)?)
}

/// Whether the account has a FranceConnect identity linked.
pub async fn is_linked(db: &Db, user_id: &str) -> StoreResult<bool> {
    Ok(!linked_platforms(db, user_id).await?.is_empty())
}

/// The platforms (`fc`, `fcplus`) the account has an identity linked on.
pub async fn linked_platforms(db: &Db, user_id: &str) -> StoreResult<Vec<String>> {
    const SQL: &str = "SELECT platform FROM federated_identities WHERE user_id = $1 ORDER BY platform";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await)?)
}

/// A birth identity, as FranceConnect certifies it.
#[derive(Debug)]
pub struct Pivot<'a> {
    pub family_name: &'a str,
    pub given_name: &'a str,
    pub birthdate: Option<&'a str>,
    pub gender: Option<&'a str>,
    pub birthplace: Option<&'a str>,
    pub birthcountry: Option<&'a str>,
}

/// The accounts whose identity certified by `platform` is exactly `pivot` (every field equal,
/// an absent one equal to an absent or empty one).
pub async fn certified_with_pivot(db: &Db, platform: &str, pivot: &Pivot<'_>) -> StoreResult<Vec<String>> {
    const SQL: &str = "SELECT user_id FROM certified_identities WHERE platform = $1 AND family_name = $2 \
        AND given_name = $3 AND COALESCE(birthdate, '') = $4 AND COALESCE(gender, '') = $5 \
        AND COALESCE(birthplace, '') = $6 AND COALESCE(birthcountry, '') = $7";
    let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL)
        .bind(platform)
        .bind(pivot.family_name)
        .bind(pivot.given_name)
        .bind(text(pivot.birthdate))
        .bind(text(pivot.gender))
        .bind(text(pivot.birthplace))
        .bind(text(pivot.birthcountry))
        .fetch_all(pool)
        .await)?)
}

pub async fn certified_of(db: &Db, user_id: &str) -> StoreResult<Option<CertifiedRow>> {
    const SQL: &str = "SELECT user_id, platform, family_name, given_name, given_name_array, birthdate, idp_birthdate, \
                       gender, birthplace, birthcountry, preferred_username, email, acr, idp_id, verified_at \
                       FROM certified_identities WHERE user_id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(user_id).fetch_optional(pool).await)?)
}

const DELETE_CERTIFIED: &str = "DELETE FROM certified_identities WHERE user_id = $1";
const INSERT_CERTIFIED: &str = "INSERT INTO certified_identities (user_id, platform, family_name, given_name, \
    given_name_array, birthdate, idp_birthdate, gender, birthplace, birthcountry, preferred_username, email, acr, \
    idp_id, verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
const INSERT_LINK: &str = "INSERT INTO federated_identities (platform, subject, user_id, linked_at, last_login_at) \
    VALUES ($1, $2, $3, $4, $4)";
const TOUCH_LINK: &str = "UPDATE federated_identities SET last_login_at = $1 WHERE platform = $2 AND subject = $3";
/// The certified names and birth data replace the profile's (what services receive).
const CERTIFY_PROFILE: &str = "UPDATE users SET given_name = $1, family_name = $2, birthdate = $3, gender = $4, \
    updated_at = $5 WHERE id = $6";

macro_rules! bind_certified {
    ($query:expr, $c:expr) => {
        $query
            .bind(&$c.user_id)
            .bind(&$c.platform)
            .bind(&$c.family_name)
            .bind(&$c.given_name)
            .bind(&$c.given_name_array)
            .bind(&$c.birthdate)
            .bind(&$c.idp_birthdate)
            .bind(&$c.gender)
            .bind(&$c.birthplace)
            .bind(&$c.birthcountry)
            .bind(&$c.preferred_username)
            .bind(&$c.email)
            .bind(&$c.acr)
            .bind(&$c.idp_id)
            .bind($c.verified_at)
    };
}

/// Within transaction `$tx`: the certified identity `$c` replaces the account's last one, and
/// the profile's certified fields take its values.
macro_rules! recertify {
    ($tx:ident, $c:expr) => {
        sqlx::query(DELETE_CERTIFIED).bind(&$c.user_id).execute(&mut *$tx).await?;
        bind_certified!(sqlx::query(INSERT_CERTIFIED), $c).execute(&mut *$tx).await?;
        sqlx::query(CERTIFY_PROFILE)
            .bind(&$c.given_name)
            .bind(&$c.family_name)
            .bind(&$c.birthdate)
            .bind(&$c.gender)
            .bind($c.verified_at)
            .bind(&$c.user_id)
            .execute(&mut *$tx)
            .await?;
    };
}

/// A new account made from a FranceConnect identity, its link and its certified identity,
/// together or not at all.
pub async fn create_account(db: &Db, user: &UserRow, subject: &str, certified: &CertifiedRow) -> StoreResult<()> {
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        users::bind_user!(sqlx::query(users::INSERT_SQL), user).execute(&mut *tx).await?;
        sqlx::query(INSERT_LINK).bind(&certified.platform).bind(subject).bind(&user.id).bind(certified.verified_at).execute(&mut *tx).await?;
        bind_certified!(sqlx::query(INSERT_CERTIFIED), certified).execute(&mut *tx).await?;
        tx.commit().await
    }.await)?;
    Ok(())
}

/// At a login through FranceConnect: the certified identity as FC sends it today (it
/// overwrites the last one), and the profile's certified fields with it.
pub async fn record_login(db: &Db, subject: &str, certified: &CertifiedRow) -> StoreResult<()> {
    let c = certified;
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query(TOUCH_LINK).bind(c.verified_at).bind(&c.platform).bind(subject).execute(&mut *tx).await?;
        recertify!(tx, c);
        tx.commit().await
    }.await)?;
    Ok(())
}

/// Links `subject` to an existing account and records what FC certified; a subject already
/// linked (to anyone) or an account already linked on this platform is a `Conflict`.
pub async fn link(db: &Db, subject: &str, certified: &CertifiedRow) -> StoreResult<()> {
    let c = certified;
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query(INSERT_LINK).bind(&c.platform).bind(subject).bind(&c.user_id).bind(c.verified_at).execute(&mut *tx).await?;
        recertify!(tx, c);
        tx.commit().await
    }.await)?;
    Ok(())
}

/// Removes the account's FranceConnect links and what they certified (the profile keeps its
/// values, no longer certified).
pub async fn unlink(db: &Db, user_id: &str) -> StoreResult<()> {
    const DELETE_LINKS: &str = "DELETE FROM federated_identities WHERE user_id = $1";
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query(DELETE_LINKS).bind(user_id).execute(&mut *tx).await?;
        sqlx::query(DELETE_CERTIFIED).bind(user_id).execute(&mut *tx).await?;
        tx.commit().await
    }.await)?;
    Ok(())
}
