//! 《市直机关困难党员管理台账》 of a subtree: rows grouped by unit, then
//! branch, in the tree's order (as the caller lists them), a 合计, and a
//! second sheet with the long text — family, own income, the hardship in
//! full, relief received, why a row was removed, the member's phone.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::{
    Column, FormHeader, FormLine, Formats, HIDDEN, birth, col, date, family_text, headings,
    own_income_text, relief_text, sign_off, status_text, totals, write_household,
};

const TITLE: &str = "市直机关困难党员管理台账";

/// The first sheet: the short columns.
pub(super) const COLUMNS: [Column; 18] = [
    ("序号", 4.0),
    ("单位", 9.0),
    ("所在党支部", 9.0),
    ("姓名", 6.5),
    ("性别", 3.5),
    ("出生日期", 10.5),
    ("公民身份号码", 17.5),
    ("入党时间", 10.5),
    ("就业状况", 5.0),
    ("健康状况", 7.0),
    ("家庭人口", 4.5),
    ("家庭年收入（元）", 10.0),
    ("人均月收入（元）", 9.0),
    ("困难类别", 7.5),
    ("主要困难原因", 11.0),
    ("享受低保", 4.5),
    ("认定", 4.5),
    ("状态", 10.5),
];

/// The second sheet: the long text, by the same 序号 and 姓名.
pub(super) const DETAIL_COLUMNS: [Column; 9] = [
    ("序号", 4.0),
    ("姓名", 6.5),
    ("工作单位", 12.0),
    ("家庭成员情况", 32.0),
    ("本人收入及来源", 13.0),
    ("困难情况", 34.0),
    ("帮扶情况", 26.0),
    ("移出原因", 10.0),
    ("联系电话", 12.0),
];

/// The headings of the first sheet.
pub const REGISTER_HEADINGS: [&str; 18] = headings(&COLUMNS);

/// The headings of the second sheet.
pub const REGISTER_DETAIL_HEADINGS: [&str; 9] = headings(&DETAIL_COLUMNS);

/// The register of `lines`, in the order given.
pub fn management_register(header: &FormHeader, lines: &[FormLine]) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let subtitle = header.subtitle(&format!("　　共 {} 人", lines.len()));

    let sheet = workbook.add_worksheet();
    let mut row = super::lay_out(sheet, "管理台账", &formats, TITLE, &subtitle, &COLUMNS)?;
    let at = |heading: &str| col(&COLUMNS, heading);
    for (index, line) in lines.iter().enumerate() {
        sheet.write_number_with_format(row, 0, (index + 1) as f64, &formats.number)?;
        let texts = [
            ("单位", line.unit_name.clone()),
            ("所在党支部", line.org_name.clone()),
            ("姓名", line.name.clone()),
            ("性别", line.sex.clone()),
            ("出生日期", birth(line)),
            ("公民身份号码", line.id_number.clone()),
            ("入党时间", date(line.party_join_date)),
            ("就业状况", line.employment.clone()),
            (
                "健康状况",
                line.health.clone().unwrap_or_else(|| HIDDEN.to_owned()),
            ),
            ("困难类别", line.category.clone()),
            ("主要困难原因", line.cause.clone()),
            ("享受低保", yes_no(line.receives_dibao)),
            ("认定", yes_no(line.recognised)),
            ("状态", status_text(line)),
        ];
        for (heading, text) in texts {
            sheet.write_string_with_format(row, at(heading), &text, &formats.cell)?;
        }
        write_household(sheet, &formats, row, &COLUMNS, line)?;
        row += 1;
    }
    let listed: Vec<&FormLine> = lines.iter().collect();
    let row = totals(sheet, &formats, row, &COLUMNS, &listed)?;
    sign_off(sheet, &formats, row, (COLUMNS.len() - 1) as u16)?;

    let detail = workbook.add_worksheet();
    let mut row = super::lay_out(
        detail,
        "家庭及帮扶情况",
        &formats,
        &format!("{TITLE}（家庭及帮扶情况）"),
        &subtitle,
        &DETAIL_COLUMNS,
    )?;
    let at = |heading: &str| col(&DETAIL_COLUMNS, heading);
    for (index, line) in lines.iter().enumerate() {
        detail.write_number_with_format(row, 0, (index + 1) as f64, &formats.number)?;
        detail.write_string_with_format(row, at("姓名"), &line.name, &formats.cell)?;
        let texts = [
            ("工作单位", line.work_unit.clone()),
            ("家庭成员情况", family_text(line)),
            ("本人收入及来源", own_income_text(line)),
            ("困难情况", line.description.clone()),
            ("帮扶情况", relief_text(line)),
            ("移出原因", line.removal_reason.clone()),
            ("联系电话", line.phone.clone()),
        ];
        for (heading, text) in texts {
            detail.write_string_with_format(row, at(heading), &text, &formats.long)?;
        }
        row += 1;
    }
    sign_off(detail, &formats, row, (DETAIL_COLUMNS.len() - 1) as u16)?;
    workbook.save_to_buffer()
}

fn yes_no(yes: bool) -> String {
    if yes { "是" } else { "否" }.to_owned()
}
