//! The form read back with calamine, as a clerk's spreadsheet would open it.

use calamine::{Data, Range, Reader, Xlsx};
use time::Month;
use time::macros::{date, datetime};

use super::layout::{BLANK_DATE, HIDDEN, PRINTABLE_POINTS, lines};
use super::opinions::SKIPPED_SUPERIOR;
use super::*;

fn decided() -> ApprovalForm {
    ApprovalForm {
        filler: "市财政局机关党委".into(),
        year: 2026,
        reference: "SQ-2026-0007".into(),
        printed_at: datetime!(2026-01-19 22:54 UTC),
        applied_on: Some(date!(2025 - 12 - 01)),
        applicant: Applicant {
            name: "张建国".into(),
            sex: "男".into(),
            birth: Some(Birth::YearMonth(1965, Month::March)),
            ethnicity: Some("汉族".into()),
            party_joined_on: Some(date!(1988 - 07 - 01)),
            work_unit: "焦作市财政局".into(),
            branch: "预算科党支部".into(),
            id_number: "410802********1234".into(),
            phone: "13803910000".into(),
            category: "重大疾病".into(),
            other_categories: vec!["低保".into()],
            relief: Some(ReliefMode::OneTime),
        },
        household: Household {
            size: 3,
            annual_income_fen: Some(36_000 * 100),
            monthly_per_capita_fen: Some(1_000 * 100),
            own_monthly_income_fen: Some(2_000 * 100),
            income_source: "退休金".into(),
            minimum_living_guarantee: true,
            special_care: false,
            other_relief: None,
        },
        family: vec![FamilyMember {
            relation: "配偶".into(),
            name: "王芳".into(),
            age: 58,
            occupation: "无业".into(),
            annual_income_fen: Some(12_000 * 100),
            health: "糖尿病".into(),
        }],
        hardship: "本人2025年确诊肺癌，手术及化疗自付费用约八万元。".into(),
        branch: Some(Opinion {
            findings: "经入户核实，情况属实。".into(),
            decision: "同意上报".into(),
            decided_on: date!(2025 - 12 - 05),
        }),
        notice: Some(NoticeOutcome {
            from: date!(2025 - 12 - 06),
            to: date!(2025 - 12 - 12),
            result: "公示期满无异议".into(),
            objections: 0,
        }),
        superior: SuperiorReview::Skipped,
        department: Some(DepartmentOpinion {
            opinion: "符合一次性困难救助条件。".into(),
            relief_type: "一次性困难救助".into(),
            amount_fen: 1_500 * 100,
            proposed_on: date!(2025 - 12 - 20),
        }),
        committee: Some(CommitteeDecision {
            meeting: "2026年第1次".into(),
            meeting_date: date!(2026 - 01 - 08),
            decision: "同意给予一次性困难救助".into(),
            relief_type: "一次性困难救助".into(),
            amount_fen: 1_500 * 100,
        }),
    }
}

fn undecided() -> ApprovalForm {
    ApprovalForm {
        branch: None,
        notice: None,
        superior: SuperiorReview::Pending,
        department: None,
        committee: None,
        ..decided()
    }
}

fn read(form: &ApprovalForm) -> Range<Data> {
    let bytes = approval_form(form).unwrap_or_else(|err| panic!("not written: {err}"));
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .unwrap_or_else(|err| panic!("not an xlsx: {err}"));
    book.worksheet_range("审批表")
        .unwrap_or_else(|err| panic!("no sheet: {err}"))
}

fn text(sheet: &Range<Data>, row: u32, col: u32) -> String {
    match sheet.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => format!("{other:?}"),
    }
}

/// The row whose column `col` reads `label`.
fn row_of(sheet: &Range<Data>, col: u32, label: &str) -> u32 {
    (0..=sheet.end().map_or(0, |(row, _)| row))
        .find(|row| text(sheet, *row, col) == label)
        .unwrap_or_else(|| panic!("no {label} in column {col}"))
}

#[test]
fn headings_sit_in_the_cells_of_the_paper_form() {
    let sheet = read(&decided());
    assert_eq!(text(&sheet, 0, 0), APPROVAL_FORM_TITLE);
    for (row, col, heading) in [
        (2, 0, "姓名"),
        (2, 2, "性别"),
        (2, 4, "出生年月"),
        (2, 6, "民族"),
        (3, 0, "入党时间"),
        (3, 2, "身份证号"),
        (3, 6, "联系电话"),
        (4, 0, "工作单位"),
        (4, 4, "所在党支部"),
        (5, 0, "困难类别"),
        (6, 0, "申请救助方式"),
        (7, 0, "家庭情况"),
        (7, 1, "家庭人口"),
        (7, 3, "家庭年收入"),
        (7, 6, "人均月收入"),
        (8, 1, "本人月收入"),
        (8, 4, "收入来源"),
        (9, 1, "享受低保/优抚"),
        (9, 4, "本年度其他途径救助"),
        (10, 0, "家庭成员"),
        (10, 1, "关系"),
        (10, 7, "健康状况"),
    ] {
        assert_eq!(text(&sheet, row, col), heading, "({row}, {col})");
    }
    // The levels' blocks follow one another in the order the case goes.
    let blocks: Vec<u32> = [
        "困难情况",
        "党支部初审意见",
        "公示情况",
        "上级党组织复审意见",
        "工委组织部意见",
        "工委会议决定",
    ]
    .iter()
    .map(|block| row_of(&sheet, 0, block))
    .collect();
    assert!(
        blocks.windows(2).all(|pair| pair[0] < pair[1]),
        "{blocks:?}"
    );
}

#[test]
fn the_applicant_is_printed_as_declared() {
    let sheet = read(&decided());
    assert_eq!(text(&sheet, 1, 0), "填报单位：市财政局机关党委");
    assert_eq!(text(&sheet, 1, 5), "2026年度　编号：SQ-2026-0007");
    assert_eq!(text(&sheet, 2, 1), "张建国");
    assert_eq!(text(&sheet, 2, 3), "男");
    assert_eq!(text(&sheet, 2, 5), "1965-03");
    assert_eq!(text(&sheet, 2, 7), "汉族");
    assert_eq!(text(&sheet, 3, 1), "1988-07-01");
    assert_eq!(text(&sheet, 3, 3), "410802********1234");
    assert_eq!(text(&sheet, 3, 7), "13803910000");
    assert_eq!(text(&sheet, 4, 1), "焦作市财政局");
    assert_eq!(text(&sheet, 4, 5), "预算科党支部");
    assert_eq!(text(&sheet, 5, 1), "重大疾病（其他符合类别：低保）");
    assert_eq!(text(&sheet, 6, 1), "■一次性困难救助　　　　□春节走访慰问");
    assert_eq!(sheet.get_value((7, 2)), Some(&Data::Float(3.0)));
    assert_eq!(sheet.get_value((7, 4)), Some(&Data::Float(36_000.0)));
    assert_eq!(sheet.get_value((7, 7)), Some(&Data::Float(1_000.0)));
    assert_eq!(sheet.get_value((8, 2)), Some(&Data::Float(2_000.0)));
    assert_eq!(text(&sheet, 8, 5), "退休金");
    assert_eq!(text(&sheet, 9, 2), "低保：是　优抚：否");
    assert_eq!(text(&sheet, 9, 5), "无");
    let hardship = row_of(&sheet, 0, "困难情况");
    assert!(text(&sheet, hardship, 1).contains("确诊肺癌"));
    assert!(text(&sheet, hardship + 1, 1).contains("申请日期：2025-12-01"));
}

#[test]
fn a_household_member_fills_a_row_and_blank_rows_follow() {
    let sheet = read(&decided());
    assert_eq!(text(&sheet, 11, 1), "配偶");
    assert_eq!(text(&sheet, 11, 2), "王芳");
    assert_eq!(sheet.get_value((11, 3)), Some(&Data::Float(58.0)));
    assert_eq!(text(&sheet, 11, 4), "无业");
    assert_eq!(sheet.get_value((11, 5)), Some(&Data::Float(12_000.0)));
    assert_eq!(text(&sheet, 11, 7), "糖尿病");
    // Room for two more members by hand.
    assert_eq!(text(&sheet, 12, 2), "");
    assert_eq!(text(&sheet, 13, 2), "");
    assert_eq!(row_of(&sheet, 0, "困难情况"), 14);
}

#[test]
fn the_decision_prints_its_amount_in_figures_and_in_capitals() {
    let sheet = read(&decided());
    let amount = row_of(&sheet, 1, "小写金额");
    assert_eq!(sheet.get_value((amount, 2)), Some(&Data::Float(1_500.0)));
    assert_eq!(text(&sheet, amount, 4), "大写金额");
    assert_eq!(text(&sheet, amount, 5), "壹仟伍佰元整");
    assert_eq!(text(&sheet, amount - 1, 2), "同意给予一次性困难救助");
    assert_eq!(text(&sheet, amount - 1, 6), "一次性困难救助");
    let meeting = row_of(&sheet, 0, "工委会议决定");
    assert_eq!(text(&sheet, meeting, 2), "2026年第1次");
    assert_eq!(text(&sheet, meeting, 5), "2026-01-08");
    let proposed = row_of(&sheet, 4, "拟救助金额");
    assert_eq!(sheet.get_value((proposed, 5)), Some(&Data::Float(1_500.0)));
    let branch = row_of(&sheet, 0, "党支部初审意见");
    assert_eq!(text(&sheet, branch + 1, 2), "同意上报");
    assert!(text(&sheet, branch + 2, 1).ends_with("日期：2025-12-05　"));
    let notice = row_of(&sheet, 0, "公示情况");
    assert_eq!(text(&sheet, notice, 2), "2025-12-06 至 2025-12-12");
    assert_eq!(text(&sheet, notice + 1, 2), "公示期满无异议");
    assert_eq!(text(&sheet, notice + 1, 7), "0 件");
}

#[test]
fn a_branch_under_the_committee_says_the_superior_review_is_skipped() {
    let sheet = read(&decided());
    let superior = row_of(&sheet, 0, "上级党组织复审意见");
    assert_eq!(text(&sheet, superior, 1), SKIPPED_SUPERIOR);
    assert_eq!(text(&sheet, superior + 1, 0), "工委组织部意见");
}

#[test]
fn an_undecided_case_prints_blank_blocks_to_fill_by_hand() {
    let sheet = read(&undecided());
    for row in sheet.rows() {
        for cell in row {
            let shown = cell.to_string();
            assert!(
                !shown.contains("None") && !shown.contains("Some"),
                "{shown}"
            );
        }
    }
    for block in ["党支部初审意见", "上级党组织复审意见", "工委组织部意见"] {
        let row = row_of(&sheet, 0, block);
        assert_eq!(text(&sheet, row, 1), "", "{block} findings");
        assert!(
            text(&sheet, row + 2, 1).ends_with(&format!("日期：{BLANK_DATE}　")),
            "{block} date"
        );
    }
    let notice = row_of(&sheet, 0, "公示情况");
    assert_eq!(
        text(&sheet, notice, 2),
        format!("{BLANK_DATE} 至 {BLANK_DATE}")
    );
    assert_eq!(text(&sheet, notice + 1, 2), "");
    let meeting = row_of(&sheet, 0, "工委会议决定");
    assert_eq!(text(&sheet, meeting, 5), BLANK_DATE);
    let amount = row_of(&sheet, 1, "小写金额");
    assert_eq!(text(&sheet, amount, 2), "");
    assert_eq!(text(&sheet, amount, 5), "");
    assert_eq!(text(&sheet, amount - 1, 2), "");
}

#[test]
fn an_income_the_reader_may_not_see_prints_hidden_not_zero() {
    let mut form = decided();
    form.household.annual_income_fen = None;
    form.family[0].annual_income_fen = None;
    form.applicant.birth = Some(Birth::Year(1965));
    let sheet = read(&form);
    assert_eq!(text(&sheet, 7, 4), HIDDEN);
    assert_eq!(text(&sheet, 11, 5), HIDDEN);
    assert_eq!(text(&sheet, 2, 5), "1965");
}

#[test]
fn long_text_gets_the_lines_it_wraps_into() {
    assert_eq!(lines("", 100.0), 1);
    assert_eq!(lines("一二三四五六", 100.0), 1);
    assert_eq!(lines("一二三四五六七", 100.0), 1);
    assert_eq!(lines("一二三四五六七八", 100.0), 2);
    assert_eq!(lines("一\n二", 100.0), 2);
    assert_eq!(lines("0123456789012", 100.0), 1);
}

#[test]
fn a_usual_case_fits_one_a4_page_at_full_size() {
    for form in [decided(), undecided()] {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let height = lay_out(workbook.add_worksheet(), &form)
            .unwrap_or_else(|err| panic!("not laid out: {err}"));
        assert!(height <= PRINTABLE_POINTS, "{height} pt");
    }
}
