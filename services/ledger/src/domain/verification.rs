//! 年度核查 — the yearly verification of a register row: what the branch
//! found, the notice it held, and what follows (continue, adjust, remove).

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::text::{self, Lines, MAX_LINE, MAX_PROSE};
use time::Date;

use crate::domain::record::{HardshipCategory, check_annual_income, check_household_size};

/// What a verification concludes; stored as `continue` / `adjust` / `remove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum VerificationOutcome {
    /// Still in hardship as registered.
    Continue,
    /// Still in hardship, with the row adjusted.
    Adjust,
    /// No longer in hardship: the row leaves the register.
    Remove,
}

impl VerificationOutcome {
    /// `None` for an unknown or unspecified outcome.
    pub fn from_proto(outcome: i32) -> Option<Self> {
        match common::VerificationOutcome::try_from(outcome).ok()? {
            common::VerificationOutcome::Continue => Some(VerificationOutcome::Continue),
            common::VerificationOutcome::Adjust => Some(VerificationOutcome::Adjust),
            common::VerificationOutcome::Remove => Some(VerificationOutcome::Remove),
            common::VerificationOutcome::Unspecified => None,
        }
    }

    pub fn to_proto(self) -> common::VerificationOutcome {
        match self {
            VerificationOutcome::Continue => common::VerificationOutcome::Continue,
            VerificationOutcome::Adjust => common::VerificationOutcome::Adjust,
            VerificationOutcome::Remove => common::VerificationOutcome::Remove,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VerificationOutcome::Continue => "continue",
            VerificationOutcome::Adjust => "adjust",
            VerificationOutcome::Remove => "remove",
        }
    }
}

/// What an ADJUST outcome changes on the row (each only when given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adjustment {
    pub category: Option<HardshipCategory>,
    pub household_size: Option<i32>,
    pub annual_household_income_fen: Option<i64>,
}

/// Why a row left the register after a verification, as the row keeps it.
pub fn removal_reason(year: i32, findings: &str) -> String {
    format!("{year}年度核查移出：{findings}")
}

/// A verification that passed every check.
#[derive(Debug, Clone)]
pub struct VerificationDraft {
    pub year: i32,
    pub outcome: VerificationOutcome,
    pub findings: String,
    pub branch_meeting_date: Option<Date>,
    pub notice_start: Option<Date>,
    pub notice_end: Option<Date>,
    pub notice_result: String,
    pub campaign_id: String,
    /// Applies only to an ADJUST outcome.
    pub adjustment: Adjustment,
}

/// Checks a yearly verification: written findings are required (notice §二:
/// "形成文字材料"), the notice cannot end before it starts, and an adjustment
/// must adjust something.
pub fn validate_verification(
    request: &pb::RecordVerificationRequest,
    today: Date,
) -> Result<VerificationDraft, FieldViolations> {
    let mut violations = FieldViolations::new();
    let Some(verification) = request.verification.as_ref() else {
        violations.add("verification", "required");
        return Err(violations);
    };
    if verification.year < 2000 || verification.year > today.year() + 1 {
        violations.add(
            "verification.year",
            format!("must be between 2000 and {}", today.year() + 1),
        );
    }
    let outcome = VerificationOutcome::from_proto(verification.outcome);
    if outcome.is_none() {
        violations.add(
            "verification.outcome",
            "required: continue, adjust or remove",
        );
    }
    match text::problem(&verification.findings, MAX_PROSE, Lines::Many) {
        Some(problem) => violations.add("verification.findings", problem),
        None if verification.findings.trim().is_empty() => violations.add(
            "verification.findings",
            "required: the branch's written findings on the member's present situation",
        ),
        None => {}
    }
    violations.check_line(
        "verification.notice_result",
        &verification.notice_result,
        MAX_LINE,
    );
    violations.check_line("verification.campaign_id", &verification.campaign_id, 100);
    let mut date = |field: &str, value: Option<&relief_proto::common::v1::Date>| {
        if relief_runtime::time::is_unset(value) {
            return None;
        }
        let parsed = relief_runtime::time::from_proto(value);
        match parsed {
            None => violations.add(field, "not a real date"),
            Some(d) if d > today => violations.add(field, "is in the future"),
            Some(_) => {}
        }
        parsed
    };
    let branch_meeting_date = date(
        "verification.branch_meeting_date",
        verification.branch_meeting_date.as_ref(),
    );
    let notice_start = date(
        "verification.notice_start",
        verification.notice_start.as_ref(),
    );
    let notice_end = date("verification.notice_end", verification.notice_end.as_ref());
    if let (Some(start), Some(end)) = (notice_start, notice_end)
        && end < start
    {
        violations.add("verification.notice_end", "is before notice_start");
    }
    if outcome == Some(VerificationOutcome::Adjust) {
        let adjusts = request.adjust_category != 0
            || request.adjust_household_size != 0
            || request.adjust_annual_household_income.is_some();
        if !adjusts {
            violations.add(
                "adjust_category",
                "an ADJUST outcome must change the category, household size or income",
            );
        }
        if request.adjust_household_size != 0 {
            check_household_size(
                &mut violations,
                "adjust_household_size",
                request.adjust_household_size,
            );
        }
        if request.adjust_annual_household_income.is_some() {
            check_annual_income(
                &mut violations,
                "adjust_annual_household_income",
                request.adjust_annual_household_income.as_ref(),
            );
        }
    }
    let Some(outcome) = outcome.filter(|_| violations.is_empty()) else {
        return Err(violations);
    };
    Ok(VerificationDraft {
        year: verification.year,
        outcome,
        findings: verification.findings.trim().to_owned(),
        branch_meeting_date,
        notice_start,
        notice_end,
        notice_result: verification.notice_result.trim().to_owned(),
        campaign_id: verification.campaign_id.clone(),
        adjustment: Adjustment {
            // An unknown category adjusts nothing, as an absent one.
            category: HardshipCategory::from_proto(request.adjust_category),
            household_size: (request.adjust_household_size != 0)
                .then_some(request.adjust_household_size),
            annual_household_income_fen: request
                .adjust_annual_household_income
                .as_ref()
                .map(|money| money.fen),
        },
    })
}
