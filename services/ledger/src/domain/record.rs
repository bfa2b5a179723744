//! 台账记录 — a register row: a member's hardship, its household income and
//! its status over time. Its yearly verifications are in [`super::verification`].

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::text::MAX_LINE;
use time::Date;

use crate::domain::member::MAX_INCOME_FEN;

/// 困难类别 (measures §2.1); stored as its snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum HardshipCategory {
    MinimumLivingGuarantee,
    MajorDisaster,
    MajorAccident,
    MajorIllness,
    Other,
}

impl HardshipCategory {
    /// `None` for an unknown or unspecified category.
    pub fn from_proto(category: i32) -> Option<Self> {
        match common::HardshipCategory::try_from(category).ok()? {
            common::HardshipCategory::MinimumLivingGuarantee => {
                Some(HardshipCategory::MinimumLivingGuarantee)
            }
            common::HardshipCategory::MajorDisaster => Some(HardshipCategory::MajorDisaster),
            common::HardshipCategory::MajorAccident => Some(HardshipCategory::MajorAccident),
            common::HardshipCategory::MajorIllness => Some(HardshipCategory::MajorIllness),
            common::HardshipCategory::Other => Some(HardshipCategory::Other),
            common::HardshipCategory::Unspecified => None,
        }
    }

    pub fn to_proto(self) -> common::HardshipCategory {
        match self {
            HardshipCategory::MinimumLivingGuarantee => {
                common::HardshipCategory::MinimumLivingGuarantee
            }
            HardshipCategory::MajorDisaster => common::HardshipCategory::MajorDisaster,
            HardshipCategory::MajorAccident => common::HardshipCategory::MajorAccident,
            HardshipCategory::MajorIllness => common::HardshipCategory::MajorIllness,
            HardshipCategory::Other => common::HardshipCategory::Other,
        }
    }

    /// As stored, and as the history shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            HardshipCategory::MinimumLivingGuarantee => "minimum_living_guarantee",
            HardshipCategory::MajorDisaster => "major_disaster",
            HardshipCategory::MajorAccident => "major_accident",
            HardshipCategory::MajorIllness => "major_illness",
            HardshipCategory::Other => "other",
        }
    }

    /// The category as the forms write it.
    pub fn chinese(self) -> &'static str {
        match self {
            HardshipCategory::MinimumLivingGuarantee => "低保",
            HardshipCategory::MajorDisaster => "重大自然灾害",
            HardshipCategory::MajorAccident => "重大意外事故",
            HardshipCategory::MajorIllness => "重大疾病",
            HardshipCategory::Other => "其他",
        }
    }
}

/// Whether a row is on the register now; stored as `active` / `removed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum RecordStatus {
    /// Currently in hardship.
    Active,
    /// The hardship ended; the row stays so the help given stays visible.
    Removed,
}

impl RecordStatus {
    /// `None` for an unknown or unspecified status.
    pub fn from_proto(status: i32) -> Option<Self> {
        match pb::RecordStatus::try_from(status).ok()? {
            pb::RecordStatus::Active => Some(RecordStatus::Active),
            pb::RecordStatus::Removed => Some(RecordStatus::Removed),
            pb::RecordStatus::Unspecified => None,
        }
    }

    pub fn to_proto(self) -> pb::RecordStatus {
        match self {
            RecordStatus::Active => pb::RecordStatus::Active,
            RecordStatus::Removed => pb::RecordStatus::Removed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Active => "active",
            RecordStatus::Removed => "removed",
        }
    }
}

/// Where a register row came from; stored as its snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum SourceKind {
    /// Entered directly by the branch.
    Manual,
    /// An approved relief application (workflow service).
    Application,
    /// The yearly verification campaign.
    Campaign,
    /// A bulk import of an existing paper register.
    Import,
}

impl SourceKind {
    /// Unspecified (or unknown) means entered by hand.
    pub fn from_proto(kind: i32) -> Self {
        match pb::RecordSourceKind::try_from(kind) {
            Ok(pb::RecordSourceKind::Application) => SourceKind::Application,
            Ok(pb::RecordSourceKind::Campaign) => SourceKind::Campaign,
            Ok(pb::RecordSourceKind::Import) => SourceKind::Import,
            _ => SourceKind::Manual,
        }
    }

    pub fn to_proto(self) -> pb::RecordSourceKind {
        match self {
            SourceKind::Manual => pb::RecordSourceKind::Manual,
            SourceKind::Application => pb::RecordSourceKind::Application,
            SourceKind::Campaign => pb::RecordSourceKind::Campaign,
            SourceKind::Import => pb::RecordSourceKind::Import,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Manual => "manual",
            SourceKind::Application => "application",
            SourceKind::Campaign => "campaign",
            SourceKind::Import => "import",
        }
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
    pub category: HardshipCategory,
    pub cause: String,
    pub description: String,
    pub household_size: i32,
    pub annual_household_income_fen: i64,
    pub since: Date,
    pub source_kind: SourceKind,
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

/// The main cause (主要困难原因): one line, required, at most
/// [`MAX_LINE`] characters.
/// The longest description of a hardship (困难情况), in characters.
pub const MAX_DESCRIPTION: usize = 2000;

pub fn check_cause(violations: &mut FieldViolations, field: &str, cause: &str) {
    violations.check_required_line(
        field,
        cause,
        MAX_LINE,
        "required: the main cause in a short phrase",
    );
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
    let category = HardshipCategory::from_proto(request.category);
    if category.is_none() {
        violations.add(
            field("category"),
            "required: one of the hardship categories of the measures §2.1",
        );
    }
    check_cause(&mut violations, &field("cause"), &request.cause);
    violations.check_text(&field("description"), &request.description, MAX_DESCRIPTION);
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
    violations.check_line(&field("source_ref"), &request.source_ref, 100);
    let source_kind = SourceKind::from_proto(request.source_kind);
    if source_kind == SourceKind::Application && request.source_ref.is_empty() {
        violations.add(
            field("source_ref"),
            "required for a record from an application: the application id",
        );
    }
    let Some(category) = category.filter(|_| violations.is_empty()) else {
        return Err(violations);
    };
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
        source_kind,
        source_ref: request.source_ref.trim().to_owned(),
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
