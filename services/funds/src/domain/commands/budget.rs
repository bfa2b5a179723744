//! 预算与救助标准 — setting and topping up a year's budget, and the relief
//! standards.

use relief_proto::funds::v1 as pb;
use relief_runtime::error::FieldViolations;

use super::{Page, check_amount, check_optional_text, check_text, check_year};
use crate::domain::category::{HardshipCategory, ReliefType};
use crate::domain::money::Money;

/// Sets the year's budget to `target`.
#[derive(Debug, Clone)]
pub struct BudgetChange {
    pub year: i32,
    pub target: Money,
    pub reason: String,
}

impl TryFrom<pb::SetBudgetRequest> for BudgetChange {
    type Error = FieldViolations;

    fn try_from(request: pb::SetBudgetRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        check_year(request.year, "year", &mut v);
        let target = Money::from_proto(request.amount.as_ref());
        if target < Money::ZERO {
            v.add("amount", "must not be negative");
        } else if target > Money::MAX_BUDGET {
            v.add(
                "amount",
                format!("at most {}; is this a typo?", Money::MAX_BUDGET),
            );
        }
        check_text(&request.reason, "reason", 500, &mut v);
        v.then(|| BudgetChange {
            year: request.year,
            target,
            reason: request.reason,
        })
    }
}

/// Adds `amount` to the year's budget.
#[derive(Debug, Clone)]
pub struct TopUp {
    pub year: i32,
    pub amount: Money,
    pub reason: String,
}

impl TryFrom<pb::TopUpBudgetRequest> for TopUp {
    type Error = FieldViolations;

    fn try_from(request: pb::TopUpBudgetRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        check_year(request.year, "year", &mut v);
        let amount = check_amount(request.amount.as_ref(), Money::MAX_BUDGET, "amount", &mut v);
        check_text(&request.reason, "reason", 500, &mut v);
        v.then(|| TopUp {
            year: request.year,
            amount,
            reason: request.reason,
        })
    }
}

/// 预算执行情况 of one year.
#[derive(Debug, Clone, Copy)]
pub struct BudgetYear {
    pub year: i32,
}

impl TryFrom<pb::GetBudgetSummaryRequest> for BudgetYear {
    type Error = FieldViolations;

    fn try_from(request: pb::GetBudgetSummaryRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        check_year(request.year, "year", &mut v);
        v.then(|| BudgetYear { year: request.year })
    }
}

/// 救助标准 — creates or replaces the standard of a year × type × category.
#[derive(Debug, Clone)]
pub struct StandardChange {
    pub year: i32,
    pub relief_type: ReliefType,
    pub category: HardshipCategory,
    pub amount: Money,
    pub note: String,
    pub reason: String,
    /// The version last read: required when the standard exists.
    pub version: Option<i64>,
}

impl StandardChange {
    /// The audit trail's name of the standard.
    pub fn resource(&self) -> String {
        format!(
            "standards/{}/{}/{}",
            self.year,
            self.relief_type.to_i32(),
            self.category.to_i32()
        )
    }
}

impl TryFrom<pb::PutReliefStandardRequest> for StandardChange {
    type Error = FieldViolations;

    fn try_from(request: pb::PutReliefStandardRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        if request.standard.is_none() {
            v.add("standard", "required");
        }
        let standard = request.standard.unwrap_or_default();
        check_year(standard.year, "standard.year", &mut v);
        let relief_type = ReliefType::from_i32(standard.relief_type);
        if relief_type.is_none() {
            v.add(
                "standard.relief_type",
                "required: one-time relief or Spring Festival visit",
            );
        }
        let category = HardshipCategory::from_i32(standard.hardship_category);
        if category.is_none() {
            v.add(
                "standard.hardship_category",
                "required: one of the categories of measures §2.1",
            );
        }
        let amount = check_amount(
            standard.amount.as_ref(),
            Money::MAX_RELIEF,
            "standard.amount",
            &mut v,
        );
        check_optional_text(&standard.note, "standard.note", 500, &mut v);
        check_optional_text(&request.reason, "reason", 500, &mut v);
        let version = if standard.etag.is_empty() {
            None
        } else {
            match standard.etag.parse::<i64>() {
                Ok(version) if version > 0 => Some(version),
                _ => {
                    v.add("standard.etag", "not an etag from a previous read");
                    None
                }
            }
        };
        let (Some(relief_type), Some(category), true) = (relief_type, category, v.is_empty())
        else {
            return Err(v);
        };
        Ok(StandardChange {
            year: standard.year,
            relief_type,
            category,
            amount,
            note: standard.note,
            reason: request.reason,
            version,
        })
    }
}

/// The standards, by year, type and category.
#[derive(Debug, Clone)]
pub struct StandardListing {
    pub year: i32,
    /// The proto number; 0 for any (a number no type has finds none).
    pub relief_type: i32,
    pub page: Page,
}

impl TryFrom<pb::ListReliefStandardsRequest> for StandardListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListReliefStandardsRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let page = Page::parse("ListReliefStandards", &request, &mut v);
        v.then(|| StandardListing {
            year: request.year,
            relief_type: request.relief_type,
            page,
        })
    }
}
