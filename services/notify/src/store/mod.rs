//! Every SQL statement of the notification service, against its own schema
//! only. What the database guarantees — one event per id, one inbox message
//! per event and recipient, one delivery per event, recipient and channel —
//! is declared in the migrations; the statements here lean on it.

mod deliveries;
mod inbox;
mod templates;

pub use deliveries::{AttemptRecord, AttemptRow, DueDelivery, NewDelivery};
pub use inbox::{InboxRow, NewInboxMessage};
pub use templates::{PreferencesRow, TemplateRow};

use relief_proto::common::v1::OrgRef;
use relief_runtime::error::Result;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::commands::NewEvent;

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

/// An event accepted before: what its first acceptance answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct AcceptedEvent {
    pub recipient_count: i32,
    pub deliveries_scheduled: i32,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Store { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Records the event unless its id was accepted before; `false` for a
    /// duplicate. A concurrent publication of the same id waits here for
    /// the first to commit, then finds it.
    pub async fn accept_event(
        tx: &mut PgConnection,
        event: &NewEvent,
        org: &OrgRef,
        published_by: &str,
        deliver_at: OffsetDateTime,
    ) -> Result<bool> {
        let parameters = serde_json::to_value(&event.parameters)
            .map_err(|err| relief_runtime::error::Error::internal("event parameters", err))?;
        let inserted = sqlx::query(
            "INSERT INTO events (event_id, kind, org_id, org_path, org_name, parameters, link, source,
                                 published_by, occurred_at, deliver_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event.event_id)
        .bind(event.kind as i32)
        .bind(org.org_id)
        .bind(&org.path)
        .bind(&org.name)
        .bind(parameters)
        .bind(&event.link)
        .bind(&event.source)
        .bind(published_by)
        .bind(event.occurred_at)
        .bind(deliver_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// What an accepted event's first publication answered.
    pub async fn accepted(tx: &mut PgConnection, event_id: Uuid) -> Result<AcceptedEvent> {
        Ok(sqlx::query_as(
            "SELECT recipient_count, deliveries_scheduled FROM events WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_one(&mut *tx)
        .await?)
    }

    /// Records how many were told and how many messages wait.
    pub async fn count_event(
        tx: &mut PgConnection,
        event_id: Uuid,
        counted: AcceptedEvent,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE events SET recipient_count = $2, deliveries_scheduled = $3 WHERE event_id = $1",
        )
        .bind(event_id)
        .bind(counted.recipient_count)
        .bind(counted.deliveries_scheduled)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
