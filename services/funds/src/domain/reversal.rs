//! 冲销 — what reversing a posting does. Postings are never edited: a mistake
//! is corrected by the opposite posting, with a reason and who authorised it,
//! and the allocation or payment it belonged to is put back accordingly.

use super::allocation::AllocationState;
use super::refusal::{self, Refusal};

/// The posting to reverse, with what it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReversalTarget {
    /// A budget posting (income ↔ fund).
    Budget,
    /// An allocation posting; the allocation's state.
    Allocation(AllocationState),
    /// A disbursement posting; whether its receipt is recorded.
    Disbursement { receipted: bool },
    /// A reversal posting.
    Reversal,
}

/// What the reversal changes besides the opposite posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReversalEffect {
    /// Nothing else: money goes back from the fund to income.
    Budget,
    /// The allocation becomes REVERSED; the money returns to the fund.
    Allocation,
    /// The payment is undone; the allocation is ALLOCATED again.
    Disbursement,
}

/// Whether the posting may be reversed, and what that does.
pub fn plan_reversal(
    target: ReversalTarget,
    already_reversed: bool,
) -> Result<ReversalEffect, Refusal> {
    if already_reversed {
        return Err(Refusal::new(
            refusal::ALREADY_REVERSED,
            "the posting is already reversed",
        ));
    }
    match target {
        ReversalTarget::Reversal => Err(Refusal::new(
            refusal::REVERSAL_NOT_REVERSIBLE,
            "a reversal is not reversed; post the original again instead",
        )),
        ReversalTarget::Budget => Ok(ReversalEffect::Budget),
        ReversalTarget::Allocation(AllocationState::Allocated) => Ok(ReversalEffect::Allocation),
        ReversalTarget::Allocation(state) => Err(Refusal::new(
            if state == AllocationState::Reversed {
                refusal::ALLOCATION_REVERSED
            } else {
                refusal::ALLOCATION_PAID
            },
            format!(
                "the allocation is {} ({}); reverse its disbursement first (a receipted one cannot be reversed)",
                state.chinese(),
                state.as_str()
            ),
        )),
        ReversalTarget::Disbursement { receipted: true } => Err(Refusal::new(
            refusal::VOUCHER_NOT_REVERSIBLE,
            "the payment is receipted and booked as a voucher; a voucher is not reversed",
        )),
        ReversalTarget::Disbursement { receipted: false } => Ok(ReversalEffect::Disbursement),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_may_be_reversed() {
        assert_eq!(
            plan_reversal(ReversalTarget::Budget, false),
            Ok(ReversalEffect::Budget)
        );
        assert_eq!(
            plan_reversal(
                ReversalTarget::Allocation(AllocationState::Allocated),
                false
            ),
            Ok(ReversalEffect::Allocation)
        );
        assert!(
            plan_reversal(
                ReversalTarget::Allocation(AllocationState::Disbursed),
                false
            )
            .is_err()
        );
        assert!(
            plan_reversal(
                ReversalTarget::Allocation(AllocationState::Receipted),
                false
            )
            .is_err()
        );
        assert!(
            plan_reversal(ReversalTarget::Allocation(AllocationState::Reversed), false).is_err()
        );
        assert_eq!(
            plan_reversal(ReversalTarget::Disbursement { receipted: false }, false),
            Ok(ReversalEffect::Disbursement)
        );
        assert!(plan_reversal(ReversalTarget::Disbursement { receipted: true }, false).is_err());
        assert!(plan_reversal(ReversalTarget::Reversal, false).is_err());
        assert!(plan_reversal(ReversalTarget::Budget, true).is_err());
    }
}
