//! 救助申请 — the applications table: one row per case, its claim (household
//! facts sealed), where it stands and the references it has gathered.

use relief_runtime::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;
use crate::domain::review::Review;

/// A superior organisation that reviews, as the ledger had it when the
/// application was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub org_id: i64,
    pub name: String,
    pub path: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationRow {
    pub application_id: Uuid,
    pub seq: i64,
    pub member_id: Uuid,
    pub member_name: String,
    pub branch_id: i64,
    pub branch_name: String,
    pub branch_path: String,
    pub review_levels: Json<Vec<Level>>,
    pub review_level: i32,
    pub year: i32,
    pub hardship_category: i32,
    pub other_categories: Vec<i32>,
    pub affected_person: i32,
    pub affected_relation: String,
    pub requested_relief_type: i32,
    pub description: String,
    pub household_sealed: Vec<u8>,
    pub entered_on_behalf: bool,
    pub created_by_id: String,
    pub created_by_name: String,
    pub state: i32,
    pub state_entered_at: OffsetDateTime,
    pub state_deadline: Option<OffsetDateTime>,
    pub returned_from_state: i32,
    pub return_note: String,
    pub requested_evidence: Vec<i32>,
    pub urgent: bool,
    pub branch_review: Option<Json<Review>>,
    pub superior_review: Option<Json<Review>>,
    pub register_record_id: String,
    pub allocation_id: String,
    pub disbursement_id: String,
    pub voucher_number: String,
    pub close_reason: String,
    pub closed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub submitted_at: Option<OffsetDateTime>,
    pub version: i64,
    /// The version the caller last read (its etag), when the row was locked
    /// for a write: checked once the caller is authorised, so a caller who
    /// may not act learns nothing from the etag, and again on saving.
    #[sqlx(skip)]
    pub expected_version: Option<i64>,
}

impl ApplicationRow {
    /// The superior level reviewing now, if the application is at one.
    pub fn current_level(&self) -> Option<&Level> {
        usize::try_from(self.review_level)
            .ok()
            .and_then(|i| self.review_levels.0.get(i))
    }

    /// Whether the branch hangs directly under the committee.
    pub fn skips_superior_review(&self) -> bool {
        self.review_levels.0.is_empty()
    }
}

const COLUMNS: &str =
    "application_id, seq, member_id, member_name, branch_id, branch_name, branch_path,
    review_levels, review_level, year, hardship_category, other_categories, affected_person,
    affected_relation, requested_relief_type, description, household_sealed, entered_on_behalf,
    created_by_id, created_by_name, state, state_entered_at, state_deadline, returned_from_state,
    return_note, requested_evidence, urgent, branch_review, superior_review, register_record_id,
    allocation_id, disbursement_id, voucher_number, close_reason, closed_at, created_at, updated_at,
    submitted_at, version";

/// The filters of ListApplications, resolved to subtree roots.
#[derive(Debug, Clone, Default)]
pub struct ApplicationListing {
    /// Subtree path patterns the caller may see (`/1/2/%`).
    pub patterns: Vec<String>,
    /// Only this member (a member's own listing, or a filter).
    pub member_id: Option<Uuid>,
    pub states: Vec<i32>,
    pub year: Option<i32>,
    pub hardship_category: Option<i32>,
    pub relief_type: Option<i32>,
    pub overdue_only: bool,
    pub after_seq: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// A new application, as [`ApplicationRow`] has it (seq and version are
    /// the database's).
    pub async fn insert_application(tx: &mut PgConnection, row: &ApplicationRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO applications (application_id, member_id, member_name, branch_id, branch_name,
                 branch_path, review_levels, review_level, year, hardship_category, other_categories,
                 affected_person, affected_relation, requested_relief_type, description,
                 household_sealed, entered_on_behalf, created_by_id, created_by_name, state,
                 state_entered_at, state_deadline, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $22, $22)",
        )
        .bind(row.application_id)
        .bind(row.member_id)
        .bind(&row.member_name)
        .bind(row.branch_id)
        .bind(&row.branch_name)
        .bind(&row.branch_path)
        .bind(&row.review_levels)
        .bind(row.year)
        .bind(row.hardship_category)
        .bind(&row.other_categories)
        .bind(row.affected_person)
        .bind(&row.affected_relation)
        .bind(row.requested_relief_type)
        .bind(&row.description)
        .bind(&row.household_sealed)
        .bind(row.entered_on_behalf)
        .bind(&row.created_by_id)
        .bind(&row.created_by_name)
        .bind(row.state)
        .bind(row.state_entered_at)
        .bind(row.state_deadline)
        .bind(row.created_at)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// One application, unlocked (reads).
    pub async fn application(&self, application_id: Uuid) -> Result<Option<ApplicationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM applications WHERE application_id = $1"
        )))
        .bind(application_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// One application, locked for this transaction; `NOT_FOUND` when there
    /// is none.
    pub async fn lock_application(
        tx: &mut PgConnection,
        application_id: Uuid,
    ) -> Result<ApplicationRow> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM applications WHERE application_id = $1 FOR UPDATE"
        )))
        .bind(application_id)
        .fetch_optional(tx)
        .await?
        .ok_or_else(|| Error::not_found(format!("application {application_id}")))
    }

    /// Writes back every changeable column of a locked row, with the version
    /// one up; `ABORTED` if the caller's etag is not the row's version.
    pub async fn save_application(tx: &mut PgConnection, row: &ApplicationRow) -> Result<i64> {
        if row
            .expected_version
            .is_some_and(|expected| expected != row.version)
        {
            return Err(Error::EtagMismatch(format!(
                "application {}",
                row.application_id
            )));
        }
        let version: i64 = sqlx::query_scalar(
            "UPDATE applications SET
                 review_level = $2, hardship_category = $3, other_categories = $4,
                 affected_person = $5, affected_relation = $6, requested_relief_type = $7,
                 description = $8, household_sealed = $9, state = $10, state_entered_at = $11,
                 state_deadline = $12, returned_from_state = $13, return_note = $14,
                 requested_evidence = $15, urgent = $16, branch_review = $17, superior_review = $18,
                 register_record_id = $19, allocation_id = $20, disbursement_id = $21,
                 voucher_number = $22, close_reason = $23, closed_at = $24, updated_at = $25,
                 submitted_at = $26, version = version + 1
             WHERE application_id = $1
             RETURNING version",
        )
        .bind(row.application_id)
        .bind(row.review_level)
        .bind(row.hardship_category)
        .bind(&row.other_categories)
        .bind(row.affected_person)
        .bind(&row.affected_relation)
        .bind(row.requested_relief_type)
        .bind(&row.description)
        .bind(&row.household_sealed)
        .bind(row.state)
        .bind(row.state_entered_at)
        .bind(row.state_deadline)
        .bind(row.returned_from_state)
        .bind(&row.return_note)
        .bind(&row.requested_evidence)
        .bind(row.urgent)
        .bind(&row.branch_review)
        .bind(&row.superior_review)
        .bind(&row.register_record_id)
        .bind(&row.allocation_id)
        .bind(&row.disbursement_id)
        .bind(&row.voucher_number)
        .bind(&row.close_reason)
        .bind(row.closed_at)
        .bind(row.updated_at)
        .bind(row.submitted_at)
        .fetch_one(tx)
        .await?;
        Ok(version)
    }

    /// A page of applications, newest first.
    pub async fn applications(&self, listing: &ApplicationListing) -> Result<Vec<ApplicationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM applications
             WHERE branch_path LIKE ANY($1)
               AND ($2::uuid IS NULL OR member_id = $2)
               AND (cardinality($3::int[]) = 0 OR state = ANY($3))
               AND ($4::int IS NULL OR year = $4)
               AND ($5::int IS NULL OR hardship_category = $5)
               AND ($6::int IS NULL OR requested_relief_type = $6)
               AND (NOT $7 OR state_deadline < now())
               AND ($8::bigint IS NULL OR seq < $8)
             ORDER BY seq DESC LIMIT $9"
        )))
        .bind(&listing.patterns)
        .bind(listing.member_id)
        .bind(&listing.states)
        .bind(listing.year)
        .bind(listing.hardship_category)
        .bind(listing.relief_type)
        .bind(listing.overdue_only)
        .bind(listing.after_seq)
        .bind(listing.limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
