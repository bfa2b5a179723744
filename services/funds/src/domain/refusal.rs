//! Why a rule refuses a valid request: each refusal has a stable,
//! machine-readable reason (`ErrorInfo.reason`, what programs branch on) and
//! words for people. The database constraints that guard the same rules
//! under concurrency answer with the same reasons ([`REFUSALS`]).

use relief_runtime::error::{ConstraintRefusal, Error};
use tonic::Code;

/// 每份申请至多一次拨付 — the application has a live allocation.
pub const ALLOCATION_EXISTS: &str = "ALLOCATION_EXISTS";
/// The year's budget is not set, so there is no fund to allocate from.
pub const BUDGET_NOT_SET: &str = "BUDGET_NOT_SET";
/// 年度内不重复救助 — the member had relief this year (measures §3).
pub const ONCE_A_YEAR: &str = "ONCE_A_YEAR";
/// 超标准 — above the year's standard without the committee's special case.
pub const ABOVE_STANDARD: &str = "ABOVE_STANDARD";
/// The year's fund does not hold the amount.
pub const FUND_SHORTFALL: &str = "FUND_SHORTFALL";
/// The organisation's relief account does not hold the payment.
pub const ORG_ACCOUNT_SHORTFALL: &str = "ORG_ACCOUNT_SHORTFALL";
/// Lowering the budget would take back money already allocated.
pub const BUDGET_ALLOCATED: &str = "BUDGET_ALLOCATED";
/// The budget cannot grow by that much (the totals would overflow).
pub const BUDGET_LIMIT: &str = "BUDGET_LIMIT";
/// An amount beyond what the accounts can hold.
pub const AMOUNT_OUT_OF_RANGE: &str = "AMOUNT_OUT_OF_RANGE";
/// An account's balance would go negative (a concurrent posting won).
pub const INSUFFICIENT_BALANCE: &str = "INSUFFICIENT_BALANCE";
/// The allocation is paid already.
pub const ALREADY_PAID: &str = "ALREADY_PAID";
/// A payment never exceeds the allocation.
pub const OVERPAYMENT: &str = "OVERPAYMENT";
/// The allocation was reversed (冲销): nothing more happens to it.
pub const ALLOCATION_REVERSED: &str = "ALLOCATION_REVERSED";
/// A receipt needs a payment; the allocation is not paid.
pub const NOT_PAID: &str = "NOT_PAID";
/// The payment has its receipt already.
pub const RECEIPT_EXISTS: &str = "RECEIPT_EXISTS";
/// The payment was reversed; a receipt belongs to a payment that stands.
pub const PAYMENT_REVERSED: &str = "PAYMENT_REVERSED";
/// The posting is reversed already.
pub const ALREADY_REVERSED: &str = "ALREADY_REVERSED";
/// A reversal is not reversed; the original is posted again instead.
pub const REVERSAL_NOT_REVERSIBLE: &str = "REVERSAL_NOT_REVERSIBLE";
/// The allocation is paid: its payment is reversed first.
pub const ALLOCATION_PAID: &str = "ALLOCATION_PAID";
/// A receipted payment is a voucher (入帐凭证), which is not reversed.
pub const VOUCHER_NOT_REVERSIBLE: &str = "VOUCHER_NOT_REVERSIBLE";
/// Reversing would take back money that was spent on.
pub const ALREADY_SPENT: &str = "ALREADY_SPENT";
/// The member named is not on the ledger's register.
pub const MEMBER_NOT_REGISTERED: &str = "MEMBER_NOT_REGISTERED";
/// The organisation named is not in the ledger's organisation tree.
pub const ORG_NOT_REGISTERED: &str = "ORG_NOT_REGISTERED";
/// The paying organisation is not the member's branch or above it.
pub const MEMBER_NOT_IN_ORG: &str = "MEMBER_NOT_IN_ORG";
/// 职责分离 — one person may not do an act and also check or undo it: who
/// recorded a payment neither records its receipt nor reverses it, and a
/// reversal is authorised by someone other than the person reversing.
pub const SEPARATION_OF_DUTIES: &str = "SEPARATION_OF_DUTIES";
/// The scan of a receipt already given for another receipt.
pub const RECEIPT_SCAN_REUSED: &str = "RECEIPT_SCAN_REUSED";

/// A rule's refusal: its reason and what to tell the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(reason: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            reason,
            message: message.into(),
        }
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Error::refused(refusal.reason, refusal.message)
    }
}

/// The database's own guarantees, in words: the service checks these first,
/// so reaching one means a concurrent request won the race.
pub static REFUSALS: [ConstraintRefusal; 6] = [
    ConstraintRefusal {
        constraint: "allocations_one_per_application",
        code: Code::AlreadyExists,
        reason: ALLOCATION_EXISTS,
        message: "the application already has an allocation",
    },
    ConstraintRefusal {
        constraint: "disbursements_one_per_allocation",
        code: Code::FailedPrecondition,
        reason: ALREADY_PAID,
        message: "the allocation is already paid",
    },
    ConstraintRefusal {
        constraint: "receipts_disbursement_id_key",
        code: Code::FailedPrecondition,
        reason: RECEIPT_EXISTS,
        message: "the payment already has its receipt",
    },
    ConstraintRefusal {
        constraint: "postings_reversal_of_key",
        code: Code::FailedPrecondition,
        reason: ALREADY_REVERSED,
        message: "the posting is already reversed",
    },
    ConstraintRefusal {
        constraint: "balance_not_negative",
        code: Code::FailedPrecondition,
        reason: INSUFFICIENT_BALANCE,
        message: "the account's balance does not cover the amount",
    },
    ConstraintRefusal {
        constraint: "allocations_paid_check",
        code: Code::FailedPrecondition,
        reason: OVERPAYMENT,
        message: "a payment never exceeds the allocation",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_stable_upper_snake_names() {
        for refusal in &REFUSALS {
            assert!(
                refusal
                    .reason
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_'),
                "{}",
                refusal.reason
            );
        }
        let status = Error::from(Refusal::new(ONCE_A_YEAR, "again")).into_status("funds");
        assert_eq!(status.code(), Code::FailedPrecondition);
    }
}
