//! 期限 — when a period of so many days that starts at some moment ends,
//! counted in Beijing time, the time the measures and the members live by.

use relief_runtime::time::BEIJING;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::{DayKind, HolidayCalendar};

/// The moment a period of `days` days started at `start` ends, in UTC.
///
/// The day the period starts on does not count, however early it started:
/// the day after it (Beijing time, UTC+8) is day 1, and the period runs to
/// 24:00 Beijing time of day `days`, i.e. 00:00 Beijing time of the day after.
/// Counting the start day as day 1 would cut a notice put up in the evening
/// to a few hours; counting it and adding `days` full days would make it
/// longer than "7 days" says. The rule matches the common reading of periods
/// in Chinese law (期间开始的当日不算入, the period ends at 24:00 of its last
/// day) and the deadlines the workflow already watches.
///
/// With [`DayKind::Working`] day 1 is the first working day after the start
/// day and the period ends at 24:00 of the `days`-th working day.
///
/// Example: a 7-day public notice (公示) put up at 15:00 on Monday 2 November
/// 2026 (Beijing) runs 3–9 November and ends at 2026-11-10 00:00 Beijing time,
/// which is 2026-11-09 16:00 UTC:
///
/// ```
/// # use relief_workflow::calendar::{end_of_period, DayKind, HolidayCalendar};
/// # use time::macros::datetime;
/// let put_up = datetime!(2026-11-02 15:00 +8);
/// let ends = end_of_period(put_up, 7, DayKind::Calendar, &HolidayCalendar::default());
/// assert_eq!(ends, datetime!(2026-11-09 16:00 UTC));
/// // 7 working days: 3–6 and 9–11 November, to 24:00 on Wednesday the 11th.
/// let ends = end_of_period(put_up, 7, DayKind::Working, &HolidayCalendar::default());
/// assert_eq!(ends, datetime!(2026-11-12 00:00 +8));
/// ```
///
/// Zero days ends at 24:00 of the start day. Past 31 December 9999 (where
/// `time` stops) it ends at the last representable moment instead of panicking.
pub fn end_of_period(
    start: OffsetDateTime,
    days: u32,
    kind: DayKind,
    calendar: &HolidayCalendar,
) -> OffsetDateTime {
    let start_day = start.to_offset(BEIJING).date();
    let last_day = calendar.add_days(start_day, days, kind);
    let end = match last_day.next_day() {
        Some(after) => after.midnight(),
        None => PrimitiveDateTime::MAX,
    };
    end.assume_offset(BEIJING).to_offset(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn a_notice_put_up_any_time_of_a_day_ends_at_the_same_midnight() {
        let plain = HolidayCalendar::default();
        let end = datetime!(2026-11-10 00:00 +8);
        for put_up in [
            datetime!(2026-11-02 00:00 +8),
            datetime!(2026-11-02 09:30 +8),
            datetime!(2026-11-02 23:59:59.999 +8),
        ] {
            assert_eq!(
                end_of_period(put_up, 7, DayKind::Calendar, &plain),
                end,
                "{put_up}"
            );
        }
    }

    #[test]
    fn the_day_is_the_beijing_day_not_the_utc_day() {
        let plain = HolidayCalendar::default();
        // 20:00 UTC on 1 November is already 04:00 on 2 November in Beijing.
        let put_up = datetime!(2026-11-01 20:00 UTC);
        assert_eq!(
            end_of_period(put_up, 7, DayKind::Calendar, &plain),
            datetime!(2026-11-09 16:00 UTC)
        );
        // 15:00 UTC on 1 November is still 23:00 on 1 November in Beijing.
        let put_up = datetime!(2026-11-01 15:00 UTC);
        assert_eq!(
            end_of_period(put_up, 7, DayKind::Calendar, &plain),
            datetime!(2026-11-08 16:00 UTC)
        );
    }

    #[test]
    fn the_result_is_in_utc() {
        let plain = HolidayCalendar::default();
        let end = end_of_period(datetime!(2026-11-02 15:00 +8), 7, DayKind::Calendar, &plain);
        assert_eq!(end.offset(), UtcOffset::UTC);
    }

    #[test]
    fn working_days_jump_the_spring_festival_holiday() {
        let off = (15..=23).map(|d| {
            date!(2026 - 02 - 01)
                .replace_day(d)
                .expect("a February day")
        });
        let schedule = HolidayCalendar::new(off, [date!(2026 - 02 - 14), date!(2026 - 02 - 28)])
            .expect("consistent");
        // Put up Thursday 12 February: Fri 13, Sat 14 (worked), Tue 24 .. Fri 27,
        // Sat 28 (worked) are the 7 working days.
        let put_up = datetime!(2026-02-12 10:00 +8);
        assert_eq!(
            end_of_period(put_up, 7, DayKind::Working, &schedule),
            datetime!(2026-03-01 00:00 +8)
        );
        assert_eq!(
            end_of_period(put_up, 7, DayKind::Calendar, &schedule),
            datetime!(2026-02-20 00:00 +8)
        );
    }

    #[test]
    fn zero_days_ends_with_the_start_day_and_the_far_future_does_not_panic() {
        let plain = HolidayCalendar::default();
        let put_up = datetime!(2026-11-02 15:00 +8);
        assert_eq!(
            end_of_period(put_up, 0, DayKind::Calendar, &plain),
            datetime!(2026-11-03 00:00 +8)
        );
        let late = datetime!(9999-12-30 12:00 +8);
        let end = end_of_period(late, u32::MAX, DayKind::Calendar, &plain);
        assert_eq!(end, PrimitiveDateTime::MAX.assume_offset(BEIJING));
    }
}
