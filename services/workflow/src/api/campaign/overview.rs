//! 《年度核查进度表》 ([`crate::export::campaign_overview`]): every unit of the
//! campaign the caller sees, filled from its progress at the service's
//! clock; 填报单位 the caller's own organisation; every export audited.

use relief_proto::workflow::v1::{self as pb, CampaignUnitState};
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::files::{FileStream, file_stream};
use serde_json::json;
use time::OffsetDateTime;

use super::super::WorkflowApi;
use super::queries::ById;
use crate::domain::campaign::beijing_day;
use crate::export::{self, CampaignOverview, OverviewLine, XLSX_CONTENT_TYPE};
use crate::store::Store;

fn state_words(state: i32) -> &'static str {
    match CampaignUnitState::try_from(state).unwrap_or_default() {
        CampaignUnitState::Issued => "已下发",
        CampaignUnitState::Verifying => "核查中",
        CampaignUnitState::MeetingsHeld => "支部大会已通过",
        CampaignUnitState::NoticeCompleted => "公示完成",
        CampaignUnitState::Submitted => "已上报",
        CampaignUnitState::Accepted => "已验收",
        CampaignUnitState::Returned => "已退回",
        CampaignUnitState::Unspecified => "",
    }
}

/// How a step stands against its deadline: done on a day, on time or late;
/// or not done, with the days left or late.
fn against(done: Option<OffsetDateTime>, left: i32, late: i32, not_done: &str) -> String {
    match (done, late) {
        (Some(at), 0) => format!("{} 按时", beijing_day(at)),
        (Some(at), days) => format!("{} 逾期{days}天", beijing_day(at)),
        (None, 0) => format!("{not_done}（剩{left}天）"),
        (None, days) => format!("{not_done}（逾期{days}天）"),
    }
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

impl WorkflowApi {
    pub(super) async fn campaign_overview_file(
        &self,
        caller: Caller,
        query: ById,
    ) -> Result<FileStream> {
        caller.scopes(Permission::ExportForms)?;
        // One transaction: the export's audit entry is appended in it.
        let mut conn = self.store.pool().begin().await?;
        let campaign = Store::campaign_in(&mut conn, query.0).await?;
        let units = self
            .visible_units(&caller, &mut conn, campaign.campaign_id, None)
            .await?;
        let mut lines = Vec::new();
        for unit in &units {
            let answer: pb::CampaignUnit = self.unit_answer(&mut conn, &campaign, unit).await?;
            lines.push(OverviewLine {
                unit: unit.unit_name.clone(),
                state: state_words(unit.state).to_owned(),
                collected: against(
                    unit.collected_at,
                    answer.collect_days_left,
                    answer.collect_days_late,
                    "未领取",
                ),
                submitted: against(
                    unit.submitted_at,
                    answer.submit_days_left,
                    answer.submit_days_late,
                    "未上报",
                ),
                rows: count(answer.row_count),
                verified: count(answer.verified_count),
                continued: count(answer.continue_count),
                adjusted: count(answer.adjust_count),
                removed: count(answer.remove_count),
                new_members: u32::try_from(answer.new_members.len()).unwrap_or(0),
                returns: u32::try_from(answer.returns.len()).unwrap_or(0),
                late: answer.collect_late || answer.submit_late,
            });
        }
        relief_runtime::audit::append(
            &mut conn,
            &caller.actor(),
            "campaign.overview_exported",
            &format!("campaigns/{}", campaign.campaign_id),
            &json!({ "units": lines.len() }),
        )
        .await?;
        let form = CampaignOverview {
            year: campaign.year,
            title: campaign.title.clone(),
            deadlines: format!(
                "领取截止{}，上报截止{}",
                campaign.collect_by, campaign.submit_by
            ),
            filler: self.filler(&caller, Permission::ExportForms).await?,
            printed_at: Some(OffsetDateTime::now_utc()),
            lines,
        };
        let bytes = export::campaign_overview(&form)
            .map_err(|err| Error::internal("writing the campaign overview", err))?;
        Ok(file_stream(
            format!(
                "{}年度{}.xlsx",
                campaign.year,
                export::CAMPAIGN_OVERVIEW_TITLE
            ),
            XLSX_CONTENT_TYPE.to_owned(),
            bytes,
        ))
    }
}
