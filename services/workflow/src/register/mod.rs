//! 台账 — the members and organisations an application names, asked of the
//! ledger service, which owns them (SPEC §9: never taken from the caller),
//! and the register rows the workflow writes there through the ledger's API.
//!
//! Calls go to the peer `ledger` as the workflow's own principal (its
//! signing key; the ledger trusts it with the department role). Without a
//! ledger or a key nothing can be applied for: UNAVAILABLE, never a guess.

use std::sync::Arc;

use relief_proto::common::v1::OrgRef;
use relief_proto::ledger::v1 as ledger;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_runtime::auth::ServicePrincipal;
use relief_runtime::client::{ServiceChannel, service_channel};
use relief_runtime::config::PeerSettings;
use relief_runtime::error::{Error, Result};
use tonic::{Code, Status};
use uuid::Uuid;

use crate::store::Level;

mod campaign;
mod records;
mod relief;

pub use campaign::{Applied, VerificationEntry};
pub use records::RecordEntry;
pub use relief::ReliefReceived;

/// The peer name of the ledger service.
pub const LEDGER: &str = "ledger";

/// Refused because the ledger does not register the member.
pub const MEMBER_NOT_REGISTERED: &str = "MEMBER_NOT_REGISTERED";
/// Refused because the member's branch is not the one named.
pub const NOT_THE_MEMBERS_BRANCH: &str = "NOT_THE_MEMBERS_BRANCH";

type Ledger = LedgerServiceClient<ServiceChannel>;

/// A member as the ledger registers them (what the application copies).
#[derive(Debug, Clone)]
pub struct RegisteredMember {
    pub member_id: Uuid,
    pub name: String,
    pub branch: OrgRef,
    /// The ledger's member as it answered (masked: the workflow's principal
    /// asks without revealing), for the approval form.
    pub record: ledger::Member,
}

/// The ledger, as the workflow's own principal reads and writes it.
#[derive(Clone)]
pub struct Register {
    ledger: Option<Ledger>,
}

impl Register {
    pub fn new(
        peers: &PeerSettings,
        principal: Option<&Arc<ServicePrincipal>>,
    ) -> anyhow::Result<Self> {
        let ledger = service_channel(peers, LEDGER, principal)?.map(LedgerServiceClient::new);
        if ledger.is_none() {
            tracing::warn!(
                "peers.ledger or auth.service_signing_key is not configured: applications cannot be made"
            );
        }
        Ok(Register { ledger })
    }

    pub(crate) fn ledger(&self) -> Result<Ledger> {
        self.ledger.clone().ok_or_else(|| {
            Error::Upstream(Box::new(Status::unavailable(
                "the workflow cannot reach the ledger (peers.ledger and auth.service_signing_key are required): members and organisations are taken from the ledger only",
            )))
        })
    }

    /// The member `member_id`; `MEMBER_NOT_REGISTERED` when the ledger has none.
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
                return Err(Error::refused(
                    MEMBER_NOT_REGISTERED,
                    format!("member {member_id} is not on the ledger's register"),
                ));
            }
            Err(status) => return Err(unanswered("member", status)),
        };
        let branch = member.branch.clone().unwrap_or_default();
        if branch.path.is_empty() {
            return Err(Error::internal(
                "reading a member from the ledger",
                format!("the ledger's answer for {member_id} has no branch"),
            ));
        }
        Ok(RegisteredMember {
            member_id,
            name: member.name.clone(),
            branch,
            record: member,
        })
    }

    /// The organisation `org_id` as the ledger has it now.
    pub async fn org(&self, org_id: i64) -> Result<ledger::Org> {
        match self
            .ledger()?
            .get_org(ledger::GetOrgRequest { org_id })
            .await
        {
            Ok(org) => Ok(org.into_inner()),
            Err(status) if status.code() == Code::NotFound => {
                Err(Error::not_found(format!("organisation {org_id}")))
            }
            Err(status) => Err(unanswered("organisation", status)),
        }
    }

    /// The superior organisations that review an application of the branch
    /// at `branch_path`, nearest first: every node between the committee and
    /// the branch (measures §四.3: each level of a nested organisation
    /// reviews; a branch directly under the committee has none).
    pub async fn review_levels(
        &self,
        branch_path: &str,
        committee_path: &str,
    ) -> Result<Vec<Level>> {
        let below_committee = branch_path.strip_prefix(committee_path).unwrap_or_default();
        let ids: Vec<i64> = below_committee
            .split('/')
            .filter(|part| !part.is_empty())
            .filter_map(|part| part.parse().ok())
            .collect();
        let mut levels = Vec::new();
        // The last id is the branch itself.
        for org_id in ids.iter().rev().skip(1) {
            let org = self.org(*org_id).await?;
            levels.push(Level {
                org_id: org.org_id,
                name: org.name,
                path: org.path,
            });
        }
        Ok(levels)
    }
}

/// The ledger did not answer: unreachable or slow is UNAVAILABLE for the
/// caller (retry later); anything else is our fault, logged, not passed on.
pub(crate) fn unanswered(what: &str, status: Status) -> Error {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted => {
            Error::Upstream(Box::new(Status::unavailable(format!(
                "the ledger did not answer the workflow's lookup of the {what}: {}",
                status.message()
            ))))
        }
        _ => Error::internal(
            format!("looking up the {what} in the ledger"),
            format!("{:?}: {}", status.code(), status.message()),
        ),
    }
}
