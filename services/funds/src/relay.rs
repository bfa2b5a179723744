//! The outbox relay: delivers each event at least once to the notification
//! service (`PublishEvent`) and the workflow service (`RecordFundsProgress`),
//! as the service's own principal, retrying with exponential backoff. An
//! event is marked delivered only after the receiver accepted it; receivers
//! de-duplicate on the event id. With no peer configured (or no signing key)
//! the events stay in the outbox, undelivered, until one is.
//!
//! It also announces payments whose signed receipt is overdue (回执缺失),
//! once per payment, through the same outbox.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use relief_proto::funds::v1 as pb;
use relief_proto::notify::v1 as notify;
use relief_proto::notify::v1::notification_service_client::NotificationServiceClient;
use relief_proto::workflow::v1 as workflow;
use relief_proto::workflow::v1::application_service_client::ApplicationServiceClient;
use relief_runtime::auth::ServicePrincipal;
use relief_runtime::client::{CallAs, PeerInterceptor, peer_channel};
use relief_runtime::config::PeerSettings;
use time::OffsetDateTime;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::RelaySettings;
use crate::domain::money::Money;
use crate::error::Result;
use crate::store::{Destination, Store};

type Notify = NotificationServiceClient<InterceptedService<Channel, PeerInterceptor>>;
type Workflow = ApplicationServiceClient<InterceptedService<Channel, PeerInterceptor>>;

pub struct Relay {
    store: Store,
    settings: RelaySettings,
    notify: Option<Notify>,
    workflow: Option<Workflow>,
}

impl Relay {
    pub fn new(
        store: Store,
        settings: RelaySettings,
        peers: &PeerSettings,
        principal: Option<Arc<ServicePrincipal>>,
    ) -> anyhow::Result<Self> {
        let deadline = Duration::from_millis(peers.timeout_ms);
        let interceptor = |principal: &Arc<ServicePrincipal>| {
            PeerInterceptor::new(CallAs::Service(principal.clone()), deadline)
        };
        let (mut notify_client, mut workflow_client) = (None, None);
        match principal {
            Some(principal) => {
                if !peers.notify.is_empty() {
                    notify_client = Some(NotificationServiceClient::with_interceptor(
                        peer_channel(&peers.notify)?,
                        interceptor(&principal),
                    ));
                }
                if !peers.workflow.is_empty() {
                    workflow_client = Some(ApplicationServiceClient::with_interceptor(
                        peer_channel(&peers.workflow)?,
                        interceptor(&principal),
                    ));
                }
            }
            None if !peers.notify.is_empty() || !peers.workflow.is_empty() => {
                tracing::warn!(
                    "peers are configured but auth.service_signing_key is not: outbox events stay undelivered"
                );
            }
            None => {}
        }
        Ok(Relay {
            store,
            settings,
            notify: notify_client,
            workflow: workflow_client,
        })
    }

    /// Relays until the task is aborted. Aborting mid-delivery loses nothing:
    /// the claiming transaction rolls back and the delivery is due again.
    pub async fn run(mut self) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        let sweep_every = Duration::from_millis(self.settings.receipt_sweep_interval_ms.max(1_000));
        let mut last_sweep: Option<tokio::time::Instant> = None;
        loop {
            if last_sweep.is_none_or(|at| at.elapsed() >= sweep_every) {
                last_sweep = Some(tokio::time::Instant::now());
                if let Err(err) = self.announce_overdue_receipts().await {
                    tracing::warn!(error = %err, "receipt-missing sweep failed");
                }
            }
            for destination in [Destination::Notify, Destination::Workflow] {
                if let Err(err) = self.deliver_due(destination).await {
                    tracing::warn!(error = %err, destination = destination.as_str(), "outbox relay failed");
                }
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Delivers what is due to `destination`; returns how many were delivered.
    /// Stops at the first failure: the receiver is likely down, and the rest
    /// wait for the next round rather than each waiting for a timeout.
    pub async fn deliver_due(&mut self, destination: Destination) -> Result<usize> {
        let configured = match destination {
            Destination::Notify => self.notify.is_some(),
            Destination::Workflow => self.workflow.is_some(),
        };
        if !configured {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        let due = Store::claim_due(&mut tx, destination, self.settings.batch_size.max(1)).await?;
        let mut delivered = 0;
        for delivery in due {
            let event_id = delivery.event.event_id.clone();
            match self.send(destination, &delivery.event).await {
                Ok(()) => {
                    Store::mark_delivered(&mut tx, &event_id, destination).await?;
                    delivered += 1;
                }
                Err(status) => {
                    let wait = backoff(
                        self.settings.initial_backoff_ms,
                        self.settings.max_backoff_ms,
                        delivery.attempts,
                    );
                    tracing::warn!(
                        event_id = %event_id,
                        destination = destination.as_str(),
                        attempts = delivery.attempts + 1,
                        retry_in_ms = wait.as_millis() as u64,
                        code = ?status.code(),
                        "outbox delivery failed; will retry"
                    );
                    let error = format!("{:?}: {}", status.code(), status.message());
                    Store::mark_failed(
                        &mut tx,
                        &event_id,
                        destination,
                        &error,
                        OffsetDateTime::now_utc() + wait,
                    )
                    .await?;
                    break;
                }
            }
        }
        tx.commit().await?;
        Ok(delivered)
    }

    async fn send(
        &mut self,
        destination: Destination,
        event: &pb::FundsEvent,
    ) -> Result<(), tonic::Status> {
        match destination {
            Destination::Notify => {
                let (Some(client), Some(request)) = (self.notify.as_mut(), notify_request(event))
                else {
                    // Nothing the notification service tells about: done.
                    return Ok(());
                };
                client.publish_event(request).await.map(|_| ())
            }
            Destination::Workflow => {
                let (Some(client), Some(request)) =
                    (self.workflow.as_mut(), workflow_request(event))
                else {
                    return Ok(());
                };
                client.record_funds_progress(request).await.map(|_| ())
            }
        }
    }

    /// Writes a RECEIPT_MISSING event for each payment past the limit without
    /// a receipt, once per payment.
    pub async fn announce_overdue_receipts(&self) -> Result<usize> {
        let today = relief_runtime::time::today();
        let Some(cutoff) = today.checked_sub(time::Duration::days(i64::from(
            self.settings.receipt_missing_after_days,
        ))) else {
            return Ok(0);
        };
        let mut tx = self.store.begin().await?;
        let overdue = Store::overdue_receipts(&mut tx, cutoff, 500).await?;
        for payment in &overdue {
            let event_id = Uuid::new_v4();
            let event = pb::FundsEvent {
                event_id: event_id.to_string(),
                kind: pb::FundsEventKind::ReceiptMissing as i32,
                occur_time: Some(relief_runtime::time::timestamp(OffsetDateTime::now_utc())),
                org: crate::store::org_ref(payment.org_id, &payment.org_path, &payment.org_name),
                year: payment.year,
                application_id: payment.application_id.clone(),
                allocation_id: payment.allocation_id.to_string(),
                disbursement_id: payment.disbursement_id.to_string(),
                member_id: payment.member_id.clone(),
                amount: Money::from_fen(payment.amount).to_proto(),
                ..Default::default()
            };
            Store::emit(&mut tx, &event, &[Destination::Notify]).await?;
            Store::mark_receipt_missing_announced(&mut tx, payment.disbursement_id, event_id)
                .await?;
        }
        tx.commit().await?;
        Ok(overdue.len())
    }
}

/// The wait before attempt `attempts + 1`: doubling from `initial`, capped.
pub fn backoff(initial_ms: u64, max_ms: u64, attempts: i32) -> Duration {
    let factor = 1_u64
        .checked_shl(u32::try_from(attempts.clamp(0, 30)).unwrap_or(30))
        .unwrap_or(u64::MAX);
    Duration::from_millis(initial_ms.saturating_mul(factor).min(max_ms))
}

/// The notification the event makes, if any.
pub fn notify_request(event: &pb::FundsEvent) -> Option<notify::PublishEventRequest> {
    let kind = pb::FundsEventKind::try_from(event.kind).ok()?;
    let (notify_kind, roles): (notify::EventKind, &[notify::RecipientRole]) = match kind {
        pb::FundsEventKind::AllocationCreated => (
            notify::EventKind::FundsAllocated,
            &[
                notify::RecipientRole::BranchStaff,
                notify::RecipientRole::SuperiorOrg,
            ],
        ),
        pb::FundsEventKind::DisbursementRecorded => (
            notify::EventKind::FundsDisbursed,
            &[notify::RecipientRole::BranchStaff],
        ),
        pb::FundsEventKind::ReceiptMissing => (
            notify::EventKind::ReceiptMissing,
            &[
                notify::RecipientRole::BranchStaff,
                notify::RecipientRole::Finance,
            ],
        ),
        _ => return None,
    };
    let mut parameters = HashMap::from([
        ("year".to_owned(), event.year.to_string()),
        (
            "amount".to_owned(),
            Money::from_proto(event.amount.as_ref()).to_string(),
        ),
        (
            "org_name".to_owned(),
            event
                .org
                .as_ref()
                .map(|o| o.name.clone())
                .unwrap_or_default(),
        ),
    ]);
    for (key, value) in [
        ("application_id", &event.application_id),
        ("allocation_id", &event.allocation_id),
        ("disbursement_id", &event.disbursement_id),
        ("member_id", &event.member_id),
    ] {
        if !value.is_empty() {
            parameters.insert(key.to_owned(), value.clone());
        }
    }
    Some(notify::PublishEventRequest {
        request_id: event.event_id.clone(),
        event_id: event.event_id.clone(),
        kind: notify_kind as i32,
        org: event.org.clone(),
        recipient_user_ids: Vec::new(),
        recipient_roles: roles
            .iter()
            .map(|role| notify::RoleRecipients {
                role: *role as i32,
                org_id: 0,
            })
            .collect(),
        parameters,
        link: if event.allocation_id.is_empty() {
            String::new()
        } else {
            format!("/funds/allocations/{}", event.allocation_id)
        },
        occur_time: event.occur_time.clone(),
        source: "funds".to_owned(),
    })
}

/// The workflow milestone the event makes, if any.
pub fn workflow_request(event: &pb::FundsEvent) -> Option<workflow::RecordFundsProgressRequest> {
    let stage = match pb::FundsEventKind::try_from(event.kind).ok()? {
        pb::FundsEventKind::AllocationCreated => workflow::FundsStage::Allocated,
        pb::FundsEventKind::DisbursementRecorded => workflow::FundsStage::Disbursed,
        pb::FundsEventKind::ReceiptRecorded => workflow::FundsStage::Receipted,
        _ => return None,
    };
    if event.application_id.is_empty() {
        return None;
    }
    Some(workflow::RecordFundsProgressRequest {
        request_id: event.event_id.clone(),
        application_id: event.application_id.clone(),
        stage: stage as i32,
        allocation_id: event.allocation_id.clone(),
        disbursement_id: event.disbursement_id.clone(),
        voucher_number: event.voucher_number.clone(),
        event_time: event.occur_time.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1_000, 300_000, 0), Duration::from_millis(1_000));
        assert_eq!(backoff(1_000, 300_000, 1), Duration::from_millis(2_000));
        assert_eq!(backoff(1_000, 300_000, 5), Duration::from_millis(32_000));
        assert_eq!(backoff(1_000, 300_000, 20), Duration::from_millis(300_000));
        assert_eq!(
            backoff(1_000, 300_000, i32::MAX),
            Duration::from_millis(300_000)
        );
    }

    #[test]
    fn routing() {
        let event = |kind: pb::FundsEventKind| pb::FundsEvent {
            event_id: "e".to_owned(),
            kind: kind as i32,
            application_id: "app".to_owned(),
            ..Default::default()
        };
        let allocated = notify_request(&event(pb::FundsEventKind::AllocationCreated));
        assert_eq!(
            allocated.map(|r| r.kind),
            Some(notify::EventKind::FundsAllocated as i32)
        );
        assert!(notify_request(&event(pb::FundsEventKind::BudgetChanged)).is_none());
        assert!(notify_request(&event(pb::FundsEventKind::ReceiptRecorded)).is_none());
        let receipted = workflow_request(&event(pb::FundsEventKind::ReceiptRecorded));
        assert_eq!(
            receipted.map(|r| r.stage),
            Some(workflow::FundsStage::Receipted as i32)
        );
        assert!(workflow_request(&event(pb::FundsEventKind::ReceiptMissing)).is_none());
    }
}
