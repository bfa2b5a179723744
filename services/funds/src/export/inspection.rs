//! 专项检查报告 — the special inspection as a workbook: a summary sheet and
//! one sheet per finding.

use relief_proto::funds::v1 as pb;
use rust_xlsxwriter::{Workbook, XlsxError};

use super::{Cell, Formats, category, date, money, prepare, relief_type, table, unit, utc_text};
use crate::domain::account::PostingKind;

fn totals_cells(label: String, totals: &Option<pb::InspectionTotals>) -> Vec<Cell> {
    let totals = (*totals).unwrap_or_default();
    vec![
        Cell::Text(label),
        Cell::Count(i64::from(totals.allocation_count)),
        Cell::Yuan(money(&totals.allocated)),
        Cell::Yuan(money(&totals.paid)),
        Cell::Yuan(money(&totals.receipted)),
    ]
}

const TOTAL_HEADERS: [&str; 5] = [
    "项目",
    "笔数",
    "拨付金额（元）",
    "已发放（元）",
    "已入帐（元）",
];

/// 专项检查报告: a summary sheet and one sheet per finding.
pub fn inspection_xlsx(report: &pb::InspectionReport) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let org_name = unit(&report.org);
    let generated = report.generated.clone().unwrap_or_default();

    let sheet = workbook.add_worksheet();
    prepare(sheet, "检查汇总", &[24.0, 10.0, 16.0, 16.0, 16.0])?;
    let title = format!("{}年度困难党员救助慰问资金专项检查报告", report.year);
    sheet.merge_range(0, 0, 0, 4, &title, &formats.title)?;
    let facts = [
        ("检查范围", org_name.clone()),
        ("检查截止日期", date(&report.as_of_date)),
        ("拨付未发放期限（天）", report.unpaid_after_days.to_string()),
        (
            "发放无回执期限（天）",
            report.receipt_missing_after_days.to_string(),
        ),
        (
            "生成人",
            generated.actor.map(|a| a.display_name).unwrap_or_default(),
        ),
        ("生成时间（UTC）", utc_text(generated.change_time.as_ref())),
        ("报告编号", report.report_id.clone()),
    ];
    let mut row = 2;
    for (label, value) in facts {
        sheet.write_string_with_format(row, 0, label, &formats.header)?;
        sheet.merge_range(row, 1, row, 4, &value, &formats.text)?;
        row += 1;
    }
    row += 1;
    row = table(
        sheet,
        &formats,
        row,
        "一、总计",
        &TOTAL_HEADERS,
        &[totals_cells("合计".to_owned(), &report.totals)],
    )?;
    let by_category: Vec<Vec<Cell>> = report
        .by_category
        .iter()
        .map(|c| totals_cells(category(c.hardship_category), &c.totals))
        .collect();
    row = table(
        sheet,
        &formats,
        row,
        "二、按困难类别",
        &TOTAL_HEADERS,
        &by_category,
    )?;
    let by_type: Vec<Vec<Cell>> = report
        .by_relief_type
        .iter()
        .map(|t| totals_cells(relief_type(t.relief_type), &t.totals))
        .collect();
    row = table(
        sheet,
        &formats,
        row,
        "三、按救助方式",
        &TOTAL_HEADERS,
        &by_type,
    )?;
    let by_unit: Vec<Vec<Cell>> = report
        .by_unit
        .iter()
        .map(|u| totals_cells(unit(&u.unit), &u.totals))
        .collect();
    row = table(sheet, &formats, row, "四、按单位", &TOTAL_HEADERS, &by_unit)?;
    let findings = [
        ("拨付未发放", report.unpaid_allocations.len()),
        ("发放无回执", report.receipts_missing.len()),
        ("重复救助", report.repeat_payments.len()),
        ("超标准", report.above_standard.len()),
        ("冲销", report.reversals.len()),
    ];
    let finding_rows: Vec<Vec<Cell>> = findings
        .iter()
        .map(|(label, n)| vec![Cell::Text((*label).to_owned()), Cell::Count(*n as i64)])
        .collect();
    row = table(
        sheet,
        &formats,
        row,
        "五、发现问题",
        &["问题", "条数"],
        &finding_rows,
    )?;
    sheet.write_string(row, 0, "检查人（签字）：")?;
    sheet.write_string(row, 3, "日期：")?;
    sheet.write_string(row + 2, 0, "工委组织部（盖章）：")?;

    let sheet = workbook.add_worksheet();
    prepare(sheet, "拨付未发放", &[38.0, 12.0, 24.0, 14.0, 14.0, 10.0])?;
    let rows: Vec<Vec<Cell>> = report
        .unpaid_allocations
        .iter()
        .map(|u| {
            vec![
                Cell::Text(u.allocation_id.clone()),
                Cell::Text(u.member_name.clone()),
                Cell::Text(unit(&u.unit)),
                Cell::Yuan(money(&u.amount)),
                Cell::Text(date(&u.allocated_date)),
                Cell::Count(i64::from(u.days_outstanding)),
            ]
        })
        .collect();
    table(
        sheet,
        &formats,
        0,
        "拨付后逾期未发放",
        &[
            "拨付编号",
            "党员姓名",
            "单位",
            "金额（元）",
            "拨付日期",
            "天数",
        ],
        &rows,
    )?;

    let sheet = workbook.add_worksheet();
    prepare(sheet, "发放无回执", &[38.0, 12.0, 24.0, 14.0, 14.0, 10.0])?;
    let rows: Vec<Vec<Cell>> = report
        .receipts_missing
        .iter()
        .map(|m| {
            vec![
                Cell::Text(m.disbursement_id.clone()),
                Cell::Text(m.member_name.clone()),
                Cell::Text(unit(&m.unit)),
                Cell::Yuan(money(&m.amount)),
                Cell::Text(date(&m.paid_date)),
                Cell::Count(i64::from(m.days_outstanding)),
            ]
        })
        .collect();
    table(
        sheet,
        &formats,
        0,
        "发放后逾期无签字回执",
        &[
            "发放编号",
            "党员姓名",
            "单位",
            "金额（元）",
            "发放日期",
            "天数",
        ],
        &rows,
    )?;

    let sheet = workbook.add_worksheet();
    prepare(sheet, "重复救助", &[12.0, 24.0, 10.0, 14.0, 14.0, 60.0])?;
    let rows: Vec<Vec<Cell>> = report
        .repeat_payments
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.member_name.clone()),
                Cell::Text(unit(&r.unit)),
                Cell::Count(r.allocation_ids.len() as i64),
                Cell::Yuan(money(&r.total)),
                Cell::Text(
                    if r.special_case_recorded {
                        "是"
                    } else {
                        "否"
                    }
                    .to_owned(),
                ),
                Cell::Text(r.allocation_ids.join("\n")),
            ]
        })
        .collect();
    table(
        sheet,
        &formats,
        0,
        "年度内重复救助",
        &[
            "党员姓名",
            "单位",
            "次数",
            "合计（元）",
            "工委特殊情况",
            "拨付编号",
        ],
        &rows,
    )?;

    let sheet = workbook.add_worksheet();
    prepare(sheet, "超标准", &[12.0, 24.0, 16.0, 14.0, 14.0, 14.0, 12.0])?;
    let rows: Vec<Vec<Cell>> = report
        .above_standard
        .iter()
        .map(|a| {
            vec![
                Cell::Text(a.member_name.clone()),
                Cell::Text(unit(&a.unit)),
                Cell::Text(relief_type(a.relief_type)),
                Cell::Text(category(a.hardship_category)),
                Cell::Yuan(money(&a.amount)),
                Cell::Yuan(money(&a.standard_amount)),
                Cell::Text(if a.special_case { "是" } else { "否" }.to_owned()),
            ]
        })
        .collect();
    table(
        sheet,
        &formats,
        0,
        "超标准救助",
        &[
            "党员姓名",
            "单位",
            "救助方式",
            "困难类别",
            "金额（元）",
            "标准（元）",
            "工委特殊情况",
        ],
        &rows,
    )?;

    let sheet = workbook.add_worksheet();
    prepare(sheet, "冲销", &[38.0, 10.0, 14.0, 30.0, 16.0, 24.0])?;
    let rows: Vec<Vec<Cell>> = report
        .reversals
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.posting_id.clone()),
                Cell::Text(
                    pb::PostingKind::try_from(r.reversed_kind)
                        .ok()
                        .and_then(PostingKind::from_proto)
                        .map(|k| k.chinese())
                        .unwrap_or("未知")
                        .to_owned(),
                ),
                Cell::Yuan(money(&r.amount)),
                Cell::Text(r.reason.clone()),
                Cell::Text(r.authorised_by.clone()),
                Cell::Text(utc_text(r.post_time.as_ref())),
            ]
        })
        .collect();
    table(
        sheet,
        &formats,
        0,
        "冲销分录",
        &[
            "冲销分录编号",
            "原分录类别",
            "金额（元）",
            "冲销原因",
            "批准人",
            "时间（UTC）",
        ],
        &rows,
    )?;

    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn an_empty_report_reads_back_with_chinese_sheets() {
        let report = pb::InspectionReport {
            year: 2026,
            ..Default::default()
        };
        let bytes = inspection_xlsx(&report).unwrap_or_default();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
            .unwrap_or_else(|err| panic!("not an xlsx: {err}"));
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
        let summary = book
            .worksheet_range("检查汇总")
            .unwrap_or_else(|err| panic!("no summary: {err}"));
        assert_eq!(
            summary.get_value((0, 0)),
            Some(&Data::String(
                "2026年度困难党员救助慰问资金专项检查报告".to_owned()
            ))
        );
    }
}
