//! 入帐凭证清单 — the vouchers as one printable sheet, with a total and
//! signature lines.

use relief_proto::funds::v1 as pb;
use rust_xlsxwriter::{Workbook, XlsxError};

use super::{Cell, Formats, category, prepare, relief_type, table};
use crate::domain::money::Money;
use crate::store::VoucherRow;

/// 入帐凭证清单: one row per receipted payment, a total, and signatures.
pub fn vouchers_xlsx(year: i32, vouchers: &[VoucherRow]) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    prepare(
        sheet,
        "入帐凭证清单",
        &[
            16.0, 8.0, 24.0, 12.0, 16.0, 14.0, 12.0, 10.0, 12.0, 10.0, 12.0, 12.0, 8.0, 20.0, 10.0,
        ],
    )?;
    let title = if year == 0 {
        "困难党员救助慰问资金入帐凭证清单".to_owned()
    } else {
        format!("{year}年度困难党员救助慰问资金入帐凭证清单")
    };
    sheet.merge_range(0, 0, 0, 14, &title, &formats.title)?;
    let headers = [
        "凭证号",
        "年度",
        "单位",
        "党员姓名",
        "救助方式",
        "困难类别",
        "金额（元）",
        "发放方式",
        "发放日期",
        "经办人",
        "签字人",
        "签字日期",
        "盖章",
        "回执扫描件SHA-256",
        "登记人",
    ];
    let rows: Vec<Vec<Cell>> = vouchers
        .iter()
        .map(|v| {
            vec![
                Cell::Text(v.voucher_number.clone()),
                Cell::Count(i64::from(v.year)),
                Cell::Text(v.org_name.clone()),
                Cell::Text(v.member_name.clone()),
                Cell::Text(relief_type(v.relief_type)),
                Cell::Text(category(v.hardship_category)),
                Cell::Yuan(Money::from_fen(v.amount)),
                Cell::Text(
                    match pb::DisbursementMethod::try_from(v.method) {
                        Ok(pb::DisbursementMethod::Cash) => "现金",
                        Ok(pb::DisbursementMethod::BankTransfer) => "银行转账",
                        _ => "未知",
                    }
                    .to_owned(),
                ),
                Cell::Text(v.paid_date.to_string()),
                Cell::Text(v.paid_by.clone()),
                Cell::Text(v.signer_name.clone()),
                Cell::Text(v.signed_date.to_string()),
                Cell::Text(if v.sealed { "是" } else { "否" }.to_owned()),
                Cell::Text(v.scan_sha256.clone()),
                Cell::Text(v.recorded_by_name.clone()),
            ]
        })
        .collect();
    // The total sits right under the last voucher.
    let mut row = table(sheet, &formats, 2, "凭证明细", &headers, &rows)? - 1;
    let total: Money = vouchers.iter().map(|v| Money::from_fen(v.amount)).sum();
    sheet.write_string_with_format(row, 5, "合计", &formats.header)?;
    sheet.write_number_with_format(row, 6, total.yuan_f64(), &formats.yuan)?;
    sheet.write_string_with_format(row, 7, format!("{}笔", vouchers.len()), &formats.text)?;
    row += 2;
    sheet.write_string(row, 0, "制表人（签字）：")?;
    sheet.write_string(row, 5, "财务负责人（签字）：")?;
    sheet.write_string(row, 10, "单位（盖章）：")?;
    workbook.save_to_buffer()
}
