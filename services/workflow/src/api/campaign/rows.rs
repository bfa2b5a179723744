//! 核查 — the rows of a unit's form: listed for whoever sees their branch,
//! verified by the branch with written findings, the six exclusion grounds
//! checked again, and an outcome (continue, adjust, remove). A row verified
//! again after its branch's meeting asks for the meeting and notice again.

use relief_proto::common::v1::VerificationOutcome;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Caller;
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use serde_json::json;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::WorkflowApi;
use super::queries::RowQuery;
use super::{access, convert};
use crate::domain::campaign;
use crate::domain::campaign_findings::RowFindings;
use crate::store::Store;

/// Associated data binding a sealed adjusted income to its row.
pub(super) fn income_aad(row_id: Uuid) -> String {
    format!("campaign-rows/{row_id}")
}

impl WorkflowApi {
    pub(super) async fn row_list(
        &self,
        caller: Caller,
        query: RowQuery,
    ) -> Result<pb::ListVerificationRowsResponse> {
        let mut conn = self.store.pool().acquire().await?;
        let unit = Store::unit_in(&mut conn, query.unit_id).await?;
        access::read_unit(&caller, &unit)?;
        let mut rows: Vec<_> = Store::rows_of(&mut conn, unit.campaign_unit_id)
            .await?
            .into_iter()
            .filter(|row| access::sees_row(&caller, row))
            .filter(|row| query.branch_org_id.is_none_or(|id| id == row.branch_id))
            .filter(|row| !query.unverified_only || row.outcome == 0)
            .filter(|row| query.page.after.is_none_or(|after| row.seq > after))
            .take(usize::try_from(query.page.fetch()).unwrap_or(usize::MAX))
            .collect();
        let next_page_token = query.page.next(&mut rows, |row| row.seq);
        Ok(pb::ListVerificationRowsResponse {
            rows: rows.iter().map(convert::row).collect(),
            next_page_token,
        })
    }

    pub(super) async fn row_verify(
        &self,
        caller: Caller,
        command: RowFindings,
        mut work: Work,
    ) -> Result<Done<pb::VerificationRow>> {
        let seen = Store::campaign_row_in(work.tx(), command.row_id).await?;
        let (campaign, mut unit) = Self::unit_locked(&mut work, seen.campaign_unit_id).await?;
        let mut row = Store::campaign_row_in(work.tx(), command.row_id).await?;
        if !access::sees_row(&caller, &row) {
            return Err(Error::not_found(format!("verification row {}", row.row_id)));
        }
        access::branch(&caller, &unit, &row.branch_path)?;
        if row.version != command.version {
            return Err(Error::EtagMismatch(format!(
                "verification row {}",
                row.row_id
            )));
        }
        if campaign.state != pb::CampaignState::Open as i32 {
            return Err(Error::refused(
                campaign::CAMPAIGN_CLOSED,
                "the campaign is closed",
            ));
        }
        campaign::open_for_changes(
            pb::CampaignUnitState::try_from(unit.state).unwrap_or_default(),
        )?;
        if row.resolved_by_meeting {
            Store::forget_branch_resolution(work.tx(), unit.campaign_unit_id, row.branch_id)
                .await?;
        }
        let adjust = command.outcome == VerificationOutcome::Adjust;
        row.outcome = command.outcome as i32;
        row.findings = command.findings.clone();
        row.exclusion_checks = Json(command.checks.clone());
        row.adjust_category = if adjust {
            command.adjustment.category
        } else {
            0
        };
        row.adjust_household_size = if adjust {
            command.adjustment.household_size
        } else {
            0
        };
        row.adjust_income_sealed = match command.adjustment.annual_household_income_fen {
            Some(fen) if adjust => Some(self.sealer.seal(&income_aad(row.row_id), &fen)?),
            _ => None,
        };
        row.removal_reason = command.removal_reason.clone();
        row.verified_by_id = caller.user_id.clone();
        row.verified_by_name = caller.display_name.clone();
        row.verified_at = Some(OffsetDateTime::now_utc());
        row.resolved_by_meeting = false;
        // The row's version as read now (a meeting held again bumped it).
        let current = Store::campaign_row_in(work.tx(), row.row_id).await?.version;
        row.version = Store::save_campaign_row(work.tx(), &row, current).await?;
        let unit_version = unit.version;
        let rows = Store::rows_of(work.tx(), unit.campaign_unit_id).await?;
        let meetings = Store::meetings_of(work.tx(), unit.campaign_unit_id).await?;
        let notices = Store::notices_of(work.tx(), unit.campaign_unit_id).await?;
        unit.state = campaign::after_change(
            pb::CampaignUnitState::try_from(unit.state).unwrap_or_default(),
            &convert::facts(&rows, &meetings, &notices),
        ) as i32;
        Store::save_unit(work.tx(), &unit, unit_version).await?;
        work.audit(
            "campaign.row_verified",
            &format!("campaign-rows/{}", row.row_id),
            &json!({
                "record_id": row.record_id,
                "outcome": command.outcome.as_str_name(),
                "findings": row.findings,
                "exclusion_grounds_applying": command.checks.iter().filter(|c| c.applies).map(|c| c.ground).collect::<Vec<_>>(),
                "adjust_category": row.adjust_category,
                "adjust_household_size": row.adjust_household_size,
                // The income itself never enters the audit trail.
                "adjust_income": row.adjust_income_sealed.is_some(),
                "removal_reason": row.removal_reason,
            }),
        )
        .await?;
        Ok(work.done(convert::row(&row)))
    }
}
