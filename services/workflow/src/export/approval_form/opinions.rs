//! The reviewers' half of the form: one block per level (measures §四.2–
//! §四.4) — the branch, the public notice, the superior organisation, the
//! committee's department and its meeting — each with its signature, seal
//! and date. A level that has not decided prints the same block empty, so
//! the paper can be filled in by hand; never a placeholder word.

use relief_runtime::forms::amount_in_capitals;
use rust_xlsxwriter::XlsxError;

use super::layout::{BLANK_DATE, Grid, LAST_COL, ROW_POINTS, SIGN_POINTS, date_or_blank};
use super::{CommitteeDecision, DepartmentOpinion, NoticeOutcome, Opinion, SuperiorReview};

/// What the superior block says for a branch directly under the committee.
pub(super) const SKIPPED_SUPERIOR: &str = "工委直属，不经复审";

/// Lines left for an opinion's findings.
const FINDINGS_LINES: u32 = 2;

/// 党支部初审意见.
pub(super) fn branch(grid: &mut Grid<'_>, opinion: Option<&Opinion>) -> Result<(), XlsxError> {
    review(
        grid,
        opinion,
        "党支部初审意见",
        "初审结论",
        "党支部书记（签字）：　　　　　　　（党支部盖章）",
    )
}

/// 公示情况: the notice's dates, its result and the objections raised.
pub(super) fn notice(grid: &mut Grid<'_>, notice: Option<&NoticeOutcome>) -> Result<(), XlsxError> {
    let (period, objections, result) = match notice {
        Some(n) => (
            format!("{} 至 {}", n.from, n.to),
            format!("{} 件", n.objections),
            n.result.as_str(),
        ),
        None => (
            format!("{BLANK_DATE} 至 {BLANK_DATE}"),
            "　　件".to_owned(),
            "",
        ),
    };
    let first = grid.next_row(ROW_POINTS);
    grid.label(first, (1, 1), "公示起止日期")?;
    grid.value(first, (2, LAST_COL), &period)?;
    let last = grid.next_row(ROW_POINTS);
    grid.label(last, (1, 1), "公示结果")?;
    grid.value(last, (2, 5), result)?;
    grid.label(last, (6, 6), "异议")?;
    grid.value(last, (7, 7), &objections)?;
    grid.block_label((first, last), "公示情况")
}

/// 上级党组织复审意见, or the words that say the level does not exist for
/// this branch.
pub(super) fn superior(grid: &mut Grid<'_>, review_: &SuperiorReview) -> Result<(), XlsxError> {
    let opinion = match review_ {
        SuperiorReview::Skipped => {
            let row = grid.next_row(SIGN_POINTS);
            grid.value(row, (1, LAST_COL), SKIPPED_SUPERIOR)?;
            return grid.block_label((row, row), "上级党组织复审意见");
        }
        SuperiorReview::Pending => None,
        SuperiorReview::Reviewed(opinion) => Some(opinion),
    };
    review(
        grid,
        opinion,
        "上级党组织复审意见",
        "复审结论",
        "负责人（签字）：　　　　　　　（上级党组织盖章）",
    )
}

/// 工委组织部意见: the opinion, the proposed type and amount.
pub(super) fn department(
    grid: &mut Grid<'_>,
    opinion: Option<&DepartmentOpinion>,
) -> Result<(), XlsxError> {
    let first = grid.next_row(ROW_POINTS);
    let text = opinion.map_or("", |o| o.opinion.as_str());
    grid.body(first, (1, LAST_COL), text, FINDINGS_LINES)?;
    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (1, 1), "拟救助方式")?;
    grid.value(row, (2, 3), opinion.map_or("", |o| o.relief_type.as_str()))?;
    grid.label(row, (4, 4), "拟救助金额")?;
    match opinion {
        Some(o) => grid.money(row, (5, LAST_COL), Some(o.amount_fen))?,
        None => grid.value(row, (5, LAST_COL), "")?,
    }
    let last = grid.next_row(ROW_POINTS);
    grid.sign(
        last,
        &sign_line(
            "经办人（签字）：　　　　　　　（工委组织部盖章）",
            opinion.map(|o| o.proposed_on),
        ),
    )?;
    grid.block_label((first, last), "工委组织部意见")
}

/// 工委会议决定: the meeting, the decision, the amount in figures and in
/// capitals (大写), as finance reads it off the form.
pub(super) fn committee(
    grid: &mut Grid<'_>,
    decision: Option<&CommitteeDecision>,
) -> Result<(), XlsxError> {
    let first = grid.next_row(ROW_POINTS);
    grid.label(first, (1, 1), "会议期次")?;
    let meeting = decision.map_or_else(|| "　　　　年第　　次".to_owned(), |d| d.meeting.clone());
    grid.value(first, (2, 3), &meeting)?;
    grid.label(first, (4, 4), "会议日期")?;
    grid.value(
        first,
        (5, LAST_COL),
        &date_or_blank(decision.map(|d| d.meeting_date)),
    )?;

    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (1, 1), "决定")?;
    grid.body(row, (2, 4), decision.map_or("", |d| d.decision.as_str()), 1)?;
    grid.label(row, (5, 5), "救助方式")?;
    grid.value(row, (6, 7), decision.map_or("", |d| d.relief_type.as_str()))?;

    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (1, 1), "小写金额")?;
    match decision {
        Some(d) => grid.money(row, (2, 3), Some(d.amount_fen))?,
        None => grid.value(row, (2, 3), "")?,
    }
    grid.label(row, (4, 4), "大写金额")?;
    let capitals = decision.map_or_else(String::new, |d| amount_in_capitals(d.amount_fen));
    grid.value(row, (5, LAST_COL), &capitals)?;

    let last = grid.next_row(ROW_POINTS);
    grid.sign(
        last,
        &sign_line("（中共市直机关工委盖章）", decision.map(|d| d.meeting_date)),
    )?;
    grid.block_label((first, last), "工委会议决定")
}

/// A review level's block: findings, conclusion, signature line.
fn review(
    grid: &mut Grid<'_>,
    opinion: Option<&Opinion>,
    name: &str,
    conclusion: &str,
    signer: &str,
) -> Result<(), XlsxError> {
    let first = grid.next_row(ROW_POINTS);
    let findings = opinion.map_or("", |o| o.findings.as_str());
    grid.body(first, (1, LAST_COL), findings, FINDINGS_LINES)?;
    let row = grid.next_row(ROW_POINTS);
    grid.label(row, (1, 1), conclusion)?;
    grid.value(
        row,
        (2, LAST_COL),
        opinion.map_or("", |o| o.decision.as_str()),
    )?;
    let last = grid.next_row(ROW_POINTS);
    grid.sign(last, &sign_line(signer, opinion.map(|o| o.decided_on)))?;
    grid.block_label((first, last), name)
}

/// Who signs and seals, then the date (blank spaces until decided).
fn sign_line(signer: &str, on: Option<time::Date>) -> String {
    format!("{signer}　　　　日期：{}　", date_or_blank(on))
}
