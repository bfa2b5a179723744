//! 工作日 — which days are working days under the State Council's yearly
//! holiday schedule, and counting so many calendar or working days from a date.
//!
//! The schedule is data the department keeps up to date (SPEC §4: "keep it as
//! data the department can update, not code"): each year brings its days off
//! (法定节假日) and the weekends worked to make up for them (调休上班).

use std::collections::BTreeSet;

use time::{Date, Duration, Weekday};

use super::CalendarError;

/// How a period is counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// 自然日 — every day counts; the default for the public notice (SPEC §4.3).
    #[default]
    Calendar,
    /// 工作日 — only the working days of the [`HolidayCalendar`] count.
    Working,
}

/// 节假日安排 — the holiday schedule: dates off on top of the weekends, and
/// weekend dates worked instead. Any other Monday to Friday is a working day.
///
/// A year the department has not entered yet simply counts Monday to Friday,
/// which is the best guess before the State Council publishes (usually in
/// November for the next year).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    days_off: BTreeSet<Date>,
    make_up_working_days: BTreeSet<Date>,
}

impl HolidayCalendar {
    /// The schedule from its days off (法定节假日, weekend dates inside a
    /// holiday may be listed or not) and its make-up working days (调休上班).
    ///
    /// A date in both lists is refused: the schedule would contradict itself,
    /// and which one wins would be a guess.
    pub fn new(
        days_off: impl IntoIterator<Item = Date>,
        make_up_working_days: impl IntoIterator<Item = Date>,
    ) -> Result<Self, CalendarError> {
        let days_off: BTreeSet<Date> = days_off.into_iter().collect();
        let make_up_working_days: BTreeSet<Date> = make_up_working_days.into_iter().collect();
        if let Some(&date) = days_off.intersection(&make_up_working_days).next() {
            return Err(CalendarError::DayOffAndWorkingDay { date });
        }
        Ok(Self {
            days_off,
            make_up_working_days,
        })
    }

    /// The days off (法定节假日), in order.
    pub fn days_off(&self) -> impl Iterator<Item = Date> + '_ {
        self.days_off.iter().copied()
    }

    /// The make-up working days (调休上班), in order.
    pub fn make_up_working_days(&self) -> impl Iterator<Item = Date> + '_ {
        self.make_up_working_days.iter().copied()
    }

    /// Whether `date` is a working day: a make-up working day, or a Monday to
    /// Friday that is not a day off.
    pub fn is_working_day(&self, date: Date) -> bool {
        if self.make_up_working_days.contains(&date) {
            return true;
        }
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        !weekend && !self.days_off.contains(&date)
    }

    /// The day `days` days after `start`: `start + days` for
    /// [`DayKind::Calendar`]; the `days`-th working day after `start` for
    /// [`DayKind::Working`] (`start` itself never counts, even when it is a
    /// working day, the same way it does not for calendar days). Zero days is
    /// `start`.
    ///
    /// Deadlines are a few dozen days; rather than panic, a count that would
    /// pass the last date `time` knows (31 December 9999) stops there.
    ///
    /// ```
    /// # use relief_workflow::calendar::{DayKind, HolidayCalendar};
    /// # use time::macros::date;
    /// let schedule = HolidayCalendar::default();
    /// // Friday 2026-11-06: 3 working days later is Wednesday.
    /// assert_eq!(schedule.add_days(date!(2026 - 11 - 06), 3, DayKind::Working), date!(2026 - 11 - 11));
    /// assert_eq!(schedule.add_days(date!(2026 - 11 - 06), 3, DayKind::Calendar), date!(2026 - 11 - 09));
    /// ```
    pub fn add_days(&self, start: Date, days: u32, kind: DayKind) -> Date {
        match kind {
            DayKind::Calendar => start.saturating_add(Duration::days(i64::from(days))),
            DayKind::Working => {
                let mut day = start;
                let mut counted = 0;
                while counted < days {
                    match day.next_day() {
                        Some(next) => day = next,
                        None => return Date::MAX,
                    }
                    if self.is_working_day(day) {
                        counted += 1;
                    }
                }
                day
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    /// Spring Festival 2026 as the State Council published it: off 15–23
    /// February, worked Saturday 14 and Saturday 28 February.
    fn schedule_2026() -> HolidayCalendar {
        let off = (15..=23).map(|d| {
            date!(2026 - 02 - 01)
                .replace_day(d)
                .expect("a February day")
        });
        HolidayCalendar::new(off, [date!(2026 - 02 - 14), date!(2026 - 02 - 28)])
            .expect("consistent")
    }

    #[test]
    fn weekdays_work_weekends_rest_without_a_schedule() {
        let plain = HolidayCalendar::default();
        assert!(plain.is_working_day(date!(2026 - 11 - 27))); // Friday
        assert!(!plain.is_working_day(date!(2026 - 11 - 28))); // Saturday
        assert!(!plain.is_working_day(date!(2026 - 11 - 29))); // Sunday
        assert!(plain.is_working_day(date!(2026 - 11 - 30))); // Monday
    }

    #[test]
    fn days_off_and_make_up_days_override_the_week() {
        let schedule = schedule_2026();
        assert!(schedule.is_working_day(date!(2026 - 02 - 14))); // Saturday, worked
        assert!(!schedule.is_working_day(date!(2026 - 02 - 16))); // Monday, 除夕, off
        assert!(!schedule.is_working_day(date!(2026 - 02 - 23))); // Monday, still off
        assert!(schedule.is_working_day(date!(2026 - 02 - 24))); // Tuesday, back
        assert!(schedule.is_working_day(date!(2026 - 02 - 28))); // Saturday, worked
    }

    #[test]
    fn working_days_skip_the_holiday_and_count_make_up_days() {
        let schedule = schedule_2026();
        // Friday 13 Feb: Sat 14 (worked) is day 1, then nothing until Tue 24.
        let friday = date!(2026 - 02 - 13);
        assert_eq!(
            schedule.add_days(friday, 1, DayKind::Working),
            date!(2026 - 02 - 14)
        );
        assert_eq!(
            schedule.add_days(friday, 2, DayKind::Working),
            date!(2026 - 02 - 24)
        );
        // Tue 24 .. Fri 27 are days 2..5, Sat 28 (worked) day 6.
        assert_eq!(
            schedule.add_days(friday, 6, DayKind::Working),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            schedule.add_days(friday, 7, DayKind::Working),
            date!(2026 - 03 - 02)
        );
        // Calendar days ignore the schedule.
        assert_eq!(
            schedule.add_days(friday, 7, DayKind::Calendar),
            date!(2026 - 02 - 20)
        );
    }

    #[test]
    fn zero_days_is_the_start_and_the_start_never_counts() {
        let schedule = schedule_2026();
        let saturday_off = date!(2026 - 02 - 21);
        assert_eq!(
            schedule.add_days(saturday_off, 0, DayKind::Working),
            saturday_off
        );
        assert_eq!(
            schedule.add_days(saturday_off, 0, DayKind::Calendar),
            saturday_off
        );
        let monday = date!(2026 - 03 - 02);
        assert_eq!(
            schedule.add_days(monday, 1, DayKind::Working),
            date!(2026 - 03 - 03)
        );
    }

    #[test]
    fn a_date_both_off_and_worked_is_refused() {
        let day = date!(2026 - 02 - 14);
        assert_eq!(
            HolidayCalendar::new([day], [day]),
            Err(CalendarError::DayOffAndWorkingDay { date: day })
        );
    }

    #[test]
    fn counting_past_the_last_date_stops_there_instead_of_panicking() {
        let plain = HolidayCalendar::default();
        let late = date!(9999 - 12 - 20);
        assert_eq!(plain.add_days(late, u32::MAX, DayKind::Calendar), Date::MAX);
        assert_eq!(plain.add_days(late, 100, DayKind::Working), Date::MAX);
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (date!(2000 - 01 - 01).to_julian_day()..=date!(2100 - 12 - 31).to_julian_day())
            .prop_map(|day| Date::from_julian_day(day).expect("in range"))
    }

    proptest! {
        #[test]
        fn the_result_is_the_days_th_working_day_after_start(
            start in any_date(),
            days in 1u32..40,
            off in prop::collection::btree_set(any_date(), 0..30),
        ) {
            let schedule = HolidayCalendar::new(off, []).expect("no make-up days");
            let end = schedule.add_days(start, days, DayKind::Working);
            prop_assert!(schedule.is_working_day(end));
            let mut counted = 0;
            let mut day = start;
            while day < end {
                day = day.next_day().expect("before the end");
                if schedule.is_working_day(day) {
                    counted += 1;
                }
            }
            prop_assert_eq!(counted, days);
            prop_assert!(end >= schedule.add_days(start, days, DayKind::Calendar));
        }
    }
}
