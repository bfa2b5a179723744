//! The .xlsx files the committee prints: the special inspection report
//! (专项检查报告) and the voucher list (入帐凭证清单), with Chinese headings
//! and spaces for signature and seal. Amounts are written as yuan numbers
//! so the sheet can sum them; every figure is computed in fen first.

mod inspection;
mod vouchers;

pub use inspection::inspection_xlsx;
pub use vouchers::vouchers_xlsx;

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

fn prepare(sheet: &mut Worksheet, name: &str, widths: &[f64]) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    sheet.set_paper_size(9); // A4
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
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

/// An instant as the sheets print it: RFC 3339 in UTC (empty when unset).
fn utc_text(stamp: Option<&prost_types::Timestamp>) -> String {
    relief_runtime::time::from_timestamp(stamp)
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
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
