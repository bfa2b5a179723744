//! 提醒 — which reminders of the workflow's own timers were written already:
//! a case's state deadline (approaching, missed) per stay in a state, and the
//! Spring Festival window per festival. A reminder is remembered in the
//! transaction that writes it to the outbox, so it is written once.

use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::Store;

/// A case whose state deadline is near or past and not yet reminded of, as
/// the sweep saw it (the act under the row lock looks again).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReminder {
    pub application_id: Uuid,
    pub state_entered_at: OffsetDateTime,
    pub missed: bool,
}

impl Store {
    /// Up to `limit` open cases in one of `states` whose deadline is at most
    /// `lead_days` ahead of `now` (or past) and whose reminder of that kind
    /// was not written for their present stay, the most urgent first.
    pub async fn due_state_reminders(
        &self,
        now: OffsetDateTime,
        lead_days: i32,
        states: &[i32],
        limit: i64,
    ) -> Result<Vec<DueReminder>> {
        Ok(sqlx::query_as(
            "SELECT a.application_id, a.state_entered_at, a.state_deadline <= $1 AS missed
             FROM applications a
             WHERE a.closed_at IS NULL AND a.state_deadline IS NOT NULL
               AND a.state = ANY($3)
               AND a.state_deadline - make_interval(days => $2) <= $1
               AND NOT EXISTS (
                   SELECT 1 FROM state_reminders r
                   WHERE r.application_id = a.application_id
                     AND r.state_entered_at = a.state_entered_at
                     AND r.kind = CASE WHEN a.state_deadline <= $1
                                       THEN 'missed' ELSE 'approaching' END)
             ORDER BY a.state_deadline
             LIMIT $4",
        )
        .bind(now)
        .bind(lead_days)
        .bind(states)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records the reminder `kind` of the case's stay that began at
    /// `entered`; false when it was recorded before (nothing to write).
    pub async fn remember_state_reminder(
        tx: &mut PgConnection,
        application_id: Uuid,
        entered: OffsetDateTime,
        kind: &str,
    ) -> Result<bool> {
        Ok(sqlx::query(
            "INSERT INTO state_reminders (application_id, state_entered_at, kind, sent_at)
             VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING",
        )
        .bind(application_id)
        .bind(entered)
        .bind(kind)
        .execute(tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Records that the window before the Spring Festival on `festival` was
    /// announced; false when it was before.
    pub async fn remember_festival(tx: &mut PgConnection, festival: Date) -> Result<bool> {
        Ok(sqlx::query(
            "INSERT INTO festival_reminders (festival, sent_at)
             VALUES ($1, now()) ON CONFLICT DO NOTHING",
        )
        .bind(festival)
        .execute(tx)
        .await?
        .rows_affected()
            == 1)
    }
}
