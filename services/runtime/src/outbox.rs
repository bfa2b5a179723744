//! The transactional outbox every service uses to tell others what happened:
//! events are written in the transaction of the change they tell about
//! ([`enqueue`], through `rpc::Work::emit`), and a [`Relay`] delivers each at
//! least once to each destination, as the service's own principal, retrying
//! with exponential backoff and jitter. Receivers de-duplicate on the event id.

use std::future::Future;
use std::time::Duration;

use prost::Message;
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use tonic::Status;
use uuid::Uuid;

use crate::error::Result;

/// Writes `event` and a pending delivery to each destination, in `tx`.
pub async fn enqueue<E: Message>(
    tx: &mut PgConnection,
    event_id: Uuid,
    kind: &str,
    event: &E,
    destinations: &[&str],
) -> Result<()> {
    sqlx::query("INSERT INTO event_outbox (event_id, kind, payload) VALUES ($1, $2, $3)")
        .bind(event_id)
        .bind(kind)
        .bind(event.encode_to_vec())
        .execute(&mut *tx)
        .await?;
    for destination in destinations {
        sqlx::query("INSERT INTO event_deliveries (event_id, destination) VALUES ($1, $2)")
            .bind(event_id)
            .bind(*destination)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// How a relay paces itself (`outbox.*` in every service's configuration).
#[derive(Debug, Clone, Deserialize)]
pub struct RelaySettings {
    /// How often the relay looks for deliveries that are due.
    pub poll_interval_ms: u64,
    /// First retry after a failed delivery; doubles up to `max_backoff_ms`.
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub batch_size: i64,
}

impl Default for RelaySettings {
    fn default() -> Self {
        RelaySettings {
            poll_interval_ms: 1_000,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 300_000,
            batch_size: 50,
        }
    }
}

/// What carries a service's events to their destinations: one call per
/// event and destination. `Ok` marks the delivery done.
pub trait Courier: Send + Sync + 'static {
    /// The destinations this courier can reach now (configured peers).
    fn destinations(&self) -> Vec<&'static str>;

    fn deliver(
        &self,
        destination: &str,
        payload: &[u8],
    ) -> impl Future<Output = Result<(), Status>> + Send;
}

/// One delivery that is due, claimed by the relay's transaction.
struct Due {
    event_id: Uuid,
    payload: Vec<u8>,
    attempts: i32,
}

pub struct Relay<C> {
    pool: PgPool,
    settings: RelaySettings,
    courier: C,
}

impl<C: Courier> Relay<C> {
    pub fn new(pool: PgPool, settings: RelaySettings, courier: C) -> Self {
        Relay {
            pool,
            settings,
            courier,
        }
    }

    /// Relays until the task is aborted. Aborting mid-delivery loses nothing:
    /// the claiming transaction rolls back and the delivery is due again.
    pub async fn run(self) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        loop {
            for destination in self.courier.destinations() {
                if let Err(err) = self.deliver_due(destination).await {
                    tracing::warn!(error = %err, destination, "outbox relay failed");
                }
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Delivers what is due to `destination`; answers how many were delivered.
    /// Stops at the first failure: the receiver is likely down, and the rest
    /// wait for the next round rather than each waiting for a timeout.
    pub async fn deliver_due(&self, destination: &str) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        // Locked for this transaction: other replicas' relays skip them. If
        // this one dies before committing, the locks go and they are due again.
        let due: Vec<(Uuid, Vec<u8>, i32)> = sqlx::query_as(
            "SELECT o.event_id, o.payload, d.attempts
             FROM event_deliveries d JOIN event_outbox o ON o.event_id = d.event_id
             WHERE d.destination = $1 AND d.delivered_at IS NULL AND d.next_attempt_at <= now()
             ORDER BY o.seq LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
        )
        .bind(destination)
        .bind(self.settings.batch_size.max(1))
        .fetch_all(&mut *tx)
        .await?;
        let mut delivered = 0;
        for (event_id, payload, attempts) in due {
            let due = Due {
                event_id,
                payload,
                attempts,
            };
            match self.courier.deliver(destination, &due.payload).await {
                Ok(()) => {
                    sqlx::query(
                        "UPDATE event_deliveries SET delivered_at = now(), attempts = attempts + 1, last_error = ''
                         WHERE event_id = $1 AND destination = $2",
                    )
                    .bind(due.event_id)
                    .bind(destination)
                    .execute(&mut *tx)
                    .await?;
                    delivered += 1;
                }
                Err(status) => {
                    let wait = backoff(
                        self.settings.initial_backoff_ms,
                        self.settings.max_backoff_ms,
                        due.attempts,
                    );
                    tracing::warn!(
                        event_id = %due.event_id,
                        destination,
                        attempts = due.attempts + 1,
                        retry_in_ms = wait.as_millis() as u64,
                        code = ?status.code(),
                        "outbox delivery failed; will retry"
                    );
                    sqlx::query(
                        "UPDATE event_deliveries SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4
                         WHERE event_id = $1 AND destination = $2",
                    )
                    .bind(due.event_id)
                    .bind(destination)
                    .bind(format!("{:?}: {}", status.code(), status.message()))
                    .bind(OffsetDateTime::now_utc() + wait)
                    .execute(&mut *tx)
                    .await?;
                    break;
                }
            }
        }
        tx.commit().await?;
        Ok(delivered)
    }
}

/// The wait before attempt `attempts + 1`: doubling from `initial`, capped at
/// `max`, less up to a fifth at random so that many senders that failed
/// together do not retry together.
pub fn backoff(initial_ms: u64, max_ms: u64, attempts: i32) -> Duration {
    let factor = 1_u64
        .checked_shl(u32::try_from(attempts.clamp(0, 30)).unwrap_or(30))
        .unwrap_or(u64::MAX);
    let full = initial_ms.saturating_mul(factor).min(max_ms);
    let jitter = match full / 5 {
        0 => 0,
        fifth => rand::random::<u64>() % (fifth + 1),
    };
    Duration::from_millis(full - jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters_below() {
        for _ in 0..50 {
            let within = |attempts, full: u64| {
                let wait = backoff(1_000, 300_000, attempts).as_millis() as u64;
                assert!(wait <= full && wait >= full - full / 5, "{wait} for {full}");
            };
            within(0, 1_000);
            within(1, 2_000);
            within(5, 32_000);
            within(20, 300_000);
            within(i32::MAX, 300_000);
        }
    }
}
