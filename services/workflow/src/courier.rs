//! 救助资金 as the workflow reaches it: the funds service, called as the
//! workflow's own principal (the department role its key is trusted with) —
//! for the year's relief standards a proposal is checked against, and for
//! the allocation a committee approval asks for.
//!
//! The allocation goes through the runtime's outbox: the decision writes a
//! `CreateAllocationRequest` event in its own transaction, and the
//! [`WorkflowCourier`] delivers it whenever funds answers — so an approval is
//! never lost when funds is down, and is allocated once (the request id is
//! derived from the application and the decision, and funds is idempotent on
//! it).

use std::sync::Arc;

use prost::Message;
use relief_proto::common::v1::{HardshipCategory, ReliefType};
use relief_proto::funds::v1 as funds;
use relief_proto::funds::v1::funds_service_client::FundsServiceClient;
use relief_proto::notify::v1 as notify;
use relief_proto::notify::v1::notification_service_client::NotificationServiceClient;
use relief_runtime::auth::{Role, ServicePrincipal};
use relief_runtime::client::{ServiceChannel, service_channel};
use relief_runtime::config::PeerSettings;
use relief_runtime::error::{Error, Result};
use relief_runtime::outbox::Courier;
use tonic::{Code, Status};
use uuid::Uuid;

/// The peer name of the funds service, and the outbox destination.
pub const FUNDS: &str = "funds";

/// The outbox kind of an approval's allocation request.
pub const ALLOCATION_REQUESTED: &str = "allocation.requested";

type Client = FundsServiceClient<ServiceChannel>;

/// The funds service as the workflow's principal calls it; `None` when
/// `peers.funds` or the signing key is not configured.
#[derive(Clone)]
pub struct Funds {
    client: Option<Client>,
}

impl Funds {
    pub fn new(
        peers: &PeerSettings,
        principal: Option<&Arc<ServicePrincipal>>,
    ) -> anyhow::Result<Self> {
        let client = service_channel(peers, FUNDS, principal)?.map(FundsServiceClient::new);
        if client.is_none() {
            tracing::warn!(
                "peers.funds or auth.service_signing_key is not configured: proposals cannot be checked against the standards, and approvals wait in the outbox"
            );
        }
        Ok(Funds { client })
    }

    /// The year's standards of `relief_type`, by category (a category with
    /// none set is absent). UNAVAILABLE when funds cannot be asked: an
    /// amount is never checked against a guess.
    pub async fn standards(
        &self,
        year: i32,
        relief_type: ReliefType,
    ) -> Result<Vec<(HardshipCategory, i64)>> {
        let mut client = self.client.clone().ok_or_else(|| {
            Error::Upstream(Box::new(Status::unavailable(
                "the workflow cannot reach funds (peers.funds and auth.service_signing_key are required): the relief standards are taken from funds only",
            )))
        })?;
        let mut standards = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_relief_standards(funds::ListReliefStandardsRequest {
                    year,
                    relief_type: relief_type as i32,
                    page_size: 500,
                    page_token: page_token.clone(),
                })
                .await
                .map_err(unanswered)?
                .into_inner();
            standards.extend(page.standards.iter().filter_map(|s| {
                let category = HardshipCategory::try_from(s.hardship_category).ok()?;
                (s.year == year && s.relief_type == relief_type as i32)
                    .then(|| (category, s.amount.as_ref().map(|m| m.fen).unwrap_or(0)))
            }));
            if page.next_page_token.is_empty() {
                return Ok(standards);
            }
            page_token = page.next_page_token;
        }
    }
}

fn unanswered(status: Status) -> Error {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted => {
            Error::Upstream(Box::new(Status::unavailable(format!(
                "funds did not answer the workflow's request for the relief standards: {}",
                status.message()
            ))))
        }
        _ => Error::internal(
            "asking funds for the relief standards",
            format!("{:?}: {}", status.code(), status.message()),
        ),
    }
}

/// The idempotency key of the allocation a decision asks for: the same for
/// every delivery of it, so funds allocates once.
pub fn allocation_key(application_id: Uuid, decision_id: Uuid) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!(
        "relief-workflow:allocation:{application_id}:{decision_id}"
    ));
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // A name-based UUID (version 8, RFC 9562: custom) from the digest.
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The peer name of the notification service, and the outbox destination
/// of the campaign's reminders.
pub const NOTIFY: &str = "notify";

type NotifyClient = NotificationServiceClient<ServiceChannel>;

/// The notification service as the workflow's principal publishes to it;
/// `None` when `peers.notify` or the signing key is not configured (the
/// reminders then wait in the outbox).
pub fn notify_client(
    peers: &PeerSettings,
    principal: Option<&Arc<ServicePrincipal>>,
) -> anyhow::Result<Option<NotifyClient>> {
    // The notification service is called as a relay and nothing more.
    let relay = principal.map(|principal| Arc::new(principal.only(Role::Relay)));
    Ok(service_channel(peers, NOTIFY, relay.as_ref())?.map(NotificationServiceClient::new))
}

/// Carries the workflow's outbox to funds (allocations) and to the
/// notification service (the campaign's reminders).
pub struct WorkflowCourier {
    funds: Funds,
    notify: Option<NotifyClient>,
}

impl WorkflowCourier {
    pub fn new(funds: Funds, notify: Option<NotifyClient>) -> Self {
        WorkflowCourier { funds, notify }
    }
}

/// Publishes one reminder; an undecodable one is passed over (no retry
/// would read it), a refusal of its content likewise.
async fn publish(mut client: NotifyClient, payload: Vec<u8>) -> std::result::Result<(), Status> {
    let request = match notify::PublishEventRequest::decode(payload.as_slice()) {
        Ok(request) => request,
        Err(err) => {
            tracing::error!(error = %err, "undecodable notification passed over");
            return Ok(());
        }
    };
    match client.publish_event(request).await {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::InvalidArgument => {
            tracing::error!(
                message = status.message(),
                "notification refused; not retried"
            );
            Ok(())
        }
        Err(status) => Err(status),
    }
}

/// Answers from funds that no retry changes (the decision is not allocated:
/// the budget, the fund or the decision's terms are refused, or it is
/// allocated already): logged loudly and passed over, so that one refused
/// allocation does not hold up every approval behind it. The case stays
/// APPROVED, past its deadline, for the department to see.
fn is_final(code: Code) -> bool {
    matches!(
        code,
        Code::FailedPrecondition | Code::AlreadyExists | Code::InvalidArgument
    )
}

impl Courier for WorkflowCourier {
    fn destinations(&self) -> Vec<&'static str> {
        let mut destinations = Vec::new();
        if self.funds.client.is_some() {
            destinations.push(FUNDS);
        }
        if self.notify.is_some() {
            destinations.push(NOTIFY);
        }
        destinations
    }

    fn deliver(
        &self,
        destination: &str,
        payload: &[u8],
    ) -> impl std::future::Future<Output = std::result::Result<(), Status>> + Send {
        let client = self.funds.client.clone().filter(|_| destination == FUNDS);
        let notify = self.notify.clone().filter(|_| destination == NOTIFY);
        let reminder = payload.to_vec();
        let request = funds::CreateAllocationRequest::decode(payload);
        async move {
            if let Some(notify) = notify {
                return publish(notify, reminder).await;
            }
            let (Some(mut client), request) = (client, request) else {
                return Ok(());
            };
            let request = match request {
                Ok(request) => request,
                Err(err) => {
                    tracing::error!(error = %err, "undecodable allocation request passed over");
                    return Ok(());
                }
            };
            let application_id = request
                .allocation
                .as_ref()
                .map(|a| a.application_id.clone())
                .unwrap_or_default();
            match client.create_allocation(request).await {
                Ok(allocation) => {
                    tracing::info!(
                        application_id,
                        allocation_id = allocation.get_ref().allocation_id,
                        "allocation requested from funds"
                    );
                    Ok(())
                }
                Err(status) if is_final(status.code()) => {
                    tracing::error!(
                        application_id,
                        code = ?status.code(),
                        message = status.message(),
                        "funds refused the approved allocation; not retried"
                    );
                    Ok(())
                }
                Err(status) => Err(status),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_stable_per_decision() {
        let (a, d) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(allocation_key(a, d), allocation_key(a, d));
        assert_ne!(allocation_key(a, d), allocation_key(a, Uuid::from_u128(3)));
    }

    #[test]
    fn refusals_are_final_and_outages_retried() {
        assert!(is_final(Code::FailedPrecondition));
        assert!(is_final(Code::AlreadyExists));
        assert!(!is_final(Code::Unavailable));
        assert!(!is_final(Code::PermissionDenied));
    }

    #[test]
    fn a_courier_without_funds_goes_nowhere() {
        let funds = Funds::new(&PeerSettings::default(), None).expect("funds");
        assert!(WorkflowCourier::new(funds, None).destinations().is_empty());
    }
}
