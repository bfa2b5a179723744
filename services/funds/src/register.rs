//! 台账 — who a member is and where an organisation stands, asked of the
//! ledger service, which owns them (SPEC §9: a service never takes another
//! service's data from its caller). An allocation names a member by id and,
//! optionally, the organisation that pays by id; the member's name, branch
//! and work unit and the organisation's path and name come from here, never
//! from the request.
//!
//! Calls go to the peer `ledger` (`peers.ledger`) with the deadline of
//! `peers.timeout_ms`, as the funds service's own principal (its token,
//! signed with `auth.service_signing_key`; the ledger must trust that key
//! with the department role, which grants reading members and
//! organisations). Without a ledger or a signing key the service cannot
//! allocate: it answers UNAVAILABLE rather than believe its caller.

use std::sync::Arc;
use std::time::Duration;

use relief_proto::common::v1::OrgRef;
use relief_proto::ledger::v1 as ledger;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_runtime::auth::ServicePrincipal;
use relief_runtime::client::{CallAs, PeerInterceptor, peer_channel};
use relief_runtime::config::PeerSettings;
use relief_runtime::error::{Error, Result};
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use uuid::Uuid;

use crate::domain::refusal::{self, Refusal};

/// The peer name of the ledger service.
pub const LEDGER: &str = "ledger";

type Ledger = LedgerServiceClient<InterceptedService<Channel, PeerInterceptor>>;

/// A member as the ledger registers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredMember {
    pub member_id: Uuid,
    /// The name the receipt must be signed with (本人).
    pub name: String,
    /// The branch the member's membership belongs to (path and name as the
    /// ledger has them).
    pub branch: OrgRef,
    /// 工作单位 — the member's work unit.
    pub work_unit: String,
}

/// An organisation as the ledger has it, with its work unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredOrg {
    pub org: OrgRef,
    /// 工作单位, e.g. "焦作市财政局" (empty when the ledger has none).
    pub unit_name: String,
}

/// The ledger, as the funds service's own principal reads it.
#[derive(Clone)]
pub struct Register {
    ledger: Option<Ledger>,
}

impl Register {
    /// A register reading the ledger at `peers.ledger`; one that refuses
    /// every lookup when no ledger or no principal is configured.
    pub fn new(
        peers: &PeerSettings,
        principal: Option<Arc<ServicePrincipal>>,
    ) -> anyhow::Result<Self> {
        let ledger = match (peers.address(LEDGER), principal) {
            (Some(address), Some(principal)) => Some(LedgerServiceClient::with_interceptor(
                peer_channel(address)?,
                PeerInterceptor::new(
                    CallAs::Service(principal),
                    Duration::from_millis(peers.timeout_ms),
                ),
            )),
            (Some(_), None) => {
                tracing::warn!(
                    "peers.ledger is configured but auth.service_signing_key is not: allocations are refused"
                );
                None
            }
            (None, _) => None,
        };
        Ok(Register { ledger })
    }

    fn ledger(&self) -> Result<Ledger> {
        self.ledger.clone().ok_or_else(|| {
            Error::Upstream(Box::new(Status::unavailable(
                "the funds service cannot read the ledger (peers.ledger and auth.service_signing_key are required): members and organisations are taken from the ledger only",
            )))
        })
    }

    /// The member `member_id` as the ledger registers them;
    /// `MEMBER_NOT_REGISTERED` when the ledger has no such member.
    pub async fn member(&self, member_id: Uuid) -> Result<RegisteredMember> {
        let answer = self
            .ledger()?
            .get_member(ledger::GetMemberRequest {
                member_id: member_id.to_string(),
                ..Default::default()
            })
            .await;
        let member = match answer {
            Ok(member) => member.into_inner(),
            Err(status) if status.code() == Code::NotFound => {
                return Err(Refusal::new(
                    refusal::MEMBER_NOT_REGISTERED,
                    format!("member {member_id} is not on the ledger's register"),
                )
                .into());
            }
            Err(status) => return Err(unanswered("member", status)),
        };
        let branch = member.branch.unwrap_or_default();
        if member.member_id != member_id.to_string() || branch.path.is_empty() {
            return Err(Error::internal(
                "reading a member from the ledger",
                format!("the ledger's answer for {member_id} is incomplete"),
            ));
        }
        Ok(RegisteredMember {
            member_id,
            name: member.name,
            branch,
            work_unit: member.work_unit,
        })
    }

    /// The organisation `org_id` as the ledger has it now;
    /// `ORG_NOT_REGISTERED` when the ledger has no such node.
    pub async fn org(&self, org_id: i64) -> Result<OrgRef> {
        Ok(self.org_with_unit(org_id).await?.org)
    }

    /// The organisation `org_id` with the work unit (单位) it belongs to,
    /// as the ledger has them now — what the printed forms call 单位.
    pub async fn org_with_unit(&self, org_id: i64) -> Result<RegisteredOrg> {
        let answer = self
            .ledger()?
            .get_org(ledger::GetOrgRequest { org_id })
            .await;
        match answer {
            Ok(org) => {
                let org = org.into_inner();
                if org.org_id != org_id || org.path.is_empty() {
                    return Err(Error::internal(
                        "reading an organisation from the ledger",
                        format!("the ledger's answer for {org_id} is incomplete"),
                    ));
                }
                Ok(RegisteredOrg {
                    org: OrgRef {
                        org_id,
                        path: org.path,
                        name: org.name,
                    },
                    unit_name: org.unit_name,
                })
            }
            Err(status) if status.code() == Code::NotFound => Err(Refusal::new(
                refusal::ORG_NOT_REGISTERED,
                format!("organisation {org_id} is not in the ledger's organisation tree"),
            )
            .into()),
            Err(status) => Err(unanswered("organisation", status)),
        }
    }
}

/// The ledger did not answer a lookup: unreachable or slow is UNAVAILABLE
/// for the caller (retry later); anything else (the ledger refusing the
/// funds service's principal, say) is our fault, logged, not passed on.
fn unanswered(what: &str, status: Status) -> Error {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted => {
            Error::Upstream(Box::new(Status::unavailable(format!(
                "the ledger did not answer the funds service's lookup of the {what}: {}",
                status.message()
            ))))
        }
        _ => Error::internal(
            format!("looking up the {what} in the ledger"),
            format!("{:?}: {}", status.code(), status.message()),
        ),
    }
}
