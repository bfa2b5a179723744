//! Time as the register sees it: timestamps are UTC, dates and deadlines are
//! China Standard Time (UTC+8, no daylight saving), so "before 10 Dec" ends at
//! midnight Beijing time.

use relief_proto::common::v1::Date as ProtoDate;
use time::format_description::well_known::Rfc3339;
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

/// RFC 3339 of a UTC instant, for `*_time` fields.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
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
