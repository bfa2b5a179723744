//! The transactional outbox: events written in the transaction of the change
//! they tell about, one delivery row per destination, and what the relay
//! needs to deliver them at least once.

use prost::Message;
use relief_proto::funds::v1 as pb;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;
use crate::error::Result;

/// Where an event goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// The notification service (`PublishEvent`).
    Notify,
    /// The workflow service (`RecordFundsProgress`).
    Workflow,
}

impl Destination {
    pub fn as_str(self) -> &'static str {
        match self {
            Destination::Notify => "notify",
            Destination::Workflow => "workflow",
        }
    }
}

/// A delivery due now, claimed by the relay's transaction.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub event: pb::FundsEvent,
    pub attempts: i32,
}

/// A payment old enough to have its missing receipt announced.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OverdueReceipt {
    pub disbursement_id: Uuid,
    pub allocation_id: Uuid,
    pub application_id: String,
    pub member_id: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub year: i32,
    pub amount: i64,
}

impl Store {
    /// Writes `event` and a pending delivery to each destination, in `tx`.
    pub async fn emit(
        tx: &mut PgConnection,
        event: &pb::FundsEvent,
        destinations: &[Destination],
    ) -> Result<()> {
        let event_id = Uuid::parse_str(&event.event_id)
            .map_err(|_| crate::error::Error::NotFound("event id".to_owned()))?;
        sqlx::query("INSERT INTO outbox (event_id, kind, payload) VALUES ($1, $2, $3)")
            .bind(event_id)
            .bind(event.kind)
            .bind(event.encode_to_vec())
            .execute(&mut *tx)
            .await?;
        for destination in destinations {
            sqlx::query("INSERT INTO outbox_deliveries (event_id, destination) VALUES ($1, $2)")
                .bind(event_id)
                .bind(destination.as_str())
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// Claims up to `limit` deliveries to `destination` that are due, locking
    /// them for this transaction (other relays skip them). If the relay dies
    /// before committing, the locks go and the deliveries are due again.
    pub async fn claim_due(
        tx: &mut PgConnection,
        destination: Destination,
        limit: i64,
    ) -> Result<Vec<DueDelivery>> {
        let rows: Vec<(Vec<u8>, i32)> = sqlx::query_as(
            "SELECT o.payload, d.attempts FROM outbox_deliveries d JOIN outbox o ON o.event_id = d.event_id
             WHERE d.destination = $1 AND d.delivered_at IS NULL AND d.next_attempt_at <= now()
             ORDER BY o.seq LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
        )
        .bind(destination.as_str())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut due = Vec::with_capacity(rows.len());
        for (payload, attempts) in rows {
            match pb::FundsEvent::decode(payload.as_slice()) {
                Ok(event) => due.push(DueDelivery { event, attempts }),
                Err(err) => tracing::error!(error = %err, "undecodable outbox event skipped"),
            }
        }
        Ok(due)
    }

    pub async fn mark_delivered(
        tx: &mut PgConnection,
        event_id: &str,
        destination: Destination,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox_deliveries SET delivered_at = now(), attempts = attempts + 1, last_error = ''
             WHERE event_id = $1::uuid AND destination = $2",
        )
        .bind(event_id)
        .bind(destination.as_str())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    pub async fn mark_failed(
        tx: &mut PgConnection,
        event_id: &str,
        destination: Destination,
        error: &str,
        retry_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox_deliveries SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4
             WHERE event_id = $1::uuid AND destination = $2",
        )
        .bind(event_id)
        .bind(destination.as_str())
        .bind(error)
        .bind(retry_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Payments paid on or before `paid_on_or_before` with no receipt and no
    /// RECEIPT_MISSING event yet, locked so two relays do not both announce.
    pub async fn overdue_receipts(
        tx: &mut PgConnection,
        paid_on_or_before: time::Date,
        limit: i64,
    ) -> Result<Vec<OverdueReceipt>> {
        Ok(sqlx::query_as(
            "SELECT d.disbursement_id, d.allocation_id, a.application_id, a.member_id, a.org_id, a.org_path,
                a.org_name, a.year, d.amount
             FROM disbursements d JOIN allocations a ON a.allocation_id = d.allocation_id
             WHERE NOT d.reversed AND d.receipt_missing_event_id IS NULL AND d.paid_date <= $1
               AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.disbursement_id = d.disbursement_id)
             ORDER BY d.seq LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
        )
        .bind(paid_on_or_before)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?)
    }

    pub async fn mark_receipt_missing_announced(
        tx: &mut PgConnection,
        disbursement_id: Uuid,
        event_id: Uuid,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE disbursements SET receipt_missing_event_id = $2 WHERE disbursement_id = $1",
        )
        .bind(disbursement_id)
        .bind(event_id)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
