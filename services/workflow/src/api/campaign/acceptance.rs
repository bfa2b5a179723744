//! 验收 — the department accepts a submitted summary, and the outcomes go
//! to the register through the ledger's API before the acceptance commits:
//! one verification entry per row for the campaign's year (the ledger adjusts
//! or removes the row as the outcome says, with the reason). A ledger that
//! does not answer leaves the unit submitted, to be accepted again; a row
//! written the first time is not written twice ([`crate::register`]'s
//! idempotency), so accepting after a lost commit changes nothing more.

use relief_proto::common::v1::VerificationOutcome;
use relief_proto::workflow::v1::{self as pb, CampaignUnitState};
use relief_runtime::auth::Caller;
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use serde_json::json;
use sqlx::types::Json;
use time::OffsetDateTime;

use super::super::WorkflowApi;
use super::access;
use super::rows::income_aad;
use super::units::check_etag;
use crate::domain::campaign::{self, MEETING_REQUIRED};
use crate::domain::campaign_requests::Versioned;
use crate::register::{Applied, VerificationEntry};
use crate::store::{CampaignNoticeRow, CampaignRow, CampaignRowRow, MeetingRow, Stamp, Store};

/// What the register is told of one row.
fn entry(
    campaign: &CampaignRow,
    row: &CampaignRowRow,
    meeting: &MeetingRow,
    notice: &CampaignNoticeRow,
    income_fen: Option<i64>,
) -> VerificationEntry {
    let outcome = VerificationOutcome::try_from(row.outcome).unwrap_or_default();
    let findings = if outcome == VerificationOutcome::Remove {
        format!("{}（移出原因：{}）", row.findings, row.removal_reason)
    } else {
        row.findings.clone()
    };
    let mut notice_result = notice.result_words().to_owned();
    if !notice.note.is_empty() {
        notice_result = format!("{notice_result}：{}", notice.note)
            .chars()
            .take(200)
            .collect();
    }
    VerificationEntry {
        campaign_id: campaign.campaign_id,
        row_id: row.row_id,
        record_id: row.record_id,
        year: campaign.year,
        outcome,
        findings,
        meeting_date: meeting.meeting_date,
        notice_start: notice.start_date,
        notice_end: notice.end_date,
        notice_result,
        adjust_category: row.adjust_category,
        adjust_household_size: row.adjust_household_size,
        adjust_income_fen: income_fen,
    }
}

impl WorkflowApi {
    pub(super) async fn unit_accept(
        &self,
        caller: Caller,
        command: Versioned,
        mut work: Work,
    ) -> Result<Done<pb::CampaignUnit>> {
        access::manage(&caller, &self.rpc.committee().path)?;
        let (campaign, mut unit) = Self::unit_locked(&mut work, command.id).await?;
        check_etag(&unit, command.version)?;
        campaign::submitted(CampaignUnitState::try_from(unit.state).unwrap_or_default())?;
        access::not_the_submitter(&caller, &unit)?;
        let rows = Store::rows_of(work.tx(), unit.campaign_unit_id).await?;
        let meetings = Store::meetings_of(work.tx(), unit.campaign_unit_id).await?;
        let notices = Store::notices_of(work.tx(), unit.campaign_unit_id).await?;
        let now = OffsetDateTime::now_utc();
        let (mut written, mut already) = (0, 0);
        for row in &rows {
            let meeting = meetings.iter().find(|m| m.branch_id == row.branch_id);
            let notice = notices.iter().find(|n| n.branch_id == row.branch_id);
            let (Some(meeting), Some(notice)) = (meeting, notice) else {
                return Err(Error::refused(
                    MEETING_REQUIRED,
                    format!("{} has no meeting or notice recorded", row.branch_name),
                ));
            };
            let income = match &row.adjust_income_sealed {
                Some(sealed) => Some(self.sealer.open::<i64>(&income_aad(row.row_id), sealed)?),
                None => None,
            };
            match self
                .register
                .apply_verification(&entry(&campaign, row, meeting, notice, income))
                .await?
            {
                Applied::Written => written += 1,
                Applied::AlreadyThere => already += 1,
            }
            Store::mark_applied(work.tx(), row.row_id, now).await?;
        }
        unit.state = CampaignUnitState::Accepted as i32;
        unit.accepted = Some(Json(Stamp {
            user_id: caller.user_id.clone(),
            display_name: caller.display_name.clone(),
            at: Some(now),
            comment: command.comment.clone(),
        }));
        unit.accepted_at = Some(now);
        work.audit(
            "campaign.summary_accepted",
            &format!("campaign-units/{}", unit.campaign_unit_id),
            &json!({
                "comment": command.comment,
                "rows_written_to_register": written,
                "rows_already_on_register": already,
            }),
        )
        .await?;
        self.unit_saved(work, &campaign, unit).await
    }
}
