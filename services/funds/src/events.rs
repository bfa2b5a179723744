//! 事件 — what the funds service tells the others: a `FundsEvent` written to
//! the runtime's outbox in the transaction of the change it tells about, for
//! the destinations named when it is written (the notification service,
//! the workflow service); [`crate::courier`] carries it there.

use relief_proto::common::v1::OrgRef;
use relief_proto::funds::v1 as pb;
use relief_runtime::error::Result;
use relief_runtime::rpc::Work;
use sqlx::PgConnection;
use uuid::Uuid;

/// The notification service (`PublishEvent`).
pub const NOTIFY: &str = "notify";
/// The workflow service (`RecordFundsProgress`).
pub const WORKFLOW: &str = "workflow";

/// An event about to be written.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: Uuid,
    pub message: pb::FundsEvent,
}

impl Event {
    /// A new event of `kind`, about `org` and `year`, happening now.
    pub fn new(kind: pb::FundsEventKind, org: Option<OrgRef>, year: i32) -> Self {
        let id = Uuid::new_v4();
        Event {
            id,
            message: pb::FundsEvent {
                event_id: id.to_string(),
                kind: kind as i32,
                occur_time: Some(relief_runtime::time::timestamp(
                    time::OffsetDateTime::now_utc(),
                )),
                org,
                year,
                ..Default::default()
            },
        }
    }

    /// The outbox's name of the kind, e.g. `ALLOCATION_CREATED`.
    pub fn kind(&self) -> &'static str {
        kind_name(self.message.kind)
    }

    /// Written with the change `work` makes, for `destinations`.
    pub async fn emit(&self, work: &mut Work, destinations: &[&str]) -> Result<()> {
        work.emit(self.id, self.kind(), &self.message, destinations)
            .await
    }

    /// Written in `tx`, for `destinations` (work the service does alone).
    pub async fn enqueue(&self, tx: &mut PgConnection, destinations: &[&str]) -> Result<()> {
        relief_runtime::outbox::enqueue(tx, self.id, self.kind(), &self.message, destinations).await
    }
}

/// `FUNDS_EVENT_KIND_ALLOCATION_CREATED` → `ALLOCATION_CREATED` (what the
/// migration that moved the old outbox wrote too).
pub fn kind_name(kind: i32) -> &'static str {
    pb::FundsEventKind::try_from(kind)
        .unwrap_or_default()
        .as_str_name()
        .trim_start_matches("FUNDS_EVENT_KIND_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_as_the_migration_names_them() {
        for (kind, name) in [
            (pb::FundsEventKind::BudgetChanged, "BUDGET_CHANGED"),
            (pb::FundsEventKind::AllocationCreated, "ALLOCATION_CREATED"),
            (
                pb::FundsEventKind::DisbursementRecorded,
                "DISBURSEMENT_RECORDED",
            ),
            (pb::FundsEventKind::ReceiptRecorded, "RECEIPT_RECORDED"),
            (pb::FundsEventKind::ReceiptMissing, "RECEIPT_MISSING"),
            (pb::FundsEventKind::PostingReversed, "POSTING_REVERSED"),
        ] {
            assert_eq!(kind_name(kind as i32), name);
        }
        assert_eq!(kind_name(99), "UNSPECIFIED");
    }
}
