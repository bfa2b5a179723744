//! 投递 — the messages to send by e-mail and SMS, one row per event,
//! recipient and channel, and the log of every attempt.
//!
//! A worker claims due rows with `FOR UPDATE SKIP LOCKED` and marks them
//! SENDING (committed) before it sends; after the provider answers it records
//! the outcome and the attempt (committed). A row left SENDING by a process
//! that died is taken again once its lease ran out: sent again only if the
//! process died between the provider accepting and the outcome being
//! recorded — the one window for a repeat.

use relief_proto::notify::v1::{Channel, DeliveryStatus, EventKind};
use relief_runtime::error::Result;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;

/// A message to schedule, or a skip to record.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub event_id: Uuid,
    pub kind: EventKind,
    pub recipient_user_id: &'a str,
    pub channel: Channel,
    pub destination: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub sms_template_code: &'a str,
    pub parameters: &'a serde_json::Value,
    pub send_at: OffsetDateTime,
}

/// A message claimed for sending.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueDelivery {
    pub delivery_id: Uuid,
    pub event_id: Uuid,
    pub kind: i32,
    pub recipient_user_id: String,
    pub channel: i32,
    pub destination: String,
    pub subject: String,
    pub body: String,
    pub sms_template_code: String,
    pub parameters: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempts: i32,
    /// The previous attempt was cut off (its process died mid-send).
    pub interrupted: bool,
}

/// One attempt's outcome, to record.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub status: DeliveryStatus,
    pub error: String,
    pub destination_masked: String,
    pub provider_message_id: String,
    pub next_attempt_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub seq: i64,
    pub attempt_id: Uuid,
    pub event_id: Uuid,
    pub kind: i32,
    pub recipient_user_id: String,
    pub channel: i32,
    pub attempt_number: i32,
    pub status: i32,
    pub error: String,
    pub destination_masked: String,
    pub provider_message_id: String,
    pub attempted_at: OffsetDateTime,
    pub next_attempt_at: Option<OffsetDateTime>,
}

impl Store {
    /// Schedules the message (`true`), unless the event already has one for
    /// this recipient and channel (`false`).
    pub async fn schedule(tx: &mut PgConnection, delivery: &NewDelivery<'_>) -> Result<bool> {
        Ok(Self::insert_delivery(tx, delivery, "PENDING")
            .await?
            .is_some())
    }

    /// Records that the message was not sent, and why, as a SKIPPED row and
    /// its attempt.
    pub async fn skip(
        tx: &mut PgConnection,
        delivery: &NewDelivery<'_>,
        why: &str,
        destination_masked: &str,
    ) -> Result<()> {
        if let Some(delivery_id) = Self::insert_delivery(tx, delivery, "SKIPPED").await? {
            let record = AttemptRecord {
                status: DeliveryStatus::Skipped,
                error: why.to_owned(),
                destination_masked: destination_masked.to_owned(),
                provider_message_id: String::new(),
                next_attempt_at: None,
            };
            sqlx::query("UPDATE deliveries SET last_error = $2 WHERE delivery_id = $1")
                .bind(delivery_id)
                .bind(why)
                .execute(&mut *tx)
                .await?;
            Self::log_attempt(tx, delivery_id, 1, &record).await?;
        }
        Ok(())
    }

    async fn insert_delivery(
        tx: &mut PgConnection,
        delivery: &NewDelivery<'_>,
        state: &str,
    ) -> Result<Option<Uuid>> {
        Ok(sqlx::query_scalar(
            "INSERT INTO deliveries (delivery_id, event_id, kind, recipient_user_id, channel, destination,
                                     subject, body, sms_template_code, parameters, state, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (event_id, recipient_user_id, channel) DO NOTHING
             RETURNING delivery_id",
        )
        .bind(Uuid::new_v4())
        .bind(delivery.event_id)
        .bind(delivery.kind as i32)
        .bind(delivery.recipient_user_id)
        .bind(delivery.channel as i32)
        .bind(delivery.destination)
        .bind(delivery.subject)
        .bind(delivery.body)
        .bind(delivery.sms_template_code)
        .bind(delivery.parameters)
        .bind(state)
        .bind(delivery.send_at)
        .fetch_optional(&mut *tx)
        .await?)
    }

    /// Claims up to `limit` due messages — pending ones whose time has come,
    /// and ones left SENDING longer than `lease_ms` (their process died) —
    /// marks them SENDING with their attempt counted, and commits, so no
    /// other worker takes them while they are sent.
    pub async fn claim_due(pool: &PgPool, limit: i64, lease_ms: i64) -> Result<Vec<DueDelivery>> {
        let mut tx = pool.begin().await?;
        let claimed = sqlx::query_as(
            "WITH due AS (
                 SELECT delivery_id, state = 'SENDING' AS interrupted FROM deliveries
                 WHERE (state = 'PENDING' AND next_attempt_at <= now())
                    OR (state = 'SENDING' AND sending_since < now() - make_interval(secs => $2::double precision / 1000))
                 ORDER BY next_attempt_at
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED
             )
             UPDATE deliveries d
             SET state = 'SENDING', sending_since = now(), attempts = d.attempts + 1
             FROM due WHERE d.delivery_id = due.delivery_id
             RETURNING d.delivery_id, d.event_id, d.kind, d.recipient_user_id, d.channel, d.destination,
                       d.subject, d.body, d.sms_template_code, d.parameters, d.attempts, due.interrupted",
        )
        .bind(limit)
        .bind(lease_ms)
        .fetch_all(&mut *tx)
        .await?;
        // An attempt cut off by a dead process is on record too: whether the
        // provider took it is unknown, and it is tried again now.
        for message in claimed.iter().filter(|m: &&DueDelivery| m.interrupted) {
            let record = AttemptRecord {
                status: DeliveryStatus::FailedRetrying,
                error:
                    "interrupted: the process stopped while sending; outcome unknown, sent again"
                        .to_owned(),
                destination_masked: crate::domain::delivery::mask_destination(
                    Channel::try_from(message.channel).unwrap_or(Channel::Unspecified),
                    &message.destination,
                ),
                provider_message_id: String::new(),
                next_attempt_at: Some(OffsetDateTime::now_utc()),
            };
            Self::log_attempt(&mut tx, message.delivery_id, message.attempts - 1, &record).await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records attempt `attempt` of a claimed message and where it leaves
    /// the message, in one transaction.
    pub async fn record_attempt(
        pool: &PgPool,
        delivery_id: Uuid,
        attempt: i32,
        record: &AttemptRecord,
    ) -> Result<()> {
        let mut tx = pool.begin().await?;
        let state = match record.status {
            DeliveryStatus::Succeeded => "SUCCEEDED",
            DeliveryStatus::FailedRetrying => "PENDING",
            _ => "FAILED_PERMANENTLY",
        };
        sqlx::query(
            "UPDATE deliveries
             SET state = $2, sending_since = NULL, last_error = $3, provider_message_id = $4,
                 next_attempt_at = COALESCE($5, next_attempt_at)
             WHERE delivery_id = $1 AND state = 'SENDING' AND attempts = $6",
        )
        .bind(delivery_id)
        .bind(state)
        .bind(&record.error)
        .bind(&record.provider_message_id)
        .bind(record.next_attempt_at)
        .bind(attempt)
        .execute(&mut *tx)
        .await?;
        Self::log_attempt(&mut tx, delivery_id, attempt, record).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn log_attempt(
        tx: &mut PgConnection,
        delivery_id: Uuid,
        attempt: i32,
        record: &AttemptRecord,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO delivery_attempts (attempt_id, delivery_id, event_id, kind, recipient_user_id, channel,
                                            attempt_number, status, error, destination_masked,
                                            provider_message_id, next_attempt_at)
             SELECT $1, delivery_id, event_id, kind, recipient_user_id, channel, $3, $4, $5, $6, $7, $8
             FROM deliveries WHERE delivery_id = $2",
        )
        .bind(Uuid::new_v4())
        .bind(delivery_id)
        .bind(attempt)
        .bind(record.status as i32)
        .bind(&record.error)
        .bind(&record.destination_masked)
        .bind(&record.provider_message_id)
        .bind(record.next_attempt_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// A page of the attempt log, newest first, before `before`.
    pub async fn attempts_page(
        &self,
        event_id: Option<Uuid>,
        recipient: Option<&str>,
        channel: Option<Channel>,
        status: Option<DeliveryStatus>,
        before: Option<i64>,
        fetch: i64,
    ) -> Result<Vec<AttemptRow>> {
        Ok(sqlx::query_as(
            "SELECT seq, attempt_id, event_id, kind, recipient_user_id, channel, attempt_number, status,
                    error, destination_masked, provider_message_id, attempted_at, next_attempt_at
             FROM delivery_attempts
             WHERE ($1::uuid IS NULL OR event_id = $1)
               AND ($2::text IS NULL OR recipient_user_id = $2)
               AND ($3 = 0 OR channel = $3)
               AND ($4 = 0 OR status = $4)
               AND ($5::bigint IS NULL OR seq < $5)
             ORDER BY seq DESC
             LIMIT $6",
        )
        .bind(event_id)
        .bind(recipient)
        .bind(channel.map_or(0, |c| c as i32))
        .bind(status.map_or(0, |s| s as i32))
        .bind(before)
        .bind(fetch)
        .fetch_all(&self.pool)
        .await?)
    }
}
