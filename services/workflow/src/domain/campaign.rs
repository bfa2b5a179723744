//! 年度核查 — the rules of the yearly verification campaign (SPEC §5; notice
//! §二–§三), without I/O: where a unit stands on its path, what it lacks
//! before it may submit, and how many days it has left or is late against a
//! deadline that ends at 24:00 Beijing time.

use relief_proto::common::v1::VerificationOutcome;
use relief_proto::workflow::v1::CampaignUnitState;
use relief_runtime::error::{Error, Result};
use relief_runtime::time::BEIJING;
use time::{Date, OffsetDateTime};

/// Refused: a row of the unit has no findings yet.
pub const ROWS_UNVERIFIED: &str = "ROWS_UNVERIFIED";
/// Refused: a branch with rows has not held its general meeting on them.
pub const MEETING_REQUIRED: &str = "MEETING_REQUIRED";
/// Refused: a branch's meeting has no notice result yet.
pub const NOTICE_REQUIRED: &str = "NOTICE_REQUIRED";
/// Refused: the unit is not where the act needs it to be.
pub const UNIT_STATE: &str = "CAMPAIGN_UNIT_STATE";
/// Refused: the campaign is closed.
pub const CAMPAIGN_CLOSED: &str = "CAMPAIGN_CLOSED";
/// Refused: an exclusion ground applies, so the row cannot stay.
pub const EXCLUSION_APPLIES: &str = "EXCLUSION_GROUND_APPLIES";

/// Days left and days late against one deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeadlineStanding {
    /// Whole days after today until the deadline's last day (0 on the last
    /// day itself, and once done or past it).
    pub days_left: i32,
    /// Days after the deadline the thing was done, or — not done — today is.
    pub days_late: i32,
}

impl DeadlineStanding {
    pub fn late(&self) -> bool {
        self.days_late > 0
    }
}

/// The Beijing calendar day of an instant.
pub fn beijing_day(at: OffsetDateTime) -> Date {
    at.to_offset(BEIJING).date()
}

/// Where a unit stands against `deadline` (its last day, ending at 24:00
/// Beijing time): done on `done` (a Beijing day), or not yet done `today`.
pub fn standing(deadline: Date, done: Option<Date>, today: Date) -> DeadlineStanding {
    let days = |from: Date, to: Date| i32::try_from((to - from).whole_days()).unwrap_or(i32::MAX);
    match done {
        Some(day) => DeadlineStanding {
            days_left: 0,
            days_late: days(deadline, day).max(0),
        },
        None => DeadlineStanding {
            days_left: days(today, deadline).max(0),
            days_late: days(deadline, today).max(0),
        },
    }
}

/// What a unit's rows and branches have recorded, for its progress.
#[derive(Debug, Clone, Default)]
pub struct UnitFacts {
    /// Each row's branch, outcome (UNSPECIFIED until verified) and whether
    /// its branch meeting resolved on it.
    pub rows: Vec<RowFact>,
    /// Branches whose meeting is recorded.
    pub meetings: Vec<i64>,
    /// Branches whose notice result is recorded.
    pub notices: Vec<i64>,
}

#[derive(Debug, Clone, Copy)]
pub struct RowFact {
    pub branch_id: i64,
    pub outcome: VerificationOutcome,
    pub resolved: bool,
}

impl UnitFacts {
    /// The branches with rows, each once, in the rows' order.
    pub fn branches(&self) -> Vec<i64> {
        let mut branches: Vec<i64> = Vec::new();
        for row in &self.rows {
            if !branches.contains(&row.branch_id) {
                branches.push(row.branch_id);
            }
        }
        branches
    }

    fn verified(&self) -> usize {
        self.rows
            .iter()
            .filter(|row| row.outcome != VerificationOutcome::Unspecified)
            .count()
    }

    /// Every branch with rows has resolved all of them at its meeting.
    fn meetings_held(&self) -> bool {
        self.rows.iter().all(|row| row.resolved)
            && self
                .branches()
                .iter()
                .all(|branch| self.meetings.contains(branch))
    }

    fn notices_done(&self) -> bool {
        self.branches()
            .iter()
            .all(|branch| self.notices.contains(branch))
    }

    /// Whether the unit may be submitted: every row verified and resolved by
    /// its branch's meeting, every such branch's notice result recorded —
    /// else the first thing missing, as a refusal.
    pub fn ready(&self) -> Result<()> {
        let unverified = self.rows.len() - self.verified();
        if unverified > 0 {
            return Err(Error::refused(
                ROWS_UNVERIFIED,
                format!("{unverified} row(s) of the unit have no verification findings yet"),
            ));
        }
        if !self.meetings_held() {
            return Err(Error::refused(
                MEETING_REQUIRED,
                "every branch with rows must hold its general meeting (支部大会) on all of them first",
            ));
        }
        if !self.notices_done() {
            return Err(Error::refused(
                NOTICE_REQUIRED,
                "every branch must record the result of its public notice first",
            ));
        }
        Ok(())
    }

    /// The state of a unit still on its way (not submitted, accepted or
    /// returned), from what it has recorded.
    pub fn progress(&self) -> CampaignUnitState {
        if self.rows.is_empty() {
            // Nothing to verify: the unit may submit (its new members).
            CampaignUnitState::NoticeCompleted
        } else if self.verified() == 0 && self.meetings.is_empty() {
            CampaignUnitState::Issued
        } else if !self.meetings_held() {
            CampaignUnitState::Verifying
        } else if !self.notices_done() {
            CampaignUnitState::MeetingsHeld
        } else {
            CampaignUnitState::NoticeCompleted
        }
    }
}

/// The state a unit moves to after its rows, meetings or notices changed:
/// a returned unit stays returned until it submits again.
pub fn after_change(stored: CampaignUnitState, facts: &UnitFacts) -> CampaignUnitState {
    match stored {
        CampaignUnitState::Returned => CampaignUnitState::Returned,
        _ => facts.progress(),
    }
}

/// Rows, meetings and notices may change until the unit is submitted, and
/// again once it is returned.
pub fn open_for_changes(state: CampaignUnitState) -> Result<()> {
    match state {
        CampaignUnitState::Submitted | CampaignUnitState::Accepted => Err(Error::refused(
            UNIT_STATE,
            "the unit's summary is submitted: it changes only if the department returns it",
        )),
        _ => Ok(()),
    }
}

/// A unit is submitted from NOTICE_COMPLETED, or again once RETURNED, and
/// only when [`UnitFacts::ready`].
pub fn may_submit(state: CampaignUnitState, facts: &UnitFacts) -> Result<()> {
    facts.ready()?;
    match state {
        CampaignUnitState::NoticeCompleted | CampaignUnitState::Returned => Ok(()),
        CampaignUnitState::Submitted | CampaignUnitState::Accepted => Err(Error::refused(
            UNIT_STATE,
            "the unit's summary is submitted already",
        )),
        _ => Err(Error::refused(
            UNIT_STATE,
            "the unit is not ready to submit",
        )),
    }
}

/// The department accepts or returns only a submitted summary.
pub fn submitted(state: CampaignUnitState) -> Result<()> {
    if state == CampaignUnitState::Submitted {
        Ok(())
    } else {
        Err(Error::refused(
            UNIT_STATE,
            "only a submitted summary is accepted or returned",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn row(branch_id: i64, outcome: VerificationOutcome, resolved: bool) -> RowFact {
        RowFact {
            branch_id,
            outcome,
            resolved,
        }
    }

    fn reason(result: Result<()>) -> &'static str {
        result.expect_err("refused").reason()
    }

    #[test]
    fn days_left_count_to_the_last_day_and_late_days_from_the_day_after() {
        let deadline = date!(2026 - 12 - 10);
        let on = |today| standing(deadline, None, today);
        assert_eq!(on(date!(2026 - 12 - 03)).days_left, 7);
        assert_eq!(
            on(date!(2026 - 12 - 10)),
            DeadlineStanding::default(),
            "the last day is neither left nor late"
        );
        assert_eq!(on(date!(2026 - 12 - 13)).days_late, 3);
        let done = |day| standing(deadline, Some(day), date!(2027 - 01 - 31));
        assert_eq!(done(date!(2026 - 12 - 10)), DeadlineStanding::default());
        assert_eq!(done(date!(2026 - 12 - 12)).days_late, 2);
    }

    #[test]
    fn the_deadline_ends_at_midnight_beijing_time() {
        // 15:59 UTC on the 10th is 23:59 in Beijing: still the 10th.
        let at = time::macros::datetime!(2026-12-10 15:59 UTC);
        assert_eq!(beijing_day(at), date!(2026 - 12 - 10));
        let after = time::macros::datetime!(2026-12-10 16:00 UTC);
        assert_eq!(beijing_day(after), date!(2026 - 12 - 11));
    }

    #[test]
    fn a_unit_moves_from_issued_through_meetings_and_notices() {
        use VerificationOutcome::*;
        let mut facts = UnitFacts {
            rows: vec![row(12, Unspecified, false), row(13, Unspecified, false)],
            ..Default::default()
        };
        assert_eq!(facts.progress(), CampaignUnitState::Issued);
        assert_eq!(reason(facts.ready()), ROWS_UNVERIFIED);
        facts.rows = vec![row(12, Continue, true), row(13, Remove, false)];
        facts.meetings = vec![12];
        assert_eq!(facts.progress(), CampaignUnitState::Verifying);
        assert_eq!(reason(facts.ready()), MEETING_REQUIRED);
        facts.rows[1].resolved = true;
        facts.meetings.push(13);
        assert_eq!(facts.progress(), CampaignUnitState::MeetingsHeld);
        facts.notices = vec![12];
        assert_eq!(reason(facts.ready()), NOTICE_REQUIRED);
        facts.notices.push(13);
        assert_eq!(facts.progress(), CampaignUnitState::NoticeCompleted);
        assert!(facts.ready().is_ok());
    }

    #[test]
    fn only_a_ready_unit_submits_and_a_returned_one_submits_again() {
        let ready = UnitFacts {
            rows: vec![row(7, VerificationOutcome::Continue, true)],
            meetings: vec![7],
            notices: vec![7],
        };
        assert!(may_submit(CampaignUnitState::NoticeCompleted, &ready).is_ok());
        assert!(may_submit(CampaignUnitState::Returned, &ready).is_ok());
        assert_eq!(
            reason(may_submit(CampaignUnitState::Submitted, &ready)),
            UNIT_STATE
        );
        let unready = UnitFacts {
            rows: vec![row(7, VerificationOutcome::Continue, false)],
            ..Default::default()
        };
        assert_eq!(
            reason(may_submit(CampaignUnitState::Returned, &unready)),
            MEETING_REQUIRED
        );
        assert_eq!(
            after_change(CampaignUnitState::Returned, &unready),
            CampaignUnitState::Returned
        );
    }

    #[test]
    fn a_submitted_unit_is_closed_to_changes_until_returned() {
        assert!(open_for_changes(CampaignUnitState::Submitted).is_err());
        assert!(open_for_changes(CampaignUnitState::Accepted).is_err());
        assert!(open_for_changes(CampaignUnitState::Returned).is_ok());
        assert!(submitted(CampaignUnitState::Submitted).is_ok());
        assert!(submitted(CampaignUnitState::Returned).is_err());
    }
}
