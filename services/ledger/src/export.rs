//! The register's forms as real .xlsx files with the headings of the seed's
//! attachments, laid out to print on A4 landscape with the title repeated,
//! and the signature and seal lines the paper process needs.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use time::Date;

/// One row of a form. Sensitive columns are `None`/masked for readers who may
/// not see them.
#[derive(Debug, Clone, Default)]
pub struct FormLine {
    /// 所在党组织
    pub org_name: String,
    /// 单位
    pub unit_name: String,
    pub name: String,
    /// 男 / 女
    pub sex: String,
    pub birth_date: Option<Date>,
    /// The birth date shows only its year (the line is masked: the month
    /// and day are the ID number's hidden digits).
    pub birth_year_only: bool,
    /// Full only for readers allowed to see it; masked otherwise.
    pub id_number: String,
    pub party_join_date: Option<Date>,
    pub work_unit: String,
    /// 在职 / 退休 / 下岗 / 其他
    pub employment: String,
    /// 健康状况; empty when masked.
    pub health: String,
    pub household_size: i32,
    pub annual_household_income_fen: Option<i64>,
    pub monthly_per_capita_fen: Option<i64>,
    /// 困难类别
    pub category: String,
    /// 主要困难原因
    pub cause: String,
    pub receives_dibao: bool,
    pub recognised: bool,
    pub active: bool,
    pub since: Option<Date>,
    pub until: Option<Date>,
    pub phone: String,
    pub remark: String,
}

pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// 《市直机关困难党员管理台账》 headings.
pub const REGISTER_HEADINGS: [&str; 21] = [
    "序号",
    "所在党组织",
    "姓名",
    "性别",
    "出生年月",
    "公民身份号码",
    "入党时间",
    "工作单位",
    "在职/退休",
    "健康状况",
    "家庭人口",
    "家庭年收入（元）",
    "人均月收入（元）",
    "困难类别",
    "主要困难原因",
    "享受低保",
    "是否认定",
    "状态",
    "列入时间",
    "联系电话",
    "备注",
];

/// 《____年度市直机关新增困难党员备案统计表》 headings.
pub const NEW_MEMBERS_HEADINGS: [&str; 14] = [
    "序号",
    "单位",
    "所在党支部",
    "姓名",
    "性别",
    "出生年月",
    "入党时间",
    "公民身份号码",
    "困难类别",
    "主要困难原因",
    "家庭人口",
    "家庭年收入（元）",
    "人均月收入（元）",
    "联系电话",
];

fn year_month(date: Option<Date>) -> String {
    date.map(|d| format!("{}.{:02}", d.year(), u8::from(d.month())))
        .unwrap_or_default()
}

/// 出生年月 of a line: year and month, or only the year when masked.
fn birth(line: &FormLine) -> String {
    match line.birth_date {
        Some(date) if line.birth_year_only => date.year().to_string(),
        date => year_month(date),
    }
}

fn full_date(date: Option<Date>) -> String {
    date.map(|d| format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

fn yuan(fen: Option<i64>) -> Option<f64> {
    // Display only: the figure is converted once for the sheet, never summed.
    fen.map(|fen| fen as f64 / 100.0)
}

struct Formats {
    title: Format,
    subtitle: Format,
    heading: Format,
    cell: Format,
    money: Format,
    footer: Format,
}

impl Formats {
    fn new() -> Self {
        let bordered = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_font_name("宋体")
            .set_font_size(10);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_name("黑体")
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: Format::new().set_font_name("宋体").set_font_size(11),
            heading: bordered.clone().set_bold().set_text_wrap(),
            cell: bordered.clone().set_text_wrap(),
            money: bordered.set_num_format("#,##0.00"),
            footer: Format::new().set_font_name("宋体").set_font_size(11),
        }
    }
}

/// Title, subtitle and headings; returns the first data row.
fn lay_out(
    sheet: &mut Worksheet,
    formats: &Formats,
    title: &str,
    subtitle: &str,
    headings: &[&str],
    widths: &[f64],
) -> Result<u32, XlsxError> {
    let last_col = (headings.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last_col, title, &formats.title)?;
    sheet.set_row_height(0, 32)?;
    sheet.merge_range(1, 0, 1, last_col, subtitle, &formats.subtitle)?;
    for (col, heading) in headings.iter().enumerate() {
        sheet.write_string_with_format(2, col as u16, *heading, &formats.heading)?;
    }
    sheet.set_row_height(2, 30)?;
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_center_horizontally(true);
    sheet.set_repeat_rows(0, 2)?;
    sheet.set_freeze_panes(3, 0)?;
    sheet.set_footer("&C第 &P 页，共 &N 页");
    Ok(3)
}

/// The signature and seal lines under a form (填表人, 审核人, 党组织盖章, 日期).
fn sign_off(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    last_col: u16,
) -> Result<(), XlsxError> {
    let quarter = last_col / 4;
    let lines = [
        (0, "填表人（签字）："),
        (quarter, "审核人（签字）："),
        (quarter * 2, "党组织（盖章）："),
        (quarter * 3, "日期：    年  月  日"),
    ];
    for (col, text) in lines {
        sheet.write_string_with_format(row + 1, col, text, &formats.footer)?;
    }
    sheet.set_row_height(row + 1, 36)?;
    Ok(())
}

/// 《市直机关困难党员管理台账》 of one subtree.
pub fn management_register(
    org_name: &str,
    generated_on: Date,
    lines: &[FormLine],
) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("管理台账")?;
    let widths = [
        5.0, 18.0, 8.0, 5.0, 9.0, 20.0, 9.0, 16.0, 8.0, 12.0, 6.0, 12.0, 11.0, 10.0, 22.0, 6.0,
        6.0, 7.0, 11.0, 13.0, 12.0,
    ];
    let subtitle = format!(
        "填报单位（党组织）：{org_name}　　　　生成日期：{}",
        full_date(Some(generated_on))
    );
    let mut row = lay_out(
        sheet,
        &formats,
        "市直机关困难党员管理台账",
        &subtitle,
        &REGISTER_HEADINGS,
        &widths,
    )?;
    for (index, line) in lines.iter().enumerate() {
        let texts: [(u16, String); 18] = [
            (0, (index + 1).to_string()),
            (1, line.org_name.clone()),
            (2, line.name.clone()),
            (3, line.sex.clone()),
            (4, birth(line)),
            (5, line.id_number.clone()),
            (6, year_month(line.party_join_date)),
            (7, line.work_unit.clone()),
            (8, line.employment.clone()),
            (9, line.health.clone()),
            (10, line.household_size.to_string()),
            (13, line.category.clone()),
            (14, line.cause.clone()),
            (15, if line.receives_dibao { "是" } else { "否" }.to_owned()),
            (16, if line.recognised { "是" } else { "否" }.to_owned()),
            (
                17,
                if line.active {
                    "在册".to_owned()
                } else {
                    format!("已移出（{}）", full_date(line.until))
                },
            ),
            (18, full_date(line.since)),
            (19, line.phone.clone()),
        ];
        for (col, text) in texts {
            sheet.write_string_with_format(row, col, &text, &formats.cell)?;
        }
        write_money(sheet, &formats, row, 11, line.annual_household_income_fen)?;
        write_money(sheet, &formats, row, 12, line.monthly_per_capita_fen)?;
        sheet.write_string_with_format(row, 20, &line.remark, &formats.cell)?;
        row += 1;
    }
    sign_off(sheet, &formats, row, (REGISTER_HEADINGS.len() - 1) as u16)?;
    workbook.save_to_buffer()
}

/// 《____年度市直机关新增困难党员备案统计表》 for `year`.
pub fn new_members_form(
    year: i32,
    org_name: &str,
    lines: &[FormLine],
) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(format!("{year}年度新增"))?;
    let widths = [
        5.0, 16.0, 18.0, 8.0, 5.0, 9.0, 9.0, 20.0, 10.0, 24.0, 6.0, 12.0, 11.0, 13.0,
    ];
    let title = format!("{year}年度市直机关新增困难党员备案统计表");
    let subtitle = format!(
        "填报单位（党组织）：{org_name}　　　　共 {} 人",
        lines.len()
    );
    let mut row = lay_out(
        sheet,
        &formats,
        &title,
        &subtitle,
        &NEW_MEMBERS_HEADINGS,
        &widths,
    )?;
    for (index, line) in lines.iter().enumerate() {
        let texts: [(u16, String); 12] = [
            (0, (index + 1).to_string()),
            (1, line.unit_name.clone()),
            (2, line.org_name.clone()),
            (3, line.name.clone()),
            (4, line.sex.clone()),
            (5, birth(line)),
            (6, year_month(line.party_join_date)),
            (7, line.id_number.clone()),
            (8, line.category.clone()),
            (9, line.cause.clone()),
            (10, line.household_size.to_string()),
            (13, line.phone.clone()),
        ];
        for (col, text) in texts {
            sheet.write_string_with_format(row, col, &text, &formats.cell)?;
        }
        write_money(sheet, &formats, row, 11, line.annual_household_income_fen)?;
        write_money(sheet, &formats, row, 12, line.monthly_per_capita_fen)?;
        row += 1;
    }
    sign_off(
        sheet,
        &formats,
        row,
        (NEW_MEMBERS_HEADINGS.len() - 1) as u16,
    )?;
    workbook.save_to_buffer()
}

fn write_money(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    col: u16,
    fen: Option<i64>,
) -> Result<(), XlsxError> {
    match yuan(fen) {
        Some(value) => sheet.write_number_with_format(row, col, value, &formats.money)?,
        None => sheet.write_string_with_format(row, col, "（已隐藏）", &formats.cell)?,
    };
    Ok(())
}
