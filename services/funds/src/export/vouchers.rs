//! 入帐凭证清单 — the vouchers as one printable sheet, in voucher order,
//! with the unit of each, a total, a 日期 line and signature lines. The
//! receipt scan's SHA-256 stays in the API (`Receipt.scan_sha256`): on paper
//! the receipt shows as marks, 已签字 and/or 已盖章.

use std::collections::HashMap;

use rust_xlsxwriter::{Workbook, XlsxError};
use time::{Date, OffsetDateTime};

use super::{Cell, Formats, category, method, prepare, relief_type, table};
use crate::domain::money::Money;
use crate::store::VoucherRow;

/// What the voucher list prints.
pub struct VoucherSheet<'a> {
    /// The budget year (0: by dates only).
    pub year: i32,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// 填报单位 — the caller's own organisation.
    pub filler: &'a str,
    pub printed_at: OffsetDateTime,
    /// In voucher order (as the store lists them).
    pub vouchers: &'a [VoucherRow],
    /// 单位 — the work unit of each voucher's organisation, by its path.
    pub units: &'a HashMap<String, String>,
}

const HEADERS: [&str; 15] = [
    "凭证号",
    "年度",
    "单位",
    "党员姓名",
    "救助方式",
    "困难类别",
    "金额（元）",
    "发放党组织",
    "发放方式",
    "发放日期",
    "经办人",
    "签字人",
    "回执",
    "签字日期",
    "登记人",
];

/// The heading's row: title, 填报单位 and 日期 line, caption above it.
const HEADING_ROW: u32 = 3;

/// 回执 as marks: 已签字, 已盖章, or both.
fn receipt_marks(voucher: &VoucherRow) -> String {
    let mut marks = Vec::new();
    if !voucher.signer_name.trim().is_empty() {
        marks.push("已签字");
    }
    if voucher.sealed {
        marks.push("已盖章");
    }
    marks.join("、")
}

/// 入帐凭证清单: one row per receipted payment, a total, and signatures.
pub fn vouchers_xlsx(sheet_data: &VoucherSheet<'_>) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    prepare(
        sheet,
        "入帐凭证清单",
        &[
            13.0, 6.0, 16.0, 9.0, 12.0, 10.0, 11.0, 16.0, 8.0, 11.0, 8.0, 8.0, 10.0, 11.0, 8.0,
        ],
    )?;
    let last_col = (HEADERS.len() - 1) as u16;
    let title = match sheet_data.year {
        0 => "困难党员救助慰问资金入帐凭证清单".to_owned(),
        year => format!("{year}年度困难党员救助慰问资金入帐凭证清单"),
    };
    sheet.merge_range(0, 0, 0, last_col, &title, &formats.title)?;
    let period = match (sheet_data.from, sheet_data.to) {
        (None, None) => String::new(),
        (from, to) => format!(
            "　　　　签字日期：{} 至 {}",
            from.map(|d| d.to_string()).unwrap_or_else(|| "起".into()),
            to.map(|d| d.to_string()).unwrap_or_else(|| "今".into())
        ),
    };
    let heading = format!(
        "填报单位：{}{period}　　　　日期：{}",
        sheet_data.filler,
        relief_runtime::forms::beijing_date(sheet_data.printed_at)
    );
    sheet.merge_range(1, 0, 1, last_col, &heading, &formats.plain)?;
    let rows: Vec<Vec<Cell>> = sheet_data
        .vouchers
        .iter()
        .map(|v| {
            let unit = sheet_data
                .units
                .get(&v.org_path)
                .cloned()
                .unwrap_or_else(|| v.org_name.clone());
            vec![
                Cell::Text(v.voucher_number.clone()),
                Cell::Count(i64::from(v.year)),
                Cell::Text(unit),
                Cell::Text(v.member_name.clone()),
                Cell::Text(relief_type(v.relief_type)),
                Cell::Text(category(v.hardship_category)),
                Cell::Yuan(Money::from_fen(v.amount)),
                Cell::Text(v.org_name.clone()),
                Cell::Text(method(v.method).to_owned()),
                Cell::Text(v.paid_date.to_string()),
                Cell::Text(v.paid_by.clone()),
                Cell::Text(v.signer_name.clone()),
                Cell::Text(receipt_marks(v)),
                Cell::Text(v.signed_date.to_string()),
                Cell::Text(v.recorded_by_name.clone()),
            ]
        })
        .collect();
    // The total sits right under the last voucher.
    let mut row = table(
        sheet,
        &formats,
        HEADING_ROW - 1,
        "凭证明细",
        &HEADERS,
        &rows,
    )? - 1;
    sheet.set_repeat_rows(HEADING_ROW, HEADING_ROW)?;
    let total: Money = sheet_data
        .vouchers
        .iter()
        .map(|v| Money::from_fen(v.amount))
        .sum();
    sheet.write_string_with_format(row, 5, "合计", &formats.header)?;
    sheet.write_number_with_format(row, 6, total.yuan_f64(), &formats.yuan)?;
    sheet.write_string_with_format(
        row,
        7,
        format!("{}笔", sheet_data.vouchers.len()),
        &formats.text,
    )?;
    row += 1;
    sheet.merge_range(
        row,
        0,
        row,
        last_col,
        &format!(
            "合计金额（大写）：{}",
            relief_runtime::forms::amount_in_capitals(total.fen())
        ),
        &formats.text,
    )?;
    row += 2;
    sheet.write_string(row, 0, "制表人（签字）：")?;
    sheet.write_string(row, 5, "财务负责人（签字）：")?;
    sheet.write_string(row, 10, "单位（盖章）：")?;
    sheet.write_string(row + 2, 10, "日期：　　　　年　　月　　日")?;
    workbook.save_to_buffer()
}
