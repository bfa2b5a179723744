//! The register's forms as real .xlsx files, one module per form: the
//! management register ([`register`], 《市直机关困难党员管理台账》) and the
//! year's new members ([`new_members`], 《____年度市直机关新增困难党员备案统计表》).
//! What they share is here: the line of a form, dates written one way
//! (`2025-11-20`), amounts as 元 with two decimals, the title, 填报单位 and
//! headings repeated on every printed page, the 合计 rows, and the signature
//! and seal lines with 联系电话 beside 填表人.
//!
//! Printing: A4 landscape, 10-pt text. Each form is two sheets — the short
//! columns on the first, the long text (family, the hardship in full, relief
//! received, …) on the second, keyed by the same 序号 and 姓名 — so each
//! sheet's columns fit the page at ≥ 90 % scale: 10-pt prints at ≥ 9 pt
//! ([`printed_scale`], tested for every sheet). Long cells wrap.

mod new_members;
mod register;

pub use new_members::{NEW_MEMBERS_DETAIL_HEADINGS, NEW_MEMBERS_HEADINGS, new_members_form};
pub use register::{REGISTER_DETAIL_HEADINGS, REGISTER_HEADINGS, management_register};

use relief_runtime::forms::{Orientation, a4_sheet, beijing_minute};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Worksheet, XlsxError};
use time::{Date, OffsetDateTime};

pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A family member as the forms list them; health and income only when the
/// form is unmasked (`None` otherwise: omitted, SPEC §9).
#[derive(Debug, Clone, Default)]
pub struct FamilyLine {
    pub relation: String,
    pub name: String,
    pub age: i32,
    pub occupation: String,
    pub health: Option<String>,
    pub annual_income_fen: Option<i64>,
}

/// One relief received (帮扶情况).
#[derive(Debug, Clone, Default)]
pub struct ReliefLine {
    pub year: i32,
    pub relief_type: String,
    pub amount_fen: i64,
    pub voucher_number: String,
    pub received_on: Option<Date>,
}

/// One row of a form. Sensitive values are `None` (or masked text) for a
/// masked form.
#[derive(Debug, Clone, Default)]
pub struct FormLine {
    /// 单位 — the unit organisation (the node under the committee).
    pub unit_name: String,
    /// 所在党支部
    pub org_name: String,
    pub name: String,
    /// 男 / 女
    pub sex: String,
    pub birth_date: Option<Date>,
    /// Only the birth year shows (the form is masked: month and day are the
    /// ID number's hidden digits).
    pub birth_year_only: bool,
    /// Full only for readers allowed to see it; masked otherwise.
    pub id_number: String,
    pub party_join_date: Option<Date>,
    pub work_unit: String,
    /// 在职 / 退休 / 下岗 / 其他
    pub employment: String,
    /// 健康状况; `None` when masked.
    pub health: Option<String>,
    pub household_size: i32,
    pub family: Vec<FamilyLine>,
    /// The member's own yearly income and its source; `None` when masked.
    pub own_income: Option<(i64, String)>,
    pub annual_household_income_fen: Option<i64>,
    pub monthly_per_capita_fen: Option<i64>,
    /// 困难类别
    pub category: String,
    /// 主要困难原因
    pub cause: String,
    /// 困难情况, in full.
    pub description: String,
    pub receives_dibao: bool,
    pub recognised: bool,
    pub active: bool,
    pub since: Option<Date>,
    pub until: Option<Date>,
    pub removal_reason: String,
    pub relief: Vec<ReliefLine>,
    pub phone: String,
    /// 支部意见/公示情况 (new-members form).
    pub branch_opinion: String,
    /// 备注
    pub remark: String,
}

/// Who fills the form in, what it covers, and when it was made.
#[derive(Debug, Clone)]
pub struct FormHeader {
    /// 填报单位 — the caller's own organisation.
    pub filler: String,
    /// The subtree exported, when not the filler's own.
    pub scope: Option<String>,
    pub generated_at: OffsetDateTime,
}

impl FormHeader {
    /// What a file of the form is named after: the subtree asked for, or the
    /// filler's own organisation.
    pub fn named(&self) -> &str {
        self.scope.as_deref().unwrap_or(&self.filler)
    }

    /// The line under the title.
    fn subtitle(&self, extra: &str) -> String {
        let scope = self
            .scope
            .as_ref()
            .map(|scope| format!("　　范围：{scope}"))
            .unwrap_or_default();
        format!(
            "填报单位（党组织）：{}{scope}　　生成时间：{}（北京时间）{extra}",
            self.filler,
            beijing_minute(self.generated_at)
        )
    }
}

/// A date as every form writes it: `2025-11-20`.
pub fn date(date: Option<Date>) -> String {
    date.map(|d| format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

/// 出生日期 of a line: the date, or only the year when masked.
fn birth(line: &FormLine) -> String {
    match line.birth_date {
        Some(day) if line.birth_year_only => day.year().to_string(),
        day => date(day),
    }
}

/// Fen as yuan with two decimals and thousands separators: `3,000.00`.
pub fn yuan_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

/// What a masked cell shows.
const HIDDEN: &str = "（已隐藏）";

/// 家庭成员情况: one family member per line — relation, name, age,
/// occupation, and health and income when unmasked.
fn family_text(line: &FormLine) -> String {
    line.family
        .iter()
        .map(|person| {
            let mut text = format!(
                "{} {} {}岁 {}",
                person.relation, person.name, person.age, person.occupation
            );
            if let Some(health) = person.health.as_ref().filter(|h| !h.is_empty()) {
                text.push_str(&format!(" 健康：{health}"));
            }
            if let Some(fen) = person.annual_income_fen {
                text.push_str(&format!(" 年收入{}元", yuan_text(fen)));
            }
            text.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// 本人收入及来源: `36,000.00元（退休金）`, or hidden.
fn own_income_text(line: &FormLine) -> String {
    match &line.own_income {
        None => HIDDEN.to_owned(),
        Some((fen, source)) if source.is_empty() => format!("{}元", yuan_text(*fen)),
        Some((fen, source)) => format!("{}元（{source}）", yuan_text(*fen)),
    }
}

/// 帮扶情况: one relief per line — year, type, amount, voucher.
fn relief_text(line: &FormLine) -> String {
    line.relief
        .iter()
        .map(|relief| {
            let mut text = format!(
                "{}年 {} {}元",
                relief.year,
                relief.relief_type,
                yuan_text(relief.amount_fen)
            );
            if !relief.voucher_number.is_empty() {
                text.push_str(&format!(" 凭证号{}", relief.voucher_number));
            }
            if relief.received_on.is_some() {
                text.push_str(&format!(" {}领取", date(relief.received_on)));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// 状态: on the register since, or removed when and why.
fn status_text(line: &FormLine) -> String {
    if line.active {
        format!("在册\n{}起", date(line.since))
    } else {
        format!("已移出\n{}", date(line.until))
    }
}

struct Formats {
    title: Format,
    subtitle: Format,
    heading: Format,
    cell: Format,
    /// Long text: wrapped, left-aligned.
    long: Format,
    number: Format,
    people: Format,
    money: Format,
    footer: Format,
}

/// The font size of every table cell.
const CELL_POINTS: f64 = 10.0;

impl Formats {
    fn new() -> Self {
        let bordered = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter)
            .set_font_name("宋体")
            .set_font_size(CELL_POINTS);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_name("黑体")
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: Format::new()
                .set_font_name("宋体")
                .set_font_size(CELL_POINTS),
            heading: bordered
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center),
            cell: bordered
                .clone()
                .set_text_wrap()
                .set_align(FormatAlign::Center),
            long: bordered
                .clone()
                .set_text_wrap()
                .set_align(FormatAlign::Left),
            number: bordered
                .clone()
                .set_align(FormatAlign::Center)
                .set_num_format("0"),
            people: bordered
                .clone()
                .set_align(FormatAlign::Center)
                .set_num_format("0\"人\""),
            money: bordered
                .set_align(FormatAlign::Right)
                .set_num_format("#,##0.00"),
            footer: Format::new()
                .set_font_name("宋体")
                .set_font_size(CELL_POINTS),
        }
    }
}

/// A column of a sheet: heading and width (in Excel's character units).
type Column = (&'static str, f64);

/// The headings of a sheet's columns, for readers of the forms (and tests).
const fn headings<const N: usize>(columns: &[Column; N]) -> [&'static str; N] {
    let mut headings = [""; N];
    let mut i = 0;
    while i < N {
        headings[i] = columns[i].0;
        i += 1;
    }
    headings
}

/// The scale a sheet of these column widths prints at on A4 landscape
/// fitted to the page width (1.0 when it fits as it is): Excel gives a
/// column of width `w` `7w + 5` pixels (96 per inch).
pub fn printed_scale(widths: &[f64]) -> f64 {
    let page = Orientation::Landscape.printable_width() * 96.0;
    let sheet: f64 = widths.iter().map(|w| 7.0 * w + 5.0).sum();
    (page / sheet).min(1.0)
}

/// The sheet `name` set up as every landscape form prints
/// ([`relief_runtime::forms::a4_sheet`]), with its title, subtitle and
/// headings, repeated on every page; returns the first data row.
fn lay_out(
    sheet: &mut Worksheet,
    name: &str,
    formats: &Formats,
    title: &str,
    subtitle: &str,
    columns: &[Column],
) -> Result<u32, XlsxError> {
    let widths: Vec<f64> = columns.iter().map(|(_, width)| *width).collect();
    a4_sheet(sheet, name, Orientation::Landscape, &widths)?;
    let last_col = (columns.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last_col, title, &formats.title)?;
    sheet.set_row_height(0, 30)?;
    sheet.merge_range(1, 0, 1, last_col, subtitle, &formats.subtitle)?;
    for (col, (heading, _)) in columns.iter().enumerate() {
        sheet.write_string_with_format(2, col as u16, *heading, &formats.heading)?;
    }
    sheet.set_row_height(2, 30)?;
    sheet.set_repeat_rows(0, 2)?;
    sheet.set_freeze_panes(3, 0)?;
    Ok(3)
}

/// The column of `heading` among `columns`.
fn col(columns: &[Column], heading: &str) -> u16 {
    columns
        .iter()
        .position(|(h, _)| *h == heading)
        .unwrap_or_default() as u16
}

/// The signature and seal lines under a form: 填表人 with 联系电话 beside
/// it, 审核人, 党组织（盖章）, 日期.
fn sign_off(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    last_col: u16,
) -> Result<(), XlsxError> {
    let fifth = last_col / 5;
    let lines = [
        (0, "填表人（签字）："),
        (fifth, "联系电话："),
        (fifth * 2, "审核人（签字）："),
        (fifth * 3, "党组织（盖章）："),
        (fifth * 4, "日期：    年  月  日"),
    ];
    for (col, text) in lines {
        sheet.write_string_with_format(row + 1, col, text, &formats.footer)?;
    }
    sheet.set_row_height(row + 1, 36)?;
    Ok(())
}

/// The 合计 rows: the people listed, then one row per hardship category
/// (其中), counts in the 姓名 column as numbers; returns the next free row.
fn totals(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    columns: &[Column],
    lines: &[&FormLine],
) -> Result<u32, XlsxError> {
    let name = col(columns, "姓名");
    let category = col(columns, "困难类别");
    let blank = |sheet: &mut Worksheet, row: u32| -> Result<(), XlsxError> {
        for c in 0..columns.len() as u16 {
            sheet.write_blank(row, c, &formats.cell)?;
        }
        Ok(())
    };
    blank(sheet, row)?;
    sheet.write_string_with_format(row, 0, "合计", &formats.cell)?;
    sheet.write_number_with_format(row, name, lines.len() as f64, &formats.people)?;
    let mut row = row + 1;
    for kind in CATEGORIES {
        let count = lines.iter().filter(|line| line.category == kind).count();
        blank(sheet, row)?;
        sheet.write_string_with_format(row, 0, "其中", &formats.cell)?;
        sheet.write_string_with_format(row, category, kind, &formats.cell)?;
        sheet.write_number_with_format(row, name, count as f64, &formats.people)?;
        row += 1;
    }
    Ok(row)
}

/// The hardship categories as the forms write them, in the measures' order.
const CATEGORIES: [&str; 5] = ["低保", "重大自然灾害", "重大意外事故", "重大疾病", "其他"];

/// The household's figures of a form's row: 家庭人口 as a number, and the
/// household's yearly and per-head monthly income in yuan (hidden when masked).
fn write_household(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    columns: &[Column],
    line: &FormLine,
) -> Result<(), XlsxError> {
    let at = |heading: &str| col(columns, heading);
    sheet.write_number_with_format(
        row,
        at("家庭人口"),
        f64::from(line.household_size),
        &formats.number,
    )?;
    write_money(
        sheet,
        formats,
        row,
        at("家庭年收入（元）"),
        line.annual_household_income_fen,
    )?;
    write_money(
        sheet,
        formats,
        row,
        at("人均月收入（元）"),
        line.monthly_per_capita_fen,
    )
}

/// A money cell: a number in yuan, or hidden text when masked.
fn write_money(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    col: u16,
    fen: Option<i64>,
) -> Result<(), XlsxError> {
    match fen {
        // Display only: converted once for the sheet, never summed.
        Some(fen) => {
            sheet.write_number_with_format(row, col, fen as f64 / 100.0, &formats.money)?
        }
        None => sheet.write_string_with_format(row, col, HIDDEN, &formats.cell)?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sheet_prints_ten_point_text_at_nine_points_or_more() {
        for (sheet, columns) in [
            ("register", register::COLUMNS.as_slice()),
            ("register detail", register::DETAIL_COLUMNS.as_slice()),
            ("new members", new_members::COLUMNS.as_slice()),
            ("new members detail", new_members::DETAIL_COLUMNS.as_slice()),
        ] {
            let widths: Vec<f64> = columns.iter().map(|(_, w)| *w).collect();
            let printed = CELL_POINTS * printed_scale(&widths);
            assert!(printed >= 9.0, "{sheet}: prints at {printed:.1} pt");
        }
    }

    #[test]
    fn amounts_are_yuan_with_two_decimals() {
        assert_eq!(yuan_text(300_000), "3,000.00");
        assert_eq!(yuan_text(120_550), "1,205.50");
        assert_eq!(yuan_text(5), "0.05");
        assert_eq!(yuan_text(123_456_789), "1,234,567.89");
    }
}
