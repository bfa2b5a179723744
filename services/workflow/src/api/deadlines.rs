//! 办理时限 — when an application entering a state is due, and when a public
//! notice ends, by the workflow settings: so many calendar or working days
//! after the day it starts, to 24:00 Beijing time of the last one
//! ([`crate::calendar::end_of_period`]). Working days follow the holiday
//! schedules the department put for the years involved; a year without one
//! counts Monday to Friday.

use relief_proto::workflow::v1::{ApplicationState, DayKind as ProtoDayKind};
use relief_runtime::error::Result;
use relief_runtime::time::BEIJING;
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::calendar::{DayKind, end_of_period};
use crate::domain::settings::FlowSettings;
use crate::store::Store;

/// The calendar's kind of a stored day kind (unset: calendar days).
pub fn day_kind(stored: i32) -> DayKind {
    match ProtoDayKind::try_from(stored).unwrap_or_default() {
        ProtoDayKind::Working => DayKind::Working,
        ProtoDayKind::Calendar | ProtoDayKind::Unspecified => DayKind::Calendar,
    }
}

/// The end of `days` days of `kind` from `start`, with the holiday
/// schedules of the start's year and the next (a period of up to a year).
pub async fn end_of(
    conn: &mut PgConnection,
    start: OffsetDateTime,
    days: i32,
    kind: i32,
) -> Result<OffsetDateTime> {
    let kind = day_kind(kind);
    let year = start.to_offset(BEIJING).year();
    let calendar = match kind {
        DayKind::Working => Store::working_calendar(conn, &[year, year + 1]).await?,
        DayKind::Calendar => Default::default(),
    };
    Ok(end_of_period(
        start,
        u32::try_from(days).unwrap_or(0),
        kind,
        &calendar,
    ))
}

/// When an application entering `state` at `entered` is due; `None` for a
/// state without a deadline.
pub async fn due(
    conn: &mut PgConnection,
    settings: &FlowSettings,
    state: ApplicationState,
    entered: OffsetDateTime,
) -> Result<Option<OffsetDateTime>> {
    let Some(rule) = settings.deadline_of(state) else {
        return Ok(None);
    };
    Ok(Some(end_of(conn, entered, rule.days, rule.day_kind).await?))
}

/// When a notice put up at `start` ends, by the settings.
pub async fn notice_end(
    conn: &mut PgConnection,
    settings: &FlowSettings,
    start: OffsetDateTime,
) -> Result<OffsetDateTime> {
    end_of(conn, start, settings.notice_days, settings.notice_day_kind).await
}
