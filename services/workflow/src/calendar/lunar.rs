//! 春节 — the Spring Festival (正月初一, the first day of the Chinese lunar
//! year) of a Gregorian year, and the "before the Spring Festival" rule.
//!
//! The lunar calendar is ICU4X's (`icu_calendar`), which follows the national
//! standard GB/T 33661-2017 《农历的编算和颁行》: its new moons and solar terms
//! decide where a year begins, so no date is kept in this code.

use std::ops::RangeInclusive;

use icu_calendar::types::Month;
use icu_calendar::{Date as LunarDate, Iso};
use time::Date;

use super::CalendarError;

/// The Gregorian years whose Spring Festival is answered.
///
/// From 1912 the Chinese calendar has been computed by the rules GB/T
/// 33661-2017 writes down, and `icu_calendar` keeps those years precomputed
/// (from the same astronomical calculation) up to 2102. Outside them it falls
/// back to an approximation, and before 1912 the historical calendar differs:
/// a date from there could be off by a day or a month, which for a deadline
/// is worse than a clear refusal. 2100 keeps a margin inside the data.
pub const SPRING_FESTIVAL_YEARS: RangeInclusive<i32> = 1912..=2100;

/// The Spring Festival (春节, 正月初一) that falls in the Gregorian `year`:
/// always between 21 January and 20 February of that year.
///
/// An error, not a panic, for a year outside [`SPRING_FESTIVAL_YEARS`].
///
/// ```
/// # use relief_workflow::calendar::spring_festival;
/// # use time::macros::date;
/// assert_eq!(spring_festival(2027).unwrap(), date!(2027 - 02 - 06));
/// assert!(spring_festival(2200).is_err());
/// ```
pub fn spring_festival(year: i32) -> Result<Date, CalendarError> {
    if !SPRING_FESTIVAL_YEARS.contains(&year) {
        return Err(CalendarError::YearOutOfRange {
            year,
            supported: SPRING_FESTIVAL_YEARS,
        });
    }
    // The lunar year "related" to an ISO year is the one that begins in it.
    let new_year = LunarDate::try_new_chinese_traditional(year, Month::new(1), 1)
        .map_err(|e| CalendarError::Lunar {
            year,
            detail: e.to_string(),
        })?
        .to_calendar(Iso);
    gregorian(&new_year).ok_or_else(|| CalendarError::Lunar {
        year,
        detail: "the lunar new year has no Gregorian date".to_owned(),
    })
}

/// Whether `decision_date` comes before the Spring Festival of `relief_year`
/// — the rule of measures §五.1: 救助慰问资金原则上每年春节前研究发放, relief and
/// visit funds are normally decided and paid before the Spring Festival.
///
/// The relief year is a Gregorian year (the year of the registration form and
/// of the year's standards), and its Spring Festival is the one falling in
/// that year: relief year 2027 → 2027-02-06. So the committee deciding the
/// 2027 visits in December 2026 or on 5 February 2027 is on time; deciding on
/// the festival day itself or later is not (the money is meant for the
/// holiday, so "before" is strict), and then only a recorded special case
/// (特殊情况) lets it through.
///
/// An error for a relief year outside [`SPRING_FESTIVAL_YEARS`].
pub fn before_spring_festival(
    decision_date: Date,
    relief_year: i32,
) -> Result<bool, CalendarError> {
    Ok(decision_date < spring_festival(relief_year)?)
}

/// The `time` date of an ICU ISO date (ISO and Gregorian agree for every
/// year this module answers).
fn gregorian(iso: &LunarDate<Iso>) -> Option<Date> {
    let month = time::Month::try_from(iso.month().ordinal).ok()?;
    Date::from_calendar_date(iso.year().extended_year(), month, iso.day_of_month().0).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn spring_festival_matches_the_published_dates() {
        // SPEC §4 rules: the dates the calendar must agree with.
        let published = [
            date!(2018 - 02 - 16),
            date!(2019 - 02 - 05),
            date!(2020 - 01 - 25),
            date!(2021 - 02 - 12),
            date!(2022 - 02 - 01),
            date!(2023 - 01 - 22),
            date!(2024 - 02 - 10),
            date!(2025 - 01 - 29),
            date!(2026 - 02 - 17),
            date!(2027 - 02 - 06),
            date!(2028 - 01 - 26),
            date!(2029 - 02 - 13),
            date!(2030 - 02 - 03),
        ];
        for day in published {
            assert_eq!(spring_festival(day.year()), Ok(day), "year {}", day.year());
        }
    }

    #[test]
    fn every_supported_year_has_its_festival_between_21_january_and_20_february() {
        for year in SPRING_FESTIVAL_YEARS {
            let day = spring_festival(year).expect("a supported year");
            assert_eq!(day.year(), year);
            assert!(
                (date!(2000 - 01 - 21).ordinal()..=date!(2000 - 02 - 20).ordinal())
                    .contains(&day.ordinal()),
                "{day}"
            );
        }
    }

    #[test]
    fn years_outside_the_range_are_refused_not_panicked() {
        for year in [i32::MIN, -1, 0, 1911, 2101, 9999, i32::MAX] {
            let Err(err) = spring_festival(year) else {
                panic!("{year} answered")
            };
            assert!(matches!(err, CalendarError::YearOutOfRange { year: y, .. } if y == year));
            assert!(err.to_string().contains(&year.to_string()), "{err}");
        }
        assert!(spring_festival(1912).is_ok());
        assert!(spring_festival(2100).is_ok());
    }

    #[test]
    fn before_spring_festival_is_strict_and_uses_the_festival_of_the_relief_year() {
        // Relief year 2027 → 2027-02-06.
        assert_eq!(
            before_spring_festival(date!(2026 - 12 - 20), 2027),
            Ok(true)
        );
        assert_eq!(
            before_spring_festival(date!(2027 - 02 - 05), 2027),
            Ok(true)
        );
        assert_eq!(
            before_spring_festival(date!(2027 - 02 - 06), 2027),
            Ok(false)
        );
        assert_eq!(
            before_spring_festival(date!(2027 - 12 - 01), 2027),
            Ok(false)
        );
        // The same December day is before the next year's festival, not this one's.
        assert_eq!(
            before_spring_festival(date!(2026 - 12 - 20), 2026),
            Ok(false)
        );
        assert!(before_spring_festival(date!(2026 - 12 - 20), 2101).is_err());
    }
}
