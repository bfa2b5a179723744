//! 办理时限 — when an application entering a state is due, by the workflow
//! settings: so many calendar days, counted to midnight Beijing time.

use relief_proto::workflow::v1::ApplicationState;
use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::domain::settings::FlowSettings;

/// Beijing time (China Standard Time, no daylight saving).
pub const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// When an application entering `state` at `entered` is due; `None` for a
/// state without a deadline.
pub async fn due(
    _tx: &mut PgConnection,
    settings: &FlowSettings,
    state: ApplicationState,
    entered: OffsetDateTime,
) -> Result<Option<OffsetDateTime>> {
    let Some(rule) = settings.deadline_of(state) else {
        return Ok(None);
    };
    Ok(Some(end_of_day_after(entered, rule.days)))
}

/// Midnight Beijing time at the end of the `days`-th day after `start`'s day.
pub fn end_of_day_after(start: OffsetDateTime, days: i32) -> OffsetDateTime {
    let day = start.to_offset(BEIJING).date() + Duration::days(i64::from(days) + 1);
    day.midnight()
        .assume_offset(BEIJING)
        .to_offset(UtcOffset::UTC)
}
