//! 回执缺失 — announces payments whose signed receipt is overdue: once per
//! payment, a RECEIPT_MISSING event for the notification service, written to
//! the outbox with the mark that it was announced. Its own periodic task.

use std::time::Duration;

use relief_proto::common::v1::OrgRef;
use relief_proto::funds::v1 as pb;
use relief_runtime::error::Result;

use crate::FundsSettings;
use crate::domain::money::Money;
use crate::events::{Event, NOTIFY};
use crate::store::Store;

/// Payments announced per round at most; the rest wait for the next.
const BATCH: i64 = 500;

pub struct ReceiptSweep {
    store: Store,
    settings: FundsSettings,
}

impl ReceiptSweep {
    pub fn new(store: Store, settings: FundsSettings) -> Self {
        ReceiptSweep { store, settings }
    }

    /// Sweeps at once and then every `receipt_sweep_interval_ms`, until the
    /// task is aborted (a round cut short rolls back and is done again).
    pub async fn run(self) {
        let every = Duration::from_millis(self.settings.receipt_sweep_interval_ms.max(1_000));
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = self.announce_overdue_receipts().await {
                tracing::warn!(error = %err, "receipt-missing sweep failed");
            }
        }
    }

    /// Writes a RECEIPT_MISSING event for each payment past the limit without
    /// a receipt, once per payment; answers how many were announced.
    pub async fn announce_overdue_receipts(&self) -> Result<usize> {
        let today = relief_runtime::time::today();
        let Some(cutoff) = today.checked_sub(time::Duration::days(i64::from(
            self.settings.receipt_missing_after_days,
        ))) else {
            return Ok(0);
        };
        let mut tx = self.store.pool().begin().await?;
        let overdue = Store::overdue_receipts(&mut tx, cutoff, BATCH).await?;
        for payment in &overdue {
            let mut event = Event::new(
                pb::FundsEventKind::ReceiptMissing,
                Some(OrgRef {
                    org_id: payment.org_id,
                    path: payment.org_path.clone(),
                    name: payment.org_name.clone(),
                }),
                payment.year,
            );
            event.message.application_id = payment.application_id.clone();
            event.message.allocation_id = payment.allocation_id.to_string();
            event.message.disbursement_id = payment.disbursement_id.to_string();
            event.message.member_id = payment.member_id.clone();
            event.message.amount = Money::from_fen(payment.amount).to_proto();
            event.enqueue(&mut tx, &[NOTIFY]).await?;
            Store::mark_receipt_missing_announced(&mut tx, payment.disbursement_id, event.id)
                .await?;
        }
        tx.commit().await?;
        Ok(overdue.len())
    }
}
