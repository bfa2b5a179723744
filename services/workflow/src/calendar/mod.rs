//! The calendar the workflow counts in: the Spring Festival of any year,
//! working days under the holiday schedule, and deadlines in Beijing time.
//!
//! Pure functions and values, no I/O: the holiday schedule is stored and
//! edited elsewhere and handed in as a [`HolidayCalendar`].

mod deadline;
mod lunar;
mod working_days;

use std::ops::RangeInclusive;

use time::Date;

pub use deadline::end_of_period;
pub use lunar::{SPRING_FESTIVAL_YEARS, before_spring_festival, spring_festival};
pub use working_days::{DayKind, HolidayCalendar};

/// What the calendar cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The year is outside the years whose lunar calendar is known exactly.
    #[error("the Spring Festival is known for the years {start} to {end}, not for {year}", start = supported.start(), end = supported.end())]
    YearOutOfRange {
        year: i32,
        supported: RangeInclusive<i32>,
    },
    /// The lunar calendar library refused the year.
    #[error("the lunar calendar has no new year for {year}: {detail}")]
    Lunar { year: i32, detail: String },
    /// The holiday schedule lists a date both as a day off and as a make-up working day.
    #[error(
        "{date} is listed both as a day off (法定节假日) and as a make-up working day (调休上班)"
    )]
    DayOffAndWorkingDay { date: Date },
}
