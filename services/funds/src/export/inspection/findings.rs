//! The finding sheets of the 专项检查报告: one table each, led by the
//! member's name (or the time, for reversals), its heading repeated on every
//! printed page, signature lines below.

use relief_proto::funds::v1 as pb;
use rust_xlsxwriter::{Worksheet, XlsxError};

use super::super::{
    Cell, Formats, beijing_text, category, date, detail_sheet, money, prepare, relief_type, unit,
};
use super::{InspectionExtras, SIGNED};
use crate::domain::account::PostingKind;

fn yes_no(value: bool) -> Cell {
    Cell::Text(if value { "是" } else { "否" }.to_owned())
}

pub(super) fn unpaid_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &pb::InspectionReport,
    extras: &InspectionExtras,
) -> Result<(), XlsxError> {
    prepare(sheet, "拨付未发放", &[12.0, 20.0, 22.0, 14.0, 14.0, 10.0])?;
    let rows: Vec<Vec<Cell>> = report
        .unpaid_allocations
        .iter()
        .map(|u| {
            vec![
                Cell::Text(u.member_name.clone()),
                Cell::Text(extras.unit(&u.unit)),
                Cell::Text(unit(&u.unit)),
                Cell::Yuan(money(&u.amount)),
                Cell::Text(date(&u.allocated_date)),
                Cell::Count(i64::from(u.days_outstanding)),
            ]
        })
        .collect();
    detail_sheet(
        sheet,
        formats,
        "拨付后逾期未发放",
        &[
            "党员姓名",
            "单位",
            "党组织",
            "金额（元）",
            "拨付日期",
            "天数",
        ],
        &rows,
        &SIGNED,
    )
}

pub(super) fn missing_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &pb::InspectionReport,
    extras: &InspectionExtras,
) -> Result<(), XlsxError> {
    prepare(sheet, "发放无回执", &[12.0, 20.0, 22.0, 14.0, 14.0, 10.0])?;
    let rows: Vec<Vec<Cell>> = report
        .receipts_missing
        .iter()
        .map(|m| {
            vec![
                Cell::Text(m.member_name.clone()),
                Cell::Text(extras.unit(&m.unit)),
                Cell::Text(unit(&m.unit)),
                Cell::Yuan(money(&m.amount)),
                Cell::Text(date(&m.paid_date)),
                Cell::Count(i64::from(m.days_outstanding)),
            ]
        })
        .collect();
    detail_sheet(
        sheet,
        formats,
        "发放后逾期无签字回执",
        &[
            "党员姓名",
            "单位",
            "党组织",
            "金额（元）",
            "发放日期",
            "天数",
        ],
        &rows,
        &SIGNED,
    )
}

pub(super) fn repeat_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &pb::InspectionReport,
    extras: &InspectionExtras,
) -> Result<(), XlsxError> {
    prepare(
        sheet,
        "重复救助",
        &[12.0, 20.0, 22.0, 8.0, 14.0, 14.0, 18.0],
    )?;
    let rows: Vec<Vec<Cell>> = report
        .repeat_payments
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.member_name.clone()),
                Cell::Text(extras.unit(&r.unit)),
                Cell::Text(unit(&r.unit)),
                Cell::Count(r.allocation_ids.len() as i64),
                Cell::Yuan(money(&r.total)),
                yes_no(r.special_case_recorded),
                Cell::Text(extras.vouchers_of(&r.allocation_ids)),
            ]
        })
        .collect();
    detail_sheet(
        sheet,
        formats,
        "年度内重复救助",
        &[
            "党员姓名",
            "单位",
            "党组织",
            "次数",
            "合计（元）",
            "工委特殊情况",
            "凭证号",
        ],
        &rows,
        &SIGNED,
    )
}

pub(super) fn above_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &pb::InspectionReport,
    extras: &InspectionExtras,
) -> Result<(), XlsxError> {
    prepare(
        sheet,
        "超标准",
        &[12.0, 20.0, 16.0, 14.0, 14.0, 14.0, 12.0, 18.0, 22.0],
    )?;
    let rows: Vec<Vec<Cell>> = report
        .above_standard
        .iter()
        .map(|a| {
            vec![
                Cell::Text(a.member_name.clone()),
                Cell::Text(extras.unit(&a.unit)),
                Cell::Text(relief_type(a.relief_type)),
                Cell::Text(category(a.hardship_category)),
                Cell::Yuan(money(&a.amount)),
                Cell::Yuan(money(&a.standard_amount)),
                yes_no(a.special_case),
                Cell::Text(extras.vouchers_of(std::slice::from_ref(&a.allocation_id))),
                Cell::Text(unit(&a.unit)),
            ]
        })
        .collect();
    detail_sheet(
        sheet,
        formats,
        "超标准救助",
        &[
            "党员姓名",
            "单位",
            "救助方式",
            "困难类别",
            "金额（元）",
            "标准（元）",
            "工委特殊情况",
            "凭证号",
            "党组织",
        ],
        &rows,
        &SIGNED,
    )
}

pub(super) fn reversal_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &pb::InspectionReport,
) -> Result<(), XlsxError> {
    prepare(sheet, "冲销", &[18.0, 12.0, 14.0, 30.0, 20.0])?;
    let rows: Vec<Vec<Cell>> = report
        .reversals
        .iter()
        .map(|r| {
            vec![
                Cell::Text(beijing_text(r.post_time.as_ref())),
                Cell::Text(
                    pb::PostingKind::try_from(r.reversed_kind)
                        .ok()
                        .and_then(PostingKind::from_proto)
                        .map(|k| k.chinese())
                        .unwrap_or("未知")
                        .to_owned(),
                ),
                Cell::Yuan(money(&r.amount)),
                Cell::Text(r.reason.clone()),
                Cell::Text(r.authorised_by.clone()),
            ]
        })
        .collect();
    detail_sheet(
        sheet,
        formats,
        "冲销分录",
        &[
            "冲销时间（北京时间）",
            "原分录类别",
            "金额（元）",
            "冲销原因",
            "批准人",
        ],
        &rows,
        &SIGNED,
    )
}
