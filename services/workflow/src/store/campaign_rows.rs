//! 《困难党员备案统计汇总表》的行 — the rows of a unit's summary form: one
//! register record each, snapshotted at issue, and the branch's findings.

use relief_runtime::error::{Error, Result};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;
use crate::domain::review::Check;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRowRow {
    pub row_id: Uuid,
    pub seq: i64,
    pub campaign_unit_id: Uuid,
    pub campaign_id: Uuid,
    pub member_id: Uuid,
    pub record_id: Uuid,
    pub member_name: String,
    pub branch_id: i64,
    pub branch_name: String,
    pub branch_path: String,
    pub hardship_category: i32,
    pub register_summary: String,
    pub outcome: i32,
    pub findings: String,
    pub exclusion_checks: Json<Vec<Check>>,
    pub adjust_category: i32,
    pub adjust_household_size: i32,
    pub adjust_income_sealed: Option<Vec<u8>>,
    pub removal_reason: String,
    pub verified_by_id: String,
    pub verified_by_name: String,
    pub verified_at: Option<OffsetDateTime>,
    pub resolved_by_meeting: bool,
    pub applied_at: Option<OffsetDateTime>,
    pub version: i64,
}

impl Store {
    pub async fn insert_campaign_row(tx: &mut PgConnection, row: &CampaignRowRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO campaign_rows (row_id, campaign_unit_id, campaign_id, member_id,
                 record_id, member_name, branch_id, branch_name, branch_path, hardship_category,
                 register_summary)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (campaign_unit_id, record_id) DO NOTHING",
        )
        .bind(row.row_id)
        .bind(row.campaign_unit_id)
        .bind(row.campaign_id)
        .bind(row.member_id)
        .bind(row.record_id)
        .bind(&row.member_name)
        .bind(row.branch_id)
        .bind(&row.branch_name)
        .bind(&row.branch_path)
        .bind(row.hardship_category)
        .bind(&row.register_summary)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Every row of a unit, in issue order (branch, then name).
    pub async fn rows_of(conn: &mut PgConnection, unit_id: Uuid) -> Result<Vec<CampaignRowRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM campaign_rows WHERE campaign_unit_id = $1 ORDER BY seq")
                .bind(unit_id)
                .fetch_all(conn)
                .await?,
        )
    }

    pub async fn campaign_row_in(conn: &mut PgConnection, row_id: Uuid) -> Result<CampaignRowRow> {
        sqlx::query_as("SELECT * FROM campaign_rows WHERE row_id = $1")
            .bind(row_id)
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| Error::not_found(format!("verification row {row_id}")))
    }

    /// Saves the branch's findings on a row with its version one up.
    pub async fn save_campaign_row(
        tx: &mut PgConnection,
        row: &CampaignRowRow,
        expected: i64,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "UPDATE campaign_rows SET outcome = $3, findings = $4, exclusion_checks = $5,
                 adjust_category = $6, adjust_household_size = $7, adjust_income_sealed = $8,
                 removal_reason = $9, verified_by_id = $10, verified_by_name = $11,
                 verified_at = $12, resolved_by_meeting = $13, version = version + 1
             WHERE row_id = $1 AND version = $2 RETURNING version",
        )
        .bind(row.row_id)
        .bind(expected)
        .bind(row.outcome)
        .bind(&row.findings)
        .bind(&row.exclusion_checks)
        .bind(row.adjust_category)
        .bind(row.adjust_household_size)
        .bind(&row.adjust_income_sealed)
        .bind(&row.removal_reason)
        .bind(&row.verified_by_id)
        .bind(&row.verified_by_name)
        .bind(row.verified_at)
        .bind(row.resolved_by_meeting)
        .fetch_optional(tx)
        .await?
        .ok_or_else(|| Error::EtagMismatch(format!("verification row {}", row.row_id)))
    }

    /// The branch's meeting resolved on its rows.
    pub async fn resolve_branch_rows(
        tx: &mut PgConnection,
        unit_id: Uuid,
        branch_id: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE campaign_rows SET resolved_by_meeting = true, version = version + 1
             WHERE campaign_unit_id = $1 AND branch_id = $2",
        )
        .bind(unit_id)
        .bind(branch_id)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Rows the department returned: verified again from the start.
    pub async fn reopen_rows(tx: &mut PgConnection, unit_id: Uuid, row_ids: &[Uuid]) -> Result<()> {
        sqlx::query(
            "UPDATE campaign_rows SET outcome = 0, resolved_by_meeting = false,
                 version = version + 1
             WHERE campaign_unit_id = $1 AND row_id = ANY($2)",
        )
        .bind(unit_id)
        .bind(row_ids)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// The row's outcome is on the register.
    pub async fn mark_applied(
        tx: &mut PgConnection,
        row_id: Uuid,
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("UPDATE campaign_rows SET applied_at = $2 WHERE row_id = $1")
            .bind(row_id)
            .bind(at)
            .execute(tx)
            .await?;
        Ok(())
    }
}
