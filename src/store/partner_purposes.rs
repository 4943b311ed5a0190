//! The `service_groups`, `service_group_members` and `partner_links` tables: what a partner
//! declares beyond one service.

use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupRow {
    pub id: String,
    pub partner_id: String,
    pub name: String,
    pub purpose: String,
    pub created_at: i64,
}

/// Creates or redefines a group with exactly `members`, all or nothing.
pub async fn replace_group(db: &Db, group: &GroupRow, members: &[String]) -> StoreResult<()> {
    const UPSERT: &str = "INSERT INTO service_groups (id, partner_id, name, purpose, created_at) VALUES ($1, $2, $3, $4, $5) \
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, purpose = excluded.purpose";
    const CLEAR: &str = "DELETE FROM service_group_members WHERE group_id = $1";
    // A service belongs to one group at most: joining this one leaves any other.
    const JOIN: &str = "INSERT INTO service_group_members (client_id, group_id) VALUES ($1, $2) \
        ON CONFLICT (client_id) DO UPDATE SET group_id = excluded.group_id";
    on_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query(UPSERT)
            .bind(&group.id)
            .bind(&group.partner_id)
            .bind(&group.name)
            .bind(&group.purpose)
            .bind(group.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(CLEAR).bind(&group.id).execute(&mut *tx).await?;
        for client_id in members {
            sqlx::query(JOIN).bind(client_id).bind(&group.id).execute(&mut *tx).await?;
        }
        tx.commit().await
    }.await)?;
    Ok(())
}

pub async fn find_group(db: &Db, id: &str) -> StoreResult<Option<GroupRow>> {
    const SQL: &str = "SELECT id, partner_id, name, purpose, created_at FROM service_groups WHERE id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

/// The group `client_id` belongs to, if any.
pub async fn group_of(db: &Db, client_id: &str) -> StoreResult<Option<GroupRow>> {
    const SQL: &str = "SELECT g.id, g.partner_id, g.name, g.purpose, g.created_at FROM service_groups g \
        JOIN service_group_members m ON m.group_id = g.id WHERE m.client_id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(client_id).fetch_optional(pool).await)?)
}

pub async fn members(db: &Db, group_id: &str) -> StoreResult<Vec<String>> {
    const SQL: &str = "SELECT client_id FROM service_group_members WHERE group_id = $1 ORDER BY client_id";
    Ok(on_pool!(db, pool => sqlx::query_scalar(SQL).bind(group_id).fetch_all(pool).await)?)
}

pub async fn groups_of_partner(db: &Db, partner_id: &str) -> StoreResult<Vec<GroupRow>> {
    const SQL: &str =
        "SELECT id, partner_id, name, purpose, created_at FROM service_groups WHERE partner_id = $1 ORDER BY id";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(partner_id).fetch_all(pool).await)?)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LinkRow {
    pub partner_id: String,
    pub source_partner_id: String,
    pub purpose: String,
    pub created_at: i64,
}

pub async fn upsert_link(db: &Db, link: &LinkRow) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO partner_links (partner_id, source_partner_id, purpose, created_at) VALUES ($1, $2, $3, $4) \
        ON CONFLICT (partner_id, source_partner_id) DO UPDATE SET purpose = excluded.purpose";
    on_pool!(db, pool => sqlx::query(SQL)
        .bind(&link.partner_id)
        .bind(&link.source_partner_id)
        .bind(&link.purpose)
        .bind(link.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find_link(db: &Db, partner_id: &str, source_partner_id: &str) -> StoreResult<Option<LinkRow>> {
    const SQL: &str = "SELECT partner_id, source_partner_id, purpose, created_at FROM partner_links \
        WHERE partner_id = $1 AND source_partner_id = $2";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(partner_id).bind(source_partner_id).fetch_optional(pool).await)?)
}

pub async fn links_of_partner(db: &Db, partner_id: &str) -> StoreResult<Vec<LinkRow>> {
    const SQL: &str = "SELECT partner_id, source_partner_id, purpose, created_at FROM partner_links \
        WHERE partner_id = $1 ORDER BY source_partner_id";
    Ok(on_pool!(db, pool => sqlx::query_as(SQL).bind(partner_id).fetch_all(pool).await)?)
}
