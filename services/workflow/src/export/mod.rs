//! The forms the workflow prints: 《生活困难党员救助审批表》, one per
//! application ([`approval_form`]), and 《困难党员备案统计汇总表》, one per
//! campaign unit ([`summary_form`]), and the campaign's progress
//! ([`campaign_overview`]), as real .xlsx for the committee's files.
//! Amounts in capitals and Beijing time come from `relief_runtime::forms`,
//! so every service's paper reads the same.

mod approval_form;
mod campaign_overview;
mod summary_form;

pub use approval_form::{
    APPROVAL_FORM_TITLE, Applicant, ApprovalForm, Birth, CommitteeDecision, DepartmentOpinion,
    FamilyMember, Household, NoticeOutcome, Opinion, OtherRelief, ReliefMode, SuperiorReview,
    approval_form,
};
pub use campaign_overview::{
    CAMPAIGN_OVERVIEW_TITLE, CampaignOverview, OverviewLine, campaign_overview,
};
pub use summary_form::{SUMMARY_FORM_TITLE, SummaryForm, SummaryLine, summary_form};

/// The type of the campaign's table forms: 宋体 10.5 pt text, an 18 pt
/// centred title, bold bordered headings, bordered wrapping cells.
struct TableFormats {
    font: rust_xlsxwriter::Format,
    title: rust_xlsxwriter::Format,
    head: rust_xlsxwriter::Format,
    cell: rust_xlsxwriter::Format,
}

impl TableFormats {
    fn new() -> Self {
        use rust_xlsxwriter::{Format, FormatAlign, FormatBorder};
        let font = Format::new().set_font_name("宋体").set_font_size(10.5);
        TableFormats {
            title: font
                .clone()
                .set_bold()
                .set_font_size(18)
                .set_align(FormatAlign::Center),
            head: font
                .clone()
                .set_bold()
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            cell: font
                .clone()
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            font,
        }
    }
}

/// A new sheet named `name`, set up as every landscape form prints
/// ([`relief_runtime::forms::a4_sheet`]), with the given column widths.
fn landscape_a4_sheet<'a>(
    book: &'a mut rust_xlsxwriter::Workbook,
    name: &str,
    widths: &[f64],
) -> Result<&'a mut rust_xlsxwriter::Worksheet, rust_xlsxwriter::XlsxError> {
    let sheet = book.add_worksheet();
    relief_runtime::forms::a4_sheet(
        sheet,
        name,
        relief_runtime::forms::Orientation::Landscape,
        widths,
    )?;
    Ok(sheet)
}

/// The content type of the forms this module writes.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
