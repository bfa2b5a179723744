//! 《____年度市直机关新增困难党员备案统计表》: one row per person newly on
//! the register in the year (the caller passes one line per person), with
//! 认定 marking whether the department has recognised the case yet, a 合计,
//! and a second sheet with the long text — family, the hardship in full, the
//! branch's opinion and notice, remarks.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::{
    Column, FormHeader, FormLine, Formats, HIDDEN, birth, col, date, family_text, headings,
    sign_off, totals, write_household,
};

/// The first sheet: the short columns.
pub(super) const COLUMNS: [Column; 17] = [
    ("序号", 4.0),
    ("单位", 9.0),
    ("所在党支部", 9.0),
    ("姓名", 6.5),
    ("性别", 3.5),
    ("出生日期", 10.5),
    ("入党时间", 10.5),
    ("公民身份号码", 17.5),
    ("就业状况", 5.0),
    ("健康状况", 7.0),
    ("家庭人口", 4.5),
    ("家庭年收入（元）", 10.0),
    ("人均月收入（元）", 9.0),
    ("困难类别", 7.5),
    ("主要困难原因", 11.0),
    ("认定", 6.0),
    ("联系电话", 12.0),
];

/// The second sheet: the long text, by the same 序号 and 姓名.
pub(super) const DETAIL_COLUMNS: [Column; 6] = [
    ("序号", 4.0),
    ("姓名", 6.5),
    ("家庭成员", 36.0),
    ("困难情况", 40.0),
    ("支部意见/公示情况", 26.0),
    ("备注", 18.0),
];

pub const NEW_MEMBERS_HEADINGS: [&str; 17] = headings(&COLUMNS);

pub const NEW_MEMBERS_DETAIL_HEADINGS: [&str; 6] = headings(&DETAIL_COLUMNS);

/// The form of `year` for `people`, one line each, in the order given.
pub fn new_members_form(
    year: i32,
    header: &FormHeader,
    people: &[FormLine],
) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let title = format!("{year}年度市直机关新增困难党员备案统计表");
    let recognised = people.iter().filter(|line| line.recognised).count();
    let subtitle = header.subtitle(&format!(
        "　　共 {} 人（已认定 {recognised} 人，待认定 {} 人）",
        people.len(),
        people.len() - recognised
    ));

    let sheet = workbook.add_worksheet();
    let mut row = super::lay_out(
        sheet,
        &format!("{year}年度新增"),
        &formats,
        &title,
        &subtitle,
        &COLUMNS,
    )?;
    let at = |heading: &str| col(&COLUMNS, heading);
    for (index, line) in people.iter().enumerate() {
        sheet.write_number_with_format(row, 0, (index + 1) as f64, &formats.number)?;
        let texts = [
            ("单位", line.unit_name.clone()),
            ("所在党支部", line.org_name.clone()),
            ("姓名", line.name.clone()),
            ("性别", line.sex.clone()),
            ("出生日期", birth(line)),
            ("入党时间", date(line.party_join_date)),
            ("公民身份号码", line.id_number.clone()),
            ("就业状况", line.employment.clone()),
            (
                "健康状况",
                line.health.clone().unwrap_or_else(|| HIDDEN.to_owned()),
            ),
            ("困难类别", line.category.clone()),
            ("主要困难原因", line.cause.clone()),
            (
                "认定",
                if line.recognised {
                    "已认定"
                } else {
                    "待认定"
                }
                .to_owned(),
            ),
            ("联系电话", line.phone.clone()),
        ];
        for (heading, text) in texts {
            sheet.write_string_with_format(row, at(heading), &text, &formats.cell)?;
        }
        write_household(sheet, &formats, row, &COLUMNS, line)?;
        row += 1;
    }
    let listed: Vec<&FormLine> = people.iter().collect();
    let row = totals(sheet, &formats, row, &COLUMNS, &listed)?;
    sign_off(sheet, &formats, row, (COLUMNS.len() - 1) as u16)?;

    let detail = workbook.add_worksheet();
    let mut row = super::lay_out(
        detail,
        "家庭及困难情况",
        &formats,
        &format!("{title}（家庭及困难情况）"),
        &subtitle,
        &DETAIL_COLUMNS,
    )?;
    let at = |heading: &str| col(&DETAIL_COLUMNS, heading);
    for (index, line) in people.iter().enumerate() {
        detail.write_number_with_format(row, 0, (index + 1) as f64, &formats.number)?;
        detail.write_string_with_format(row, at("姓名"), &line.name, &formats.cell)?;
        let texts = [
            ("家庭成员", family_text(line)),
            ("困难情况", line.description.clone()),
            ("支部意见/公示情况", line.branch_opinion.clone()),
            ("备注", line.remark.clone()),
        ];
        for (heading, text) in texts {
            detail.write_string_with_format(row, at(heading), &text, &formats.long)?;
        }
        row += 1;
    }
    sign_off(detail, &formats, row, (DETAIL_COLUMNS.len() - 1) as u16)?;
    workbook.save_to_buffer()
}
