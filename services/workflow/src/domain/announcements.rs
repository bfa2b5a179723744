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

/// Which reminder a state deadline makes: its last days begun, or its time up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    Approaching,
    Missed,
}

impl Overdue {
    /// The word the reminder is recorded and published under.
    pub fn as_str(self) -> &'static str {
        match self {
            Overdue::Approaching => "approaching",
            Overdue::Missed => "missed",
        }
    }
}

/// The states whose deadline reminds anyone (stored values), for the sweep to look in.
pub fn reminded_states() -> Vec<i32> {
    (0..=State::Withdrawn as i32)
        .filter_map(|stored| State::try_from(stored).ok())
        .filter(|state| of_deadline(*state, Overdue::Missed).is_some())
        .map(|state| state as i32)
        .collect()
}

/// 办理时限 — who hears that a case's time in `state` is running out or has run out: whoever
/// must act in that state, and for a missed deadline also the level above them, which answers
/// for it. `None` for a state whose time nobody is reminded of: a draft is the member's own,
/// a public notice has its own end (the sweep ends it by itself, and its start told its last
/// day), and a closed case waits for nothing.
pub fn of_deadline(state: State, overdue: Overdue) -> Option<Announcement> {
    use RecipientRole::{BranchStaff, Department, Finance, SuperiorOrg};
    // Who acts, who answers above them, and whether the applicant acts too.
    let (acting, above, applicant): (RecipientRole, RecipientRole, bool) = match state {
        State::Submitted | State::BranchReview | State::Disbursed => {
            (BranchStaff, SuperiorOrg, false)
        }
        // The material is the applicant's to bring, the branch's to chase.
        State::ReturnedForMaterial => (BranchStaff, SuperiorOrg, true),
        State::SuperiorReview => (SuperiorOrg, Department, false),
        State::CommitteeReview | State::Approved => (Department, Department, false),
        // The unit's finance pays the member; the department allocated the money.
        State::FundsAllocated => (Finance, Department, false),
        _ => return None,
    };
    let (kind, roles) = match overdue {
        Overdue::Approaching => (EventKind::StateDeadlineApproaching, vec![acting]),
        Overdue::Missed if above == acting => (EventKind::StateDeadlineMissed, vec![acting]),
        Overdue::Missed => (EventKind::StateDeadlineMissed, vec![acting, above]),
    };
    Some(Announcement {
        kind,
        roles,
        applicant,
    })
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
    #[test]
    fn a_deadline_reminds_whoever_acts_and_a_missed_one_the_level_above_too() {
        use RecipientRole::*;
        let near = of_deadline(State::BranchReview, Overdue::Approaching).expect("a reminder");
        assert_eq!(near.kind, EventKind::StateDeadlineApproaching);
        assert_eq!(near.roles, vec![BranchStaff]);
        let missed = of_deadline(State::BranchReview, Overdue::Missed).expect("a reminder");
        assert_eq!(missed.kind, EventKind::StateDeadlineMissed);
        assert_eq!(missed.roles, vec![BranchStaff, SuperiorOrg]);
        assert_eq!(
            of_deadline(State::SuperiorReview, Overdue::Missed).map(|a| a.roles),
            Some(vec![SuperiorOrg, Department])
        );
        assert_eq!(
            of_deadline(State::CommitteeReview, Overdue::Missed).map(|a| a.roles),
            Some(vec![Department]),
            "the department answers for itself"
        );
        assert_eq!(
            of_deadline(State::FundsAllocated, Overdue::Approaching).map(|a| a.roles),
            Some(vec![Finance])
        );
        assert!(
            of_deadline(State::ReturnedForMaterial, Overdue::Approaching)
                .is_some_and(|a| a.applicant)
        );
    }

    #[test]
    fn the_sweep_looks_in_the_states_that_remind() {
        assert_eq!(
            reminded_states(),
            [
                State::Submitted,
                State::BranchReview,
                State::ReturnedForMaterial,
                State::SuperiorReview,
                State::CommitteeReview,
                State::Approved,
                State::FundsAllocated,
                State::Disbursed,
            ]
            .map(|state| state as i32)
        );
    }

    #[test]
    fn drafts_notices_and_closed_cases_remind_nobody() {
        for state in [
            State::Draft,
            State::PublicNotice,
            State::Receipted,
            State::Refused,
            State::Withdrawn,
        ] {
            assert_eq!(of_deadline(state, Overdue::Missed), None, "{state:?}");
        }
    }
}
