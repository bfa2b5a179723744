//! 节假日安排 — the holiday schedule of each year as the department put it,
//! and the working-day calendar the deadlines count in.

use relief_proto::common::v1::Actor;
use relief_proto::workflow::v1::HolidayKind;
use relief_runtime::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};

use super::Store;
use crate::calendar::HolidayCalendar;

// Dates are stored as "2026-02-15", spelled out here: `time`'s own serde
// form follows its crate features (a `[year, ordinal]` pair without
// `serde-human-readable`), so a feature switched on anywhere in the build
// would make stored schedules unreadable; and the seed migrations write
// the dates by hand.
time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// One listed day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayEntry {
    #[serde(with = "iso_date")]
    pub date: Date,
    pub kind: i32,
    pub name: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HolidayRow {
    pub year: i32,
    pub entries: Json<Vec<HolidayEntry>>,
    pub source: String,
    pub changed_by_id: String,
    pub changed_by_name: String,
    pub changed_at: OffsetDateTime,
    pub version: i64,
}

impl Store {
    /// The schedule of `year`, if the department put one.
    pub async fn holidays(conn: &mut PgConnection, year: i32) -> Result<Option<HolidayRow>> {
        Ok(sqlx::query_as(
            "SELECT year, entries, source, changed_by_id, changed_by_name, changed_at, version
             FROM holiday_calendars WHERE year = $1",
        )
        .bind(year)
        .fetch_optional(conn)
        .await?)
    }

    /// Replaces the schedule of `year` as a whole: created when `expected`
    /// is `None` (refused if another was put meanwhile), else only over that
    /// version (`ABORTED` otherwise).
    pub async fn put_holidays(
        tx: &mut PgConnection,
        year: i32,
        entries: &[HolidayEntry],
        source: &str,
        actor: &Actor,
        expected: Option<i64>,
    ) -> Result<HolidayRow> {
        let row: Option<HolidayRow> = match expected {
            None => sqlx::query_as(
                "INSERT INTO holiday_calendars (year, entries, source, changed_by_id, changed_by_name, changed_at)
                 VALUES ($1, $2, $3, $4, $5, now())
                 ON CONFLICT (year) DO NOTHING
                 RETURNING year, entries, source, changed_by_id, changed_by_name, changed_at, version",
            ),
            Some(_) => sqlx::query_as(
                "UPDATE holiday_calendars SET entries = $2, source = $3, changed_by_id = $4,
                     changed_by_name = $5, changed_at = now(), version = version + 1
                 WHERE year = $1 AND version = $6
                 RETURNING year, entries, source, changed_by_id, changed_by_name, changed_at, version",
            ),
        }
        .bind(year)
        .bind(Json(entries))
        .bind(source)
        .bind(&actor.user_id)
        .bind(&actor.display_name)
        .bind(expected.unwrap_or_default())
        .fetch_optional(tx)
        .await?;
        row.ok_or_else(|| Error::EtagMismatch(format!("the holiday calendar of {year}")))
    }

    /// The working-day calendar over `years`: their schedules together; a
    /// year nobody put counts Monday to Friday.
    pub async fn working_calendar(
        conn: &mut PgConnection,
        years: &[i32],
    ) -> Result<HolidayCalendar> {
        let rows: Vec<Json<Vec<HolidayEntry>>> =
            sqlx::query_scalar("SELECT entries FROM holiday_calendars WHERE year = ANY($1)")
                .bind(years)
                .fetch_all(conn)
                .await?;
        let entries: Vec<HolidayEntry> = rows.into_iter().flat_map(|json| json.0).collect();
        let of = |kind: HolidayKind| {
            entries
                .iter()
                .filter(move |e| e.kind == kind as i32)
                .map(|e| e.date)
        };
        HolidayCalendar::new(of(HolidayKind::Holiday), of(HolidayKind::MakeupWorkday))
            .map_err(|err| Error::internal("the stored holiday schedule", err))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    /// The form the seed migrations write by hand.
    #[test]
    fn an_entry_is_stored_with_its_date_spelled_out() {
        let entry = HolidayEntry {
            date: date!(2026 - 02 - 15),
            kind: HolidayKind::Holiday as i32,
            name: "春节".into(),
        };
        let json = serde_json::to_string(&entry).expect("serialised");
        assert_eq!(json, r#"{"date":"2026-02-15","kind":1,"name":"春节"}"#);
        let back: HolidayEntry = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, entry);
    }
}
