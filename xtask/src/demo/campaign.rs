//! The demo campaign (年度核查, issue 11): this year's verification of the
//! register, opened by the department with the notice's deadlines (collect
//! the form by 30 November, submit by 10 December) and its 汇总表 issued to
//! every unit; 市财政局机关党委 has collected its form and its first branch
//! has verified one row — so `cargo xtask up` shows a campaign under way.

use std::collections::HashMap;

use anyhow::Context;
use relief_proto::common::v1::{self as common, Date};
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::campaign_service_client::CampaignServiceClient;
use tonic::transport::Channel;

use super::Client;

type Campaigns = Client<CampaignServiceClient<Channel>>;

fn clean_checklist() -> Vec<pb::ExclusionCheck> {
    (1..=6)
        .map(|ground| pb::ExclusionCheck {
            ground,
            checked: true,
            applies: false,
            note: "经支部走访核实，不存在该情形".to_owned(),
        })
        .collect()
}

/// Loads the demo campaign with the demo users' `tokens` by login name.
pub(super) async fn load_campaign(
    gateway: Channel,
    tokens: &HashMap<String, String>,
) -> anyhow::Result<()> {
    let client = |login: &str, counter: u32| -> anyhow::Result<Campaigns> {
        Ok(Client {
            inner: CampaignServiceClient::new(gateway.clone()),
            token: tokens
                .get(login)
                .cloned()
                .with_context(|| format!("no token for {login}"))?,
            counter,
        })
    };
    let mut department = client("department", 3000)?;
    let mut superior = client("superior_org", 3100)?;
    let mut branch_staff = client("branch_staff", 3200)?;
    let year = relief_runtime::time::today().year();

    let request_id = department.request_id();
    let request = department.request(pb::OpenCampaignRequest {
        request_id,
        campaign: Some(pb::Campaign {
            year,
            title: format!("{year}年度困难党员台账更新"),
            collect_by_date: Some(Date {
                year,
                month: 11,
                day: 30,
            }),
            submit_by_date: Some(Date {
                year,
                month: 12,
                day: 10,
            }),
            ..Default::default()
        }),
    })?;
    let campaign = department.inner.open_campaign(request).await?.into_inner();
    let request_id = department.request_id();
    let request = department.request(pb::IssueSummaryFormsRequest {
        request_id,
        campaign_id: campaign.campaign_id.clone(),
        unit_org_ids: Vec::new(),
    })?;
    department.inner.issue_summary_forms(request).await?;

    // The superior organisation collects its unit's form.
    let request = superior.request(pb::ListCampaignUnitsRequest {
        campaign_id: campaign.campaign_id.clone(),
        ..Default::default()
    })?;
    let Some(unit) = superior
        .inner
        .list_campaign_units(request)
        .await?
        .into_inner()
        .units
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let request_id = superior.request_id();
    let request = superior.request(pb::RecordFormCollectionRequest {
        request_id,
        campaign_unit_id: unit.campaign_unit_id.clone(),
        etag: unit.etag.clone(),
        collected_by_name: "市财政局机关党委 委员".to_owned(),
        collect_time: None,
    })?;
    superior.inner.record_form_collection(request).await?;

    // Its first branch verifies one of its rows.
    let request = branch_staff.request(pb::ListVerificationRowsRequest {
        campaign_unit_id: unit.campaign_unit_id.clone(),
        ..Default::default()
    })?;
    let rows = branch_staff
        .inner
        .list_verification_rows(request)
        .await?
        .into_inner()
        .rows;
    if let Some(row) = rows.into_iter().next() {
        let request_id = branch_staff.request_id();
        let request = branch_staff.request(pb::RecordRowVerificationRequest {
            request_id,
            row: Some(pb::VerificationRow {
                row_id: row.row_id,
                etag: row.etag,
                outcome: common::VerificationOutcome::Continue as i32,
                findings: "经入户走访，本人仍在治疗，家庭收入未变，困难情况属实".to_owned(),
                exclusion_checks: clean_checklist(),
                ..Default::default()
            }),
        })?;
        branch_staff.inner.record_row_verification(request).await?;
    }
    Ok(())
}
