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
