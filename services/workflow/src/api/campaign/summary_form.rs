//! 《困难党员备案统计汇总表》 of one unit ([`crate::export::summary_form`]),
//! filled with the rows' outcomes as they stand: for whoever may export
//! forms over the unit (a branch inside it sees its own rows only), with
//! 填报单位 the caller's own organisation; every export is audited.

use relief_proto::common::v1::{HardshipCategory, VerificationOutcome};
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::files::{FileStream, file_stream};
use serde_json::json;
use time::OffsetDateTime;

use super::super::WorkflowApi;
use super::access;
use super::queries::ById;
use crate::domain::rules::category_name;
use crate::export::{self, SummaryForm, SummaryLine, XLSX_CONTENT_TYPE};
use crate::store::{CampaignNoticeRow, CampaignRowRow, MeetingRow, Store};

fn category(value: i32) -> &'static str {
    category_name(HardshipCategory::try_from(value).unwrap_or_default())
}

fn line(
    row: &CampaignRowRow,
    meetings: &[MeetingRow],
    notices: &[CampaignNoticeRow],
) -> SummaryLine {
    let outcome = VerificationOutcome::try_from(row.outcome).unwrap_or_default();
    let change = match outcome {
        VerificationOutcome::Adjust => {
            let mut parts = Vec::new();
            if row.adjust_category != 0 {
                parts.push(format!("类别调整为{}", category(row.adjust_category)));
            }
            if row.adjust_household_size != 0 {
                parts.push(format!("家庭人口调整为{}人", row.adjust_household_size));
            }
            if row.adjust_income_sealed.is_some() {
                parts.push("家庭年收入已更新".to_owned());
            }
            parts.join("；")
        }
        VerificationOutcome::Remove => row.removal_reason.clone(),
        _ => String::new(),
    };
    let meeting = meetings
        .iter()
        .find(|m| m.branch_id == row.branch_id && row.resolved_by_meeting)
        .map(|m| m.meeting_date.to_string())
        .unwrap_or_default();
    let notice = notices
        .iter()
        .find(|n| n.branch_id == row.branch_id && row.resolved_by_meeting)
        .map(|n| format!("{}至{}，{}", n.start_date, n.end_date, n.result_words()))
        .unwrap_or_default();
    SummaryLine {
        branch: row.branch_name.clone(),
        name: row.member_name.clone(),
        category: category(row.hardship_category).to_owned(),
        register_summary: row.register_summary.clone(),
        findings: row.findings.clone(),
        outcome: match outcome {
            VerificationOutcome::Continue => "继续纳入",
            VerificationOutcome::Adjust => "调整",
            VerificationOutcome::Remove => "移出",
            VerificationOutcome::Unspecified => "未核查",
        }
        .to_owned(),
        change,
        meeting,
        notice,
    }
}

/// Rows staying on the register, counted by their category (adjusted
/// where the outcome changes it), in the categories' order.
fn by_category(rows: &[CampaignRowRow]) -> Vec<(String, usize)> {
    let mut counts: Vec<(i32, usize)> = Vec::new();
    for row in rows {
        if row.outcome == VerificationOutcome::Remove as i32 {
            continue;
        }
        let value = if row.adjust_category != 0 {
            row.adjust_category
        } else {
            row.hardship_category
        };
        match counts.iter_mut().find(|(c, _)| *c == value) {
            Some((_, n)) => *n += 1,
            None => counts.push((value, 1)),
        }
    }
    counts.sort_by_key(|(c, _)| *c);
    counts
        .into_iter()
        .map(|(c, n)| (category(c).to_owned(), n))
        .collect()
}

impl WorkflowApi {
    pub(super) async fn summary_form_file(
        &self,
        caller: Caller,
        query: ById,
    ) -> Result<FileStream> {
        let mut tx = self.store.pool().begin().await?;
        let unit = Store::unit_in(&mut tx, query.0).await?;
        access::read_unit(&caller, &unit)?;
        let exports_unit = caller.may(Permission::ExportForms, &unit.unit_path);
        let rows: Vec<CampaignRowRow> = Store::rows_of(&mut tx, unit.campaign_unit_id)
            .await?
            .into_iter()
            .filter(|row| exports_unit || caller.may(Permission::ExportForms, &row.branch_path))
            .collect();
        if !exports_unit && rows.is_empty() {
            return Err(Error::PermissionDenied(format!(
                "ExportForms is not granted on {} to this caller",
                unit.unit_path
            )));
        }
        let campaign = Store::campaign_in(&mut tx, unit.campaign_id).await?;
        let meetings = Store::meetings_of(&mut tx, unit.campaign_unit_id).await?;
        let notices = Store::notices_of(&mut tx, unit.campaign_unit_id).await?;
        relief_runtime::audit::append(
            &mut tx,
            &caller.actor(),
            "campaign.summary_form_exported",
            &format!("campaign-units/{}", unit.campaign_unit_id),
            &json!({ "rows": rows.len(), "whole_unit": exports_unit }),
        )
        .await?;
        tx.commit().await?;
        let submission = unit.submission.as_ref();
        let form = SummaryForm {
            year: campaign.year,
            unit: unit.unit_name.clone(),
            filler: self.filler(&caller, Permission::ExportForms).await?,
            printed_at: Some(OffsetDateTime::now_utc()),
            lines: rows
                .iter()
                .map(|row| line(row, &meetings, &notices))
                .collect(),
            by_category: by_category(&rows),
            new_members: unit
                .new_members
                .iter()
                .filter(|m| exports_unit || caller.may(Permission::ExportForms, &m.branch_path))
                .map(|m| m.member_name.clone())
                .collect(),
            signer: submission
                .map(|s| format!("{}（{}）", s.signer_name, s.signer_title))
                .unwrap_or_default(),
            signed_on: submission
                .and_then(|s| s.signed_date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
        };
        let bytes = export::summary_form(&form)
            .map_err(|err| Error::internal("writing the summary form", err))?;
        Ok(file_stream(
            format!(
                "{}年度{}（{}）.xlsx",
                campaign.year,
                export::SUMMARY_FORM_TITLE,
                unit.unit_name
            ),
            XLSX_CONTENT_TYPE.to_owned(),
            bytes,
        ))
    }
}
