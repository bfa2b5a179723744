//! 专项检查: an inspection finds each planted anomaly and nothing else; the
//! report reads back, and exports as a workbook with Chinese headings.

use super::*;

/// A year in the superior organisation 4 (branches 12 and 13) with one of
/// each anomaly planted among settled cases, and an unpaid case elsewhere.
pub(super) struct PlantedYear {
    pub(super) funds: Funds,
    /// Allocated, never paid.
    unpaid: pb::Allocation,
    /// The payment of a case paid without a receipt.
    unreceipted_payment: pb::Disbursement,
    /// Above the year's standard (a special case), settled.
    above: pb::Allocation,
    /// Two reliefs for one member in the year (the second a special case), settled.
    pub(super) repeat: [pb::Allocation; 2],
    /// The reversal of a mistaken allocation.
    pub(super) reversal: pb::Posting,
}

/// Paid by the superior organisation's staff, the receipt recorded by
/// another of them (who pays does not also record the receipt).
async fn settle(funds: &Funds, allocation: &pb::Allocation) {
    let mut staff = funds.client(Role::BranchStaff, "/1/4/").await;
    let paid = pay(&mut staff, allocation).await;
    let mut clerk = FundsServiceClient::with_interceptor(
        channel(funds.service.addr).await,
        Bearer(token_for(
            "clerk-of-org-4",
            vec![RoleBinding {
                role: Role::BranchStaff,
                org_path: "/1/4/".into(),
            }],
        )),
    );
    receipt(&mut clerk, allocation, &paid).await;
}

pub(super) async fn planted_year() -> PlantedYear {
    let funds = funded_year(10_000_000).await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/").await;
    finance
        .put_relief_standard(pb::PutReliefStandardRequest {
            request_id: rid(),
            standard: Some(pb::ReliefStandard {
                year: year(),
                relief_type: common::ReliefType::SpringFestivalVisit as i32,
                hardship_category: common::HardshipCategory::MajorIllness as i32,
                amount: money(50_000),
                note: "工委会议确定".into(),
                ..Default::default()
            }),
            reason: "年度标准".into(),
        })
        .await
        .expect("standard");

    // Clean: paid, receipted, at the standard.
    let clean = allocate(
        &mut department,
        funds
            .allocation("clean", "m-clean", branch(12), 50_000)
            .await,
    )
    .await
    .expect("clean");
    settle(&funds, &clean).await;
    // Planted: unpaid.
    let unpaid = allocate(
        &mut department,
        funds
            .allocation("unpaid", "m-unpaid", branch(12), 50_000)
            .await,
    )
    .await
    .expect("unpaid");
    // Planted: paid without receipt.
    let unreceipted = allocate(
        &mut department,
        funds
            .allocation("noreceipt", "m-noreceipt", branch(13), 40_000)
            .await,
    )
    .await
    .expect("noreceipt");
    let unreceipted_payment = pay(&mut branch_staff, &unreceipted).await;
    // Planted: above the standard (special case), settled.
    let mut above = funds
        .allocation("above", "m-above", branch(12), 80_000)
        .await;
    above.special_case = true;
    above.special_case_reason = "重大疾病，工委会议特批".into();
    let above = allocate(&mut department, above).await.expect("above");
    settle(&funds, &above).await;
    // Planted: a repeat for one member (special case), both settled.
    let first = allocate(
        &mut department,
        funds
            .allocation("repeat-1", "m-repeat", branch(13), 30_000)
            .await,
    )
    .await
    .expect("r1");
    let mut second = funds
        .allocation("repeat-2", "m-repeat", branch(13), 20_000)
        .await;
    second.special_case = true;
    second.special_case_reason = "年内再次遭灾".into();
    second.relief_type = common::ReliefType::OneTimeRelief as i32;
    let second = allocate(&mut department, second).await.expect("r2");
    settle(&funds, &first).await;
    settle(&funds, &second).await;
    // Planted: a reversal of a mistaken allocation.
    let mistaken = allocate(
        &mut department,
        funds
            .allocation("mistake", "m-mistake", branch(12), 10_000)
            .await,
    )
    .await
    .expect("m");
    let reversal = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: mistaken.posting_id.clone(),
            reason: "拨付对象有误".into(),
            authorised_by: "财务负责人 张会计".into(),
            authorisation_reference: "工委会议2026年第5次".into(),
            etag: mistaken.etag.clone(),
        })
        .await
        .expect("reversal")
        .into_inner();
    // Elsewhere (not in the inspected subtree): unpaid, must not show.
    allocate(
        &mut department,
        funds
            .allocation("elsewhere", "m-elsewhere", branch(7), 10_000)
            .await,
    )
    .await
    .expect("elsewhere");
    PlantedYear {
        funds,
        unpaid,
        unreceipted_payment,
        above,
        repeat: [first, second],
        reversal,
    }
}

impl PlantedYear {
    /// The superior organisation's auditor inspects its subtree as of 45
    /// days on, with 30 days allowed for paying and for the receipt.
    pub(super) async fn inspect(&self) -> pb::InspectionReport {
        let as_of = relief_runtime::time::to_proto(
            relief_runtime::time::today() + time::Duration::days(45),
        );
        self.funds
            .client(Role::Auditor, "/1/4/")
            .await
            .run_inspection(pb::RunInspectionRequest {
                request_id: rid(),
                year: year(),
                org_id: 0,
                unpaid_after_days: 30,
                receipt_missing_after_days: 30,
                as_of_date: Some(as_of),
            })
            .await
            .expect("inspection")
            .into_inner()
    }
}

fn ids<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    items.into_iter().map(str::to_owned).collect()
}

#[tokio::test]
async fn an_allocation_unpaid_past_the_limit_is_found_with_its_days_outstanding() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    assert_eq!(
        ids(report
            .unpaid_allocations
            .iter()
            .map(|u| u.allocation_id.as_str())),
        vec![planted.unpaid.allocation_id.clone()]
    );
    assert_eq!(report.unpaid_allocations[0].days_outstanding, 45);
}

#[tokio::test]
async fn a_payment_without_a_signed_receipt_past_the_limit_is_found() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    assert_eq!(
        ids(report
            .receipts_missing
            .iter()
            .map(|m| m.disbursement_id.as_str())),
        vec![planted.unreceipted_payment.disbursement_id.clone()]
    );
}

#[tokio::test]
async fn an_allocation_above_the_standard_is_found_as_a_special_case() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    assert_eq!(
        ids(report
            .above_standard
            .iter()
            .map(|a| a.allocation_id.as_str())),
        vec![planted.above.allocation_id.clone()]
    );
    assert!(report.above_standard[0].special_case);
}

#[tokio::test]
async fn two_reliefs_for_one_member_are_found_as_a_repeat_with_their_total() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    let [first, second] = &planted.repeat;
    assert_eq!(report.repeat_payments.len(), 1);
    assert_eq!(
        report.repeat_payments[0].member_id,
        planted.funds.member_id("m-repeat").await
    );
    assert_eq!(
        report.repeat_payments[0].allocation_ids,
        [first.allocation_id.clone(), second.allocation_id.clone()]
    );
    assert!(report.repeat_payments[0].special_case_recorded);
    assert_eq!(fen(&report.repeat_payments[0].total), 50_000);
}

#[tokio::test]
async fn a_reversed_allocation_is_found_among_the_reversals() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    assert_eq!(
        ids(report.reversals.iter().map(|r| r.posting_id.as_str())),
        vec![planted.reversal.posting_id.clone()]
    );
    assert_eq!(
        report.reversals[0].reversed_kind,
        pb::PostingKind::Allocation as i32
    );
}

#[tokio::test]
async fn the_totals_count_the_live_allocations_of_the_inspected_subtree_only() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    let totals = report.totals.unwrap_or_default();
    assert_eq!(totals.allocation_count, 6, "six live allocations in /1/4/");
    assert_eq!(
        fen(&totals.allocated),
        50_000 + 50_000 + 40_000 + 80_000 + 30_000 + 20_000
    );
    assert_eq!(
        fen(&totals.paid),
        50_000 + 40_000 + 80_000 + 30_000 + 20_000
    );
    assert_eq!(fen(&totals.receipted), 50_000 + 80_000 + 30_000 + 20_000);
    assert_eq!(report.by_unit.len(), 2);
    assert_eq!(report.by_relief_type.len(), 2);
}

#[tokio::test]
async fn the_stored_report_reads_back_as_it_was_run() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    let stored = planted
        .funds
        .auditor()
        .await
        .get_inspection_report(pb::GetInspectionReportRequest {
            report_id: report.report_id.clone(),
        })
        .await
        .expect("stored")
        .into_inner();
    assert_eq!(stored, report);
}

#[tokio::test]
async fn the_report_exports_as_a_workbook_with_a_sheet_per_finding() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    let (name, bytes) = download(
        planted
            .funds
            .auditor()
            .await
            .export_inspection(pb::ExportInspectionRequest {
                report_id: report.report_id.clone(),
            })
            .await
            .expect("export")
            .into_inner(),
    )
    .await;
    assert!(
        name.ends_with(".xlsx") && name.contains("专项检查"),
        "{name}"
    );
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a real xlsx");
    assert_eq!(
        book.sheet_names(),
        [
            "检查汇总",
            "拨付未发放",
            "发放无回执",
            "重复救助",
            "超标准",
            "冲销"
        ]
    );
    let unpaid_sheet = book.worksheet_range("拨付未发放").expect("sheet");
    assert_eq!(
        unpaid_sheet.get_value((1, 0)),
        Some(&Data::String("党员姓名".into()))
    );
    assert_eq!(
        unpaid_sheet.get_value((2, 0)),
        Some(&Data::String(planted.unpaid.member_name.clone()))
    );
    assert_eq!(unpaid_sheet.get_value((2, 3)), Some(&Data::Float(500.0)));
    assert!(
        !matches!(unpaid_sheet.get_value((3, 0)), Some(Data::String(_))),
        "nothing else"
    );
    let above_sheet = book.worksheet_range("超标准").expect("sheet");
    assert_eq!(above_sheet.get_value((2, 4)), Some(&Data::Float(800.0)));
    assert_eq!(above_sheet.get_value((2, 5)), Some(&Data::Float(500.0)));
}

#[tokio::test]
async fn the_vouchers_export_numbered_without_gaps_with_their_total() {
    let planted = planted_year().await;
    let (name, bytes) = download(
        planted
            .funds
            .auditor()
            .await
            .export_vouchers(pb::ExportVouchersRequest {
                year: year(),
                ..Default::default()
            })
            .await
            .expect("vouchers")
            .into_inner(),
    )
    .await;
    assert!(name.contains("入帐凭证"), "{name}");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a real xlsx");
    let sheet = book.worksheet_range("入帐凭证清单").expect("sheet");
    assert_eq!(
        sheet.get_value((3, 0)),
        Some(&Data::String("凭证号".into()))
    );
    let numbers: Vec<String> = (4..8)
        .filter_map(|row| match sheet.get_value((row, 0)) {
            Some(Data::String(s)) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        numbers,
        (1..=4)
            .map(|n| format!("JZ-{}-{n:04}", year()))
            .collect::<Vec<_>>(),
        "four vouchers, numbered without gaps"
    );
    assert_eq!(
        sheet.get_value((8, 6)),
        Some(&Data::Float(1_800.0)),
        "the total"
    );
}

pub(super) async fn download(mut stream: tonic::Streaming<common::FileChunk>) -> (String, Vec<u8>) {
    let mut name = String::new();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        if name.is_empty() {
            name = chunk.file_name;
        }
        bytes.extend(chunk.data);
    }
    (name, bytes)
}
