//! 专项检查报告 — the special inspection as a workbook: a summary sheet and
//! one sheet per finding, each finding's heading repeated on every printed
//! page, with signature lines. Times in Beijing time; rows led by names and
//! voucher numbers — the ids stay in the API (`GetInspectionReport`).

use std::collections::HashMap;

use relief_proto::common::v1::OrgRef;
use relief_proto::funds::v1 as pb;
use rust_xlsxwriter::{Workbook, XlsxError};

use super::{
    Cell, Formats, beijing_text, category, date, money, prepare, relief_type, table, unit,
};

mod findings;

use findings::{above_sheet, missing_sheet, repeat_sheet, reversal_sheet, unpaid_sheet};

/// What the report itself does not hold and the paper prints: the voucher
/// number of each receipted allocation, and the unit of each organisation.
#[derive(Debug, Clone, Default)]
pub struct InspectionExtras {
    /// 凭证号 by allocation id (receipted allocations only).
    pub vouchers: HashMap<String, String>,
    /// 单位 — the work unit of each organisation, by its path.
    pub units: HashMap<String, String>,
}

impl InspectionExtras {
    fn unit(&self, org: &Option<OrgRef>) -> String {
        let org = org.clone().unwrap_or_default();
        self.units.get(&org.path).cloned().unwrap_or_default()
    }

    /// The vouchers of allocations, one a line (未入帐 for those without).
    fn vouchers_of(&self, allocation_ids: &[String]) -> String {
        allocation_ids
            .iter()
            .map(|id| {
                self.vouchers
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "未入帐".to_owned())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The signature lines under every finding.
const SIGNED: [(u16, &str); 2] = [(0, "检查人（签字）："), (3, "日期：")];

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
pub fn inspection_xlsx(
    report: &pb::InspectionReport,
    extras: &InspectionExtras,
) -> Result<Vec<u8>, XlsxError> {
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
        (
            "生成时间（北京时间）",
            beijing_text(generated.change_time.as_ref()),
        ),
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
        .map(|u| {
            let label = match extras.unit(&u.unit) {
                unit_name if unit_name.is_empty() => unit(&u.unit),
                unit_name => format!("{unit_name}　{}", unit(&u.unit)),
            };
            totals_cells(label, &u.totals)
        })
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

    unpaid_sheet(workbook.add_worksheet(), &formats, report, extras)?;
    missing_sheet(workbook.add_worksheet(), &formats, report, extras)?;
    repeat_sheet(workbook.add_worksheet(), &formats, report, extras)?;
    above_sheet(workbook.add_worksheet(), &formats, report, extras)?;
    reversal_sheet(workbook.add_worksheet(), &formats, report)?;
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
        let bytes = inspection_xlsx(&report, &InspectionExtras::default()).unwrap_or_default();
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
