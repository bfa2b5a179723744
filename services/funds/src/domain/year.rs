//! 年度 — which budget years the service takes, and Beijing calendar days
//! between dates (the inspection's limits).

use time::Date;

/// The first budget year the service keeps (the measures date from 2018;
/// earlier years are typos).
pub const FIRST_YEAR: i32 = 2018;

/// Whether `year` can be a budget year when today (Beijing) is `today`: not
/// before the measures, and at most next year (budgets are set ahead).
pub fn is_budget_year(year: i32, today: Date) -> bool {
    (FIRST_YEAR..=today.year() + 1).contains(&year)
}

/// The description of a refused year, for a field violation.
pub fn year_violation(today: Date) -> String {
    format!(
        "must be a budget year from {FIRST_YEAR} to {}",
        today.year() + 1
    )
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    (to - from).whole_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn years() {
        let today = date!(2026 - 11 - 27);
        assert!(is_budget_year(2026, today));
        assert!(is_budget_year(2027, today));
        assert!(is_budget_year(2018, today));
        assert!(!is_budget_year(2028, today));
        assert!(!is_budget_year(2017, today));
        assert!(!is_budget_year(0, today));
    }

    #[test]
    fn days() {
        assert_eq!(
            days_between(date!(2026 - 01 - 01), date!(2026 - 03 - 01)),
            59
        );
        assert_eq!(
            days_between(date!(2026 - 03 - 01), date!(2026 - 01 - 01)),
            -59
        );
    }
}
