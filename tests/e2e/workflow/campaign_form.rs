//! 《困难党员备案统计汇总表》 read back with an independent reader: the
//! unit's rows with their findings and outcomes, the totals by outcome and
//! by category, 填报单位 and the signature and seal spaces.

use relief_proto::common::v1::VerificationOutcome;
use relief_proto::ledger::v1 as ledger;
use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Role;

use super::campaign::{CampaignWorld, meeting_and_notice, ready, submit, verify};
use crate::xlsx::{column, data_rows, download, sheet};

#[tokio::test]
async fn the_summary_form_reads_back_with_each_rows_outcome_and_the_totals() {
    let world = CampaignWorld::start().await;
    let unit = world.unit_4();
    let branch_13 = ledger::Org {
        org_id: 13,
        path: "/1/4/13/".into(),
        ..Default::default()
    };
    world.on_register("f-stays", 12).await;
    world.on_register("f-smaller", 12).await;
    world.on_register("f-recovered", 13).await;
    let campaign = world.open(5, 10).await;
    let issued = CampaignWorld::unit_of(&world.issue(&campaign).await, &unit);
    verify(&world, &issued, &unit.branch, |name| {
        if name.ends_with("f-smaller") {
            VerificationOutcome::Adjust
        } else {
            VerificationOutcome::Continue
        }
    })
    .await;
    verify(&world, &issued, &branch_13, |_| VerificationOutcome::Remove).await;
    meeting_and_notice(&world, &issued.campaign_unit_id, &unit.branch).await;
    meeting_and_notice(&world, &issued.campaign_unit_id, &branch_13).await;
    submit(&world, &unit, &issued.campaign_unit_id).await;

    let stream = world
        .as_role(Role::SuperiorOrg, &unit.org.path)
        .await
        .export_summary_form(pb::ExportSummaryFormRequest {
            campaign_unit_id: issued.campaign_unit_id.clone(),
        })
        .await
        .expect("the unit exports its form")
        .into_inner();
    let (name, bytes) = download(stream).await;
    assert_eq!(
        name,
        "2026年度困难党员备案统计汇总表（市财政局机关党委）.xlsx"
    );
    let rows = sheet(bytes);
    assert_eq!(rows[0][0], "2026年度困难党员备案统计汇总表");
    assert_eq!(rows[1][0], "填报单位（盖章）：市财政局机关党委");
    let (who, outcome, change) = (
        column(&rows, "姓名"),
        column(&rows, "核查结论"),
        column(&rows, "调整内容或移出原因"),
    );
    let lines: Vec<(&str, &str, &str)> = data_rows(&rows)
        .iter()
        .map(|r| (r[who].as_str(), r[outcome].as_str(), r[change].as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("党员f-smaller", "调整", "家庭人口调整为2人"),
            ("党员f-stays", "继续纳入", ""),
            ("党员f-recovered", "移出", "困难情形已消除"),
        ]
    );
    let meeting = column(&rows, "支部大会日期");
    assert_eq!(
        data_rows(&rows)[0][meeting],
        super::campaign::day(-10)
            .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
            .unwrap_or_default()
    );
    let text: Vec<String> = rows.iter().map(|r| r.join("|")).collect();
    let line = |label: &str| {
        text.iter()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no line {label}: {text:#?}"))
            .clone()
    };
    assert!(line("合计").contains("共3人：继续纳入1人，调整1人，移出1人，未核查0人；新增0人"));
    assert!(line("按困难类别").contains("重大疾病2人"));
    assert!(
        text.iter()
            .any(|l| l.contains("党组织负责人（签字）：王建华（党委书记）")),
        "the signer's line: {text:#?}"
    );
    assert!(text.iter().any(|l| l.contains("党组织（盖章）")));
}

#[tokio::test]
async fn the_departments_overview_reads_back_each_units_standing_and_the_totals() {
    let world = CampaignWorld::start().await;
    let (done, late) = (world.unit_7(), world.new_unit("市民政局").await);
    world.on_register("o-1", 7).await;
    world.on_register("o-2", late.branch.org_id).await;
    world.on_register("o-3", late.branch.org_id).await;
    let campaign = world.open(5, 10).await;
    let units = world.issue(&campaign).await;
    let on_time = CampaignWorld::unit_of(&units, &done);
    ready(&world, &done, &on_time.campaign_unit_id).await;
    submit(&world, &done, &on_time.campaign_unit_id).await;
    world.days_pass(12).await;

    let stream = world
        .department()
        .await
        .export_campaign_overview(pb::ExportCampaignOverviewRequest {
            campaign_id: campaign.campaign_id.clone(),
        })
        .await
        .expect("the department exports the overview")
        .into_inner();
    let (name, bytes) = download(stream).await;
    assert_eq!(name, "2026年度困难党员台账更新进度表.xlsx");
    let rows = sheet(bytes);
    assert_eq!(rows[1][0], "填报单位：市直机关工委");
    let (unit, state, submitted, total) = (
        column(&rows, "单位"),
        column(&rows, "状态"),
        column(&rows, "上报汇总表"),
        column(&rows, "台账人数"),
    );
    let lines: Vec<(&str, &str, &str, &str)> = data_rows(&rows)
        .iter()
        .map(|r| {
            (
                r[unit].as_str(),
                r[state].as_str(),
                r[submitted].as_str(),
                r[total].as_str(),
            )
        })
        .collect();
    let submitted_on = super::campaign::day(-12)
        .map(|d| format!("{:04}-{:02}-{:02} 按时", d.year, d.month, d.day))
        .unwrap_or_default();
    assert_eq!(
        lines,
        vec![
            (
                "市政府办公室党支部",
                "已上报",
                submitted_on.as_str(),
                "1.00"
            ),
            ("市民政局机关党委", "已下发", "未上报（逾期2天）", "2.00"),
        ]
    );
    let totals = rows
        .iter()
        .find(|r| r[0] == "合计")
        .expect("the totals line");
    assert_eq!(totals[2], "共2个单位，逾期1个");
    assert_eq!(totals[total], "3.00");
}
