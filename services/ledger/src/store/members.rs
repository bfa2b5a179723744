//! Members of the register and their families.

use relief_runtime::error::Result;
use relief_runtime::scope::subtree_patterns;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::Store;
use crate::domain::member::{Employment, Sex};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub member_id: Uuid,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub unit_name: String,
    pub name: String,
    pub sex: Sex,
    pub birth_date: Date,
    pub id_number_masked: String,
    pub party_join_date: Date,
    pub work_unit: String,
    pub employment_status: Employment,
    pub phone_masked: String,
    pub address: String,
    pub receives_dibao: bool,
    pub receives_special_care: bool,
    pub family_public: serde_json::Value,
    pub sealed: Vec<u8>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Columns of a member joined with its branch's name.
pub(super) const MEMBER_COLUMNS: &str = "m.member_id, m.org_id, m.org_path, o.name AS org_name, o.unit_name, m.name, m.sex,
    m.birth_date, m.id_number_masked, m.party_join_date, m.work_unit, m.employment_status, m.phone_masked,
    m.address, m.receives_dibao, m.receives_special_care, m.family_public, m.sealed, m.version,
    m.created_at, m.updated_at";

/// A member as it is written, sealed parts already sealed.
pub struct NewMemberRow<'a> {
    pub member_id: Uuid,
    pub org_id: i64,
    pub org_path: &'a str,
    pub name: &'a str,
    pub sex: Sex,
    pub birth_date: Date,
    pub id_number_hash: &'a str,
    pub id_number_masked: &'a str,
    pub party_join_date: Date,
    pub work_unit: &'a str,
    pub employment_status: Employment,
    pub phone_masked: &'a str,
    pub address: &'a str,
    pub receives_dibao: bool,
    pub receives_special_care: bool,
    pub family_public: serde_json::Value,
    pub sealed: Vec<u8>,
    pub created_by: &'a str,
}

impl Store {
    /// Registers a member; a second registration of one person breaks
    /// `members_id_number_hash_key` (see [`super::REFUSALS`]).
    pub async fn insert_member(tx: &mut PgConnection, row: NewMemberRow<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO members (member_id, org_id, org_path, name, sex, birth_date, id_number_hash, id_number_masked,
                party_join_date, work_unit, employment_status, phone_masked, address, receives_dibao,
                receives_special_care, family_public, sealed, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(row.member_id)
        .bind(row.org_id)
        .bind(row.org_path)
        .bind(row.name)
        .bind(row.sex)
        .bind(row.birth_date)
        .bind(row.id_number_hash)
        .bind(row.id_number_masked)
        .bind(row.party_join_date)
        .bind(row.work_unit)
        .bind(row.employment_status)
        .bind(row.phone_masked)
        .bind(row.address)
        .bind(row.receives_dibao)
        .bind(row.receives_special_care)
        .bind(&row.family_public)
        .bind(&row.sealed)
        .bind(row.created_by)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    pub async fn member(&self, member_id: Uuid) -> Result<Option<MemberRow>> {
        Self::member_in(&mut *self.pool().acquire().await?, member_id).await
    }

    /// A member, within an open transaction.
    pub async fn member_in(conn: &mut PgConnection, member_id: Uuid) -> Result<Option<MemberRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members m JOIN orgs o ON o.org_id = m.org_id WHERE m.member_id = $1"
        )))
        .bind(member_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub async fn member_by_hash(&self, id_number_hash: &str) -> Result<Option<MemberRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members m JOIN orgs o ON o.org_id = m.org_id WHERE m.id_number_hash = $1"
        )))
        .bind(id_number_hash)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Members under any of `roots`, by name then id, after the member
    /// `after` (a page token holds the id, not the name). A member no longer
    /// under `roots` ends the listing rather than revealing where its name
    /// sorts.
    pub async fn list_members(
        &self,
        roots: &[String],
        name_prefix: &str,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<MemberRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members m JOIN orgs o ON o.org_id = m.org_id
             WHERE m.org_path LIKE ANY($1) AND m.name LIKE $2 || '%'
               AND (m.name, m.member_id) > (
                   CASE WHEN $3::uuid IS NULL THEN ''
                        ELSE (SELECT c.name FROM members c WHERE c.member_id = $3 AND c.org_path LIKE ANY($1)) END,
                   COALESCE($3, '00000000-0000-0000-0000-000000000000'::uuid))
             ORDER BY m.name, m.member_id LIMIT $4"
        )))
        .bind(subtree_patterns(roots))
        .bind(name_prefix.replace('%', "\\%").replace('_', "\\_"))
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Writes back a changed member if it is still at `expected_version`.
    pub async fn update_member(
        tx: &mut PgConnection,
        row: &MemberRow,
        expected_version: i64,
    ) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE members SET name = $3, party_join_date = $4, work_unit = $5, employment_status = $6,
                phone_masked = $7, address = $8, receives_dibao = $9, receives_special_care = $10,
                family_public = $11, sealed = $12, version = version + 1, updated_at = now()
             WHERE member_id = $1 AND version = $2",
        )
        .bind(row.member_id)
        .bind(expected_version)
        .bind(&row.name)
        .bind(row.party_join_date)
        .bind(&row.work_unit)
        .bind(row.employment_status)
        .bind(&row.phone_masked)
        .bind(&row.address)
        .bind(row.receives_dibao)
        .bind(row.receives_special_care)
        .bind(&row.family_public)
        .bind(&row.sealed)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }
}
