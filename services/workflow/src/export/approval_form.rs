//! 《生活困难党员救助审批表》 — the relief approval form of one application
//! (measures §四.1, the notice's 附件2): the applicant's facts and every
//! level's opinion on one A4 page, the paper the committee files.
//!
//! The form is a pure function of [`ApprovalForm`], which holds display
//! values and plain typed values only (no proto types, no database): the
//! caller decides what the reader may see — the ID number comes masked, an
//! income the reader may not see comes as `None` — and this module decides
//! only how the paper looks. A level that has not decided yet prints its
//! block empty, with the signature, seal and date spaces, so the same form
//! is printed before a meeting and filled in by hand.

mod layout;
mod opinions;
mod sections;
#[cfg(test)]
mod tests;

use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};
use time::{Date, Month, OffsetDateTime};

use layout::Grid;

/// The form's title, printed centred above the grid.
pub const APPROVAL_FORM_TITLE: &str = "生活困难党员救助审批表";

/// Everything one printed approval form shows.
#[derive(Debug, Clone)]
pub struct ApprovalForm {
    /// 填报单位 — the organisation of whoever prints the form.
    pub filler: String,
    /// 年度 the application belongs to.
    pub year: i32,
    /// 编号 — the application's reference, so the filed paper leads back to
    /// its record.
    pub reference: String,
    /// When it was printed; shown in the page footer in Beijing time.
    pub printed_at: OffsetDateTime,
    /// 申请日期 — beside the applicant's signature; `None` prints a blank date.
    pub applied_on: Option<Date>,
    pub applicant: Applicant,
    /// 家庭情况
    pub household: Household,
    /// 家庭成员 — one row each, in the applicant's order.
    pub family: Vec<FamilyMember>,
    /// 困难情况 — the hardship in the applicant's words.
    pub hardship: String,
    /// 党支部初审意见 — `None` until the branch has decided.
    pub branch: Option<Opinion>,
    /// 公示情况 — `None` until the notice has ended.
    pub notice: Option<NoticeOutcome>,
    /// 上级党组织复审意见
    pub superior: SuperiorReview,
    /// 工委组织部意见 — `None` until the department has proposed.
    pub department: Option<DepartmentOpinion>,
    /// 工委会议决定 — `None` until the meeting has decided.
    pub committee: Option<CommitteeDecision>,
}

/// The applicant's basic information (申请人基本情况).
#[derive(Debug, Clone, Default)]
pub struct Applicant {
    /// 姓名
    pub name: String,
    /// 性别: 男 / 女.
    pub sex: String,
    /// 出生年月; `None` prints blank.
    pub birth: Option<Birth>,
    /// 民族; `None` prints blank.
    pub ethnicity: Option<String>,
    /// 入党时间
    pub party_joined_on: Option<Date>,
    /// 工作单位
    pub work_unit: String,
    /// 所在党支部
    pub branch: String,
    /// 身份证号, already masked as the reader may see it.
    pub id_number: String,
    /// 联系电话
    pub phone: String,
    /// 困难类别 the application is made under, in words (e.g. 重大疾病).
    pub category: String,
    /// 其他符合类别 — further categories the applicant also meets.
    pub other_categories: Vec<String>,
    /// 申请救助方式; `None` prints both boxes empty.
    pub relief: Option<ReliefMode>,
}

/// 出生年月 as far as the reader may see it: a masked form shows the year
/// only, because month and day are the ID number's hidden digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Birth {
    YearMonth(i32, Month),
    Year(i32),
}

/// 申请救助方式 (measures §三): the two ways of relief, printed as two
/// boxes with the chosen one marked, as on the paper form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReliefMode {
    /// 一次性困难救助
    OneTime,
    /// 春节走访慰问
    SpringFestivalVisit,
}

/// 家庭情况. Amounts are fen; `None` is an amount the reader may not see,
/// printed as hidden rather than as zero.
#[derive(Debug, Clone, Default)]
pub struct Household {
    /// 家庭人口
    pub size: u32,
    /// 家庭年收入
    pub annual_income_fen: Option<i64>,
    /// 人均月收入
    pub monthly_per_capita_fen: Option<i64>,
    /// 本人月收入
    pub own_monthly_income_fen: Option<i64>,
    /// 收入来源
    pub income_source: String,
    /// 享受低保
    pub minimum_living_guarantee: bool,
    /// 享受优抚
    pub special_care: bool,
    /// 本年度其他途径救助; `None` when there was none.
    pub other_relief: Option<OtherRelief>,
}

/// Relief received through other channels this year (it rules out a
/// one-time relief, measures §三, so the committee must see it).
#[derive(Debug, Clone, Default)]
pub struct OtherRelief {
    pub description: String,
    pub amount_fen: Option<i64>,
}

/// One row of 家庭成员.
#[derive(Debug, Clone, Default)]
pub struct FamilyMember {
    /// 关系 (与本人关系)
    pub relation: String,
    pub name: String,
    pub age: u32,
    /// 职业
    pub occupation: String,
    /// 年收入 in fen; `None` when hidden from the reader.
    pub annual_income_fen: Option<i64>,
    /// 健康状况, already masked as the reader may see it.
    pub health: String,
}

/// A review level's opinion: what it found, what it decided, and when.
#[derive(Debug, Clone)]
pub struct Opinion {
    /// 核查情况 — the written findings.
    pub findings: String,
    /// 结论 in words, e.g. 同意上报.
    pub decision: String,
    pub decided_on: Date,
}

/// 公示情况 — the 7-day public notice in the unit.
#[derive(Debug, Clone)]
pub struct NoticeOutcome {
    pub from: Date,
    pub to: Date,
    /// 公示结果 in words, e.g. 公示期满无异议.
    pub result: String,
    /// 异议 — objections raised.
    pub objections: u32,
}

/// 上级党组织复审 — which a branch directly under the committee skips
/// (measures §四.3), and the form must say so rather than look unfinished.
#[derive(Debug, Clone)]
pub enum SuperiorReview {
    /// Not reviewed yet: a blank block.
    Pending,
    /// 工委直属，不经复审.
    Skipped,
    Reviewed(Opinion),
}

/// 工委组织部意见 — the department's proposal to the meeting.
#[derive(Debug, Clone)]
pub struct DepartmentOpinion {
    pub opinion: String,
    /// 拟救助方式 in words.
    pub relief_type: String,
    /// 拟救助金额 in fen.
    pub amount_fen: i64,
    pub proposed_on: Date,
}

/// 工委会议决定 — the meeting's collective decision.
#[derive(Debug, Clone)]
pub struct CommitteeDecision {
    /// 会议期次, e.g. 2026年第1次.
    pub meeting: String,
    pub meeting_date: Date,
    /// 决定 in words, e.g. 同意给予一次性困难救助.
    pub decision: String,
    /// 救助方式 decided, in words.
    pub relief_type: String,
    /// 金额 in fen; printed in figures and in capitals (大写).
    pub amount_fen: i64,
}

/// The approval form of one application as an .xlsx file: one A4 portrait
/// sheet, the grid of the paper form.
pub fn approval_form(form: &ApprovalForm) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    lay_out(workbook.add_worksheet(), form)?;
    workbook.save_to_buffer()
}

/// Writes the form on `sheet`; returns the grid's height in points, which
/// tells whether a case fits the page at full size.
fn lay_out(sheet: &mut Worksheet, form: &ApprovalForm) -> Result<f64, XlsxError> {
    let mut grid = Grid::new(sheet, form.printed_at)?;
    sections::heading(&mut grid, form)?;
    sections::applicant(&mut grid, &form.applicant)?;
    sections::household(&mut grid, &form.household)?;
    sections::family(&mut grid, &form.family)?;
    sections::hardship(&mut grid, form)?;
    opinions::branch(&mut grid, form.branch.as_ref())?;
    opinions::notice(&mut grid, form.notice.as_ref())?;
    opinions::superior(&mut grid, &form.superior)?;
    opinions::department(&mut grid, form.department.as_ref())?;
    opinions::committee(&mut grid, form.committee.as_ref())?;
    grid.finish()
}
