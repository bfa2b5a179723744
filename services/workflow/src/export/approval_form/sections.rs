//! The applicant's half of the form: the heading, 基本情况, 家庭情况,
//! 家庭成员 and 困难情况 with the applicant's signature — what the member
//! declares when applying (measures §四.1).

use rust_xlsxwriter::XlsxError;

use super::layout::{Grid, HIDDEN, LAST_COL, ROW_POINTS, date_or_blank};
use super::{
    APPROVAL_FORM_TITLE, Applicant, ApprovalForm, Birth, FamilyMember, Household, ReliefMode,
};

/// 家庭成员 rows printed at least, blank ones for hand filling.
const MIN_FAMILY_ROWS: usize = 3;

/// The title, then who prints the form and which application it is.
pub(super) fn heading(grid: &mut Grid<'_>, form: &ApprovalForm) -> Result<(), XlsxError> {
    let row = grid.next_row(ROW_POINTS);
    grid.title(row, APPROVAL_FORM_TITLE)?;
    let row = grid.next_row(ROW_POINTS);
    grid.line(row, (0, 4), &format!("填报单位：{}", form.filler), false)?;
    grid.line(
        row,
        (5, LAST_COL),
        &format!("{}年度　编号：{}", form.year, form.reference),
        true,
    )
}

/// 基本情况: five rows of label and value cells.
pub(super) fn applicant(grid: &mut Grid<'_>, applicant: &Applicant) -> Result<(), XlsxError> {
    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (0, 0), "姓名")?;
    grid.value(row, (1, 1), &applicant.name)?;
    grid.label(row, (2, 2), "性别")?;
    grid.value(row, (3, 3), &applicant.sex)?;
    grid.label(row, (4, 4), "出生年月")?;
    grid.value(row, (5, 5), &birth(applicant.birth))?;
    grid.label(row, (6, 6), "民族")?;
    grid.value(
        row,
        (7, 7),
        applicant.ethnicity.as_deref().unwrap_or_default(),
    )?;

    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (0, 0), "入党时间")?;
    let joined = applicant
        .party_joined_on
        .map(|d| d.to_string())
        .unwrap_or_default();
    grid.value(row, (1, 1), &joined)?;
    grid.label(row, (2, 2), "身份证号")?;
    grid.value(row, (3, 5), &applicant.id_number)?;
    grid.label(row, (6, 6), "联系电话")?;
    grid.value(row, (7, 7), &applicant.phone)?;

    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (0, 0), "工作单位")?;
    grid.value(row, (1, 3), &applicant.work_unit)?;
    grid.label(row, (4, 4), "所在党支部")?;
    grid.value(row, (5, LAST_COL), &applicant.branch)?;

    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (0, 0), "困难类别")?;
    grid.value(row, (1, LAST_COL), &categories(applicant))?;

    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (0, 0), "申请救助方式")?;
    grid.value(row, (1, LAST_COL), &relief_boxes(applicant.relief))
}

/// 家庭情况: figures in yuan, the benefits received, other relief this year.
pub(super) fn household(grid: &mut Grid<'_>, household: &Household) -> Result<(), XlsxError> {
    let first = grid.next_row(ROW_POINTS);
    grid.label(first, (1, 1), "家庭人口")?;
    let people = grid.formats.people.clone();
    grid.number(first, (2, 2), Some(f64::from(household.size)), "", &people)?;
    grid.label(first, (3, 3), "家庭年收入")?;
    grid.money(first, (4, 5), household.annual_income_fen)?;
    grid.label(first, (6, 6), "人均月收入")?;
    grid.money(first, (7, 7), household.monthly_per_capita_fen)?;

    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (1, 1), "本人月收入")?;
    grid.money(row, (2, 3), household.own_monthly_income_fen)?;
    grid.label(row, (4, 4), "收入来源")?;
    grid.value(row, (5, LAST_COL), &household.income_source)?;

    let last = grid.next_row(ROW_POINTS);
    grid.label(last, (1, 1), "享受低保/优抚")?;
    let benefits = format!(
        "低保：{}　优抚：{}",
        yes_no(household.minimum_living_guarantee),
        yes_no(household.special_care)
    );
    grid.value(last, (2, 3), &benefits)?;
    grid.label(last, (4, 4), "本年度其他途径救助")?;
    grid.value(last, (5, LAST_COL), &other_relief(household))?;
    grid.block_label((first, last), "家庭情况")
}

/// 家庭成员: a heading row, then one row per member — blank rows up to
/// [`MIN_FAMILY_ROWS`], so a short household still leaves room to add one.
pub(super) fn family(grid: &mut Grid<'_>, family: &[FamilyMember]) -> Result<(), XlsxError> {
    let first = grid.next_row(ROW_POINTS);
    for (cols, heading) in [
        ((1, 1), "关系"),
        ((2, 2), "姓名"),
        ((3, 3), "年龄"),
        ((4, 4), "职业"),
        ((5, 6), "年收入"),
        ((7, 7), "健康状况"),
    ] {
        grid.label(first, cols, heading)?;
    }
    let age = grid.formats.age.clone();
    let mut last = first;
    for index in 0..family.len().max(MIN_FAMILY_ROWS) {
        last = grid.next_row(ROW_POINTS);
        match family.get(index) {
            Some(member) => {
                grid.value(last, (1, 1), &member.relation)?;
                grid.value(last, (2, 2), &member.name)?;
                grid.number(last, (3, 3), Some(f64::from(member.age)), "", &age)?;
                grid.value(last, (4, 4), &member.occupation)?;
                grid.money(last, (5, 6), member.annual_income_fen)?;
                grid.value(last, (7, 7), &member.health)?;
            }
            None => {
                for cols in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 6), (7, 7)] {
                    grid.value(last, cols, "")?;
                }
            }
        }
    }
    grid.block_label((first, last), "家庭成员")
}

/// 困难情况 in the applicant's words, and the applicant's signature.
pub(super) fn hardship(grid: &mut Grid<'_>, form: &ApprovalForm) -> Result<(), XlsxError> {
    let first = grid.next_row(ROW_POINTS);
    grid.body(first, (1, LAST_COL), &form.hardship, 3)?;
    let last = grid.next_row(ROW_POINTS);
    grid.sign(
        last,
        &format!(
            "申请人（签字）：　　　　　　　　申请日期：{}　",
            date_or_blank(form.applied_on)
        ),
    )?;
    grid.block_label((first, last), "困难情况")
}

/// 出生年月: `1965-03`, or the year alone when the reader may see no more.
fn birth(birth: Option<Birth>) -> String {
    match birth {
        Some(Birth::YearMonth(year, month)) => format!("{year}-{:02}", u8::from(month)),
        Some(Birth::Year(year)) => year.to_string(),
        None => String::new(),
    }
}

/// 困难类别, with 其他符合类别 after it when there are any.
fn categories(applicant: &Applicant) -> String {
    if applicant.other_categories.is_empty() {
        applicant.category.clone()
    } else {
        format!(
            "{}（其他符合类别：{}）",
            applicant.category,
            applicant.other_categories.join("、")
        )
    }
}

/// The two ways of relief as boxes, the chosen one filled.
fn relief_boxes(relief: Option<ReliefMode>) -> String {
    let tick = |mode| if relief == Some(mode) { "■" } else { "□" };
    format!(
        "{}一次性困难救助　　　　{}春节走访慰问",
        tick(ReliefMode::OneTime),
        tick(ReliefMode::SpringFestivalVisit)
    )
}

fn yes_no(value: bool) -> &'static str {
    if value { "是" } else { "否" }
}

/// 本年度其他途径救助: 无, or what and how much.
fn other_relief(household: &Household) -> String {
    match &household.other_relief {
        None => "无".to_owned(),
        Some(relief) => match relief.amount_fen {
            Some(fen) => format!("{} {}", relief.description, crate::domain::rules::yuan(fen)),
            None => format!("{}（金额{HIDDEN}）", relief.description),
        },
    }
}
