//! 困难党员救助金领取签收单 — the receipt a member signs when paid (measures
//! §4.5: only the member's signed or sealed receipt makes the payment a
//! voucher). One form per payment, each on its own A4 page: who receives
//! what and why, the amount in figures (元, two decimals) and in capitals
//! (大写), and the spaces for 领取人签字, 经办人 and 单位（盖章）. 填报单位 is
//! the organisation of who prints it.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use time::OffsetDateTime;

use super::{Formats, category, method, relief_type};
use crate::store::ReceiptFormRow;

/// One payment's form.
pub struct ReceiptForm<'a> {
    pub payment: &'a ReceiptFormRow,
    /// 单位 — the work unit of the paying organisation.
    pub unit: String,
}

/// The forms of one file.
pub struct ReceiptForms<'a> {
    /// 填报单位 — the caller's own organisation.
    pub filler: &'a str,
    pub printed_at: OffsetDateTime,
    pub forms: Vec<ReceiptForm<'a>>,
}

/// Rows of one form, its spacer included: each starts a page.
const FORM_ROWS: u32 = 14;
const LAST_COL: u16 = 3;

/// 签收单: the forms one under another, a page break after each.
pub fn receipt_forms_xlsx(forms: &ReceiptForms<'_>) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    relief_runtime::forms::a4_sheet(
        sheet,
        "签收单",
        relief_runtime::forms::Orientation::Portrait,
        &[14.0, 28.0, 14.0, 28.0],
    )?;
    if forms.forms.is_empty() {
        sheet.merge_range(
            0,
            0,
            0,
            LAST_COL,
            "困难党员救助金领取签收单",
            &formats.title,
        )?;
        sheet.write_string(2, 0, "（无待签收的发放）")?;
        return workbook.save_to_buffer();
    }
    let mut breaks = Vec::new();
    for (index, form) in forms.forms.iter().enumerate() {
        let top = index as u32 * FORM_ROWS;
        write_form(sheet, &formats, forms, form, top)?;
        if index + 1 < forms.forms.len() {
            breaks.push(top + FORM_ROWS);
        }
    }
    if !breaks.is_empty() {
        sheet.set_page_breaks(&breaks)?;
    }
    workbook.save_to_buffer()
}

fn write_form(
    sheet: &mut Worksheet,
    formats: &Formats,
    forms: &ReceiptForms<'_>,
    form: &ReceiptForm<'_>,
    top: u32,
) -> Result<(), XlsxError> {
    let p = form.payment;
    let label = &formats.header;
    let value = &formats.text;
    let figures = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0.00\"元\"")
        .set_align(FormatAlign::Left);
    sheet.set_row_height(top, 30)?;
    sheet.merge_range(
        top,
        0,
        top,
        LAST_COL,
        "困难党员救助金领取签收单",
        &formats.title,
    )?;
    sheet.merge_range(
        top + 1,
        0,
        top + 1,
        1,
        &format!("填报单位：{}", forms.filler),
        &formats.plain,
    )?;
    sheet.merge_range(
        top + 1,
        2,
        top + 1,
        LAST_COL,
        &format!(
            "打印时间：{}",
            relief_runtime::forms::beijing_minute(forms.printed_at)
        ),
        &formats.plain.clone().set_align(FormatAlign::Right),
    )?;
    let pairs: [(u32, [(&str, String); 2]); 6] = [
        (
            2,
            [
                ("领取人", p.member_name.clone()),
                ("年度", format!("{}年度", p.year)),
            ],
        ),
        (
            3,
            [("单位", form.unit.clone()), ("党组织", p.org_name.clone())],
        ),
        (
            4,
            [
                ("救助方式", relief_type(p.relief_type)),
                ("困难类别", category(p.hardship_category)),
            ],
        ),
        (
            5,
            [
                ("金额（小写）", String::new()),
                ("发放方式", method(p.method).to_owned()),
            ],
        ),
        (
            7,
            [
                ("发放日期", p.paid_date.to_string()),
                ("工委会议决定", p.meeting_number.clone()),
            ],
        ),
        (
            8,
            [
                ("经办人", p.paid_by.clone()),
                ("凭证号", p.voucher_number.clone().unwrap_or_default()),
            ],
        ),
    ];
    for (offset, [(left_label, left), (right_label, right)]) in pairs {
        let row = top + offset;
        sheet.set_row_height(row, 22)?;
        sheet.write_string_with_format(row, 0, left_label, label)?;
        sheet.write_string_with_format(row, 1, &left, value)?;
        sheet.write_string_with_format(row, 2, right_label, label)?;
        sheet.write_string_with_format(row, 3, &right, value)?;
    }
    // The figures as a number the sheet can sum, shown as 元 with two decimals.
    sheet.write_number_with_format(top + 5, 1, p.amount as f64 / 100.0, &figures)?;
    sheet.set_row_height(top + 6, 22)?;
    sheet.write_string_with_format(top + 6, 0, "金额（大写）", label)?;
    sheet.merge_range(
        top + 6,
        1,
        top + 6,
        LAST_COL,
        &relief_runtime::forms::amount_in_capitals(p.amount),
        value,
    )?;
    for (offset, text, height) in [(9, "领取人签字（盖章）", 48), (11, "单位（盖章）", 64)]
    {
        sheet.set_row_height(top + offset, height)?;
        sheet.write_string_with_format(top + offset, 0, text, label)?;
        sheet.merge_range(top + offset, 1, top + offset, LAST_COL, "", value)?;
    }
    sheet.set_row_height(top + 10, 36)?;
    sheet.write_string_with_format(top + 10, 0, "签字日期", label)?;
    sheet.write_string_with_format(top + 10, 1, "　　　　年　　月　　日", value)?;
    sheet.write_string_with_format(top + 10, 2, "经办人（签字）", label)?;
    sheet.write_string_with_format(top + 10, 3, "", value)?;
    sheet.set_row_height(top + 12, 36)?;
    sheet.merge_range(
        top + 12,
        0,
        top + 12,
        LAST_COL,
        "说明：救助慰问资金由领取人本人签字（盖章）后方可作为入帐凭证（《市直机关困难党员救助慰问办法》四、5）。",
        &formats.plain.clone().set_text_wrap(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    fn payment(amount: i64) -> ReceiptFormRow {
        ReceiptFormRow {
            disbursement_id: uuid::Uuid::nil(),
            method: 1,
            paid_date: time::macros::date!(2026 - 01 - 20),
            paid_by: "王经办".into(),
            amount,
            reversed: false,
            member_name: "张三".into(),
            org_id: 12,
            org_path: "/1/4/12/".into(),
            org_name: "预算科党支部".into(),
            year: 2026,
            relief_type: 2,
            hardship_category: 2,
            meeting_number: "2026年第1次".into(),
            voucher_number: None,
        }
    }

    #[test]
    fn each_form_prints_the_amount_in_figures_and_in_capitals_on_a_page_of_its_own() {
        let (first, second) = (payment(120_550), payment(300_000));
        let forms = ReceiptForms {
            filler: "预算科党支部",
            printed_at: time::macros::datetime!(2026-01-19 22:54 UTC),
            forms: vec![
                ReceiptForm {
                    payment: &first,
                    unit: "焦作市财政局".into(),
                },
                ReceiptForm {
                    payment: &second,
                    unit: "焦作市财政局".into(),
                },
            ],
        };
        let bytes = receipt_forms_xlsx(&forms).unwrap_or_default();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
            .unwrap_or_else(|err| panic!("not an xlsx: {err}"));
        let sheet = book
            .worksheet_range("签收单")
            .unwrap_or_else(|err| panic!("no sheet: {err}"));
        let text = |row: u32, col: u32| match sheet.get_value((row, col)) {
            Some(Data::String(s)) => s.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(text(6, 1), "壹仟贰佰零伍元伍角");
        assert_eq!(sheet.get_value((5, 1)), Some(&Data::Float(1205.5)));
        assert_eq!(text(FORM_ROWS + 6, 1), "叁仟元整");
        assert_eq!(text(1, 2), "打印时间：2026-01-20 06:54");
    }
}
