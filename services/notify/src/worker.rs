//! 投递 — the worker that sends what is due: it claims messages (marked
//! SENDING and committed before anything leaves), sends each once, and
//! records the attempt and what follows — delivered, retried after a
//! backoff with jitter, or given up with the last error. See
//! [`crate::store`] for the one window in which a message can go twice.

use std::time::Duration;

use relief_proto::notify::v1::{Channel, DeliveryStatus};
use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::channels::Channels;
use crate::domain::delivery::{self, Next, Policy};
use crate::store::{AttemptRecord, Store};

/// `notify.delivery.*`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    pub poll_interval_ms: u64,
    pub batch_size: i64,
    pub max_attempts: i32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// A message SENDING longer than this (its process died) is taken again.
    pub sending_lease_ms: i64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            poll_interval_ms: 1_000,
            batch_size: 20,
            max_attempts: 6,
            initial_backoff_ms: 30_000,
            max_backoff_ms: 3_600_000,
            sending_lease_ms: 60_000,
        }
    }
}

pub struct Worker {
    pool: PgPool,
    channels: Channels,
    settings: DeliverySettings,
}

impl Worker {
    pub fn new(pool: PgPool, channels: Channels, settings: DeliverySettings) -> Self {
        Worker {
            pool,
            channels,
            settings,
        }
    }

    /// Sends what is due, forever.
    pub async fn run(self) {
        loop {
            match self.send_due().await {
                Ok(sent) if sent > 0 => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "notification delivery round failed"),
            }
            tokio::time::sleep(Duration::from_millis(self.settings.poll_interval_ms)).await;
        }
    }

    /// One round: claims up to a batch and sends it; how many were tried.
    pub async fn send_due(&self) -> relief_runtime::error::Result<usize> {
        let claimed = Store::claim_due(
            &self.pool,
            self.settings.batch_size,
            self.settings.sending_lease_ms,
        )
        .await?;
        let policy = Policy {
            max_attempts: self.settings.max_attempts,
            initial_backoff_ms: self.settings.initial_backoff_ms,
            max_backoff_ms: self.settings.max_backoff_ms,
        };
        for message in &claimed {
            let answer = self.channels.send(message).await;
            let next = delivery::after_attempt(policy, message.attempts, answer);
            let channel = Channel::try_from(message.channel).unwrap_or(Channel::Unspecified);
            let record = AttemptRecord {
                status: next.status(),
                error: match &next {
                    Next::Delivered { .. } => String::new(),
                    Next::RetryAfter { error, .. } | Next::GiveUp { error } => error.clone(),
                },
                destination_masked: delivery::mask_destination(channel, &message.destination),
                provider_message_id: match &next {
                    Next::Delivered {
                        provider_message_id,
                    } => provider_message_id.clone(),
                    _ => String::new(),
                },
                next_attempt_at: match &next {
                    Next::RetryAfter { wait, .. } => Some(OffsetDateTime::now_utc() + *wait),
                    _ => None,
                },
            };
            if record.status != DeliveryStatus::Succeeded {
                tracing::info!(
                    delivery_id = %message.delivery_id,
                    attempt = message.attempts,
                    status = ?record.status,
                    error = %record.error,
                    "notification not delivered"
                );
            }
            Store::record_attempt(&self.pool, message.delivery_id, message.attempts, &record)
                .await?;
        }
        Ok(claimed.len())
    }
}
