//! Carries the funds service's events to the notification service
//! (`PublishEvent`) and the workflow service (`RecordFundsProgress`), as the
//! service's own principal: the runtime's outbox relay
//! (`relief_runtime::outbox::Relay`) calls [`FundsCourier`] once per event and
//! destination, and retries it with backoff until it is accepted. Receivers
//! de-duplicate on the event id. With no peer configured (or no signing key)
//! the events stay in the outbox, undelivered, until one is.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use relief_proto::funds::v1 as pb;
use relief_proto::notify::v1 as notify;
use relief_proto::notify::v1::notification_service_client::NotificationServiceClient;
use relief_proto::workflow::v1 as workflow;
use relief_proto::workflow::v1::application_service_client::ApplicationServiceClient;
use relief_runtime::auth::{Role, ServicePrincipal};
use relief_runtime::client::{CallAs, PeerInterceptor, peer_channel};
use relief_runtime::config::PeerSettings;
use relief_runtime::outbox::Courier;
use tonic::Status;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;

use crate::domain::money::Money;
use crate::events::{NOTIFY, WORKFLOW};

type Notify = NotificationServiceClient<InterceptedService<Channel, PeerInterceptor>>;
type Workflow = ApplicationServiceClient<InterceptedService<Channel, PeerInterceptor>>;

/// The funds service's peers, as its own principal sees them.
pub struct FundsCourier {
    notify: Option<Notify>,
    workflow: Option<Workflow>,
}

impl FundsCourier {
    pub fn new(
        peers: &PeerSettings,
        principal: Option<Arc<ServicePrincipal>>,
    ) -> anyhow::Result<Self> {
        let Some(principal) = principal else {
            if peers.address(NOTIFY).is_some() || peers.address(WORKFLOW).is_some() {
                tracing::warn!(
                    "peers are configured but auth.service_signing_key is not: outbox events stay undelivered"
                );
            }
            return Ok(FundsCourier {
                notify: None,
                workflow: None,
            });
        };
        let interceptor = || {
            PeerInterceptor::new(
                CallAs::Service(principal.clone()),
                Duration::from_millis(peers.timeout_ms),
            )
        };
        // The notification service is called as a relay and nothing more.
        let relay = Arc::new(principal.only(Role::Relay));
        let notify = match peers.address(NOTIFY) {
            Some(address) => Some(NotificationServiceClient::with_interceptor(
                peer_channel(address)?,
                PeerInterceptor::new(
                    CallAs::Service(relay),
                    Duration::from_millis(peers.timeout_ms),
                ),
            )),
            None => None,
        };
        let workflow = match peers.address(WORKFLOW) {
            Some(address) => Some(ApplicationServiceClient::with_interceptor(
                peer_channel(address)?,
                interceptor(),
            )),
            None => None,
        };
        Ok(FundsCourier { notify, workflow })
    }
}

impl Courier for FundsCourier {
    fn destinations(&self) -> Vec<&'static str> {
        let mut destinations = Vec::new();
        if self.notify.is_some() {
            destinations.push(NOTIFY);
        }
        if self.workflow.is_some() {
            destinations.push(WORKFLOW);
        }
        destinations
    }

    fn deliver(
        &self,
        destination: &str,
        payload: &[u8],
    ) -> impl Future<Output = Result<(), Status>> + Send {
        let event = pb::FundsEvent::decode(payload);
        let notify = self.notify.clone().filter(|_| destination == NOTIFY);
        let workflow = self.workflow.clone().filter(|_| destination == WORKFLOW);
        async move {
            let event = match event {
                Ok(event) => event,
                Err(err) => {
                    // No receiver could read it; retrying would hold up every
                    // event behind it. It stays in the outbox for inspection.
                    tracing::error!(error = %err, "undecodable funds event passed over");
                    return Ok(());
                }
            };
            // An event a destination has nothing to do with is done for it.
            if let (Some(mut client), Some(request)) = (notify, notify_request(&event)) {
                client.publish_event(request).await?;
            } else if let (Some(mut client), Some(request)) = (workflow, workflow_request(&event)) {
                client.record_funds_progress(request).await?;
            }
            Ok(())
        }
    }
}

/// The notification the event makes, if any.
pub fn notify_request(event: &pb::FundsEvent) -> Option<notify::PublishEventRequest> {
    let kind = pb::FundsEventKind::try_from(event.kind).ok()?;
    let (notify_kind, roles): (notify::EventKind, &[notify::RecipientRole]) = match kind {
        // The unit's organisation pays it out; its finance books it.
        pb::FundsEventKind::AllocationCreated => (
            notify::EventKind::FundsAllocated,
            &[
                notify::RecipientRole::BranchStaff,
                notify::RecipientRole::SuperiorOrg,
                notify::RecipientRole::Finance,
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
    let mut parameters = BTreeMap::from([
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
        occur_time: event.occur_time,
        source: "funds".to_owned(),
        deliver_time: None,
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
        event_time: event.occur_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_courier_without_peers_goes_nowhere() {
        let courier = FundsCourier::new(&PeerSettings::default(), None).expect("courier");
        assert!(courier.destinations().is_empty());
    }
}
