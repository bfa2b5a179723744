//! 年度核查 — the campaigns and campaign units tables. A change locks its
//! row (`FOR UPDATE`) and is saved with the version one up, `ABORTED` when
//! the caller's etag is not the row's version.

use relief_proto::workflow::v1::CampaignNoticeOutcome;
use relief_runtime::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::Store;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub campaign_id: Uuid,
    pub seq: i64,
    pub year: i32,
    pub title: String,
    pub collect_by: Date,
    pub submit_by: Date,
    pub state: i32,
    pub opened_by_id: String,
    pub opened_by_name: String,
    pub opened_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// Who did something, when, and what they said (kept in jsonb).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub user_id: String,
    pub display_name: String,
    pub at: Option<OffsetDateTime>,
    pub comment: String,
}

/// 签字盖章上报 — the unit's submission as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSubmission {
    pub signer_name: String,
    pub signer_title: String,
    pub signed_date: Option<Date>,
    pub sealed: bool,
    pub scan_sha256: String,
    pub submitted_by: Stamp,
}

/// One new member of the unit's package, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredNewMember {
    pub application_id: Uuid,
    pub member_name: String,
    pub branch_id: i64,
    pub branch_name: String,
    pub branch_path: String,
    pub record_id: String,
    pub paper_received: bool,
}

/// 退回 — one return, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReturn {
    pub reason: String,
    pub row_ids: Vec<Uuid>,
    pub returned: Stamp,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitRow {
    pub campaign_unit_id: Uuid,
    pub seq: i64,
    pub campaign_id: Uuid,
    pub unit_org_id: i64,
    pub unit_name: String,
    pub unit_path: String,
    pub state: i32,
    pub issued_at: OffsetDateTime,
    pub collected_at: Option<OffsetDateTime>,
    pub collected_by_name: String,
    pub submission: Option<Json<StoredSubmission>>,
    pub submitted_by_id: String,
    pub submitted_at: Option<OffsetDateTime>,
    pub new_members: Json<Vec<StoredNewMember>>,
    pub returns: Json<Vec<StoredReturn>>,
    pub accepted: Option<Json<Stamp>>,
    pub accepted_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// A unit's rows counted by outcome.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct RowCounts {
    pub rows: i64,
    pub verified: i64,
    pub continued: i64,
    pub adjusted: i64,
    pub removed: i64,
}

/// 支部大会, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeetingRow {
    pub campaign_unit_id: Uuid,
    pub branch_id: i64,
    pub branch_name: String,
    pub branch_path: String,
    pub meeting_date: Date,
    pub attendance: i32,
    pub resolution: String,
    pub recorded_by_id: String,
    pub recorded_by_name: String,
    pub recorded_at: OffsetDateTime,
}

/// 公示结果, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignNoticeRow {
    pub campaign_unit_id: Uuid,
    pub branch_id: i64,
    pub branch_name: String,
    pub branch_path: String,
    pub start_date: Date,
    pub end_date: Date,
    pub outcome: i32,
    pub note: String,
    pub recorded_by_id: String,
    pub recorded_by_name: String,
    pub recorded_at: OffsetDateTime,
}

impl CampaignNoticeRow {
    /// The result in words, as the register's verification keeps it.
    pub fn result_words(&self) -> &'static str {
        match CampaignNoticeOutcome::try_from(self.outcome).unwrap_or_default() {
            CampaignNoticeOutcome::ObjectionsResolved => "有异议已处理",
            _ => "公示无异议",
        }
    }
}

impl Store {
    pub async fn insert_campaign(tx: &mut PgConnection, row: &CampaignRow) -> Result<()> {
        let inserted = sqlx::query(
            "INSERT INTO campaigns (campaign_id, year, title, collect_by, submit_by, state,
                 opened_by_id, opened_by_name, opened_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (year) DO NOTHING",
        )
        .bind(row.campaign_id)
        .bind(row.year)
        .bind(&row.title)
        .bind(row.collect_by)
        .bind(row.submit_by)
        .bind(row.state)
        .bind(&row.opened_by_id)
        .bind(&row.opened_by_name)
        .bind(row.opened_at)
        .execute(tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(Error::exists(
                "CAMPAIGN_EXISTS",
                format!("the campaign of {} is open already", row.year),
            ));
        }
        Ok(())
    }

    pub async fn campaign_in(conn: &mut PgConnection, campaign_id: Uuid) -> Result<CampaignRow> {
        sqlx::query_as("SELECT * FROM campaigns WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| Error::not_found(format!("campaign {campaign_id}")))
    }

    pub async fn lock_campaign(tx: &mut PgConnection, campaign_id: Uuid) -> Result<CampaignRow> {
        sqlx::query_as("SELECT * FROM campaigns WHERE campaign_id = $1 FOR UPDATE")
            .bind(campaign_id)
            .fetch_optional(tx)
            .await?
            .ok_or_else(|| Error::not_found(format!("campaign {campaign_id}")))
    }

    /// Campaigns, newest year first, after the page key `after_seq` (a
    /// year's campaign is opened once, so newer years have higher seqs
    /// only in practice: the order is by year, the key is the seq).
    pub async fn campaigns(
        &self,
        year: Option<i32>,
        state: Option<i32>,
    ) -> Result<Vec<CampaignRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM campaigns
             WHERE ($1::int IS NULL OR year = $1) AND ($2::int IS NULL OR state = $2)
             ORDER BY year DESC",
        )
        .bind(year)
        .bind(state)
        .fetch_all(self.pool())
        .await?)
    }

    /// Saves a locked campaign with its version one up.
    pub async fn save_campaign(
        tx: &mut PgConnection,
        row: &CampaignRow,
        expected: i64,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "UPDATE campaigns SET title = $3, collect_by = $4, submit_by = $5, state = $6,
                 closed_at = $7, version = version + 1
             WHERE campaign_id = $1 AND version = $2 RETURNING version",
        )
        .bind(row.campaign_id)
        .bind(expected)
        .bind(&row.title)
        .bind(row.collect_by)
        .bind(row.submit_by)
        .bind(row.state)
        .bind(row.closed_at)
        .fetch_optional(tx)
        .await?
        .ok_or_else(|| Error::EtagMismatch(format!("campaign {}", row.campaign_id)))
    }

    /// Creates the unit unless the campaign has it already; answers it.
    pub async fn insert_unit(tx: &mut PgConnection, row: &UnitRow) -> Result<(UnitRow, bool)> {
        let created = sqlx::query(
            "INSERT INTO campaign_units (campaign_unit_id, campaign_id, unit_org_id, unit_name,
                 unit_path, state, issued_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (campaign_id, unit_org_id) DO NOTHING",
        )
        .bind(row.campaign_unit_id)
        .bind(row.campaign_id)
        .bind(row.unit_org_id)
        .bind(&row.unit_name)
        .bind(&row.unit_path)
        .bind(row.state)
        .bind(row.issued_at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let unit = sqlx::query_as(
            "SELECT * FROM campaign_units WHERE campaign_id = $1 AND unit_org_id = $2",
        )
        .bind(row.campaign_id)
        .bind(row.unit_org_id)
        .fetch_one(tx)
        .await?;
        Ok((unit, created))
    }

    pub async fn unit_in(conn: &mut PgConnection, unit_id: Uuid) -> Result<UnitRow> {
        sqlx::query_as("SELECT * FROM campaign_units WHERE campaign_unit_id = $1")
            .bind(unit_id)
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| Error::not_found(format!("campaign unit {unit_id}")))
    }

    pub async fn lock_unit(tx: &mut PgConnection, unit_id: Uuid) -> Result<UnitRow> {
        sqlx::query_as("SELECT * FROM campaign_units WHERE campaign_unit_id = $1 FOR UPDATE")
            .bind(unit_id)
            .fetch_optional(tx)
            .await?
            .ok_or_else(|| Error::not_found(format!("campaign unit {unit_id}")))
    }

    /// Every unit of a campaign, in issue order.
    pub async fn units_of(conn: &mut PgConnection, campaign_id: Uuid) -> Result<Vec<UnitRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM campaign_units WHERE campaign_id = $1 ORDER BY seq")
                .bind(campaign_id)
                .fetch_all(conn)
                .await?,
        )
    }

    /// Units of open campaigns not yet submitted, for the reminders.
    pub async fn units_awaited(&self) -> Result<Vec<UnitRow>> {
        Ok(sqlx::query_as(
            "SELECT u.* FROM campaign_units u JOIN campaigns c USING (campaign_id)
             WHERE c.state = 1 AND u.state NOT IN (5, 6) ORDER BY u.seq",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Saves a locked unit with its version one up.
    pub async fn save_unit(tx: &mut PgConnection, row: &UnitRow, expected: i64) -> Result<i64> {
        sqlx::query_scalar(
            "UPDATE campaign_units SET state = $3, collected_at = $4, collected_by_name = $5,
                 submission = $6, submitted_by_id = $7, submitted_at = $8, new_members = $9,
                 returns = $10, accepted = $11, accepted_at = $12, version = version + 1
             WHERE campaign_unit_id = $1 AND version = $2 RETURNING version",
        )
        .bind(row.campaign_unit_id)
        .bind(expected)
        .bind(row.state)
        .bind(row.collected_at)
        .bind(&row.collected_by_name)
        .bind(&row.submission)
        .bind(&row.submitted_by_id)
        .bind(row.submitted_at)
        .bind(&row.new_members)
        .bind(&row.returns)
        .bind(&row.accepted)
        .bind(row.accepted_at)
        .fetch_optional(tx)
        .await?
        .ok_or_else(|| Error::EtagMismatch(format!("campaign unit {}", row.campaign_unit_id)))
    }

    /// The rows of each unit counted by outcome.
    pub async fn row_counts(
        conn: &mut PgConnection,
        unit_ids: &[Uuid],
    ) -> Result<Vec<(Uuid, RowCounts)>> {
        let rows: Vec<(Uuid, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT campaign_unit_id, count(*), count(*) FILTER (WHERE outcome <> 0),
                 count(*) FILTER (WHERE outcome = 1), count(*) FILTER (WHERE outcome = 2),
                 count(*) FILTER (WHERE outcome = 3)
             FROM campaign_rows WHERE campaign_unit_id = ANY($1) GROUP BY campaign_unit_id",
        )
        .bind(unit_ids)
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, rows, verified, continued, adjusted, removed)| {
                (
                    id,
                    RowCounts {
                        rows,
                        verified,
                        continued,
                        adjusted,
                        removed,
                    },
                )
            })
            .collect())
    }

    pub async fn meetings_of(conn: &mut PgConnection, unit_id: Uuid) -> Result<Vec<MeetingRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM campaign_meetings WHERE campaign_unit_id = $1 ORDER BY branch_path",
        )
        .bind(unit_id)
        .fetch_all(conn)
        .await?)
    }

    pub async fn notices_of(
        conn: &mut PgConnection,
        unit_id: Uuid,
    ) -> Result<Vec<CampaignNoticeRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM campaign_notices WHERE campaign_unit_id = $1 ORDER BY branch_path",
        )
        .bind(unit_id)
        .fetch_all(conn)
        .await?)
    }

    /// Records (or records again, after a return) a branch's meeting.
    pub async fn put_meeting(tx: &mut PgConnection, row: &MeetingRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO campaign_meetings (campaign_unit_id, branch_id, branch_name, branch_path,
                 meeting_date, attendance, resolution, recorded_by_id, recorded_by_name, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (campaign_unit_id, branch_id) DO UPDATE SET
                 meeting_date = EXCLUDED.meeting_date, attendance = EXCLUDED.attendance,
                 resolution = EXCLUDED.resolution, recorded_by_id = EXCLUDED.recorded_by_id,
                 recorded_by_name = EXCLUDED.recorded_by_name, recorded_at = EXCLUDED.recorded_at",
        )
        .bind(row.campaign_unit_id)
        .bind(row.branch_id)
        .bind(&row.branch_name)
        .bind(&row.branch_path)
        .bind(row.meeting_date)
        .bind(row.attendance)
        .bind(&row.resolution)
        .bind(&row.recorded_by_id)
        .bind(&row.recorded_by_name)
        .bind(row.recorded_at)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Records (or again) a branch's notice result.
    pub async fn put_campaign_notice(tx: &mut PgConnection, row: &CampaignNoticeRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO campaign_notices (campaign_unit_id, branch_id, branch_name, branch_path,
                 start_date, end_date, outcome, note, recorded_by_id, recorded_by_name, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (campaign_unit_id, branch_id) DO UPDATE SET
                 start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date,
                 outcome = EXCLUDED.outcome, note = EXCLUDED.note,
                 recorded_by_id = EXCLUDED.recorded_by_id,
                 recorded_by_name = EXCLUDED.recorded_by_name, recorded_at = EXCLUDED.recorded_at",
        )
        .bind(row.campaign_unit_id)
        .bind(row.branch_id)
        .bind(&row.branch_name)
        .bind(&row.branch_path)
        .bind(row.start_date)
        .bind(row.end_date)
        .bind(row.outcome)
        .bind(&row.note)
        .bind(&row.recorded_by_id)
        .bind(&row.recorded_by_name)
        .bind(row.recorded_at)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// A branch whose rows change again holds its meeting and notice again.
    pub async fn forget_branch_resolution(
        tx: &mut PgConnection,
        unit_id: Uuid,
        branch_id: i64,
    ) -> Result<()> {
        sqlx::query("DELETE FROM campaign_notices WHERE campaign_unit_id = $1 AND branch_id = $2")
            .bind(unit_id)
            .bind(branch_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM campaign_meetings WHERE campaign_unit_id = $1 AND branch_id = $2")
            .bind(unit_id)
            .bind(branch_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE campaign_rows SET resolved_by_meeting = false
             WHERE campaign_unit_id = $1 AND branch_id = $2",
        )
        .bind(unit_id)
        .bind(branch_id)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Marks a reminder sent; false when it was sent already.
    pub async fn remember_reminder(
        tx: &mut PgConnection,
        unit_id: Uuid,
        deadline: Date,
        kind: &str,
    ) -> Result<bool> {
        Ok(sqlx::query(
            "INSERT INTO campaign_reminders (campaign_unit_id, deadline, kind, sent_at)
             VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING",
        )
        .bind(unit_id)
        .bind(deadline)
        .bind(kind)
        .execute(tx)
        .await?
        .rows_affected()
            == 1)
    }
}
