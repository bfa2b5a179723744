//! What CalendarService's requests carry, parsed with every bad field named:
//! a year's holiday schedule as the department puts it, and a change of the
//! workflow settings.

use relief_proto::workflow::v1::{self as pb, ApplicationState, DayKind, HolidayKind};
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;

use super::settings::{DeadlineRule, FlowSettings};
use super::state;
use crate::calendar::SPRING_FESTIVAL_YEARS;
use crate::store::HolidayEntry;

/// The years a schedule or a Spring Festival may be asked for.
fn check_year(year: i32, field: &str, violations: &mut FieldViolations) {
    violations.check(
        !SPRING_FESTIVAL_YEARS.contains(&year),
        field,
        &format!(
            "a year from {} to {}",
            SPRING_FESTIVAL_YEARS.start(),
            SPRING_FESTIVAL_YEARS.end()
        ),
    );
}

/// GetSpringFestival / GetHolidayCalendar: a year.
pub struct YearQuery(pub i32);

impl TryFrom<pb::GetSpringFestivalRequest> for YearQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::GetSpringFestivalRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        check_year(r.year, "year", &mut violations);
        violations.then(|| YearQuery(r.year))
    }
}

impl TryFrom<pb::GetHolidayCalendarRequest> for YearQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::GetHolidayCalendarRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        check_year(r.year, "year", &mut violations);
        violations.then(|| YearQuery(r.year))
    }
}

/// GetWorkflowSettings: nothing to parse.
pub struct SettingsQuery;

impl TryFrom<pb::GetWorkflowSettingsRequest> for SettingsQuery {
    type Error = FieldViolations;
    fn try_from(_: pb::GetWorkflowSettingsRequest) -> Result<Self, FieldViolations> {
        Ok(SettingsQuery)
    }
}

/// PutHolidayCalendar: the whole schedule of a year.
pub struct HolidayPut {
    pub year: i32,
    pub entries: Vec<HolidayEntry>,
    pub source: String,
    pub reason: String,
    /// The version the caller read; `None` when creating the year's schedule.
    pub expected: Option<i64>,
}

impl TryFrom<pb::PutHolidayCalendarRequest> for HolidayPut {
    type Error = FieldViolations;
    fn try_from(r: pb::PutHolidayCalendarRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let calendar = r.calendar.unwrap_or_default();
        check_year(calendar.year, "calendar.year", &mut violations);
        let expected = if calendar.etag.is_empty() {
            None
        } else {
            ids::etag(&calendar.etag, "calendar.etag", &mut violations)
        };
        violations.check_line("calendar.source", &calendar.source, 100);
        violations.check_required_line(
            "reason",
            &r.reason,
            500,
            "required: why the schedule changes",
        );
        violations.check(
            calendar.entries.len() > 366,
            "calendar.entries",
            "at most 366 days",
        );
        let mut entries: Vec<HolidayEntry> = Vec::new();
        for (i, entry) in calendar.entries.iter().enumerate().take(366) {
            let field = |name: &str| format!("calendar.entries[{i}].{name}");
            let date = relief_runtime::time::from_proto(entry.date.as_ref());
            match date {
                None => violations.add(field("date"), "required: a valid date"),
                Some(date) if date.year() != calendar.year => {
                    violations.add(field("date"), format!("{date} is not in {}", calendar.year))
                }
                Some(date) if entries.iter().any(|e| e.date == date) => {
                    violations.add(field("date"), format!("{date} is listed twice"))
                }
                Some(_) => {}
            }
            let kind = HolidayKind::try_from(entry.kind).unwrap_or_default();
            violations.check(
                kind == HolidayKind::Unspecified,
                &field("kind"),
                "HOLIDAY or MAKEUP_WORKDAY",
            );
            violations.check_required_line(&field("name"), &entry.name, 20, "required, e.g. 春节");
            if let Some(date) = date {
                entries.push(HolidayEntry {
                    date,
                    kind: kind as i32,
                    name: entry.name.trim().to_owned(),
                });
            }
        }
        entries.sort_by_key(|e| e.date);
        violations.then(|| HolidayPut {
            year: calendar.year,
            entries,
            source: calendar.source.trim().to_owned(),
            reason: r.reason.trim().to_owned(),
            expected,
        })
    }
}

/// The paths UpdateWorkflowSettings may name.
pub const SETTINGS_PATHS: [&str; 5] = [
    "notice_days",
    "notice_day_kind",
    "state_deadlines",
    "deadline_warning_days",
    "spring_festival_reminder_days",
];

/// UpdateWorkflowSettings: the paths named and their new values.
pub struct SettingsChange {
    pub paths: Vec<String>,
    pub wanted: FlowSettings,
    pub version: i64,
    pub reason: String,
}

fn day_kind(value: i32, field: &str, violations: &mut FieldViolations) -> i32 {
    match DayKind::try_from(value) {
        Ok(DayKind::Unspecified) => DayKind::Calendar as i32,
        Ok(kind) => kind as i32,
        Err(_) => {
            violations.add(field, "CALENDAR or WORKING");
            0
        }
    }
}

impl TryFrom<pb::UpdateWorkflowSettingsRequest> for SettingsChange {
    type Error = FieldViolations;
    fn try_from(r: pb::UpdateWorkflowSettingsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let settings = r.settings.unwrap_or_default();
        // The defaults were never written: their etag is "0".
        let version = if settings.etag == "0" {
            Some(0)
        } else {
            ids::etag(&settings.etag, "settings.etag", &mut violations)
        };
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        violations.check(
            paths.is_empty(),
            "update_mask",
            "required: the fields to change",
        );
        for path in &paths {
            violations.check(
                !SETTINGS_PATHS.contains(&path.as_str()),
                "update_mask",
                &format!(
                    "{path} cannot be changed; allowed: {}",
                    SETTINGS_PATHS.join(", ")
                ),
            );
        }
        let named = |path: &str| paths.iter().any(|p| p == path);
        violations.check_required_line(
            "reason",
            &r.reason,
            500,
            "required: why the settings change",
        );
        if named("notice_days") {
            violations.check(
                !(1..=30).contains(&settings.notice_days),
                "settings.notice_days",
                "between 1 and 30",
            );
        }
        let notice_day_kind = day_kind(
            settings.notice_day_kind,
            "settings.notice_day_kind",
            &mut violations,
        );
        let mut deadlines = Vec::new();
        if named("state_deadlines") {
            for (i, rule) in settings.state_deadlines.iter().enumerate() {
                let field = |name: &str| format!("settings.state_deadlines[{i}].{name}");
                let state = ApplicationState::try_from(rule.state).unwrap_or_default();
                violations.check(
                    state == ApplicationState::Unspecified
                        || state == ApplicationState::PublicNotice
                        || state::is_final(state),
                    &field("state"),
                    "a state that is neither final nor PUBLIC_NOTICE (the notice has its own length)",
                );
                violations.check(
                    deadlines
                        .iter()
                        .any(|d: &DeadlineRule| d.state == rule.state),
                    &field("state"),
                    "each state once",
                );
                violations.check(
                    !(0..=365).contains(&rule.days),
                    &field("days"),
                    "between 0 and 365",
                );
                deadlines.push(DeadlineRule {
                    state: rule.state,
                    days: rule.days,
                    day_kind: day_kind(rule.day_kind, &field("day_kind"), &mut violations),
                });
            }
        }
        if named("deadline_warning_days") {
            violations.check(
                !(0..=30).contains(&settings.deadline_warning_days),
                "settings.deadline_warning_days",
                "between 0 and 30",
            );
        }
        if named("spring_festival_reminder_days") {
            violations.check(
                !(0..=90).contains(&settings.spring_festival_reminder_days),
                "settings.spring_festival_reminder_days",
                "between 0 and 90",
            );
        }
        violations.then(|| SettingsChange {
            paths: paths.clone(),
            wanted: FlowSettings {
                notice_days: settings.notice_days,
                notice_day_kind,
                deadlines,
                deadline_warning_days: settings.deadline_warning_days,
                spring_festival_reminder_days: settings.spring_festival_reminder_days,
            },
            version: version.unwrap_or_default(),
            reason: r.reason.trim().to_owned(),
        })
    }
}

impl SettingsChange {
    /// `current` with the named paths taken from the change.
    pub fn apply(&self, mut current: FlowSettings) -> FlowSettings {
        for path in &self.paths {
            match path.as_str() {
                "notice_days" => current.notice_days = self.wanted.notice_days,
                "notice_day_kind" => current.notice_day_kind = self.wanted.notice_day_kind,
                "state_deadlines" => current.deadlines = self.wanted.deadlines.clone(),
                "deadline_warning_days" => {
                    current.deadline_warning_days = self.wanted.deadline_warning_days
                }
                "spring_festival_reminder_days" => {
                    current.spring_festival_reminder_days =
                        self.wanted.spring_festival_reminder_days
                }
                _ => {}
            }
        }
        current
    }
}
