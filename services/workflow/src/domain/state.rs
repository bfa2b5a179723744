//! The path of a relief case (SPEC §4; measures §四): which act moves an
//! application from which state to which. Pure: the acts that need more than
//! the state (the evidence, the checklist, the year rules) check it before
//! they ask here.

use relief_proto::workflow::v1::ApplicationState;
use relief_runtime::error::{Error, Result};

pub use relief_proto::workflow::v1::ApplicationState as State;

/// Refused because the application is not in a state the act applies to.
pub const WRONG_STATE: &str = "APPLICATION_WRONG_STATE";

/// Every act that moves (or may move) an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// The applicant hands a draft or a returned application to the branch.
    Submit,
    /// The applicant withdraws.
    Withdraw,
    /// A reviewer asks for more material.
    Return,
    /// Branch staff take up a submitted application.
    StartBranchReview,
    /// The branch approves: the public notice starts.
    BranchApprove,
    /// A reviewer (branch, superior, committee) refuses.
    Refuse,
    /// The notice ended with no objection upheld; `skip_superior` when the
    /// branch hangs directly under the committee.
    NoticePassed {
        skip_superior: bool,
    },
    /// An objection against the notice was upheld.
    ObjectionUpheld,
    /// A superior level approved; `last_level` when no level above it reviews.
    SuperiorApprove {
        last_level: bool,
    },
    /// The committee meeting granted relief.
    CommitteeApprove,
    /// Funds milestones.
    Allocated,
    Disbursed,
    Receipted,
}

impl Act {
    /// The action name the step history and the audit trail use.
    pub fn action(self) -> &'static str {
        match self {
            Act::Submit => "submitted",
            Act::Withdraw => "withdrawn",
            Act::Return => "returned_for_material",
            Act::StartBranchReview => "branch_review.started",
            Act::BranchApprove => "branch_review.approved",
            Act::Refuse => "refused",
            Act::NoticePassed { .. } => "public_notice.passed",
            Act::ObjectionUpheld => "objection.upheld",
            Act::SuperiorApprove { .. } => "superior_review.approved",
            Act::CommitteeApprove => "committee.approved",
            Act::Allocated => "funds.allocated",
            Act::Disbursed => "funds.disbursed",
            Act::Receipted => "funds.receipted",
        }
    }
}

/// The final states: nothing moves an application out of them.
pub fn is_final(state: State) -> bool {
    matches!(state, State::Receipted | State::Refused | State::Withdrawn)
}

/// The state `act` moves an application in `from` to; `returned_from` is
/// where a returned application goes back on resubmission. A refusal names
/// the state and the act.
pub fn next(from: State, act: Act, returned_from: State) -> Result<State> {
    use State::*;
    let to = match (from, act) {
        (Draft, Act::Submit) => Some(Submitted),
        (ReturnedForMaterial, Act::Submit) => match returned_from {
            BranchReview | SuperiorReview | CommitteeReview => Some(returned_from),
            _ => None,
        },
        // Not once the committee has decided: its allocation is already on
        // its way to funds (the outbox), and a case withdrawn under it would
        // leave money allocated to nobody's case.
        (
            Draft | Submitted | BranchReview | ReturnedForMaterial | PublicNotice | SuperiorReview
            | CommitteeReview,
            Act::Withdraw,
        ) => Some(Withdrawn),
        (BranchReview | SuperiorReview | CommitteeReview, Act::Return) => Some(ReturnedForMaterial),
        (Submitted, Act::StartBranchReview) => Some(BranchReview),
        (BranchReview, Act::BranchApprove) => Some(PublicNotice),
        (BranchReview | SuperiorReview | CommitteeReview, Act::Refuse) => Some(Refused),
        (PublicNotice, Act::NoticePassed { skip_superior }) => Some(if skip_superior {
            CommitteeReview
        } else {
            SuperiorReview
        }),
        (PublicNotice, Act::ObjectionUpheld) => Some(Refused),
        (SuperiorReview, Act::SuperiorApprove { last_level }) => Some(if last_level {
            CommitteeReview
        } else {
            SuperiorReview
        }),
        (CommitteeReview, Act::CommitteeApprove) => Some(Approved),
        (Approved, Act::Allocated) => Some(FundsAllocated),
        (FundsAllocated, Act::Disbursed) => Some(Disbursed),
        (Disbursed, Act::Receipted) => Some(Receipted),
        _ => None,
    };
    to.ok_or_else(|| {
        Error::refused(
            WRONG_STATE,
            format!(
                "an application in {} cannot be {}",
                name(from),
                act.action().replace(['.', '_'], " ")
            ),
        )
    })
}

/// `FAILED_PRECONDITION` unless the application is in `expected`: for acts
/// whose outcome (refuse, return) is legal from several states but which
/// belong to one stage — the branch does not refuse a case the superior
/// organisation holds, nor the other way round.
pub fn require(current: State, expected: State, act: &str) -> Result<()> {
    if current == expected {
        Ok(())
    } else {
        Err(Error::refused(
            WRONG_STATE,
            format!(
                "{act} is for an application in {}; this one is {}",
                name(expected),
                name(current)
            ),
        ))
    }
}

/// The state's name as the API spells it, for messages.
pub fn name(state: State) -> &'static str {
    state.as_str_name().trim_start_matches("APPLICATION_STATE_")
}

/// The state stored as the proto's number.
pub fn from_stored(value: i32) -> Result<State> {
    ApplicationState::try_from(value)
        .ok()
        .filter(|state| *state != State::Unspecified)
        .ok_or_else(|| Error::internal("application state", format!("unknown state {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use State::*;

    #[test]
    fn the_whole_path_from_draft_to_receipt() {
        let mut state = Draft;
        for act in [
            Act::Submit,
            Act::StartBranchReview,
            Act::BranchApprove,
            Act::NoticePassed {
                skip_superior: false,
            },
            Act::SuperiorApprove { last_level: false },
            Act::SuperiorApprove { last_level: true },
            Act::CommitteeApprove,
            Act::Allocated,
            Act::Disbursed,
            Act::Receipted,
        ] {
            state = next(state, act, Unspecified).expect("a legal step");
        }
        assert_eq!(state, Receipted);
        assert!(is_final(state));
    }

    #[test]
    fn a_branch_under_the_committee_goes_from_the_notice_to_the_committee() {
        assert_eq!(
            next(
                PublicNotice,
                Act::NoticePassed {
                    skip_superior: true
                },
                Unspecified
            )
            .expect("legal"),
            CommitteeReview
        );
    }

    #[test]
    fn a_returned_application_goes_back_to_the_stage_that_returned_it() {
        assert_eq!(
            next(ReturnedForMaterial, Act::Submit, SuperiorReview).expect("legal"),
            SuperiorReview
        );
        assert!(next(ReturnedForMaterial, Act::Submit, Draft).is_err());
    }

    #[test]
    fn nothing_leaves_a_final_state_and_money_is_never_withdrawn() {
        for from in [Receipted, Refused, Withdrawn] {
            assert!(next(from, Act::Withdraw, Unspecified).is_err());
            assert!(next(from, Act::Submit, BranchReview).is_err());
        }
        assert!(next(FundsAllocated, Act::Withdraw, Unspecified).is_err());
        assert!(next(Approved, Act::Withdraw, Unspecified).is_err());
        let refused = next(Submitted, Act::BranchApprove, Unspecified).expect_err("illegal");
        assert_eq!(refused.reason(), WRONG_STATE);
    }
}
