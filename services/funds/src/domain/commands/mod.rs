//! What each request asks, parsed: every request of the funds service
//! becomes a command (a change) or a query (a read) here, with every bad
//! field named at once (`TryFrom<Request, Error = FieldViolations>`). No I/O:
//! what needs stored state is decided after, by the rules it names.

mod accounts;
mod allocations;
mod budget;
mod inspection;
mod payments;

pub use accounts::{AccountListing, GetAccount, PostingListing, Reversal};
pub use allocations::{AllocationListing, AllocationOrder, GetAllocation};
pub use budget::{BudgetChange, BudgetYear, StandardChange, StandardListing, TopUp};
pub use inspection::{GetReport, InspectionRun, ReceiptFormsExport, ReportListing, VoucherExport};
pub use payments::{DisbursementListing, GetDisbursement, NewPayment, NewReceipt};

use relief_proto::common::v1 as common;
use relief_runtime::error::FieldViolations;
use time::Date;

use super::money::Money;
use super::year::{is_budget_year, year_violation};

/// A page of a listing keyed by a sequence number (AIP-158; the token is
/// bound to the listing's filters).
pub type Page = relief_runtime::pagination::Page<i64>;

/// `/1/4/12/`: ids separated and closed by slashes.
pub fn is_path(path: &str) -> bool {
    path.len() >= 3
        && path.starts_with('/')
        && path.ends_with('/')
        && path[1..path.len() - 1]
            .split('/')
            .all(|id| !id.is_empty() && id.len() <= 18 && id.chars().all(|c| c.is_ascii_digit()))
}

/// A required, bounded, one-line text field (the runtime's text rule: no
/// control characters either).
pub(crate) fn check_text(
    value: &str,
    field: &str,
    max_chars: usize,
    violations: &mut FieldViolations,
) {
    violations.check_required_line(field, value, max_chars, "required");
}

/// An optional, bounded, one-line text field.
pub(crate) fn check_optional_text(
    value: &str,
    field: &str,
    max_chars: usize,
    violations: &mut FieldViolations,
) {
    violations.check_line(field, value, max_chars);
}

/// A required positive amount up to `ceiling`.
pub(crate) fn check_amount(
    money: Option<&common::Money>,
    ceiling: Money,
    field: &str,
    violations: &mut FieldViolations,
) -> Money {
    let amount = Money::from_proto(money);
    if let Err(err) = amount.check_positive(ceiling) {
        violations.add(field, err.describe());
    }
    amount
}

/// A budget year, given today's Beijing date.
pub(crate) fn check_year(year: i32, field: &str, violations: &mut FieldViolations) {
    let today = relief_runtime::time::today();
    if !is_budget_year(year, today) {
        violations.add(field, year_violation(today));
    }
}

/// An optional member filter: empty for none, else a UUID however written
/// (upper case, braces), answered in its one canonical form — the form
/// allocations are stored with — so no spelling finds less or more.
pub(crate) fn member_filter(value: &str, violations: &mut FieldViolations) -> String {
    if value.is_empty() {
        return String::new();
    }
    relief_runtime::ids::uuid(value, "member_id", violations)
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// An optional organisation filter: a positive id, or 0 for none.
pub(crate) fn org_filter(org_id: i64, violations: &mut FieldViolations) -> Option<i64> {
    relief_runtime::ids::optional_org_id(org_id, "org_id", violations)
}

/// An optional calendar date: `None` when unset, recorded when not a date.
pub(crate) fn optional_date(
    date: Option<&common::Date>,
    field: &str,
    violations: &mut FieldViolations,
) -> Option<Date> {
    if relief_runtime::time::is_unset(date) {
        return None;
    }
    let parsed = relief_runtime::time::from_proto(date);
    if parsed.is_none() {
        violations.add(field, "not a calendar date");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(is_path("/1/"));
        assert!(is_path("/1/4/12/"));
        assert!(!is_path("/1/4/12"));
        assert!(!is_path("1/4/"));
        assert!(!is_path("/1//4/"));
        assert!(!is_path("/1/x/"));
        assert!(!is_path("/"));
        assert!(!is_path(""));
    }
}
