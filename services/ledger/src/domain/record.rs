//! 台账记录 — a register row: a member's hardship, its household income, its
//! status over time and its yearly verifications (年度核查).

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use time::Date;

use crate::domain::member::MAX_INCOME_FEN;

/// 困难类别 (measures §2.1), as stored.
pub fn category_str(category: common::HardshipCategory) -> Option<&'static str> {
    Some(match category {
        common::HardshipCategory::MinimumLivingGuarantee => "minimum_living_guarantee",
        common::HardshipCategory::MajorDisaster => "major_disaster",
        common::HardshipCategory::MajorAccident => "major_accident",
        common::HardshipCategory::MajorIllness => "major_illness",
        common::HardshipCategory::Other => "other",
        common::HardshipCategory::Unspecified => return None,
    })
}

pub fn category_parse(text: &str) -> common::HardshipCategory {
    match text {
        "minimum_living_guarantee" => common::HardshipCategory::MinimumLivingGuarantee,
        "major_disaster" => common::HardshipCategory::MajorDisaster,
        "major_accident" => common::HardshipCategory::MajorAccident,
        "major_illness" => common::HardshipCategory::MajorIllness,
        "other" => common::HardshipCategory::Other,
        _ => common::HardshipCategory::Unspecified,
    }
}

/// The category as the forms write it.
pub fn category_chinese(category: common::HardshipCategory) -> &'static str {
    match category {
        common::HardshipCategory::MinimumLivingGuarantee => "低保",
        common::HardshipCategory::MajorDisaster => "重大自然灾害",
        common::HardshipCategory::MajorAccident => "重大意外事故",
        common::HardshipCategory::MajorIllness => "重大疾病",
        common::HardshipCategory::Other => "其他",
        common::HardshipCategory::Unspecified => "",
    }
}

pub fn source_str(kind: pb::RecordSourceKind) -> &'static str {
    match kind {
        pb::RecordSourceKind::Application => "application",
        pb::RecordSourceKind::Campaign => "campaign",
        pb::RecordSourceKind::Import => "import",
        pb::RecordSourceKind::Manual | pb::RecordSourceKind::Unspecified => "manual",
    }
}

pub fn source_parse(text: &str) -> pb::RecordSourceKind {
    match text {
        "application" => pb::RecordSourceKind::Application,
        "campaign" => pb::RecordSourceKind::Campaign,
        "import" => pb::RecordSourceKind::Import,
        _ => pb::RecordSourceKind::Manual,
    }
}

pub fn outcome_str(outcome: common::VerificationOutcome) -> Option<&'static str> {
    Some(match outcome {
        common::VerificationOutcome::Continue => "continue",
        common::VerificationOutcome::Adjust => "adjust",
        common::VerificationOutcome::Remove => "remove",
        common::VerificationOutcome::Unspecified => return None,
    })
}

pub fn outcome_parse(text: &str) -> common::VerificationOutcome {
    match text {
        "continue" => common::VerificationOutcome::Continue,
        "adjust" => common::VerificationOutcome::Adjust,
        "remove" => common::VerificationOutcome::Remove,
        _ => common::VerificationOutcome::Unspecified,
    }
}

/// Per-capita incomes derived from a household's yearly income, rounded to
/// the nearest fen. The register compares the monthly figure with the local
/// 低保 line, so it is computed here once rather than typed in.
pub fn household_income(annual_fen: i64, household_size: i32) -> pb::HouseholdIncome {
    let size = i64::from(household_size.max(1));
    let per_capita_year = (annual_fen + size / 2) / size;
    let per_capita_month = (annual_fen + size * 6) / (size * 12);
    pb::HouseholdIncome {
        annual_household_income: Some(crate::domain::member::money(annual_fen)),
        monthly_per_capita_income: Some(crate::domain::member::money(per_capita_month)),
        annual_per_capita_income: Some(crate::domain::member::money(per_capita_year)),
    }
}

/// A register row that passed every check.
#[derive(Debug, Clone)]
pub struct RecordDraft {
    pub category: common::HardshipCategory,
    pub cause: String,
    pub description: String,
    pub household_size: i32,
    pub annual_household_income_fen: i64,
    pub since: Date,
    pub source_kind: pb::RecordSourceKind,
    pub source_ref: String,
}

pub fn check_household_size(violations: &mut FieldViolations, field: &str, size: i32) {
    if !(1..=30).contains(&size) {
        violations.add(field, "must be between 1 and 30");
    }
}

pub fn check_annual_income(
    violations: &mut FieldViolations,
    field: &str,
    income: Option<&relief_proto::common::v1::Money>,
) {
    match income {
        None => violations.add(field, "required (fen; 0 if none)"),
        Some(money) if money.fen < 0 => violations.add(field, "must not be negative"),
        Some(money) if money.fen > MAX_INCOME_FEN => violations.add(
            field,
            "implausibly large (more than 100,000,000 yuan); amounts are in fen",
        ),
        Some(_) => {}
    }
}

pub fn check_cause(violations: &mut FieldViolations, field: &str, cause: &str) {
    if crate::domain::member::has_control_chars(cause) {
        violations.add(field, "contains control characters");
    } else if cause.trim().is_empty() {
        violations.add(field, "required: the main cause in a short phrase");
    } else if cause.chars().count() > 200 {
        violations.add(field, "at most 200 characters");
    }
}

/// Checks a new register row; field paths are those of `CreateRecordRequest`
/// under `prefix` (empty, or e.g. `record.` in an import row).
pub fn validate_new_record(
    request: &pb::CreateRecordRequest,
    today: Date,
    prefix: &str,
) -> Result<RecordDraft, FieldViolations> {
    let mut violations = FieldViolations::new();
    let field = |name: &str| format!("{prefix}{name}");
    let category = common::HardshipCategory::try_from(request.category)
        .unwrap_or(common::HardshipCategory::Unspecified);
    if category == common::HardshipCategory::Unspecified {
        violations.add(
            field("category"),
            "required: one of the hardship categories of the measures §2.1",
        );
    }
    check_cause(&mut violations, &field("cause"), &request.cause);
    if request.description.chars().count() > 2000 {
        violations.add(field("description"), "at most 2000 characters");
    }
    check_household_size(
        &mut violations,
        &field("household_size"),
        request.household_size,
    );
    check_annual_income(
        &mut violations,
        &field("annual_household_income"),
        request.annual_household_income.as_ref(),
    );
    let since = if relief_runtime::time::is_unset(request.since.as_ref()) {
        Some(today)
    } else {
        relief_runtime::time::from_proto(request.since.as_ref())
    };
    match since {
        None => violations.add(field("since"), "not a real date"),
        Some(since) if since > today => violations.add(field("since"), "is in the future"),
        Some(_) => {}
    }
    if request.source_ref.chars().count() > 100 {
        violations.add(field("source_ref"), "at most 100 characters");
    }
    let source_kind = pb::RecordSourceKind::try_from(request.source_kind)
        .unwrap_or(pb::RecordSourceKind::Unspecified);
    if source_kind == pb::RecordSourceKind::Application && request.source_ref.is_empty() {
        violations.add(
            field("source_ref"),
            "required for a record from an application: the application id",
        );
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(RecordDraft {
        category,
        cause: request.cause.trim().to_owned(),
        description: request.description.trim().to_owned(),
        household_size: request.household_size,
        annual_household_income_fen: request
            .annual_household_income
            .as_ref()
            .map_or(0, |money| money.fen),
        since: since.unwrap_or(today),
        source_kind: if source_kind == pb::RecordSourceKind::Unspecified {
            pb::RecordSourceKind::Manual
        } else {
            source_kind
        },
        source_ref: request.source_ref.trim().to_owned(),
    })
}

/// A verification that passed every check.
#[derive(Debug, Clone)]
pub struct VerificationDraft {
    pub year: i32,
    pub outcome: common::VerificationOutcome,
    pub findings: String,
    pub branch_meeting_date: Option<Date>,
    pub notice_start: Option<Date>,
    pub notice_end: Option<Date>,
    pub notice_result: String,
    pub campaign_id: String,
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
    let outcome = common::VerificationOutcome::try_from(verification.outcome)
        .unwrap_or(common::VerificationOutcome::Unspecified);
    if outcome == common::VerificationOutcome::Unspecified {
        violations.add(
            "verification.outcome",
            "required: continue, adjust or remove",
        );
    }
    if verification.findings.trim().is_empty() {
        violations.add(
            "verification.findings",
            "required: the branch's written findings on the member's present situation",
        );
    } else if verification.findings.chars().count() > 5000 {
        violations.add("verification.findings", "at most 5000 characters");
    }
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
    if outcome == common::VerificationOutcome::Adjust {
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
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(VerificationDraft {
        year: verification.year,
        outcome,
        findings: verification.findings.trim().to_owned(),
        branch_meeting_date,
        notice_start,
        notice_end,
        notice_result: verification.notice_result.trim().to_owned(),
        campaign_id: verification.campaign_id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn per_capita_income() {
        let income = household_income(3_600_000, 3);
        assert_eq!(
            income.annual_per_capita_income.map(|m| m.fen),
            Some(1_200_000)
        );
        assert_eq!(
            income.monthly_per_capita_income.map(|m| m.fen),
            Some(100_000)
        );
    }

    proptest! {
        /// Rounding never drifts by more than half a fen per person-month.
        #[test]
        fn per_capita_is_rounded_share(annual in 0i64..MAX_INCOME_FEN, size in 1i32..30) {
            let income = household_income(annual, size);
            let month = income.monthly_per_capita_income.map_or(-1, |m| m.fen);
            let exact = annual as f64 / (f64::from(size) * 12.0);
            prop_assert!((month as f64 - exact).abs() <= 0.5 + 1e-9);
        }
    }
}
