//! 流程参数 — how long a public notice runs and how long an application may
//! stay in each state (办理时限), kept in the database so the department can
//! change them (CalendarService/UpdateWorkflowSettings); the defaults come
//! from configuration (`workflow.*`).

use relief_proto::workflow::v1::{ApplicationState, DayKind};
use serde::{Deserialize, Serialize};

/// The deadline of one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineRule {
    pub state: i32,
    pub days: i32,
    pub day_kind: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSettings {
    pub notice_days: i32,
    pub notice_day_kind: i32,
    pub deadlines: Vec<DeadlineRule>,
    pub deadline_warning_days: i32,
    /// Days before the Spring Festival its window is announced (0: never).
    /// Settings written before it existed read as the default.
    #[serde(default = "default_festival_days")]
    pub spring_festival_reminder_days: i32,
}

/// A month ahead: time for a committee meeting and the payments after it.
fn default_festival_days() -> i32 {
    30
}

impl Default for FlowSettings {
    /// 7 calendar days of notice (measures §四.2); the branch takes up a case
    /// within 5 working days and reviews it within 10, each superior level
    /// and the committee within 15, funds follow within 30 days of the
    /// decision and the receipt within 30 of the payment; a returned case
    /// waits 30 days for its material.
    fn default() -> Self {
        use ApplicationState::*;
        let rule = |state: ApplicationState, days, kind: DayKind| DeadlineRule {
            state: state as i32,
            days,
            day_kind: kind as i32,
        };
        FlowSettings {
            notice_days: 7,
            notice_day_kind: DayKind::Calendar as i32,
            deadlines: vec![
                rule(Submitted, 5, DayKind::Working),
                rule(BranchReview, 10, DayKind::Working),
                rule(ReturnedForMaterial, 30, DayKind::Calendar),
                rule(SuperiorReview, 15, DayKind::Working),
                rule(CommitteeReview, 30, DayKind::Calendar),
                rule(Approved, 30, DayKind::Calendar),
                rule(FundsAllocated, 30, DayKind::Calendar),
                rule(Disbursed, 30, DayKind::Calendar),
            ],
            deadline_warning_days: 2,
            spring_festival_reminder_days: default_festival_days(),
        }
    }
}

impl FlowSettings {
    /// The rule of `state`, if it has a deadline.
    pub fn deadline_of(&self, state: ApplicationState) -> Option<&DeadlineRule> {
        self.deadlines
            .iter()
            .find(|rule| rule.state == state as i32 && rule.days > 0)
    }
}
