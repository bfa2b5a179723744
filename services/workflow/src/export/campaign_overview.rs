//! 《年度核查进度表》 — the department's overview of a campaign: one line per
//! unit with its state, when it collected and submitted against the
//! deadlines (on time, or days late), its rows by outcome and its new
//! members, and the totals — A4 landscape, in the register's form style.
//!
//! A pure function of [`CampaignOverview`]: display values decided by the
//! caller.

use relief_runtime::forms::beijing_minute;
use rust_xlsxwriter::{FormatAlign, Workbook, XlsxError};
use time::OffsetDateTime;

use super::TableFormats;

/// The overview's title, after the year.
pub const CAMPAIGN_OVERVIEW_TITLE: &str = "困难党员台账更新进度表";

/// The columns.
pub const OVERVIEW_COLUMNS: [&str; 12] = [
    "序号",
    "单位",
    "状态",
    "领取汇总表",
    "上报汇总表",
    "台账人数",
    "已核查",
    "继续纳入",
    "调整",
    "移出",
    "新增",
    "退回次数",
];

const WIDTHS: [f64; 12] = [
    5.0, 24.0, 12.0, 18.0, 18.0, 8.0, 8.0, 8.0, 6.0, 6.0, 6.0, 8.0,
];

/// One unit's line.
#[derive(Debug, Clone, Default)]
pub struct OverviewLine {
    pub unit: String,
    pub state: String,
    /// e.g. "2026-11-29 按时", "逾期3天", "未领取（剩5天）".
    pub collected: String,
    pub submitted: String,
    pub rows: u32,
    pub verified: u32,
    pub continued: u32,
    pub adjusted: u32,
    pub removed: u32,
    pub new_members: u32,
    pub returns: u32,
    /// Late in collecting or submitting: the line is marked.
    pub late: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CampaignOverview {
    pub year: i32,
    pub title: String,
    /// 领取截止 and 上报截止, as printed.
    pub deadlines: String,
    pub filler: String,
    pub printed_at: Option<OffsetDateTime>,
    pub lines: Vec<OverviewLine>,
}

/// The overview as .xlsx bytes.
pub fn campaign_overview(form: &CampaignOverview) -> Result<Vec<u8>, XlsxError> {
    let TableFormats {
        font,
        title,
        head,
        cell,
    } = TableFormats::new();
    let late = cell.clone().set_font_color("#C00000");
    let number = cell
        .clone()
        .set_align(FormatAlign::Center)
        .set_num_format("0");

    let mut book = Workbook::new();
    let sheet = super::landscape_a4_sheet(&mut book, "进度表", &WIDTHS)?;
    let last = u16::try_from(OVERVIEW_COLUMNS.len() - 1).unwrap_or(0);
    sheet.merge_range(
        0,
        0,
        0,
        last,
        &format!("{}年度{CAMPAIGN_OVERVIEW_TITLE}", form.year),
        &title,
    )?;
    sheet.set_row_height(0, 30)?;
    sheet.merge_range(1, 0, 1, 4, &format!("填报单位：{}", form.filler), &font)?;
    sheet.merge_range(
        1,
        5,
        1,
        last,
        &format!(
            "{}　{}　打印时间：{}",
            form.title,
            form.deadlines,
            form.printed_at.map(beijing_minute).unwrap_or_default()
        ),
        &font,
    )?;
    let header_row = 2;
    for (col, name) in (0u16..).zip(OVERVIEW_COLUMNS) {
        sheet.write_with_format(header_row, col, name, &head)?;
    }
    sheet.set_row_height(header_row, 24)?;
    sheet.set_repeat_rows(header_row, header_row)?;
    let mut row = header_row + 1;
    let mut totals = [0u32; 7];
    for (i, line) in form.lines.iter().enumerate() {
        let text = if line.late { &late } else { &cell };
        sheet.write_number_with_format(row, 0, (i + 1) as f64, &number)?;
        sheet.write_with_format(row, 1, line.unit.as_str(), text)?;
        sheet.write_with_format(row, 2, line.state.as_str(), text)?;
        sheet.write_with_format(row, 3, line.collected.as_str(), text)?;
        sheet.write_with_format(row, 4, line.submitted.as_str(), text)?;
        let counts = [
            line.rows,
            line.verified,
            line.continued,
            line.adjusted,
            line.removed,
            line.new_members,
            line.returns,
        ];
        for (col, (value, total)) in (5u16..).zip(counts.iter().zip(totals.iter_mut())) {
            sheet.write_number_with_format(row, col, f64::from(*value), &number)?;
            *total += value;
        }
        sheet.set_row_height(row, 20)?;
        row += 1;
    }
    let late_units = form.lines.iter().filter(|line| line.late).count();
    sheet.merge_range(row, 0, row, 1, "合计", &head)?;
    sheet.merge_range(
        row,
        2,
        row,
        4,
        &format!("共{}个单位，逾期{}个", form.lines.len(), late_units),
        &cell,
    )?;
    for (col, total) in (5u16..).zip(totals) {
        sheet.write_number_with_format(row, col, f64::from(total), &number)?;
    }
    sheet.set_row_height(row, 22)?;
    sheet.set_print_area(0, 0, row, last)?;
    book.save_to_buffer()
}
