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

/// The content type of the forms this module writes.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
