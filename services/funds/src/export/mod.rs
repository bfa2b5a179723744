//! The .xlsx files the committee and the units print, one module per form:
//! the special inspection report (专项检查报告), the voucher list (入帐凭证
//! 清单) and the member's receipt to sign (困难党员救助金领取签收单) — Chinese
//! headings, A4, header rows repeated on every printed page, a page footer
//! and spaces for signature and seal. Amounts are written as yuan numbers
//! with two decimals (so the sheet can sum them; every figure is computed in
//! fen first), in capitals (大写) where the form has them; times in Beijing
//! time (`relief_runtime::forms`).

mod inspection;
mod receipt_form;
mod vouchers;

pub use inspection::{InspectionExtras, inspection_xlsx};
pub use receipt_form::{ReceiptForm, ReceiptForms, receipt_forms_xlsx};
pub use vouchers::{VoucherSheet, vouchers_xlsx};

use relief_runtime::forms::Orientation;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Worksheet, XlsxError};

use crate::domain::category::{HardshipCategory, ReliefType};
use crate::domain::money::Money;

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One cell of a table.
enum Cell {
    Text(String),
    Yuan(Money),
    Count(i64),
}

struct Formats {
    title: Format,
    /// A line of text outside the tables (填报单位, 日期).
    plain: Format,
    header: Format,
    text: Format,
    yuan: Format,
    count: Format,
}

impl Formats {
    fn new() -> Self {
        let bordered = Format::new().set_border(FormatBorder::Thin);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center),
            plain: Format::new().set_align(FormatAlign::VerticalCenter),
            header: bordered
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            text: bordered.clone().set_text_wrap(),
            yuan: bordered.clone().set_num_format("#,##0.00"),
            count: bordered,
        }
    }
}

/// Writes a titled table at `row` and returns the next free row.
fn table(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    caption: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<u32, XlsxError> {
    let mut row = row;
    sheet.write_string_with_format(row, 0, caption, &Format::new().set_bold())?;
    row += 1;
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *header, &formats.header)?;
    }
    row += 1;
    if rows.is_empty() {
        sheet.write_string_with_format(row, 0, "（无）", &formats.text)?;
        row += 1;
    }
    for cells in rows {
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(text) => {
                    sheet.write_string_with_format(row, col, text, &formats.text)?
                }
                Cell::Yuan(money) => {
                    sheet.write_number_with_format(row, col, money.yuan_f64(), &formats.yuan)?
                }
                Cell::Count(n) => {
                    sheet.write_number_with_format(row, col, *n as f64, &formats.count)?
                }
            };
        }
        row += 1;
    }
    Ok(row + 1)
}

/// A landscape A4 form named `name` with the given column widths, as every
/// form prints ([`relief_runtime::forms::a4_sheet`]).
fn prepare(sheet: &mut Worksheet, name: &str, widths: &[f64]) -> Result<(), XlsxError> {
    relief_runtime::forms::a4_sheet(sheet, name, Orientation::Landscape, widths)
}

/// A table alone on its sheet — caption, heading repeated on every page,
/// rows — with signature lines below it.
fn detail_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    caption: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
    signatures: &[(u16, &str)],
) -> Result<(), XlsxError> {
    let row = table(sheet, formats, 0, caption, headers, rows)?;
    // The caption and heading printed again at the top of every page.
    sheet.set_repeat_rows(0, 1)?;
    for (col, text) in signatures {
        sheet.write_string(row, *col, *text)?;
    }
    Ok(())
}

fn money(m: &Option<relief_proto::common::v1::Money>) -> Money {
    Money::from_proto(m.as_ref())
}

fn date(d: &Option<relief_proto::common::v1::Date>) -> String {
    relief_runtime::time::from_proto(d.as_ref())
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// An instant as the sheets print it: Beijing time to the minute (empty
/// when unset).
fn beijing_text(stamp: Option<&prost_types::Timestamp>) -> String {
    relief_runtime::time::from_timestamp(stamp)
        .map(relief_runtime::forms::beijing_minute)
        .unwrap_or_default()
}

/// 发放方式 in words.
fn method(value: i32) -> &'static str {
    match relief_proto::funds::v1::DisbursementMethod::try_from(value) {
        Ok(relief_proto::funds::v1::DisbursementMethod::Cash) => "现金",
        Ok(relief_proto::funds::v1::DisbursementMethod::BankTransfer) => "银行转账",
        _ => "未知",
    }
}

fn unit(org: &Option<relief_proto::common::v1::OrgRef>) -> String {
    org.as_ref().map(|o| o.name.clone()).unwrap_or_default()
}

fn relief_type(value: i32) -> String {
    ReliefType::from_i32(value)
        .map(|t| t.chinese())
        .unwrap_or("未知")
        .to_owned()
}

fn category(value: i32) -> String {
    HardshipCategory::from_i32(value)
        .map(|c| c.chinese())
        .unwrap_or("未知")
        .to_owned()
}
