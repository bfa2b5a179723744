//! Hardship records (台账记录), their yearly verifications and statistics.

use relief_runtime::error::{Error, Result};
use relief_runtime::scope::subtree_patterns;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{ALREADY_VERIFIED, MemberRow, Store, breaks};
use crate::domain::record::{HardshipCategory, RecordStatus, SourceKind};
use crate::domain::verification::VerificationOutcome;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordRow {
    pub record_id: Uuid,
    pub member_id: Uuid,
    pub member_name: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub category: HardshipCategory,
    pub cause: String,
    pub description: String,
    pub household_size: i32,
    pub sealed_income: Vec<u8>,
    pub status: RecordStatus,
    pub recognised: bool,
    pub since: Date,
    pub until: Option<Date>,
    pub removal_reason: String,
    pub source_kind: SourceKind,
    pub source_ref: String,
    pub created_by_id: String,
    pub created_by_name: String,
    pub checked_by_id: String,
    pub checked_by_name: String,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VerificationRow {
    pub record_id: Uuid,
    pub year: i32,
    pub outcome: VerificationOutcome,
    pub findings: String,
    pub branch_meeting_date: Option<Date>,
    pub notice_start: Option<Date>,
    pub notice_end: Option<Date>,
    pub notice_result: String,
    pub campaign_id: String,
    pub verified_by_id: String,
    pub verified_by_name: String,
    pub verified_at: OffsetDateTime,
}

pub struct NewRecordRow<'a> {
    pub record_id: Uuid,
    pub member: &'a MemberRow,
    pub category: HardshipCategory,
    pub cause: &'a str,
    pub description: &'a str,
    pub household_size: i32,
    pub sealed_income: Vec<u8>,
    pub since: Date,
    pub source_kind: SourceKind,
    pub source_ref: &'a str,
    pub created_by_id: &'a str,
    pub created_by_name: &'a str,
}

/// What to list; `None` and an empty prefix mean "any".
#[derive(Debug, Default, Clone)]
pub struct RecordFilter {
    pub roots: Vec<String>,
    pub category: Option<HardshipCategory>,
    pub status: Option<RecordStatus>,
    /// On the register at some time during this year.
    pub year: Option<i32>,
    pub name_prefix: String,
    pub member_id: Option<Uuid>,
}

/// One cell of the statistics, by unit (the node under the committee).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatisticsRow {
    pub unit_id: i64,
    pub category: HardshipCategory,
    pub active: i64,
    pub added: i64,
    pub removed: i64,
}

const RECORD_COLUMNS: &str = "r.record_id, r.member_id, m.name AS member_name, r.org_id, r.org_path, o.name AS org_name,
    r.category, r.cause, r.description, r.household_size, r.sealed_income, r.status, r.recognised, r.since, r.until,
    r.removal_reason, r.source_kind, r.source_ref, r.created_by_id, r.created_by_name, r.checked_by_id,
    r.checked_by_name, r.version, r.created_at, r.updated_at";
const RECORD_FROM: &str =
    "records r JOIN members m ON m.member_id = r.member_id JOIN orgs o ON o.org_id = r.org_id";

impl Store {
    /// Puts a member on the register; a second active record of one member
    /// breaks `records_one_active_per_member` (see [`super::REFUSALS`]).
    pub async fn insert_record(tx: &mut PgConnection, row: NewRecordRow<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO records (record_id, member_id, org_id, org_path, category, cause, description, household_size,
                sealed_income, status, since, source_kind, source_ref, created_by_id, created_by_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $11, $12, $13, $14)",
        )
        .bind(row.record_id)
        .bind(row.member.member_id)
        .bind(row.member.org_id)
        .bind(&row.member.org_path)
        .bind(row.category)
        .bind(row.cause)
        .bind(row.description)
        .bind(row.household_size)
        .bind(&row.sealed_income)
        .bind(row.since)
        .bind(row.source_kind)
        .bind(row.source_ref)
        .bind(row.created_by_id)
        .bind(row.created_by_name)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    pub async fn record(&self, record_id: Uuid) -> Result<Option<RecordRow>> {
        Self::record_in(&mut *self.pool().acquire().await?, record_id).await
    }

    /// A record, within an open transaction.
    pub async fn record_in(conn: &mut PgConnection, record_id: Uuid) -> Result<Option<RecordRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.record_id = $1"
        )))
        .bind(record_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// Records matching `filter`, by (since, id) after the record `after`
    /// (a page token holds the id only; a record no longer under the roots
    /// ends the listing); `limit` 0 = all.
    pub async fn list_records(
        &self,
        filter: &RecordFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<RecordRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM}
             WHERE r.org_path LIKE ANY($1)
               AND ($2::text IS NULL OR r.category = $2)
               AND ($3::text IS NULL OR r.status = $3)
               AND ($4::int IS NULL OR (r.since <= make_date($4, 12, 31) AND (r.until IS NULL OR r.until >= make_date($4, 1, 1))))
               AND m.name LIKE $5 || '%'
               AND ($6::uuid IS NULL OR r.member_id = $6)
               AND (r.since, r.record_id) > (
                   CASE WHEN $7::uuid IS NULL THEN DATE '1900-01-01'
                        ELSE (SELECT c.since FROM records c WHERE c.record_id = $7 AND c.org_path LIKE ANY($1)) END,
                   COALESCE($7, '00000000-0000-0000-0000-000000000000'::uuid))
             ORDER BY r.since, r.record_id
             LIMIT CASE WHEN $8 = 0 THEN NULL ELSE $8 END"
        )))
        .bind(subtree_patterns(&filter.roots))
        .bind(filter.category)
        .bind(filter.status)
        .bind(filter.year)
        .bind(filter.name_prefix.replace('%', "\\%").replace('_', "\\_"))
        .bind(filter.member_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn members_by_ids(&self, ids: &[Uuid]) -> Result<Vec<MemberRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM members m JOIN orgs o ON o.org_id = m.org_id WHERE m.member_id = ANY($1)",
            super::members::MEMBER_COLUMNS
        )))
        .bind(ids)
        .fetch_all(self.pool())
        .await?)
    }

    /// Writes back a changed record if it is still at `expected_version`.
    pub async fn update_record(
        tx: &mut PgConnection,
        row: &RecordRow,
        expected_version: i64,
    ) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE records SET category = $3, cause = $4, description = $5, household_size = $6, sealed_income = $7,
                status = $8, recognised = $9, until = $10, removal_reason = $11, checked_by_id = $12,
                checked_by_name = $13, version = version + 1, updated_at = now()
             WHERE record_id = $1 AND version = $2",
        )
        .bind(row.record_id)
        .bind(expected_version)
        .bind(row.category)
        .bind(&row.cause)
        .bind(&row.description)
        .bind(row.household_size)
        .bind(&row.sealed_income)
        .bind(row.status)
        .bind(row.recognised)
        .bind(row.until)
        .bind(&row.removal_reason)
        .bind(&row.checked_by_id)
        .bind(&row.checked_by_name)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    pub async fn insert_verification(tx: &mut PgConnection, row: &VerificationRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO verifications (record_id, year, outcome, findings, branch_meeting_date, notice_start,
                notice_end, notice_result, campaign_id, verified_by_id, verified_by_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(row.record_id)
        .bind(row.year)
        .bind(row.outcome)
        .bind(&row.findings)
        .bind(row.branch_meeting_date)
        .bind(row.notice_start)
        .bind(row.notice_end)
        .bind(&row.notice_result)
        .bind(&row.campaign_id)
        .bind(&row.verified_by_id)
        .bind(&row.verified_by_name)
        .execute(&mut *tx)
        .await
        .map_err(|err| {
            if breaks(&err, "verifications_pkey") {
                Error::exists(
                    ALREADY_VERIFIED,
                    format!("verification.year: the record was already verified for {}", row.year),
                )
            } else {
                Error::Database(err)
            }
        })?;
        Ok(())
    }

    pub async fn verifications(&self, record_ids: &[Uuid]) -> Result<Vec<VerificationRow>> {
        let mut conn = self.pool().acquire().await?;
        Self::verifications_in(&mut conn, record_ids).await
    }

    /// The verifications of `record_ids`, within an open transaction.
    pub async fn verifications_in(
        conn: &mut PgConnection,
        record_ids: &[Uuid],
    ) -> Result<Vec<VerificationRow>> {
        Ok(sqlx::query_as(
            "SELECT record_id, year, outcome, findings, branch_meeting_date, notice_start, notice_end, notice_result,
                campaign_id, verified_by_id, verified_by_name, verified_at
             FROM verifications WHERE record_id = ANY($1) ORDER BY record_id, year",
        )
        .bind(record_ids)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Recognised records on the register during `year`, by unit and category.
    pub async fn statistics(&self, roots: &[String], year: i32) -> Result<Vec<StatisticsRow>> {
        Ok(sqlx::query_as(
            "SELECT COALESCE(NULLIF(split_part(r.org_path, '/', 3), ''), split_part(r.org_path, '/', 2))::bigint AS unit_id,
                    r.category,
                    count(*) AS active,
                    count(*) FILTER (WHERE extract(year FROM r.since) = $2) AS added,
                    count(*) FILTER (WHERE r.until IS NOT NULL AND extract(year FROM r.until) = $2) AS removed
             FROM records r
             WHERE r.org_path LIKE ANY($1) AND r.recognised
               AND r.since <= make_date($2, 12, 31) AND (r.until IS NULL OR r.until >= make_date($2, 1, 1))
             GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(subtree_patterns(roots))
        .bind(year)
        .fetch_all(self.pool())
        .await?)
    }
}
