//! 提醒 — what the workflow's own timers tell the notification service,
//! through the outbox (destination `notify`):
//!
//! - 办理时限: a case whose time in a state is running out (the department's
//!   `deadline_warning_days` ahead) or has run out — to whoever must act, a
//!   missed one also to the level above ([`announcements::of_deadline`]).
//!   Each is remembered per (case, stay in the state, kind) in the
//!   transaction that writes it, so a restart, a second replica or a round
//!   cut short sends none twice, and a case that moved on is not reminded
//!   of the state it left.
//! - 春节走访慰问: the window before the Spring Festival (computed from the
//!   lunar calendar), `spring_festival_reminder_days` ahead, once a festival —
//!   to the department and the committee, who decide and allocate before it.

use relief_proto::notify::v1 as notify;
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::Work;
use relief_runtime::time::{timestamp, today};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{WorkflowApi, flow, system_actor};
use crate::calendar::spring_festival;
use crate::courier::NOTIFY;
use crate::domain::announcements::{self, Overdue};
use crate::domain::state;
use crate::store::{DueReminder, Store};

/// Reminders written per round at most; the rest wait for the next.
const BATCH: i64 = 100;

/// The first Spring Festival on or after `today`.
fn next_festival(today: Date) -> Result<Date> {
    let festival_of = |year: i32| {
        spring_festival(year)
            .map_err(|err| Error::internal(format!("the Spring Festival of {year}"), err))
    };
    let this_year = festival_of(today.year())?;
    if this_year >= today {
        Ok(this_year)
    } else {
        festival_of(today.year() + 1)
    }
}

impl WorkflowApi {
    /// One round of the state deadline reminders: each due one in its own
    /// transaction, so one that fails holds up no other. Answers how many
    /// were written.
    pub async fn send_state_reminders(&self) -> Result<usize> {
        let now = OffsetDateTime::now_utc();
        let settings = {
            let mut conn = self.store.pool().acquire().await?;
            Store::flow_settings(&mut conn).await?
        };
        let due = self
            .store
            .due_state_reminders(
                now,
                settings.deadline_warning_days.max(0),
                &announcements::reminded_states(),
                BATCH,
            )
            .await?;
        let mut sent = 0;
        for seen in &due {
            match self.remind_of_deadline(seen, now).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(err) => tracing::warn!(
                    application_id = %seen.application_id,
                    error = %err,
                    "a state deadline reminder was not written; tried again next round"
                ),
            }
        }
        Ok(sent)
    }

    /// Writes the reminder the sweep saw due, under the case's lock, unless
    /// the case moved on meanwhile or it was written before; answers
    /// whether it was written now.
    async fn remind_of_deadline(&self, seen: &DueReminder, now: OffsetDateTime) -> Result<bool> {
        let overdue = if seen.missed {
            Overdue::Missed
        } else {
            Overdue::Approaching
        };
        let mut work = Work::unattended(
            self.rpc.pool(),
            format!(
                "state-deadline-{}-{}-{}",
                seen.application_id,
                seen.state_entered_at.unix_timestamp_nanos(),
                overdue.as_str()
            ),
            system_actor("办理时限"),
        )
        .await?;
        let row = Store::lock_application(work.tx(), seen.application_id).await?;
        // Another stay in a state is another reminder's business.
        if row.state_entered_at != seen.state_entered_at || row.closed_at.is_some() {
            return Ok(false);
        }
        let Some(announcement) =
            announcements::of_deadline(state::from_stored(row.state)?, overdue)
        else {
            return Ok(false);
        };
        if !Store::remember_state_reminder(
            work.tx(),
            row.application_id,
            row.state_entered_at,
            overdue.as_str(),
        )
        .await?
        {
            return Ok(false);
        }
        let event = flow::announcement_event(&row, &announcement, "", now);
        let event_id = Uuid::parse_str(&event.event_id).unwrap_or_else(|_| Uuid::new_v4());
        work.emit(
            event_id,
            &format!("application.deadline_{}", overdue.as_str()),
            &event,
            &[NOTIFY],
        )
        .await?;
        work.commit().await?;
        Ok(true)
    }

    /// Announces the coming Spring Festival once its window has opened and
    /// it was not announced before; answers whether it was announced now.
    pub async fn announce_festival_window(&self) -> Result<bool> {
        let lead = {
            let mut conn = self.store.pool().acquire().await?;
            Store::flow_settings(&mut conn)
                .await?
                .spring_festival_reminder_days
        };
        if lead <= 0 {
            return Ok(false);
        }
        let today = today();
        let festival = next_festival(today)?;
        if (festival - today).whole_days() > i64::from(lead) {
            return Ok(false);
        }
        let mut work = Work::unattended(
            self.rpc.pool(),
            format!("spring-festival-{festival}"),
            system_actor("春节提醒"),
        )
        .await?;
        if !Store::remember_festival(work.tx(), festival).await? {
            return Ok(false);
        }
        let committee = self.rpc.committee().clone();
        let event_id = Uuid::new_v4();
        let event = notify::PublishEventRequest {
            request_id: event_id.to_string(),
            event_id: event_id.to_string(),
            kind: notify::EventKind::SpringFestivalWindow as i32,
            recipient_roles: [
                notify::RecipientRole::Department,
                notify::RecipientRole::Committee,
            ]
            .into_iter()
            .map(|role| notify::RoleRecipients {
                role: role as i32,
                org_id: 0,
            })
            .collect(),
            parameters: [
                ("year", festival.year().to_string()),
                ("festival_date", festival.to_string()),
                ("org_name", committee.name.clone()),
                // Decided and paid before the festival: its eve is the last day.
                (
                    "deadline",
                    festival.previous_day().unwrap_or(festival).to_string(),
                ),
            ]
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
            org: Some(committee),
            link: format!("/calendar/spring-festival/{}", festival.year()),
            occur_time: Some(timestamp(OffsetDateTime::now_utc())),
            source: "workflow".to_owned(),
            ..Default::default()
        };
        work.emit(
            event_id,
            "calendar.spring_festival_window",
            &event,
            &[NOTIFY],
        )
        .await?;
        work.commit().await?;
        tracing::info!(%festival, "the Spring Festival window was announced");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::next_festival;

    #[test]
    fn the_next_festival_is_this_years_until_it_has_passed() {
        assert_eq!(
            next_festival(date!(2026 - 11 - 28)).ok(),
            Some(date!(2027 - 02 - 06))
        );
        assert_eq!(
            next_festival(date!(2027 - 01 - 10)).ok(),
            Some(date!(2027 - 02 - 06))
        );
        assert_eq!(
            next_festival(date!(2027 - 02 - 06)).ok(),
            Some(date!(2027 - 02 - 06))
        );
        assert_eq!(
            next_festival(date!(2027 - 02 - 07)).ok(),
            Some(date!(2028 - 01 - 26))
        );
    }
}
