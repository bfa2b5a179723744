//! 签字盖章上报 and 退回 — the unit submits its summary signed and sealed,
//! with its new members (applications of the unit whose notice passed); the
//! department returns it with reasons and the rows to verify again.

use relief_proto::workflow::v1::{self as pb, CampaignUnitState};
use relief_runtime::auth::{Caller, in_subtree};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use serde_json::json;
use sqlx::types::Json;
use time::OffsetDateTime;

use super::super::WorkflowApi;
use super::units::{check_etag, stamp_now, state_of};
use super::{access, convert};
use crate::domain::campaign::{self, may_submit};
use crate::domain::campaign_requests::{Submission, SummaryReturn};
use crate::store::{Store, StoredNewMember, StoredReturn, StoredSubmission};

impl WorkflowApi {
    pub(super) async fn unit_submit(
        &self,
        caller: Caller,
        command: Submission,
        mut work: Work,
    ) -> Result<Done<pb::CampaignUnit>> {
        let (campaign, mut unit) = Self::unit_locked(&mut work, command.unit_id).await?;
        access::unit(&caller, &unit)?;
        check_etag(&unit, command.version)?;
        Self::still_open(&campaign)?;
        let rows = Store::rows_of(work.tx(), unit.campaign_unit_id).await?;
        let meetings = Store::meetings_of(work.tx(), unit.campaign_unit_id).await?;
        let notices = Store::notices_of(work.tx(), unit.campaign_unit_id).await?;
        may_submit(state_of(&unit), &convert::facts(&rows, &meetings, &notices))?;
        let mut new_members = Vec::new();
        for (i, (application_id, paper_received)) in command.new_members.iter().enumerate() {
            let field = format!("new_members[{i}].application_id");
            let app = self.store.application(*application_id).await?;
            let Some(app) = app.filter(|app| in_subtree(&app.branch_path, &unit.unit_path)) else {
                return Err(Error::invalid(
                    field,
                    "no application of the unit has this id",
                ));
            };
            if app.register_record_id.is_empty() {
                return Err(Error::invalid(
                    field,
                    "the application's public notice has not passed: the member is not on the register yet",
                ));
            }
            new_members.push(StoredNewMember {
                application_id: app.application_id,
                member_name: app.member_name.clone(),
                branch_id: app.branch_id,
                branch_name: app.branch_name.clone(),
                branch_path: app.branch_path.clone(),
                record_id: app.register_record_id.clone(),
                paper_received: *paper_received,
            });
        }
        let now = OffsetDateTime::now_utc();
        unit.submission = Some(Json(StoredSubmission {
            signer_name: command.signer_name.clone(),
            signer_title: command.signer_title.clone(),
            signed_date: Some(command.signed_date),
            sealed: true,
            scan_sha256: command.scan_sha256.clone(),
            submitted_by: stamp_now(&work, now, ""),
        }));
        unit.submitted_by_id = caller.user_id.clone();
        unit.submitted_at = Some(now);
        unit.new_members = Json(new_members);
        unit.state = CampaignUnitState::Submitted as i32;
        work.audit(
            "campaign.summary_submitted",
            &format!("campaign-units/{}", unit.campaign_unit_id),
            &json!({
                "signer_name": command.signer_name,
                "signer_title": command.signer_title,
                "signed_date": command.signed_date.to_string(),
                "scan_sha256": command.scan_sha256,
                "new_members": unit.new_members.iter().map(|m| m.application_id).collect::<Vec<_>>(),
                "late": campaign::beijing_day(now) > campaign.submit_by,
            }),
        )
        .await?;
        self.unit_saved(work, &campaign, unit).await
    }

    pub(super) async fn unit_return(
        &self,
        caller: Caller,
        command: SummaryReturn,
        mut work: Work,
    ) -> Result<Done<pb::CampaignUnit>> {
        access::manage(&caller, &self.rpc.committee().path)?;
        let (campaign, mut unit) = Self::unit_locked(&mut work, command.unit_id).await?;
        check_etag(&unit, command.version)?;
        Self::still_open(&campaign)?;
        campaign::submitted(state_of(&unit))?;
        access::not_the_submitter(&caller, &unit)?;
        let rows = Store::rows_of(work.tx(), unit.campaign_unit_id).await?;
        let mut branches = Vec::new();
        for (i, row_id) in command.row_ids.iter().enumerate() {
            let Some(row) = rows.iter().find(|row| row.row_id == *row_id) else {
                return Err(Error::invalid(
                    format!("row_ids[{i}]"),
                    "not a row of this unit's form",
                ));
            };
            if !branches.contains(&row.branch_id) {
                branches.push(row.branch_id);
            }
        }
        Store::reopen_rows(work.tx(), unit.campaign_unit_id, &command.row_ids).await?;
        for branch_id in branches {
            Store::forget_branch_resolution(work.tx(), unit.campaign_unit_id, branch_id).await?;
        }
        let now = OffsetDateTime::now_utc();
        unit.returns.0.push(StoredReturn {
            reason: command.reason.clone(),
            row_ids: command.row_ids.clone(),
            returned: stamp_now(&work, now, &command.reason),
        });
        unit.submission = None;
        unit.submitted_by_id.clear();
        unit.submitted_at = None;
        unit.state = CampaignUnitState::Returned as i32;
        work.audit(
            "campaign.summary_returned",
            &format!("campaign-units/{}", unit.campaign_unit_id),
            &json!({ "reason": command.reason, "row_ids": command.row_ids }),
        )
        .await?;
        Self::announce_returned(&mut work, &campaign, &unit, &command.reason).await?;
        self.unit_saved(work, &campaign, unit).await
    }
}
