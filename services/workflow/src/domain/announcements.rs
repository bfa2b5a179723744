//! 通知 — who hears of a step in a case (SPEC §7): the notifications a state change or a noted
//! act makes, decided here once for every act, so that no act can forget to tell anyone.
//!
//! The applicant is told by their own user id; the others by role at the case's branch, which
//! reaches whoever holds the role there or above it (the superior organisation, the department).

use relief_proto::notify::v1::{EventKind, RecipientRole};

use super::state::State;

/// One notification a step makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub kind: EventKind,
    /// Roles told at the case's branch (and above it).
    pub roles: Vec<RecipientRole>,
    /// Whether the applicant is told too.
    pub applicant: bool,
}

impl Announcement {
    fn new(kind: EventKind, roles: &[RecipientRole], applicant: bool) -> Self {
        Announcement {
            kind,
            roles: roles.to_vec(),
            applicant,
        }
    }
}

/// What a step of `action` from `from` to `to` makes known.
pub fn of_step(action: &str, from: State, to: State) -> Vec<Announcement> {
    use RecipientRole::{BranchStaff, Department, SuperiorOrg};
    let mut told = Vec::new();
    match action {
        "objection.raised" => told.push(Announcement::new(
            EventKind::ObjectionRaised,
            &[BranchStaff],
            true,
        )),
        "objection.dismissed" => told.push(Announcement::new(
            EventKind::ObjectionResolved,
            &[BranchStaff],
            true,
        )),
        _ => {}
    }
    if from == to {
        return told;
    }
    if from == State::PublicNotice && to != State::Refused {
        told.push(Announcement::new(
            EventKind::NoticeEnded,
            &[BranchStaff],
            true,
        ));
    }
    match to {
        State::Submitted => told.push(Announcement::new(
            EventKind::ApplicationToReview,
            &[BranchStaff],
            false,
        )),
        State::SuperiorReview => told.push(Announcement::new(
            EventKind::ApplicationToReview,
            &[SuperiorOrg],
            false,
        )),
        State::CommitteeReview => told.push(Announcement::new(
            EventKind::ApplicationToReview,
            &[Department],
            false,
        )),
        State::ReturnedForMaterial => told.push(Announcement::new(
            EventKind::ApplicationReturned,
            &[BranchStaff],
            true,
        )),
        State::PublicNotice => told.push(Announcement::new(
            EventKind::NoticeStarted,
            &[BranchStaff],
            true,
        )),
        State::Approved => told.push(Announcement::new(
            EventKind::DecisionMade,
            &[BranchStaff, SuperiorOrg],
            true,
        )),
        State::Refused if from == State::CommitteeReview => told.push(Announcement::new(
            EventKind::DecisionMade,
            &[BranchStaff, SuperiorOrg],
            true,
        )),
        State::Refused => told.push(Announcement::new(
            EventKind::ApplicationRefused,
            &[BranchStaff],
            true,
        )),
        _ => {}
    }
    told
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(action: &str, from: State, to: State) -> Vec<EventKind> {
        of_step(action, from, to).iter().map(|a| a.kind).collect()
    }

    #[test]
    fn each_step_of_the_path_tells_who_acts_next_or_whose_case_it_is() {
        let submitted = of_step("application.submitted", State::Draft, State::Submitted);
        assert_eq!(
            submitted,
            vec![Announcement::new(
                EventKind::ApplicationToReview,
                &[RecipientRole::BranchStaff],
                false
            )]
        );
        assert_eq!(
            kinds("notice.passed", State::PublicNotice, State::SuperiorReview),
            vec![EventKind::NoticeEnded, EventKind::ApplicationToReview]
        );
        assert_eq!(
            kinds("committee.decided", State::CommitteeReview, State::Refused),
            vec![EventKind::DecisionMade]
        );
        assert_eq!(
            kinds("branch.refused", State::BranchReview, State::Refused),
            vec![EventKind::ApplicationRefused]
        );
        assert_eq!(
            kinds("objection.upheld", State::PublicNotice, State::Refused),
            vec![EventKind::ApplicationRefused],
            "a failed notice does not also end as passed"
        );
        let decided = &of_step("committee.decided", State::CommitteeReview, State::Approved)[0];
        assert!(decided.applicant);
        assert_eq!(
            decided.roles,
            vec![RecipientRole::BranchStaff, RecipientRole::SuperiorOrg]
        );
    }

    #[test]
    fn objections_are_told_and_quiet_steps_tell_nobody() {
        assert_eq!(
            kinds("objection.raised", State::PublicNotice, State::PublicNotice),
            vec![EventKind::ObjectionRaised]
        );
        assert_eq!(
            kinds(
                "objection.dismissed",
                State::PublicNotice,
                State::PublicNotice
            ),
            vec![EventKind::ObjectionResolved]
        );
        assert!(kinds("evidence.added", State::BranchReview, State::BranchReview).is_empty());
        assert!(kinds("funds.receipted", State::Disbursed, State::Receipted).is_empty());
        assert!(kinds("application.withdrawn", State::Submitted, State::Withdrawn).is_empty());
    }
}
