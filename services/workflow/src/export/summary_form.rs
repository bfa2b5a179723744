//! 《困难党员备案统计汇总表》 — the summary form a unit is issued in the
//! yearly campaign (notice §二) and hands back signed and sealed: one line
//! per register row with the branch's finding and outcome, the totals by
//! category and by outcome, and the signature and seal spaces — A4
//! landscape, in the register's form style.
//!
//! A pure function of [`SummaryForm`]: display values only, decided by the
//! caller (no income, no ID number: the form is paper that travels).

use relief_runtime::forms::beijing_minute;
use rust_xlsxwriter::{FormatAlign, Workbook, XlsxError};
use time::OffsetDateTime;

use super::TableFormats;

/// The form's title, printed above the grid.
pub const SUMMARY_FORM_TITLE: &str = "困难党员备案统计汇总表";

/// The columns, as the paper form heads them.
pub const COLUMNS: [&str; 10] = [
    "序号",
    "党支部",
    "姓名",
    "困难类别",
    "台账登记情况",
    "核查情况（文字材料）",
    "核查结论",
    "调整内容或移出原因",
    "支部大会日期",
    "公示时间及结果",
];

/// Column widths, characters; 10 columns across A4 landscape.
const WIDTHS: [f64; 10] = [5.0, 16.0, 8.0, 12.0, 16.0, 30.0, 8.0, 20.0, 11.0, 18.0];

/// One line of the form.
#[derive(Debug, Clone, Default)]
pub struct SummaryLine {
    pub branch: String,
    pub name: String,
    pub category: String,
    pub register_summary: String,
    pub findings: String,
    /// 继续纳入 / 调整 / 移出 / 未核查.
    pub outcome: String,
    pub change: String,
    pub meeting: String,
    pub notice: String,
}

/// Everything one printed summary form shows.
#[derive(Debug, Clone, Default)]
pub struct SummaryForm {
    /// 年度.
    pub year: i32,
    /// The unit the form was issued to.
    pub unit: String,
    /// 填报单位 — the organisation of whoever prints it.
    pub filler: String,
    pub printed_at: Option<OffsetDateTime>,
    pub lines: Vec<SummaryLine>,
    /// (category, count) of the rows staying on the register.
    pub by_category: Vec<(String, usize)>,
    /// 新增 — the new members of the year, by name.
    pub new_members: Vec<String>,
    /// The signer, once submitted.
    pub signer: String,
    pub signed_on: String,
}

fn count(lines: &[SummaryLine], outcome: &str) -> usize {
    lines.iter().filter(|line| line.outcome == outcome).count()
}

/// The form as .xlsx bytes.
pub fn summary_form(form: &SummaryForm) -> Result<Vec<u8>, XlsxError> {
    let TableFormats {
        font,
        title,
        head,
        cell,
    } = TableFormats::new();
    let centred = cell.clone().set_align(FormatAlign::Center);
    let number = centred.clone().set_num_format("0");

    let mut book = Workbook::new();
    let sheet = super::landscape_a4_sheet(&mut book, "汇总表", &WIDTHS)?;
    let last = u16::try_from(COLUMNS.len() - 1).unwrap_or(0);
    sheet.merge_range(
        0,
        0,
        0,
        last,
        &format!("{}年度{SUMMARY_FORM_TITLE}", form.year),
        &title,
    )?;
    sheet.set_row_height(0, 30)?;
    sheet.merge_range(
        1,
        0,
        1,
        4,
        &format!("填报单位（盖章）：{}", form.filler),
        &font,
    )?;
    sheet.merge_range(
        1,
        5,
        1,
        last,
        &format!(
            "下发单位：{}　　打印时间：{}",
            form.unit,
            form.printed_at.map(beijing_minute).unwrap_or_default()
        ),
        &font,
    )?;
    let header_row = 2;
    for (col, name) in (0u16..).zip(COLUMNS) {
        sheet.write_with_format(header_row, col, name, &head)?;
    }
    sheet.set_row_height(header_row, 30)?;
    sheet.set_repeat_rows(header_row, header_row)?;
    let mut row = header_row + 1;
    for (i, line) in form.lines.iter().enumerate() {
        sheet.write_number_with_format(row, 0, (i + 1) as f64, &number)?;
        let values = [
            &line.branch,
            &line.name,
            &line.category,
            &line.register_summary,
            &line.findings,
            &line.outcome,
            &line.change,
            &line.meeting,
            &line.notice,
        ];
        for (col, value) in (1u16..).zip(values) {
            let format = if matches!(col, 2 | 3 | 6 | 8) {
                &centred
            } else {
                &cell
            };
            sheet.write_with_format(row, col, value.as_str(), format)?;
        }
        // Wrapped findings: room for them, at about 15 characters a line.
        let lines = line.findings.chars().count().div_ceil(15).max(1);
        sheet.set_row_height(row, (lines as f64 * 14.0 + 6.0).max(20.0))?;
        row += 1;
    }
    // 合计 — totals by outcome and by category.
    let totals = [
        (
            "合计",
            format!(
                "共{}人：继续纳入{}人，调整{}人，移出{}人，未核查{}人；新增{}人",
                form.lines.len(),
                count(&form.lines, "继续纳入"),
                count(&form.lines, "调整"),
                count(&form.lines, "移出"),
                count(&form.lines, "未核查"),
                form.new_members.len()
            ),
        ),
        (
            "按困难类别",
            form.by_category
                .iter()
                .map(|(category, n)| format!("{category}{n}人"))
                .collect::<Vec<_>>()
                .join("，"),
        ),
        ("新增困难党员", form.new_members.join("、")),
    ];
    for (label, value) in totals {
        sheet.merge_range(row, 0, row, 2, label, &head)?;
        sheet.merge_range(row, 3, row, last, &value, &cell)?;
        sheet.set_row_height(row, 22)?;
        row += 1;
    }
    row += 1;
    sheet.merge_range(
        row,
        0,
        row,
        4,
        &format!(
            "党组织负责人（签字）：{}",
            if form.signer.is_empty() {
                "　".repeat(8)
            } else {
                form.signer.clone()
            }
        ),
        &font,
    )?;
    sheet.merge_range(row, 5, row, last, "党组织（盖章）", &font)?;
    sheet.set_row_height(row, 40)?;
    row += 1;
    sheet.merge_range(
        row,
        0,
        row,
        4,
        &format!(
            "日期：{}",
            if form.signed_on.is_empty() {
                "　　　　年　　月　　日".to_owned()
            } else {
                form.signed_on.clone()
            }
        ),
        &font,
    )?;
    sheet.merge_range(
        row,
        5,
        row,
        last,
        "工委组织部（验收）：　　　　　　　　年　　月　　日",
        &font,
    )?;
    sheet.set_print_area(0, 0, row, last)?;
    book.save_to_buffer()
}
