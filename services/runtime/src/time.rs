//! Time as the register sees it: timestamps are UTC, dates and deadlines are
//! China Standard Time (UTC+8, no daylight saving), so "before 10 Dec" ends at
//! midnight Beijing time.

use relief_proto::common::v1::Date as ProtoDate;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Asia/Shanghai: a fixed +08:00 since 1991.
pub const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// Today's date in Beijing.
pub fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(BEIJING).date()
}

/// An instant as a protobuf `Timestamp`, for every `*_time` field: the one
/// conversion every service uses (proto3 JSON prints it as RFC 3339 UTC).
pub fn timestamp(at: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        // Whole seconds rounded down and a non-negative nanosecond part, as
        // the well-known type requires, also before 1970.
        seconds: at.unix_timestamp(),
        nanos: i32::try_from(at.nanosecond()).unwrap_or(0),
    }
}

/// The UTC instant a `Timestamp` names, or `None` when it is unset or out of
/// range.
pub fn from_timestamp(stamp: Option<&prost_types::Timestamp>) -> Option<OffsetDateTime> {
    let stamp = stamp?;
    let nanos = i128::from(stamp.seconds) * 1_000_000_000 + i128::from(stamp.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// A proto date as a calendar date, or `None` when it is unset or impossible.
pub fn from_proto(date: Option<&ProtoDate>) -> Option<Date> {
    let date = date?;
    let month = Month::try_from(u8::try_from(date.month).ok()?).ok()?;
    Date::from_calendar_date(date.year, month, u8::try_from(date.day).ok()?).ok()
}

/// Whether a proto date was given at all (all zero means unset).
pub fn is_unset(date: Option<&ProtoDate>) -> bool {
    date.is_none_or(|date| date.year == 0 && date.month == 0 && date.day == 0)
}

pub fn to_proto(date: Date) -> ProtoDate {
    ProtoDate {
        year: date.year(),
        month: i32::from(u8::from(date.month())),
        day: i32::from(date.day()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_utc_seconds_and_nanos() {
        let at = datetime!(2026-02-17 08:30:00.25 +08:00);
        let stamp = timestamp(at);
        assert_eq!(
            stamp.seconds,
            datetime!(2026-02-17 00:30:00 UTC).unix_timestamp()
        );
        assert_eq!(stamp.nanos, 250_000_000);
        let before_1970 = timestamp(datetime!(1969-12-31 23:59:59.5 UTC));
        assert_eq!((before_1970.seconds, before_1970.nanos), (-1, 500_000_000));
        assert_eq!(from_timestamp(Some(&stamp)), Some(at));
        assert_eq!(from_timestamp(None), None);
    }
}
