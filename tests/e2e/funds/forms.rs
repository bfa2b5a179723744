//! The funds' forms as a clerk prints them (issue 9), read back cell by
//! cell: the voucher list, the inspection report and the member's receipt
//! to sign — and the names they download under.

use relief_tests::{GatewayOptions, spawn_gateway};

use super::inspection::{download, planted_year};
use super::*;

type Book = Xlsx<std::io::Cursor<Vec<u8>>>;

fn open(bytes: Vec<u8>) -> Book {
    calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a real xlsx")
}

/// Every text cell of a sheet.
fn texts(book: &mut Book, sheet: &str) -> Vec<String> {
    book.worksheet_range(sheet)
        .expect("sheet")
        .cells()
        .filter_map(|(_, _, cell)| match cell {
            Data::String(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn text_at(book: &mut Book, sheet: &str, row: u32, col: u32) -> String {
    match book
        .worksheet_range(sheet)
        .expect("sheet")
        .get_value((row, col))
    {
        Some(Data::String(text)) => text.clone(),
        other => format!("{other:?}"),
    }
}

/// The rows a sheet prints again at the top of every page (`$4:$4`).
fn repeated_rows(book: &Book, sheet: &str) -> Option<String> {
    book.defined_names()
        .iter()
        .find(|(name, formula)| name.contains("Print_Titles") && formula.contains(sheet))
        .map(|(_, formula)| formula.rsplit('!').next().unwrap_or_default().to_owned())
}

fn beijing_today() -> String {
    relief_runtime::forms::beijing_date(time::OffsetDateTime::now_utc())
}

async fn vouchers_as(client: &mut Client) -> (String, Book) {
    let (name, bytes) = download(
        client
            .export_vouchers(pb::ExportVouchersRequest {
                year: year(),
                ..Default::default()
            })
            .await
            .expect("vouchers")
            .into_inner(),
    )
    .await;
    (name, open(bytes))
}

async fn receipt_form_of(client: &mut Client, payment: &pb::Disbursement) -> (String, Book) {
    let (name, bytes) = download(
        client
            .export_receipt_forms(pb::ExportReceiptFormsRequest {
                disbursement_id: payment.disbursement_id.clone(),
                ..Default::default()
            })
            .await
            .expect("receipt form")
            .into_inner(),
    )
    .await;
    (name, open(bytes))
}

const VOUCHERS: &str = "入帐凭证清单";

#[tokio::test]
async fn the_voucher_list_names_the_unit_of_each_voucher_not_its_branch() {
    let funds = funded_year(1_000_000).await;
    vouchered_case(&funds, 50_000).await;
    let (_, mut book) = vouchers_as(&mut funds.auditor().await).await;
    assert_eq!(text_at(&mut book, VOUCHERS, 3, 2), "单位");
    // The ledger's work unit of branch 12 (below 市财政局机关党委).
    assert_eq!(text_at(&mut book, VOUCHERS, 4, 2), "焦作市财政局");
    assert_eq!(text_at(&mut book, VOUCHERS, 3, 7), "发放党组织");
    assert_eq!(text_at(&mut book, VOUCHERS, 4, 7), "预算科党支部");
}

#[tokio::test]
async fn the_voucher_list_shows_receipts_as_marks_and_no_scan_hash() {
    let funds = funded_year(1_000_000).await;
    vouchered_case(&funds, 50_000).await;
    let (_, mut book) = vouchers_as(&mut funds.auditor().await).await;
    assert_eq!(text_at(&mut book, VOUCHERS, 3, 12), "回执");
    assert_eq!(text_at(&mut book, VOUCHERS, 4, 12), "已签字");
    let texts = texts(&mut book, VOUCHERS);
    assert!(
        !texts
            .iter()
            .any(|t| t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit())),
        "a scan hash on paper: {texts:?}"
    );
    assert!(!texts.iter().any(|t| t.contains("否")), "{texts:?}");
}

#[tokio::test]
async fn the_voucher_list_repeats_its_heading_on_every_printed_page() {
    let funds = funded_year(1_000_000).await;
    vouchered_case(&funds, 50_000).await;
    let (_, book) = vouchers_as(&mut funds.auditor().await).await;
    assert_eq!(repeated_rows(&book, VOUCHERS).as_deref(), Some("$4:$4"));
}

#[tokio::test]
async fn the_voucher_list_carries_the_printers_unit_and_a_beijing_date_line() {
    let funds = funded_year(1_000_000).await;
    vouchered_case(&funds, 50_000).await;
    let (name, mut book) = vouchers_as(&mut funds.branch_staff().await).await;
    let line = text_at(&mut book, VOUCHERS, 1, 0);
    assert!(line.starts_with("填报单位：预算科党支部"), "{line}");
    assert!(
        line.ends_with(&format!("日期：{}", beijing_today())),
        "{line}"
    );
    assert!(name.contains("预算科党支部"), "{name}");
}

#[tokio::test]
async fn the_voucher_list_totals_in_figures_and_in_capitals() {
    let funds = funded_year(1_000_000).await;
    vouchered_case(&funds, 120_550).await;
    let (_, mut book) = vouchers_as(&mut funds.auditor().await).await;
    let sheet = book.worksheet_range(VOUCHERS).expect("sheet");
    assert_eq!(sheet.get_value((5, 6)), Some(&Data::Float(1_205.5)));
    assert_eq!(
        text_at(&mut book, VOUCHERS, 6, 0),
        "合计金额（大写）：壹仟贰佰零伍元伍角"
    );
}

#[tokio::test]
async fn the_inspection_report_prints_every_time_in_beijing_time() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    let (_, bytes) = download(
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
    let mut book = open(bytes);
    let summary = texts(&mut book, "检查汇总");
    let at = summary
        .iter()
        .position(|t| t == "生成时间（北京时间）")
        .map(|i| summary[i + 1].clone())
        .expect("the generation time");
    let generated = relief_runtime::time::from_timestamp(
        report
            .generated
            .as_ref()
            .and_then(|g| g.change_time.as_ref()),
    )
    .expect("generated");
    assert_eq!(at, relief_runtime::forms::beijing_minute(generated));
    assert!(!summary.iter().any(|t| t.contains("UTC")), "{summary:?}");
    let reversal_time = text_at(&mut book, "冲销", 2, 0);
    let posted = relief_runtime::time::from_timestamp(planted.reversal.post_time.as_ref())
        .expect("post time");
    assert_eq!(reversal_time, relief_runtime::forms::beijing_minute(posted));
    assert!(!reversal_time.contains('Z') && !reversal_time.contains('T'));
}

#[tokio::test]
async fn the_inspection_findings_print_names_and_vouchers_instead_of_ids() {
    let planted = planted_year().await;
    let report = planted.inspect().await;
    let (_, bytes) = download(
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
    let mut book = open(bytes);
    for sheet in ["拨付未发放", "发放无回执", "重复救助", "超标准", "冲销"] {
        let texts = texts(&mut book, sheet);
        assert!(
            !texts.iter().any(|t| t
                .split('\n')
                .any(|line| uuid::Uuid::parse_str(line.trim()).is_ok())),
            "{sheet}: {texts:?}"
        );
        assert!(texts.iter().any(|t| t == "检查人（签字）："), "{sheet}");
        assert_eq!(
            repeated_rows(&book, sheet).as_deref(),
            Some("$1:$2"),
            "{sheet}"
        );
    }
    assert_eq!(
        text_at(&mut book, "重复救助", 2, 0),
        planted.repeat[0].member_name
    );
    let vouchers = text_at(&mut book, "重复救助", 2, 6);
    assert!(
        vouchers.lines().count() == 2
            && vouchers
                .lines()
                .all(|v| v.starts_with(&format!("JZ-{}-", year()))),
        "{vouchers}"
    );
}

#[tokio::test]
async fn a_receipt_form_prints_the_amount_in_figures_and_in_capitals() {
    let funds = funded_year(1_000_000).await;
    let case = paid_case(&funds, 120_550).await;
    let (_, mut book) = receipt_form_of(&mut funds.branch_clerk().await, &case.payment).await;
    let sheet = "签收单";
    assert_eq!(text_at(&mut book, sheet, 0, 0), "困难党员救助金领取签收单");
    assert_eq!(text_at(&mut book, sheet, 5, 0), "金额（小写）");
    assert_eq!(
        book.worksheet_range(sheet)
            .expect("sheet")
            .get_value((5, 1)),
        Some(&Data::Float(1_205.5))
    );
    assert_eq!(text_at(&mut book, sheet, 6, 0), "金额（大写）");
    assert_eq!(text_at(&mut book, sheet, 6, 1), "壹仟贰佰零伍元伍角");
}

#[tokio::test]
async fn a_receipt_form_has_the_member_the_relief_and_the_spaces_to_sign_and_seal() {
    let funds = funded_year(1_000_000).await;
    let case = paid_case(&funds, 300_000).await;
    let (name, mut book) = receipt_form_of(&mut funds.branch_staff().await, &case.payment).await;
    let texts = texts(&mut book, "签收单");
    for expected in [
        case.allocation.member_name.as_str(),
        "春节走访慰问",
        "叁仟元整",
        "领取人签字（盖章）",
        "经办人（签字）",
        "单位（盖章）",
        "王经办",
        "焦作市财政局",
    ] {
        assert!(texts.iter().any(|t| t == expected), "{expected}: {texts:?}");
    }
    assert!(texts.iter().any(|t| t == &format!("{}年度", year())));
    assert!(name.contains(&case.allocation.member_name), "{name}");
}

#[tokio::test]
async fn a_receipt_form_names_the_printers_own_organisation_as_filler() {
    let funds = funded_year(1_000_000).await;
    let case = paid_case(&funds, 50_000).await;
    let (_, mut branch_form) =
        receipt_form_of(&mut funds.branch_clerk().await, &case.payment).await;
    assert_eq!(
        text_at(&mut branch_form, "签收单", 1, 0),
        "填报单位：预算科党支部"
    );
    let (_, mut department_form) =
        receipt_form_of(&mut funds.department().await, &case.payment).await;
    let filler = text_at(&mut department_form, "签收单", 1, 0);
    assert_ne!(filler, "填报单位：预算科党支部");
    assert!(filler.starts_with("填报单位："), "{filler}");
}

#[tokio::test]
async fn a_receipt_form_prints_its_time_in_beijing_time() {
    let funds = funded_year(1_000_000).await;
    let case = paid_case(&funds, 50_000).await;
    let (_, mut book) = receipt_form_of(&mut funds.branch_clerk().await, &case.payment).await;
    let printed = text_at(&mut book, "签收单", 1, 2);
    assert!(
        printed.starts_with(&format!("打印时间：{}", beijing_today())),
        "{printed}"
    );
}

#[tokio::test]
async fn a_batch_holds_one_form_per_payment_still_awaiting_its_receipt() {
    let funds = funded_year(1_000_000).await;
    vouchered_case(&funds, 50_000).await;
    let mut department = funds.department().await;
    let waiting = allocate(
        &mut department,
        funds.allocation("app-2", "m-2", branch(12), 30_000).await,
    )
    .await
    .expect("allocating");
    let waiting = pay(&mut funds.branch_staff().await, &waiting).await;
    let (name, bytes) = download(
        funds
            .branch_clerk()
            .await
            .export_receipt_forms(pb::ExportReceiptFormsRequest {
                year: year(),
                org_id: 12,
                ..Default::default()
            })
            .await
            .expect("batch")
            .into_inner(),
    )
    .await;
    let mut book = open(bytes);
    let texts = texts(&mut book, "签收单");
    let forms = texts
        .iter()
        .filter(|t| *t == "困难党员救助金领取签收单")
        .count();
    assert_eq!(forms, 1, "{texts:?}");
    assert!(texts.iter().any(|t| t == "叁佰元整"), "{texts:?}");
    assert_eq!(fen(&waiting.amount), 30_000);
    assert!(
        name.contains("1份") && name.contains("预算科党支部"),
        "{name}"
    );
}

#[tokio::test]
async fn a_reversed_payment_has_no_receipt_form() {
    let funds = funded_year(1_000_000).await;
    let case = paid_case(&funds, 50_000).await;
    let payment = reread_disbursement(&mut funds.finance().await, &case.payment).await;
    funds
        .finance()
        .await
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: payment.posting_id.clone(),
            reason: "发放有误".into(),
            authorised_by: "财务负责人 张会计".into(),
            authorisation_reference: "工委会议2026年第5次".into(),
            etag: payment.etag.clone(),
        })
        .await
        .expect("reversing the payment");
    let status = funds
        .branch_clerk()
        .await
        .export_receipt_forms(pb::ExportReceiptFormsRequest {
            disbursement_id: payment.disbursement_id.clone(),
            ..Default::default()
        })
        .await
        .map(|_| ())
        .expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn different_exports_download_under_different_ascii_file_names() {
    let funds = funded_year(1_000_000).await;
    let case = paid_case(&funds, 50_000).await;
    let gateway = spawn_gateway(
        &funds.register.service,
        GatewayOptions {
            peers: vec![("funds".into(), funds.service.addr)],
            ..GatewayOptions::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    let department = token(Role::Department, "/1/");
    let mut names = Vec::new();
    for query in [
        format!("ExportVouchers?year={}", year()),
        format!("ExportVouchers?year={}&orgId=12", year()),
        format!("ExportReceiptForms?year={}", year()),
        format!(
            "ExportReceiptForms?disbursementId={}",
            case.payment.disbursement_id
        ),
    ] {
        let response = http
            .get(gateway.url(&format!("/v1/relief.funds.v1.FundsService/{query}")))
            .bearer_auth(&department)
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), 200, "{query}");
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let ascii = disposition
            .split("filename=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a plain filename")
            .to_owned();
        assert!(
            ascii.starts_with("relief-") && ascii.ends_with(".xlsx"),
            "{ascii}"
        );
        names.push(ascii);
    }
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), names.len(), "{names:?}");
    assert!(names[0].starts_with(&format!("relief-vouchers-{}", year())));
    assert!(names[2].starts_with(&format!("relief-receipt-forms-{}", year())));
}
